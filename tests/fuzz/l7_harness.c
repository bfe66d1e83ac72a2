/*
 * libFuzzer harness shared by every protocol parser target. A target file defines
 * fuzz_parser (the parser under test) and fuzz_check_record (its record invariants).
 *
 * Input: 8 control bytes, then stream A, then optionally the marker "\0ZT\0" and stream B.
 * Control byte 0: bit 0 = direction of stream A (B gets the other), bit 1 = allow gaps,
 * bit 2 = insert fillers (long runs of the previous byte, to reach the parser's size
 * limits, which inputs of -max_len=8192 cannot). Bytes 1..7 seed a PRNG that picks which
 * stream feeds next, chunk sizes, gaps and fillers.
 *
 * Pass 1 interleaves both streams at random with gaps and fillers, checks invariants.
 * Passes 2 and 3 feed A then B, once cut at random and once whole, without gaps: both
 * must give the same records, since chunking must not change what is parsed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l7_harness.h"

#define CTL_LEN 8
#define DIFF_MAX 8000	/* longer lines are kept truncated when split: not comparable */
#define FILLER_MAX 40000

struct run {
	uint64_t hash;
	uint32_t records;
};

static uint64_t rng_state;

static uint32_t rng(void)
{
	/* xorshift64 */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t hash_str(uint64_t h, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		__builtin_trap();	/* not NUL-terminated */
	return hash_bytes(h, s, n + 1);
}

static void emit(void *ctx, const struct zt_l7_record *r)
{
	struct run *run = ctx;
	uint64_t h = run->hash;

	h = hash_str(h, r->method, sizeof(r->method));
	h = hash_str(h, r->target, sizeof(r->target));
	h = hash_str(h, r->host, sizeof(r->host));
	h = hash_str(h, r->user_agent, sizeof(r->user_agent));
	h = hash_str(h, r->traceparent, sizeof(r->traceparent));
	h = hash_str(h, r->tracestate, sizeof(r->tracestate));
	h = hash_str(h, r->version, sizeof(r->version));
	h = hash_str(h, r->grpc_message, sizeof(r->grpc_message));
	h = hash_str(h, r->db_namespace, sizeof(r->db_namespace));
	h = hash_str(h, r->db_query, sizeof(r->db_query));
	h = hash_str(h, r->db_operation, sizeof(r->db_operation));
	h = hash_str(h, r->db_status, sizeof(r->db_status));
	h = hash_str(h, r->db_sqlstate, sizeof(r->db_sqlstate));
	h = hash_str(h, r->db_error, sizeof(r->db_error));
	if (r->req_dir > 1)
		__builtin_trap();
	fuzz_check_record(r);
	h = hash_bytes(h, &r->status, sizeof(r->status));
	h = hash_bytes(h, &r->has_response, 1);
	h = hash_bytes(h, &r->target_truncated, 1);
	h = hash_bytes(h, &r->req_dir, 1);
	h = hash_bytes(h, &r->req_body_bytes, 8);
	h = hash_bytes(h, &r->resp_body_bytes, 8);
	h = hash_bytes(h, &r->stream_id, 4);
	h = hash_bytes(h, &r->grpc_status, 4);
	h = hash_bytes(h, &r->h2_error, 4);
	h = hash_bytes(h, &r->req_messages, 4);
	h = hash_bytes(h, &r->resp_messages, 4);
	h = hash_bytes(h, &r->db_rows, 8);
	h = hash_bytes(h, &r->db_args, 4);
	h = hash_bytes(h, &r->db_failed, 1);
	h = hash_bytes(h, &r->db_query_truncated, 1);
	h = hash_bytes(h, &r->grpc, 1);
	h = hash_bytes(h, &r->h2_reset, 1);
	h = hash_bytes(h, &r->headers_partial, 1);
	run->hash = h;
	run->records++;
}

struct stream {
	const uint8_t *p;
	size_t len;
	size_t off;
	int dir;
};

static size_t chunk_len(size_t left)
{
	uint32_t r = rng() % 16;
	size_t n;

	if (r < 8)
		n = 1 + rng() % 16;
	else if (r < 12)
		n = 1 + rng() % 512;
	else
		n = left;
	return n < left ? n : left;
}

/* Feed one chunk (or a gap in its place) of stream s; returns the feed result. */
static int feed_chunk(void *conn, struct stream *s, size_t n, bool as_gap, uint32_t *tid,
		      const struct zt_l7_sink *sink)
{
	struct zt_chunk_meta m = { .ts_enter = *tid * 10ull, .ts_exit = *tid * 10ull + 1 };
	int rc;

	m.tid = (*tid)++;
	rc = fuzz_parser->feed(conn, s->dir, as_gap ? NULL : s->p + s->off, n, &m, sink);
	s->off += n;
	return rc;
}

/* Repeat the byte before the stream's position, e.g. inside a header value. */
static int feed_filler(void *conn, const struct stream *s, uint32_t *tid,
		       const struct zt_l7_sink *sink)
{
	static uint8_t buf[FILLER_MAX];
	struct zt_chunk_meta m = { .tid = (*tid)++ };
	size_t n = 1 + rng() % FILLER_MAX;

	memset(buf, s->off ? s->p[s->off - 1] : 'a', n);
	return fuzz_parser->feed(conn, s->dir, buf, n, &m, sink);
}

/* Pass 1: random interleaving, chunking, gaps and fillers. */
static void run_random(struct stream st[2], bool gaps, bool fillers)
{
	struct run run = { 0 };
	const struct zt_l7_sink sink = { .emit = emit, .ctx = &run };
	void *conn = fuzz_parser->create();
	struct zt_chunk_meta m = { 0 };
	uint32_t tid = 1;

	if (!conn)
		return;
	while (st[0].off < st[0].len || st[1].off < st[1].len) {
		struct stream *s = &st[rng() & 1];
		size_t n;
		int rc;

		if (s->off == s->len)
			s = s == &st[0] ? &st[1] : &st[0];
		n = chunk_len(s->len - s->off);
		if (fillers && rng() % 16 == 0) {
			rc = feed_filler(conn, s, &tid, &sink);
		} else if (gaps && rng() % 64 == 0) {
			/* A gap that is not backed by input bytes. */
			m.tid = tid++;
			rc = fuzz_parser->feed(conn, s->dir, NULL, 1 + rng() % 4096, &m, &sink);
		} else {
			rc = feed_chunk(conn, s, n, gaps && rng() % 16 == 0, &tid, &sink);
		}
		if (rc < 0) {
			/* Malformed is sticky, whatever comes next. */
			if (fuzz_parser->feed(conn, s->dir, NULL, 1, &m, &sink) != -1 ||
			    fuzz_parser->feed(conn, !s->dir, s->p, s->len, &m, &sink) != -1)
				__builtin_trap();
			break;
		}
	}
	m.tid = tid;
	fuzz_parser->close(conn, &m, &sink);
	fuzz_parser->destroy(conn);
}

/* Passes 2 and 3: stream A then stream B, no gaps; cut at random or whole. */
static struct run run_ordered(struct stream st[2], bool split)
{
	struct run run = { 0 };
	const struct zt_l7_sink sink = { .emit = emit, .ctx = &run };
	void *conn = fuzz_parser->create();
	struct zt_chunk_meta m = { 0 };
	uint32_t tid = 1;
	int rc = 0;

	if (!conn)
		__builtin_trap();
	for (int i = 0; i < 2 && rc == 0; i++) {
		st[i].off = 0;
		while (st[i].off < st[i].len && rc == 0) {
			size_t left = st[i].len - st[i].off;

			rc = feed_chunk(conn, &st[i], split ? chunk_len(left) : left, false, &tid,
					&sink);
		}
	}
	m.tid = tid;
	fuzz_parser->close(conn, &m, &sink);
	fuzz_parser->destroy(conn);
	return run;
}

__attribute__((weak)) int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t marker[4] = { 0, 'Z', 'T', 0 };
	struct stream st[2] = { 0 };
	const uint8_t *payload, *sep;
	size_t plen;
	bool gaps;

	if (size < CTL_LEN)
		return 0;
	gaps = data[0] & 2;
	rng_state = 0x9e3779b97f4a7c15ull;
	for (int i = 1; i < CTL_LEN; i++)
		rng_state = (rng_state ^ data[i]) * 0x100000001b3ull;
	if (!rng_state)
		rng_state = 1;
	payload = data + CTL_LEN;
	plen = size - CTL_LEN;
	sep = plen ? memmem(payload, plen, marker, sizeof(marker)) : NULL;
	st[0].p = payload;
	st[0].len = sep ? (size_t)(sep - payload) : plen;
	st[0].dir = data[0] & 1;
	st[1].p = sep ? sep + sizeof(marker) : payload + plen;
	st[1].len = sep ? plen - st[0].len - sizeof(marker) : 0;
	st[1].dir = !st[0].dir;

	for (int i = 0; i < 2; i++)
		if (fuzz_parser->detect(st[i].p, st[i].len, st[i].dir) > ZT_DETECT_YES)
			__builtin_trap();

	run_random(st, gaps, data[0] & 4);
	if (plen <= DIFF_MAX) {
		struct run a = run_ordered(st, true);
		struct run b = run_ordered(st, false);

		if (a.records != b.records || a.hash != b.hash)
			__builtin_trap();	/* chunking changed the parse */
	}
	return 0;
}
