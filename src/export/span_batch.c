/* Batches of encoded spans grouped by resource (see span_batch.h). */
#include <stdlib.h>
#include <string.h>

#include "span_batch.h"
#include "zt_clock.h"

void span_batches_init(struct span_batches *q)
{
	memset(q, 0, sizeof(*q));
	q->full_tail = &q->full;
}

static struct span_group *batch_group(struct span_batch *b, struct zt_resource *res)
{
	struct span_group *g;

	/* A batch is mostly runs of spans from one process: the last group first. */
	if (b->n_groups && b->groups[b->n_groups - 1].res == res)
		return &b->groups[b->n_groups - 1];
	for (size_t i = 0; i < b->n_groups; i++)
		if (b->groups[i].res == res)
			return &b->groups[i];
	if (b->n_groups == b->cap_groups) {
		size_t cap = b->cap_groups ? 2 * b->cap_groups : 4;

		g = realloc(b->groups, cap * sizeof(*g));
		if (!g)
			return NULL;
		b->groups = g;
		b->cap_groups = cap;
	}
	g = &b->groups[b->n_groups++];
	memset(g, 0, sizeof(*g));
	g->res = res ? zt_resource_ref(res) : NULL;
	return g;
}

struct span_group *span_batches_group(struct span_batches *q, struct zt_resource *res,
				      bool *opened)
{
	*opened = false;
	if (!q->open) {
		q->open = calloc(1, sizeof(*q->open));
		if (!q->open)
			return NULL;
		q->open->first_ms = zt_now_ms();
		*opened = true;
	}
	return batch_group(q->open, res);
}

bool span_batches_added(struct span_batches *q, struct span_group *g, size_t max)
{
	g->n++;
	q->queued++;
	if (++q->open->n_spans < max)
		return false;
	span_batches_close(q);
	return true;
}

void span_batches_close(struct span_batches *q)
{
	if (!q->open)
		return;
	/* Opened for a span that could not be encoded (out of memory): nothing to send. */
	if (!q->open->n_spans) {
		span_batch_free(q->open);
		q->open = NULL;
		return;
	}
	*q->full_tail = q->open;
	q->full_tail = &q->open->next;
	q->open = NULL;
}

bool span_batches_due(const struct span_batches *q, uint64_t now_ms, uint64_t max_age_ms)
{
	return q->open && now_ms >= q->open->first_ms + max_age_ms;
}

struct span_batch *span_batches_take(struct span_batches *q, bool all)
{
	struct span_batch *b = q->full;

	if (!b)
		return NULL;
	if (all || !b->next) {
		q->full = NULL;
		q->full_tail = &q->full;
	} else {
		q->full = b->next;
		b->next = NULL;
	}
	return b;
}

void span_batch_free(struct span_batch *b)
{
	for (size_t i = 0; i < b->n_groups; i++) {
		zt_resource_unref(b->groups[i].res);
		otlp_buf_free(&b->groups[i].spans);
	}
	free(b->groups);
	free(b);
}

size_t span_batches_clear(struct span_batches *q)
{
	size_t n = 0;

	span_batches_close(q);
	for (struct span_batch *b = span_batches_take(q, true), *next; b; b = next) {
		next = b->next;
		n += b->n_spans;
		span_batch_free(b);
	}
	q->queued = 0;
	return n;
}
