/* Monotonic time for exporter threads: deadlines for CLOCK_MONOTONIC condvars, rate limits. */
#ifndef ZT_CLOCK_H
#define ZT_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t zt_now_ms(void);
/* A zt_now_ms()-based time as an absolute timespec (condvars using CLOCK_MONOTONIC). */
struct timespec zt_deadline_at(uint64_t ms);
/* True at most once per interval_ms for one *last, so a persistent fault does not flood logs. */
bool zt_rate_limit(uint64_t *last, uint64_t interval_ms);

#endif
