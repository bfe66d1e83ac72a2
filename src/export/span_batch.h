/*
 * Spans encoded as they come, grouped by resource, in the batches that become export
 * requests: one open batch being filled and closed ones waiting, oldest first. An exporter's
 * submit() encodes a span on the thread that made it (its memory is still in that CPU's
 * cache, and it is freed where it was allocated); the exporter's own thread turns closed
 * batches into requests. No locking here: the exporter's lock covers all of it.
 */
#ifndef ZT_SPAN_BATCH_H
#define ZT_SPAN_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otlp_encode.h"
#include "zt_span.h"

/* The spans of one resource in a batch. */
struct span_group {
	struct zt_resource *res;	/* referenced; NULL for spans without one */
	struct otlp_buf spans;		/* encoded, one after another */
	size_t n;
};

struct span_batch {
	struct span_batch *next;
	struct span_group *groups;	/* in order of the resources' first spans */
	size_t n_groups;
	size_t cap_groups;
	size_t n_spans;
	uint64_t first_ms;	/* when its first span came */
};

struct span_batches {
	struct span_batch *open;	/* being filled, or NULL */
	struct span_batch *full;	/* closed, oldest first */
	struct span_batch **full_tail;
	size_t queued;		/* spans in the open and the closed batches */
};

void span_batches_init(struct span_batches *q);
/* Where the next span of res goes: its group in the open batch, which is opened (*opened set)
 * when there is none. NULL when out of memory. */
struct span_group *span_batches_group(struct span_batches *q, struct zt_resource *res,
				      bool *opened);
/* A span was encoded into g: counted, and the open batch closed once it holds max spans.
 * Returns true when it closed. */
bool span_batches_added(struct span_batches *q, struct span_group *g, size_t max);
/* The open batch, if any, joins the closed ones. */
void span_batches_close(struct span_batches *q);
/* The open batch's first span is max_age_ms old. */
bool span_batches_due(const struct span_batches *q, uint64_t now_ms, uint64_t max_age_ms);
/* The oldest closed batch, or all of them as a list when all; NULL when none. The caller
 * owns what it took (span_batch_free each) and subtracts its spans from queued. */
struct span_batch *span_batches_take(struct span_batches *q, bool all);
void span_batch_free(struct span_batch *b);
/* Frees every batch, open and closed; returns how many spans they held. */
size_t span_batches_clear(struct span_batches *q);

#endif
