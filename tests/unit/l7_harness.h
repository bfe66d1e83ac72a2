/*
 * Unit-test harness shared by the protocol parser tests: one parser connection, records
 * copied out of the sink, feed helpers with one thread id per chunk. Include it after
 * cmocka.h and define `ops` (the parser under test) before including.
 */
#ifndef ZT_TEST_L7_HARNESS_H
#define ZT_TEST_L7_HARNESS_H

#include "zt_l7.h"

#define EG ZT_L7_EGRESS
#define IN ZT_L7_INGRESS
#ifndef MAX_RECS
#define MAX_RECS 160
#endif

/* ---- harness: one parser, records copied out of the sink ---- */

static void *conn;
static struct zt_l7_record recs[MAX_RECS];
static int nrec;
static struct zt_l7_stats base;

static void sink_emit(void *ctx, const struct zt_l7_record *rec)
{
	(void)ctx;
	assert_true(nrec < MAX_RECS);
	/* Strings must be terminated inside their arrays. */
	assert_true(memchr(rec->method, 0, sizeof(rec->method)) != NULL);
	assert_true(memchr(rec->target, 0, sizeof(rec->target)) != NULL);
	assert_true(memchr(rec->host, 0, sizeof(rec->host)) != NULL);
	assert_true(memchr(rec->user_agent, 0, sizeof(rec->user_agent)) != NULL);
	assert_true(memchr(rec->traceparent, 0, sizeof(rec->traceparent)) != NULL);
	assert_true(memchr(rec->tracestate, 0, sizeof(rec->tracestate)) != NULL);
	assert_true(memchr(rec->version, 0, sizeof(rec->version)) != NULL);
	assert_true(memchr(rec->grpc_message, 0, sizeof(rec->grpc_message)) != NULL);
	assert_true(memchr(rec->db_namespace, 0, sizeof(rec->db_namespace)) != NULL);
	assert_true(memchr(rec->db_query, 0, sizeof(rec->db_query)) != NULL);
	assert_true(memchr(rec->db_operation, 0, sizeof(rec->db_operation)) != NULL);
	assert_true(memchr(rec->db_status, 0, sizeof(rec->db_status)) != NULL);
	assert_true(memchr(rec->db_sqlstate, 0, sizeof(rec->db_sqlstate)) != NULL);
	assert_true(memchr(rec->db_error, 0, sizeof(rec->db_error)) != NULL);
	recs[nrec++] = *rec;
}

/* Request heads announced before their responses (span builder hook). */
static int nheads;
static char last_head_target[ZT_L7_TARGET_MAX];

static void sink_request_head(void *ctx, const struct zt_l7_record *rec)
{
	(void)ctx;
	nheads++;
	snprintf(last_head_target, sizeof(last_head_target), "%s", rec->target);
}

static const struct zt_l7_sink sink = { .emit = sink_emit, .request_head = sink_request_head };

/* Counter change since the test started. */
#define STAT(field) (zt_l7_stats.field - base.field)

static struct zt_chunk_meta meta(uint32_t tid)
{
	struct zt_chunk_meta m = {
		.ts_enter = tid * 1000ull,
		.ts_exit = tid * 1000ull + 7,
		.tid = tid,
	};
	return m;
}

static void reset(void)
{
	nheads = 0;
	if (conn)
		ops->destroy(conn);
	conn = ops->create();
	assert_non_null(conn);
	nrec = 0;
	base = zt_l7_stats;
}

static int setup(void **state)
{
	(void)state;
	reset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ops->destroy(conn);
	conn = NULL;
	return 0;
}

static int feedn(int dir, const void *data, size_t len, uint32_t tid)
{
	struct zt_chunk_meta m = meta(tid);

	return ops->feed(conn, dir, data, len, &m, &sink);
}

static int feeds(int dir, const char *s, uint32_t tid)
{
	return feedn(dir, s, strlen(s), tid);
}

static int gap(int dir, size_t len, uint32_t tid)
{
	struct zt_chunk_meta m = meta(tid);

	return ops->feed(conn, dir, NULL, len, &m, &sink);
}

static void close_conn(uint32_t tid)
{
	struct zt_chunk_meta m = meta(tid);

	ops->close(conn, &m, &sink);
}

/* Feed s in pieces of `step` bytes, piece k with tid `tid + k`; returns the last tid. */
static uint32_t feed_split(int dir, const char *s, size_t len, size_t step, uint32_t tid)
{
	for (size_t off = 0; off < len; off += step, tid++) {
		size_t n = len - off < step ? len - off : step;

		assert_int_equal(feedn(dir, s + off, n, tid), 0);
	}
	return tid - 1;
}

#endif
