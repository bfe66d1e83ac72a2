#include <stdarg.h>
#include <stdio.h>
#include <pthread.h>

#include "zt_log.h"

int zt_log_level = ZT_LOG_WARN;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void zt_log(enum zt_log_level level, const char *fmt, ...)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	va_list ap;

	if ((int)level > zt_log_level)
		return;
	pthread_mutex_lock(&lock);
	fprintf(stderr, "zerotrace: %s: ", level_names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&lock);
}
