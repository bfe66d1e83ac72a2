/* HTTP/1.x parser: framing, pairing, splitting, gaps, roles, limits and malformed input. */
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

#define TP "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

static const struct zt_parser_ops *ops = &zt_http1_parser;

#include "l7_harness.h"

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static char *concat3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = malloc(la + lb + lc + 1);

	assert_non_null(s);
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

/* ---- detect ---- */

static void test_detect(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		enum zt_detect want;
	} cases[] = {
		{ "GET / HTTP/1.1\r\n", 16, ZT_DETECT_YES },
		{ "POST /x HTTP/1.1", 16, ZT_DETECT_YES },
		{ "OPTIONS * HTTP/1.1", 18, ZT_DETECT_YES },
		{ "PROPFIND /d", 11, ZT_DETECT_YES },
		{ "HTTP/1.1 200 OK", 15, ZT_DETECT_YES },
		{ "HTTP/1.", 7, ZT_DETECT_YES },
		{ "", 0, ZT_DETECT_MAYBE },
		{ "GE", 2, ZT_DETECT_MAYBE },
		{ "POST", 4, ZT_DETECT_MAYBE },
		{ "HTTP/", 5, ZT_DETECT_MAYBE },
		{ "get / HTTP/1.1", 14, ZT_DETECT_NO },
		{ "GETX / HTTP/1.1", 15, ZT_DETECT_NO },
		{ "PRI * HTTP/2.0\r\n", 16, ZT_DETECT_NO },
		{ "HTTP/2 200", 10, ZT_DETECT_NO },
		{ "\x16\x03\x01\x02\x00", 5, ZT_DETECT_NO },
		{ "SSH-2.0-OpenSSH", 15, ZT_DETECT_NO },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int dir = 0; dir < 2; dir++) {
			enum zt_detect got = ops->detect((const uint8_t *)cases[i].s,
							 cases[i].len, dir);

			if (got != cases[i].want)
				fail_msg("detect(\"%s\") = %d, want %d", cases[i].s, got,
					 cases[i].want);
		}
	}
	assert_string_equal(ops->name, "http1");
	assert_int_equal(ops->proto, ZT_L7_HTTP1);
}

/* ---- basic exchanges ---- */

static void test_simple_get(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\n"
				   "User-Agent: curl/8.0\r\nAccept: */*\r\n\r\n", 1), 0);
	assert_int_equal(nrec, 0);
	assert_int_equal(nheads, 1);
	assert_string_equal(last_head_target, "/index.html?q=1");
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
				   "Content-Type: text/plain\r\n\r\nhello", 2), 0);
	assert_int_equal(nrec, 1);

	struct zt_l7_record *r = &recs[0];

	assert_int_equal(r->proto, ZT_L7_HTTP1);
	assert_int_equal(r->req_dir, EG);
	assert_true(r->has_response);
	assert_false(r->target_truncated);
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->target, "/index.html?q=1");
	assert_string_equal(r->host, "example.com");
	assert_string_equal(r->user_agent, "curl/8.0");
	assert_string_equal(r->traceparent, "");
	assert_string_equal(r->tracestate, "");
	assert_string_equal(r->version, "1.1");
	assert_int_equal(r->status, 200);
	assert_int_equal(r->stream_id, 0);
	assert_int_equal(r->req_body_bytes, 0);
	assert_int_equal(r->resp_body_bytes, 5);
	assert_int_equal(r->req_first.tid, 1);
	assert_int_equal(r->req_last.tid, 1);
	assert_int_equal(r->resp_first.tid, 2);
	assert_int_equal(r->resp_last.tid, 2);
	assert_int_equal(STAT(records), 1);
	assert_int_equal(STAT(malformed), 0);
	close_conn(3);
	assert_int_equal(nrec, 1);
	assert_int_equal(STAT(unanswered), 0);
}

static void test_keepalive_three(void **state)
{
	char buf[256];

	(void)state;
	for (int i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "GET /k%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
		assert_int_equal(feeds(EG, buf, 10 * i + 1), 0);
		snprintf(buf, sizeof(buf), "HTTP/1.1 %d OK\r\nContent-Length: %d\r\n\r\n%.*s",
			 200 + i, 3 * i, 3 * i, "abcdefghi");
		assert_int_equal(feeds(IN, buf, 10 * i + 2), 0);
		assert_int_equal(nrec, i + 1);
	}
	for (int i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "/k%d", i);
		assert_string_equal(recs[i].target, buf);
		assert_int_equal(recs[i].status, 200 + i);
		assert_int_equal(recs[i].resp_body_bytes, 3 * i);
		assert_int_equal(recs[i].req_first.tid, 10 * i + 1);
		assert_int_equal(recs[i].resp_last.tid, 10 * i + 2);
	}
}

static const char pipelined_reqs[] =
	"GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
	"GET /b HTTP/1.1\r\nHost: h\r\n\r\n"
	"POST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz";
static const char pipelined_resps[] =
	"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
	"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
	"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";

static void check_pipelined(void)
{
	assert_int_equal(nrec, 3);
	assert_string_equal(recs[0].target, "/a");
	assert_int_equal(recs[0].status, 200);
	assert_int_equal(recs[0].resp_body_bytes, 1);
	assert_string_equal(recs[1].target, "/b");
	assert_int_equal(recs[1].status, 404);
	assert_int_equal(recs[1].resp_body_bytes, 0);
	assert_string_equal(recs[2].method, "POST");
	assert_string_equal(recs[2].target, "/c");
	assert_int_equal(recs[2].status, 201);
	assert_int_equal(recs[2].req_body_bytes, 3);
	assert_int_equal(recs[2].resp_body_bytes, 2);
	/* Stream positions of each request's first byte, however the stream was split. */
	assert_int_equal(recs[0].req_pos, 0);
	assert_int_equal(recs[1].req_pos, 28);
	assert_int_equal(recs[2].req_pos, 56);
	assert_int_equal(STAT(malformed), 0);
}

static void test_pipelined(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, pipelined_reqs, 1), 0);
	assert_int_equal(nrec, 0);
	assert_int_equal(feeds(IN, pipelined_resps, 2), 0);
	check_pipelined();
}

/* Both streams cut in two at every offset. */
static void test_pipelined_every_split(void **state)
{
	size_t lq = strlen(pipelined_reqs), lr = strlen(pipelined_resps);

	(void)state;
	for (size_t i = 1; i < lq; i++) {
		reset();
		assert_int_equal(feedn(EG, pipelined_reqs, i, 1), 0);
		assert_int_equal(feedn(EG, pipelined_reqs + i, lq - i, 2), 0);
		assert_int_equal(feedn(IN, pipelined_resps, i % lr, 3), 0);
		assert_int_equal(feedn(IN, pipelined_resps + i % lr, lr - i % lr, 4), 0);
		check_pipelined();
	}
}

static void test_byte_at_a_time(void **state)
{
	static const char req[] = "PUT /obj HTTP/1.1\r\nHost: store\r\ntraceparent: " TP
				  "\r\nContent-Length: 4\r\n\r\nDATA";
	static const char resp[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				   "3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\nT: 1\r\n\r\n";
	uint32_t last;

	(void)state;
	last = feed_split(EG, req, strlen(req), 1, 100);
	assert_int_equal(last, 100 + strlen(req) - 1);
	assert_int_equal(feed_split(IN, resp, strlen(resp), 1, 1000), 1000 + strlen(resp) - 1);
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].method, "PUT");
	assert_string_equal(recs[0].target, "/obj");
	assert_string_equal(recs[0].host, "store");
	assert_string_equal(recs[0].traceparent, TP);
	assert_int_equal(recs[0].req_body_bytes, 4);
	assert_int_equal(recs[0].resp_body_bytes, 7);
	assert_int_equal(recs[0].status, 200);
	assert_int_equal(recs[0].req_first.tid, 100);
	assert_int_equal(recs[0].req_last.tid, last);
	assert_int_equal(recs[0].resp_first.tid, 1000);
	assert_int_equal(recs[0].resp_last.tid, 1000 + strlen(resp) - 1);
}

/* ---- response framing ---- */

static void test_chunked_every_split(void **state)
{
	static const char resp[] =
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
		"5;ext=1\r\nhello\r\n6 ; name=\"v\"\r\n world\r\nA\r\n0123456789\r\n"
		"0\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n";
	size_t len = strlen(resp);

	(void)state;
	for (size_t i = 1; i < len; i++) {
		for (size_t j = i; j < len; j++) {
			reset();
			assert_int_equal(feeds(EG, "GET /c HTTP/1.1\r\n\r\n", 1), 0);
			assert_int_equal(feedn(IN, resp, i, 2), 0);
			if (j > i)
				assert_int_equal(feedn(IN, resp + i, j - i, 3), 0);
			assert_int_equal(feedn(IN, resp + j, len - j, 4), 0);
			assert_int_equal(nrec, 1);
			assert_int_equal(recs[0].resp_body_bytes, 21);
			assert_int_equal(recs[0].resp_last.tid, 4);
			/* The connection stays aligned for the next exchange. */
			assert_int_equal(feeds(EG, "GET /d HTTP/1.1\r\n\r\n", 5), 0);
			assert_int_equal(feeds(IN, "HTTP/1.1 204 No Content\r\n\r\n", 6), 0);
			assert_int_equal(nrec, 2);
			assert_string_equal(recs[1].target, "/d");
			assert_int_equal(recs[1].status, 204);
			assert_int_equal(STAT(malformed), 0);
		}
	}
}

static void test_head_has_no_body(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "HEAD /h HTTP/1.1\r\n\r\nGET /g HTTP/1.1\r\n\r\n", 1), 0);
	/* Both responses in one chunk: the HEAD response's Content-Length must not eat the next. */
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
				   "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", 2), 0);
	assert_int_equal(nrec, 2);
	assert_string_equal(recs[0].method, "HEAD");
	assert_int_equal(recs[0].resp_body_bytes, 0);
	assert_string_equal(recs[1].target, "/g");
	assert_int_equal(recs[1].resp_body_bytes, 2);
}

static void test_no_body_statuses(void **state)
{
	static const struct {
		const char *resp;
		int status;
	} cases[] = {
		{ "HTTP/1.1 204 No Content\r\n\r\n", 204 },
		{ "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 304 },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200 },
		{ "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 404 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *both = concat3(cases[i].resp, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
				     "");

		reset();
		assert_int_equal(feeds(EG, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", 1), 0);
		assert_int_equal(feeds(IN, both, 2), 0);
		assert_int_equal(nrec, 2);
		assert_int_equal(recs[0].status, cases[i].status);
		assert_int_equal(recs[0].resp_body_bytes, 0);
		assert_int_equal(recs[1].status, 200);
		assert_int_equal(recs[1].resp_body_bytes, 1);
		free(both);
	}
}

static void test_100_continue(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "POST /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
				   "Content-Length: 4\r\n\r\n", 1), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 100 Continue\r\n\r\n", 2), 0);
	assert_int_equal(nrec, 0);
	assert_int_equal(feeds(EG, "abcd", 3), 0);
	assert_int_equal(nrec, 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n", 4), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 5), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(recs[0].status, 200);
	assert_int_equal(recs[0].req_body_bytes, 4);
	assert_int_equal(recs[0].req_last.tid, 3);
	assert_int_equal(recs[0].resp_first.tid, 5);
	assert_int_equal(recs[0].resp_body_bytes, 2);
}

static void test_101_upgrade_stops(void **state)
{
	static const char resp[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
				   "Connection: Upgrade\r\n\r\n\x81\x05hello";

	(void)state;
	assert_int_equal(feeds(EG, "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n"
				   "Upgrade: websocket\r\n\r\n", 1), 0);
	/* A client may send frames before the verdict: not HTTP, but not malformed either. */
	assert_int_equal(feedn(EG, "\x81\x85\x00\x00\x00\x00hello", 11, 2), 0);
	/* The switch is told, so that the connection's capture can stop; it is no error. */
	assert_int_equal(feedn(IN, resp, sizeof(resp) - 1, 3), ZT_FEED_SWITCHED);
	assert_int_equal(nrec, 1);
	assert_int_equal(recs[0].status, 101);
	assert_true(recs[0].has_response);
	assert_int_equal(recs[0].resp_first.tid, 3);
	assert_int_equal(recs[0].resp_last.tid, 3);
	assert_int_equal(feedn(EG, "\x88\x80\x00\x00", 4, 4), ZT_FEED_SWITCHED);
	assert_int_equal(feedn(IN, "\x00\xff garbage \x01", 12, 5), ZT_FEED_SWITCHED);
	assert_int_equal(gap(IN, 100, 6), ZT_FEED_SWITCHED);
	assert_int_equal(feeds(IN, "more", 7), ZT_FEED_SWITCHED);
	close_conn(8);
	assert_int_equal(nrec, 1);
	assert_int_equal(STAT(malformed), 0);
	assert_int_equal(STAT(unanswered), 0);
}

static void test_connect_stops(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "CONNECT example.com:443 HTTP/1.1\r\n"
				   "Host: example.com:443\r\n\r\n", 1), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 Connection Established\r\n\r\n", 2),
			 ZT_FEED_SWITCHED);
	assert_int_equal(feedn(EG, "\x16\x03\x01\x00\x05hello", 10, 3), ZT_FEED_SWITCHED);
	assert_int_equal(feedn(IN, "\x16\x03\x03\x00\x02hi", 7, 4), ZT_FEED_SWITCHED);
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].method, "CONNECT");
	assert_string_equal(recs[0].target, "example.com:443");
	assert_int_equal(recs[0].status, 200);
	assert_int_equal(STAT(malformed), 0);
}

static void test_upgrade_declined(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "GET / HTTP/1.1\r\nHost: h\r\n"
				   "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
				   "HTTP2-Settings: AAMAAABkAAQ\r\n\r\n", 1), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 2), 0);
	assert_int_equal(feeds(EG, "GET /next HTTP/1.1\r\n\r\n", 3), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 4), 0);
	assert_int_equal(nrec, 2);
	assert_string_equal(recs[1].target, "/next");
	assert_int_equal(recs[1].status, 200);
}

/* Bytes after an upgrade request are skipped until the verdict; if refused, resync. */
static void test_upgrade_declined_after_skipped_bytes(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "GET /u HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n"
				   "GET /skipped HTTP/1.1\r\n\r\n", 1), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 201 OK\r\nContent-Length: 0\r\n\r\n", 3), 0);
	assert_int_equal(feeds(EG, "GET /after HTTP/1.1\r\n\r\n", 4), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 202 OK\r\nContent-Length: 0\r\n\r\n", 5), 0);
	assert_int_equal(nrec, 2);
	assert_string_equal(recs[0].target, "/u");
	assert_int_equal(recs[0].status, 200);
	assert_string_equal(recs[1].target, "/after");
	assert_int_equal(recs[1].status, 202);
	assert_int_equal(STAT(resyncs), 1);

	/* The verdict lost in a response gap: the request side must not wait forever. */
	reset();
	assert_int_equal(feeds(EG, "CONNECT h:443 HTTP/1.1\r\n\r\n", 1), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 20", 2), 0);
	assert_int_equal(gap(IN, 40, 3), 0);
	assert_int_equal(feeds(EG, "GET /x HTTP/1.1\r\n\r\n", 4), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 5), 0);
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].target, "/x");
	assert_int_equal(STAT(malformed), 0);
}

static void test_body_until_close(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "GET /old HTTP/1.0\r\n\r\n", 1), 0);
	assert_int_equal(feeds(IN, "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>", 2),
			 0);
	assert_int_equal(feeds(IN, "more body", 3), 0);
	assert_int_equal(gap(IN, 100, 4), 0);
	assert_int_equal(feeds(IN, "tail", 5), 0);
	assert_int_equal(nrec, 0);
	close_conn(9);
	assert_int_equal(nrec, 1);
	assert_true(recs[0].has_response);
	assert_string_equal(recs[0].version, "1.0");
	assert_int_equal(recs[0].resp_body_bytes, 6 + 9 + 100 + 4);
	assert_int_equal(recs[0].resp_first.tid, 2);
	assert_int_equal(recs[0].resp_last.tid, 5);
	assert_int_equal(STAT(unanswered), 0);
	assert_int_equal(STAT(resyncs), 0);
	assert_int_equal(STAT(gaps), 1);
}

/* ---- request bodies ---- */

static void test_request_bodies(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "POST /form HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello", 1), 0);
	assert_int_equal(feeds(EG, " world", 2), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 3), 0);
	assert_int_equal(feeds(EG, "POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 4),
			 0);
	assert_int_equal(feeds(EG, "4\r\nWiki\r\n", 5), 0);
	assert_int_equal(feeds(EG, "5\r\npedia\r\n0\r\n\r\n", 6), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 7), 0);
	assert_int_equal(nrec, 2);
	assert_int_equal(recs[0].req_body_bytes, 11);
	assert_int_equal(recs[0].req_first.tid, 1);
	assert_int_equal(recs[0].req_last.tid, 2);
	assert_int_equal(recs[0].status, 201);
	assert_int_equal(recs[1].req_body_bytes, 9);
	assert_int_equal(recs[1].req_first.tid, 4);
	assert_int_equal(recs[1].req_last.tid, 6);
	assert_int_equal(STAT(malformed), 0);
}

/* ---- gaps ---- */

static void test_gap_inside_body(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "GET /big HTTP/1.1\r\n\r\n", 1), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789", 2),
			 0);
	assert_int_equal(gap(IN, 80, 3), 0);
	assert_int_equal(nrec, 0);
	assert_int_equal(feeds(IN, "0123456789", 4), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(recs[0].resp_body_bytes, 100);
	assert_int_equal(recs[0].resp_last.tid, 4);
	/* A gap that ends the body exactly completes the response. */
	assert_int_equal(feeds(EG, "GET /next HTTP/1.1\r\n\r\n", 5), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", 6), 0);
	assert_int_equal(gap(IN, 10, 7), 0);
	assert_int_equal(nrec, 2);
	assert_int_equal(recs[1].resp_body_bytes, 10);
	assert_int_equal(recs[1].resp_last.tid, 7);
	/* Inside chunk data too. */
	assert_int_equal(feeds(EG, "GET /chunked HTTP/1.1\r\n\r\n", 8), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				   "10\r\n0123", 9), 0);
	assert_int_equal(gap(IN, 12, 10), 0);
	assert_int_equal(feeds(IN, "\r\n0\r\n\r\n", 11), 0);
	assert_int_equal(nrec, 3);
	assert_int_equal(recs[2].resp_body_bytes, 16);
	assert_int_equal(STAT(gaps), 3);
	assert_int_equal(STAT(resyncs), 0);
	assert_int_equal(STAT(malformed), 0);
}

static void test_gap_inside_request_head(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "GET /a HTTP/1.1\r\nHo", 1), 0);
	assert_int_equal(gap(EG, 20, 2), 0);
	/* The lost request's answer has nothing to pair with. */
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 3), 0);
	/* Not a message start: skipped, not malformed. */
	assert_int_equal(feeds(EG, "rest of lost head\r\n\r\n", 4), 0);
	assert_int_equal(STAT(resyncs), 0);
	assert_int_equal(feeds(EG, "GET /b HTTP/1.1\r\n\r\n", 5), 0);
	assert_int_equal(STAT(resyncs), 1);
	assert_int_equal(feeds(IN, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", 6), 0);
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].target, "/b");
	assert_int_equal(recs[0].status, 202);
	assert_int_equal(STAT(gaps), 1);
	assert_int_equal(STAT(malformed), 0);
}

static void test_gap_inside_response_head(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "GET /a HTTP/1.1\r\n\r\n", 1), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nCont", 2), 0);
	assert_int_equal(gap(IN, 30, 3), 0);
	assert_int_equal(feeds(IN, "body bytes of the lost response", 4), 0);
	assert_int_equal(feeds(EG, "GET /b HTTP/1.1\r\n\r\n", 5), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", 6), 0);
	assert_int_equal(STAT(resyncs), 1);
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].target, "/b");
	assert_int_equal(recs[0].status, 500);
	close_conn(7);
	assert_int_equal(nrec, 1);	/* /a was discarded, not reported unanswered */
}

/* A gap larger than the rest of a request body swallowed the start of another request. */
static void test_gap_past_request_body(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "POST /p HTTP/1.1\r\nContent-Length: 5\r\n\r\n", 1), 0);
	assert_int_equal(gap(EG, 50, 2), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 3), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 201 OK\r\nContent-Length: 0\r\n\r\n", 4), 0);
	assert_int_equal(feeds(EG, "GET /r HTTP/1.1\r\n\r\n", 5), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 202 OK\r\nContent-Length: 0\r\n\r\n", 6), 0);
	assert_int_equal(nrec, 2);
	assert_string_equal(recs[0].target, "/p");
	assert_int_equal(recs[0].status, 200);
	assert_string_equal(recs[1].target, "/r");
	assert_int_equal(recs[1].status, 202);
	assert_int_equal(STAT(resyncs), 1);
}

/* ---- malformed input ---- */

#define S(lit) lit, sizeof(lit) - 1

static void test_malformed(void **state)
{
	static const struct {
		const char *req;
		size_t req_len;
		const char *resp;	/* NULL: the request is the bad part */
		size_t resp_len;
	} cases[] = {
		{ S("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), NULL, 0 },
		{ S("\x00\x01\x02\x03 binary\r\n"), NULL, 0 },
		{ S("GET / HTTP/2.0\r\n\r\n"), NULL, 0 },
		{ S("GET /\r\n\r\n"), NULL, 0 },
		{ S("GET / HTTP/1.1\r\nNoColonHere\r\n\r\n"), NULL, 0 },
		{ S("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"), NULL, 0 },
		{ S("POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"), NULL, 0 },
		{ S("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), NULL, 0 },
		{ S("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"), NULL, 0 },
		{ S("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"), NULL, 0 },
		{ S("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), NULL, 0 },
		{ S("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), NULL, 0 },
		{ S("GET / HTTP/1.1\r\n\r\n"), S("HTTP/1.1 abc OK\r\n\r\n") },
		{ S("GET / HTTP/1.1\r\n\r\n"), S("HTTP/1.1 200OK\r\n\r\n") },
		{ S("GET / HTTP/1.1\r\n\r\n"), S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
						 "\r\nfffffffffffffffffff\r\n") },
		{ S("GET / HTTP/1.1\r\n\r\n"), S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
						 "\r\n3\r\nabcX\r\n") },
		{ S("GET / HTTP/1.1\r\n\r\n"), S("GET / HTTP/1.1\r\n\r\n") },
		{ S("GET / HTTP/1.1\r\n\r\n"), S("\x00\x00\x12\x04\x00\x00") },
		{ S("GET / HTTP/1.1\r\n\r\n"), S("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n") },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		reset();
		rc = feedn(EG, cases[i].req, cases[i].req_len, 1);
		if (cases[i].resp) {
			assert_int_equal(rc, 0);
			rc = feedn(IN, cases[i].resp, cases[i].resp_len, 2);
		}
		if (rc != -1)
			fail_msg("case %zu: feed returned %d", i, rc);
		assert_int_equal(STAT(malformed), 1);
		/* Sticky: everything after fails at once and is not counted again. */
		assert_int_equal(feeds(EG, "GET / HTTP/1.1\r\n\r\n", 3), -1);
		assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\n\r\n", 4), -1);
		assert_int_equal(gap(IN, 10, 5), -1);
		assert_int_equal(STAT(malformed), 1);
		close_conn(6);
		assert_int_equal(nrec, 0);
	}
	reset();
	assert_int_equal(feeds(7, "GET / HTTP/1.1\r\n\r\n", 1), -1);
	assert_int_equal(STAT(malformed), 1);
}

/* ---- limits ---- */

static void test_huge_header(void **state)
{
	static const size_t steps[] = { 1 << 20, 1000, 7 };
	char *cookie = repeat('a', 100 * 1024);
	char *req = concat3("GET /big HTTP/1.1\r\nHost: big.example\r\nCookie: ", cookie,
			    "\r\ntraceparent: " TP "\r\nContent-Length: 3\r\n\r\nabc");

	(void)state;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		size_t before, after;

		reset();
		before = mallinfo2().uordblks;
		feed_split(EG, req, strlen(req), steps[i], 1);
		after = mallinfo2().uordblks;
		/* A split line buffer and one FIFO slot at most. */
		assert_true(after < before + 16 * 1024);
		assert_int_equal(STAT(heads_too_large), 1);
		assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 999999),
				 0);
		assert_int_equal(nrec, 1);
		assert_string_equal(recs[0].host, "big.example");
		assert_string_equal(recs[0].traceparent, TP);
		assert_int_equal(recs[0].req_body_bytes, 3);
		assert_int_equal(STAT(malformed), 0);
	}
	free(req);
	free(cookie);
}

static void test_long_target(void **state)
{
	static const size_t lens[] = { 1023, 1024, 2000, 20000 };
	static const size_t steps[] = { 1 << 20, 100, 4093 };

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char *path = repeat('p', lens[i]);
		char *req = concat3("GET /", path + 1, " HTTP/1.0\r\nHost: h\r\n\r\n");

		for (size_t j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
			reset();
			feed_split(EG, req, strlen(req), steps[j], 1);
			close_conn(1000);
			assert_int_equal(nrec, 1);
			assert_false(recs[0].has_response);
			assert_string_equal(recs[0].version, "1.0");
			assert_string_equal(recs[0].host, "h");
			assert_int_equal(recs[0].target_truncated, lens[i] > 1023);
			assert_int_equal(strlen(recs[0].target), lens[i] > 1023 ? 1023 : lens[i]);
			assert_int_equal(recs[0].target[0], '/');
			assert_int_equal(recs[0].target[1], 'p');
		}
		free(req);
		free(path);
	}
}

/* A long request line cut near its end: the version must survive in the kept tail. */
static void test_long_line_cut_near_end(void **state)
{
	char *path = repeat('q', 20000);
	char *req = concat3("GET /", path, " HTTP/1.1\r\n\r\n");
	size_t line = strlen(req) - 2;	/* up to and including the request line's LF */

	(void)state;
	for (size_t k = 1; k <= 40; k++) {
		reset();
		assert_int_equal(feedn(EG, req, line - k, 1), 0);
		assert_int_equal(feedn(EG, req + line - k, strlen(req) - (line - k), 2), 0);
		close_conn(3);
		assert_int_equal(nrec, 1);
		assert_string_equal(recs[0].version, "1.1");
		assert_true(recs[0].target_truncated);
		assert_int_equal(STAT(malformed), 0);
	}
	free(req);
	free(path);
}

static void test_fifo_overflow(void **state)
{
	char buf[128];
	size_t off = 0;
	static char reqs[70 * 32], resps[70 * 48];

	(void)state;
	for (int i = 0; i < 70; i++)
		off += (size_t)snprintf(reqs + off, sizeof(reqs) - off,
					"GET /%d HTTP/1.1\r\n\r\n", i);
	assert_int_equal(feeds(EG, reqs, 1), 0);
	/* Six oldest flushed so that 64 stay pending. */
	assert_int_equal(nrec, 6);
	assert_int_equal(STAT(unanswered), 6);
	for (int i = 0; i < 6; i++) {
		snprintf(buf, sizeof(buf), "/%d", i);
		assert_string_equal(recs[i].target, buf);
		assert_false(recs[i].has_response);
	}
	off = 0;
	for (int i = 0; i < 70; i++)
		off += (size_t)snprintf(resps + off, sizeof(resps) - off,
					"HTTP/1.1 %d OK\r\nContent-Length: 0\r\n\r\n", 200 + i);
	assert_int_equal(feeds(IN, resps, 2), 0);
	/* The flushed requests' responses are skipped; the rest pair in order. */
	assert_int_equal(nrec, 70);
	for (int i = 6; i < 70; i++) {
		snprintf(buf, sizeof(buf), "/%d", i);
		assert_string_equal(recs[i].target, buf);
		assert_int_equal(recs[i].status, 200 + i);
	}
}

/* Overflow while the oldest request's response is being parsed. */
static void test_fifo_overflow_during_response(void **state)
{
	char buf[128];
	size_t off = 0;
	static char reqs[66 * 32], resps[66 * 48];

	(void)state;
	assert_int_equal(feeds(EG, "GET /0 HTTP/1.1\r\n\r\n", 1), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", 2), 0);
	for (int i = 1; i <= 65; i++)
		off += (size_t)snprintf(reqs + off, sizeof(reqs) - off,
					"GET /%d HTTP/1.1\r\n\r\n", i);
	assert_int_equal(feeds(EG, reqs, 3), 0);
	assert_int_equal(nrec, 2);
	assert_string_equal(recs[0].target, "/1");
	assert_string_equal(recs[1].target, "/2");
	assert_int_equal(feeds(IN, "cde", 4), 0);
	assert_int_equal(nrec, 3);
	assert_string_equal(recs[2].target, "/0");
	assert_int_equal(recs[2].resp_body_bytes, 5);
	off = 0;
	for (int i = 1; i <= 65; i++)
		off += (size_t)snprintf(resps + off, sizeof(resps) - off,
					"HTTP/1.1 %d OK\r\nContent-Length: 0\r\n\r\n", 200 + i);
	assert_int_equal(feeds(IN, resps, 5), 0);
	assert_int_equal(nrec, 3 + 63);
	for (int i = 3; i <= 65; i++) {
		snprintf(buf, sizeof(buf), "/%d", i);
		assert_string_equal(recs[i].target, buf);
		assert_int_equal(recs[i].status, 200 + i);
	}
}

/* ---- headers ---- */

static void test_header_extraction(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "GET /t HTTP/1.1\r\n"
				   "hOsT:   api.example.com \t\r\n"
				   "USER-AGENT:\tMozilla/5.0 (X11)\r\n"
				   "TRACEPARENT: " TP "  \r\n"
				   "TraceState: rojo=00f067aa0ba902b7\r\n"
				   "X-Other: y\r\n"
				   "tracestate: congo=t61rcWkgMzE\r\n"
				   "Host: second.example\r\n"
				   "  folded continuation\r\n"
				   "Content-Length:0\r\n\r\n", 1), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\ncontent-LENGTH:  1 \r\n\r\nx", 2), 0);
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].host, "api.example.com");
	assert_string_equal(recs[0].user_agent, "Mozilla/5.0 (X11)");
	assert_string_equal(recs[0].traceparent, TP);
	assert_string_equal(recs[0].tracestate, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
	assert_int_equal(recs[0].resp_body_bytes, 1);
}

static void test_header_sanitized_and_truncated(void **state)
{
	char *ua = repeat('u', 600);
	char *req = concat3("GET / HTTP/1.1\r\nUser-Agent: ", ua,
			    "\r\nHost: a\x01" "b\xc3\xa9\r\n\r\n");

	(void)state;
	assert_int_equal(feeds(EG, req, 1), 0);
	close_conn(2);
	assert_int_equal(nrec, 1);
	assert_int_equal(strlen(recs[0].user_agent), ZT_L7_UA_MAX - 1);
	assert_string_equal(recs[0].host, "a?b??");
	free(req);
	free(ua);
}

static void test_transfer_encoding_variants(void **state)
{
	static const struct {
		const char *te;
		uint64_t body;
		bool until_close;
	} cases[] = {
		{ "chunked", 3, false },
		{ "CHUNKED", 3, false },
		{ "gzip, chunked", 3, false },
		{ "gzip,chunked ,", 3, false },
		{ "chunked, gzip", 0, true },	/* not chunked last: body until close */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char resp[256];

		reset();
		snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nTransfer-Encoding: %s\r\n"
			 "Content-Length: 99\r\n\r\n3\r\nabc\r\n0\r\n\r\n", cases[i].te);
		assert_int_equal(feeds(EG, "GET / HTTP/1.1\r\n\r\n", 1), 0);
		assert_int_equal(feeds(IN, resp, 2), 0);
		assert_int_equal(nrec, cases[i].until_close ? 0 : 1);
		close_conn(3);
		assert_int_equal(nrec, 1);
		assert_int_equal(recs[0].resp_body_bytes,
				 cases[i].until_close ? strlen("3\r\nabc\r\n0\r\n\r\n") :
				 cases[i].body);
	}
}

/* ---- roles, timing, pairing ---- */

static void test_roles(void **state)
{
	static const int req_dirs[] = { EG, IN };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		int rq = req_dirs[i];

		reset();
		assert_int_equal(feeds(rq, "GET /r HTTP/1.1\r\n\r\n", 1), 0);
		assert_int_equal(feeds(!rq, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2), 0);
		assert_int_equal(nrec, 1);
		assert_int_equal(recs[0].req_dir, rq);
		/* Now a request in the response direction is malformed. */
		assert_int_equal(feeds(!rq, "GET /x HTTP/1.1\r\n\r\n", 3), -1);
	}
	/* The first message seen is a response: that fixes the roles too. */
	reset();
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1), 0);
	assert_int_equal(nrec, 0);
	assert_int_equal(feeds(EG, "GET /y HTTP/1.1\r\n\r\n", 2), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 3), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(recs[0].req_dir, EG);
	assert_string_equal(recs[0].target, "/y");
}

static void check_meta(const struct zt_chunk_meta *m, uint32_t tid)
{
	assert_int_equal(m->tid, tid);
	assert_int_equal(m->ts_enter, tid * 1000ull);
	assert_int_equal(m->ts_exit, tid * 1000ull + 7);
}

static void test_meta_mapping(void **state)
{
	(void)state;
	/* Server side: requests are read (ingress), responses written. */
	assert_int_equal(feeds(IN, "POST /m HTTP/1.1\r\nContent-Length: 6\r\n\r\n", 11), 0);
	assert_int_equal(feeds(IN, "ab", 12), 0);
	assert_int_equal(feeds(IN, "cdef", 13), 0);
	assert_int_equal(feeds(EG, "HTTP/1.1 200 OK\r\nContent-", 14), 0);
	assert_int_equal(feeds(EG, "Length: 3\r\n\r\nx", 15), 0);
	assert_int_equal(feeds(EG, "yz", 16), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(recs[0].req_dir, IN);
	check_meta(&recs[0].req_first, 11);
	check_meta(&recs[0].req_last, 13);
	check_meta(&recs[0].resp_first, 14);
	check_meta(&recs[0].resp_last, 16);
}

static void test_close_pending(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 1), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2), 0);
	/* An incomplete head is not reported. */
	assert_int_equal(feeds(EG, "GET /c HTTP/1.1\r\nHo", 3), 0);
	close_conn(4);
	assert_int_equal(nrec, 2);
	assert_true(recs[0].has_response);
	assert_string_equal(recs[1].target, "/b");
	assert_false(recs[1].has_response);
	assert_int_equal(recs[1].status, 0);
	assert_int_equal(recs[1].resp_first.tid, 0);
	assert_int_equal(STAT(unanswered), 1);
	assert_int_equal(STAT(records), 2);
	/* Closed: nothing more comes out. */
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 5), 0);
	close_conn(6);
	assert_int_equal(nrec, 2);
}

/* A response that started before a request cannot answer it. */
static void test_response_before_request(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "GET /a HTTP/1.1\r\n\r\n", 1), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nCont", 3), 0);
	assert_int_equal(feeds(EG, "GET /late HTTP/1.1\r\n\r\n", 4), 0);
	assert_int_equal(feeds(IN, "ent-Length: 0\r\n\r\n", 5), 0);
	assert_int_equal(nrec, 1);
	close_conn(6);
	assert_int_equal(nrec, 2);
	assert_string_equal(recs[1].target, "/late");
	assert_false(recs[1].has_response);
}

static void test_leading_crlf(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "POST /x HTTP/1.1\r\nContent-Length: 1\r\n\r\nz\r\n", 1), 0);
	assert_int_equal(feeds(EG, "\r\nGET /y HTTP/1.1\r\n\r\n", 2), 0);
	assert_int_equal(feeds(IN, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
				   "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 3), 0);
	assert_int_equal(nrec, 2);
	assert_string_equal(recs[1].target, "/y");
	check_meta(&recs[1].req_first, 2);
}

static void test_null_meta_and_sink(void **state)
{
	(void)state;
	assert_int_equal(ops->feed(conn, EG, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18, NULL,
				   NULL), 0);
	assert_int_equal(ops->feed(conn, IN, (const uint8_t *)"HTTP/1.1 200 OK\r\n\r\n", 19,
				   NULL, NULL), 0);
	ops->close(conn, NULL, NULL);
	assert_int_equal(STAT(records), 1);
	assert_int_equal(STAT(malformed), 0);
	assert_int_equal(ops->detect(NULL, 0, EG), ZT_DETECT_NO);
	ops->destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_simple_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keepalive_three, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_every_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_byte_at_a_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunked_every_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_has_no_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_body_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_100_continue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_101_upgrade_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_declined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_declined_after_skipped_bytes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_body_until_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_bodies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_inside_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_inside_request_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_inside_response_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_past_request_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line_cut_near_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_overflow_during_response, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_header_extraction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_sanitized_and_truncated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_transfer_encoding_variants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meta_mapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_response_before_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leading_crlf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_null_meta_and_sink, setup, teardown),
	};

	return cmocka_run_group_tests_name("http1_parser", tests, NULL, NULL);
}
