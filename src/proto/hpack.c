/*
 * HPACK decoder (RFC 7541) for one direction of an HTTP/2 connection.
 *
 * The dynamic table is a ring of entry descriptors whose strings live in one byte arena:
 * entries are appended and the arena is compacted when its end is reached, so indexing a
 * field allocates nothing once the arena has grown to the table's size. Raw strings are
 * handed to the callback in place; Huffman strings are decoded into a scratch buffer that
 * is kept between blocks while small.
 *
 * Partial knowledge. The decoder may know only the newest entries of the encoder's table
 * (after a gap, or when the connection is seen from its middle): `older_unknown` says that
 * older entries may exist. Indexes count from the newest entry, so ours keep their indexes
 * whatever is older: an index past our entries is a field we skip (PARTIAL), and an
 * indexed literal that takes its name from such an entry adds an entry whose name we do
 * not know (a placeholder, sized by its value alone: a lower bound).
 *
 * Our entries are evicted when the encoder's surely are: sizes are exact or lower bounds,
 * the maximum is known (size update, or the connection's start) or assumed (4096 or the
 * settings value, until a size update). Keeping an entry the encoder evicted is harmless,
 * since no valid index reaches it; dropping one it still has turns its fields into skips,
 * so that only happens under an assumed maximum or our memory bound, and marks the older
 * entries unknown. Once one of ours is surely evicted, or a known maximum leaves less room
 * than the 32 bytes of any entry, nothing older can be left: the table is complete again.
 */
#include <stdlib.h>
#include <string.h>

#include "hpack.h"

#define HPACK_STATIC_ENTRIES 61
#define HPACK_ENTRY_OVERHEAD 32
#define HPACK_DEFAULT_SIZE 4096
#define HPACK_ARENA_MIN 512
#define HPACK_ENTS_MIN 16
#define HPACK_SCRATCH_MIN 256
#define HPACK_SCRATCH_KEEP (16 * 1024)	/* a larger scratch buffer is freed after its block */

struct hpack_static {
	const char *name;
	const char *value;
	uint8_t name_len;
	uint8_t value_len;
};

#define HPACK_ST(n, v) { n, v, sizeof(n) - 1, sizeof(v) - 1 }

/* RFC 7541 Appendix A; index 1 is element 0. */
static const struct hpack_static hpack_static_table[HPACK_STATIC_ENTRIES] = {
	HPACK_ST(":authority", ""),
	HPACK_ST(":method", "GET"),
	HPACK_ST(":method", "POST"),
	HPACK_ST(":path", "/"),
	HPACK_ST(":path", "/index.html"),
	HPACK_ST(":scheme", "http"),
	HPACK_ST(":scheme", "https"),
	HPACK_ST(":status", "200"),
	HPACK_ST(":status", "204"),
	HPACK_ST(":status", "206"),
	HPACK_ST(":status", "304"),
	HPACK_ST(":status", "400"),
	HPACK_ST(":status", "404"),
	HPACK_ST(":status", "500"),
	HPACK_ST("accept-charset", ""),
	HPACK_ST("accept-encoding", "gzip, deflate"),
	HPACK_ST("accept-language", ""),
	HPACK_ST("accept-ranges", ""),
	HPACK_ST("accept", ""),
	HPACK_ST("access-control-allow-origin", ""),
	HPACK_ST("age", ""),
	HPACK_ST("allow", ""),
	HPACK_ST("authorization", ""),
	HPACK_ST("cache-control", ""),
	HPACK_ST("content-disposition", ""),
	HPACK_ST("content-encoding", ""),
	HPACK_ST("content-language", ""),
	HPACK_ST("content-length", ""),
	HPACK_ST("content-location", ""),
	HPACK_ST("content-range", ""),
	HPACK_ST("content-type", ""),
	HPACK_ST("cookie", ""),
	HPACK_ST("date", ""),
	HPACK_ST("etag", ""),
	HPACK_ST("expect", ""),
	HPACK_ST("expires", ""),
	HPACK_ST("from", ""),
	HPACK_ST("host", ""),
	HPACK_ST("if-match", ""),
	HPACK_ST("if-modified-since", ""),
	HPACK_ST("if-none-match", ""),
	HPACK_ST("if-range", ""),
	HPACK_ST("if-unmodified-since", ""),
	HPACK_ST("last-modified", ""),
	HPACK_ST("link", ""),
	HPACK_ST("location", ""),
	HPACK_ST("max-forwards", ""),
	HPACK_ST("proxy-authenticate", ""),
	HPACK_ST("proxy-authorization", ""),
	HPACK_ST("range", ""),
	HPACK_ST("referer", ""),
	HPACK_ST("refresh", ""),
	HPACK_ST("retry-after", ""),
	HPACK_ST("server", ""),
	HPACK_ST("set-cookie", ""),
	HPACK_ST("strict-transport-security", ""),
	HPACK_ST("transfer-encoding", ""),
	HPACK_ST("user-agent", ""),
	HPACK_ST("vary", ""),
	HPACK_ST("via", ""),
	HPACK_ST("www-authenticate", ""),
};

/* One dynamic table entry; its name and value follow each other in the arena. */
struct hpack_entry {
	uint32_t off;
	uint32_t name_len;	/* 0 for a placeholder */
	uint32_t value_len;
	bool known;		/* false: a placeholder, name from an entry we never saw */
};

struct zt_hpack {
	struct hpack_entry *ents;	/* ring of nents entries, oldest at `first` */
	uint32_t ents_cap;		/* power of two */
	uint32_t first;
	uint32_t nents;
	uint8_t *arena;
	uint32_t arena_cap;
	uint32_t arena_used;	/* end of the newest entry's bytes */
	uint32_t stored;	/* bytes of our entries in the arena */
	uint64_t size;		/* RFC size of our entries (placeholders: a lower bound) */
	uint32_t max_size;	/* from the last size update, or assumed */
	uint32_t settings_max;	/* bound for size updates */
	bool settings_bound;	/* settings_max is known: size updates are checked */
	bool max_assumed;	/* max_size is a guess: no size update seen since we lost track */
	bool older_unknown;	/* the encoder may hold entries older than ours */
	uint8_t *scratch;	/* Huffman-decoded strings of the field being decoded */
	size_t scratch_cap;
};

/* A decoded string: in the block, or at an offset of the scratch buffer (which may move). */
struct hpack_str {
	const uint8_t *raw;	/* NULL: in scratch at `off` */
	size_t off;
	size_t len;
	bool skipped;		/* Huffman string over ZT_HPACK_STRING_MAX: not kept */
};

/* Where a looked-up name/value pair is. */
enum hpack_lookup {
	HPACK_FOUND,
	HPACK_UNKNOWN,		/* an entry we never saw: skip the field */
	HPACK_INVALID,		/* index 0 or past a complete table: malformed */
};

/* ---- dynamic table ---- */

static uint64_t hpack_entry_size(const struct hpack_entry *e)
{
	return HPACK_ENTRY_OVERHEAD + (uint64_t)e->name_len + e->value_len;
}

/* An entry's name, its value following; an empty entry may have no arena behind it. */
static const char *hpack_entry_bytes(const struct zt_hpack *h, const struct hpack_entry *e)
{
	return e->name_len + e->value_len ? (const char *)h->arena + e->off : "";
}

/* Entry i of our table, 0 = newest. */
static struct hpack_entry *hpack_entry_at(const struct zt_hpack *h, uint32_t i)
{
	return &h->ents[(h->first + h->nents - 1 - i) & (h->ents_cap - 1)];
}

static void hpack_table_clear(struct zt_hpack *h)
{
	h->first = h->nents = 0;
	h->arena_used = h->stored = 0;
	h->size = 0;
}

static void hpack_evict_oldest(struct zt_hpack *h)
{
	struct hpack_entry *e = &h->ents[h->first];

	h->size -= hpack_entry_size(e);
	h->stored -= e->name_len + e->value_len;
	h->first = (h->first + 1) & (h->ents_cap - 1);
	if (!--h->nents)
		hpack_table_clear(h);
}

/* A known maximum that leaves no room for one more entry: nothing older can be there. */
static void hpack_note_room(struct zt_hpack *h)
{
	if (!h->max_assumed && h->size + HPACK_ENTRY_OVERHEAD > h->max_size)
		h->older_unknown = false;
}

/* Room for one more descriptor; the ring is unrolled into the new array. */
static int hpack_ents_reserve(struct zt_hpack *h)
{
	struct hpack_entry *ents;
	uint32_t cap;

	if (h->nents < h->ents_cap)
		return 0;
	cap = h->ents_cap ? h->ents_cap * 2 : HPACK_ENTS_MIN;
	ents = malloc(sizeof(*ents) * cap);
	if (!ents)
		return -1;
	for (uint32_t i = 0; i < h->nents; i++)
		ents[i] = h->ents[(h->first + i) & (h->ents_cap - 1)];
	free(h->ents);
	h->ents = ents;
	h->ents_cap = cap;
	h->first = 0;
	return 0;
}

/* Move our entries' bytes to the start of dst (may be the arena itself), oldest first. */
static void hpack_arena_compact(struct zt_hpack *h, uint8_t *dst)
{
	uint32_t w = 0;

	for (uint32_t i = 0; i < h->nents; i++) {
		struct hpack_entry *e = &h->ents[(h->first + i) & (h->ents_cap - 1)];
		uint32_t n = e->name_len + e->value_len;

		if (n)
			memmove(dst + w, h->arena + e->off, n);
		e->off = w;
		w += n;
	}
	h->arena_used = w;
}

/*
 * Room for `need` bytes after the newest entry. The arena is kept at least twice as large
 * as what it holds, so compaction (moving at most half of it) frees at least half of it.
 */
static int hpack_arena_reserve(struct zt_hpack *h, uint32_t need, uint32_t *off)
{
	if (h->arena_cap - h->arena_used < need) {
		uint64_t want = 2 * ((uint64_t)h->stored + need);

		if (want > h->arena_cap) {
			uint32_t cap = h->arena_cap ? h->arena_cap : HPACK_ARENA_MIN;
			uint8_t *arena;

			while (cap < want)
				cap *= 2;
			arena = malloc(cap);
			if (!arena)
				return -1;
			hpack_arena_compact(h, arena);
			free(h->arena);
			h->arena = arena;
			h->arena_cap = cap;
		} else {
			hpack_arena_compact(h, h->arena);
		}
	}
	*off = h->arena_used;
	h->arena_used += need;
	return 0;
}

/* Our table cannot follow the encoder's any more: keep nothing, expect older entries. */
static void hpack_lose_track(struct zt_hpack *h)
{
	hpack_table_clear(h);
	h->older_unknown = true;
}

/*
 * Add an entry (RFC 7541 4.4). name is NULL for a placeholder, value NULL when a string
 * was not kept (over ZT_HPACK_STRING_MAX): only its size counts. Neither may point into
 * the arena.
 */
static void hpack_table_insert(struct zt_hpack *h, const uint8_t *name, size_t name_len,
			       const uint8_t *value, size_t value_len)
{
	uint64_t esize = HPACK_ENTRY_OVERHEAD + (uint64_t)name_len + value_len;
	struct hpack_entry *e;
	uint32_t off = 0;

	if (esize > h->max_size) {
		/* The encoder empties its table, unless its maximum is larger than we think. */
		hpack_table_clear(h);
		h->older_unknown = h->max_assumed;
		return;
	}
	if (!value || esize > ZT_HPACK_TABLE_MEM_MAX) {
		hpack_lose_track(h);
		return;
	}
	while (h->nents && h->size + esize > h->max_size) {
		hpack_evict_oldest(h);
		if (!h->max_assumed)
			h->older_unknown = false;
	}
	while (h->nents && h->size + esize > ZT_HPACK_TABLE_MEM_MAX) {
		hpack_evict_oldest(h);
		h->older_unknown = true;
	}
	if (hpack_ents_reserve(h) < 0 ||
	    hpack_arena_reserve(h, (uint32_t)(name_len + value_len), &off) < 0) {
		hpack_lose_track(h);
		return;
	}
	e = &h->ents[(h->first + h->nents) & (h->ents_cap - 1)];
	e->off = off;
	e->name_len = (uint32_t)name_len;
	e->value_len = (uint32_t)value_len;
	e->known = name != NULL;
	if (name_len)
		memcpy(h->arena + off, name, name_len);
	if (value_len)
		memcpy(h->arena + off + name_len, value, value_len);
	h->stored += (uint32_t)(name_len + value_len);
	h->nents++;
	h->size += esize;
	hpack_note_room(h);
}

/* Dynamic table size update (RFC 7541 6.3). */
static int hpack_set_table_size(struct zt_hpack *h, uint32_t size)
{
	if (h->settings_bound && size > h->settings_max)
		return -1;
	h->max_size = size;
	h->max_assumed = false;
	while (h->nents && h->size > size) {
		hpack_evict_oldest(h);
		h->older_unknown = false;
	}
	hpack_note_room(h);
	return 0;
}

static enum hpack_lookup hpack_lookup(const struct zt_hpack *h, uint32_t idx, const char **name,
				      size_t *name_len, const char **value, size_t *value_len,
				      bool *in_table)
{
	const struct hpack_entry *e;

	*in_table = false;
	if (!idx)
		return HPACK_INVALID;
	if (idx <= HPACK_STATIC_ENTRIES) {
		const struct hpack_static *s = &hpack_static_table[idx - 1];

		*name = s->name;
		*name_len = s->name_len;
		*value = s->value;
		*value_len = s->value_len;
		return HPACK_FOUND;
	}
	idx -= HPACK_STATIC_ENTRIES + 1;
	if (idx >= h->nents)
		return h->older_unknown ? HPACK_UNKNOWN : HPACK_INVALID;
	e = hpack_entry_at(h, idx);
	if (!e->known)
		return HPACK_UNKNOWN;
	*name = hpack_entry_bytes(h, e);
	*name_len = e->name_len;
	*value = *name + e->name_len;
	*value_len = e->value_len;
	*in_table = true;
	return HPACK_FOUND;
}

/* ---- primitives ---- */

/*
 * Integer with an N-bit prefix (RFC 7541 5.1), starting at *p. Values past 32 bits and
 * more than five continuation bytes are refused.
 */
static bool hpack_int(const uint8_t **p, const uint8_t *end, uint32_t prefix_bits, uint32_t *out)
{
	uint32_t prefix_max = (1u << prefix_bits) - 1;
	uint64_t v = *(*p)++ & prefix_max;

	if (v < prefix_max) {
		*out = (uint32_t)v;
		return true;
	}
	for (uint32_t shift = 0;; shift += 7) {
		uint8_t b;

		if (*p == end || shift > 28)
			return false;
		b = *(*p)++;
		v += (uint64_t)(b & 0x7f) << shift;
		if (v > UINT32_MAX)
			return false;
		if (!(b & 0x80))
			break;
	}
	*out = (uint32_t)v;
	return true;
}

static int hpack_scratch_reserve(struct zt_hpack *h, size_t need)
{
	size_t cap = h->scratch_cap ? h->scratch_cap : HPACK_SCRATCH_MIN;
	uint8_t *s;

	if (need <= h->scratch_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	s = realloc(h->scratch, cap);
	if (!s)
		return -1;
	h->scratch = s;
	h->scratch_cap = cap;
	return 0;
}

/* String literal (RFC 7541 5.2) at *p; a Huffman one goes to scratch at *used. */
static int hpack_string(struct zt_hpack *h, const uint8_t **p, const uint8_t *end, size_t *used,
			struct hpack_str *s)
{
	uint32_t len;
	bool huffman;
	size_t cap;
	ssize_t n;

	if (*p == end)
		return -1;
	huffman = **p & 0x80;
	if (!hpack_int(p, end, 7, &len) || len > (size_t)(end - *p))
		return -1;
	memset(s, 0, sizeof(*s));
	if (!huffman) {
		s->raw = *p;
		s->len = len;
		*p += len;
		return 0;
	}
	/* Codes are 5 bits or more. */
	cap = (size_t)len * 8 / 5;
	if (cap > ZT_HPACK_STRING_MAX)
		cap = ZT_HPACK_STRING_MAX;
	if (hpack_scratch_reserve(h, *used + cap) < 0)
		cap = 0;
	n = zt_hpack_huff_decode(*p, len, cap ? h->scratch + *used : NULL, cap);
	if (n < 0)
		return -1;
	s->off = *used;
	s->len = (size_t)n;
	s->skipped = (size_t)n > cap;
	if (!s->skipped)
		*used += (size_t)n;
	*p += len;
	return 0;
}

static const char *hpack_str_ptr(const struct zt_hpack *h, const struct hpack_str *s)
{
	if (!s->len || s->skipped)
		return "";	/* no bytes to point at: scratch may not even exist */
	return (const char *)(s->raw ? s->raw : h->scratch + s->off);
}

/* ---- representations: 0 decoded, 1 skipped, -1 malformed ---- */

static int hpack_indexed(struct zt_hpack *h, const uint8_t **p, const uint8_t *end,
			 zt_hpack_field_fn fn, void *ctx)
{
	const char *name, *value;
	size_t name_len, value_len;
	bool in_table;
	uint32_t idx;

	if (!hpack_int(p, end, 7, &idx))
		return -1;
	switch (hpack_lookup(h, idx, &name, &name_len, &value, &value_len, &in_table)) {
	case HPACK_INVALID:
		return -1;
	case HPACK_UNKNOWN:
		return 1;
	case HPACK_FOUND:
		break;
	}
	if (fn)
		fn(ctx, name, name_len, value, value_len);
	return 0;
}

static int hpack_literal(struct zt_hpack *h, const uint8_t **p, const uint8_t *end,
			 uint32_t prefix_bits, bool indexing, zt_hpack_field_fn fn, void *ctx)
{
	struct hpack_str name = { 0 }, value;
	const char *tname = NULL, *tvalue;
	const uint8_t *kept_value;
	size_t tvalue_len, used = 0;
	bool name_known = true, in_table = false, deliver;
	uint32_t idx;

	if (!hpack_int(p, end, prefix_bits, &idx))
		return -1;
	if (!idx) {
		if (hpack_string(h, p, end, &used, &name) < 0)
			return -1;
	} else {
		switch (hpack_lookup(h, idx, &tname, &name.len, &tvalue, &tvalue_len, &in_table)) {
		case HPACK_INVALID:
			return -1;
		case HPACK_UNKNOWN:
			name_known = false;
			name.len = 0;
			break;
		case HPACK_FOUND:
			name.raw = (const uint8_t *)tname;
			break;
		}
	}
	if (hpack_string(h, p, end, &used, &value) < 0)
		return -1;
	deliver = name_known && !name.skipped && !value.skipped;
	if (deliver && fn)
		fn(ctx, hpack_str_ptr(h, &name), name.len, hpack_str_ptr(h, &value), value.len);
	if (!indexing)
		return deliver ? 0 : 1;
	/* The insertion may move the arena the name is in: copy it out first. */
	if (in_table && name.len) {
		if (hpack_scratch_reserve(h, used + name.len) < 0) {
			hpack_lose_track(h);
			return 1;
		}
		memcpy(h->scratch + used, name.raw, name.len);
		name.raw = NULL;
		name.off = used;
	}
	if (name.skipped || value.skipped)
		kept_value = NULL;
	else
		kept_value = (const uint8_t *)hpack_str_ptr(h, &value);
	hpack_table_insert(h, name_known ? (const uint8_t *)hpack_str_ptr(h, &name) : NULL,
			   name.len, kept_value, value.len);
	return deliver ? 0 : 1;
}

/* ---- public ---- */

struct zt_hpack *zt_hpack_new(void)
{
	struct zt_hpack *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->max_size = HPACK_DEFAULT_SIZE;
	h->settings_max = HPACK_DEFAULT_SIZE;
	h->settings_bound = true;
	return h;
}

struct zt_hpack *zt_hpack_new_unknown(void)
{
	struct zt_hpack *h = zt_hpack_new();

	if (!h)
		return NULL;
	h->settings_bound = false;
	h->max_assumed = true;
	h->older_unknown = true;
	return h;
}

void zt_hpack_free(struct zt_hpack *h)
{
	if (!h)
		return;
	free(h->ents);
	free(h->arena);
	free(h->scratch);
	free(h);
}

void zt_hpack_set_max_size(struct zt_hpack *h, uint32_t settings_size)
{
	h->settings_max = settings_size;
	h->settings_bound = true;
	/* Without a size update since we lost track, the settings are the best guess. */
	if (h->max_assumed)
		h->max_size = settings_size;
}

void zt_hpack_forget(struct zt_hpack *h)
{
	hpack_lose_track(h);
	/* A size update may have been lost: keep the last maximum, within the settings. */
	h->max_assumed = true;
	if (h->settings_bound && h->max_size > h->settings_max)
		h->max_size = h->settings_max;
}

enum zt_hpack_result zt_hpack_decode(struct zt_hpack *h, const uint8_t *block, size_t len,
                                     zt_hpack_field_fn fn, void *ctx)
{
	const uint8_t *p = block, *end = len ? block + len : block;
	bool fields_seen = false, partial = false;
	int rc = 0;

	while (p < end) {
		uint8_t b = *p;

		if (b & 0x80) {
			rc = hpack_indexed(h, &p, end, fn, ctx);
		} else if (b & 0x40) {
			rc = hpack_literal(h, &p, end, 6, true, fn, ctx);
		} else if (b & 0x20) {
			uint32_t size;

			/* Size updates only open a block (RFC 7541 4.2). */
			if (fields_seen || !hpack_int(&p, end, 5, &size) ||
			    hpack_set_table_size(h, size) < 0) {
				rc = -1;
				break;
			}
			continue;
		} else {
			/* Without indexing (0000) and never indexed (0001) decode alike. */
			rc = hpack_literal(h, &p, end, 4, false, fn, ctx);
		}
		if (rc < 0)
			break;
		partial |= rc > 0;
		fields_seen = true;
	}
	if (h->scratch_cap > HPACK_SCRATCH_KEEP) {
		free(h->scratch);
		h->scratch = NULL;
		h->scratch_cap = 0;
	}
	if (rc < 0) {
		zt_hpack_forget(h);
		return ZT_HPACK_ERROR;
	}
	return partial ? ZT_HPACK_PARTIAL : ZT_HPACK_OK;
}

size_t zt_hpack_table_entries(const struct zt_hpack *h)
{
	return h->nents;
}

size_t zt_hpack_table_size(const struct zt_hpack *h)
{
	return (size_t)h->size;
}

uint32_t zt_hpack_max_size(const struct zt_hpack *h)
{
	return h->max_size;
}

bool zt_hpack_table_complete(const struct zt_hpack *h)
{
	return !h->older_unknown;
}

int zt_hpack_table_entry(const struct zt_hpack *h, size_t i, const char **name,
			 size_t *name_len, const char **value, size_t *value_len)
{
	const struct hpack_entry *e;

	if (i >= h->nents)
		return -1;
	e = hpack_entry_at(h, (uint32_t)i);
	if (!e->known)
		return 1;
	*name = hpack_entry_bytes(h, e);
	*name_len = e->name_len;
	*value = *name + e->name_len;
	*value_len = e->value_len;
	return 0;
}
