/*
 * HTTP/2 parser: framing, records, gRPC, splitting, gaps, mid-stream starts, limits,
 * malformed input; then real traffic captured with strace from nghttp/nghttpd, h2load and
 * python grpcio on loopback.
 */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "zt_l7.h"

#define MAX_RECS 1100
#define TP "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

static const struct zt_parser_ops *ops = &zt_http2_parser;

#include "l7_harness.h"

/* ---- frame and HPACK block builders ---- */

enum { T_DATA, T_HEADERS, T_PRIORITY, T_RST, T_SETTINGS, T_PUSH, T_PING, T_GOAWAY, T_WINDOW,
       T_CONT };

#define F_END_STREAM 0x1
#define F_ACK 0x1
#define F_END_HEADERS 0x4
#define F_PADDED 0x8
#define F_PRIORITY 0x20

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define WIRE_MAX (300 * 1024)

struct wire {
	uint8_t b[WIRE_MAX];
	size_t n;
};

static struct wire wa, wb;	/* client's and server's bytes */
static struct wire blk;		/* an HPACK block being built */

static void put(struct wire *w, const void *p, size_t n)
{
	assert_true(w->n + n <= sizeof(w->b));
	if (n)
		memcpy(w->b + w->n, p, n);	/* p may be NULL for an empty payload */
	w->n += n;
}

static void put8(struct wire *w, uint8_t v)
{
	put(w, &v, 1);
}

static void frame(struct wire *w, uint8_t type, uint8_t flags, uint32_t sid, const void *p,
		  size_t n)
{
	uint8_t h[9] = { n >> 16, n >> 8, n, type, flags, sid >> 24, sid >> 16, sid >> 8, sid };

	put(w, h, sizeof(h));
	put(w, p, n);
}

static void frame_u32(struct wire *w, uint8_t type, uint32_t sid, uint32_t v)
{
	uint8_t p[4] = { v >> 24, v >> 16, v >> 8, v };

	frame(w, type, 0, sid, p, 4);
}

static void goaway(struct wire *w, uint32_t last, uint32_t code)
{
	uint8_t p[8] = { last >> 24, last >> 16, last >> 8, last, code >> 24, code >> 16,
			 code >> 8, code };

	frame(w, T_GOAWAY, 0, 0, p, sizeof(p));
}

/* Client preface and an empty SETTINGS. */
static void client_start(struct wire *w)
{
	put(w, PREFACE, 24);
	frame(w, T_SETTINGS, 0, 0, NULL, 0);
}

/* Server SETTINGS (max concurrent streams 100) and its ACK of the client's. */
static void server_start(struct wire *w)
{
	static const uint8_t s[6] = { 0, 3, 0, 0, 0, 100 };

	frame(w, T_SETTINGS, 0, 0, s, sizeof(s));
	frame(w, T_SETTINGS, F_ACK, 0, NULL, 0);
}

/* HPACK integer with an n-bit prefix (RFC 7541 5.1). */
static void hp_int(struct wire *h, uint8_t first, int bits, size_t v)
{
	size_t max = (1u << bits) - 1;

	if (v < max) {
		put8(h, first | (uint8_t)v);
		return;
	}
	put8(h, first | (uint8_t)max);
	for (v -= max; v >= 128; v >>= 7)
		put8(h, (uint8_t)(v % 128 + 128));
	put8(h, (uint8_t)v);
}

static void hp_str(struct wire *h, const char *s)
{
	hp_int(h, 0, 7, strlen(s));
	put(h, s, strlen(s));
}

/* Indexed field (static table: 2 GET, 3 POST, 6 :scheme http, 8 :status 200, 13 404). */
static void hp_indexed(struct wire *h, unsigned idx)
{
	hp_int(h, 0x80, 7, idx);
}

/* Literal without indexing, name from the static table (1 :authority, 4 :path, 8 :status, 31
 * content-type, 58 user-agent). */
static void hp_name(struct wire *h, unsigned idx, const char *value)
{
	hp_int(h, 0x00, 4, idx);
	hp_str(h, value);
}

/* Literal without indexing, literal name. */
static void hp_lit(struct wire *h, const char *name, const char *value)
{
	put8(h, 0x00);
	hp_str(h, name);
	hp_str(h, value);
}

/* Literal with incremental indexing (adds a dynamic entry), literal name. */
static void hp_lit_indexed(struct wire *h, const char *name, const char *value)
{
	put8(h, 0x40);
	hp_str(h, name);
	hp_str(h, value);
}

static void req_block(const char *method, const char *path)
{
	blk.n = 0;
	if (!strcmp(method, "GET"))
		hp_indexed(&blk, 2);
	else if (!strcmp(method, "POST"))
		hp_indexed(&blk, 3);
	else
		hp_name(&blk, 2, method);
	hp_indexed(&blk, 6);
	hp_name(&blk, 4, path);
	hp_name(&blk, 1, "example.com");
}

static void grpc_req_block(const char *path)
{
	req_block("POST", path);
	hp_name(&blk, 31, "application/grpc");
	hp_lit(&blk, "te", "trailers");
	hp_name(&blk, 58, "grpc-python/1.51.1");
}

static void resp_block(int status)
{
	char s[8];

	blk.n = 0;
	if (status == 200) {
		hp_indexed(&blk, 8);
	} else if (status == 404) {
		hp_indexed(&blk, 13);
	} else {
		snprintf(s, sizeof(s), "%d", status);
		hp_name(&blk, 8, s);
	}
}

static void headers(struct wire *w, uint32_t sid, uint8_t flags)
{
	frame(w, T_HEADERS, flags | F_END_HEADERS, sid, blk.b, blk.n);
}

static void data(struct wire *w, uint32_t sid, uint8_t flags, const char *s, size_t n)
{
	frame(w, T_DATA, flags, sid, s, n);
}

/* A gRPC message: flag byte, 32-bit length, payload. */
static size_t grpc_msg(char *out, const char *payload)
{
	size_t n = strlen(payload);

	out[0] = 0;
	out[1] = (char)(n >> 24);
	out[2] = (char)(n >> 16);
	out[3] = (char)(n >> 8);
	out[4] = (char)n;
	memcpy(out + 5, payload, n);
	return n + 5;
}

static void wires_reset(void)
{
	wa.n = wb.n = 0;
}

static int feedw(int dir, const struct wire *w, uint32_t tid)
{
	return feedn(dir, w->b, w->n, tid);
}

static struct zt_l7_record *find_rec(uint32_t sid)
{
	for (int i = 0; i < nrec; i++)
		if (recs[i].stream_id == sid)
			return &recs[i];
	fail_msg("no record for stream %u", sid);
	return NULL;
}

/* ---- detect ---- */

static void test_detect(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		enum zt_detect want;
	} cases[] = {
		{ PREFACE, 24, ZT_DETECT_YES },
		{ PREFACE "\x00\x00\x00\x04\x00\x00\x00\x00\x00", 33, ZT_DETECT_YES },
		{ "PRI * HTTP/2.0\r\n", 16, ZT_DETECT_MAYBE },
		{ "P", 1, ZT_DETECT_MAYBE },
		{ "", 0, ZT_DETECT_MAYBE },
		/* Server preface: SETTINGS, stream 0, 6 bytes per setting. */
		{ "\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64", 15,
		  ZT_DETECT_YES },
		{ "\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9, ZT_DETECT_YES },
		{ "\x00\x00\x18\x04\x00\x00\x00", 7, ZT_DETECT_MAYBE },
		{ "\x00", 1, ZT_DETECT_MAYBE },
		{ "\x00\x00\x07\x04\x00\x00\x00\x00\x00", 9, ZT_DETECT_NO },	/* length */
		{ "\x00\x00\x00\x04\x01\x00\x00\x00\x00", 9, ZT_DETECT_NO },	/* an ACK */
		{ "\x00\x00\x06\x04\x00\x00\x00\x00\x01", 9, ZT_DETECT_NO },	/* stream 1 */
		{ "\x00\x00\x06\x01\x04\x00\x00\x00\x01", 9, ZT_DETECT_NO },	/* HEADERS */
		{ "\x00\x40\x02\x04\x00\x00\x00\x00\x00", 9, ZT_DETECT_NO },	/* > 16384 */
		{ "GET / HTTP/1.1\r\n", 16, ZT_DETECT_NO },
		{ "HTTP/1.1 200 OK\r\n", 17, ZT_DETECT_NO },
		{ "PRI * HTTP/1.1\r\n", 16, ZT_DETECT_NO },
		{ "\x16\x03\x01\x02\x00", 5, ZT_DETECT_NO },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int dir = 0; dir < 2; dir++) {
			enum zt_detect got = ops->detect((const uint8_t *)cases[i].s,
							 cases[i].len, dir);

			if (got != cases[i].want)
				fail_msg("case %zu: detect = %d, want %d", i, got, cases[i].want);
		}
	}
	assert_int_equal(ops->detect(NULL, 10, EG), ZT_DETECT_NO);
	assert_string_equal(ops->name, "http2");
	assert_int_equal(ops->proto, ZT_L7_HTTP2);
}

/* ---- a simple exchange ---- */

/* GET on stream 1 with the request-only fields; 200 with a 5-byte body. */
static void build_get(void)
{
	wires_reset();
	client_start(&wa);
	req_block("GET", "/index.html?q=1");
	hp_name(&blk, 58, "curl/8.0");
	hp_lit(&blk, "traceparent", TP);
	hp_lit(&blk, "tracestate", "rojo=00f067aa0ba902b7");
	hp_lit(&blk, "tracestate", "congo=t61rcWkgMzE");
	hp_lit(&blk, "host", "ignored.example");
	headers(&wa, 1, F_END_STREAM);
	server_start(&wb);
	resp_block(200);
	hp_name(&blk, 31, "text/plain");
	headers(&wb, 1, 0);
	data(&wb, 1, F_END_STREAM, "hello", 5);
}

static void check_get(const struct zt_l7_record *r)
{
	assert_int_equal(r->proto, ZT_L7_HTTP2);
	assert_int_equal(r->req_dir, EG);
	assert_true(r->has_response);
	assert_string_equal(r->version, "2");
	assert_int_equal(r->stream_id, 1);
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->target, "/index.html?q=1");
	assert_false(r->target_truncated);
	assert_string_equal(r->host, "example.com");
	assert_string_equal(r->user_agent, "curl/8.0");
	assert_string_equal(r->traceparent, TP);
	assert_string_equal(r->tracestate, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
	assert_int_equal(r->status, 200);
	assert_int_equal(r->req_body_bytes, 0);
	assert_int_equal(r->resp_body_bytes, 5);
	assert_int_equal(r->req_pos, 24 + 9);
	assert_false(r->grpc);
	assert_false(r->h2_reset);
	assert_false(r->headers_partial);
	assert_int_equal(r->grpc_status, -1);
	assert_int_equal(r->h2_error, 0);
}

static void test_get(void **state)
{
	(void)state;
	build_get();
	assert_int_equal(feedw(EG, &wa, 1), 0);
	assert_int_equal(nrec, 0);
	assert_int_equal(nheads, 1);
	assert_string_equal(last_head_target, "/index.html?q=1");
	assert_int_equal(feedw(IN, &wb, 2), 0);
	assert_int_equal(nrec, 1);
	check_get(&recs[0]);
	assert_int_equal(recs[0].req_first.tid, 1);
	assert_int_equal(recs[0].req_last.tid, 1);
	assert_int_equal(recs[0].resp_first.tid, 2);
	assert_int_equal(recs[0].resp_last.tid, 2);
	assert_int_equal(recs[0].resp_last.ts_exit, 2007);
	close_conn(3);
	assert_int_equal(nrec, 1);
	assert_int_equal(STAT(records), 1);
	assert_int_equal(STAT(unanswered), 0);
	assert_int_equal(STAT(malformed), 0);
	assert_int_equal(STAT(partial_state), 0);
}

/* Every two-way cut of both directions, then one byte per chunk: the same record. */
static void test_get_every_split(void **state)
{
	(void)state;
	build_get();
	for (size_t i = 1; i < wa.n; i++) {
		size_t j = 1 + i % (wb.n - 1);

		reset();
		assert_int_equal(feedn(EG, wa.b, i, 1), 0);
		assert_int_equal(feedn(EG, wa.b + i, wa.n - i, 2), 0);
		assert_int_equal(feedn(IN, wb.b, j, 3), 0);
		assert_int_equal(nrec, 0);
		assert_int_equal(feedn(IN, wb.b + j, wb.n - j, 4), 0);
		assert_int_equal(nrec, 1);
		check_get(&recs[0]);
		assert_int_equal(recs[0].req_first.tid, i <= 33 ? 2 : 1);
		assert_int_equal(recs[0].req_last.tid, 2);
		assert_int_equal(recs[0].resp_first.tid, j <= 15 + 9 ? 4 : 3);
		assert_int_equal(recs[0].resp_last.tid, 4);
	}
	reset();
	feed_split(EG, (const char *)wa.b, wa.n, 1, 1);
	feed_split(IN, (const char *)wb.b, wb.n, 1, 1000);
	assert_int_equal(nrec, 1);
	check_get(&recs[0]);
	assert_int_equal(recs[0].req_first.tid, 34);
	assert_int_equal(recs[0].req_last.tid, wa.n);
	assert_int_equal(recs[0].resp_first.tid, 1000 + 24);
	assert_int_equal(recs[0].resp_last.tid, 1000 + wb.n - 1);
	assert_int_equal(STAT(malformed), 0);
}

/* The traced process is the server: the preface comes in. */
static void test_server_side(void **state)
{
	(void)state;
	build_get();
	assert_int_equal(feedw(IN, &wa, 1), 0);
	assert_int_equal(nheads, 1);
	assert_int_equal(feedw(EG, &wb, 2), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(recs[0].req_dir, IN);
	assert_int_equal(recs[0].req_first.tid, 1);
	assert_int_equal(recs[0].resp_last.tid, 2);
	assert_string_equal(recs[0].target, "/index.html?q=1");
	/* The server's SETTINGS may be written before the preface is read. */
	reset();
	assert_int_equal(feedn(EG, wb.b, 15, 1), 0);
	assert_int_equal(feedw(IN, &wa, 2), 0);
	assert_int_equal(feedn(EG, wb.b + 15, wb.n - 15, 3), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(recs[0].req_dir, IN);
	assert_int_equal(recs[0].status, 200);
	assert_int_equal(STAT(malformed), 0);
}

/* ---- frame features ---- */

/* HEADERS with PADDED and PRIORITY, padded DATA, a 204 with END_STREAM on its HEADERS. */
static void test_post_padding_priority(void **state)
{
	uint8_t p[512];
	size_t n = 0;

	(void)state;
	wires_reset();
	client_start(&wa);
	req_block("POST", "/upload");
	p[n++] = 7;				/* pad length */
	memcpy(p + n, "\x80\x00\x00\x03\x0f", 5);	/* exclusive on 3, weight 16 */
	n += 5;
	memcpy(p + n, blk.b, blk.n);
	n += blk.n;
	memset(p + n, 0, 7);
	n += 7;
	frame(&wa, T_HEADERS, F_END_HEADERS | F_PADDED | F_PRIORITY, 1, p, n);
	assert_int_equal(feedw(EG, &wa, 1), 0);
	assert_int_equal(nheads, 1);
	wa.n = 0;
	frame(&wa, T_DATA, F_PADDED, 1, "\x0a" "abc\0\0\0\0\0\0\0\0\0\0", 14);
	assert_int_equal(feedw(EG, &wa, 2), 0);
	wa.n = 0;
	frame(&wa, T_DATA, F_PADDED | F_END_STREAM, 1, "\x00" "de", 3);
	assert_int_equal(feedw(EG, &wa, 3), 0);

	server_start(&wb);
	resp_block(204);
	n = 0;
	p[n++] = 3;
	memcpy(p + n, blk.b, blk.n);
	n += blk.n;
	memcpy(p + n, "\0\0\0", 3);
	n += 3;
	frame(&wb, T_HEADERS, F_END_HEADERS | F_PADDED | F_END_STREAM, 1, p, n);
	assert_int_equal(feedw(IN, &wb, 4), 0);
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].method, "POST");
	assert_string_equal(recs[0].target, "/upload");
	assert_int_equal(recs[0].status, 204);
	assert_int_equal(recs[0].req_body_bytes, 5);
	assert_int_equal(recs[0].resp_body_bytes, 0);
	assert_int_equal(recs[0].req_first.tid, 1);
	assert_int_equal(recs[0].req_last.tid, 3);
	assert_int_equal(recs[0].resp_first.tid, 4);
	assert_int_equal(STAT(malformed), 0);
}

/* A request block in HEADERS + 2 CONTINUATION, server frames in between. */
static void test_continuation(void **state)
{
	char ua[300];

	(void)state;
	wires_reset();
	client_start(&wa);
	memset(ua, 'u', sizeof(ua) - 1);
	ua[sizeof(ua) - 1] = '\0';
	req_block("GET", "/cont");
	hp_name(&blk, 58, ua);
	hp_lit(&blk, "traceparent", TP);
	assert_true(blk.n > 330);
	frame(&wa, T_HEADERS, F_END_STREAM, 3, blk.b, 100);
	assert_int_equal(feedw(EG, &wa, 1), 0);
	server_start(&wb);
	assert_int_equal(feedw(IN, &wb, 2), 0);
	wa.n = 0;
	frame(&wa, T_CONT, 0, 3, blk.b + 100, 200);
	assert_int_equal(feedw(EG, &wa, 3), 0);
	assert_int_equal(nheads, 0);
	wa.n = 0;
	frame(&wa, T_CONT, F_END_HEADERS, 3, blk.b + 300, blk.n - 300);
	assert_int_equal(feedw(EG, &wa, 4), 0);
	assert_int_equal(nheads, 1);
	wb.n = 0;
	resp_block(200);
	headers(&wb, 3, F_END_STREAM);
	assert_int_equal(feedw(IN, &wb, 5), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(recs[0].stream_id, 3);
	assert_string_equal(recs[0].target, "/cont");
	assert_string_equal(recs[0].user_agent, ua + (sizeof(ua) - ZT_L7_UA_MAX));
	assert_string_equal(recs[0].traceparent, TP);
	assert_int_equal(recs[0].req_first.tid, 1);
	assert_int_equal(recs[0].req_last.tid, 4);
	assert_int_equal(STAT(malformed), 0);
}

/* Three streams answered out of order; records come as streams complete. */
static void test_concurrent_out_of_order(void **state)
{
	static const char *const paths[] = { "/one", "/three", "/five" };

	(void)state;
	wires_reset();
	client_start(&wa);
	for (int i = 0; i < 3; i++) {
		req_block("GET", paths[i]);
		headers(&wa, 2 * i + 1, F_END_STREAM);
	}
	assert_int_equal(feedw(EG, &wa, 1), 0);
	assert_int_equal(nheads, 3);
	server_start(&wb);
	resp_block(200);
	headers(&wb, 1, 0);
	resp_block(404);
	headers(&wb, 5, 0);
	resp_block(503);
	headers(&wb, 3, 0);
	data(&wb, 1, 0, "11", 2);
	data(&wb, 5, F_END_STREAM, "555", 3);
	data(&wb, 3, F_END_STREAM, "", 0);
	assert_int_equal(feedw(IN, &wb, 2), 0);
	assert_int_equal(nrec, 2);
	assert_int_equal(recs[0].stream_id, 5);
	assert_int_equal(recs[1].stream_id, 3);
	wb.n = 0;
	data(&wb, 1, F_END_STREAM, "1", 1);
	assert_int_equal(feedw(IN, &wb, 3), 0);
	assert_int_equal(nrec, 3);
	assert_string_equal(find_rec(1)->target, "/one");
	assert_int_equal(find_rec(1)->status, 200);
	assert_int_equal(find_rec(1)->resp_body_bytes, 3);
	assert_int_equal(find_rec(1)->resp_last.tid, 3);
	assert_string_equal(find_rec(3)->target, "/three");
	assert_int_equal(find_rec(3)->status, 503);
	assert_string_equal(find_rec(5)->target, "/five");
	assert_int_equal(find_rec(5)->status, 404);
	assert_int_equal(find_rec(5)->resp_body_bytes, 3);
	assert_int_equal(find_rec(5)->req_pos, 24 + 9 + (9 + 21) + (9 + 23));
}

/* 100 Continue and 103 Early Hints come before the real response. */
static void test_interim_1xx(void **state)
{
	(void)state;
	wires_reset();
	client_start(&wa);
	req_block("PUT", "/big");
	hp_lit(&blk, "expect", "100-continue");
	headers(&wa, 1, 0);
	assert_int_equal(feedw(EG, &wa, 1), 0);
	server_start(&wb);
	resp_block(100);
	headers(&wb, 1, 0);
	assert_int_equal(feedw(IN, &wb, 2), 0);
	wa.n = 0;
	data(&wa, 1, F_END_STREAM, "0123456789", 10);
	assert_int_equal(feedw(EG, &wa, 3), 0);
	wb.n = 0;
	resp_block(103);
	headers(&wb, 1, 0);
	resp_block(201);
	headers(&wb, 1, F_END_STREAM);
	assert_int_equal(feedw(IN, &wb, 4), 0);
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].method, "PUT");
	assert_int_equal(recs[0].status, 201);
	assert_int_equal(recs[0].req_body_bytes, 10);
	assert_int_equal(recs[0].resp_first.tid, 4);
	assert_int_equal(recs[0].req_last.tid, 3);
}

/* ---- stream ends: RST_STREAM, GOAWAY, close ---- */

static void test_rst_stream(void **state)
{
	(void)state;
	wires_reset();
	client_start(&wa);
	req_block("GET", "/refused");
	headers(&wa, 1, F_END_STREAM);
	req_block("GET", "/cancelled");
	headers(&wa, 3, F_END_STREAM);
	assert_int_equal(feedw(EG, &wa, 1), 0);
	server_start(&wb);
	frame_u32(&wb, T_RST, 1, 7);	/* REFUSED_STREAM */
	resp_block(200);
	headers(&wb, 3, 0);
	data(&wb, 3, 0, "part", 4);
	assert_int_equal(feedw(IN, &wb, 2), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(recs[0].stream_id, 1);
	assert_false(recs[0].has_response);
	assert_true(recs[0].h2_reset);
	assert_int_equal(recs[0].h2_error, 7);
	assert_int_equal(recs[0].status, 0);
	wa.n = 0;
	frame_u32(&wa, T_RST, 3, 8);	/* CANCEL by the client */
	assert_int_equal(feedw(EG, &wa, 3), 0);
	assert_int_equal(nrec, 2);
	assert_int_equal(recs[1].stream_id, 3);
	assert_true(recs[1].has_response);
	assert_int_equal(recs[1].status, 200);
	assert_int_equal(recs[1].resp_body_bytes, 4);
	assert_true(recs[1].h2_reset);
	assert_int_equal(recs[1].h2_error, 8);
	/* Late frames of a reset stream are ignored. */
	wb.n = 0;
	data(&wb, 3, F_END_STREAM, "rest", 4);
	frame_u32(&wb, T_RST, 3, 5);
	assert_int_equal(feedw(IN, &wb, 4), 0);
	close_conn(5);
	assert_int_equal(nrec, 2);
	assert_int_equal(STAT(unanswered), 0);
	assert_int_equal(STAT(malformed), 0);
}

static void test_goaway(void **state)
{
	(void)state;
	wires_reset();
	client_start(&wa);
	for (uint32_t sid = 1; sid <= 7; sid += 2) {
		req_block("GET", "/g");
		headers(&wa, sid, F_END_STREAM);
	}
	/* The client's GOAWAY is about server streams: nothing ends. */
	goaway(&wa, 0, 0);
	assert_int_equal(feedw(EG, &wa, 1), 0);
	server_start(&wb);
	goaway(&wb, 3, 2);	/* INTERNAL_ERROR, streams 5 and 7 not processed */
	assert_int_equal(feedw(IN, &wb, 2), 0);
	assert_int_equal(nrec, 2);
	assert_int_equal(recs[0].stream_id, 7);
	assert_int_equal(recs[1].stream_id, 5);
	for (int i = 0; i < 2; i++) {
		assert_true(recs[i].h2_reset);
		assert_int_equal(recs[i].h2_error, 2);
		assert_false(recs[i].has_response);
	}
	wb.n = 0;
	resp_block(200);
	headers(&wb, 1, F_END_STREAM);
	headers(&wb, 3, F_END_STREAM);
	assert_int_equal(feedw(IN, &wb, 3), 0);
	assert_int_equal(nrec, 4);
	assert_int_equal(recs[2].stream_id, 1);
	assert_int_equal(recs[3].stream_id, 3);
	assert_false(recs[3].h2_reset);
	assert_int_equal(recs[3].status, 200);
	assert_int_equal(STAT(unanswered), 0);
}

/* At close: no response = unanswered; a response that did not end = reset. */
static void test_close_flush(void **state)
{
	(void)state;
	wires_reset();
	client_start(&wa);
	req_block("GET", "/none");
	headers(&wa, 1, F_END_STREAM);
	req_block("GET", "/half");
	headers(&wa, 3, F_END_STREAM);
	req_block("POST", "/streaming");
	headers(&wa, 5, 0);
	data(&wa, 5, 0, "x", 1);
	assert_int_equal(feedw(EG, &wa, 1), 0);
	server_start(&wb);
	resp_block(200);
	headers(&wb, 3, 0);
	data(&wb, 3, 0, "partial", 7);
	resp_block(200);
	headers(&wb, 5, F_END_STREAM);
	assert_int_equal(feedw(IN, &wb, 2), 0);
	assert_int_equal(nrec, 0);
	close_conn(3);
	assert_int_equal(nrec, 3);
	assert_int_equal(recs[0].stream_id, 1);
	assert_false(recs[0].has_response);
	assert_true(recs[0].h2_reset);
	assert_int_equal(recs[1].stream_id, 3);
	assert_true(recs[1].has_response);
	assert_true(recs[1].h2_reset);
	assert_int_equal(recs[1].resp_body_bytes, 7);
	assert_int_equal(recs[2].stream_id, 5);
	assert_true(recs[2].has_response);
	assert_false(recs[2].h2_reset);
	assert_int_equal(recs[2].req_body_bytes, 1);
	assert_int_equal(STAT(unanswered), 1);
	assert_int_equal(STAT(records), 3);
	/* Nothing more after close. */
	assert_int_equal(feedw(EG, &wa, 4), 0);
	close_conn(5);
	assert_int_equal(nrec, 3);
}

/* ---- gRPC ---- */

static void test_grpc_unary_messages(void **state)
{
	char m[256], two[256];
	size_t n, n2;

	(void)state;
	wires_reset();
	client_start(&wa);
	grpc_req_block("/demo.Echo/Say");
	hp_lit(&blk, "grpc-timeout", "5S");
	headers(&wa, 1, 0);
	/* One message over three DATA frames, the prefix itself split. */
	n = grpc_msg(m, "\x0a\x05world-and-more");
	data(&wa, 1, 0, m, 3);
	data(&wa, 1, 0, m + 3, 6);
	data(&wa, 1, F_END_STREAM, m + 9, n - 9);
	assert_int_equal(feedw(EG, &wa, 1), 0);
	server_start(&wb);
	resp_block(200);
	hp_name(&blk, 31, "application/grpc+proto");
	headers(&wb, 1, 0);
	/* Two messages and an empty one in one frame. */
	n2 = grpc_msg(two, "\x0a\x03" "abc");
	n2 += grpc_msg(two + n2, "\x0a\x01z");
	n2 += grpc_msg(two + n2, "");
	data(&wb, 1, 0, two, n2);
	blk.n = 0;
	hp_lit(&blk, "grpc-status", "0");
	headers(&wb, 1, F_END_STREAM);
	assert_int_equal(feedw(IN, &wb, 2), 0);
	assert_int_equal(nrec, 1);
	assert_true(recs[0].grpc);
	assert_string_equal(recs[0].target, "/demo.Echo/Say");
	assert_string_equal(recs[0].user_agent, "grpc-python/1.51.1");
	assert_int_equal(recs[0].req_messages, 1);
	assert_int_equal(recs[0].resp_messages, 3);
	assert_int_equal(recs[0].grpc_status, 0);
	assert_string_equal(recs[0].grpc_message, "");
	assert_int_equal(recs[0].req_body_bytes, n);
	assert_int_equal(recs[0].resp_body_bytes, n2);
	/* Byte by byte, the counts hold across every frame boundary. */
	reset();
	feed_split(EG, (const char *)wa.b, wa.n, 1, 1);
	feed_split(IN, (const char *)wb.b, wb.n, 1, 1000);
	assert_int_equal(nrec, 1);
	assert_int_equal(recs[0].req_messages, 1);
	assert_int_equal(recs[0].resp_messages, 3);
}

/* Trailers-Only: one HEADERS with :status, grpc-status, grpc-message and END_STREAM. */
static void test_grpc_trailers_only(void **state)
{
	(void)state;
	wires_reset();
	client_start(&wa);
	grpc_req_block("/demo.Echo/Say");
	headers(&wa, 1, 0);
	data(&wa, 1, F_END_STREAM, "\0\0\0\0\0", 5);
	assert_int_equal(feedw(EG, &wa, 1), 0);
	server_start(&wb);
	resp_block(200);
	hp_name(&blk, 31, "application/grpc");
	hp_lit(&blk, "grpc-status", "5");
	hp_lit(&blk, "grpc-message", "no such name: caf%C3%A9 100%25 %FF%0A");
	headers(&wb, 1, F_END_STREAM);
	assert_int_equal(feedw(IN, &wb, 2), 0);
	assert_int_equal(nrec, 1);
	assert_true(recs[0].grpc);
	assert_int_equal(recs[0].status, 200);
	assert_int_equal(recs[0].grpc_status, 5);
	/* Valid UTF-8 kept, an invalid byte and a control character replaced. */
	assert_string_equal(recs[0].grpc_message, "no such name: caf\xc3\xa9 100% ??");
	assert_int_equal(recs[0].req_messages, 1);
	assert_int_equal(recs[0].resp_messages, 0);
	assert_int_equal(recs[0].resp_first.tid, 2);
	assert_int_equal(recs[0].resp_last.tid, 2);
}

/* ---- gaps and mid-stream starts ---- */

/* A gap inside a DATA payload keeps framing; the stream's message count stops there. */
static void test_gap_inside_data(void **state)
{
	char m[64];
	size_t n;

	(void)state;
	wires_reset();
	client_start(&wa);
	grpc_req_block("/demo.Echo/Count");
	headers(&wa, 1, F_END_STREAM);
	assert_int_equal(feedw(EG, &wa, 1), 0);
	server_start(&wb);
	resp_block(200);
	hp_name(&blk, 31, "application/grpc");
	headers(&wb, 1, 0);
	n = grpc_msg(m, "0123456789");
	data(&wb, 1, 0, m, n);
	assert_int_equal(feedw(IN, &wb, 2), 0);
	/* The next DATA frame: header and 3 bytes seen, 10 lost, 2 seen. */
	wb.n = 0;
	data(&wb, 1, 0, m, n);
	assert_int_equal(feedn(IN, wb.b, 12, 3), 0);
	assert_int_equal(gap(IN, 10, 4), 0);
	assert_int_equal(feedn(IN, wb.b + 22, 2, 5), 0);
	wb.n = 0;
	data(&wb, 1, 0, m, n);
	blk.n = 0;
	hp_lit(&blk, "grpc-status", "0");
	headers(&wb, 1, F_END_STREAM);
	assert_int_equal(feedw(IN, &wb, 6), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(recs[0].resp_body_bytes, 3 * n);
	assert_int_equal(recs[0].resp_messages, 1);	/* counted before the gap only */
	assert_int_equal(recs[0].grpc_status, 0);
	assert_false(recs[0].headers_partial);
	assert_int_equal(STAT(gaps), 1);
	assert_int_equal(STAT(resyncs), 0);
}

/*
 * A gap across frame boundaries: the direction hunts for the next frame start, and its
 * HPACK table is unknown from then on.
 */
static void test_gap_loses_framing(void **state)
{
	(void)state;
	wires_reset();
	client_start(&wa);
	req_block("GET", "/before");
	headers(&wa, 1, F_END_STREAM);
	assert_int_equal(feedw(EG, &wa, 1), 0);
	assert_int_equal(gap(EG, 100, 2), 0);
	/* Resumes in the middle of a frame: 5 stray bytes, then frames. */
	wa.n = 0;
	put(&wa, "\x11\x22\x33\x44\x55", 5);
	req_block("GET", "/after");
	put8(&blk, 0xbe);	/* dynamic entry 62, lost with the gap */
	headers(&wa, 5, F_END_STREAM);
	frame(&wa, T_PING, 0, 0, "12345678", 8);
	assert_int_equal(feedw(EG, &wa, 3), 0);
	assert_int_equal(STAT(resyncs), 1);
	server_start(&wb);
	resp_block(200);
	headers(&wb, 1, F_END_STREAM);
	headers(&wb, 5, F_END_STREAM);
	assert_int_equal(feedw(IN, &wb, 4), 0);
	assert_int_equal(nrec, 2);
	assert_false(recs[0].headers_partial);
	assert_string_equal(recs[1].target, "/after");
	assert_string_equal(recs[1].method, "GET");
	assert_true(recs[1].headers_partial);
	assert_int_equal(STAT(partial_state), 1);
	assert_int_equal(STAT(gaps), 1);
	assert_int_equal(STAT(malformed), 0);
}

/* A gap inside a request's header block: that stream is given up, not guessed. */
static void test_gap_inside_header_block(void **state)
{
	(void)state;
	wires_reset();
	client_start(&wa);
	req_block("GET", "/lost-in-gap");
	headers(&wa, 1, F_END_STREAM);
	assert_int_equal(feedn(EG, wa.b, wa.n - 6, 1), 0);
	assert_int_equal(gap(EG, 6, 2), 0);
	wa.n = 0;
	req_block("GET", "/next");
	headers(&wa, 3, F_END_STREAM);
	assert_int_equal(feedw(EG, &wa, 3), 0);
	server_start(&wb);
	resp_block(200);
	headers(&wb, 1, F_END_STREAM);
	headers(&wb, 3, F_END_STREAM);
	assert_int_equal(feedw(IN, &wb, 4), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(recs[0].stream_id, 3);
	assert_string_equal(recs[0].target, "/next");
	/* The table is unknown now, but this block needs none of it. */
	assert_false(recs[0].headers_partial);
	assert_int_equal(STAT(resyncs), 0);
}

/*
 * Joined in the middle of a connection: both directions start inside frames; roles come
 * from :method; blocks that use dynamic entries never seen say so.
 */
static void test_mid_stream_start(void **state)
{
	char junk[40];

	(void)state;
	wires_reset();
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(0x61 + i % 26);
	/* Client: the tail of a DATA payload, a WINDOW_UPDATE, then requests. */
	put(&wa, junk, sizeof(junk));
	frame_u32(&wa, T_WINDOW, 0, 65535);
	req_block("GET", "/mid");
	put8(&blk, 0xbf);	/* dynamic entry 63: unknown */
	hp_lit(&blk, "traceparent", TP);
	headers(&wa, 41, F_END_STREAM);
	req_block("GET", "/late");
	headers(&wa, 43, F_END_STREAM);
	frame(&wa, T_PING, 0, 0, "abcdefgh", 8);
	assert_int_equal(feedw(EG, &wa, 1), 0);
	assert_int_equal(nheads, 2);
	/* Server: the tail of a response to an older stream (dropped), then ours. */
	put(&wb, junk, 7);
	resp_block(200);
	headers(&wb, 39, F_END_STREAM);
	resp_block(404);
	put8(&blk, 0xc0);
	headers(&wb, 41, 0);
	data(&wb, 41, F_END_STREAM, "nope", 4);
	assert_int_equal(feedw(IN, &wb, 2), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(recs[0].req_dir, EG);
	assert_int_equal(recs[0].stream_id, 41);
	assert_string_equal(recs[0].method, "GET");
	assert_string_equal(recs[0].target, "/mid");
	assert_string_equal(recs[0].traceparent, TP);
	assert_true(recs[0].headers_partial);
	assert_true(recs[0].has_response);
	assert_int_equal(recs[0].status, 404);
	assert_int_equal(recs[0].resp_body_bytes, 4);
	assert_false(recs[0].h2_reset);
	assert_int_equal(recs[0].req_first.tid, 1);
	/* After a gap, a lone frame is only confirmed when nothing follows it: at close. */
	assert_int_equal(gap(IN, 50, 3), 0);
	wb.n = 0;
	put(&wb, junk, 3);
	resp_block(200);
	headers(&wb, 43, F_END_STREAM);
	assert_int_equal(feedw(IN, &wb, 4), 0);
	assert_int_equal(nrec, 1);
	close_conn(5);
	assert_int_equal(nrec, 2);
	assert_int_equal(recs[1].stream_id, 43);
	assert_int_equal(recs[1].status, 200);
	assert_false(recs[1].h2_reset);
	assert_false(recs[1].headers_partial);
	assert_int_equal(STAT(partial_state), 1);
	assert_int_equal(STAT(resyncs), 3);
	assert_int_equal(STAT(gaps), 1);
	assert_int_equal(STAT(unanswered), 0);
	assert_int_equal(STAT(malformed), 0);
}

/* Roles from :status when the server's side is seen first, from the middle. */
static void test_mid_stream_roles_from_status(void **state)
{
	(void)state;
	wires_reset();
	frame_u32(&wb, T_WINDOW, 0, 1000);
	resp_block(200);
	headers(&wb, 7, 0);
	frame(&wb, T_PING, 0, 0, "abcdefgh", 8);
	assert_int_equal(feedw(EG, &wb, 1), 0);	/* we are the server */
	frame_u32(&wa, T_WINDOW, 0, 1000);
	req_block("GET", "/nine");
	headers(&wa, 9, F_END_STREAM);
	frame(&wa, T_PING, F_ACK, 0, "abcdefgh", 8);
	assert_int_equal(feedw(IN, &wa, 2), 0);
	assert_int_equal(nheads, 1);
	wb.n = 0;
	/* A table size the client allowed before we joined: not ours to refuse. */
	blk.n = 0;
	hp_int(&blk, 0x20, 5, 65536);
	hp_indexed(&blk, 8);
	headers(&wb, 9, F_END_STREAM);
	data(&wb, 7, F_END_STREAM, "x", 1);
	assert_int_equal(feedw(EG, &wb, 3), 0);
	close_conn(4);
	assert_int_equal(nrec, 1);
	assert_int_equal(recs[0].req_dir, IN);
	assert_int_equal(recs[0].stream_id, 9);
	assert_string_equal(recs[0].target, "/nine");
	assert_int_equal(recs[0].status, 200);
	assert_false(recs[0].headers_partial);	/* static entries and literals only */
}

/* Framing found by hunting may be wrong: a protocol error then means hunting again. */
static void test_error_after_resync_hunts_again(void **state)
{
	(void)state;
	wires_reset();
	put(&wa, "\x7f\x7f\x7f", 3);
	frame_u32(&wa, T_WINDOW, 0, 1000);
	req_block("GET", "/first");
	headers(&wa, 1, F_END_STREAM);
	frame(&wa, T_PING, 0, 0, "abcd", 4);	/* PING must carry 8 bytes */
	req_block("GET", "/second");
	headers(&wa, 3, F_END_STREAM);
	frame(&wa, T_PING, 0, 0, "abcdefgh", 8);
	assert_int_equal(feedw(EG, &wa, 1), 0);
	assert_int_equal(nheads, 2);
	server_start(&wb);
	resp_block(200);
	headers(&wb, 1, F_END_STREAM);
	headers(&wb, 3, F_END_STREAM);
	assert_int_equal(feedw(IN, &wb, 2), 0);
	assert_int_equal(nrec, 2);
	assert_string_equal(recs[0].target, "/first");
	assert_string_equal(recs[1].target, "/second");
	assert_int_equal(STAT(resyncs), 2);
	assert_int_equal(STAT(malformed), 0);
}

/* ---- limits and malformed input ---- */

/* A header block over 256 KiB is counted and its stream given up. */
static void test_block_too_large(void **state)
{
	static char big[8193];
	size_t off;

	(void)state;
	wires_reset();
	client_start(&wa);
	memset(big, 'v', sizeof(big) - 1);
	req_block("GET", "/huge");
	for (int i = 0; i < 34; i++)
		hp_lit(&blk, "x-filler", big);
	assert_true(blk.n > 256 * 1024);
	frame(&wa, T_HEADERS, 0, 1, blk.b, 16384);
	for (off = 16384; off < blk.n; off += 16384) {
		size_t n = blk.n - off < 16384 ? blk.n - off : 16384;

		frame(&wa, T_CONT, off + n == blk.n ? F_END_HEADERS : 0, 1, blk.b + off, n);
	}
	req_block("GET", "/small");
	headers(&wa, 3, F_END_STREAM);
	assert_int_equal(feedw(EG, &wa, 1), 0);
	assert_int_equal(STAT(heads_too_large), 1);
	assert_int_equal(nheads, 1);
	server_start(&wb);
	resp_block(431);
	headers(&wb, 1, F_END_STREAM);
	resp_block(200);
	headers(&wb, 3, F_END_STREAM);
	assert_int_equal(feedw(IN, &wb, 2), 0);
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].target, "/small");
	assert_false(recs[0].headers_partial);	/* static entries and literals only */
	assert_int_equal(STAT(malformed), 0);
}

/* Past 1024 concurrent streams the oldest are flushed as unanswered. */
static void test_stream_limit(void **state)
{
	(void)state;
	wires_reset();
	client_start(&wa);
	for (uint32_t i = 0; i < 1030; i++) {
		req_block("GET", "/many");
		headers(&wa, 2 * i + 1, 0);
	}
	assert_int_equal(feedw(EG, &wa, 1), 0);
	assert_int_equal(nheads, 1030);
	assert_int_equal(nrec, 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(recs[i].stream_id, 2 * i + 1);
		assert_false(recs[i].has_response);
	}
	assert_int_equal(STAT(unanswered), 6);
	/* Frames of dropped streams are ignored; tracked ones go on. */
	server_start(&wb);
	resp_block(200);
	headers(&wb, 1, F_END_STREAM);
	headers(&wb, 13, F_END_STREAM);
	assert_int_equal(feedw(IN, &wb, 2), 0);
	wa.n = 0;
	data(&wa, 13, F_END_STREAM, "", 0);
	assert_int_equal(feedw(EG, &wa, 3), 0);
	assert_int_equal(nrec, 7);
	assert_int_equal(recs[6].stream_id, 13);
	assert_int_equal(recs[6].status, 200);
	close_conn(4);
	assert_int_equal(nrec, 1030);
	assert_int_equal(STAT(unanswered), 6 + 1023);
}

/*
 * python grpcio's 500 unary calls in flight on one connection, as the traced server saw
 * them: the first request block adds seven dynamic entries, the others only refer to them
 * and end with the traceparent the kernel appends (a literal without indexing). Requests
 * arrive in reads of up to 8 KiB; after each read the calls it completed are answered,
 * newest first; the server's own first SETTINGS went out before its socket was traced, so
 * its bytes start at the SETTINGS ACK.
 */
#define GRPC_CALLS 500
#define GRPC_CAPTURE_MAX 16384	/* ZT_MAX_CAPTURE: bytes the kernel copies per syscall */

static size_t call_hdr[GRPC_CALLS][2];	/* each call's HEADERS frame in wa: start, end */
static size_t call_end[GRPC_CALLS];	/* and the end of its DATA */

static void build_grpc_concurrent(void)
{
	static const char *const name[] = { ":path", ":authority", "content-type", "te",
					     "grpc-accept-encoding", "grpc-timeout", "user-agent" };
	static const char *const value[] = { "/zt.shop.Shop/GetItem", "127.0.0.1:50551",
					      "application/grpc", "trailers",
					      "identity, deflate, gzip", "30100m",
					      "grpc-python/1.51.1 grpc-c/29.0.0 (linux; chttp2)" };
	char m[16], tp[64];
	size_t n;

	wires_reset();
	client_start(&wa);
	for (int i = 0; i < GRPC_CALLS; i++) {
		blk.n = 0;
		if (!i) {
			for (int k = 0; k < 7; k++) {
				hp_lit_indexed(&blk, name[k], value[k]);
				if (k == 1) {
					hp_indexed(&blk, 3);
					hp_indexed(&blk, 6);
				}
			}
		} else {
			/* c4 c3 83 86 c2 c1 c0 bf be, as grpc-c sends it */
			hp_indexed(&blk, 68);
			hp_indexed(&blk, 67);
			hp_indexed(&blk, 3);
			hp_indexed(&blk, 6);
			for (unsigned k = 66; k >= 62; k--)
				hp_indexed(&blk, k);
		}
		snprintf(tp, sizeof(tp), "00-%032x-%016x-01", i + 1, i + 1);
		hp_lit(&blk, "traceparent", tp);
		call_hdr[i][0] = wa.n;
		headers(&wa, 2 * i + 1, 0);
		call_hdr[i][1] = wa.n;
		n = grpc_msg(m, "\x08\xe8\x07");
		data(&wa, 2 * i + 1, F_END_STREAM, m, n);
		call_end[i] = wa.n;
	}
}

static void grpc_answer(struct wire *w, uint32_t sid, bool *table)
{
	char m[32];
	size_t n = grpc_msg(m, "\x08\xe8\x07\x12\x09item 1000");

	resp_block(200);
	if (*table) {
		hp_indexed(&blk, 62);
	} else {
		hp_lit_indexed(&blk, "content-type", "application/grpc");
		*table = true;
	}
	headers(w, sid, 0);
	data(w, sid, 0, m, n);
	blk.n = 0;
	hp_lit(&blk, "grpc-status", "0");
	headers(w, sid, F_END_STREAM);
}

/* Read number `cut` (-1: none) is cut_len bytes, of which the kernel captured 16 KiB. */
static void feed_grpc_concurrent(size_t rd, int cut, size_t cut_len)
{
	size_t off = 0, len, seen;
	uint32_t tid = 1;
	int answered = 0, done;
	bool table = false;

	wb.n = 0;
	frame(&wb, T_SETTINGS, F_ACK, 0, NULL, 0);
	assert_int_equal(feedw(EG, &wb, tid++), 0);
	for (int r = 0; off < wa.n; r++) {
		len = r == cut ? cut_len : rd;
		if (len > wa.n - off)
			len = wa.n - off;
		seen = r == cut && len > GRPC_CAPTURE_MAX ? GRPC_CAPTURE_MAX : len;
		assert_int_equal(feedn(IN, wa.b + off, seen, tid++), 0);
		if (seen < len)
			assert_int_equal(gap(IN, len - seen, tid++), 0);
		off += len;
		for (done = answered; done < GRPC_CALLS && call_end[done] <= off; done++)
			;
		wb.n = 0;
		for (int i = done - 1; i >= answered; i--)
			grpc_answer(&wb, 2 * i + 1, &table);
		answered = done;
		if (wb.n)
			assert_int_equal(feedw(EG, &wb, tid++), 0);
	}
	close_conn(tid);
}

static void test_grpc_500_concurrent_server_side(void **state)
{
	/* SIZE_MAX: every request read before the first answer, 500 streams open at once. */
	static const size_t reads[] = { 8192, 4096, 1000, 61, SIZE_MAX };
	bool seen[GRPC_CALLS];
	size_t gap_at, gap_end;
	int lost = 0;
	char tp[64];

	(void)state;
	build_grpc_concurrent();
	for (size_t k = 0; k < sizeof(reads) / sizeof(reads[0]); k++) {
		reset();
		feed_grpc_concurrent(reads[k], -1, 0);
		assert_int_equal(nrec, GRPC_CALLS);
		assert_int_equal(nheads, GRPC_CALLS);
		for (int i = 0; i < GRPC_CALLS; i++) {
			const struct zt_l7_record *r = find_rec(2 * i + 1);

			snprintf(tp, sizeof(tp), "00-%032x-%016x-01", i + 1, i + 1);
			assert_int_equal(r->req_dir, IN);
			assert_string_equal(r->method, "POST");
			assert_string_equal(r->target, "/zt.shop.Shop/GetItem");
			assert_string_equal(r->host, "127.0.0.1:50551");
			assert_string_equal(r->traceparent, tp);
			assert_true(r->grpc);
			assert_true(r->has_response);
			assert_false(r->h2_reset);
			assert_false(r->headers_partial);
			assert_int_equal(r->status, 200);
			assert_int_equal(r->grpc_status, 0);
			assert_int_equal(r->req_messages, 1);
			assert_int_equal(r->resp_messages, 1);
		}
		assert_int_equal(STAT(malformed), 0);
		assert_int_equal(STAT(unanswered), 0);
	}

	/*
	 * A 33595-byte read (as seen under the agent) of which the kernel captured 16 KiB:
	 * exactly the calls whose HEADERS fell in the 17211 lost bytes make no record. Those
	 * after the gap make one each, without the request's indexed fields (HPACK table lost).
	 */
	reset();
	feed_grpc_concurrent(8192, 2, 33595);
	gap_at = 2 * 8192 + GRPC_CAPTURE_MAX;
	gap_end = 2 * 8192 + 33595;
	memset(seen, 0, sizeof(seen));
	for (int r = 0; r < nrec; r++) {
		assert_true(recs[r].stream_id & 1);
		assert_true(recs[r].stream_id < 2 * GRPC_CALLS);
		seen[recs[r].stream_id / 2] = true;
	}
	for (int i = 0; i < GRPC_CALLS; i++) {
		bool in_gap = call_hdr[i][0] < gap_end && call_hdr[i][1] > gap_at;

		lost += in_gap;
		assert_true(seen[i] == !in_gap);
		if (!seen[i])
			continue;
		assert_string_equal(find_rec(2 * i + 1)->method, "POST");
		if (call_hdr[i][0] >= gap_end) {
			assert_true(find_rec(2 * i + 1)->headers_partial);
			assert_string_equal(find_rec(2 * i + 1)->target, "");
		} else {
			assert_string_equal(find_rec(2 * i + 1)->target, "/zt.shop.Shop/GetItem");
		}
	}
	assert_true(lost > 100 && lost < 200);
	assert_int_equal(nrec, GRPC_CALLS - lost);
	assert_int_equal(STAT(gaps), 1);
	assert_int_equal(STAT(malformed), 0);
}

static void test_malformed(void **state)
{
	static const struct {
		const char *what;
		uint8_t type, flags;
		uint32_t sid;
		const char *payload;
		size_t len;
	} cases[] = {
		{ "CONTINUATION without HEADERS", T_CONT, F_END_HEADERS, 1, "\x82", 1 },
		{ "HEADERS on stream 0", T_HEADERS, F_END_HEADERS, 0, "\x82", 1 },
		{ "DATA on stream 0", T_DATA, 0, 0, "x", 1 },
		{ "padding longer than DATA", T_DATA, F_PADDED, 1, "\x05" "abc", 4 },
		{ "padding longer than HEADERS", T_HEADERS, F_END_HEADERS | F_PADDED, 1,
		  "\x09\x82\x86", 3 },
		{ "PRIORITY flag without room", T_HEADERS, F_END_HEADERS | F_PRIORITY, 1,
		  "\x00\x00", 2 },
		{ "SETTINGS of 5 bytes", T_SETTINGS, 0, 0, "\x00\x01\x00\x00\x10", 5 },
		{ "SETTINGS ACK with payload", T_SETTINGS, F_ACK, 0, "\x00\x01\x00\x00\x10\x00",
		  6 },
		{ "SETTINGS on a stream", T_SETTINGS, 0, 3, "", 0 },
		{ "RST_STREAM of 3 bytes", T_RST, 0, 1, "\0\0\0", 3 },
		{ "RST_STREAM on stream 0", T_RST, 0, 0, "\0\0\0\0", 4 },
		{ "PING of 4 bytes", T_PING, 0, 0, "abcd", 4 },
		{ "GOAWAY of 4 bytes", T_GOAWAY, 0, 0, "\0\0\0\0", 4 },
		{ "WINDOW_UPDATE of 5 bytes", T_WINDOW, 0, 0, "\0\0\0\0\1", 5 },
		{ "PRIORITY of 4 bytes", T_PRIORITY, 0, 1, "\0\0\0\0", 4 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reset();
		wires_reset();
		client_start(&wa);
		frame(&wa, cases[i].type, cases[i].flags, cases[i].sid, cases[i].payload,
		      cases[i].len);
		if (feedw(EG, &wa, 1) != -1)
			fail_msg("%s: accepted", cases[i].what);
		/* Sticky, whatever comes next. */
		assert_int_equal(feeds(IN, "\0\0\0\4\0\0\0\0\0", 2), -1);
		assert_int_equal(gap(EG, 1, 3), -1);
		assert_int_equal(STAT(malformed), 1);
		close_conn(4);
		assert_int_equal(nrec, 0);
	}
	/* A frame other than CONTINUATION inside a header block. */
	reset();
	wires_reset();
	client_start(&wa);
	req_block("GET", "/");
	frame(&wa, T_HEADERS, 0, 1, blk.b, blk.n);
	frame(&wa, T_PING, 0, 0, "abcdefgh", 8);
	assert_int_equal(feedw(EG, &wa, 1), -1);
	/* A bad direction. */
	reset();
	assert_int_equal(feeds(2, PREFACE, 1), -1);
}

/* ---- other frames ---- */

/* PUSH_PROMISE makes no record but its block keeps the server's table in step. */
static void test_push_promise(void **state)
{
	uint8_t p[256];

	(void)state;
	wires_reset();
	client_start(&wa);
	req_block("GET", "/page");
	headers(&wa, 1, F_END_STREAM);
	assert_int_equal(feedw(EG, &wa, 1), 0);
	server_start(&wb);
	memcpy(p, "\x00\x00\x00\x02", 4);	/* promised stream 2 */
	blk.n = 0;
	hp_indexed(&blk, 2);
	hp_indexed(&blk, 6);
	hp_lit_indexed(&blk, ":path", "/style.css");
	hp_name(&blk, 1, "example.com");
	memcpy(p + 4, blk.b, blk.n);
	frame(&wb, T_PUSH, F_END_HEADERS, 1, p, 4 + blk.n);
	resp_block(200);
	headers(&wb, 2, 0);
	data(&wb, 2, F_END_STREAM, "css", 3);
	resp_block(200);
	put8(&blk, 0xbe);	/* the entry the push added */
	headers(&wb, 1, 0);
	data(&wb, 1, F_END_STREAM, "html", 4);
	assert_int_equal(feedw(IN, &wb, 2), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(recs[0].stream_id, 1);
	assert_int_equal(recs[0].resp_body_bytes, 4);
	assert_false(recs[0].headers_partial);
	assert_int_equal(STAT(records), 1);
}

/* PING, WINDOW_UPDATE, PRIORITY and unknown frame types change nothing. */
static void test_control_and_unknown_frames(void **state)
{
	(void)state;
	wires_reset();
	client_start(&wa);
	frame(&wa, 0xfa, 0xff, 0, "ignored", 7);
	frame(&wa, T_PRIORITY, 0, 1, "\x00\x00\x00\x00\x10", 5);
	req_block("GET", "/ctl");
	headers(&wa, 1, F_END_STREAM);
	frame_u32(&wa, T_WINDOW, 0, 1 << 20);
	frame(&wa, T_PING, 0, 0, "pingpong", 8);
	frame(&wa, 0x0b, 0, 1, "\x00\x03" "abc", 5);	/* ALTSVC-like: unknown here */
	assert_int_equal(feedw(EG, &wa, 1), 0);
	server_start(&wb);
	frame(&wb, T_PING, F_ACK, 0, "pingpong", 8);
	resp_block(200);
	headers(&wb, 1, 0);
	frame_u32(&wb, T_WINDOW, 1, 100);
	frame(&wb, 0x10, 0, 1, "", 0);
	data(&wb, 1, F_END_STREAM, "ok", 2);
	assert_int_equal(feedw(IN, &wb, 2), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(recs[0].resp_body_bytes, 2);
	assert_int_equal(STAT(malformed), 0);
}

/* Dynamic table entries carry from block to block within a direction. */
static void test_hpack_dynamic_table(void **state)
{
	(void)state;
	wires_reset();
	client_start(&wa);
	req_block("GET", "/a");
	hp_lit_indexed(&blk, "user-agent", "dyn/1.0");
	hp_lit_indexed(&blk, "traceparent", TP);
	headers(&wa, 1, F_END_STREAM);
	req_block("GET", "/b");
	hp_indexed(&blk, 63);	/* user-agent: dyn/1.0 */
	hp_indexed(&blk, 62);	/* traceparent */
	headers(&wa, 3, F_END_STREAM);
	assert_int_equal(feedw(EG, &wa, 1), 0);
	server_start(&wb);
	resp_block(200);
	headers(&wb, 1, F_END_STREAM);
	headers(&wb, 3, F_END_STREAM);
	assert_int_equal(feedw(IN, &wb, 2), 0);
	assert_int_equal(nrec, 2);
	assert_string_equal(recs[1].user_agent, "dyn/1.0");
	assert_string_equal(recs[1].traceparent, TP);
	assert_false(recs[1].headers_partial);
}

/* The client's SETTINGS_HEADER_TABLE_SIZE bounds the server's encoder once acked. */
static void test_settings_header_table_size(void **state)
{
	static const uint8_t zero_table[6] = { 0, 1, 0, 0, 0, 0 };

	(void)state;
	wires_reset();
	put(&wa, PREFACE, 24);
	frame(&wa, T_SETTINGS, 0, 0, zero_table, sizeof(zero_table));
	req_block("GET", "/t");
	headers(&wa, 1, F_END_STREAM);
	req_block("GET", "/u");
	headers(&wa, 3, F_END_STREAM);
	assert_int_equal(feedw(EG, &wa, 1), 0);
	server_start(&wb);
	blk.n = 0;
	put8(&blk, 0x20);	/* size update to 0, as the ACK allows */
	hp_indexed(&blk, 8);
	headers(&wb, 1, F_END_STREAM);
	blk.n = 0;
	hp_int(&blk, 0x20, 5, 4096);	/* above the acked bound: invalid */
	hp_indexed(&blk, 8);
	headers(&wb, 3, F_END_STREAM);
	assert_int_equal(feedw(IN, &wb, 2), 0);
	assert_int_equal(nrec, 2);
	assert_int_equal(recs[0].status, 200);
	assert_false(recs[0].headers_partial);
	assert_true(recs[1].headers_partial);
	assert_int_equal(STAT(malformed), 0);
}

/* Header values are cut to the record's sizes and made printable. */
static void test_long_and_binary_values(void **state)
{
	static char path[3000];

	(void)state;
	wires_reset();
	client_start(&wa);
	memset(path, 'p', sizeof(path) - 1);
	path[0] = '/';
	blk.n = 0;
	hp_indexed(&blk, 2);
	hp_name(&blk, 4, path);
	hp_lit(&blk, "host", "fallback.host");	/* no :authority */
	hp_name(&blk, 58, "bin\x01\x7f\xc3\xa9");
	headers(&wa, 1, F_END_STREAM);
	assert_int_equal(feedw(EG, &wa, 1), 0);
	close_conn(2);
	assert_int_equal(nrec, 1);
	assert_true(recs[0].target_truncated);
	assert_int_equal(strlen(recs[0].target), ZT_L7_TARGET_MAX - 1);
	assert_string_equal(recs[0].host, "fallback.host");
	assert_string_equal(recs[0].user_agent, "bin????");
	assert_false(recs[0].has_response);
	assert_int_equal(STAT(unanswered), 1);
}

/* ---- real traffic ----
 *
 * Client side of each connection (nghttp, h2load, python grpcio 1.51 against nghttpd 1.52
 * and a grpcio server), one element per read/write/sendmsg/recvmsg as strace -f -xx saw it.
 */

struct cap_chunk {
	int dir;
	size_t len;
	const char *data;
};

/* cap_nghttp_get: 4 chunks, 189 bytes egress, 142 ingress */
static const struct cap_chunk cap_nghttp_get[] = {
	{ IN, 15, "\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00""d" },
	{ EG, 172,
	  "PRI * HTTP/2.0\x0d\x0a\x0d\x0aSM\x0d\x0a\x0d\x0a\x00\x00\x0c\x04\x00\x00\x00\x00"
	  "\x00\x00\x03\x00\x00\x00""d\x00\x04\x00\x00\xff\xff\x00\x00\x00\x04\x01\x00\x00"
	  "\x00\x00\x00\x00\x05\x02\x00\x00\x00\x00\x03\x00\x00\x00\x00\xc8\x00\x00\x05\x02"
	  "\x00\x00\x00\x00\x05\x00\x00\x00\x00""d\x00\x00\x05\x02\x00\x00\x00\x00\x07\x00"
	  "\x00\x00\x00\x00\x00\x00\x05\x02\x00\x00\x00\x00\x09\x00\x00\x00\x07\x00\x00\x00"
	  "\x05\x02\x00\x00\x00\x00\x0b\x00\x00\x00\x03\x00\x00\x00'\x01%\x00\x00\x00\x0d"
	  "\x00\x00\x00\x0b\x0f\x82\x85\x86""A\x8b\x08\x9d\x5c\x0b\x81p\xdcm\xe0<\x0fS\x03*"
	  "/*\x90z\x8a\xaai\xd2\x9a\xc4\xc0WlK\x83" },
	{ IN, 127,
	  "\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00[\x01\x04\x00\x00\x00\x0d\x88v\x90"
	  "\xaai\xd2\x9a\xe4R\xa9\xa7Jk\x13\x01]\xb1.\x0fX\x89\xa4~V\x1c\xc5\x81\x97\x00"
	  "\x0f""a\x96\xe4Y>\x94\x13ji\x3fu\x04\x01""8\xa0""ApO\xdcm\xc5""1h\xdf\x0f\x0d"
	  "\x01""9l\x96\xe4Y>\x94\x13ji\x3fu\x04\x01""8\xa0""ApO\xdcm\xb5""1h\xdf_\x87I|"
	  "\xa5\x89\xd3M\x1f\x00\x00\x09\x00\x01\x00\x00\x00\x0dhello h2\x0a" },
	{ EG, 17, "\x00\x00\x08\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" },
};

/* cap_nghttp_multi: 4 chunks, 159 bytes egress, 376 ingress */
static const struct cap_chunk cap_nghttp_multi[] = {
	{ IN, 15, "\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00""d" },
	{ EG, 142,
	  "PRI * HTTP/2.0\x0d\x0a\x0d\x0aSM\x0d\x0a\x0d\x0a\x00\x00\x0c\x04\x00\x00\x00\x00"
	  "\x00\x00\x03\x00\x00\x00""d\x00\x04\x00\x00\xff\xff\x00\x00\x00\x04\x01\x00\x00"
	  "\x00\x00\x00\x00(\x01\x05\x00\x00\x00\x01\x82\x04\x85`k\xa7\xca\x7f\x86""A\x8b"
	  "\x08\x9d\x5c\x0b\x81p\xdcm\xe0<\x0fS\x03*/*\x90z\x8a\xaai\xd2\x9a\xc4\xc0WlK\x83"
	  "\x00\x00\x07\x01\x05\x00\x00\x00\x03\x82\x85\x86\xc0\xbf\x90\xbe\x00\x00\x0e\x01"
	  "\x05\x00\x00\x00\x05\x82\x04\x86""b\x93!\x06\xaao\x86\xc0\xbf\x90\xbe" },
	{ IN, 361,
	  "\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00[\x01\x04\x00\x00\x00\x01\x88v\x90"
	  "\xaai\xd2\x9a\xe4R\xa9\xa7Jk\x13\x01]\xb1.\x0fX\x89\xa4~V\x1c\xc5\x81\x97\x00"
	  "\x0f""a\x96\xe4Y>\x94\x13ji\x3fu\x04\x01""8\xa0""Aq\x90\x5c\x13\x8a""b\xd1\xbf"
	  "\x0f\x0d\x01""3l\x96\xe4Y>\x94\x13ji\x3fu\x04\x01""8\xa0""ApO\xdcm\xb5""1h\xdf_"
	  "\x87I|\xa5\x8a\xe8\x19\xaa\x00\x00\x12\x01\x04\x00\x00\x00\x03\x88\xc2\xc1\xc0"
	  "\x0f\x0d\x01""9\xbf_\x87I|\xa5\x89\xd3M\x1f\x00\x00\x1d\x01\x04\x00\x00\x00\x05"
	  "\x8d\xc3\xc1_\x92I|\xa5\x89\xd3M\x1fj\x12q\xd8\x82\xa6\x0e\x1b\xf0\xac\xf7\x0f"
	  "\x0d\x03""148\x00\x00\x03\x00\x01\x00\x00\x00\x01""abc\x00\x00\x09\x00\x01\x00"
	  "\x00\x00\x03hello h2\x0a\x00\x00\x94\x00\x01\x00\x00\x00\x05<html><head><title>4"
	  "04 Not Found</title></head><body><h1>404 Not Found</h1><hr><address>nghttpd nght"
	  "tp2/1.52.0 at port 58080</address></body></html>" },
	{ EG, 17, "\x00\x00\x08\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" },
};

/* cap_nghttp_post: 4 chunks, 212 bytes egress, 142 ingress */
static const struct cap_chunk cap_nghttp_post[] = {
	{ IN, 15, "\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00""d" },
	{ EG, 195,
	  "PRI * HTTP/2.0\x0d\x0a\x0d\x0aSM\x0d\x0a\x0d\x0a\x00\x00\x0c\x04\x00\x00\x00\x00"
	  "\x00\x00\x03\x00\x00\x00""d\x00\x04\x00\x00\xff\xff\x00\x00\x00\x04\x01\x00\x00"
	  "\x00\x00\x00\x00x\x01\x04\x00\x00\x00\x01\x83\x85\x86""A\x8b\x08\x9d\x5c\x0b\x81"
	  "p\xdcm\xe0<\x0fS\x03*/*\x90z\x8a\xaai\xd2\x9a\xc4\xc0WlK\x83\x0f\x0d\x01""3_\x87"
	  "I|\xa5\x8a\xe8\x19\xaa@\x88M\x83!k\x1d\x85\xa9\x3f\xa7\x00\x16\x00\xe5u\xc6\xc2"
	  "\xf8\x5c$\x8d""3$\x8f""4\xd3\xc5\x8c""A\x09\x1e\x03!|\x8b""F\xe8\xe4r7B\xe3\xe2"
	  "\x03,\xb2\x15\x80\x1f@\x87M\x83!P\x91\xa4\xbf\x8d!\xea\x98\xf0%\xc0\xd8N]f\xd1"
	  "\xef\x07\x00\x00\x03\x00\x01\x00\x00\x00\x01""abc" },
	{ IN, 127,
	  "\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00[\x01\x04\x00\x00\x00\x01\x88v\x90"
	  "\xaai\xd2\x9a\xe4R\xa9\xa7Jk\x13\x01]\xb1.\x0fX\x89\xa4~V\x1c\xc5\x81\x97\x00"
	  "\x0f""a\x96\xe4Y>\x94\x13ji\x3fu\x04\x01""8\xa0""Aq\x90\x5c\x13\x8a""b\xd1\xbf"
	  "\x0f\x0d\x01""9l\x96\xe4Y>\x94\x13ji\x3fu\x04\x01""8\xa0""ApO\xdcm\xb5""1h\xdf_"
	  "\x87I|\xa5\x89\xd3M\x1f\x00\x00\x09\x00\x01\x00\x00\x00\x01hello h2\x0a" },
	{ EG, 17, "\x00\x00\x08\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" },
};

/* cap_nghttpd_padding: 4 chunks, 114 bytes egress, 174 ingress */
static const struct cap_chunk cap_nghttpd_padding[] = {
	{ IN, 15, "\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00""d" },
	{ EG, 97,
	  "PRI * HTTP/2.0\x0d\x0a\x0d\x0aSM\x0d\x0a\x0d\x0a\x00\x00\x0c\x04\x00\x00\x00\x00"
	  "\x00\x00\x03\x00\x00\x00""d\x00\x04\x00\x00\xff\xff\x00\x00\x00\x04\x01\x00\x00"
	  "\x00\x00\x00\x00\x22\x01\x05\x00\x00\x00\x01\x82\x85\x86""A\x8b\x08\x9d\x5c\x0b"
	  "\x81p\xdcm\xe0<\x1fS\x03*/*\x90z\x8a\xaai\xd2\x9a\xc4\xc0WlK\x83" },
	{ IN, 159,
	  "\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00k\x01\x0c\x00\x00\x00\x01\x0f\x88v"
	  "\x90\xaai\xd2\x9a\xe4R\xa9\xa7Jk\x13\x01]\xb1.\x0fX\x89\xa4~V\x1c\xc5\x81\x97"
	  "\x00\x0f""a\x96\xe4Y>\x94\x13ji\x3fu\x04\x01""8\xa0""Aq\x90\x5c\x13\x8a""b\xd1"
	  "\xbf\x0f\x0d\x01""9l\x96\xe4Y>\x94\x13ji\x3fu\x04\x01""8\xa0""ApO\xdcm\xb5""1h"
	  "\xdf_\x87I|\xa5\x89\xd3M\x1f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	  "\x00\x00\x00\x00\x19\x00\x09\x00\x00\x00\x01\x0fhello h2\x0a\x00\x00\x00\x00\x00"
	  "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" },
	{ EG, 17, "\x00\x00\x08\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" },
};

/* cap_h2load_100: 4 chunks, 2112 bytes egress, 3205 ingress */
static const struct cap_chunk cap_h2load_100[] = {
	{ IN, 15, "\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00""d" },
	{ EG, 2095,
	  "PRI * HTTP/2.0\x0d\x0a\x0d\x0aSM\x0d\x0a\x0d\x0a\x00\x00\x0c\x04\x00\x00\x00\x00"
	  "\x00\x00\x02\x00\x00\x00\x00\x00\x04\x3f\xff\xff\xff\x00\x00\x00\x04\x01\x00\x00"
	  "\x00\x00\x00\x00\x04\x08\x00\x00\x00\x00\x00\x3f\xff\x00\x00\x00\x00'\x01\x05"
	  "\x00\x00\x00\x01\x04\x85`k\xa7\xca\x7f\x86""A\x8b\x08\x9d\x5c\x0b\x81p\xdcm\xe0<"
	  "\x0f\x82z\x8f\x9cT\x1cr)T\xd3\xa5""5\x89\x80\xae\xd8\x97\x07\x00\x00\x0b\x01\x05"
	  "\x00\x00\x00\x03\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00"
	  "\x00\x00\x05\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00"
	  "\x00\x07\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00"
	  "\x09\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x0b"
	  "\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x0d\x04"
	  "\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x0f\x04\x85`k"
	  "\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x11\x04\x85`k\xa7"
	  "\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x13\x04\x85`k\xa7\xca"
	  "\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x15\x04\x85`k\xa7\xca\x7f"
	  "\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x17\x04\x85`k\xa7\xca\x7f\x86"
	  "\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x19\x04\x85`k\xa7\xca\x7f\x86\xbf"
	  "\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x1b\x04\x85`k\xa7\xca\x7f\x86\xbf\x82"
	  "\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x1d\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe"
	  "\x00\x00\x0b\x01\x05\x00\x00\x00\x1f\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00"
	  "\x00\x0b\x01\x05\x00\x00\x00!\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b"
	  "\x01\x05\x00\x00\x00#\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05"
	  "\x00\x00\x00%\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00"
	  "\x00'\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00)\x04"
	  "\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00+\x04\x85`k"
	  "\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00-\x04\x85`k\xa7\xca"
	  "\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00/\x04\x85`k\xa7\xca\x7f\x86"
	  "\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00""1\x04\x85`k\xa7\xca\x7f\x86\xbf"
	  "\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00""3\x04\x85`k\xa7\xca\x7f\x86\xbf\x82"
	  "\xbe\x00\x00\x0b\x01\x05\x00\x00\x00""5\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe"
	  "\x00\x00\x0b\x01\x05\x00\x00\x00""7\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00"
	  "\x00\x0b\x01\x05\x00\x00\x00""9\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00"
	  "\x0b\x01\x05\x00\x00\x00;\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01"
	  "\x05\x00\x00\x00=\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00"
	  "\x00\x00\x3f\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00"
	  "\x00""A\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00""C"
	  "\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00""E\x04"
	  "\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00G\x04\x85`k"
	  "\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00I\x04\x85`k\xa7\xca"
	  "\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00K\x04\x85`k\xa7\xca\x7f\x86"
	  "\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00M\x04\x85`k\xa7\xca\x7f\x86\xbf\x82"
	  "\xbe\x00\x00\x0b\x01\x05\x00\x00\x00O\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00"
	  "\x00\x0b\x01\x05\x00\x00\x00Q\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b"
	  "\x01\x05\x00\x00\x00S\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05"
	  "\x00\x00\x00U\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00"
	  "\x00W\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00Y\x04"
	  "\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00[\x04\x85`k"
	  "\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00]\x04\x85`k\xa7\xca"
	  "\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00_\x04\x85`k\xa7\xca\x7f\x86"
	  "\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00""a\x04\x85`k\xa7\xca\x7f\x86\xbf"
	  "\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00""c\x04\x85`k\xa7\xca\x7f\x86\xbf\x82"
	  "\xbe\x00\x00\x0b\x01\x05\x00\x00\x00""e\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe"
	  "\x00\x00\x0b\x01\x05\x00\x00\x00g\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00"
	  "\x0b\x01\x05\x00\x00\x00i\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01"
	  "\x05\x00\x00\x00k\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00"
	  "\x00\x00m\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00o"
	  "\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00q\x04\x85`"
	  "k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00s\x04\x85`k\xa7\xca"
	  "\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00u\x04\x85`k\xa7\xca\x7f\x86"
	  "\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00w\x04\x85`k\xa7\xca\x7f\x86\xbf\x82"
	  "\xbe\x00\x00\x0b\x01\x05\x00\x00\x00y\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00"
	  "\x00\x0b\x01\x05\x00\x00\x00{\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b"
	  "\x01\x05\x00\x00\x00}\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05"
	  "\x00\x00\x00\x7f\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00"
	  "\x00\x00\x81\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00"
	  "\x00\x83\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00"
	  "\x85\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x87"
	  "\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x89\x04"
	  "\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x8b\x04\x85`k"
	  "\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x8d\x04\x85`k\xa7"
	  "\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x8f\x04\x85`k\xa7\xca"
	  "\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x91\x04\x85`k\xa7\xca\x7f"
	  "\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x93\x04\x85`k\xa7\xca\x7f\x86"
	  "\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x95\x04\x85`k\xa7\xca\x7f\x86\xbf"
	  "\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x97\x04\x85`k\xa7\xca\x7f\x86\xbf\x82"
	  "\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\x99\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe"
	  "\x00\x00\x0b\x01\x05\x00\x00\x00\x9b\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00"
	  "\x00\x0b\x01\x05\x00\x00\x00\x9d\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00"
	  "\x0b\x01\x05\x00\x00\x00\x9f\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b"
	  "\x01\x05\x00\x00\x00\xa1\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01"
	  "\x05\x00\x00\x00\xa3\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05"
	  "\x00\x00\x00\xa5\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00"
	  "\x00\x00\xa7\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00"
	  "\x00\xa9\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00"
	  "\xab\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\xad"
	  "\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\xaf\x04"
	  "\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\xb1\x04\x85`k"
	  "\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\xb3\x04\x85`k\xa7"
	  "\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\xb5\x04\x85`k\xa7\xca"
	  "\x7f\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\xb7\x04\x85`k\xa7\xca\x7f"
	  "\x86\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\xb9\x04\x85`k\xa7\xca\x7f\x86"
	  "\xbf\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\xbb\x04\x85`k\xa7\xca\x7f\x86\xbf"
	  "\x82\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\xbd\x04\x85`k\xa7\xca\x7f\x86\xbf\x82"
	  "\xbe\x00\x00\x0b\x01\x05\x00\x00\x00\xbf\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe"
	  "\x00\x00\x0b\x01\x05\x00\x00\x00\xc1\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00"
	  "\x00\x0b\x01\x05\x00\x00\x00\xc3\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00"
	  "\x0b\x01\x05\x00\x00\x00\xc5\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe\x00\x00\x0b"
	  "\x01\x05\x00\x00\x00\xc7\x04\x85`k\xa7\xca\x7f\x86\xbf\x82\xbe" },
	{ IN, 3190,
	  "\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00[\x01\x04\x00\x00\x00\x01\x88v\x90"
	  "\xaai\xd2\x9a\xe4R\xa9\xa7Jk\x13\x01]\xb1.\x0fX\x89\xa4~V\x1c\xc5\x81\x97\x00"
	  "\x0f""a\x96\xe4Y>\x94\x13ji\x3fu\x04\x01""8\xa0""Aq\x90\x5c\x13\x8a""b\xd1\xbf"
	  "\x0f\x0d\x01""3l\x96\xe4Y>\x94\x13ji\x3fu\x04\x01""8\xa0""ApO\xdcm\xb5""1h\xdf_"
	  "\x87I|\xa5\x8a\xe8\x19\xaa\x00\x00\x0a\x01\x04\x00\x00\x00\x03\x88\xc2\xc1\xc0"
	  "\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\x05\x88\xc2\xc1\xc0\x0f"
	  "\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\x07\x88\xc2\xc1\xc0\x0f\x0d"
	  "\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\x09\x88\xc2\xc1\xc0\x0f\x0d\x01"
	  """3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\x0b\x88\xc2\xc1\xc0\x0f\x0d\x01""3"
	  "\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\x0d\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf"
	  "\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\x0f\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe"
	  "\x00\x00\x0a\x01\x04\x00\x00\x00\x11\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00"
	  "\x00\x0a\x01\x04\x00\x00\x00\x13\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00"
	  "\x0a\x01\x04\x00\x00\x00\x15\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a"
	  "\x01\x04\x00\x00\x00\x17\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01"
	  "\x04\x00\x00\x00\x19\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04"
	  "\x00\x00\x00\x1b\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00"
	  "\x00\x00\x1d\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00"
	  "\x00\x1f\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00!"
	  "\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00#\x88\xc2"
	  "\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00%\x88\xc2\xc1\xc0"
	  "\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00'\x88\xc2\xc1\xc0\x0f\x0d"
	  "\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00)\x88\xc2\xc1\xc0\x0f\x0d\x01""3"
	  "\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00+\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe"
	  "\x00\x00\x0a\x01\x04\x00\x00\x00-\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00"
	  "\x0a\x01\x04\x00\x00\x00/\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01"
	  "\x04\x00\x00\x00""1\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04"
	  "\x00\x00\x00""3\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00"
	  "\x00\x00""5\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00"
	  "\x00""7\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00"""
	  "9\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00;\x88"
	  "\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00=\x88\xc2\xc1"
	  "\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\x3f\x88\xc2\xc1\xc0"
	  "\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00""A\x88\xc2\xc1\xc0\x0f"
	  "\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00""C\x88\xc2\xc1\xc0\x0f\x0d"
	  "\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00""E\x88\xc2\xc1\xc0\x0f\x0d\x01"""
	  "3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00G\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf"
	  "\xbe\x00\x00\x0a\x01\x04\x00\x00\x00I\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00"
	  "\x00\x0a\x01\x04\x00\x00\x00K\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a"
	  "\x01\x04\x00\x00\x00M\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04"
	  "\x00\x00\x00O\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00"
	  "\x00Q\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00S"
	  "\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00U\x88\xc2"
	  "\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00W\x88\xc2\xc1\xc0"
	  "\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00Y\x88\xc2\xc1\xc0\x0f\x0d"
	  "\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00[\x88\xc2\xc1\xc0\x0f\x0d\x01""3"
	  "\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00]\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe"
	  "\x00\x00\x0a\x01\x04\x00\x00\x00_\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00"
	  "\x0a\x01\x04\x00\x00\x00""a\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a"
	  "\x01\x04\x00\x00\x00""c\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01"
	  "\x04\x00\x00\x00""e\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04"
	  "\x00\x00\x00g\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00"
	  "\x00i\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00k"
	  "\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00m\x88\xc2"
	  "\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00o\x88\xc2\xc1\xc0"
	  "\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00q\x88\xc2\xc1\xc0\x0f\x0d"
	  "\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00s\x88\xc2\xc1\xc0\x0f\x0d\x01""3"
	  "\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00u\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe"
	  "\x00\x00\x0a\x01\x04\x00\x00\x00w\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00"
	  "\x0a\x01\x04\x00\x00\x00y\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01"
	  "\x04\x00\x00\x00{\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00"
	  "\x00\x00}\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00"
	  "\x7f\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\x81"
	  "\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\x83\x88"
	  "\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\x85\x88\xc2"
	  "\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\x87\x88\xc2\xc1"
	  "\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\x89\x88\xc2\xc1\xc0"
	  "\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\x8b\x88\xc2\xc1\xc0\x0f"
	  "\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\x8d\x88\xc2\xc1\xc0\x0f\x0d"
	  "\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\x8f\x88\xc2\xc1\xc0\x0f\x0d\x01"
	  """3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\x91\x88\xc2\xc1\xc0\x0f\x0d\x01""3"
	  "\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\x93\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf"
	  "\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\x95\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe"
	  "\x00\x00\x0a\x01\x04\x00\x00\x00\x97\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00"
	  "\x00\x0a\x01\x04\x00\x00\x00\x99\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00"
	  "\x0a\x01\x04\x00\x00\x00\x9b\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a"
	  "\x01\x04\x00\x00\x00\x9d\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01"
	  "\x04\x00\x00\x00\x9f\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04"
	  "\x00\x00\x00\xa1\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00"
	  "\x00\x00\xa3\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00"
	  "\x00\xa5\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00"
	  "\xa7\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\xa9"
	  "\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\xab\x88"
	  "\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\xad\x88\xc2"
	  "\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\xaf\x88\xc2\xc1"
	  "\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\xb1\x88\xc2\xc1\xc0"
	  "\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\xb3\x88\xc2\xc1\xc0\x0f"
	  "\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\xb5\x88\xc2\xc1\xc0\x0f\x0d"
	  "\x01""3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\xb7\x88\xc2\xc1\xc0\x0f\x0d\x01"
	  """3\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\xb9\x88\xc2\xc1\xc0\x0f\x0d\x01""3"
	  "\xbf\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\xbb\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf"
	  "\xbe\x00\x00\x0a\x01\x04\x00\x00\x00\xbd\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe"
	  "\x00\x00\x0a\x01\x04\x00\x00\x00\xbf\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00"
	  "\x00\x0a\x01\x04\x00\x00\x00\xc1\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00"
	  "\x0a\x01\x04\x00\x00\x00\xc3\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a"
	  "\x01\x04\x00\x00\x00\xc5\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x0a\x01"
	  "\x04\x00\x00\x00\xc7\x88\xc2\xc1\xc0\x0f\x0d\x01""3\xbf\xbe\x00\x00\x03\x00\x01"
	  "\x00\x00\x00\x01""abc\x00\x00\x03\x00\x01\x00\x00\x00\x03""abc\x00\x00\x03\x00"
	  "\x01\x00\x00\x00\x05""abc\x00\x00\x03\x00\x01\x00\x00\x00\x07""abc\x00\x00\x03"
	  "\x00\x01\x00\x00\x00\x09""abc\x00\x00\x03\x00\x01\x00\x00\x00\x0b""abc\x00\x00"
	  "\x03\x00\x01\x00\x00\x00\x0d""abc\x00\x00\x03\x00\x01\x00\x00\x00\x0f""abc\x00"
	  "\x00\x03\x00\x01\x00\x00\x00\x11""abc\x00\x00\x03\x00\x01\x00\x00\x00\x13""abc"
	  "\x00\x00\x03\x00\x01\x00\x00\x00\x15""abc\x00\x00\x03\x00\x01\x00\x00\x00\x17""a"
	  "bc\x00\x00\x03\x00\x01\x00\x00\x00\x19""abc\x00\x00\x03\x00\x01\x00\x00\x00\x1b"
	  """abc\x00\x00\x03\x00\x01\x00\x00\x00\x1d""abc\x00\x00\x03\x00\x01\x00\x00\x00"
	  "\x1f""abc\x00\x00\x03\x00\x01\x00\x00\x00!abc\x00\x00\x03\x00\x01\x00\x00\x00#ab"
	  "c\x00\x00\x03\x00\x01\x00\x00\x00%abc\x00\x00\x03\x00\x01\x00\x00\x00'abc\x00"
	  "\x00\x03\x00\x01\x00\x00\x00)abc\x00\x00\x03\x00\x01\x00\x00\x00+abc\x00\x00\x03"
	  "\x00\x01\x00\x00\x00-abc\x00\x00\x03\x00\x01\x00\x00\x00/abc\x00\x00\x03\x00\x01"
	  "\x00\x00\x00""1abc\x00\x00\x03\x00\x01\x00\x00\x00""3abc\x00\x00\x03\x00\x01\x00"
	  "\x00\x00""5abc\x00\x00\x03\x00\x01\x00\x00\x00""7abc\x00\x00\x03\x00\x01\x00\x00"
	  "\x00""9abc\x00\x00\x03\x00\x01\x00\x00\x00;abc\x00\x00\x03\x00\x01\x00\x00\x00=a"
	  "bc\x00\x00\x03\x00\x01\x00\x00\x00\x3f""abc\x00\x00\x03\x00\x01\x00\x00\x00""Aab"
	  "c\x00\x00\x03\x00\x01\x00\x00\x00""Cabc\x00\x00\x03\x00\x01\x00\x00\x00""Eabc"
	  "\x00\x00\x03\x00\x01\x00\x00\x00Gabc\x00\x00\x03\x00\x01\x00\x00\x00Iabc\x00\x00"
	  "\x03\x00\x01\x00\x00\x00Kabc\x00\x00\x03\x00\x01\x00\x00\x00Mabc\x00\x00\x03\x00"
	  "\x01\x00\x00\x00Oabc\x00\x00\x03\x00\x01\x00\x00\x00Qabc\x00\x00\x03\x00\x01\x00"
	  "\x00\x00Sabc\x00\x00\x03\x00\x01\x00\x00\x00Uabc\x00\x00\x03\x00\x01\x00\x00\x00"
	  "Wabc\x00\x00\x03\x00\x01\x00\x00\x00Yabc\x00\x00\x03\x00\x01\x00\x00\x00[abc\x00"
	  "\x00\x03\x00\x01\x00\x00\x00]abc\x00\x00\x03\x00\x01\x00\x00\x00_abc\x00\x00\x03"
	  "\x00\x01\x00\x00\x00""aabc\x00\x00\x03\x00\x01\x00\x00\x00""cabc\x00\x00\x03\x00"
	  "\x01\x00\x00\x00""eabc\x00\x00\x03\x00\x01\x00\x00\x00gabc\x00\x00\x03\x00\x01"
	  "\x00\x00\x00iabc\x00\x00\x03\x00\x01\x00\x00\x00kabc\x00\x00\x03\x00\x01\x00\x00"
	  "\x00mabc\x00\x00\x03\x00\x01\x00\x00\x00oabc\x00\x00\x03\x00\x01\x00\x00\x00qabc"
	  "\x00\x00\x03\x00\x01\x00\x00\x00sabc\x00\x00\x03\x00\x01\x00\x00\x00uabc\x00\x00"
	  "\x03\x00\x01\x00\x00\x00wabc\x00\x00\x03\x00\x01\x00\x00\x00yabc\x00\x00\x03\x00"
	  "\x01\x00\x00\x00{abc\x00\x00\x03\x00\x01\x00\x00\x00}abc\x00\x00\x03\x00\x01\x00"
	  "\x00\x00\x7f""abc\x00\x00\x03\x00\x01\x00\x00\x00\x81""abc\x00\x00\x03\x00\x01"
	  "\x00\x00\x00\x83""abc\x00\x00\x03\x00\x01\x00\x00\x00\x85""abc\x00\x00\x03\x00"
	  "\x01\x00\x00\x00\x87""abc\x00\x00\x03\x00\x01\x00\x00\x00\x89""abc\x00\x00\x03"
	  "\x00\x01\x00\x00\x00\x8b""abc\x00\x00\x03\x00\x01\x00\x00\x00\x8d""abc\x00\x00"
	  "\x03\x00\x01\x00\x00\x00\x8f""abc\x00\x00\x03\x00\x01\x00\x00\x00\x91""abc\x00"
	  "\x00\x03\x00\x01\x00\x00\x00\x93""abc\x00\x00\x03\x00\x01\x00\x00\x00\x95""abc"
	  "\x00\x00\x03\x00\x01\x00\x00\x00\x97""abc\x00\x00\x03\x00\x01\x00\x00\x00\x99""a"
	  "bc\x00\x00\x03\x00\x01\x00\x00\x00\x9b""abc\x00\x00\x03\x00\x01\x00\x00\x00\x9d"
	  """abc\x00\x00\x03\x00\x01\x00\x00\x00\x9f""abc\x00\x00\x03\x00\x01\x00\x00\x00"
	  "\xa1""abc\x00\x00\x03\x00\x01\x00\x00\x00\xa3""abc\x00\x00\x03\x00\x01\x00\x00"
	  "\x00\xa5""abc\x00\x00\x03\x00\x01\x00\x00\x00\xa7""abc\x00\x00\x03\x00\x01\x00"
	  "\x00\x00\xa9""abc\x00\x00\x03\x00\x01\x00\x00\x00\xab""abc\x00\x00\x03\x00\x01"
	  "\x00\x00\x00\xad""abc\x00\x00\x03\x00\x01\x00\x00\x00\xaf""abc\x00\x00\x03\x00"
	  "\x01\x00\x00\x00\xb1""abc\x00\x00\x03\x00\x01\x00\x00\x00\xb3""abc\x00\x00\x03"
	  "\x00\x01\x00\x00\x00\xb5""abc\x00\x00\x03\x00\x01\x00\x00\x00\xb7""abc\x00\x00"
	  "\x03\x00\x01\x00\x00\x00\xb9""abc\x00\x00\x03\x00\x01\x00\x00\x00\xbb""abc\x00"
	  "\x00\x03\x00\x01\x00\x00\x00\xbd""abc\x00\x00\x03\x00\x01\x00\x00\x00\xbf""abc"
	  "\x00\x00\x03\x00\x01\x00\x00\x00\xc1""abc\x00\x00\x03\x00\x01\x00\x00\x00\xc3""a"
	  "bc\x00\x00\x03\x00\x01\x00\x00\x00\xc5""abc\x00\x00\x03\x00\x01\x00\x00\x00\xc7"
	  """abc" },
	{ EG, 17, "\x00\x00\x08\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" },
};

/* cap_grpc_unary: 6 chunks, 448 bytes egress, 223 ingress */
static const struct cap_chunk cap_grpc_unary[] = {
	{ IN, 46,
	  "\x00\x00\x18\x04\x00\x00\x00\x00\x00\x00\x04\x00\x3f\xff\xff\x00\x05\x00\x3f\xff"
	  "\xff\x00\x06\x00\x00 \x00\xfe\x03\x00\x00\x00\x01\x00\x00\x04\x08\x00\x00\x00"
	  "\x00\x00\x00\x3f\x00\x00" },
	{ EG, 414,
	  "PRI * HTTP/2.0\x0d\x0a\x0d\x0aSM\x0d\x0a\x0d\x0a\x00\x00$\x04\x00\x00\x00\x00"
	  "\x00\x00\x02\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x04\x00\x3f\xff\xff\x00"
	  "\x05\x00\x3f\xff\xff\x00\x06\x00\x00 \x00\xfe\x03\x00\x00\x00\x01\x00\x00\x00"
	  "\x04\x01\x00\x00\x00\x00\x00\x01\x18\x01\x04\x00\x00\x00\x01@\x05:path\x0e/demo."
	  "Echo/Say@\x0a:authority\x0f""127.0.0.1:58090\x83\x86@\x0c""content-type\x10""app"
	  "lication/grpc@\x02te\x08trailers@\x14grpc-accept-encoding\x17identity, deflate, "
	  "gzip@\x0auser-agent8zt-test grpc-python/1.51.1 grpc-c/29.0.0 (linux; chttp2)\x00"
	  "\x0btraceparent700-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\x00\x00"
	  "\x04\x08\x00\x00\x00\x00\x01\x00\x00\x00\x05\x00\x00\x0c\x00\x01\x00\x00\x00\x01"
	  "\x00\x00\x00\x00\x07\x0a\x05world\x00\x00\x04\x08\x00\x00\x00\x00\x00\x00\x3f"
	  "\x00\x05" },
	{ IN, 39,
	  "\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00\x04\x08\x00\x00\x00\x00\x00\x00\x00"
	  "\x00\x0c\x00\x00\x08\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" },
	{ EG, 17, "\x00\x00\x08\x06\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" },
	{ IN, 138,
	  "\x00\x00N\x01\x04\x00\x00\x00\x01\x88@\x0c""content-type\x10""application/grpc@"
	  "\x14grpc-accept-encoding\x17identity, deflate, gzip\x00\x00\x12\x00\x00\x00\x00"
	  "\x00\x01\x00\x00\x00\x00\x0d\x0a\x0bhello world\x00\x00\x0f\x01\x05\x00\x00\x00"
	  "\x01@\x0bgrpc-status\x01""0" },
	{ EG, 17, "\x00\x00\x08\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" },
};

/* cap_grpc_not_found: 5 chunks, 364 bytes egress, 186 ingress */
static const struct cap_chunk cap_grpc_not_found[] = {
	{ IN, 46,
	  "\x00\x00\x18\x04\x00\x00\x00\x00\x00\x00\x04\x00\x3f\xff\xff\x00\x05\x00\x3f\xff"
	  "\xff\x00\x06\x00\x00 \x00\xfe\x03\x00\x00\x00\x01\x00\x00\x04\x08\x00\x00\x00"
	  "\x00\x00\x00\x3f\x00\x00" },
	{ EG, 347,
	  "PRI * HTTP/2.0\x0d\x0a\x0d\x0aSM\x0d\x0a\x0d\x0a\x00\x00$\x04\x00\x00\x00\x00"
	  "\x00\x00\x02\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x04\x00\x3f\xff\xff\x00"
	  "\x05\x00\x3f\xff\xff\x00\x06\x00\x00 \x00\xfe\x03\x00\x00\x00\x01\x00\x00\x00"
	  "\x04\x01\x00\x00\x00\x00\x00\x00\xd3\x01\x04\x00\x00\x00\x01@\x05:path\x0e/demo."
	  "Echo/Say@\x0a:authority\x0f""127.0.0.1:58090\x83\x86@\x0c""content-type\x10""app"
	  "lication/grpc@\x02te\x08trailers@\x14grpc-accept-encoding\x17identity, deflate, "
	  "gzip@\x0auser-agent8zt-test grpc-python/1.51.1 grpc-c/29.0.0 (linux; chttp2)\x00"
	  "\x00\x04\x08\x00\x00\x00\x00\x01\x00\x00\x00\x05\x00\x00\x0e\x00\x01\x00\x00\x00"
	  "\x01\x00\x00\x00\x00\x09\x0a\x07missing\x00\x00\x04\x08\x00\x00\x00\x00\x00\x00"
	  "\x3f\x00\x05" },
	{ IN, 39,
	  "\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00\x04\x08\x00\x00\x00\x00\x00\x00\x00"
	  "\x00\x0e\x00\x00\x08\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" },
	{ EG, 17, "\x00\x00\x08\x06\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" },
	{ IN, 101,
	  "\x00\x00\x5c\x01\x05\x00\x00\x00\x01\x88@\x0c""content-type\x10""application/grp"
	  "c@\x0bgrpc-status\x01""5\x00\x0cgrpc-message\x1eno such name: caf%C3%A9 100%25" },
};

/* cap_grpc_deadline: 5 chunks, 393 bytes egress, 85 ingress */
static const struct cap_chunk cap_grpc_deadline[] = {
	{ IN, 46,
	  "\x00\x00\x18\x04\x00\x00\x00\x00\x00\x00\x04\x00\x3f\xff\xff\x00\x05\x00\x3f\xff"
	  "\xff\x00\x06\x00\x00 \x00\xfe\x03\x00\x00\x00\x01\x00\x00\x04\x08\x00\x00\x00"
	  "\x00\x00\x00\x3f\x00\x00" },
	{ EG, 363,
	  "PRI * HTTP/2.0\x0d\x0a\x0d\x0aSM\x0d\x0a\x0d\x0a\x00\x00$\x04\x00\x00\x00\x00"
	  "\x00\x00\x02\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x04\x00\x3f\xff\xff\x00"
	  "\x05\x00\x3f\xff\xff\x00\x06\x00\x00 \x00\xfe\x03\x00\x00\x00\x01\x00\x00\x00"
	  "\x04\x01\x00\x00\x00\x00\x00\x00\xe6\x01\x04\x00\x00\x00\x01@\x05:path\x0e/demo."
	  "Echo/Say@\x0a:authority\x0f""127.0.0.1:58090\x83\x86@\x0c""content-type\x10""app"
	  "lication/grpc@\x02te\x08trailers@\x14grpc-accept-encoding\x17identity, deflate, "
	  "gzip@\x0cgrpc-timeout\x04""196m@\x0auser-agent8zt-test grpc-python/1.51.1 grpc-c"
	  "/29.0.0 (linux; chttp2)\x00\x00\x04\x08\x00\x00\x00\x00\x01\x00\x00\x00\x05\x00"
	  "\x00\x0b\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x06\x0a\x04slow\x00\x00\x04\x08"
	  "\x00\x00\x00\x00\x00\x00\x3f\x00\x05" },
	{ IN, 39,
	  "\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00\x04\x08\x00\x00\x00\x00\x00\x00\x00"
	  "\x00\x0b\x00\x00\x08\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" },
	{ EG, 17, "\x00\x00\x08\x06\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" },
	{ EG, 13, "\x00\x00\x04\x03\x00\x00\x00\x00\x01\x00\x00\x00\x08" },
};

/* cap_grpc_server_stream: 7 chunks, 403 bytes egress, 308 ingress */
static const struct cap_chunk cap_grpc_server_stream[] = {
	{ IN, 46,
	  "\x00\x00\x18\x04\x00\x00\x00\x00\x00\x00\x04\x00\x3f\xff\xff\x00\x05\x00\x3f\xff"
	  "\xff\x00\x06\x00\x00 \x00\xfe\x03\x00\x00\x00\x01\x00\x00\x04\x08\x00\x00\x00"
	  "\x00\x00\x00\x3f\x00\x00" },
	{ EG, 343,
	  "PRI * HTTP/2.0\x0d\x0a\x0d\x0aSM\x0d\x0a\x0d\x0a\x00\x00$\x04\x00\x00\x00\x00"
	  "\x00\x00\x02\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x04\x00\x3f\xff\xff\x00"
	  "\x05\x00\x3f\xff\xff\x00\x06\x00\x00 \x00\xfe\x03\x00\x00\x00\x01\x00\x00\x00"
	  "\x04\x01\x00\x00\x00\x00\x00\x00\xd5\x01\x04\x00\x00\x00\x01@\x05:path\x10/demo."
	  "Echo/Count@\x0a:authority\x0f""127.0.0.1:58090\x83\x86@\x0c""content-type\x10""a"
	  "pplication/grpc@\x02te\x08trailers@\x14grpc-accept-encoding\x17identity, deflate"
	  ", gzip@\x0auser-agent8zt-test grpc-python/1.51.1 grpc-c/29.0.0 (linux; chttp2)"
	  "\x00\x00\x04\x08\x00\x00\x00\x00\x01\x00\x00\x00\x05\x00\x00\x08\x00\x01\x00\x00"
	  "\x00\x01\x00\x00\x00\x00\x03\x0a\x01n\x00\x00\x04\x08\x00\x00\x00\x00\x00\x00"
	  "\x3f\x00\x05" },
	{ IN, 39,
	  "\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00\x04\x08\x00\x00\x00\x00\x00\x00\x00"
	  "\x00\x08\x00\x00\x08\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" },
	{ EG, 17, "\x00\x00\x08\x06\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" },
	{ IN, 106,
	  "\x00\x00N\x01\x04\x00\x00\x00\x01\x88@\x0c""content-type\x10""application/grpc@"
	  "\x14grpc-accept-encoding\x17identity, deflate, gzip\x00\x00\x0a\x00\x00\x00\x00"
	  "\x00\x01\x00\x00\x00\x00\x05\x0a\x03n 0" },
	{ EG, 43,
	  "\x00\x00\x04\x08\x00\x00\x00\x00\x01\x00\x00\x00\x05\x00\x00\x04\x08\x00\x00\x00"
	  "\x00\x00\x00\x00\x00\x05\x00\x00\x08\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	  "\x00\x00\x00" },
	{ IN, 117,
	  "\x00\x00\x08\x06\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0a"
	  "\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x05\x0a\x03n 1\x00\x00\x0a\x00\x00\x00"
	  "\x00\x00\x01\x00\x00\x00\x00\x05\x0a\x03n 2\x00\x00\x0a\x00\x00\x00\x00\x00\x01"
	  "\x00\x00\x00\x00\x05\x0a\x03n 3\x00\x00\x0a\x00\x00\x00\x00\x00\x01\x00\x00\x00"
	  "\x00\x05\x0a\x03n 4\x00\x00\x0f\x01\x05\x00\x00\x00\x01@\x0bgrpc-status\x01""0" },
};

/* cap_grpc_client_stream: 8 chunks, 454 bytes egress, 329 ingress */
static const struct cap_chunk cap_grpc_client_stream[] = {
	{ IN, 46,
	  "\x00\x00\x18\x04\x00\x00\x00\x00\x00\x00\x04\x00\x3f\xff\xff\x00\x05\x00\x3f\xff"
	  "\xff\x00\x06\x00\x00 \x00\xfe\x03\x00\x00\x00\x01\x00\x00\x04\x08\x00\x00\x00"
	  "\x00\x00\x00\x3f\x00\x00" },
	{ EG, 341,
	  "PRI * HTTP/2.0\x0d\x0a\x0d\x0aSM\x0d\x0a\x0d\x0a\x00\x00$\x04\x00\x00\x00\x00"
	  "\x00\x00\x02\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x04\x00\x3f\xff\xff\x00"
	  "\x05\x00\x3f\xff\xff\x00\x06\x00\x00 \x00\xfe\x03\x00\x00\x00\x01\x00\x00\x00"
	  "\x04\x01\x00\x00\x00\x00\x00\x00\xd3\x01\x04\x00\x00\x00\x01@\x05:path\x0e/demo."
	  "Echo/Sum@\x0a:authority\x0f""127.0.0.1:58090\x83\x86@\x0c""content-type\x10""app"
	  "lication/grpc@\x02te\x08trailers@\x14grpc-accept-encoding\x17identity, deflate, "
	  "gzip@\x0auser-agent8zt-test grpc-python/1.51.1 grpc-c/29.0.0 (linux; chttp2)\x00"
	  "\x00\x04\x08\x00\x00\x00\x00\x01\x00\x00\x00\x05\x00\x00\x08\x00\x00\x00\x00\x00"
	  "\x01\x00\x00\x00\x00\x03\x0a\x01""a\x00\x00\x04\x08\x00\x00\x00\x00\x00\x00\x3f"
	  "\x00\x05" },
	{ EG, 18, "\x00\x00\x09\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x04\x0a\x02""bb" },
	{ EG, 19, "\x00\x00\x0a\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x05\x0a\x03""ccc" },
	{ EG, 20, "\x00\x00\x0b\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x06\x0a\x04""dddd" },
	{ EG, 9, "\x00\x00\x00\x00\x01\x00\x00\x00\x01" },
	{ IN, 283,
	  "\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00\x04\x08\x00\x00\x00\x00\x00\x00\x00"
	  "\x00\x08\x00\x00\x08\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	  "\x00\x04\x08\x00\x00\x00\x00\x01\x00\x00\x00\x0d\x00\x00\x04\x08\x00\x00\x00\x00"
	  "\x00\x00\x00\x00\x05\x00\x00\x04\x08\x00\x00\x00\x00\x01\x00\x00\x00\x09\x00\x00"
	  "\x04\x08\x00\x00\x00\x00\x00\x00\x00\x00\x09\x00\x00\x04\x08\x00\x00\x00\x00\x01"
	  "\x00\x00\x00\x0a\x00\x00\x04\x08\x00\x00\x00\x00\x00\x00\x00\x00\x0a\x00\x00\x04"
	  "\x08\x00\x00\x00\x00\x01\x00\x00\x00\x0b\x00\x00\x04\x08\x00\x00\x00\x00\x00\x00"
	  "\x00\x00\x0b\x00\x00N\x01\x04\x00\x00\x00\x01\x88@\x0c""content-type\x10""applic"
	  "ation/grpc@\x14grpc-accept-encoding\x17identity, deflate, gzip\x00\x00\x14\x00"
	  "\x00\x00\x00\x00\x01\x00\x00\x00\x00\x0f\x0a\x0d""a,bb,ccc,dddd\x00\x00\x0f\x01"
	  "\x05\x00\x00\x00\x01@\x0bgrpc-status\x01""0" },
	{ EG, 47,
	  "\x00\x00\x08\x06\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04"
	  "\x08\x00\x00\x00\x00\x00\x00\x00\x00\x0f\x00\x00\x08\x06\x00\x00\x00\x00\x00\x00"
	  "\x00\x00\x00\x00\x00\x00\x00" },
};

/* cap_grpc_bidi: 7 chunks, 432 bytes egress, 324 ingress */
static const struct cap_chunk cap_grpc_bidi[] = {
	{ IN, 46,
	  "\x00\x00\x18\x04\x00\x00\x00\x00\x00\x00\x04\x00\x3f\xff\xff\x00\x05\x00\x3f\xff"
	  "\xff\x00\x06\x00\x00 \x00\xfe\x03\x00\x00\x00\x01\x00\x00\x04\x08\x00\x00\x00"
	  "\x00\x00\x00\x3f\x00\x00" },
	{ EG, 342,
	  "PRI * HTTP/2.0\x0d\x0a\x0d\x0aSM\x0d\x0a\x0d\x0a\x00\x00$\x04\x00\x00\x00\x00"
	  "\x00\x00\x02\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x04\x00\x3f\xff\xff\x00"
	  "\x05\x00\x3f\xff\xff\x00\x06\x00\x00 \x00\xfe\x03\x00\x00\x00\x01\x00\x00\x00"
	  "\x04\x01\x00\x00\x00\x00\x00\x00\xd4\x01\x04\x00\x00\x00\x01@\x05:path\x0f/demo."
	  "Echo/Chat@\x0a:authority\x0f""127.0.0.1:58090\x83\x86@\x0c""content-type\x10""ap"
	  "plication/grpc@\x02te\x08trailers@\x14grpc-accept-encoding\x17identity, deflate,"
	  " gzip@\x0auser-agent8zt-test grpc-python/1.51.1 grpc-c/29.0.0 (linux; chttp2)"
	  "\x00\x00\x04\x08\x00\x00\x00\x00\x01\x00\x00\x00\x05\x00\x00\x08\x00\x00\x00\x00"
	  "\x00\x01\x00\x00\x00\x00\x03\x0a\x01x\x00\x00\x04\x08\x00\x00\x00\x00\x00\x00"
	  "\x3f\x00\x05" },
	{ EG, 17, "\x00\x00\x08\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x03\x0a\x01y" },
	{ EG, 17, "\x00\x00\x08\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x03\x0a\x01z" },
	{ EG, 9, "\x00\x00\x00\x00\x01\x00\x00\x00\x01" },
	{ IN, 278,
	  "\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00\x04\x08\x00\x00\x00\x00\x00\x00\x00"
	  "\x00\x08\x00\x00\x08\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	  "\x00N\x01\x04\x00\x00\x00\x01\x88@\x0c""content-type\x10""application/grpc@\x14g"
	  "rpc-accept-encoding\x17identity, deflate, gzip\x00\x00\x04\x08\x00\x00\x00\x00"
	  "\x01\x00\x00\x00\x08\x00\x00\x0c\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x07\x0a"
	  "\x05re: x\x00\x00\x04\x08\x00\x00\x00\x00\x01\x00\x00\x00\x08\x00\x00\x0c\x00"
	  "\x00\x00\x00\x00\x01\x00\x00\x00\x00\x07\x0a\x05re: y\x00\x00\x04\x08\x00\x00"
	  "\x00\x00\x00\x00\x00\x00\x08\x00\x00\x04\x08\x00\x00\x00\x00\x01\x00\x00\x00\x08"
	  "\x00\x00\x0c\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x07\x0a\x05re: z\x00\x00"
	  "\x04\x08\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00\x00\x0f\x01\x05\x00\x00\x00\x01"
	  "@\x0bgrpc-status\x01""0" },
	{ EG, 47,
	  "\x00\x00\x08\x06\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04"
	  "\x08\x00\x00\x00\x00\x00\x00\x00\x00\x1f\x00\x00\x08\x06\x00\x00\x00\x00\x00\x00"
	  "\x00\x00\x00\x00\x00\x00\x00" },
};


/*
 * nghttp -H "x-big: <20000 x>" http://127.0.0.1:58080/a.txt: a 17550-byte request block in
 * HEADERS (16384) + CONTINUATION (1166). The Huffman code of "xxxxxxxx" is 7 bytes, so the
 * value is stored as its head and the repeating code.
 */
static const char cont_head[] =
	"PRI * HTTP/2.0\x0d\x0a\x0d\x0aSM\x0d\x0a\x0d\x0a\x00\x00\x0c\x04\x00\x00\x00\x00"
	"\x00\x00\x03\x00\x00\x00""d\x00\x04\x00\x00\xff\xff\x00\x00\x00\x04\x01\x00\x00"
	"\x00\x00\x00@\x00\x01\x01\x00\x00\x00\x01\x82\x04\x85`k\xa7\xca\x7f\x86""A\x8b"
	"\x08\x9d\x5c\x0b\x81p\xdcm\xe0<\x0fS\x03*/*\x90z\x8a\xaai\xd2\x9a\xc4\xc0WlK\x83"
	"\x00\x84\xf2\xb4""f\x9b\xff\xdd\x87\x01";
static const uint8_t cont_code[7] = { 0xf3, 0xe7, 0xcf, 0x9f, 0x3e, 0x7c, 0xf9 };
static uint8_t cont_eg1[16447], cont_eg2[1175];
static struct cap_chunk cap_nghttp_continuation[5] = {
	{ IN, 15, "\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00""d" },
	{ EG, sizeof(cont_eg1), (const char *)cont_eg1 },
	{ EG, sizeof(cont_eg2), (const char *)cont_eg2 },
	{ IN, 121,
	  "\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00[\x01\x04\x00\x00\x00\x01\x88v\x90"
	  "\xaai\xd2\x9a\xe4R\xa9\xa7Jk\x13\x01]\xb1.\x0fX\x89\xa4~V\x1c\xc5\x81\x97\x00"
	  "\x0f""a\x96\xe4Y>\x94\x13ji\x3fu\x04\x01""8\xa0""Aq\x90\x5c\x13\x8a""b\xd1\xbf"
	  "\x0f\x0d\x01""3l\x96\xe4Y>\x94\x13ji\x3fu\x04\x01""8\xa0""ApO\xdcm\xb5""1h\xdf_"
	  "\x87I|\xa5\x8a\xe8\x19\xaa\x00\x00\x03\x00\x01\x00\x00\x00\x01""abc" },
	{ EG, 17, "\x00\x00\x08\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" },
};

static void build_cont_capture(void)
{
	size_t head = sizeof(cont_head) - 1, k = 0;

	memcpy(cont_eg1, cont_head, head);
	for (size_t i = head; i < sizeof(cont_eg1); i++)
		cont_eg1[i] = cont_code[k++ % 7];
	memcpy(cont_eg2, "\x00\x04\x8e\x09\x04\x00\x00\x00\x01", 9);
	for (size_t i = 9; i < sizeof(cont_eg2); i++)
		cont_eg2[i] = cont_code[k++ % 7];
}

struct capture {
	const char *name;
	const struct cap_chunk *c;
	size_t n;
	int records;
};

#define CAP(a, nrec) { #a, a, sizeof(a) / sizeof(a[0]), nrec }

static const struct capture captures[] = {
	CAP(cap_nghttp_get, 1),
	CAP(cap_nghttp_multi, 3),
	CAP(cap_nghttp_post, 1),
	CAP(cap_nghttpd_padding, 1),
	CAP(cap_nghttp_continuation, 1),
	CAP(cap_h2load_100, 100),
	CAP(cap_grpc_unary, 1),
	CAP(cap_grpc_not_found, 1),
	CAP(cap_grpc_deadline, 1),
	CAP(cap_grpc_server_stream, 1),
	CAP(cap_grpc_client_stream, 1),
	CAP(cap_grpc_bidi, 1),
};

/*
 * Feed a capture: chunk i gets tid i+1, cut in pieces of `step` bytes when step > 0,
 * directions swapped for the server's view, and the first skip[dir] bytes of each
 * direction left out (joining the connection in its middle).
 */
static void feed_cap_from(const struct capture *cap, bool flip, size_t step, const size_t skip[2])
{
	size_t seen[2] = { 0, 0 };

	for (size_t i = 0; i < cap->n; i++) {
		const struct cap_chunk *c = &cap->c[i];
		size_t from = 0;

		if (seen[c->dir] < skip[c->dir])
			from = skip[c->dir] - seen[c->dir] < c->len ? skip[c->dir] - seen[c->dir]
								     : c->len;
		seen[c->dir] += c->len;
		for (size_t off = from; off < c->len;) {
			size_t n = step && c->len - off > step ? step : c->len - off;
			int dir = flip ? !c->dir : c->dir;

			assert_int_equal(feedn(dir, c->data + off, n, i + 1), 0);
			off += n;
		}
	}
	close_conn(cap->n + 1);
}

static void feed_cap(const struct capture *cap, bool flip, size_t step)
{
	static const size_t none[2];

	feed_cap_from(cap, flip, step, none);
}

static const struct capture *cap_named(const char *name)
{
	for (size_t i = 0; i < sizeof(captures) / sizeof(captures[0]); i++)
		if (!strcmp(captures[i].name, name))
			return &captures[i];
	fail_msg("no capture %s", name);
	return NULL;
}

static void check_nghttp(const struct zt_l7_record *r, uint32_t sid, const char *path)
{
	assert_int_equal(r->proto, ZT_L7_HTTP2);
	assert_int_equal(r->req_dir, EG);
	assert_int_equal(r->stream_id, sid);
	assert_string_equal(r->version, "2");
	assert_string_equal(r->target, path);
	assert_string_equal(r->host, "127.0.0.1:58080");
	assert_string_equal(r->user_agent, "nghttp2/1.52.0");
	assert_true(r->has_response);
	assert_false(r->h2_reset);
	assert_false(r->headers_partial);
	assert_false(r->grpc);
}

/* PRIORITY frames for streams 3..11 first, the request on 13; the client's GOAWAY last. */
static void test_cap_nghttp_get(void **state)
{
	(void)state;
	feed_cap(cap_named("cap_nghttp_get"), false, 0);
	assert_int_equal(nrec, 1);
	check_nghttp(&recs[0], 13, "/index.html");
	assert_string_equal(recs[0].method, "GET");
	assert_int_equal(recs[0].status, 200);
	assert_int_equal(recs[0].resp_body_bytes, 9);
	assert_int_equal(recs[0].req_pos, 24 + 21 + 9 + 5 * 14);
	assert_int_equal(recs[0].req_first.tid, 2);
	assert_int_equal(recs[0].req_last.tid, 2);
	assert_int_equal(recs[0].resp_first.tid, 3);
	assert_int_equal(recs[0].resp_last.tid, 3);
	assert_int_equal(nheads, 1);
	assert_int_equal(STAT(malformed), 0);
}

/* Three streams in one write; their responses and a 404 body in one read. */
static void test_cap_nghttp_multi(void **state)
{
	(void)state;
	feed_cap(cap_named("cap_nghttp_multi"), false, 0);
	assert_int_equal(nrec, 3);
	check_nghttp(&recs[0], 1, "/a.txt");
	check_nghttp(&recs[1], 3, "/index.html");
	check_nghttp(&recs[2], 5, "/missing");
	assert_int_equal(recs[0].resp_body_bytes, 3);
	assert_int_equal(recs[1].resp_body_bytes, 9);
	assert_int_equal(recs[2].status, 404);
	assert_int_equal(recs[2].resp_body_bytes, 148);
}

static void test_cap_nghttp_post(void **state)
{
	(void)state;
	feed_cap(cap_named("cap_nghttp_post"), false, 0);
	assert_int_equal(nrec, 1);
	check_nghttp(&recs[0], 1, "/index.html");
	assert_string_equal(recs[0].method, "POST");
	assert_int_equal(recs[0].req_body_bytes, 3);
	assert_int_equal(recs[0].resp_body_bytes, 9);
	assert_string_equal(recs[0].traceparent, TP);
	assert_string_equal(recs[0].tracestate, "congo=t61rcWkgMzE");
}

/* nghttpd --padding=16: padded HEADERS and DATA; padding is not body. */
static void test_cap_nghttpd_padding(void **state)
{
	(void)state;
	feed_cap(cap_named("cap_nghttpd_padding"), false, 0);
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].host, "127.0.0.1:58081");
	assert_int_equal(recs[0].status, 200);
	assert_int_equal(recs[0].resp_body_bytes, 9);
}

static void test_cap_nghttp_continuation(void **state)
{
	(void)state;
	feed_cap(cap_named("cap_nghttp_continuation"), false, 0);
	assert_int_equal(nrec, 1);
	check_nghttp(&recs[0], 1, "/a.txt");
	assert_int_equal(recs[0].resp_body_bytes, 3);
	assert_int_equal(recs[0].req_first.tid, 2);
	assert_int_equal(recs[0].req_last.tid, 3);
	assert_int_equal(STAT(heads_too_large), 0);
}

/* h2load -n 100 -c 1 -m 100: 100 concurrent streams in one write, answered in one read. */
static void test_cap_h2load_100(void **state)
{
	(void)state;
	feed_cap(cap_named("cap_h2load_100"), false, 0);
	assert_int_equal(nrec, 100);
	assert_int_equal(nheads, 100);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(recs[i].stream_id, 2 * i + 1);
		assert_string_equal(recs[i].method, "GET");
		assert_string_equal(recs[i].target, "/a.txt");
		assert_string_equal(recs[i].user_agent, "h2load nghttp2/1.52.0");
		assert_int_equal(recs[i].status, 200);
		assert_int_equal(recs[i].resp_body_bytes, 3);
		assert_false(recs[i].headers_partial);
	}
	assert_int_equal(STAT(records), 100);
	assert_int_equal(STAT(unanswered), 0);
}

static void check_grpc(const struct zt_l7_record *r, const char *path, int grpc_status)
{
	assert_int_equal(r->req_dir, EG);
	assert_int_equal(r->stream_id, 1);
	assert_true(r->grpc);
	assert_string_equal(r->method, "POST");
	assert_string_equal(r->target, path);
	assert_string_equal(r->host, "127.0.0.1:58090");
	assert_string_equal(r->user_agent,
			    "zt-test grpc-python/1.51.1 grpc-c/29.0.0 (linux; chttp2)");
	assert_int_equal(r->grpc_status, grpc_status);
	assert_false(r->headers_partial);
}

static void test_cap_grpc_unary(void **state)
{
	(void)state;
	feed_cap(cap_named("cap_grpc_unary"), false, 0);
	assert_int_equal(nrec, 1);
	check_grpc(&recs[0], "/demo.Echo/Say", 0);
	assert_string_equal(recs[0].traceparent,
			    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
	assert_int_equal(recs[0].status, 200);
	assert_int_equal(recs[0].req_messages, 1);
	assert_int_equal(recs[0].resp_messages, 1);
	assert_int_equal(recs[0].req_body_bytes, 12);
	assert_int_equal(recs[0].resp_body_bytes, 18);
	assert_false(recs[0].h2_reset);
	/* Request in write 2; headers, message and trailers in read 5. */
	assert_int_equal(recs[0].req_first.tid, 2);
	assert_int_equal(recs[0].req_last.tid, 2);
	assert_int_equal(recs[0].resp_first.tid, 5);
	assert_int_equal(recs[0].resp_last.tid, 5);
}

/* context.abort(NOT_FOUND, "no such name: café 100%"): a Trailers-Only response. */
static void test_cap_grpc_not_found(void **state)
{
	(void)state;
	feed_cap(cap_named("cap_grpc_not_found"), false, 0);
	assert_int_equal(nrec, 1);
	check_grpc(&recs[0], "/demo.Echo/Say", 5);
	assert_string_equal(recs[0].grpc_message, "no such name: caf\xc3\xa9 100%");
	assert_int_equal(recs[0].status, 200);
	assert_int_equal(recs[0].req_messages, 1);
	assert_int_equal(recs[0].resp_messages, 0);
	assert_int_equal(recs[0].resp_body_bytes, 0);
}

/* timeout=0.2 against a 1 s handler: the client cancels with RST_STREAM(CANCEL). */
static void test_cap_grpc_deadline(void **state)
{
	(void)state;
	feed_cap(cap_named("cap_grpc_deadline"), false, 0);
	assert_int_equal(nrec, 1);
	check_grpc(&recs[0], "/demo.Echo/Say", -1);
	assert_false(recs[0].has_response);
	assert_true(recs[0].h2_reset);
	assert_int_equal(recs[0].h2_error, 8);
	assert_int_equal(recs[0].req_messages, 1);
	assert_int_equal(STAT(unanswered), 0);
}

static void test_cap_grpc_server_stream(void **state)
{
	(void)state;
	feed_cap(cap_named("cap_grpc_server_stream"), false, 0);
	assert_int_equal(nrec, 1);
	check_grpc(&recs[0], "/demo.Echo/Count", 0);
	assert_int_equal(recs[0].req_messages, 1);
	assert_int_equal(recs[0].resp_messages, 5);
	assert_int_equal(recs[0].resp_body_bytes, 50);
	assert_int_equal(recs[0].resp_first.tid, 5);
	assert_int_equal(recs[0].resp_last.tid, 7);
}

static void test_cap_grpc_client_stream(void **state)
{
	(void)state;
	feed_cap(cap_named("cap_grpc_client_stream"), false, 0);
	assert_int_equal(nrec, 1);
	check_grpc(&recs[0], "/demo.Echo/Sum", 0);
	assert_int_equal(recs[0].req_messages, 4);
	assert_int_equal(recs[0].resp_messages, 1);
	assert_int_equal(recs[0].req_body_bytes, 38);
	assert_int_equal(recs[0].req_first.tid, 2);
	assert_int_equal(recs[0].req_last.tid, 6);	/* the empty DATA with END_STREAM */
}

static void test_cap_grpc_bidi(void **state)
{
	(void)state;
	feed_cap(cap_named("cap_grpc_bidi"), false, 0);
	assert_int_equal(nrec, 1);
	check_grpc(&recs[0], "/demo.Echo/Chat", 0);
	assert_int_equal(recs[0].req_messages, 3);
	assert_int_equal(recs[0].resp_messages, 3);
	assert_int_equal(recs[0].req_last.tid, 5);
	assert_int_equal(recs[0].resp_last.tid, 6);
}

static struct zt_l7_record want[MAX_RECS];
static int nwant;

/* Everything but the timings, which depend on how the bytes were cut. */
static void assert_same_record(const struct zt_l7_record *a, const struct zt_l7_record *b)
{
	assert_int_equal(a->stream_id, b->stream_id);
	assert_int_equal(a->has_response, b->has_response);
	assert_string_equal(a->method, b->method);
	assert_string_equal(a->target, b->target);
	assert_string_equal(a->host, b->host);
	assert_string_equal(a->user_agent, b->user_agent);
	assert_string_equal(a->traceparent, b->traceparent);
	assert_string_equal(a->tracestate, b->tracestate);
	assert_string_equal(a->grpc_message, b->grpc_message);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->req_body_bytes, b->req_body_bytes);
	assert_int_equal(a->resp_body_bytes, b->resp_body_bytes);
	assert_int_equal(a->req_pos, b->req_pos);
	assert_int_equal(a->grpc, b->grpc);
	assert_int_equal(a->grpc_status, b->grpc_status);
	assert_int_equal(a->req_messages, b->req_messages);
	assert_int_equal(a->resp_messages, b->resp_messages);
	assert_int_equal(a->h2_reset, b->h2_reset);
	assert_int_equal(a->h2_error, b->h2_error);
	assert_int_equal(a->headers_partial, b->headers_partial);
}

/* Each capture, cut in pieces of 1..13 and 1000 bytes, and seen from the server: alike. */
static void test_cap_any_cut_and_role(void **state)
{
	static const size_t steps[] = { 1, 2, 3, 5, 7, 9, 13, 1000 };

	(void)state;
	for (size_t i = 0; i < sizeof(captures) / sizeof(captures[0]); i++) {
		const struct capture *cap = &captures[i];

		reset();
		feed_cap(cap, false, 0);
		assert_int_equal(nrec, cap->records);
		nwant = nrec;
		memcpy(want, recs, nrec * sizeof(recs[0]));
		for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
			for (int flip = 0; flip < 2; flip++) {
				reset();
				feed_cap(cap, flip, steps[s]);
				assert_int_equal(nrec, nwant);
				for (int r = 0; r < nrec; r++) {
					assert_same_record(&recs[r], &want[r]);
					assert_int_equal(recs[r].req_dir, flip ? IN : EG);
				}
				assert_int_equal(STAT(malformed), 0);
			}
		}
	}
}

/*
 * A record made without the whole connection may lack fields, but what it has must be
 * what the whole connection said for that stream: nothing is guessed or misattributed.
 */
static void assert_consistent(const struct zt_l7_record *r)
{
	const struct zt_l7_record *w = NULL;

	for (int i = 0; i < nwant && !w; i++)
		if (want[i].stream_id == r->stream_id)
			w = &want[i];
	if (!w)
		fail_msg("record for stream %u that the whole capture does not have", r->stream_id);
	if (r->method[0])
		assert_string_equal(r->method, w->method);
	if (r->target[0])
		assert_string_equal(r->target, w->target);
	if (r->host[0])
		assert_string_equal(r->host, w->host);
	if (r->status)
		assert_int_equal(r->status, w->status);
	if (r->grpc_status >= 0)
		assert_int_equal(r->grpc_status, w->grpc_status);
	if (r->grpc_message[0])
		assert_string_equal(r->grpc_message, w->grpc_message);
	if (r->has_response)
		assert_true(w->has_response);
	if (r->grpc)
		assert_true(w->grpc);
	assert_true(r->req_body_bytes <= w->req_body_bytes);
	assert_true(r->resp_body_bytes <= w->resp_body_bytes);
	assert_true(r->req_messages <= w->req_messages);
	assert_true(r->resp_messages <= w->resp_messages);
	if (r->headers_partial)
		return;
	/* Request fields decoded without loss are all there. */
	assert_string_equal(r->method, w->method);
	assert_string_equal(r->target, w->target);
	assert_string_equal(r->host, w->host);
	assert_string_equal(r->user_agent, w->user_agent);
	assert_string_equal(r->traceparent, w->traceparent);
	assert_string_equal(r->tracestate, w->tracestate);
}

/* Joined at every offset of either direction: resyncs, never malformed, never wrong. */
static void test_cap_joined_mid_stream(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(captures) / sizeof(captures[0]); i++) {
		const struct capture *cap = &captures[i];
		size_t total[2] = { 0, 0 }, skip[2];

		if (cap->c == cap_nghttp_continuation)
			continue;	/* 17 KB: covered by the cut test */
		reset();
		feed_cap(cap, false, 0);
		nwant = nrec;
		memcpy(want, recs, nrec * sizeof(recs[0]));
		for (size_t k = 0; k < cap->n; k++)
			total[cap->c[k].dir] += cap->c[k].len;
		for (size_t off = 1; off < total[EG] + total[IN]; off += 1 + off / 64) {
			skip[EG] = off < total[EG] ? off : total[EG];
			skip[IN] = off < total[EG] ? off % (total[IN] + 1) : off - total[EG];
			reset();
			feed_cap_from(cap, false, 0, skip);
			assert_int_equal(STAT(malformed), 0);
			for (int r = 0; r < nrec; r++)
				assert_consistent(&recs[r]);
		}
	}
	/* From the middle of the h2load requests: the later streams are all found. */
	reset();
	feed_cap(cap_named("cap_h2load_100"), false, 0);
	nwant = nrec;
	memcpy(want, recs, nrec * sizeof(recs[0]));
	reset();
	feed_cap_from(cap_named("cap_h2load_100"), false, 0, (const size_t[2]){ 1000, 1500 });
	assert_true(nrec >= 50);
	for (int r = 0; r < nrec; r++)
		assert_consistent(&recs[r]);
	assert_true(STAT(resyncs) >= 2);
}

/* Feed a capture with glen bytes of chunk ci, from offset at, lost. */
static void feed_cap_with_gap(const struct capture *cap, size_t ci, size_t at, size_t glen)
{
	for (size_t k = 0; k < cap->n; k++) {
		const struct cap_chunk *c = &cap->c[k];
		size_t end = at + glen < c->len ? at + glen : c->len;

		if (k != ci) {
			assert_int_equal(feedn(c->dir, c->data, c->len, k + 1), 0);
			continue;
		}
		if (at)
			assert_int_equal(feedn(c->dir, c->data, at, k + 1), 0);
		assert_int_equal(gap(c->dir, glen, k + 1), 0);
		if (end < c->len)
			assert_int_equal(feedn(c->dir, c->data + end, c->len - end, k + 1), 0);
	}
	close_conn(cap->n + 1);
}

/* Lost bytes anywhere in a capture: counted, resynced, never wrong. */
static void test_cap_gaps_anywhere(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(captures) / sizeof(captures[0]); i++) {
		const struct capture *cap = &captures[i];

		if (cap->c == cap_nghttp_continuation)
			continue;
		reset();
		feed_cap(cap, false, 0);
		nwant = nrec;
		memcpy(want, recs, nrec * sizeof(recs[0]));
		for (size_t ci = 0; ci < cap->n; ci++) {
			size_t len = cap->c[ci].len;

			for (size_t at = 0; at < len; at += 1 + len / 24) {
				reset();
				feed_cap_with_gap(cap, ci, at, 1 + (at * 7) % (len - at));
				assert_int_equal(STAT(malformed), 0);
				assert_int_equal(STAT(gaps), 1);
				for (int r = 0; r < nrec; r++)
					assert_consistent(&recs[r]);
			}
		}
	}
}

/* ---- HTTP/1.1 Upgrade to h2c ---- */

static const char h2c_req[] = "GET /index.html HTTP/1.1\r\nHost: example.com\r\n"
			      "User-Agent: curl/7.88.1\r\nConnection: Upgrade, HTTP2-Settings\r\n"
			      "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n"
			      "traceparent: " TP "\r\n\r\n";

/* An upgraded connection starts as HTTP/1.1: the HTTP/1.x parser is the one that sees it. */
static void use_parser(const struct zt_parser_ops *parser)
{
	ops->destroy(conn);
	conn = NULL;
	ops = parser;
	reset();
}

/*
 * curl --http2 on an http:// URL: the Upgrade: h2c request becomes stream 1 and is answered
 * in HTTP/2 right after the 101 (here in the same read); later requests are HTTP/2 streams.
 */
static void test_h2c_upgrade(void **state)
{
	static const char sw[] = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
				 "Upgrade: h2c\r\n\r\n";
	const struct zt_l7_record *r;

	(void)state;
	use_parser(&zt_http1_parser);
	assert_int_equal(feeds(EG, h2c_req, 1), 0);
	assert_int_equal(nheads, 1);
	wires_reset();
	put(&wb, sw, strlen(sw));
	server_start(&wb);
	resp_block(200);
	headers(&wb, 1, 0);
	data(&wb, 1, F_END_STREAM, "hello h2\n", 9);
	assert_int_equal(feedw(IN, &wb, 2), 0);
	assert_int_equal(nrec, 1);
	r = &recs[0];
	assert_int_equal(r->proto, ZT_L7_HTTP2);
	assert_int_equal(r->req_dir, EG);
	/* Its IDs were fixed as an HTTP/1.1 request's: no stream to look them up by. */
	assert_int_equal(r->stream_id, 0);
	assert_int_equal(r->req_pos, 0);
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->target, "/index.html");
	assert_string_equal(r->host, "example.com");
	assert_string_equal(r->user_agent, "curl/7.88.1");
	assert_string_equal(r->traceparent, TP);
	assert_true(r->has_response);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->resp_body_bytes, 9);
	assert_int_equal(r->req_first.tid, 1);
	assert_int_equal(r->resp_first.tid, 2);
	assert_false(r->h2_reset);

	/* The client's preface follows the 101; stream 3 is plain HTTP/2. */
	wires_reset();
	client_start(&wa);
	req_block("GET", "/two");
	headers(&wa, 3, F_END_STREAM);
	assert_int_equal(feedw(EG, &wa, 3), 0);
	assert_int_equal(nheads, 2);
	resp_block(404);
	headers(&wb, 3, F_END_STREAM);
	assert_int_equal(feedw(IN, &wb, 4), 0);
	assert_int_equal(nrec, 2);
	r = &recs[1];
	assert_int_equal(r->stream_id, 3);
	assert_string_equal(r->target, "/two");
	assert_int_equal(r->status, 404);
	close_conn(5);
	assert_int_equal(nrec, 2);
	assert_int_equal(STAT(malformed), 0);
	use_parser(&zt_http2_parser);
}

/* The server's side, the 101 and its HTTP/2 in separate writes; a close before the answer
 * to stream 1 flushes it as reset. */
static void test_h2c_upgrade_server_side_closed_early(void **state)
{
	static const char sw[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n"
				 "Connection: Upgrade\r\n\r\n";
	const struct zt_l7_record *r;

	(void)state;
	use_parser(&zt_http1_parser);
	assert_int_equal(feeds(IN, h2c_req, 1), 0);
	assert_int_equal(feeds(EG, sw, 2), 0);
	wires_reset();
	server_start(&wb);
	assert_int_equal(feedw(EG, &wb, 3), 0);
	client_start(&wa);
	assert_int_equal(feedw(IN, &wa, 4), 0);
	assert_int_equal(nrec, 0);
	close_conn(5);
	assert_int_equal(nrec, 1);
	r = &recs[0];
	assert_int_equal(r->req_dir, IN);
	assert_string_equal(r->target, "/index.html");
	assert_false(r->has_response);
	assert_true(r->h2_reset);
	use_parser(&zt_http2_parser);
}

/* An upgrade to anything else (a WebSocket) still ends HTTP parsing at the 101. */
static void test_upgrade_other_than_h2c_stops(void **state)
{
	static const char req[] = "GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
				  "Upgrade: websocket\r\n\r\n";
	static const char sw[] = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
				 "Upgrade: websocket\r\n\r\n\x81\x05hello";

	(void)state;
	use_parser(&zt_http1_parser);
	assert_int_equal(feeds(EG, req, 1), 0);
	assert_int_equal(feeds(IN, sw, 2), ZT_FEED_SWITCHED);
	assert_int_equal(nrec, 1);
	assert_int_equal(recs[0].proto, ZT_L7_HTTP1);
	assert_int_equal(recs[0].status, 101);
	assert_int_equal(feeds(EG, "\x81\x85mask-GET / HTTP/1.1\r\n\r\n", 3), ZT_FEED_SWITCHED);
	close_conn(4);
	assert_int_equal(nrec, 1);
	use_parser(&zt_http2_parser);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_detect),
		T(test_get),
		T(test_get_every_split),
		T(test_h2c_upgrade),
		T(test_h2c_upgrade_server_side_closed_early),
		T(test_upgrade_other_than_h2c_stops),
		T(test_server_side),
		T(test_post_padding_priority),
		T(test_continuation),
		T(test_concurrent_out_of_order),
		T(test_interim_1xx),
		T(test_rst_stream),
		T(test_goaway),
		T(test_close_flush),
		T(test_grpc_unary_messages),
		T(test_grpc_trailers_only),
		T(test_gap_inside_data),
		T(test_gap_loses_framing),
		T(test_gap_inside_header_block),
		T(test_mid_stream_start),
		T(test_mid_stream_roles_from_status),
		T(test_error_after_resync_hunts_again),
		T(test_block_too_large),
		T(test_stream_limit),
		T(test_grpc_500_concurrent_server_side),
		T(test_malformed),
		T(test_push_promise),
		T(test_control_and_unknown_frames),
		T(test_hpack_dynamic_table),
		T(test_settings_header_table_size),
		T(test_long_and_binary_values),
		T(test_cap_nghttp_get),
		T(test_cap_nghttp_multi),
		T(test_cap_nghttp_post),
		T(test_cap_nghttpd_padding),
		T(test_cap_nghttp_continuation),
		T(test_cap_h2load_100),
		T(test_cap_grpc_unary),
		T(test_cap_grpc_not_found),
		T(test_cap_grpc_deadline),
		T(test_cap_grpc_server_stream),
		T(test_cap_grpc_client_stream),
		T(test_cap_grpc_bidi),
		T(test_cap_any_cut_and_role),
		T(test_cap_joined_mid_stream),
		T(test_cap_gaps_anywhere),
	};

	build_cont_capture();

	return cmocka_run_group_tests(tests, NULL, NULL);
}
