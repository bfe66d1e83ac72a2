/* SQL and Redis query sanitising and SQL summaries (src/db_query.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "zt_db_query.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct xform_case {
	const char *in;
	const char *want;
};

/* Statements as drivers and ORMs send them; want is the sanitised text. */
static const struct xform_case sql_cases[] = {
	/* pgbench's TPC-B transaction */
	{ "UPDATE pgbench_accounts SET abalance = abalance + -4049 WHERE aid = 7310;",
	  "UPDATE pgbench_accounts SET abalance = abalance + -? WHERE aid = ?;" },
	{ "SELECT abalance FROM pgbench_accounts WHERE aid = 7310;",
	  "SELECT abalance FROM pgbench_accounts WHERE aid = ?;" },
	{ "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (7, 1, 7310, -4049, "
	  "CURRENT_TIMESTAMP);",
	  "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (?, ?, ?, -?, "
	  "CURRENT_TIMESTAMP);" },
	/* psycopg2 interpolates on the client; its placeholders when they reach us as text */
	{ "SELECT id, email FROM users WHERE email = 'alice@example.com' AND created_at > "
	  "'2024-01-01'::date",
	  "SELECT id, email FROM users WHERE email = ? AND created_at > ?::date" },
	{ "INSERT INTO t (a, b) VALUES (%s, %(name)s)",
	  "INSERT INTO t (a, b) VALUES (%s, %(name)s)" },
	/* Django on PostgreSQL and on MySQL */
	{ "SELECT \"auth_user\".\"id\", \"auth_user\".\"username\" FROM \"auth_user\" WHERE "
	  "\"auth_user\".\"username\" = 'admin' LIMIT 21",
	  "SELECT \"auth_user\".\"id\", \"auth_user\".\"username\" FROM \"auth_user\" WHERE "
	  "\"auth_user\".\"username\" = ? LIMIT ?" },
	{ "SELECT `django_session`.`session_key` FROM `django_session` WHERE "
	  "(`django_session`.`expire_date` > '2024-05-01 10:00:00.123456' AND "
	  "`django_session`.`session_key` = 'k9x2')",
	  "SELECT `django_session`.`session_key` FROM `django_session` WHERE "
	  "(`django_session`.`expire_date` > ? AND `django_session`.`session_key` = ?)" },
	/* Hibernate 6 and SQLAlchemy with asyncpg: nothing to hide */
	{ "select u1_0.id,u1_0.name from users u1_0 where u1_0.id=? offset ? rows fetch first ? "
	  "rows only",
	  "select u1_0.id,u1_0.name from users u1_0 where u1_0.id=? offset ? rows fetch first ? "
	  "rows only" },
	{ "INSERT INTO users (name, fullname) VALUES ($1::VARCHAR, $2::VARCHAR) "
	  "RETURNING users.id",
	  "INSERT INTO users (name, fullname) VALUES ($1::VARCHAR, $2::VARCHAR) "
	  "RETURNING users.id" },
	{ "INSERT INTO kv (k, v) VALUES ('color', 'blue') ON CONFLICT (k) DO UPDATE SET v = "
	  "EXCLUDED.v RETURNING v",
	  "INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v "
	  "RETURNING v" },
	{ "WITH recent AS (SELECT * FROM orders WHERE ts > now() - interval '1 day') SELECT "
	  "count(*) FROM recent",
	  "WITH recent AS (SELECT * FROM orders WHERE ts > now() - interval ?) SELECT count(*) "
	  "FROM recent" },
	{ "BEGIN; UPDATE t SET n = n + 1 WHERE id = 42; COMMIT;",
	  "BEGIN; UPDATE t SET n = n + ? WHERE id = ?; COMMIT;" },
	{ "SELECT * FROM t ORDER BY id LIMIT 10 OFFSET 20",
	  "SELECT * FROM t ORDER BY id LIMIT ? OFFSET ?" },
	{ "UPDATE t SET a = TRUE, b = NULL, c = false",
	  "UPDATE t SET a = TRUE, b = NULL, c = false" },
	/* comments go, whatever they hold */
	{ "SELECT a -- it's 'secret'\nFROM t /* don't \"leak\" 'pw' */ WHERE b = 'x'",
	  "SELECT a FROM t WHERE b = ?" },
	{ "SELECT 1 # owner's note\nFROM dual", "SELECT ? FROM dual" },
	{ "SELECT /* a /* b */ still comment 'x' */ 1", "SELECT ?" },
	{ "SELECT /*+ MAX_EXECUTION_TIME(1000) */ * FROM t", "SELECT * FROM t" },
	{ "SELECT a/**/FROM t--x", "SELECT a FROM t" },
	/* mysqldump */
	{ "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;",
	  "SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT ;" },
	{ "INSERT INTO `users` VALUES (1,'alice','a@x.io'),(2,'bob','b@x.io'),(3,'carol',NULL);",
	  "INSERT INTO `users` VALUES (?,?,?),(?,?,NULL);" },
	{ "LOCK TABLES `users` WRITE;", "LOCK TABLES `users` WRITE;" },
	/* truncated captures */
	{ "SELECT * FROM logs WHERE msg = 'connection reset by pe",
	  "SELECT * FROM logs WHERE msg = ?" },
	{ "SELECT \"col", "SELECT ?" },
	{ "SELECT $tag$ body never closed", "SELECT ?" },
	/* non-ASCII text */
	{ "INSERT INTO städte (name, land) VALUES ('München', 'Deutschland')",
	  "INSERT INTO städte (name, land) VALUES (?, ?)" },
	{ "SELECT * FROM t WHERE name = '東京' AND note = N'日本語'",
	  "SELECT * FROM t WHERE name = ? AND note = ?" },
	/* string forms */
	{ "SELECT E'it\\'s', 'O''Brien', 'C:\\\\dir\\\\', X'DEADBEEF', B'1010', "
	  "U&'d\\0061t', n'x', _utf8mb4'y'",
	  "SELECT ?, ?, ?, ?, ?, ?, ?, _utf8mb4?" },
	{ "SELECT * FROM u WHERE name = 'it\\'s secret' AND pw = 'x'",
	  "SELECT * FROM u WHERE name = ? AND pw = ?" },
	{ "CREATE FUNCTION inc(a int) RETURNS int AS $$ SELECT a + 1 $$ LANGUAGE sql",
	  "CREATE FUNCTION inc(a int) RETURNS int AS ? LANGUAGE sql" },
	{ "DO $body$ BEGIN RAISE NOTICE 'x $$ y'; END $body$;", "DO ?;" },
	/* numbers, and what is not one */
	{ "SELECT 1, -2.5, 3e10, 4.5E-3, .5, 0xFF, 0b101, 1_000_000, x'1f' FROM t1 WHERE c2 = $1 "
	  "AND c3 = :name AND c4 = ?",
	  "SELECT ?, -?, ?, ?, ?, ?, ?, ?, ? FROM t1 WHERE c2 = $1 AND c3 = :name AND c4 = ?" },
	{ "SELECT t1.c2, 2fa_codes.x, a.5 FROM t1, 2fa_codes",
	  "SELECT t1.c2, 2fa_codes.x, a.? FROM t1, 2fa_codes" },
	/* lists whose length varies with the data */
	{ "SELECT * FROM t WHERE id IN (1, 2, 3) AND s IN ('a','b') AND u IN ($1, $2) AND v NOT "
	  "IN ( ?,? )",
	  "SELECT * FROM t WHERE id IN (?) AND s IN (?) AND u IN ($1, $2) AND v NOT IN (?)" },
	{ "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, 'z') RETURNING id",
	  "INSERT INTO t (a, b) VALUES (?, ?) RETURNING id" },
	/* PostgreSQL operators that start like comments or strings */
	{ "SELECT data #> '{a,b}', data ->> 'k', data #>> '{c}', data #- '{d}', v <#> '[1,2]', "
	  "b @> '{1}', h #= 'a=>1' FROM docs",
	  "SELECT data #> ?, data ->> ?, data #>> ?, data #- ?, v <#> ?, b @> ?, h #= ? "
	  "FROM docs" },
	/* layout */
	{ "  SELECT\n\t*\r\n  FROM   t  \n", "SELECT * FROM t" },
	{ "", "" },
	{ "   \n", "" },
	{ "-- only a comment", "" },
};

static void test_sql_sanitize_table(void **state)
{
	char out[1024];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(sql_cases); i++) {
		const char *in = sql_cases[i].in;
		size_t n = zt_sql_sanitize(in, strlen(in), out, sizeof(out));

		if (strcmp(out, sql_cases[i].want))
			fail_msg("case %zu: %s\n  got  %s\n  want %s", i, in, out,
				 sql_cases[i].want);
		assert_int_equal(n, strlen(out));
	}
}

/* Sanitised text is a fixed point. */
static void test_sql_sanitize_idempotent(void **state)
{
	char once[1024], twice[1024];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(sql_cases); i++) {
		const char *in = sql_cases[i].in;
		size_t n = zt_sql_sanitize(in, strlen(in), once, sizeof(once));

		zt_sql_sanitize(once, n, twice, sizeof(twice));
		assert_string_equal(once, twice);
	}
}

static void test_sql_sanitize_nul_bytes(void **state)
{
	static const char in[] = "SELECT\0 1, \"a\0b\" FROM t";
	char out[64];

	(void)state;
	assert_int_equal(zt_sql_sanitize(in, sizeof(in) - 1, out, sizeof(out)), 22);
	assert_string_equal(out, "SELECT ?, \"a b\" FROM t");
}

static void test_sql_sanitize_cut(void **state)
{
	char out[64];

	(void)state;
	/* cut at cap-1, without the separator left dangling */
	assert_int_equal(zt_sql_sanitize("SELECT * FROM users", 19, out, 10), 8);
	assert_string_equal(out, "SELECT *");
	assert_int_equal(zt_sql_sanitize("SELECT 1", 8, out, 1), 0);
	assert_string_equal(out, "");
	memset(out, 'z', sizeof(out));
	assert_int_equal(zt_sql_sanitize("SELECT 1", 8, out, 0), 0);
	assert_int_equal(out[0], 'z');
	assert_int_equal(zt_sql_sanitize(NULL, 0, NULL, 0), 0);
	/* never half a UTF-8 sequence: ä is 2 bytes, 😀 is 4 */
	assert_int_equal(zt_sql_sanitize("SELECT städte", 14, out, 11), 9);
	assert_string_equal(out, "SELECT st");
	assert_int_equal(zt_sql_sanitize("SELECT städte", 14, out, 12), 11);
	assert_string_equal(out, "SELECT stä");
	for (size_t cap = 9; cap <= 12; cap++)
		assert_int_equal(zt_sql_sanitize("SELECT a😀b", 13, out, cap), 8);
	assert_int_equal(zt_sql_sanitize("SELECT a😀b", 13, out, 13), 12);
	assert_string_equal(out, "SELECT a😀");
	assert_int_equal(zt_sql_sanitize("SELECT a😀b", 13, out, 14), 13);
	assert_string_equal(out, "SELECT a😀b");
}

static void test_sql_sanitize_long(void **state)
{
	size_t big = 200000, n;
	char *in = malloc(big + 64), *out = malloc(4096), *full = malloc(big + 64);
	size_t len = 0;

	(void)state;
	assert_non_null(in);
	assert_non_null(out);
	assert_non_null(full);
	/* a 200 kB string literal */
	len = (size_t)sprintf(in, "SELECT '");
	memset(in + len, 'x', big);
	len += big;
	len += (size_t)sprintf(in + len, "' FROM t");
	assert_int_equal(zt_sql_sanitize(in, len, out, 4096), 15);
	assert_string_equal(out, "SELECT ? FROM t");
	/* a bulk insert of 10000 rows collapses to one row */
	len = (size_t)sprintf(in, "INSERT INTO t (a, b) VALUES ");
	for (int i = 0; i < 10000; i++)
		len += (size_t)sprintf(in + len, "%s(%d, 'v%d')", i ? ", " : "", i, i);
	assert_true(len < big);
	zt_sql_sanitize(in, len, out, 4096);
	assert_string_equal(out, "INSERT INTO t (a, b) VALUES (?, ?)");
	/* a long select list is cut at 4095 bytes, as a prefix of the whole text */
	len = (size_t)sprintf(in, "SELECT ");
	for (int i = 0; i < 5000; i++)
		len += (size_t)sprintf(in + len, "%scolumn_%d", i ? ", " : "", i);
	n = zt_sql_sanitize(in, len, full, big + 64);
	assert_int_equal(n, len);
	n = zt_sql_sanitize(in, len, out, 4096);
	assert_int_equal(n, 4095);
	assert_int_equal(strlen(out), 4095);
	assert_memory_equal(out, full, n);
	free(in);
	free(out);
	free(full);
}

struct summary_case {
	const char *in;
	const char *op;
	const char *coll;
};

static const struct summary_case summary_cases[] = {
	{ "SELECT abalance FROM pgbench_accounts WHERE aid = 1", "SELECT", "pgbench_accounts" },
	{ "select * from users u where u.id = $1", "SELECT", "users" },
	{ "SELECT \"auth_user\".\"id\" FROM \"auth_user\" WHERE \"auth_user\".\"id\" = 1 LIMIT 21",
	  "SELECT", "auth_user" },
	{ "SELECT * FROM \"public\".\"Users\"", "SELECT", "public.Users" },
	{ "SELECT * FROM \"we\"\"ird\"", "SELECT", "we\"ird" },
	{ "SELECT `a`.`b` FROM `shop`.`orders` `a` WHERE 1", "SELECT", "shop.orders" },
	{ "SELECT * FROM ONLY parent", "SELECT", "parent" },
	{ "SELECT * FROM t WHERE a = 1 ORDER BY a, b LIMIT 5, 10", "SELECT", "t" },
	{ "SELECT * FROM t FORCE INDEX (i1, i2) WHERE x", "SELECT", "t" },
	{ "SELECT EXTRACT(YEAR FROM ts), (SELECT max(x) FROM u) FROM t WHERE id IN (SELECT id "
	  "FROM v)",
	  "SELECT", "t" },
	{ "SELECT * FROM t FOR UPDATE SKIP LOCKED", "SELECT", "t" },
	{ "SELECT * FROM a JOIN b ON a.id = b.id", "SELECT", "" },
	{ "SELECT * FROM a LEFT OUTER JOIN b USING (id)", "SELECT", "" },
	{ "SELECT * FROM a, b", "SELECT", "" },
	{ "SELECT * FROM (SELECT 1) AS s", "SELECT", "" },
	{ "SELECT * FROM generate_series(1, 10)", "SELECT", "" },
	{ "SELECT 1", "SELECT", "" },
	{ "SELECT 1 FROM DUAL", "SELECT", "" },
	{ "SELECT a FROM t UNION SELECT a FROM u", "SELECT", "" },
	{ "(SELECT a FROM t) UNION ALL (SELECT a FROM u)", "SELECT", "" },
	{ "/* app=web */ -- x\n ( (SELECT 1 FROM t))", "SELECT", "t" },
	{ "SELECT * FROM t; SELECT * FROM u", "SELECT", "t" },
	{ "INSERT INTO pgbench_history (tid) VALUES (1)", "INSERT", "pgbench_history" },
	{ "insert ignore into `t` set a=1", "INSERT", "t" },
	{ "INSERT t VALUES (1)", "INSERT", "t" },
	{ "INSERT INTO städte VALUES (1)", "INSERT", "städte" },
	{ "INSERT INTO archive SELECT * FROM t WHERE old", "INSERT", "archive" },
	{ "REPLACE INTO cache (k, v) VALUES ('a', 'b')", "REPLACE", "cache" },
	{ "UPSERT INTO kv VALUES (1)", "UPSERT", "kv" },
	{ "UPDATE pgbench_accounts SET abalance = 1", "UPDATE", "pgbench_accounts" },
	{ "UPDATE t AS x SET a = (SELECT b FROM u)", "UPDATE", "t" },
	{ "UPDATE t1 JOIN t2 ON t1.id = t2.id SET t1.a = 1", "UPDATE", "" },
	{ "UPDATE t1, t2 SET a = 1", "UPDATE", "" },
	{ "DELETE FROM sessions WHERE expires < now()", "DELETE", "sessions" },
	{ "DELETE FROM t USING u WHERE t.id = u.id", "DELETE", "" },
	{ "DELETE t1 FROM t1 JOIN t2", "DELETE", "" },
	{ "CREATE TABLE IF NOT EXISTS public.events (id bigint)", "CREATE", "public.events" },
	{ "CREATE TEMPORARY TABLE tmp_x AS SELECT 1", "CREATE", "tmp_x" },
	{ "CREATE INDEX idx ON t (a)", "CREATE", "" },
	{ "DROP TABLE IF EXISTS old_t CASCADE", "DROP", "old_t" },
	{ "DROP TABLE a, b", "DROP", "" },
	{ "ALTER TABLE ONLY public.t ADD COLUMN c int", "ALTER", "public.t" },
	{ "TRUNCATE TABLE logs", "TRUNCATE", "logs" },
	{ "TRUNCATE a, b", "TRUNCATE", "" },
	{ "COPY pgbench_accounts FROM STDIN", "COPY", "pgbench_accounts" },
	{ "COPY (SELECT 1) TO STDOUT", "COPY", "" },
	{ "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", "MERGE", "" },
	/* WITH: the main statement; CTE names are not tables */
	{ "WITH recent AS (SELECT * FROM orders) SELECT count(*) FROM recent", "SELECT", "" },
	{ "WITH moved AS (DELETE FROM queue WHERE id = 5 RETURNING *) INSERT INTO archive SELECT * "
	  "FROM moved",
	  "INSERT", "archive" },
	{ "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t WHERE n < 10) SELECT "
	  "sum(n) FROM t",
	  "SELECT", "" },
	{ "WITH a AS (SELECT 1), b (x, y) AS MATERIALIZED (SELECT 2, 3) SELECT * FROM orders",
	  "SELECT", "orders" },
	{ "with x as (select 1) update accounts set a = 1", "UPDATE", "accounts" },
	{ "WITH x AS (SELECT 1", "WITH", "" },
	/* no table */
	{ "BEGIN", "BEGIN", "" },
	{ "BEGIN; SELECT * FROM t", "BEGIN", "" },
	{ "START TRANSACTION ISOLATION LEVEL SERIALIZABLE", "START", "" },
	{ "COMMIT", "COMMIT", "" },
	{ "ROLLBACK TO SAVEPOINT s1", "ROLLBACK", "" },
	{ "SAVEPOINT s1", "SAVEPOINT", "" },
	{ "SET search_path TO app", "SET", "" },
	{ "/*!40101 SET NAMES utf8mb4 */;", "SET", "" },
	{ "SHOW server_version", "SHOW", "" },
	{ "USE shop", "USE", "" },
	{ "EXPLAIN ANALYZE SELECT * FROM t", "EXPLAIN", "" },
	{ "CALL proc(1)", "CALL", "" },
	{ "EXEC sp_who", "EXEC", "" },
	{ "EXECUTE stmt(1)", "EXECUTE", "" },
	{ "PREPARE p AS SELECT 1", "PREPARE", "" },
	{ "GRANT SELECT ON t TO u", "GRANT", "" },
	{ "VACUUM ANALYZE t", "VACUUM", "" },
	{ "ANALYZE t", "ANALYZE", "" },
	{ "LOCK TABLE t IN ACCESS EXCLUSIVE MODE", "LOCK", "" },
	{ "LISTEN ch", "LISTEN", "" },
	{ "NOTIFY ch, 'x'", "NOTIFY", "" },
	{ "VALUES (1)", "VALUES", "" },
	{ "frobnicate the thing", "FROBNICATE", "" },
	/* no operation */
	{ "123", "", "" },
	{ "\"x\"", "", "" },
	{ "über", "", "" },
	{ "t1", "", "" },
	{ "abcdefghijabcdefghijabcdefghijab", "", "" },
	{ "", "", "" },
	{ "-- nothing", "", "" },
};

static void test_sql_summary_table(void **state)
{
	struct zt_sql_summary s;
	char want[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(summary_cases); i++) {
		const struct summary_case *c = &summary_cases[i];

		memset(&s, 0x55, sizeof(s));
		zt_sql_summary(c->in, strlen(c->in), &s);
		if (strcmp(s.operation, c->op) || strcmp(s.collection, c->coll))
			fail_msg("case %zu: %s\n  got  '%s' '%s'\n  want '%s' '%s'", i, c->in,
				 s.operation, s.collection, c->op, c->coll);
		snprintf(want, sizeof(want), "%s%s%s", c->op, c->coll[0] ? " " : "", c->coll);
		assert_string_equal(s.summary, want);
	}
}

/* The longest operation and collection fill summary exactly; a longer name is dropped. */
static void test_sql_summary_limits(void **state)
{
	struct zt_sql_summary s;
	char in[512], name[200];

	(void)state;
	memset(name, 'n', 127);
	name[127] = '\0';
	snprintf(in, sizeof(in), "abcdefghijabcdefghijabcdefghija %s", name);
	zt_sql_summary(in, strlen(in), &s);
	assert_int_equal(strlen(s.operation), 31);
	assert_string_equal(s.collection, "");
	snprintf(in, sizeof(in), "SELECT * FROM %s", name);
	zt_sql_summary(in, strlen(in), &s);
	assert_string_equal(s.collection, name);
	assert_int_equal(strlen(s.summary), 6 + 1 + 127);
	name[127] = 'n';
	name[128] = '\0';
	snprintf(in, sizeof(in), "SELECT * FROM %s", name);
	zt_sql_summary(in, strlen(in), &s);
	assert_string_equal(s.summary, "SELECT");
	/* a name cut short by the input's end still counts; an unterminated quote does not */
	zt_sql_summary("DELETE FROM \"q", 14, &s);
	assert_string_equal(s.summary, "DELETE");
	zt_sql_summary("SELECT * FROM tab", 16, &s);
	assert_string_equal(s.summary, "SELECT ta");
}

static const struct xform_case redis_cases[] = {
	{ "SET user:1 \"{\\\"name\\\":\\\"bob\\\"}\"", "SET user:1 ?" },
	{ "set user:1 hello EX 60", "SET user:1 ? ? ?" },
	{ "GET session:abc", "GET session:abc" },
	{ "HSET h f1 v1 f2 v2", "HSET h ? ? ? ?" },
	{ "MSET k1 v1 k2 v2", "MSET k1 ? ? ?" },
	{ "PING", "PING" },
	{ "PING hello", "PING ?" },
	{ "AUTH default s3cret", "AUTH ? ?" },
	{ "HELLO 3 AUTH user pass", "HELLO ? ? ? ?" },
	{ "SELECT 2", "SELECT ?" },
	{ "EVAL \"return redis.call('get', KEYS[1])\" 1 user:1 arg", "EVAL ? 1 user:1 ?" },
	{ "EVAL \"return 1\" 0 x", "EVAL ? 0 ?" },
	{ "EVAL \"return 1\" many k", "EVAL ? ? ?" },
	{ "EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 2 a b c",
	  "EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 2 a ? ?" },
	{ "FCALL myfunc 1 k v", "FCALL myfunc 1 k ?" },
	{ "CONFIG SET requirepass hunter2", "CONFIG SET ? ?" },
	{ "client setname worker-1", "CLIENT SETNAME ?" },
	{ "ACL SETUSER alice on >pw ~* +@all", "ACL SETUSER ? ? ? ? ?" },
	{ "OBJECT ENCODING mykey", "OBJECT ENCODING mykey" },
	{ "OBJECT HELP", "OBJECT HELP" },
	{ "MEMORY USAGE k SAMPLES 5", "MEMORY USAGE k ? ?" },
	{ "MEMORY STATS", "MEMORY STATS" },
	{ "XGROUP CREATE s g $ MKSTREAM", "XGROUP CREATE s ? ? ?" },
	{ "DEBUG SLEEP 0", "DEBUG SLEEP ?" },
	{ "DEBUG OBJECT k", "DEBUG OBJECT k" },
	{ "SET \"key with space\" \"val\"", "SET \"key with space\" ?" },
	{ "SET k \"cut short", "SET k ?" },
	{ "JSON.SET doc $ \"{}\"", "JSON.SET doc ? ?" },
	{ "PUBLISH news:1 \"hello\"", "PUBLISH news:1 ?" },
	{ "\"\\x00weird\" a b", "? a ?" },
	{ "  GET   k  ", "GET k" },
	{ "", "" },
};

static void test_redis_sanitize_table(void **state)
{
	char out[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(redis_cases); i++) {
		const char *in = redis_cases[i].in;
		size_t n = zt_redis_sanitize(in, strlen(in), out, sizeof(out));

		if (strcmp(out, redis_cases[i].want))
			fail_msg("case %zu: %s\n  got  %s\n  want %s", i, in, out,
				 redis_cases[i].want);
		assert_int_equal(n, strlen(out));
	}
}

static void test_redis_sanitize_cut(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(zt_redis_sanitize("HSET h a b c d", 14, out, 9), 8);
	assert_string_equal(out, "HSET h ?");
	assert_int_equal(zt_redis_sanitize("GET clé", 8, out, 8), 6);
	assert_string_equal(out, "GET cl");
	assert_int_equal(zt_redis_sanitize("GET k", 5, out, 1), 0);
	assert_string_equal(out, "");
	assert_int_equal(zt_redis_sanitize("GET k", 5, NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sql_sanitize_table),
		cmocka_unit_test(test_sql_sanitize_idempotent),
		cmocka_unit_test(test_sql_sanitize_nul_bytes),
		cmocka_unit_test(test_sql_sanitize_cut),
		cmocka_unit_test(test_sql_sanitize_long),
		cmocka_unit_test(test_sql_summary_table),
		cmocka_unit_test(test_sql_summary_limits),
		cmocka_unit_test(test_redis_sanitize_table),
		cmocka_unit_test(test_redis_sanitize_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
