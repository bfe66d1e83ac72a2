/* Agent logging: stderr, one line per message, levels filtered by -v. */
#ifndef ZT_LOG_H
#define ZT_LOG_H

enum zt_log_level { ZT_LOG_ERROR = 0, ZT_LOG_WARN, ZT_LOG_INFO, ZT_LOG_DEBUG };

/* Messages above this level are dropped (default ZT_LOG_WARN; -v raises it). */
extern int zt_log_level;

void zt_log(enum zt_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define zt_err(...) zt_log(ZT_LOG_ERROR, __VA_ARGS__)
#define zt_warn(...) zt_log(ZT_LOG_WARN, __VA_ARGS__)
#define zt_info(...) zt_log(ZT_LOG_INFO, __VA_ARGS__)
#define zt_debug(...) zt_log(ZT_LOG_DEBUG, __VA_ARGS__)

#endif
