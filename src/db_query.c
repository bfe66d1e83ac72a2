/*
 * SQL and Redis query text for spans (see zt_db_query.h). One SQL lexer serves both the
 * sanitiser and the summary. It takes the union of the PostgreSQL and MySQL lexical rules and,
 * where they disagree, the reading that hides more: backslash escapes in '...' and "...",
 * nested block comments, '#' comments.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem */
#endif
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "zt_db_query.h"

/*
 * Output buffer: stops at cap-1 bytes, never inside a UTF-8 sequence. A NUL (only in quoted
 * text) becomes a space: dropping it could turn \<NUL>" into an escaped backslash and a quote.
 */
struct out {
	char *buf;
	size_t cap;
	size_t len;
	bool cut;
};

/* Drop a trailing UTF-8 sequence that the cut left incomplete. */
static void out_trim_utf8(struct out *o)
{
	size_t i = o->len, cont = 0, need;
	unsigned char c;

	while (i > 0 && cont < 3 && ((unsigned char)o->buf[i - 1] & 0xc0) == 0x80) {
		i--;
		cont++;
	}
	if (i == 0)
		return;
	c = (unsigned char)o->buf[i - 1];
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (need > cont + 1)
		o->len = i - 1;
}

static void out_put(struct out *o, const char *s, size_t n)
{
	size_t room = o->cap ? o->cap - 1 - o->len : 0, i;

	if (o->cut)
		return;
	for (i = 0; i < n && i < room; i++)
		o->buf[o->len + i] = s[i] ? s[i] : ' ';
	o->len += i;
	if (i < n) {
		o->cut = true;
		out_trim_utf8(o);
	}
}

static size_t out_finish(struct out *o)
{
	if (!o->cap)
		return 0;
	while (o->cut && o->len && o->buf[o->len - 1] == ' ')
		o->len--;
	o->buf[o->len] = '\0';
	return o->len;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == '\0';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static bool is_xdigit(unsigned char c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* Identifier characters: bytes of multi-byte UTF-8 sequences count as letters. */
static bool is_word_start(unsigned char c)
{
	return is_alpha(c) || c == '_' || c >= 0x80;
}

static bool is_word(unsigned char c)
{
	return is_word_start(c) || is_digit(c) || c == '$';
}

static bool is_op(unsigned char c)
{
	switch (c) {
	case '+': case '-': case '*': case '/': case '<': case '>': case '=': case '~': case '!':
	case '@': case '%': case '^': case '&': case '|':
		return true;
	default:
		return false;
	}
}

static char ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? c - 32 : c;
}

/* s[0..n) equals the upper-case keyword kw, ignoring case. */
static bool ieq(const char *s, size_t n, const char *kw)
{
	size_t i;

	for (i = 0; i < n && kw[i]; i++)
		if (ascii_upper(s[i]) != kw[i])
			return false;
	return i == n && !kw[i];
}

enum tok_kind {
	TOK_END,
	TOK_WORD,	/* identifier or keyword, as written */
	TOK_QIDENT,	/* "quoted" or `quoted` identifier, quotes included */
	TOK_LITERAL,	/* string, number, dollar-quoted body: printed as '?' */
	TOK_PARAM,	/* ?, $1 */
	TOK_OP,		/* run of operator characters */
	TOK_PUNCT,	/* any other single byte */
};

struct tok {
	enum tok_kind kind;
	const char *s;
	size_t n;
	bool space;	/* whitespace or a comment before it */
};

struct lexer {
	const char *p, *end;
	bool exec;		/* inside a MySQL executable comment (until its star-slash) */
	enum tok_kind prev;	/* kind of the token before */
};

static bool at2(const char *p, const char *e, char a, char b)
{
	return p + 1 < e && p[0] == a && p[1] == b;
}

/* End of a run of operator characters; a run stops before a comment starts. */
static const char *op_run_end(const struct lexer *lx, const char *p)
{
	const char *e = lx->end;

	while (p < e && is_op(*p) && !at2(p, e, '-', '-') && !at2(p, e, '/', '*') &&
	       !(lx->exec && at2(p, e, '*', '/')))
		p++;
	return p;
}

/*
 * '#' starts a comment (MySQL) unless it begins one of PostgreSQL's operators #>, #>>, ##,
 * #-, #=. Returns the operator's end, or NULL for a comment.
 */
static const char *hash_op_end(const struct lexer *lx, const char *p)
{
	const char *q = p + 1, *e = lx->end;

	if (q < e && *q == '#')
		return p + 2;
	if (q < e && (*q == '>' || *q == '=' || (*q == '-' && !at2(q, e, '-', '-'))))
		return op_run_end(lx, q);
	return NULL;
}

static const char *line_end(const char *p, const char *e)
{
	const char *nl = memchr(p, '\n', (size_t)(e - p));

	return nl ? nl + 1 : e;
}

/* PostgreSQL nests block comments; MySQL does not, but nesting only hides more. */
static const char *block_comment_end(const char *p, const char *e)
{
	size_t depth = 0;

	while (p < e) {
		if (at2(p, e, '/', '*')) {
			depth++;
			p += 2;
		} else if (at2(p, e, '*', '/')) {
			p += 2;
			if (--depth == 0)
				return p;
		} else {
			p++;
		}
	}
	return e;
}

/* Skip whitespace and comments; true when there were any. */
static bool skip_trivia(struct lexer *lx)
{
	const char *p = lx->p, *e = lx->end;
	bool sp = false;

	while (p < e) {
		if (is_space(*p)) {
			p++;
		} else if (at2(p, e, '-', '-') || (*p == '#' && !hash_op_end(lx, p))) {
			p = line_end(p, e);
		} else if (at2(p, e, '/', '*')) {
			/* MySQL's executable comments (mysqldump's version lines) hold SQL. */
			if (!lx->exec && p + 2 < e && (p[2] == '!' || at2(p + 2, e, 'M', '!'))) {
				p += p[2] == '!' ? 3 : 4;
				for (int i = 0; i < 6 && p < e && is_digit(*p); i++)
					p++;
				lx->exec = true;
			} else {
				p = block_comment_end(p, e);
			}
		} else if (lx->exec && at2(p, e, '*', '/')) {
			p += 2;
			lx->exec = false;
		} else {
			break;
		}
		sp = true;
	}
	lx->p = p;
	return sp;
}

/* Past the closing quote of the quoted text starting at p, or NULL when unterminated. */
static const char *quoted_end(const char *p, const char *e, bool backslash)
{
	char q = *p;

	for (p++; p < e; p++) {
		if (backslash && *p == '\\') {
			if (++p == e)
				break;
		} else if (*p == q) {
			if (p + 1 < e && p[1] == q)
				p++;
			else
				return p + 1;
		}
	}
	return NULL;
}

/* Numbers: 12, 1_000, 1.5, .5, 1e-3, 0x1F, 0b101. Digits then letters: a MySQL identifier. */
static const char *number_end(const char *p, const char *e, enum tok_kind *kind)
{
	bool plain = true;

	if ((at2(p, e, '0', 'x') || at2(p, e, '0', 'X')) && p + 2 < e && is_xdigit(p[2])) {
		for (p += 2; p < e && is_xdigit(*p); p++)
			;
		plain = false;
	} else if ((at2(p, e, '0', 'b') || at2(p, e, '0', 'B')) && p + 2 < e &&
		   (p[2] == '0' || p[2] == '1')) {
		for (p += 2; p < e && (*p == '0' || *p == '1'); p++)
			;
		plain = false;
	} else {
		while (p < e && (is_digit(*p) || (*p == '_' && p + 1 < e && is_digit(p[1]))))
			p++;
		if (p < e && *p == '.') {
			plain = false;
			for (p++; p < e && is_digit(*p); p++)
				;
		}
		if (p < e && (*p | 0x20) == 'e') {
			const char *q = p + 1;

			if (q < e && (*q == '+' || *q == '-'))
				q++;
			if (q < e && is_digit(*q)) {
				plain = false;
				for (p = q; p < e && is_digit(*p); p++)
					;
			}
		}
	}
	*kind = TOK_LITERAL;
	if (p < e && is_word(*p)) {
		if (plain)
			*kind = TOK_WORD;
		while (p < e && is_word(*p))
			p++;
	}
	return p;
}

/* $1, or a dollar-quoted string $tag$...$tag$ (PostgreSQL), or a lone '$'. */
static const char *dollar_end(const char *p, const char *e, enum tok_kind *kind)
{
	const char *q = p + 1, *close;

	if (q < e && is_digit(*q)) {
		while (q < e && is_digit(*q))
			q++;
		*kind = TOK_PARAM;
		return q;
	}
	if (q < e && is_word_start(*q))
		while (q < e && is_word(*q) && *q != '$')
			q++;
	if (q >= e || *q != '$') {
		*kind = TOK_PUNCT;
		return p + 1;
	}
	q++;
	*kind = TOK_LITERAL;
	close = memmem(q, (size_t)(e - q), p, (size_t)(q - p));
	return close ? close + (q - p) : e;
}

/* Literal prefixes glued to a string: E'..' N'..' X'..' B'..' U&'..'. */
static const char *prefixed_string(const char *p, const char *w, const char *e)
{
	if (w - p == 1 && w < e && *w == '\'' && strchr("EeNnXxBb", *p))
		return w;
	if (w - p == 1 && (*p | 0x20) == 'u' && at2(w, e, '&', '\''))
		return w + 1;
	return NULL;
}

static void lex_next(struct lexer *lx, struct tok *t)
{
	const char *p, *e = lx->end, *q;
	unsigned char c;

	t->space = skip_trivia(lx);
	p = lx->p;
	t->s = p;
	t->kind = TOK_PUNCT;
	if (p == e) {
		t->kind = TOK_END;
		q = p;
	} else if ((c = *p) == '\'') {
		t->kind = TOK_LITERAL;
		q = quoted_end(p, e, true);
	} else if (c == '"' || c == '`') {
		/* Unterminated: a truncated capture or a misread string; hide it. */
		q = quoted_end(p, e, c == '"');
		t->kind = q ? TOK_QIDENT : TOK_LITERAL;
	} else if (c == '$') {
		q = dollar_end(p, e, &t->kind);
	} else if (is_digit(c) ||
		   (c == '.' && p + 1 < e && is_digit(p[1]) &&
		    (t->space || (lx->prev != TOK_WORD && lx->prev != TOK_QIDENT)))) {
		q = number_end(p, e, &t->kind);
	} else if (is_word_start(c)) {
		for (q = p + 1; q < e && is_word(*q); q++)
			;
		t->kind = TOK_WORD;
		if ((p = prefixed_string(t->s, q, e))) {
			t->kind = TOK_LITERAL;
			q = quoted_end(p, e, true);
		}
	} else if (c == '?') {
		t->kind = TOK_PARAM;
		q = p + 1;
	} else if (c == '#') {
		t->kind = TOK_OP;
		q = hash_op_end(lx, p);
	} else if (is_op(c)) {
		t->kind = TOK_OP;
		q = op_run_end(lx, p);
		if (q == p)
			q = p + 1;	/* cannot happen: trivia took the comments */
	} else {
		q = p + 1;
	}
	if (!q)
		q = e;
	t->n = (size_t)(q - t->s);
	lx->p = q;
	lx->prev = t->kind;
}

static void lexer_init(struct lexer *lx, const char *in, size_t n)
{
	memset(lx, 0, sizeof(*lx));
	lx->p = in;
	lx->end = n ? in + n : in;
}

/* --- sanitiser --- */

static size_t skip_space_back(const struct out *o, size_t i)
{
	return i && o->buf[i - 1] == ' ' ? i - 1 : i;
}

/* out[0..end) ends with the keyword kw as a whole word. */
static bool out_ends_with_kw(const struct out *o, size_t end, const char *kw)
{
	size_t k = strlen(kw);

	if (end < k || !ieq(o->buf + end - k, k, kw))
		return false;
	return end == k || !is_word((unsigned char)o->buf[end - k - 1]);
}

/*
 * The '(' opening the flat list that ends at out[end), or SIZE_MAX. marks: the list may hold
 * only '?', ',' and ' '. Quotes in the output belong to quoted identifiers.
 */
static size_t list_open(const struct out *o, size_t end, bool marks)
{
	for (size_t i = end; i > 0; i--) {
		char c = o->buf[i - 1];

		if (c == '(')
			return i - 1;
		if (marks ? c != '?' && c != ',' && c != ' ' : c == ')' || c == '"' || c == '`')
			break;
	}
	return SIZE_MAX;
}

/*
 * Called at a ')': "IN (?, ?, ?" becomes "IN (?)", and "VALUES (a, b), (a, b" drops its
 * repeated row, so that batch sizes do not multiply query texts. True when the ')' was
 * handled here.
 */
static bool collapse_list(struct out *o)
{
	size_t open, sep, close, prev, n;

	open = list_open(o, o->len, true);
	if (open != SIZE_MAX && memchr(o->buf + open, '?', o->len - open) &&
	    out_ends_with_kw(o, skip_space_back(o, open), "IN")) {
		o->len = open + 1;
		out_put(o, "?)", 2);
		return true;
	}
	open = list_open(o, o->len, false);
	if (open == SIZE_MAX)
		return false;
	sep = skip_space_back(o, open);
	if (!sep || o->buf[sep - 1] != ',')
		return false;
	close = skip_space_back(o, sep - 1);
	if (!close || o->buf[close - 1] != ')')
		return false;
	prev = list_open(o, close - 1, false);
	n = o->len - open - 1;
	if (prev == SIZE_MAX || close - 1 - prev - 1 != n ||
	    memcmp(o->buf + prev + 1, o->buf + open + 1, n) ||
	    !out_ends_with_kw(o, skip_space_back(o, prev), "VALUES"))
		return false;
	o->len = close;
	return true;
}

size_t zt_sql_sanitize(const char *in, size_t n, char *out, size_t cap)
{
	struct out o = { .buf = out, .cap = cap };
	struct lexer lx;
	struct tok t;

	lexer_init(&lx, in, n);
	while (!o.cut) {
		lex_next(&lx, &t);
		if (t.kind == TOK_END)
			break;
		if (t.kind == TOK_PUNCT && *t.s == ')' && collapse_list(&o))
			continue;
		if (t.space && o.len)
			out_put(&o, " ", 1);
		if (t.kind == TOK_LITERAL)
			out_put(&o, "?", 1);
		else
			out_put(&o, t.s, t.n);
	}
	return out_finish(&o);
}

/* --- summary --- */

struct parser {
	struct lexer lx;
	struct tok t;
	int depth;	/* parentheses around the current token, relative to the statement */
};

static bool is_punct(const struct tok *t, char c)
{
	return t->kind == TOK_PUNCT && *t->s == c;
}

static bool is_kw(const struct tok *t, const char *kw)
{
	return t->kind == TOK_WORD && ieq(t->s, t->n, kw);
}

static bool kw_in(const struct tok *t, const char *const *kws)
{
	for (; *kws; kws++)
		if (is_kw(t, *kws))
			return true;
	return false;
}

static void advance(struct parser *ps)
{
	if (is_punct(&ps->t, '('))
		ps->depth++;
	lex_next(&ps->lx, &ps->t);
	if (is_punct(&ps->t, ')'))
		ps->depth--;
}

static bool at_end(const struct parser *ps)
{
	return ps->t.kind == TOK_END || is_punct(&ps->t, ';');
}

static bool skip_kw(struct parser *ps, const char *kw)
{
	if (!is_kw(&ps->t, kw))
		return false;
	advance(ps);
	return true;
}

static void skip_kws(struct parser *ps, const char *const *kws)
{
	while (kw_in(&ps->t, kws))
		advance(ps);
}

static bool name_put(char *buf, size_t cap, size_t *len, char c)
{
	if (!c)
		c = ' ';
	if (*len + 1 >= cap)
		return false;
	buf[(*len)++] = c;
	return true;
}

/* One name part, without its quotes. */
static bool name_part(const struct tok *t, char *buf, size_t cap, size_t *len)
{
	if (t->kind == TOK_WORD) {
		for (size_t i = 0; i < t->n; i++)
			if (!name_put(buf, cap, len, t->s[i]))
				return false;
		return true;
	}
	if (t->kind != TOK_QIDENT)
		return false;
	for (size_t i = 1; i + 1 < t->n; i++) {
		if (t->s[i] == t->s[0] && i + 2 < t->n && t->s[i + 1] == t->s[0])
			i++;
		if (!name_put(buf, cap, len, t->s[i]))
			return false;
	}
	return true;
}

/* A table name, maybe schema-qualified, as written but unquoted; false if none or too long. */
static bool read_name(struct parser *ps, char *buf, size_t cap)
{
	size_t len = 0;

	for (;;) {
		if (!name_part(&ps->t, buf, cap, &len))
			return false;
		advance(ps);
		if (!is_punct(&ps->t, '.'))
			break;
		if (!name_put(buf, cap, &len, '.'))
			return false;
		advance(ps);
	}
	buf[len] = '\0';
	return len > 0;
}

static const char *const set_ops[] = { "UNION", "INTERSECT", "EXCEPT", "MINUS", NULL };
static const char *const join_kws[] = { "JOIN", "STRAIGHT_JOIN", NULL };

/*
 * After a table name: does the rest of its clause (up to one of stop, at this level) name
 * another table? using: USING lists tables (DELETE ... USING).
 */
static bool clause_has_more_tables(struct parser *ps, const char *const *stop, bool using)
{
	for (; !at_end(ps) && ps->depth >= 0; advance(ps)) {
		if (ps->depth > 0)
			continue;
		if (is_punct(&ps->t, ',') || kw_in(&ps->t, join_kws) ||
		    (using && is_kw(&ps->t, "USING")))
			return true;
		if (kw_in(&ps->t, stop))
			return false;
	}
	return false;
}

static bool set_op_follows(struct parser *ps)
{
	for (; !at_end(ps); advance(ps))
		if (ps->depth <= 0 && kw_in(&ps->t, set_ops))
			return true;
	return false;
}

/* SELECT ... FROM t: one table in the top-level FROM, no join, no UNION. */
static bool select_table(struct parser *ps, char *buf, size_t cap)
{
	static const char *const stop[] = {
		"WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "FETCH", "FOR", "WINDOW",
		"INTO", "PROCEDURE", "LOCK", "QUALIFY", "UNION", "INTERSECT", "EXCEPT", "MINUS",
		NULL,
	};

	for (; !at_end(ps) && !(ps->depth == 0 && is_kw(&ps->t, "FROM")); advance(ps))
		if (ps->depth <= 0 && kw_in(&ps->t, set_ops))
			return false;
	if (at_end(ps))
		return false;
	advance(ps);
	skip_kw(ps, "ONLY");
	if (!read_name(ps, buf, cap) || is_punct(&ps->t, '(') || ieq(buf, strlen(buf), "DUAL"))
		return false;	/* a function call, or MySQL's dummy table */
	return !clause_has_more_tables(ps, stop, false) && !set_op_follows(ps);
}

static void skip_if_exists(struct parser *ps)
{
	if (skip_kw(ps, "IF")) {
		skip_kw(ps, "NOT");
		skip_kw(ps, "EXISTS");
	}
}

/* The table of the statement whose keyword op is the current token; false if none. */
static bool statement_table(struct parser *ps, const char *op, char *buf, size_t cap)
{
	static const char *const insert_mods[] = {
		"LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", NULL,
	};
	static const char *const update_mods[] = { "LOW_PRIORITY", "IGNORE", "ONLY", NULL };
	static const char *const delete_mods[] = { "LOW_PRIORITY", "QUICK", "IGNORE", NULL };
	static const char *const create_mods[] = {
		"OR", "REPLACE", "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL", NULL,
	};
	static const char *const update_stop[] = { "SET", NULL };
	static const char *const delete_stop[] = { "WHERE", "RETURNING", "ORDER", "LIMIT", NULL };

	advance(ps);
	if (!strcmp(op, "SELECT"))
		return select_table(ps, buf, cap);
	if (!strcmp(op, "INSERT") || !strcmp(op, "UPSERT") || !strcmp(op, "REPLACE")) {
		skip_kws(ps, insert_mods);
		skip_kw(ps, "INTO");
		return read_name(ps, buf, cap);
	}
	if (!strcmp(op, "UPDATE")) {
		skip_kws(ps, update_mods);
		return read_name(ps, buf, cap) && !is_punct(&ps->t, '(') &&
		       !clause_has_more_tables(ps, update_stop, false);
	}
	if (!strcmp(op, "DELETE")) {
		skip_kws(ps, delete_mods);
		if (!skip_kw(ps, "FROM"))
			return false;	/* MySQL multi-table DELETE t1, t2 FROM ... */
		skip_kw(ps, "ONLY");
		return read_name(ps, buf, cap) && !clause_has_more_tables(ps, delete_stop, true);
	}
	if (!strcmp(op, "CREATE") || !strcmp(op, "DROP") || !strcmp(op, "ALTER")) {
		skip_kws(ps, create_mods);
		if (!skip_kw(ps, "TABLE"))
			return false;
		skip_if_exists(ps);
		skip_kw(ps, "ONLY");
		return read_name(ps, buf, cap) && !is_punct(&ps->t, ',');
	}
	if (!strcmp(op, "TRUNCATE")) {
		skip_kw(ps, "TABLE");
		skip_kw(ps, "ONLY");
		return read_name(ps, buf, cap) && !is_punct(&ps->t, ',');
	}
	if (!strcmp(op, "COPY"))
		return read_name(ps, buf, cap);
	return false;
}

#define CTE_MAX 8

struct ctes {
	char names[CTE_MAX][64];
	int n;
};

/*
 * WITH [RECURSIVE] a AS (...), b (x, y) AS (...) <main statement>: stop at the main
 * statement's keyword, remembering the CTE names (they are not tables). False if none.
 */
static bool skip_ctes(struct parser *ps, struct ctes *ctes)
{
	static const char *const main_kws[] = {
		"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", NULL,
	};
	bool want_name = true;

	advance(ps);
	skip_kw(ps, "RECURSIVE");
	for (; !at_end(ps); advance(ps)) {
		if (ps->depth != 0)
			continue;
		if (want_name) {
			size_t len = 0;

			if (ctes->n < CTE_MAX &&
			    name_part(&ps->t, ctes->names[ctes->n], sizeof(ctes->names[0]), &len))
				ctes->names[ctes->n++][len] = '\0';
			want_name = false;
		} else if (is_punct(&ps->t, ',')) {
			want_name = true;
		} else if (kw_in(&ps->t, main_kws)) {
			return true;
		}
	}
	return false;
}

static void set_word_upper(char *dst, const struct tok *t)
{
	for (size_t i = 0; i < t->n; i++)
		dst[i] = ascii_upper(t->s[i]);
	dst[t->n] = '\0';
}

void zt_sql_summary(const char *in, size_t n, struct zt_sql_summary *out)
{
	struct parser ps = { 0 };
	struct ctes ctes = { .n = 0 };
	size_t op_len, coll_len;
	bool alpha = true;

	out->operation[0] = out->collection[0] = out->summary[0] = '\0';
	lexer_init(&ps.lx, in, n);
	do
		advance(&ps);
	while (is_punct(&ps.t, '(') || is_punct(&ps.t, ';'));
	ps.depth = 0;
	for (size_t i = 0; i < ps.t.n && alpha; i++)
		alpha = is_alpha((unsigned char)ps.t.s[i]);
	if (ps.t.kind != TOK_WORD || !alpha || ps.t.n >= sizeof(out->operation))
		return;
	set_word_upper(out->operation, &ps.t);
	if (!strcmp(out->operation, "WITH") && skip_ctes(&ps, &ctes))
		set_word_upper(out->operation, &ps.t);
	if (strcmp(out->operation, "WITH") &&
	    statement_table(&ps, out->operation, out->collection, sizeof(out->collection))) {
		for (int i = 0; i < ctes.n; i++)
			if (!strcmp(ctes.names[i], out->collection))
				out->collection[0] = '\0';
	} else {
		out->collection[0] = '\0';
	}
	op_len = strlen(out->operation);
	coll_len = strlen(out->collection);
	memcpy(out->summary, out->operation, op_len);
	if (coll_len) {
		out->summary[op_len] = ' ';
		memcpy(out->summary + op_len + 1, out->collection, coll_len);
		op_len += 1 + coll_len;
	}
	out->summary[op_len] = '\0';
}

/* --- Redis --- */

enum redis_kind {
	RK_KEY,		/* first argument is a key */
	RK_NOKEY,	/* no key: every argument hidden */
	RK_SUB,		/* container: subcommand kept, the rest hidden */
	RK_SUBKEY,	/* container whose subcommand (key_sub, or any but HELP) takes a key */
	RK_EVAL,	/* script numkeys key... arg... */
	RK_FCALL,	/* sha1 or function name, numkeys key... arg... */
};

static const struct {
	const char *name;
	uint8_t kind;		/* redis_kind */
	const char *key_sub;
} redis_cmds[] = {
	{ "PING", RK_NOKEY }, { "ECHO", RK_NOKEY }, { "AUTH", RK_NOKEY },
	{ "HELLO", RK_NOKEY }, { "SELECT", RK_NOKEY }, { "QUIT", RK_NOKEY },
	{ "RESET", RK_NOKEY }, { "INFO", RK_NOKEY }, { "DBSIZE", RK_NOKEY },
	{ "FLUSHDB", RK_NOKEY }, { "FLUSHALL", RK_NOKEY }, { "SAVE", RK_NOKEY },
	{ "BGSAVE", RK_NOKEY }, { "BGREWRITEAOF", RK_NOKEY }, { "LASTSAVE", RK_NOKEY },
	{ "TIME", RK_NOKEY }, { "SHUTDOWN", RK_NOKEY }, { "MULTI", RK_NOKEY },
	{ "EXEC", RK_NOKEY }, { "DISCARD", RK_NOKEY }, { "UNWATCH", RK_NOKEY },
	{ "SCAN", RK_NOKEY }, { "RANDOMKEY", RK_NOKEY }, { "SWAPDB", RK_NOKEY },
	{ "WAIT", RK_NOKEY }, { "WAITAOF", RK_NOKEY }, { "READONLY", RK_NOKEY },
	{ "READWRITE", RK_NOKEY }, { "ROLE", RK_NOKEY }, { "LOLWUT", RK_NOKEY },
	{ "SYNC", RK_NOKEY }, { "PSYNC", RK_NOKEY }, { "REPLICAOF", RK_NOKEY },
	{ "SLAVEOF", RK_NOKEY }, { "FAILOVER", RK_NOKEY }, { "MONITOR", RK_NOKEY },
	{ "ASKING", RK_NOKEY }, { "MIGRATE", RK_NOKEY },
	{ "CLIENT", RK_SUB }, { "CONFIG", RK_SUB }, { "CLUSTER", RK_SUB },
	{ "COMMAND", RK_SUB }, { "SCRIPT", RK_SUB }, { "FUNCTION", RK_SUB },
	{ "ACL", RK_SUB }, { "MODULE", RK_SUB }, { "PUBSUB", RK_SUB },
	{ "SLOWLOG", RK_SUB }, { "LATENCY", RK_SUB },
	{ "OBJECT", RK_SUBKEY }, { "XINFO", RK_SUBKEY }, { "XGROUP", RK_SUBKEY },
	{ "MEMORY", RK_SUBKEY, "USAGE" }, { "DEBUG", RK_SUBKEY, "OBJECT" },
	{ "EVAL", RK_EVAL }, { "EVAL_RO", RK_EVAL },
	{ "EVALSHA", RK_FCALL }, { "EVALSHA_RO", RK_FCALL },
	{ "FCALL", RK_FCALL }, { "FCALL_RO", RK_FCALL },
};

struct rarg {
	const char *s;
	size_t n;
};

/* Next argument: a plain word, or "..." with backslash escapes (maybe cut short). */
static bool redis_next(const char **pp, const char *e, struct rarg *a)
{
	const char *p = *pp;

	while (p < e && is_space(*p))
		p++;
	if (p == e)
		return false;
	a->s = p;
	if (*p == '"') {
		for (p++; p < e; p++) {
			if (*p == '\\') {
				if (++p == e)
					break;
			} else if (*p == '"') {
				p++;
				break;
			}
		}
	} else {
		while (p < e && !is_space(*p))
			p++;
	}
	a->n = (size_t)(p - a->s);
	*pp = p;
	return true;
}

/* Command and subcommand names: module commands have dots (JSON.SET), some have dashes. */
static bool redis_word(const struct rarg *a)
{
	if (!a->n || a->n > 64)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!is_alpha(a->s[i]) && !is_digit(a->s[i]) && a->s[i] != '_' && a->s[i] != '.' &&
		    a->s[i] != '-')
			return false;
	return true;
}

/* Upper-cased into name (64 + 1 bytes), or "?" when it is not a command-like word. */
static void redis_name(const struct rarg *a, char *name)
{
	if (!redis_word(a)) {
		strcpy(name, "?");
		return;
	}
	for (size_t i = 0; i < a->n; i++)
		name[i] = ascii_upper(a->s[i]);
	name[a->n] = '\0';
}

/* Runs for every Redis span: the first letter spares most strcmp calls (12 % of the agent's
 * time under redis-benchmark when every name was compared). */
static int redis_kind(const char *cmd, const char **key_sub)
{
	for (size_t i = 0; i < sizeof(redis_cmds) / sizeof(redis_cmds[0]); i++) {
		if (redis_cmds[i].name[0] == cmd[0] && !strcmp(redis_cmds[i].name, cmd)) {
			*key_sub = redis_cmds[i].key_sub;
			return redis_cmds[i].kind;
		}
	}
	return RK_KEY;
}

/* numkeys of EVAL/FCALL when it is a small decimal number, else -1. */
static long redis_numkeys(const struct rarg *a)
{
	long v = 0;

	if (!a->n || a->n > 9)
		return -1;
	for (size_t i = 0; i < a->n; i++) {
		if (!is_digit(a->s[i]))
			return -1;
		v = v * 10 + (a->s[i] - '0');
	}
	return v;
}

size_t zt_redis_sanitize(const char *in, size_t n, char *out, size_t cap)
{
	struct out o = { .buf = out, .cap = cap };
	const char *p = in, *e = n ? in + n : in, *key_sub = NULL;
	char cmd[65], sub[65] = "";
	struct rarg a;
	long numkeys = -1;
	int kind;

	if (!redis_next(&p, e, &a))
		return out_finish(&o);
	redis_name(&a, cmd);
	out_put(&o, cmd, strlen(cmd));
	kind = redis_kind(cmd, &key_sub);
	for (int i = 1; !o.cut && redis_next(&p, e, &a); i++) {
		bool keep = false;

		out_put(&o, " ", 1);
		switch (kind) {
		case RK_KEY:
			keep = i == 1;
			break;
		case RK_SUB:
		case RK_SUBKEY:
			if (i == 1) {
				redis_name(&a, sub);
				out_put(&o, sub, strlen(sub));
				continue;
			}
			keep = kind == RK_SUBKEY && i == 2 &&
			       (key_sub ? !strcmp(sub, key_sub)
					: strcmp(sub, "HELP") && strcmp(sub, "?"));
			break;
		case RK_EVAL:
		case RK_FCALL:
			if (i == 2)
				numkeys = redis_numkeys(&a);
			keep = (i == 1 && kind == RK_FCALL && redis_word(&a)) ||
			       (i == 2 && numkeys >= 0) || (i == 3 && numkeys > 0);
			break;
		}
		out_put(&o, keep ? a.s : "?", keep ? a.n : 1);
	}
	return out_finish(&o);
}
