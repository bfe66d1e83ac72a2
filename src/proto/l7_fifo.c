/* The growable ring of pending requests shared by the L7 parsers. */
#include <stdlib.h>
#include <string.h>

#include "l7_fifo.h"

void zt_fifo_init(struct zt_fifo *f, size_t elem, uint32_t first, uint32_t max)
{
	memset(f, 0, sizeof(*f));
	f->elem = elem;
	f->first = first;
	f->max = max;
}

void zt_fifo_free(struct zt_fifo *f)
{
	free(f->buf);
	f->buf = NULL;
	f->cap = f->head = f->count = 0;
}

/* Double the capacity (up to max), the elements moved to start at slot 0. */
static int zt_fifo_grow(struct zt_fifo *f)
{
	uint32_t cap = f->cap ? f->cap * 2 : f->first;
	char *buf;

	if (cap > f->max)
		cap = f->max;
	buf = malloc(cap * f->elem);
	if (!buf)
		return -1;
	for (uint32_t i = 0; i < f->count; i++)
		memcpy(buf + i * f->elem, zt_fifo_at(f, i), f->elem);
	free(f->buf);
	f->buf = buf;
	f->cap = cap;
	f->head = 0;
	return 0;
}

void *zt_fifo_reserve(struct zt_fifo *f)
{
	if (f->count >= f->max)
		return NULL;
	if (f->count == f->cap && zt_fifo_grow(f) < 0)
		return NULL;
	return zt_fifo_at(f, f->count);
}

void zt_fifo_commit(struct zt_fifo *f)
{
	f->count++;
}

void zt_fifo_pop(struct zt_fifo *f)
{
	f->head = (f->head + 1) % f->cap;
	f->count--;
}

void zt_fifo_clear(struct zt_fifo *f)
{
	if (f->cap)
		f->head = (f->head + f->count) % f->cap;
	f->count = 0;
}
