/*
 * libFuzzer target for the HPACK decoder. It has its own entry point: the shared parser
 * harness (l7_harness.c) is linked in, but its symbols are weak and unused here.
 *
 * Input, as for the parser targets: 8 control bytes, stream A, optionally "\0ZT\0" and
 * stream B. A stream is HTTP/2 frames (after an optional client preface): its HEADERS and
 * PUSH_PROMISE blocks, joined with their CONTINUATIONs, are decoded with the other
 * stream's SETTINGS_HEADER_TABLE_SIZE values applied in between. With control bit 2 a
 * stream is instead a run of blocks, each after a 2-byte big-endian length.
 * Control bit 0: the third decoder starts unknown; bit 1: it forgets at random blocks.
 * Bytes 1..7 seed the PRNG that places settings and forgets.
 *
 * Each direction is decoded three times:
 *  - a reference decoder, known from the start, and its twin must agree exactly;
 *  - the third decoder (unknown, forgetting) must never give a field the reference did
 *    not: while the reference has not failed, on a block the reference fully decoded its
 *    fields are a subsequence of the reference's (all of them when it says OK), and it
 *    fails only where the reference fails;
 * and every field's strings must be readable and within what the block or the table can
 * hold, and the table's entries must add up to its size. The Huffman decoder is checked against a bit-by-bit decoder of the RFC code on
 * slices of the input, with random output caps.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/proto/hpack.h"

#define CTL_LEN 8
#define FIELDS_MAX 16384	/* a field takes at least one byte of its block */

static const uint8_t preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static uint64_t rng_state;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

/* ---- streams to events ---- */

/* What one decoder sees, in order: a header block, or a settings value to apply. */
struct event {
	const uint8_t *block;	/* NULL: settings */
	size_t len;
	uint32_t settings;
};

struct dir {
	struct event *blocks;
	size_t nblocks;
	uint32_t *settings;	/* SETTINGS_HEADER_TABLE_SIZE values this stream sent */
	size_t nsettings;
	uint8_t *joined;	/* blocks joined from HEADERS + CONTINUATION payloads */
	size_t joined_len;
};

static void add_block(struct dir *d, const uint8_t *p, size_t n)
{
	d->blocks[d->nblocks].block = p;
	d->blocks[d->nblocks].len = n;
	d->nblocks++;
}

static void parse_raw(struct dir *d, const uint8_t *p, size_t len)
{
	while (len >= 2) {
		size_t n = (size_t)p[0] << 8 | p[1];

		p += 2;
		len -= 2;
		if (n > len)
			n = len;
		add_block(d, p, n);
		p += n;
		len -= n;
	}
}

/* The payload of a HEADERS/PUSH_PROMISE frame without padding and priority fields. */
static bool frame_fragment(uint8_t type, uint8_t flags, const uint8_t **p, size_t *n)
{
	size_t skip = 0, pad = 0;

	if (flags & 0x8) {
		if (!*n)
			return false;
		pad = (*p)[0];
		skip = 1;
	}
	if (type == 1 && (flags & 0x20))
		skip += 5;
	if (type == 5)
		skip += 4;
	if (skip + pad > *n)
		return false;
	*p += skip;
	*n -= skip + pad;
	return true;
}

static void parse_frames(struct dir *d, const uint8_t *p, size_t len)
{
	size_t start = 0;
	bool open = false;

	if (len >= sizeof(preface) - 1 && !memcmp(p, preface, sizeof(preface) - 1)) {
		p += sizeof(preface) - 1;
		len -= sizeof(preface) - 1;
	}
	while (len >= 9) {
		size_t n = (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
		uint8_t type = p[3], flags = p[4];
		const uint8_t *payload = p + 9;

		if (n > len - 9)
			break;
		p += 9 + n;
		len -= 9 + n;
		if (type == 4 && !(flags & 1)) {
			for (size_t i = 0; i + 6 <= n; i += 6) {
				const uint8_t *s = payload + i;

				if (s[0] == 0 && s[1] == 1)
					d->settings[d->nsettings++] = (uint32_t)s[2] << 24 |
								      (uint32_t)s[3] << 16 |
								      (uint32_t)s[4] << 8 | s[5];
			}
			continue;
		}
		if (type == 1 || type == 5) {
			if (!frame_fragment(type, flags, &payload, &n))
				break;
			start = d->joined_len;
			open = true;
		} else if (type != 9 || !open) {
			continue;
		}
		memcpy(d->joined + d->joined_len, payload, n);
		d->joined_len += n;
		if (flags & 0x4) {
			add_block(d, d->joined + start, d->joined_len - start);
			open = false;
		}
	}
}

/* ---- decoding runs ---- */

struct run {
	uint64_t fields[FIELDS_MAX];	/* hash of each field of the current block */
	size_t nfields;
	size_t block_len;
};

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static void on_field(void *ctx, const char *name, size_t name_len, const char *value,
		     size_t value_len)
{
	struct run *r = ctx;
	size_t bound = r->block_len * 8 / 5 + 1;
	uint64_t h = 0xcbf29ce484222325ull;

	if (bound < ZT_HPACK_TABLE_MEM_MAX)
		bound = ZT_HPACK_TABLE_MEM_MAX;
	if (!name || !value || name_len > bound || value_len > bound)
		__builtin_trap();
	if (r->nfields == FIELDS_MAX)
		__builtin_trap();
	h = hash_bytes(h, &name_len, sizeof(name_len));
	h = hash_bytes(h, name, name_len);
	h = hash_bytes(h, &value_len, sizeof(value_len));
	h = hash_bytes(h, value, value_len);
	r->fields[r->nfields++] = h;
}

static volatile uint8_t touch_sink;

/* Read every byte, so that ASan sees a stale pointer. */
static void touch(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		touch_sink ^= (uint8_t)p[i];
}

/* The entries add up to the table's size; placeholders count at least their overhead. */
static void check_table(const struct zt_hpack *h)
{
	size_t n = zt_hpack_table_entries(h), sum = 0, placeholders = 0;

	for (size_t i = 0; i < n; i++) {
		const char *name, *value;
		size_t nl, vl;
		int rc = zt_hpack_table_entry(h, i, &name, &nl, &value, &vl);

		if (rc < 0)
			__builtin_trap();
		if (rc > 0) {
			placeholders++;
			continue;
		}
		touch(name, nl);
		touch(value, vl);
		sum += 32 + nl + vl;
	}
	if (zt_hpack_table_entry(h, n, NULL, NULL, NULL, NULL) != -1)
		__builtin_trap();
	if (placeholders ? sum + 32 * placeholders > zt_hpack_table_size(h) :
			   sum != zt_hpack_table_size(h))
		__builtin_trap();
}

static enum zt_hpack_result run_block(struct zt_hpack *h, struct run *r, const struct event *e)
{
	enum zt_hpack_result rc;

	r->nfields = 0;
	r->block_len = e->len;
	rc = zt_hpack_decode(h, e->block, e->len, on_field, r);
	if (zt_hpack_table_size(h) > ZT_HPACK_TABLE_MEM_MAX ||
	    zt_hpack_table_entries(h) > ZT_HPACK_TABLE_MEM_MAX / 32)
		__builtin_trap();
	if (zt_hpack_table_complete(h) && zt_hpack_table_size(h) > zt_hpack_max_size(h))
		__builtin_trap();
	check_table(h);
	return rc;
}

/* b's fields appear in a's, in order. */
static bool subsequence(const struct run *a, const struct run *b)
{
	size_t i = 0;

	for (size_t j = 0; j < b->nfields; j++) {
		while (i < a->nfields && a->fields[i] != b->fields[j])
			i++;
		if (i == a->nfields)
			return false;
		i++;
	}
	return true;
}

static struct run runs[3];

static void check_direction(const struct dir *d, const struct dir *other, uint8_t ctl)
{
	struct zt_hpack *ref = zt_hpack_new();
	struct zt_hpack *twin = zt_hpack_new();
	struct zt_hpack *unk = ctl & 1 ? zt_hpack_new_unknown() : zt_hpack_new();
	size_t bi = 0, si = 0;
	bool ref_failed = false;

	if (!ref || !twin || !unk)
		__builtin_trap();
	while (bi < d->nblocks) {
		const struct event *e = &d->blocks[bi];
		enum zt_hpack_result a, b, c;

		/* The peer's settings land between blocks. */
		if (si < other->nsettings && rng() % 2) {
			zt_hpack_set_max_size(ref, other->settings[si]);
			zt_hpack_set_max_size(twin, other->settings[si]);
			zt_hpack_set_max_size(unk, other->settings[si]);
			si++;
			continue;
		}
		if ((ctl & 2) && rng() % 8 == 0)
			zt_hpack_forget(unk);
		a = run_block(ref, &runs[0], e);
		b = run_block(twin, &runs[1], e);
		c = run_block(unk, &runs[2], e);
		if (a != b || runs[0].nfields != runs[1].nfields ||
		    memcmp(runs[0].fields, runs[1].fields, runs[0].nfields * sizeof(uint64_t)) ||
		    zt_hpack_table_entries(ref) != zt_hpack_table_entries(twin) ||
		    zt_hpack_table_size(ref) != zt_hpack_table_size(twin))
			__builtin_trap();
		if (!ref_failed) {
			if (c == ZT_HPACK_ERROR && a != ZT_HPACK_ERROR)
				__builtin_trap();
			if (a == ZT_HPACK_OK && c != ZT_HPACK_ERROR &&
			    !subsequence(&runs[0], &runs[2]))
				__builtin_trap();
			if (a == ZT_HPACK_OK && c == ZT_HPACK_OK &&
			    runs[0].nfields != runs[2].nfields)
				__builtin_trap();
		}
		ref_failed |= a == ZT_HPACK_ERROR;
		bi++;
	}
	zt_hpack_free(ref);
	zt_hpack_free(twin);
	zt_hpack_free(unk);
}

/* ---- Huffman against a bit-by-bit decoder ---- */

/* Binary tree of the RFC code: node 0 is the root; leaves hold -1 - symbol. */
static int16_t tree[512][2];
static int tree_nodes;

static void tree_build(void)
{
	tree_nodes = 1;
	for (int sym = 0; sym <= 256; sym++) {
		const struct zt_hpack_huff_code *c = &zt_hpack_huff_codes[sym];
		int node = 0;

		for (int i = c->len - 1; i >= 0; i--) {
			int bit = (c->code >> i) & 1;

			if (!i) {
				tree[node][bit] = (int16_t)(-1 - sym);
			} else {
				if (!tree[node][bit])
					tree[node][bit] = (int16_t)tree_nodes++;
				node = tree[node][bit];
			}
		}
	}
}

/* -1, or the decoded length with the first `cap` bytes in dst. */
static ssize_t huff_reference(const uint8_t *src, size_t len, uint8_t *dst, size_t cap)
{
	uint32_t pending = 0;	/* bits since the last symbol */
	bool all_ones = true;
	size_t n = 0;
	int node = 0;

	if (!tree_nodes)
		tree_build();
	for (size_t i = 0; i < len * 8; i++) {
		int bit = (src[i / 8] >> (7 - i % 8)) & 1;
		int next = tree[node][bit];

		pending++;
		all_ones &= bit;
		if (next >= 0) {
			node = next;
			continue;
		}
		if (next == -1 - 256)
			return -1;
		if (n < cap)
			dst[n] = (uint8_t)(-1 - next);
		n++;
		node = 0;
		pending = 0;
		all_ones = true;
	}
	if (pending > 7 || !all_ones)
		return -1;
	return (ssize_t)n;
}

static void check_huffman(const uint8_t *p, size_t len)
{
	static uint8_t want[8192 * 2], got[8192 * 2];
	size_t cap = rng() % 4 ? len * 2 : rng() % (len * 2 + 1);
	ssize_t a, b;

	if (cap > sizeof(want))
		cap = sizeof(want);
	a = huff_reference(p, len, want, cap);
	b = zt_hpack_huff_decode(p, len, got, cap);
	if (a != b)
		__builtin_trap();
	if (a > 0 && memcmp(want, got, (size_t)a < cap ? (size_t)a : cap))
		__builtin_trap();
}

static void dir_init(struct dir *d, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->blocks = calloc(len / 2 + 1, sizeof(*d->blocks));
	d->settings = calloc(len / 6 + 1, sizeof(*d->settings));
	d->joined = malloc(len + 1);
	if (!d->blocks || !d->settings || !d->joined)
		__builtin_trap();
}

static void dir_free(struct dir *d)
{
	free(d->blocks);
	free(d->settings);
	free(d->joined);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t marker[4] = { 0, 'Z', 'T', 0 };
	const uint8_t *payload, *sep, *s[2];
	size_t plen, slen[2];
	struct dir d[2];
	uint8_t ctl;

	if (size < CTL_LEN)
		return 0;
	ctl = data[0];
	rng_state = 0x9e3779b97f4a7c15ull;
	for (int i = 1; i < CTL_LEN; i++)
		rng_state = (rng_state ^ data[i]) * 0x100000001b3ull;
	if (!rng_state)
		rng_state = 1;
	payload = data + CTL_LEN;
	plen = size - CTL_LEN;
	sep = plen ? memmem(payload, plen, marker, sizeof(marker)) : NULL;
	s[0] = payload;
	slen[0] = sep ? (size_t)(sep - payload) : plen;
	s[1] = sep ? sep + sizeof(marker) : payload + plen;
	slen[1] = sep ? plen - slen[0] - sizeof(marker) : 0;

	for (int i = 0; i < 2; i++) {
		dir_init(&d[i], slen[i]);
		if (ctl & 4)
			parse_raw(&d[i], s[i], slen[i]);
		else
			parse_frames(&d[i], s[i], slen[i]);
	}
	check_direction(&d[0], &d[1], ctl);
	check_direction(&d[1], &d[0], ctl);

	/* Huffman: a few slices of the input, then each block. */
	for (int i = 0; i < 4 && plen; i++) {
		size_t off = rng() % plen;
		size_t n = rng() % (plen - off + 1);

		check_huffman(payload + off, n < 2048 ? n : 2048);
	}
	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; k < d[i].nblocks && k < 16; k++) {
			const struct event *e = &d[i].blocks[k];

			check_huffman(e->block, e->len < 2048 ? e->len : 2048);
		}
		dir_free(&d[i]);
	}
	return 0;
}
