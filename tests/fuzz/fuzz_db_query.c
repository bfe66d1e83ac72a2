/*
 * libFuzzer target for src/db_query.c. Its own entry point (the parser harness's is weak).
 *
 * Input: byte 0 picks the mode, byte 1 the output capacity of the cut run, the rest is text.
 * Modes 0 and 1: the text as SQL and as a Redis command; output terminated, length right,
 * sanitising idempotent, valid UTF-8 kept valid, summary fields well formed.
 * Mode 2: the bytes drive a generator of SQL whose literal values and comments hold '~' and
 * digits and nothing else does; neither may reach the sanitised text.
 * Mode 3: likewise for Redis commands: values hold '~', keys and subcommands do not.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zt_db_query.h"

#define GEN_MAX 16384

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

/* Lead bytes and continuation bytes agree (overlong forms and surrogates not checked). */
static bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t need;

		if (c < 0x80)
			need = 0;
		else if (c >= 0xc2 && c < 0xe0)
			need = 1;
		else if (c >= 0xe0 && c < 0xf0)
			need = 2;
		else if (c >= 0xf0 && c < 0xf5)
			need = 3;
		else
			return false;
		if (need > n - i - 1)
			return false;
		for (size_t k = 1; k <= need; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
		i += need + 1;
	}
	return true;
}

/* Output of a sanitiser: terminated at its returned length, inside cap. */
static void check_out(const char *out, size_t len, size_t cap)
{
	if (!cap) {
		check(len == 0);
		return;
	}
	check(len < cap && strlen(out) == len);
}

static void check_summary(const struct zt_sql_summary *s)
{
	size_t op, coll, sum;

	op = strnlen(s->operation, sizeof(s->operation));
	coll = strnlen(s->collection, sizeof(s->collection));
	sum = strnlen(s->summary, sizeof(s->summary));
	check(op < sizeof(s->operation) && coll < sizeof(s->collection) &&
	      sum < sizeof(s->summary));
	for (size_t i = 0; i < op; i++)
		check(s->operation[i] >= 'A' && s->operation[i] <= 'Z');
	check(!coll || op);
	check(sum == op + (coll ? 1 + coll : 0));
	check(!memcmp(s->summary, s->operation, op));
	check(!coll ||
	      (s->summary[op] == ' ' && !memcmp(s->summary + op + 1, s->collection, coll)));
}

/* The sanitised text, in a buffer of its own; *len gets its length. Caller frees. */
static char *sql_full(const char *in, size_t n, size_t *len)
{
	char *out = malloc(n + 1);

	if (!out)
		abort();
	*len = zt_sql_sanitize(in, n, out, n + 1);
	check_out(out, *len, n + 1);
	check(*len <= n);
	return out;
}

static void check_sql(const char *in, size_t n, uint8_t capb)
{
	struct zt_sql_summary s1, s2;
	size_t len, len2, cap = capb % (n + 2), cut;
	char *full = sql_full(in, n, &len), *again, *small;
	bool valid = utf8_valid(in, n);

	check(!valid || utf8_valid(full, len));
	again = sql_full(full, len, &len2);
	check(len2 == len && !memcmp(full, again, len));
	free(again);

	small = cap ? malloc(cap) : NULL;
	cut = zt_sql_sanitize(in, n, small, cap);
	check_out(small, cut, cap);
	/* Lists collapse only when their ')' fits: a cut text can be longer than the whole. */
	if (cap > n)
		check(cut == len && !memcmp(small, full, len));
	check(!valid || utf8_valid(small, cut));
	free(small);

	memset(&s1, 0xaa, sizeof(s1));
	zt_sql_summary(in, n, &s1);
	check_summary(&s1);
	zt_sql_summary(full, len, &s2);
	check_summary(&s2);
	check(!strcmp(s1.operation, s2.operation));
	free(full);
}

static size_t count_words(const char *s)
{
	size_t n = 0;

	for (const char *p = s; *p; p++)
		if (*p != ' ' && (p == s || p[-1] == ' '))
			n++;
	return n;
}

static void check_redis(const char *in, size_t n, uint8_t capb)
{
	size_t fcap = 2 * n + 2, cap = capb % (n + 2), len, len2, cut;
	char *full = malloc(fcap), *again = malloc(fcap), *small = cap ? malloc(cap) : NULL;

	if (!full || !again)
		abort();
	len = zt_redis_sanitize(in, n, full, fcap);
	check_out(full, len, fcap);
	check(len + 1 < fcap);
	len2 = zt_redis_sanitize(full, len, again, fcap);
	check(len2 == len && !memcmp(full, again, len));
	cut = zt_redis_sanitize(in, n, small, cap);
	check_out(small, cut, cap);
	check(cut <= len);
	if (cap > len)
		check(cut == len && !memcmp(small, full, len));
	if (utf8_valid(in, n))
		check(utf8_valid(full, len) && utf8_valid(small, cut));
	free(full);
	free(again);
	free(small);
}

/* --- generated SQL --- */

struct gen {
	const uint8_t *p, *e;
	char buf[GEN_MAX];
	size_t len;
	bool exec;	/* a MySQL executable comment is open: another one would be a comment */
};

/* ZT_FUZZ_PRINT=1 ./fuzz_db_query crash-file: show the generated text. */
static void gen_print(const struct gen *g)
{
	if (getenv("ZT_FUZZ_PRINT")) {
		fwrite(g->buf, 1, g->len, stderr);
		fputc('\n', stderr);
	}
}

static uint8_t take(struct gen *g)
{
	return g->p < g->e ? *g->p++ : 0;
}

static void emit(struct gen *g, const char *s, size_t n)
{
	if (g->len + n < sizeof(g->buf)) {
		memcpy(g->buf + g->len, s, n);
		g->len += n;
	}
}

static void emits(struct gen *g, const char *s)
{
	emit(g, s, strlen(s));
}

static bool wordy(unsigned char c)
{
	return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '$' || c >= 0x80;
}

/* Secret bytes: '~' first, then input bytes other than the ones in avoid. */
static void secret(struct gen *g, const char *avoid)
{
	size_t n = take(g) % 24;

	emits(g, "~");
	for (size_t i = 0; i < n; i++) {
		char c = (char)take(g);

		if (c == '\0' && (take(g) & 1))
			c = '~';
		if (c && strchr(avoid, c))
			c = '~';
		if (c == '\0' && strchr(avoid, '\n'))
			c = '~';
		emit(g, &c, 1);
		if (i % 3 == 0)
			emit(g, (const char *)"0123456789" + take(g) % 10, 1);
	}
}

static void letters(struct gen *g, size_t max)
{
	size_t n = 1 + take(g) % max;

	for (size_t i = 0; i < n; i++) {
		char c = (char)('a' + take(g) % 26);

		emit(g, &c, 1);
	}
}

static const char *const gen_words[] = {
	"SELECT", "FROM", "WHERE", "IN", "VALUES", "INSERT", "INTO", "t", "users", "a_b", "E", "N",
	"X", "B", "U", "e", "n", "x", "b", "u", "AND", "JOIN", "ON", "WITH", "AS", "SET", "UPDATE",
	"DELETE", "LIMIT", "NULL", "TRUE", "RETURNING", "CONFLICT", "DO", "DUAL", "ONLY", "UNION",
	"RECURSIVE", "_utf", "über", "COPY", "TRUNCATE", "TABLE", "IF", "EXISTS", "REPLACE",
};

static const char *const gen_puncts[] = {
	"(", ")", ",", ";", ".", "::", "=", "<>", "->>", "#>", "#>>", "<#>", "#-", "##", "#=", "?",
	"%s", ":name", "%(name)s", "*", "+", "-", "/", "||", "@", "[", "]", "&", "|", "!", "{", "}",
	"\\", "/*!40101 ", "/*M!100101 ", "*/", "(", ")", ",", "IN (", "VALUES (",
};

/* A number in one of the forms below: D a decimal digit, H a hex digit, B a bit. */
static void gen_number(struct gen *g)
{
	static const char *const forms[] = {
		"D", "D.D", ".D", "DeD", "D.De-D", "0xH", "0bB", "D_D",
	};
	static const char hex[] = "0123456789abcdefABCDEF";

	for (const char *f = forms[take(g) % 8]; *f; f++) {
		size_t n = 1 + take(g) % 4;
		char c = *f;

		for (size_t i = 0; i < n; i++) {
			uint8_t r = take(g);

			if (*f == 'D')
				c = (char)('0' + r % 10);
			else if (*f == 'H')
				c = hex[r % 22];
			else if (*f == 'B')
				c = (char)('0' + r % 2);
			emit(g, &c, 1);
			if (*f != 'D' && *f != 'H' && *f != 'B')
				break;
		}
	}
}

static void gen_string(struct gen *g)
{
	static const char *const opens[] = { "'", "E'", "N'", "X'", "B'", "U&'", "n'", "e'" };
	uint8_t k = take(g) % 10;

	if (k < 8) {
		emits(g, opens[k]);
		secret(g, "'\\");
		if (take(g) % 4 == 0)
			emits(g, "''~");
		if (take(g) % 4 == 0)
			emits(g, "\\'~\\\\");
		emits(g, "'");
	} else {
		const char *tag = k == 8 ? "$$" : "$q_1$";

		emits(g, tag);
		secret(g, "$");
		emits(g, tag);
	}
}

static void gen_comment(struct gen *g)
{
	switch (take(g) % 3) {
	case 0:
		emits(g, "--");
		secret(g, "\n");
		emits(g, "\n");
		break;
	case 1:
		emits(g, "/*");
		secret(g, "*/");
		emits(g, "*/");
		break;
	default:
		emits(g, "#");
		secret(g, "\n");
		emits(g, "\n");
		break;
	}
}

/* Unterminated text at the end, as from a truncated capture. */
static void gen_tail(struct gen *g)
{
	switch (take(g) % 6) {
	case 0:
		emits(g, "'");
		secret(g, "'\\");
		break;
	case 1:
		emits(g, "$$");
		secret(g, "$");
		break;
	case 2:
		emits(g, "\"");
		letters(g, 8);
		break;
	case 3:
		emits(g, "/*");
		secret(g, "");
		break;
	case 4:
		emits(g, "-- ");
		secret(g, "");
		break;
	}
}

static void gen_sql(struct gen *g)
{
	while (g->p < g->e && g->len + 256 < sizeof(g->buf)) {
		uint8_t k = take(g) % 16, sep = take(g) % 4;
		bool was_wordy = g->len && wordy((unsigned char)g->buf[g->len - 1]);
		size_t start;

		/*
		 * A comment right after '*' could close a MySQL executable comment instead; what
		 * follows a star-slash is SQL, not a comment.
		 */
		if (k == 13)
			sep = 1;
		emits(g, sep == 1 ? " " : sep == 2 ? "\n" : sep == 3 ? "\t" : "");
		start = g->len;
		if (k < 4 || k == 15) {
			emits(g, gen_words[take(g) % (sizeof(gen_words) / sizeof(gen_words[0]))]);
		} else if (k == 4) {
			char q = take(g) & 1 ? '"' : '`';

			emit(g, &q, 1);
			letters(g, 12);
			if (take(g) % 4 == 0) {
				emit(g, &q, 1);
				emit(g, &q, 1);
			}
			emit(g, &q, 1);
		} else if (k < 7) {
			size_t n = sizeof(gen_puncts) / sizeof(gen_puncts[0]);
			const char *p = gen_puncts[take(g) % n];

			if (g->exec && !strncmp(p, "/*", 2))
				p = "(";
			else if (!strncmp(p, "/*", 2))
				g->exec = true;
			else if (!strcmp(p, "*/"))
				g->exec = false;
			emits(g, p);
		} else if (k < 10) {
			gen_number(g);
		} else if (k < 13) {
			gen_string(g);
		} else if (k == 13) {
			gen_comment(g);
		} else {
			emits(g, "\n  ");
		}
		/*
		 * Digits or a dollar quote glued to a word would join that identifier; "-" then
		 * "-", or "/" then "*", would start a comment that ends inside a later literal.
		 */
		if (!sep && start && g->len > start && g->len < sizeof(g->buf) &&
		    ((was_wordy && wordy((unsigned char)g->buf[start])) ||
		     (g->buf[start - 1] == '-' && g->buf[start] == '-') ||
		     (g->buf[start - 1] == '/' && g->buf[start] == '*'))) {
			memmove(g->buf + start + 1, g->buf + start, g->len - start);
			g->buf[start] = ' ';
			g->len++;
		}
	}
	emits(g, " ");
	gen_tail(g);
}

static void check_generated_sql(const uint8_t *data, size_t size)
{
	static struct gen g;
	size_t len;
	char *out;

	g.p = data;
	g.e = data + size;
	g.len = 0;
	g.exec = false;
	gen_sql(&g);
	gen_print(&g);
	check_sql(g.buf, g.len, (uint8_t)size);
	out = sql_full(g.buf, g.len, &len);
	for (size_t i = 0; i < len; i++)
		check(out[i] != '~' && !(out[i] >= '0' && out[i] <= '9'));
	free(out);
}

/* --- generated Redis commands --- */

static const struct {
	const char *name;
	uint8_t keys;	/* arguments free of secrets: 1 = the first, 2 = the first two */
} gen_cmds[] = {
	{ "SET", 1 }, { "get", 1 }, { "HSET", 1 }, { "MSET", 1 }, { "LPUSH", 1 }, { "ZADD", 1 },
	{ "XADD", 1 }, { "AUTH", 1 }, { "PING", 1 }, { "ECHO", 1 }, { "HELLO", 1 },
	{ "SELECT", 1 }, { "CONFIG", 1 }, { "client", 1 }, { "ACL", 1 }, { "OBJECT", 2 },
	{ "MEMORY", 2 }, { "XGROUP", 2 }, { "DEBUG", 2 }, { "EVAL", 1 }, { "evalsha", 1 },
	{ "FCALL", 1 }, { "PUBLISH", 1 }, { "JSON.SET", 1 }, { "SUBSCRIBE", 1 }, { "MIGRATE", 1 },
};

/* A value with '~', plain or quoted the way redis-cli quotes. */
static void redis_value(struct gen *g)
{
	size_t n = take(g) % 16;
	bool quoted = take(g) & 1;

	emits(g, quoted ? "\"~" : "~");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = take(g);
		char esc[8];

		if (!quoted && (c <= ' ' || c == '"' || c == 0x7f))
			c = '~';
		if (quoted && (c == '"' || c == '\\')) {
			esc[0] = '\\';
			esc[1] = (char)c;
			emit(g, esc, 2);
		} else if (quoted && (c < ' ' || c >= 0x7f)) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = "0123456789abcdef"[c >> 4];
			esc[3] = "0123456789abcdef"[c & 15];
			emit(g, esc, 4);
		} else {
			emit(g, (const char *)&c, 1);
		}
	}
	if (quoted)
		emits(g, "\"");
}

static void check_generated_redis(const uint8_t *data, size_t size)
{
	static struct gen g;
	size_t cmd, nargs, len;
	char out[4 * GEN_MAX];

	g.p = data;
	g.e = data + size;
	g.len = 0;
	cmd = take(&g) % (sizeof(gen_cmds) / sizeof(gen_cmds[0]));
	nargs = take(&g) % 10;
	emits(&g, gen_cmds[cmd].name);
	for (size_t i = 1; i <= nargs; i++) {
		emits(&g, take(&g) & 1 ? " " : "  ");
		if (i <= gen_cmds[cmd].keys) {
			letters(&g, 10);
		} else if (i == 2 && take(&g) % 2) {
			gen_number(&g);	/* numkeys */
		} else if (i == 3) {
			letters(&g, 10);	/* EVAL's first key when numkeys > 0 */
		} else {
			redis_value(&g);
		}
	}
	gen_print(&g);
	check_redis(g.buf, g.len, (uint8_t)size);
	len = zt_redis_sanitize(g.buf, g.len, out, sizeof(out));
	check(count_words(out) == 1 + nargs);
	for (size_t i = 0; i < len; i++)
		check(out[i] != '~');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 2;

	if (size < 2)
		return 0;
	switch (data[0] & 3) {
	case 0:
	case 1:
		check_sql(text, size - 2, data[1]);
		check_redis(text, size - 2, data[1]);
		break;
	case 2:
		check_generated_sql(data + 2, size - 2);
		break;
	default:
		check_generated_redis(data + 2, size - 2);
		break;
	}
	return 0;
}
