/*
 * Redis parser: commands and replies as redis-server 7.0, redis-cli, redis-benchmark and
 * redis-py put them on the wire (captured on loopback), RESP3, pub/sub, transactions,
 * secrets, splitting, gaps, streams seen from their middle, limits and malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "zt_l7.h"

#define MAX_RECS 1200

static const struct zt_parser_ops *ops = &zt_redis_parser;

#include "l7_harness.h"

/* ---- helpers ---- */

/* Record i, which must exist and be the given command. */
static const struct zt_l7_record *rec(int i, const char *query)
{
	if (i >= nrec)
		fail_msg("record %d missing (%d records)", i, nrec);
	if (strcmp(recs[i].db_query, query))
		fail_msg("record %d: query \"%s\", want \"%s\"", i, recs[i].db_query, query);
	assert_int_equal(recs[i].proto, ZT_L7_REDIS);
	assert_int_equal(recs[i].req_dir, EG);
	return &recs[i];
}

static void expect_ok(const struct zt_l7_record *r)
{
	assert_true(r->has_response);
	assert_false(r->db_failed);
	assert_string_equal(r->db_status, "");
	assert_string_equal(r->db_error, "");
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* Real traffic, captured from redis-server 7.0.15. */

/* redis-benchmark -P 16 -t set: 16 commands in one write, 16 replies in one read. */
#define BENCH_SET "*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nVXK\r\n"

/* redis-cli pub/sub session (RESP2): commands, then what came back, read by read. */
static const char *const sub_cmds[] = {
	"*3\r\n$9\r\nSUBSCRIBE\r\n$3\r\nch1\r\n$3\r\nch2\r\n",
	"*2\r\n$10\r\nPSUBSCRIBE\r\n$4\r\nnew*\r\n",
	"*1\r\n$4\r\nPING\r\n",
	"*1\r\n$11\r\nUNSUBSCRIBE\r\n",
	"*1\r\n$12\r\nPUNSUBSCRIBE\r\n",
	"*1\r\n$11\r\nUNSUBSCRIBE\r\n",
	"*1\r\n$4\r\nPING\r\n",
};

static const char *const sub_replies[] = {
	"*3\r\n$9\r\nsubscribe\r\n$3\r\nch1\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$3\r\nch2\r\n:2\r\n",
	"*3\r\n$10\r\npsubscribe\r\n$4\r\nnew*\r\n:3\r\n",
	"*2\r\n$4\r\npong\r\n$0\r\n\r\n",
	"*3\r\n$11\r\nunsubscribe\r\n$3\r\nch1\r\n:2\r\n"
	"*3\r\n$11\r\nunsubscribe\r\n$3\r\nch2\r\n:1\r\n",
	"*3\r\n$12\r\npunsubscribe\r\n$4\r\nnew*\r\n:0\r\n",
	"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n",
	"+PONG\r\n",
};

/* Published while subscribed to ch1, ch2 and new*. */
static const char sub_messages[] =
	"*3\r\n$7\r\nmessage\r\n$3\r\nch1\r\n$5\r\nhello\r\n"
	"*4\r\n$8\r\npmessage\r\n$4\r\nnew*\r\n$4\r\nnews\r\n$2\r\nhi\r\n";

/* A mixed pipeline for splitting: RESP2 and RESP3 replies, nesting, errors, an attribute. */
static const char mixed_cmds[] =
	"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n"
	"*3\r\n$3\r\nSET\r\n$6\r\nmy key\r\n$11\r\nhello world\r\n"
	"*2\r\n$7\r\nHGETALL\r\n$2\r\nh3\r\n"
	"*2\r\n$3\r\nGET\r\n$1\r\nh\r\n"
	"*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$6\r\nattrib\r\n"
	"*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$4\r\npush\r\n"
	"*4\r\n$6\r\nLRANGE\r\n$1\r\nl\r\n$1\r\n0\r\n$2\r\n-1\r\n"
	"*2\r\n$6\r\nSELECT\r\n$1\r\n4\r\n"
	"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n";
static const char mixed_replies[] =
	"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
	"$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:20\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n"
	"$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
	"+OK\r\n"
	"%1\r\n$1\r\na\r\n$1\r\n1\r\n"
	"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
	"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
	"$39\r\nSome real reply following the attribute\r\n"
	">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"
	"$40\r\nSome real reply following the push reply\r\n"
	"*3\r\n*2\r\n$1\r\nz\r\n~1\r\n#t\r\n_\r\n,3.141\r\n"
	"+OK\r\n"
	"$0\r\n\r\n";

static void check_mixed(void)
{
	const struct zt_l7_record *r;

	assert_int_equal(nrec, 9);
	r = rec(0, "HELLO 3");
	expect_ok(r);
	assert_int_equal(r->db_rows, 7);
	assert_int_equal(r->resp_body_bytes, 146);
	assert_string_equal(rec(1, "SET \"my key\" \"hello world\"")->db_operation, "SET");
	assert_int_equal(rec(2, "HGETALL h3")->db_rows, 1);
	r = rec(3, "GET h");
	assert_true(r->db_failed);
	assert_string_equal(r->db_status, "WRONGTYPE");
	assert_string_equal(r->db_error, "Operation against a key holding the wrong kind of value");
	/* The attribute is part of the reply's bytes, not a reply of its own. */
	r = rec(4, "DEBUG PROTOCOL attrib");
	expect_ok(r);
	assert_int_equal(r->resp_body_bytes, 93);
	assert_int_equal(r->db_rows, -1);
	/* The push is out of band: the bulk after it is the reply. */
	r = rec(5, "DEBUG PROTOCOL push");
	assert_int_equal(r->resp_body_bytes, 47);
	r = rec(6, "LRANGE l 0 -1");
	assert_int_equal(r->db_rows, 3);
	assert_int_equal(r->db_args, 3);
	assert_string_equal(rec(7, "SELECT 4")->db_namespace, "0");
	r = rec(8, "ECHO \"\"");
	assert_string_equal(r->db_namespace, "4");
	assert_int_equal(r->resp_body_bytes, 6);
	for (int i = 0; i < 9; i++) {
		assert_true(recs[i].has_response);
		assert_true(recs[i].req_last.tid < recs[i].resp_first.tid);
	}
	assert_int_equal(STAT(malformed), 0);
	assert_int_equal(STAT(records), 9);
}

/* ---- detect ---- */

static void test_detect(void **state)
{
	static const struct {
		const char *s;
		int dir;
		enum zt_detect want;
	} cases[] = {
		{ "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", EG, ZT_DETECT_YES },
		{ "*1\r\n$", EG, ZT_DETECT_YES },
		{ "*12\r\n", EG, ZT_DETECT_MAYBE },
		{ "*", EG, ZT_DETECT_MAYBE },
		{ "", EG, ZT_DETECT_MAYBE },
		{ "*\r\n", EG, ZT_DETECT_NO },
		{ "*3\r\n*", EG, ZT_DETECT_NO },
		{ "*3\n$", EG, ZT_DETECT_NO },
		{ "PING\r\n", EG, ZT_DETECT_YES },
		{ "ping\r\n", EG, ZT_DETECT_YES },
		{ "SET x 1\r\n", EG, ZT_DETECT_YES },
		{ "GET key\n", EG, ZT_DETECT_YES },
		{ "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n", EG, ZT_DETECT_NO },
		{ "GET / HTTP/1.0\r\n", EG, ZT_DETECT_NO },
		{ "GET /x", EG, ZT_DETECT_MAYBE },
		{ "GE", EG, ZT_DETECT_MAYBE },
		{ "HGETA", EG, ZT_DETECT_MAYBE },
		{ "GETX", EG, ZT_DETECT_NO },
		{ "POST /x HTTP/1.1\r\n", EG, ZT_DETECT_NO },
		{ "PRI * HTTP/2.0\r\n", EG, ZT_DETECT_NO },
		{ "\x16\x03\x01\x02\x00", EG, ZT_DETECT_NO },
		{ "howdy world\r\n", EG, ZT_DETECT_NO },
		{ "hello 3\r\n", EG, ZT_DETECT_YES },
		{ "+OK\r\n", IN, ZT_DETECT_YES },
		{ "-ERR unknown command 'FOO'\r\n", IN, ZT_DETECT_YES },
		{ ":12345\r\n", IN, ZT_DETECT_YES },
		{ "$-1\r\n", IN, ZT_DETECT_YES },
		{ "*-1\r\n", IN, ZT_DETECT_YES },
		{ "%7\r\n$6\r\nserver\r\n", IN, ZT_DETECT_YES },
		{ "_\r\n", IN, ZT_DETECT_YES },
		{ "#t\r\n", IN, ZT_DETECT_YES },
		{ ",3.141\r\n", IN, ZT_DETECT_YES },
		{ "(1234567999999999999999999999999999999\r\n", IN, ZT_DETECT_YES },
		{ "(12a\r\n", IN, ZT_DETECT_NO },
		{ ">3\r\n$9\r\nsubscribe\r\n", IN, ZT_DETECT_YES },
		{ "+OK", IN, ZT_DETECT_MAYBE },
		{ "$12", IN, ZT_DETECT_MAYBE },
		{ "+OK\r", IN, ZT_DETECT_MAYBE },
		{ "", IN, ZT_DETECT_MAYBE },
		{ "$abc\r\n", IN, ZT_DETECT_NO },
		{ ":\r\n", IN, ZT_DETECT_NO },
		{ "+OK\n", IN, ZT_DETECT_NO },
		{ "#x\r\n", IN, ZT_DETECT_NO },
		{ "HTTP/1.1 200 OK\r\n", IN, ZT_DETECT_NO },
		{ "\x4a\x00\x00\x00\x0a" "8.0.36", IN, ZT_DETECT_NO },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum zt_detect got = ops->detect((const uint8_t *)cases[i].s, strlen(cases[i].s),
						 cases[i].dir);

		if (got != cases[i].want)
			fail_msg("detect(\"%s\", %d) = %d, want %d", cases[i].s, cases[i].dir, got,
				 cases[i].want);
	}
	assert_int_equal(ops->detect(NULL, 5, EG), ZT_DETECT_NO);
	assert_int_equal(ops->detect((const uint8_t *)"+OK\r\n", 5, 7), ZT_DETECT_NO);
	assert_string_equal(ops->name, "redis");
	assert_int_equal(ops->proto, ZT_L7_REDIS);
}

/* Every command name, inline: the table is sorted (bsearch) and complete. */
static void test_detect_command_names(void **state)
{
	static const char *const names[] = {
		"ACL", "APPEND", "AUTH", "BITFIELD", "BITFIELD_RO", "BLMPOP", "BZPOPMIN",
		"CLIENT", "CLUSTER", "COMMAND", "CONFIG", "DEL", "EVAL", "EVALSHA", "EVALSHA_RO",
		"EVAL_RO", "EXEC", "FCALL_RO", "GEORADIUS", "GEORADIUSBYMEMBER",
		"GEORADIUSBYMEMBER_RO", "GEORADIUS_RO", "GET", "HELLO", "HSET", "INCR",
		"LPUSH", "MGET", "MONITOR", "MULTI", "PING", "PSUBSCRIBE", "PSYNC", "QUIT",
		"RESET", "RESTORE", "RESTORE-ASKING", "SELECT", "SET", "SORT", "SORT_RO",
		"SSUBSCRIBE", "SUBSCRIBE", "SUNSUBSCRIBE", "SYNC", "UNSUBSCRIBE", "WAITAOF",
		"XADD", "XREADGROUP", "ZADD", "ZUNIONSTORE",
	};
	char line[64];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(line, sizeof(line), "%s\r\n", names[i]);
		if (ops->detect((const uint8_t *)line, strlen(line), EG) != ZT_DETECT_YES)
			fail_msg("%s not known", names[i]);
		/* Seen from the middle, an inline line is a command only if it names one. */
		reset();
		assert_int_equal(feeds(EG, line, 1), 0);
		assert_int_equal(feeds(IN, "+OK\r\n", 2), 0);
		assert_int_equal(nrec, 1);
		assert_string_equal(recs[0].db_operation, names[i]);
	}
}

/* ---- basic exchanges ---- */

static void test_set_get(void **state)
{
	const struct zt_l7_record *r;

	(void)state;
	assert_int_equal(feeds(EG, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", 1), 0);
	assert_int_equal(nrec, 0);
	assert_int_equal(nheads, 1);
	assert_int_equal(feeds(IN, "+OK\r\n", 2), 0);
	assert_int_equal(feeds(EG, "*2\r\n$3\r\nGET\r\n$5\r\nnokey\r\n", 3), 0);
	assert_int_equal(feeds(IN, "$-1\r\n", 4), 0);
	assert_int_equal(nrec, 2);
	assert_int_equal(nheads, 2);

	r = rec(0, "SET k v");
	expect_ok(r);
	assert_string_equal(r->db_operation, "SET");
	assert_int_equal(r->db_args, 2);
	assert_string_equal(r->db_namespace, "0");
	assert_false(r->db_query_truncated);
	assert_int_equal(r->db_rows, -1);
	assert_int_equal(r->req_first.tid, 1);
	assert_int_equal(r->req_last.tid, 1);
	assert_int_equal(r->resp_first.tid, 2);
	assert_int_equal(r->resp_last.tid, 2);
	assert_int_equal(r->req_body_bytes, 27);
	assert_int_equal(r->resp_body_bytes, 5);
	assert_int_equal(r->req_pos, 0);
	assert_string_equal(r->method, "");
	assert_int_equal(r->status, 0);

	r = rec(1, "GET nokey");
	expect_ok(r);
	assert_int_equal(r->db_args, 1);
	assert_int_equal(r->req_pos, 27);
	assert_int_equal(r->resp_first.tid, 4);
	assert_int_equal(STAT(records), 2);
	assert_int_equal(STAT(partial_state), 0);
	close_conn(5);
	assert_int_equal(nrec, 2);
	assert_int_equal(STAT(unanswered), 0);
}

/* redis-cli's quoting: plain when printable without spaces or quotes. */
static void test_query_quoting(void **state)
{
	static const char cmds[] =
		"*3\r\n$3\r\nSET\r\n$4\r\npy:k\r\n$8\r\nbin\x00\xff\"q\n\r\n"	/* redis-py */
		"*4\r\n$5\r\nRPUSH\r\n$0\r\n\r\n$5\r\nit's\t\r\n$4\r\na\\b\r\r\n"
		"*2\r\n$3\r\nget\r\n$9\r\n\xc3\xa9t\xc3\xa9 x\"y\r\n";

	(void)state;
	assert_int_equal(feedn(EG, cmds, sizeof(cmds) - 1, 1), 0);
	assert_int_equal(feeds(IN, "+OK\r\n:3\r\n$-1\r\n", 2), 0);
	assert_int_equal(nrec, 3);
	assert_int_equal(rec(0, "SET py:k \"bin\\x00\\xff\\\"q\\n\"")->db_args, 2);
	assert_int_equal(rec(1, "RPUSH \"\" \"it's\\t\" \"a\\\\b\\r\"")->db_args, 3);
	/* The name is kept as sent; db_operation is upper-cased. */
	assert_string_equal(rec(2, "get \"\\xc3\\xa9t\\xc3\\xa9 x\\\"y\"")->db_operation, "GET");
}

/* db_query stops at ZT_L7_DB_QUERY_MAX - 1; nothing follows an argument that was cut. */
static void test_query_truncation(void **state)
{
	char *big = repeat('v', 5000), *cmd;
	const struct zt_l7_record *r;
	size_t len;

	(void)state;
	cmd = malloc(6000);
	assert_non_null(cmd);
	len = (size_t)sprintf(cmd, "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$5000\r\n%s\r\n$2\r\nEX\r\n",
			      big);
	assert_int_equal(feedn(EG, cmd, len, 1), 0);
	assert_int_equal(feeds(IN, "+OK\r\n", 2), 0);
	assert_int_equal(nrec, 1);
	r = &recs[0];
	assert_true(r->db_query_truncated);
	assert_int_equal(strlen(r->db_query), ZT_L7_DB_QUERY_MAX - 1);
	assert_memory_equal(r->db_query, "SET k vvvv", 10);
	assert_null(strstr(r->db_query, "EX"));
	assert_int_equal(r->db_args, 3);
	assert_int_equal(r->req_body_bytes, len);

	/* Escapes are never split: a quoted argument ends before the one that does not fit. */
	reset();
	len = (size_t)sprintf(cmd, "*2\r\n$4\r\nECHO\r\n$2100\r\n");
	for (int i = 0; i < 2100; i++)
		cmd[len++] = '\n';
	len += (size_t)sprintf(cmd + len, "\r\n");
	assert_int_equal(feedn(EG, cmd, len, 1), 0);
	assert_int_equal(feeds(IN, "+OK\r\n", 2), 0);
	r = &recs[0];
	assert_true(r->db_query_truncated);
	assert_int_equal(strlen(r->db_query), 4 + 1 + 1 + 2 * 2044);
	assert_memory_equal(r->db_query, "ECHO \"\\n\\n", 10);
	free(cmd);
	free(big);
}

/* Inline commands as telnet/nc send them, and sdssplitargs quoting. */
static void test_inline(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "PING\r\nSET x 1\r\nGET x\r\n", 1), 0);
	assert_int_equal(feeds(IN, "+PONG\r\n+OK\r\n$1\r\n1\r\n", 2), 0);
	assert_int_equal(feeds(EG, "ping hello\r\n", 3), 0);
	assert_int_equal(feeds(IN, "$5\r\nhello\r\n", 4), 0);
	/* Blank lines are ignored; LF alone ends a line. */
	assert_int_equal(feeds(EG, "\r\n   \r\nSET \"a b\" 'it\\'s' \"\\x41\\n\"\n"
				   "ECHO x\"y z\"\r\n", 5), 0);
	assert_int_equal(feeds(IN, "+OK\r\n$4\r\nxy z\r\n", 6), 0);
	assert_int_equal(nrec, 6);
	assert_int_equal(rec(0, "PING")->db_args, 0);
	assert_int_equal(rec(0, "PING")->req_body_bytes, 6);
	assert_int_equal(rec(1, "SET x 1")->req_pos, 6);
	rec(2, "GET x");
	assert_string_equal(rec(3, "ping hello")->db_operation, "PING");
	assert_int_equal(rec(4, "SET \"a b\" \"it's\" \"A\\n\"")->db_args, 3);
	rec(5, "ECHO \"xy z\"");
	for (int i = 0; i < 6; i++)
		expect_ok(&recs[i]);

	/* Unbalanced quotes: the server answers with a protocol error and closes. */
	assert_int_equal(feeds(EG, "SET \"a b\r\n", 7), -1);
	assert_int_equal(STAT(malformed), 1);
}

/* redis-benchmark -P 16: one write of 16 commands, one read of 16 replies. */
static void test_pipeline(void **state)
{
	char cmds[16 * sizeof(BENCH_SET)] = "", replies[16 * 5 + 1] = "";

	(void)state;
	for (int i = 0; i < 16; i++) {
		strcat(cmds, BENCH_SET);
		strcat(replies, "+OK\r\n");
	}
	assert_int_equal(feeds(EG, cmds, 1), 0);
	assert_int_equal(nheads, 16);
	assert_int_equal(feeds(EG, cmds, 2), 0);
	assert_int_equal(feeds(IN, replies, 3), 0);
	assert_int_equal(nrec, 16);
	assert_int_equal(feeds(IN, replies, 4), 0);
	assert_int_equal(nrec, 32);
	for (int i = 0; i < 32; i++) {
		const struct zt_l7_record *r = rec(i, "SET key:__rand_int__ VXK");

		expect_ok(r);
		assert_int_equal(r->req_first.tid, i < 16 ? 1 : 2);
		assert_int_equal(r->resp_first.tid, i < 16 ? 3 : 4);
		assert_int_equal(r->req_pos, (uint64_t)i * 45);
	}
}

/* The same traffic cut anywhere, in both directions, gives the same records. */
static void test_split_every_offset(void **state)
{
	size_t lq = strlen(mixed_cmds), lr = strlen(mixed_replies);

	(void)state;
	assert_int_equal(feeds(EG, mixed_cmds, 1), 0);
	assert_int_equal(feeds(IN, mixed_replies, 2), 0);
	check_mixed();
	for (size_t i = 1; i < lq; i++) {
		size_t j = i % lr;

		reset();
		assert_int_equal(feedn(EG, mixed_cmds, i, 1), 0);
		assert_int_equal(feedn(EG, mixed_cmds + i, lq - i, 2), 0);
		if (j)
			assert_int_equal(feedn(IN, mixed_replies, j, 3), 0);
		assert_int_equal(feedn(IN, mixed_replies + j, lr - j, 4), 0);
		check_mixed();
	}
	for (size_t step = 1; step < 8; step++) {
		uint32_t tid;

		reset();
		tid = feed_split(EG, mixed_cmds, lq, step, 1);
		feed_split(IN, mixed_replies, lr, step, tid + 1);
		check_mixed();
	}
}

/* RESP2 reply shapes and what db_rows says of them. */
static void test_reply_shapes(void **state)
{
	static const char replies[] =
		":2\r\n"
		"*4\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n"
		"*0\r\n"
		"*-1\r\n"
		"*2\r\n*2\r\n:1\r\n*1\r\n$1\r\nx\r\n*0\r\n"
		"$3\r\nVXK\r\n"
		"*2\r\n|1\r\n+ttl\r\n:3600\r\n$1\r\na\r\n|1\r\n+ttl\r\n:-1\r\n$1\r\nb\r\n"
		"|0\r\n_\r\n";
	const char *cmds[] = { "INCR a", "HGETALL h", "KEYS none*", "BLPOP q 1", "EVAL x 0",
			       "GET k", "MGET a b", "EXEC" };
	const int64_t rows[] = { -1, 4, 0, -1, 2, -1, 2, -1 };

	(void)state;
	assert_int_equal(feeds(EG, "INCR a\r\nHGETALL h\r\nKEYS none*\r\nBLPOP q 1\r\nEVAL x 0\r\n"
				   "GET k\r\nMGET a b\r\nEXEC\r\n", 1), 0);
	assert_int_equal(feeds(IN, replies, 2), 0);
	assert_int_equal(nrec, 8);
	for (int i = 0; i < 8; i++) {
		expect_ok(rec(i, cmds[i]));
		assert_int_equal(recs[i].db_rows, rows[i]);
	}
}

static void test_errors(void **state)
{
	(void)state;
	/* One write, one read: as redis-py sent and got them. */
	assert_int_equal(feeds(EG, "*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n"
				   "*2\r\n$3\r\nFOO\r\n$1\r\nx\r\n"
				   "*3\r\n$7\r\nEVALSHA\r\n$3\r\nabc\r\n$1\r\n0\r\n"
				   "*3\r\n$5\r\nLPUSH\r\n$1\r\nx\r\n$1\r\ny\r\n"
				   "*1\r\n$4\r\nEXEC\r\n*1\r\n$4\r\nPING\r\n", 1), 0);
	assert_int_equal(feeds(IN, "-ERR AUTH <password> called without any password configured "
				   "for the default user. Are you sure your configuration is "
				   "correct?\r\n-ERR unknown command 'FOO', with args beginning "
				   "with: 'x' \r\n-NOSCRIPT No matching script. Please use EVAL."
				   "\r\n-WRONGTYPE Operation against a key holding the wrong kind "
				   "of value\r\n-ERR\r\n!21\r\nSYNTAX invalid syntax\r\n", 2), 0);
	assert_int_equal(nrec, 6);
	assert_string_equal(rec(0, "AUTH ?")->db_status, "ERR");
	assert_string_equal(recs[1].db_error,
			    "unknown command 'FOO', with args beginning with: 'x' ");
	assert_string_equal(rec(2, "EVALSHA abc 0")->db_status, "NOSCRIPT");
	assert_string_equal(recs[2].db_error, "No matching script. Please use EVAL.");
	assert_string_equal(rec(3, "LPUSH x y")->db_status, "WRONGTYPE");
	assert_string_equal(rec(4, "EXEC")->db_status, "ERR");
	assert_string_equal(recs[4].db_error, "");
	/* RESP3 blob error. */
	assert_string_equal(rec(5, "PING")->db_status, "SYNTAX");
	assert_string_equal(recs[5].db_error, "invalid syntax");
	for (int i = 0; i < 6; i++) {
		assert_true(recs[i].db_failed);
		assert_true(recs[i].has_response);
		assert_int_equal(recs[i].db_rows, -1);
	}
}

/* DEBUG PROTOCOL <type> after HELLO 3: every RESP3 type as the server sends it. */
static void test_resp3_types(void **state)
{
	static const struct {
		const char *type;
		const char *reply;
		int64_t rows;
	} cases[] = {
		{ "string", "$11\r\nHello World\r\n", -1 },
		{ "integer", ":12345\r\n", -1 },
		{ "double", ",3.141\r\n", -1 },
		{ "bignum", "(1234567999999999999999999999999999999\r\n", -1 },
		{ "null", "_\r\n", -1 },
		{ "array", "*3\r\n:0\r\n:1\r\n:2\r\n", 3 },
		{ "set", "~3\r\n:0\r\n:1\r\n:2\r\n", 3 },
		{ "map", "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n", 3 },
		{ "attrib", "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
			    "$39\r\nSome real reply following the attribute\r\n", -1 },
		{ "push", ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"
			  "$40\r\nSome real reply following the push reply\r\n", -1 },
		{ "verbatim", "=29\r\ntxt:This is a verbatim\nstring\r\n", -1 },
		{ "true", "#t\r\n", -1 },
		{ "false", "#f\r\n", -1 },
	};
	char cmd[128], query[64];
	uint32_t tid = 1;

	(void)state;
	assert_int_equal(feeds(EG, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n", tid++), 0);
	assert_int_equal(feeds(IN, "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n"
				   "7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:3\r\n$4\r\nmode\r\n"
				   "$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\n"
				   "modules\r\n*0\r\n", tid++), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(cmd, sizeof(cmd), "*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$%zu\r\n%s\r\n",
			 strlen(cases[i].type), cases[i].type);
		assert_int_equal(feeds(EG, cmd, tid++), 0);
		assert_int_equal(feeds(IN, cases[i].reply, tid++), 0);
		assert_int_equal(nrec, (int)i + 2);
		snprintf(query, sizeof(query), "DEBUG PROTOCOL %s", cases[i].type);
		expect_ok(rec((int)i + 1, query));
		assert_int_equal(recs[i + 1].db_rows, cases[i].rows);
		assert_int_equal(recs[i + 1].resp_first.tid, tid - 1);
	}
	assert_int_equal(STAT(malformed), 0);
}

/* ---- state the parser follows ---- */

static void test_secrets(void **state)
{
	static const char *const cmds[] = {
		"AUTH s3cr3t\r\n",
		"*3\r\n$4\r\nAUTH\r\n$7\r\ndefault\r\n$6\r\nsecret\r\n",
		"*7\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$7\r\ndefault\r\n$6\r\nsecret\r\n"
		"$7\r\nSETNAME\r\n$3\r\napp\r\n",
		"MIGRATE 10.0.0.2 6379 \"\" 0 5000 COPY AUTH pw1 KEYS a b\r\n",
		"MIGRATE 10.0.0.2 6379 k 0 5000 AUTH2 bob pw2\r\n",
		"CONFIG SET maxmemory 1gb requirepass pw3\r\n",
		"config set masterauth pw4\r\n",
		"ACL SETUSER bob on >pw5 #0f1e ~* +@all\r\n",
		"auth\r\n",
	};
	static const char *const want[] = {
		"AUTH ?",
		"AUTH ? ?",
		"HELLO 3 AUTH ? ? SETNAME app",
		"MIGRATE 10.0.0.2 6379 \"\" 0 5000 COPY AUTH ? KEYS a b",
		"MIGRATE 10.0.0.2 6379 k 0 5000 AUTH2 ? ?",
		"CONFIG SET maxmemory 1gb requirepass ?",
		"config set masterauth ?",
		"ACL SETUSER bob on ? ? ~* +@all",
		"auth",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		assert_int_equal(feeds(EG, cmds[i], 2 * (uint32_t)i + 1), 0);
		assert_int_equal(feeds(IN, "+OK\r\n", 2 * (uint32_t)i + 2), 0);
		assert_int_equal(nrec, (int)i + 1);
		rec((int)i, want[i]);
		assert_null(strstr(recs[i].db_query, "pw"));
		assert_null(strstr(recs[i].db_query, "secret"));
	}
	assert_int_equal(recs[2].db_args, 6);
}

static void test_select(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"
				   "*2\r\n$6\r\nSELECT\r\n$2\r\n99\r\n"
				   "*3\r\n$3\r\nSET\r\n$1\r\ns\r\n$1\r\n1\r\n", 1), 0);
	assert_int_equal(feeds(IN, "+OK\r\n-ERR DB index is out of range\r\n+OK\r\n", 2), 0);
	assert_int_equal(nrec, 3);
	/* A SELECT's own record has the database it ran in. */
	assert_string_equal(rec(0, "SELECT 3")->db_namespace, "0");
	assert_string_equal(rec(1, "SELECT 99")->db_namespace, "3");
	assert_true(recs[1].db_failed);
	assert_string_equal(rec(2, "SET s 1")->db_namespace, "3");

	/* Pipelined: the SET runs after the SELECT it follows. */
	assert_int_equal(feeds(EG, "SELECT 12\r\nGET k\r\n", 3), 0);
	assert_int_equal(feeds(IN, "+OK\r\n", 4), 0);
	assert_int_equal(feeds(IN, "$-1\r\n", 5), 0);
	assert_string_equal(rec(4, "GET k")->db_namespace, "12");
	/* RESET goes back to database 0. */
	assert_int_equal(feeds(EG, "*1\r\n$5\r\nRESET\r\nGET k\r\n", 6), 0);
	assert_int_equal(feeds(IN, "+RESET\r\n$-1\r\n", 7), 0);
	assert_string_equal(rec(5, "RESET")->db_namespace, "12");
	assert_string_equal(rec(6, "GET k")->db_namespace, "0");
	assert_int_equal(STAT(partial_state), 0);
}

/* redis-cli MULTI/EXEC, DISCARD, and a WATCH that made EXEC fail (null array). */
static void test_multi_exec(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "*1\r\n$5\r\nMULTI\r\n", 1), 0);
	assert_int_equal(feeds(IN, "+OK\r\n", 2), 0);
	assert_int_equal(feeds(EG, "*3\r\n$3\r\nSET\r\n$1\r\nm\r\n$1\r\n1\r\n", 3), 0);
	assert_int_equal(feeds(IN, "+QUEUED\r\n", 4), 0);
	assert_int_equal(feeds(EG, "*2\r\n$4\r\nINCR\r\n$1\r\nm\r\n", 5), 0);
	assert_int_equal(feeds(IN, "+QUEUED\r\n", 6), 0);
	assert_int_equal(feeds(EG, "*1\r\n$4\r\nEXEC\r\n", 7), 0);
	assert_int_equal(feeds(IN, "*2\r\n+OK\r\n:2\r\n", 8), 0);
	assert_int_equal(feeds(EG, "*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nGET\r\n$1\r\nm\r\n*1\r\n$7\r\n"
				   "DISCARD\r\n", 9), 0);
	assert_int_equal(feeds(IN, "+OK\r\n+QUEUED\r\n+OK\r\n", 10), 0);
	assert_int_equal(feeds(EG, "*2\r\n$5\r\nWATCH\r\n$1\r\nw\r\n*1\r\n$5\r\nMULTI\r\n", 11), 0);
	assert_int_equal(feeds(IN, "+OK\r\n+OK\r\n", 12), 0);
	assert_int_equal(feeds(EG, "*3\r\n$3\r\nSET\r\n$1\r\nw\r\n$1\r\n1\r\n"
				   "*1\r\n$4\r\nEXEC\r\n", 13), 0);
	assert_int_equal(feeds(IN, "+QUEUED\r\n*-1\r\n", 14), 0);
	assert_int_equal(nrec, 11);
	rec(0, "MULTI");
	rec(1, "SET m 1");
	rec(2, "INCR m");
	assert_int_equal(rec(3, "EXEC")->db_rows, 2);
	assert_int_equal(recs[3].resp_first.tid, 8);
	rec(4, "MULTI");
	rec(5, "GET m");
	rec(6, "DISCARD");
	rec(7, "WATCH w");
	rec(8, "MULTI");
	rec(9, "SET w 1");
	assert_int_equal(rec(10, "EXEC")->db_rows, -1);
	for (int i = 0; i < 11; i++)
		expect_ok(&recs[i]);

	/* A SELECT queued in a transaction takes effect when EXEC runs it. */
	assert_int_equal(feeds(EG, "MULTI\r\nSELECT 5\r\nSET a 1\r\nEXEC\r\nGET a\r\n", 15), 0);
	assert_int_equal(feeds(IN, "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n+OK\r\n"
				   "$1\r\n1\r\n", 16), 0);
	assert_string_equal(rec(12, "SELECT 5")->db_namespace, "0");
	assert_string_equal(rec(14, "EXEC")->db_namespace, "0");
	assert_int_equal(recs[14].db_rows, 2);
	assert_string_equal(rec(15, "GET a")->db_namespace, "5");
	assert_int_equal(feeds(EG, "MULTI\r\nSELECT 6\r\nDISCARD\r\nGET a\r\n", 17), 0);
	assert_int_equal(feeds(IN, "+OK\r\n+QUEUED\r\n+OK\r\n$1\r\n1\r\n", 18), 0);
	assert_string_equal(rec(19, "GET a")->db_namespace, "5");
}

/* redis-cli pub/sub session (RESP2), messages published by another client in between. */
static void test_pubsub_resp2(void **state)
{
	const struct zt_l7_record *r;
	uint32_t tid = 1;

	(void)state;
	for (int i = 0; i < 7; i++) {
		assert_int_equal(feeds(EG, sub_cmds[i], tid++), 0);
		assert_int_equal(feeds(IN, sub_replies[i], tid++), 0);
		if (i == 1) {
			/* Messages are not replies. */
			assert_int_equal(feeds(IN, sub_messages, tid++), 0);
			assert_int_equal(nrec, 2);
		}
	}
	assert_int_equal(nrec, 7);
	r = rec(0, "SUBSCRIBE ch1 ch2");
	expect_ok(r);
	assert_int_equal(r->db_args, 2);
	assert_int_equal(r->resp_body_bytes, 64);
	assert_int_equal(r->db_rows, -1);
	rec(1, "PSUBSCRIBE new*");
	/* PING while subscribed answers ["pong", ""]. */
	assert_int_equal(rec(2, "PING")->db_rows, 2);
	assert_int_equal(recs[2].resp_first.tid, 7);
	/* UNSUBSCRIBE drops ch1 and ch2: two confirmations although new* is left (count 1). */
	r = rec(3, "UNSUBSCRIBE");
	assert_int_equal(r->resp_body_bytes, 70);
	assert_int_equal(r->resp_last.tid, 9);
	rec(4, "PUNSUBSCRIBE");
	/* Nothing left: one confirmation with a null channel. */
	assert_int_equal(rec(5, "UNSUBSCRIBE")->resp_body_bytes, 31);
	assert_int_equal(rec(6, "PING")->db_rows, -1);
	for (int i = 0; i < 7; i++)
		expect_ok(&recs[i]);
}

/* Confirmations spread over reads, with messages in between. */
static void test_pubsub_confirmations_split(void **state)
{
	const struct zt_l7_record *r;

	(void)state;
	assert_int_equal(feeds(EG, "SUBSCRIBE a b c\r\n", 1), 0);
	assert_int_equal(feeds(IN, "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n", 2), 0);
	assert_int_equal(feeds(IN, "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n", 3), 0);
	assert_int_equal(feeds(IN, "*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
				   "*3\r\n$9\r\nsubsc", 4), 0);
	assert_int_equal(nrec, 0);
	assert_int_equal(feeds(IN, "ribe\r\n$1\r\nc\r\n:3\r\n", 5), 0);
	assert_int_equal(nrec, 1);
	r = rec(0, "SUBSCRIBE a b c");
	assert_int_equal(r->resp_first.tid, 2);
	assert_int_equal(r->resp_last.tid, 5);
	assert_int_equal(r->resp_body_bytes, 3 * 30);
	/* UNSUBSCRIBE b: one confirmation; a message for a arrives meanwhile. */
	assert_int_equal(feeds(EG, "UNSUBSCRIBE b\r\nPING\r\n", 6), 0);
	assert_int_equal(feeds(IN, "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nyo\r\n"
				   "*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:2\r\n"
				   "*2\r\n$4\r\npong\r\n$0\r\n\r\n", 7), 0);
	assert_int_equal(nrec, 3);
	assert_int_equal(rec(1, "UNSUBSCRIBE b")->resp_body_bytes, 33);
	rec(2, "PING");
	/* A command refused in subscribed mode gets an ordinary error. */
	assert_int_equal(feeds(EG, "GET k\r\nSSUBSCRIBE {u}1\r\nSUNSUBSCRIBE\r\n", 8), 0);
	assert_int_equal(feeds(IN, "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / "
				   "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
				   "context\r\n*3\r\n$10\r\nssubscribe\r\n$4\r\n{u}1\r\n:1\r\n"
				   "*3\r\n$8\r\nsmessage\r\n$4\r\n{u}1\r\n$1\r\nm\r\n"
				   "*3\r\n$12\r\nsunsubscribe\r\n$4\r\n{u}1\r\n:0\r\n", 9), 0);
	assert_int_equal(nrec, 6);
	assert_true(rec(3, "GET k")->db_failed);
	expect_ok(rec(4, "SSUBSCRIBE {u}1"));
	expect_ok(rec(5, "SUNSUBSCRIBE"));
}

/* Seen from the middle, subscriptions are unknown: an UNSUBSCRIBE ends at the next reply. */
static void test_unsubscribe_unknown_counts(void **state)
{
	(void)state;
	assert_int_equal(feeds(IN, "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n", 1), 0);
	assert_int_equal(feeds(IN, "*2\r\n$4\r\npong\r\n$0\r\n\r\n", 2), 0);
	assert_int_equal(feeds(EG, "UNSUBSCRIBE\r\n", 3), 0);
	assert_int_equal(feeds(IN, "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n", 4), 0);
	/* Messages still come for the pattern left; they end nothing. */
	assert_int_equal(feeds(IN, "*4\r\n$8\r\npmessage\r\n$2\r\nb*\r\n$2\r\nbc\r\n"
				   "$1\r\nm\r\n", 5), 0);
	assert_int_equal(nrec, 0);
	assert_int_equal(feeds(EG, "PING\r\n", 6), 0);
	assert_int_equal(feeds(IN, "*2\r\n$4\r\npong\r\n$0\r\n\r\n", 7), 0);
	assert_int_equal(nrec, 2);
	assert_int_equal(rec(0, "UNSUBSCRIBE")->resp_last.tid, 4);
	assert_int_equal(recs[0].resp_body_bytes, 33);
	assert_int_equal(rec(1, "PING")->db_rows, 2);
	/* ... or when no subscription is left. */
	assert_int_equal(feeds(EG, "PUNSUBSCRIBE\r\n", 8), 0);
	assert_int_equal(feeds(IN, "*3\r\n$12\r\npunsubscribe\r\n$2\r\nb*\r\n:0\r\n", 9), 0);
	assert_int_equal(nrec, 3);
	expect_ok(rec(2, "PUNSUBSCRIBE"));
	assert_int_equal(STAT(unanswered), 0);
}

/* Not subscribed: an array that looks like a message is a reply like any other. */
static void test_message_like_reply(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "LRANGE l 0 -1\r\nGET k\r\n", 1), 0);
	assert_int_equal(feeds(IN, "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nb\r\n"
				   "$1\r\nv\r\n", 2), 0);
	assert_int_equal(nrec, 2);
	assert_int_equal(rec(0, "LRANGE l 0 -1")->db_rows, 3);
	assert_int_equal(rec(1, "GET k")->db_rows, -1);
}

/* HELLO 3, client tracking and pub/sub in RESP3: pushes are never replies. */
static void test_pubsub_resp3(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n", 1), 0);
	assert_int_equal(feeds(IN, "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n"
				   "$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:20\r\n"
				   "$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n"
				   "$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n", 2), 0);
	assert_int_equal(feeds(EG, "*3\r\n$6\r\nCLIENT\r\n$8\r\nTRACKING\r\n$2\r\non\r\n"
				   "*2\r\n$3\r\nGET\r\n$1\r\nx\r\n", 3), 0);
	assert_int_equal(feeds(IN, "+OK\r\n$1\r\n2\r\n", 4), 0);
	assert_int_equal(feeds(IN, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nx\r\n", 5), 0);
	assert_int_equal(feeds(EG, "*2\r\n$9\r\nSUBSCRIBE\r\n$3\r\nch1\r\n", 6), 0);
	assert_int_equal(feeds(IN, ">3\r\n$9\r\nsubscribe\r\n$3\r\nch1\r\n:1\r\n", 7), 0);
	assert_int_equal(feeds(IN, ">3\r\n$7\r\nmessage\r\n$3\r\nch1\r\n$5\r\nhello\r\n", 8), 0);
	/* Any command is allowed while subscribed in RESP3; its array reply is no message. */
	assert_int_equal(feeds(EG, "*2\r\n$3\r\nGET\r\n$1\r\nx\r\n*1\r\n$4\r\nPING\r\n"
				   "LRANGE m 0 -1\r\n", 9), 0);
	assert_int_equal(feeds(IN, "$1\r\n2\r\n+PONG\r\n"
				   "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nb\r\n", 10), 0);
	assert_int_equal(nrec, 7);
	assert_int_equal(rec(0, "HELLO 3")->db_rows, 7);
	rec(1, "CLIENT TRACKING on");
	assert_int_equal(rec(2, "GET x")->resp_last.tid, 4);
	assert_int_equal(rec(3, "SUBSCRIBE ch1")->resp_first.tid, 7);
	rec(4, "GET x");
	rec(5, "PING");
	assert_int_equal(rec(6, "LRANGE m 0 -1")->db_rows, 3);
	for (int i = 0; i < 7; i++)
		expect_ok(&recs[i]);
}

/* MONITOR: after +OK the connection carries a feed of events, no more replies. */
static void test_monitor(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "*1\r\n$7\r\nMONITOR\r\n", 1), 0);
	assert_int_equal(feeds(IN, "+OK\r\n", 2), 0);
	assert_int_equal(feeds(IN, "+1795602140.641510 [0 127.0.0.1:38396] "
				   "\"SET\" \"mk\" \"1\"\r\n", 3), 0);
	assert_int_equal(feeds(EG, "*1\r\n$4\r\nPING\r\n", 4), 0);
	assert_int_equal(feeds(IN, "not RESP at all \x01\x02", 5), 0);
	assert_int_equal(gap(IN, 100, 6), 0);
	close_conn(7);
	assert_int_equal(nrec, 1);
	expect_ok(rec(0, "MONITOR"));
	assert_int_equal(STAT(malformed), 0);
	assert_int_equal(STAT(unanswered), 0);
}

/* A replica's PSYNC: a replication stream follows, not replies. */
static void test_psync(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n", 1), 0);
	assert_int_equal(feeds(IN, "+FULLRESYNC 8de1787ba490483314a4d30f1c628bc5025eb761 0\r\n"
				   "$175\r\nREDIS0011\xfa\tredis-ver", 2), 0);
	assert_int_equal(feeds(IN, "*1\r\n$4\r\nPING\r\n", 3), 0);
	assert_int_equal(nrec, 1);
	expect_ok(rec(0, "PSYNC ? -1"));

	/* The old SYNC: the RDB file comes as a bulk without CRLF, then commands. */
	reset();
	assert_int_equal(feeds(EG, "SYNC\r\n", 1), 0);
	assert_int_equal(feeds(IN, "$9\r\nREDIS0011*1\r\n$4\r\nPING\r\n", 2), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(rec(0, "SYNC")->resp_body_bytes, 4);
	assert_int_equal(STAT(malformed), 0);
}

/* CLIENT REPLY OFF/ON and SKIP, as captured: suppressed replies never arrive. */
static void test_client_reply(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n"
				   "*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$1\r\n1\r\n"
				   "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$2\r\nON\r\n"
				   "*2\r\n$3\r\nGET\r\n$1\r\nq\r\n", 1), 0);
	assert_int_equal(nrec, 2);
	assert_int_equal(feeds(IN, "+OK\r\n$1\r\n1\r\n", 2), 0);
	assert_int_equal(feeds(EG, "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n"
				   "*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$1\r\n2\r\n"
				   "*2\r\n$3\r\nGET\r\n$1\r\nq\r\n", 3), 0);
	assert_int_equal(feeds(IN, "$1\r\n2\r\n", 4), 0);
	assert_int_equal(nrec, 7);
	assert_false(rec(0, "CLIENT REPLY OFF")->has_response);
	assert_false(rec(1, "SET q 1")->has_response);
	expect_ok(rec(2, "CLIENT REPLY ON"));
	assert_int_equal(rec(3, "GET q")->resp_first.tid, 2);
	assert_false(rec(4, "CLIENT REPLY SKIP")->has_response);
	assert_false(rec(5, "SET q 2")->has_response);
	assert_int_equal(rec(6, "GET q")->resp_first.tid, 4);
	/* Not answered by design: not counted as unanswered. */
	assert_int_equal(STAT(unanswered), 0);
	assert_int_equal(recs[1].resp_first.tid, 0);

	/* In the middle of a pipeline: records keep the commands' order. */
	assert_int_equal(feeds(EG, "GET a\r\nCLIENT REPLY OFF\r\nSET b 1\r\n"
				   "CLIENT REPLY ON\r\n", 5), 0);
	assert_int_equal(nrec, 7);
	assert_int_equal(feeds(IN, "$1\r\nx\r\n", 6), 0);
	assert_int_equal(nrec, 10);
	assert_int_equal(feeds(IN, "+OK\r\n", 7), 0);
	assert_int_equal(nrec, 11);
	expect_ok(rec(7, "GET a"));
	assert_false(rec(8, "CLIENT REPLY OFF")->has_response);
	assert_false(rec(9, "SET b 1")->has_response);
	assert_int_equal(rec(10, "CLIENT REPLY ON")->resp_first.tid, 7);
}

/* ---- gaps and streams seen from the middle ---- */

/* A 10 MB value: skipped by length, a gap inside it is harmless. */
static void test_large_value_with_gap(void **state)
{
	static const char head[] = "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$10485760\r\n";
	char *chunk = repeat('x', 65536);
	const struct zt_l7_record *r;
	uint64_t left = 10485760;
	uint32_t tid = 1;

	(void)state;
	assert_int_equal(feeds(EG, head, tid++), 0);
	while (left) {
		size_t n = left < 65536 ? left : 65536;

		/* The agent captured the first 4 KiB of each write; the rest is a gap. */
		assert_int_equal(feedn(EG, chunk, n < 4096 ? n : 4096, tid), 0);
		if (n > 4096)
			assert_int_equal(gap(EG, n - 4096, tid), 0);
		tid++;
		left -= n;
	}
	assert_int_equal(feeds(EG, "\r\n", tid++), 0);
	assert_int_equal(nrec, 0);
	assert_int_equal(feeds(IN, "+OK\r\n", tid++), 0);
	assert_int_equal(nrec, 1);
	r = rec(0, recs[0].db_query);
	expect_ok(r);
	assert_true(r->db_query_truncated);
	assert_memory_equal(r->db_query, "SET big xxxx", 12);
	assert_int_equal(r->req_body_bytes, strlen(head) + 10485760 + 2);
	assert_int_equal(r->req_last.tid, tid - 2);
	assert_int_equal(STAT(gaps), 160);
	assert_int_equal(STAT(resyncs), 0);

	/* The same value read back, with gaps in the reply. */
	assert_int_equal(feeds(EG, "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n", tid++), 0);
	assert_int_equal(feeds(IN, "$10485760\r\nxxxx", tid), 0);
	assert_int_equal(gap(IN, 10485760 - 4, tid++), 0);
	assert_int_equal(feeds(IN, "\r\n+PONG\r\n", tid++), 0);
	assert_int_equal(nrec, 2);
	r = rec(1, "GET big");
	assert_int_equal(r->resp_body_bytes, 11 + 10485760 + 2);
	assert_int_equal(r->resp_last.tid, tid - 1);
	assert_int_equal(STAT(malformed), 0);
	free(chunk);
}

/* A gap between commands: what was waiting is dropped, nothing is mis-paired. */
static void test_gap_between_commands(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "*2\r\n$3\r\nGET\r\n$1\r\na\r\n", 1), 0);
	/* GET b and SELECT 7 are lost. */
	assert_int_equal(gap(EG, 40, 2), 0);
	assert_int_equal(feeds(EG, "*2\r\n$3\r\nGET\r\n$1\r\nc\r\n", 3), 0);
	assert_int_equal(feeds(IN, "$1\r\nA\r\n", 4), 0);
	assert_int_equal(feeds(IN, "$1\r\nB\r\n+OK\r\n", 5), 0);
	/* GET c's reply, if it came now, could not be told from the lost ones'. */
	assert_int_equal(nrec, 0);
	assert_int_equal(STAT(gaps), 1);
	assert_int_equal(STAT(resyncs), 1);
	/* Request-response from here on: pairs again, database unknown. */
	assert_int_equal(feeds(IN, "$1\r\nC\r\n", 6), 0);
	assert_int_equal(feeds(EG, "*2\r\n$3\r\nGET\r\n$1\r\nd\r\n", 7), 0);
	assert_int_equal(feeds(IN, "$1\r\nD\r\n", 8), 0);
	assert_int_equal(nrec, 1);
	assert_string_equal(rec(0, "GET d")->db_namespace, "");
	assert_int_equal(recs[0].resp_first.tid, 8);
	assert_int_equal(STAT(partial_state), 1);
	/* Commands still waiting at close have no response. */
	assert_int_equal(feeds(EG, "*1\r\n$4\r\nPING\r\n", 9), 0);
	close_conn(10);
	assert_int_equal(nrec, 2);
	assert_false(rec(1, "PING")->has_response);
	assert_int_equal(STAT(unanswered), 1);
}

/* A gap in the middle of a command (not in a value): resync at the next "*N\r\n$". */
static void test_gap_inside_command(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "*3\r\n$3\r\nSET\r\n", 1), 0);
	assert_int_equal(gap(EG, 3, 2), 0);
	/* The rest of the lost command, then a whole one. */
	assert_int_equal(feeds(EG, "\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 3), 0);
	assert_int_equal(feeds(IN, "+OK\r\n$1\r\nv\r\n", 4), 0);
	/* GET k was queued after the SET's reply could still come: dropped, not mis-paired. */
	assert_int_equal(nrec, 0);
	assert_int_equal(feeds(EG, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 5), 0);
	assert_int_equal(feeds(IN, "$1\r\nv\r\n", 6), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(rec(0, "GET k")->req_first.tid, 5);
	assert_int_equal(recs[0].resp_first.tid, 6);
	assert_int_equal(STAT(resyncs), 1);
	assert_int_equal(STAT(malformed), 0);
}

/* Replies lost: the commands that waited for them are dropped, later ones pair. */
static void test_gap_in_replies(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "LRANGE l 0 -1\r\nGET k\r\n", 1), 0);
	assert_int_equal(feeds(IN, "*3\r\n$1\r\nz\r\n", 2), 0);
	assert_int_equal(gap(IN, 14, 3), 0);
	/* The next read starts inside a value: hunt for a reply start. */
	assert_int_equal(feeds(IN, "zzz\r\n$1\r\nv\r\n", 4), 0);
	assert_int_equal(nrec, 0);
	assert_int_equal(feeds(EG, "GET k\r\n", 5), 0);
	assert_int_equal(feeds(IN, "$1\r\nw\r\n", 6), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(rec(0, "GET k")->resp_first.tid, 6);
	assert_int_equal(STAT(gaps), 1);
	assert_int_equal(STAT(resyncs), 1);
	assert_int_equal(STAT(malformed), 0);
}

/* The agent started while the connection was in use: replies come first. */
static void test_midstream_replies_first(void **state)
{
	(void)state;
	assert_int_equal(feeds(IN, "llo world\r\n", 1), 0);
	assert_int_equal(feeds(IN, "+OK\r\n:5\r\n", 2), 0);
	assert_int_equal(nrec, 0);
	assert_int_equal(feeds(EG, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 3), 0);
	assert_int_equal(feeds(IN, "$1\r\nv\r\n", 4), 0);
	assert_int_equal(nrec, 1);
	/* The database selected before is unknown. */
	assert_string_equal(rec(0, "GET k")->db_namespace, "");
	assert_int_equal(STAT(partial_state), 1);
	assert_int_equal(feeds(EG, "SELECT 1\r\nGET k\r\n", 5), 0);
	assert_int_equal(feeds(IN, "+OK\r\n$-1\r\n", 6), 0);
	assert_string_equal(rec(2, "GET k")->db_namespace, "1");
	assert_int_equal(STAT(malformed), 0);
}

/* The first bytes are the tail of a large command: skip to the next one. */
static void test_midstream_partial_command(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "xxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n"
				   "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 1), 0);
	assert_int_equal(STAT(resyncs), 1);
	/* This reply may be the cut command's: GET k sent along with it has no record. */
	assert_int_equal(feeds(IN, "+OK\r\n", 2), 0);
	assert_int_equal(nrec, 0);
	assert_int_equal(feeds(IN, "$1\r\nv\r\n", 3), 0);
	assert_int_equal(feeds(EG, "*2\r\n$3\r\nGET\r\n$1\r\nj\r\n", 4), 0);
	assert_int_equal(feeds(IN, "$1\r\nw\r\n", 5), 0);
	assert_int_equal(nrec, 1);
	assert_string_equal(rec(0, "GET j")->db_namespace, "");
	assert_int_equal(recs[0].req_pos, 50);
	assert_int_equal(recs[0].resp_first.tid, 5);
	/* Not a command at all: nothing, and no error. */
	reset();
	assert_int_equal(feeds(EG, "howdy world\r\n", 1), 0);
	assert_int_equal(feeds(EG, "\x01\x02\x03 binary\n\n", 2), 0);
	assert_int_equal(feeds(IN, "+OK\r\n", 3), 0);
	close_conn(4);
	assert_int_equal(nrec, 0);
	assert_int_equal(STAT(malformed), 0);
}

/* A reply cannot answer a command that was not whole when the reply began. */
static void test_reply_before_command_complete(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "*2\r\n$3\r\nGET\r\n$1\r\n", 1), 0);
	assert_int_equal(feeds(IN, "$1\r\n", 2), 0);
	assert_int_equal(feeds(EG, "k\r\n", 3), 0);
	assert_int_equal(feeds(IN, "v\r\n", 4), 0);
	/* That reply answered something sent before: which reply is GET k's is unknown. */
	assert_int_equal(feeds(IN, "$1\r\nv\r\n", 5), 0);
	assert_int_equal(nrec, 0);
	assert_int_equal(feeds(EG, "GET k\r\n", 6), 0);
	assert_int_equal(feeds(IN, "$1\r\nv\r\n", 7), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(rec(0, "GET k")->resp_first.tid, 7);
	assert_string_equal(recs[0].db_namespace, "");
}

/* ---- the kernel's tail of a cut syscall ---- */

/* --capture-bytes default, and what the kernel sends of a longer syscall's end. */
#define CAPTURE 4096
#define TAIL 256

/*
 * One syscall as the agent feeds it: its first CAPTURE bytes, the rest as a gap, then (for
 * database connections) its last TAIL bytes as an event of their own.
 */
static void feed_syscall(int dir, const char *buf, size_t len, uint32_t tid)
{
	size_t n = len < CAPTURE ? len : CAPTURE;
	size_t rest = len - n, tail = rest < TAIL ? rest : TAIL;

	assert_int_equal(feedn(dir, buf, n, tid), 0);
	if (len - tail > n)
		assert_int_equal(gap(dir, len - tail - n, tid), 0);
	if (tail)
		assert_int_equal(feedn(dir, buf + len - tail, tail, tid), 0);
}

/* What redis-py writes for RPUSH big 0 1 ... n-1 (one write of ~49 KB for n = 5000). */
static char *rpush_cmd(int n, size_t *len)
{
	char *s = malloc(16 * (size_t)n + 64), num[16];
	size_t k = (size_t)sprintf(s, "*%d\r\n$5\r\nRPUSH\r\n$3\r\nbig\r\n", n + 2);

	assert_non_null(s);
	for (int i = 0; i < n; i++) {
		int w = snprintf(num, sizeof(num), "%d", i);

		k += (size_t)sprintf(s + k, "$%d\r\n%s\r\n", w, num);
	}
	*len = k;
	return s;
}

/* The server's reply to LRANGE big 0 -1 after it. */
static char *lrange_reply(int n, size_t *len)
{
	char *s = malloc(16 * (size_t)n + 16), num[16];
	size_t k = (size_t)sprintf(s, "*%d\r\n", n);

	assert_non_null(s);
	for (int i = 0; i < n; i++) {
		int w = snprintf(num, sizeof(num), "%d", i);

		k += (size_t)sprintf(s + k, "$%d\r\n%s\r\n", w, num);
	}
	*len = k;
	return s;
}

#define LRANGE_BIG "*4\r\n$6\r\nLRANGE\r\n$3\r\nbig\r\n$1\r\n0\r\n$2\r\n-1\r\n"

/*
 * redis-py against redis-server 7, one command at a time: a 49 KB RPUSH written at once (head,
 * gap, tail) and its 5000-element LRANGE read back in two large reads with gaps.
 */
static void test_tail_session(void **state)
{
	static const char *const small[][2] = {
		{ "*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$8\r\nLIB-NAME\r\n$8\r\nredis-py\r\n",
		  "+OK\r\n" },
		{ "*3\r\n$3\r\nSET\r\n$6\r\nuser:1\r\n$5\r\nalice\r\n", "+OK\r\n" },
		{ "*2\r\n$3\r\nGET\r\n$6\r\nuser:1\r\n", "$5\r\nalice\r\n" },
		{ "*3\r\n$5\r\nLPUSH\r\n$6\r\nuser:1\r\n$1\r\nx\r\n",
		  "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n" },
		{ "*2\r\n$3\r\nDEL\r\n$3\r\nbig\r\n", ":0\r\n" },
	};
	size_t cmd_len, reply_len, first_read = 32768;
	char *cmd = rpush_cmd(5000, &cmd_len), *reply = lrange_reply(5000, &reply_len);
	const struct zt_l7_record *r;
	uint32_t tid = 1;

	(void)state;
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		assert_int_equal(feeds(EG, small[i][0], tid++), 0);
		assert_int_equal(feeds(IN, small[i][1], tid++), 0);
	}
	assert_int_equal(nrec, 5);
	assert_true(cmd_len > 40000);
	feed_syscall(EG, cmd, cmd_len, 11);
	assert_int_equal(nrec, 5);
	assert_int_equal(feeds(IN, ":5000\r\n", 12), 0);
	assert_int_equal(nrec, 6);
	r = rec(5, recs[5].db_query);
	expect_ok(r);
	assert_string_equal(r->db_operation, "RPUSH");
	assert_int_equal(r->db_args, 5001);
	assert_true(r->db_query_truncated);
	assert_memory_equal(r->db_query, "RPUSH big 0 1 2 3 4 5 6 7 8 9 10 11", 35);
	assert_int_equal(r->req_body_bytes, cmd_len);
	assert_int_equal(r->req_first.tid, 11);
	assert_int_equal(r->req_last.tid, 11);
	assert_int_equal(r->resp_first.tid, 12);
	assert_int_equal(r->resp_body_bytes, 7);
	assert_int_equal(r->db_rows, -1);
	assert_string_equal(r->db_namespace, "0");

	/* LRANGE: the reply arrives in two reads, each cut to head, gap and tail. */
	assert_int_equal(feeds(EG, LRANGE_BIG, 13), 0);
	feed_syscall(IN, reply, first_read, 14);
	feed_syscall(IN, reply + first_read, reply_len - first_read, 15);
	assert_int_equal(nrec, 6);
	/* The client sends its next command only once it has read the reply. */
	assert_int_equal(feeds(EG, "*2\r\n$3\r\nGET\r\n$6\r\nuser:1\r\n", 16), 0);
	assert_int_equal(nrec, 7);
	r = rec(6, "LRANGE big 0 -1");
	expect_ok(r);
	assert_int_equal(r->db_rows, 5000);
	assert_int_equal(r->db_args, 3);
	assert_int_equal(r->resp_first.tid, 14);
	assert_int_equal(r->resp_last.tid, 15);
	assert_int_equal(r->resp_body_bytes, reply_len);
	assert_int_equal(feeds(IN, "$5\r\nalice\r\n", 17), 0);
	assert_int_equal(nrec, 8);
	assert_int_equal(rec(7, "GET user:1")->resp_first.tid, 17);
	for (int i = 0; i < 8; i++)
		assert_string_equal(recs[i].db_namespace, "0");
	assert_int_equal(STAT(resyncs), 2);
	assert_int_equal(STAT(malformed), 0);
	close_conn(18);
	assert_int_equal(nrec, 8);
	assert_int_equal(STAT(unanswered), 0);
	free(cmd);
	free(reply);
}

/* The tail split over two feeds ends the command with the second; so does a fresh start. */
static void test_tail_in_two_feeds(void **state)
{
	size_t len;
	char *cmd = rpush_cmd(2000, &len);
	const struct zt_l7_record *r;

	(void)state;
	/* The connection's first command: defaults hold. */
	assert_int_equal(feedn(EG, cmd, CAPTURE, 1), 0);
	assert_int_equal(gap(EG, len - CAPTURE - TAIL, 1), 0);
	assert_int_equal(feedn(EG, cmd + len - TAIL, 100, 2), 0);
	assert_int_equal(feedn(EG, cmd + len - TAIL + 100, TAIL - 100, 3), 0);
	assert_int_equal(feeds(IN, ":2000\r\n", 4), 0);
	assert_int_equal(nrec, 1);
	r = rec(0, recs[0].db_query);
	expect_ok(r);
	assert_int_equal(r->db_args, 2001);
	assert_int_equal(r->req_body_bytes, len);
	assert_int_equal(r->req_last.tid, 3);
	assert_int_equal(r->resp_first.tid, 4);
	assert_string_equal(r->db_namespace, "0");
	/* In step afterwards. */
	assert_int_equal(feeds(EG, "*2\r\n$4\r\nLLEN\r\n$3\r\nbig\r\n", 5), 0);
	assert_int_equal(feeds(IN, ":2000\r\n", 6), 0);
	assert_int_equal(rec(1, "LLEN big")->resp_first.tid, 6);
	assert_int_equal(STAT(partial_state), 0);
	free(cmd);
}

/* Pipelined, the reply after a gap may be another command's: nothing is recovered. */
static void test_tail_pipelined(void **state)
{
	static const char get_a[] = "*2\r\n$3\r\nGET\r\n$1\r\na\r\n";
	size_t len, cmd_len, reply_len;
	char *cmd = rpush_cmd(5000, &cmd_len), *reply = lrange_reply(5000, &reply_len);
	char *buf = malloc(cmd_len + sizeof(get_a));

	(void)state;
	/* GET a and the RPUSH in one write: GET a's reply is due before the RPUSH's. */
	assert_non_null(buf);
	memcpy(buf, get_a, sizeof(get_a) - 1);
	memcpy(buf + sizeof(get_a) - 1, cmd, cmd_len);
	len = cmd_len + sizeof(get_a) - 1;
	feed_syscall(EG, buf, len, 1);
	assert_int_equal(feeds(IN, "$-1\r\n:5000\r\n", 2), 0);
	assert_int_equal(nrec, 0);
	/* Pairing resumes with the next command. */
	assert_int_equal(feeds(EG, "*2\r\n$3\r\nGET\r\n$1\r\nb\r\n", 3), 0);
	assert_int_equal(feeds(IN, "$-1\r\n", 4), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(rec(0, "GET b")->resp_first.tid, 4);

	/* LRANGE and GET pipelined: where LRANGE's reply ends is unknown, so is GET's reply. */
	assert_int_equal(feeds(EG, LRANGE_BIG "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 5), 0);
	feed_syscall(IN, reply, reply_len, 6);
	assert_int_equal(feeds(IN, "$1\r\nv\r\n", 7), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(feeds(EG, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 8), 0);
	assert_int_equal(feeds(IN, "$1\r\nv\r\n", 9), 0);
	assert_int_equal(nrec, 2);
	assert_int_equal(rec(1, "GET k")->resp_first.tid, 9);
	close_conn(10);
	assert_int_equal(nrec, 2);
	assert_int_equal(STAT(malformed), 0);
	free(buf);
	free(cmd);
	free(reply);
}

/* What follows the gap cannot be the command's end: it is dropped as before. */
static void test_tail_not_an_end(void **state)
{
	size_t len;
	char *cmd = rpush_cmd(2000, &len);

	(void)state;
	/* No tail: where the command ended is unknown. */
	feed_syscall(EG, cmd, CAPTURE, 1);
	assert_int_equal(gap(EG, len - CAPTURE, 1), 0);
	assert_int_equal(feeds(IN, ":2000\r\n", 2), 0);
	assert_int_equal(nrec, 0);

	/* The tail does not end a command. */
	reset();
	assert_int_equal(feedn(EG, cmd, CAPTURE, 1), 0);
	assert_int_equal(gap(EG, len - CAPTURE - TAIL, 1), 0);
	assert_int_equal(feedn(EG, cmd + len - TAIL, TAIL - 1, 1), 0);
	assert_int_equal(feeds(IN, ":2000\r\n", 2), 0);
	assert_int_equal(nrec, 0);

	/* More than a tail before the reply: another write followed. */
	reset();
	assert_int_equal(feedn(EG, cmd, CAPTURE, 1), 0);
	assert_int_equal(gap(EG, len - CAPTURE - 2 * TAIL, 1), 0);
	assert_int_equal(feedn(EG, cmd + len - 2 * TAIL, TAIL, 1), 0);
	assert_int_equal(feedn(EG, cmd + len - TAIL, TAIL, 2), 0);
	assert_int_equal(feeds(IN, ":2000\r\n", 3), 0);
	assert_int_equal(nrec, 0);

	/* A second command in the same write, after the tail's start. */
	reset();
	assert_int_equal(feedn(EG, cmd, CAPTURE, 1), 0);
	assert_int_equal(gap(EG, len - CAPTURE - TAIL, 1), 0);
	assert_int_equal(feedn(EG, cmd + len - TAIL, TAIL, 1), 0);
	assert_int_equal(feeds(EG, "*1\r\n$4\r\nPING\r\n", 1), 0);
	assert_int_equal(feeds(IN, ":2000\r\n+PONG\r\n", 2), 0);
	assert_int_equal(nrec, 0);
	/* In step again from the next command on, database unknown. */
	assert_int_equal(feeds(EG, "*1\r\n$4\r\nPING\r\n", 3), 0);
	assert_int_equal(feeds(IN, "+PONG\r\n", 4), 0);
	assert_int_equal(nrec, 1);
	assert_string_equal(rec(0, "PING")->db_namespace, "");
	/* The PING after the tail was found by hunting, as after any gap. */
	assert_int_equal(STAT(resyncs), 1);
	assert_int_equal(STAT(malformed), 0);
	free(cmd);
}

/* A RESP3 push is no reply: the parked command waits for the one that follows. */
static void test_tail_push_first(void **state)
{
	size_t len;
	char *cmd = rpush_cmd(2000, &len);

	(void)state;
	assert_int_equal(feeds(EG, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n", 1), 0);
	assert_int_equal(feeds(IN, "%1\r\n$5\r\nproto\r\n:3\r\n", 2), 0);
	feed_syscall(EG, cmd, len, 3);
	assert_int_equal(feeds(IN, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nx\r\n", 4), 0);
	assert_int_equal(nrec, 1);
	assert_int_equal(feeds(IN, ":2000\r\n", 5), 0);
	assert_int_equal(nrec, 2);
	expect_ok(rec(1, recs[1].db_query));
	assert_string_equal(recs[1].db_operation, "RPUSH");
	assert_int_equal(recs[1].req_last.tid, 3);
	assert_int_equal(recs[1].resp_first.tid, 5);
	free(cmd);
}

/* The connection closes after a reply whose end a gap hid: answered with what is known. */
static void test_lost_reply_end_at_close(void **state)
{
	size_t len;
	char *reply = lrange_reply(5000, &len);
	const struct zt_l7_record *r;

	(void)state;
	assert_int_equal(feeds(EG, LRANGE_BIG, 1), 0);
	feed_syscall(IN, reply, len, 2);
	assert_int_equal(nrec, 0);
	close_conn(3);
	assert_int_equal(nrec, 1);
	r = rec(0, "LRANGE big 0 -1");
	expect_ok(r);
	assert_int_equal(r->db_rows, 5000);
	assert_int_equal(r->resp_first.tid, 2);
	assert_int_equal(r->resp_last.tid, 2);
	assert_int_equal(r->resp_body_bytes, len);
	assert_int_equal(STAT(unanswered), 0);

	/* A large bulk cut past its end (a gap longer than what was due) ends the same way. */
	reset();
	assert_int_equal(feeds(EG, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 1), 0);
	assert_int_equal(feeds(IN, "$20000\r\nxxxx", 2), 0);
	assert_int_equal(gap(IN, 30000, 2), 0);
	assert_int_equal(feeds(IN, "yyyy", 3), 0);
	close_conn(4);
	assert_int_equal(nrec, 1);
	r = rec(0, "GET k");
	assert_true(r->has_response);
	assert_int_equal(r->db_rows, -1);
	assert_int_equal(r->resp_last.tid, 3);
	assert_int_equal(r->resp_body_bytes, 12 + 30000 + 4);
	free(reply);
}

/* Deep pipelines: past 1024 waiting commands the oldest leave unanswered, pairing holds. */
static void test_fifo_overflow(void **state)
{
	char buf[64];
	int n = 1100;

	(void)state;
	for (int i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "LRANGE k%d 0 -1\r\n", i);
		assert_int_equal(feeds(EG, buf, 1), 0);
	}
	assert_int_equal(nrec, n - 1024);
	for (int i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "*%d\r\n", i % 7);
		assert_int_equal(feeds(IN, buf, 2), 0);
		for (int k = 0; k < i % 7; k++)
			assert_int_equal(feeds(IN, ":1\r\n", 2), 0);
	}
	assert_int_equal(nrec, n);
	for (int i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "LRANGE k%d 0 -1", i);
		rec(i, buf);
		assert_int_equal(recs[i].has_response, i >= n - 1024);
		if (recs[i].has_response)
			assert_int_equal(recs[i].db_rows, i % 7);
	}
	assert_int_equal(STAT(unanswered), n - 1024);
}

/* ---- limits and malformed input ---- */

static void test_limits(void **state)
{
	char *line = repeat('a', 70 * 1024);

	(void)state;
	/* Nesting deeper than 32 (the first reply is parsed tentatively: a second one). */
	assert_int_equal(feeds(EG, "PING\r\nGET k\r\n", 1), 0);
	assert_int_equal(feeds(IN, "+PONG\r\n", 2), 0);
	for (int i = 0; i < 32; i++)
		assert_int_equal(feeds(IN, "*1\r\n", 3), 0);
	assert_int_equal(feeds(IN, "*1\r\n", 3), -1);
	assert_int_equal(STAT(malformed), 1);

	/* An inline line over 64 KiB. */
	reset();
	assert_int_equal(feeds(EG, "PING\r\n", 1), 0);
	memcpy(line, "ECHO ", 5);
	assert_int_equal(feeds(EG, line, 2), -1);
	assert_int_equal(STAT(heads_too_large), 1);

	/* A reply line over 64 KiB. */
	reset();
	assert_int_equal(feeds(EG, "PING\r\n", 1), 0);
	assert_int_equal(feeds(IN, "+OK\r\n", 2), 0);
	line[0] = '+';
	assert_int_equal(feeds(IN, line, 3), -1);

	/* Counts and lengths out of range. */
	reset();
	assert_int_equal(feeds(EG, "PING\r\n*2147483648\r\n", 1), -1);
	reset();
	assert_int_equal(feeds(EG, "PING\r\n*1\r\n$1099511627777\r\n", 1), -1);
	reset();
	assert_int_equal(feeds(EG, "PING\r\n", 1), 0);
	assert_int_equal(feeds(IN, "+OK\r\n*2147483648\r\n", 2), -1);
	free(line);
}

/* Once in step, bytes that are not RESP mark the connection; it stays marked. */
static void test_malformed_sticky(void **state)
{
	(void)state;
	assert_int_equal(feeds(EG, "*1\r\n$4\r\nPING\r\n", 1), 0);
	assert_int_equal(feeds(EG, "*1\r\n$4\r\nPINGxx", 2), -1);
	assert_int_equal(feeds(EG, "*1\r\n$4\r\nPING\r\n", 3), -1);
	assert_int_equal(feeds(IN, "+PONG\r\n", 4), -1);
	assert_int_equal(gap(IN, 5, 5), -1);
	close_conn(6);
	assert_int_equal(nrec, 0);
	assert_int_equal(STAT(malformed), 1);

	reset();
	assert_int_equal(feeds(EG, "PING\r\n", 1), 0);
	assert_int_equal(feeds(IN, "+PONG\r\n", 2), 0);
	assert_int_equal(feeds(IN, "?what\r\n", 3), -1);
	reset();
	assert_int_equal(feeds(EG, "PING\r\n", 1), 0);
	assert_int_equal(feeds(IN, "+PONG\r\n$3\r\nabcd\r\n", 2), -1);
	reset();
	assert_int_equal(feedn(EG, "PING\r\n", 6, 1), 0);
	assert_int_equal(ops->feed(conn, 2, (const uint8_t *)"x", 1, NULL, &sink), -1);
	assert_int_equal(nrec, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detect_command_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_quoting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_truncation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipeline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_every_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_shapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resp3_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secrets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multi_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pubsub_resp2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pubsub_confirmations_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsubscribe_unknown_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_like_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pubsub_resp3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_monitor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_psync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_value_with_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_between_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_inside_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_in_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_midstream_replies_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_midstream_partial_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_before_command_complete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tail_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tail_in_two_feeds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tail_pipelined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tail_not_an_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tail_push_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_reply_end_at_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_sticky, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
