#include "zt_clock.h"

uint64_t zt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct timespec zt_deadline_at(uint64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	return ts;
}

bool zt_rate_limit(uint64_t *last, uint64_t interval_ms)
{
	uint64_t now = zt_now_ms();

	if (*last && now - *last < interval_ms)
		return false;
	*last = now;
	return true;
}
