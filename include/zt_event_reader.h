/* The event reader: polls the ring buffer and dispatches events. Never blocks on I/O. */
#ifndef ZT_EVENT_READER_H
#define ZT_EVENT_READER_H

#include <stdint.h>

#include "zt_bpf_loader.h"
#include "zt_selection.h"

struct zt_reader_stats {
	uint64_t events;
	uint64_t data_events;
	uint64_t bytes;		/* payload bytes transferred by traced syscalls */
	uint64_t captured;	/* payload bytes copied to userspace */
	uint64_t bad_events;	/* shorter than their type says */
	uint64_t unhashed;	/* sockets taken off the header path after ioctl(FIONREAD) */
};

struct zt_reader;

int zt_reader_new(struct zt_reader **out, struct zt_bpf *bpf, const struct zt_selection *sel);
/* Returns events handled, or a negative errno (-EINTR is not an error). */
int zt_reader_poll(struct zt_reader *r, int timeout_ms);
/* Handle everything already in the ring buffer. */
void zt_reader_drain(struct zt_reader *r);
void zt_reader_get_stats(struct zt_reader *r, struct zt_reader_stats *out);
void zt_reader_free(struct zt_reader *r);

#endif
