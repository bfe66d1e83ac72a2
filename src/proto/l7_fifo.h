/*
 * src/proto/l7_fifo.h — a growable ring of fixed-size elements: the requests an L7 parser
 * holds until their responses come.
 *
 * A new element is written in place into the slot after the last one (zt_fifo_reserve) and
 * counted only when complete (zt_fifo_commit), so a request given up half-parsed costs no
 * copy and leaves the FIFO as it was. The ring never grows past its maximum: what to evict
 * when it is full is the caller's choice.
 */
#ifndef ZT_L7_FIFO_H
#define ZT_L7_FIFO_H

#include <stddef.h>
#include <stdint.h>

/* One parser's FIFO; all zero (or zt_fifo_init) is empty, with nothing allocated. */
struct zt_fifo {
	void *buf;
	size_t elem;	/* bytes per element */
	uint32_t first; /* capacity of the first allocation */
	uint32_t max;	/* capacity never exceeds this */
	uint32_t cap;
	uint32_t head;
	uint32_t count;
};

void zt_fifo_init(struct zt_fifo *f, size_t elem, uint32_t first, uint32_t max);
void zt_fifo_free(struct zt_fifo *f);

static inline uint32_t zt_fifo_count(const struct zt_fifo *f)
{
	return f->count;
}

/* Element i from the head; i == count is the reserved slot. The FIFO must be allocated. */
static inline void *zt_fifo_at(const struct zt_fifo *f, uint32_t i)
{
	return (char *)f->buf + (size_t)((f->head + i) % f->cap) * f->elem;
}

/* The slot after the last element, not counted; NULL when the FIFO is at max or no memory. */
void *zt_fifo_reserve(struct zt_fifo *f);
/* Count the reserved slot as the last element. */
void zt_fifo_commit(struct zt_fifo *f);
/* Remove the head. The FIFO must not be empty. */
void zt_fifo_pop(struct zt_fifo *f);
/* Remove every element; a slot being filled stays where it is, as the new head. */
void zt_fifo_clear(struct zt_fifo *f);

#endif
