/*
 * HTTP/1.x parser. Each direction runs a small state machine over lines (heads, chunk-size
 * lines, trailers) and counted bodies. Lines are parsed in place in the chunk; only a line
 * split across chunks is copied, into a bounded per-direction buffer. Bodies are never
 * copied. Complete request heads wait in a bounded FIFO; responses pair with it in order.
 *
 * Roles are not assumed: the first start line seen says which direction carries requests.
 *
 * Gaps inside a body of known length are counted as body and parsing goes on. Anywhere else
 * the direction resyncs at the next chunk that starts a message. Lost responses take the
 * pending requests with them (they can no longer be paired), and a response never pairs
 * with a request that started after it did.
 */
#include <stdlib.h>
#include <string.h>

#include "l7_fifo.h"
#include "zt_l7.h"
#include "zt_span.h"

#define HTTP1_FIFO_MAX 64		/* pending requests per connection (pipelining) */
#define HTTP1_HEAD_MAX (16 * 1024)	/* heads above this are counted as too large */
#define HTTP1_LINE_MAX 8192		/* a split line keeps at most this many bytes: */
#define HTTP1_LINE_TAIL 32		/* its start, and this many of its last bytes */
#define HTTP1_LINE_PRE (HTTP1_LINE_MAX - HTTP1_LINE_TAIL)
#define HTTP1_LBUF_MIN 256
#define HTTP1_CL_MAX 1000000000000000000ULL	/* a larger Content-Length is malformed */
#define HTTP1_CHUNK_MAX (1ULL << 60)		/* likewise for a chunk size */

enum http1_st {
	HTTP1_ST_IDLE,		/* between messages: skip CR/LF, next byte starts a message */
	HTTP1_ST_HEAD,		/* start line and header lines */
	HTTP1_ST_BODY,		/* Content-Length body: `remaining` bytes due */
	HTTP1_ST_CHUNK_SIZE,	/* chunk-size line */
	HTTP1_ST_CHUNK_DATA,	/* chunk data: `remaining` bytes due */
	HTTP1_ST_CHUNK_CRLF,	/* the empty line after chunk data */
	HTTP1_ST_TRAILERS,	/* trailer lines up to the empty line */
	HTTP1_ST_UNTIL_CLOSE,	/* response body delimited by close */
	HTTP1_ST_RESYNC,	/* after a gap: skip chunks until one starts a message */
	HTTP1_ST_AWAIT,		/* after an upgrade/CONNECT request: skip until answered */
};

/* A request, from its start line until its response is complete. */
struct http1_entry {
	struct zt_l7_record rec;
	uint64_t start_seq;	/* feed() call that carried the request's first byte */
	uint32_t skip;		/* responses of dropped requests that come before ours */
	bool is_head;
	bool is_connect;
	bool upgrade;		/* asks to switch protocols (Upgrade or CONNECT) */
	bool h2c;		/* ... to HTTP/2 over cleartext */
};

/* What the current message's head said; reset at each message start. */
struct http1_msg {
	struct zt_chunk_meta first;	/* chunk with the message's first byte */
	uint64_t seq;			/* feed() call of that chunk */
	uint64_t pos;			/* stream position of its first byte */
	uint64_t clen;
	uint64_t head_bytes;
	uint32_t nlines;
	int status;
	bool has_cl;
	bool has_te;
	bool chunked;		/* last transfer coding is chunked */
	bool conn_upgrade;	/* Connection: upgrade */
	bool has_upgrade;	/* Upgrade: header present */
	bool upgrade_h2c;	/* Upgrade: lists h2c */
	bool head_big;		/* already counted in heads_too_large */
	bool switch_req;	/* request asks to switch protocols */
};

struct http1_dir {
	uint8_t st;		/* http1_st */
	bool line_trunc;	/* the buffered line lost its middle */
	bool await_skipped;	/* bytes skipped in HTTP1_ST_AWAIT */
	uint32_t lb_len;
	uint32_t lb_cap;
	char *lbuf;		/* the start of a line split across chunks */
	uint64_t remaining;
	uint64_t pos;		/* bytes fed in this direction before the current chunk */
	const uint8_t *chunk;	/* start of the chunk being parsed */
	struct http1_msg msg;
};

struct http1_conn {
	struct http1_dir d[2];
	struct zt_fifo q;	/* of http1_entry: pending requests, then the one being built */
	bool building;		/* a request head is being parsed into the reserved slot */
	bool resp_bound;	/* the FIFO head is paired with the response being parsed */
	bool req_open;		/* the FIFO tail's request body is still being parsed */
	bool stopped;		/* protocol switched or closed: ignore all bytes */
	bool switched;		/* ... switched to a protocol no parser follows */
	void *h2;		/* switched to HTTP/2 (Upgrade: h2c): its parser takes the bytes */
	bool malformed;
	int req_dir;		/* -1 until a start line shows the roles */
	uint64_t seq;		/* feed() calls so far */
};

/* Method tokens recognised by detect() and by resync; any token works inside a stream. */
static const char *const http1_methods[] = {
	"GET ", "POST ", "PUT ", "DELETE ", "HEAD ", "OPTIONS ", "PATCH ", "CONNECT ",
	"TRACE ", "PROPFIND ", "PROPPATCH ", "MKCOL ", "COPY ", "MOVE ", "LOCK ", "UNLOCK ",
	"REPORT ", "SEARCH ",
};

/* ---- small helpers ---- */

static bool http1_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool http1_method_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

/* RFC 9110 tchar, the characters of a header name. */
static bool http1_tchar(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || http1_digit(c))
		return true;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
	case '-': case '.': case '^': case '_': case '`': case '|': case '~':
		return true;
	}
	return false;
}

static char http1_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Case-insensitive compare of s[0..n) with lower-case `lit`. */
static bool http1_ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n && lit[i]; i++)
		if (http1_lower(s[i]) != lit[i])
			return false;
	return i == n && !lit[i];
}

static bool http1_ows(char c)
{
	return c == ' ' || c == '\t';
}

static void http1_trim(const char **s, size_t *n)
{
	while (*n && http1_ows((*s)[0]))
		(*s)++, (*n)--;
	while (*n && http1_ows((*s)[*n - 1]))
		(*n)--;
}

/*
 * Copy a value into a record string, truncated and NUL-terminated. Control and non-ASCII
 * bytes become '?' so that sinks always get short, printable, valid UTF-8.
 */
static void http1_copy(char *dst, size_t cap, const char *src, size_t n)
{
	if (n > cap - 1)
		n = cap - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	dst[n] = '\0';
}

/* ZT_DETECT_YES when p starts a request (want_req) or response (want_resp) start line. */
static enum zt_detect http1_match_start(const uint8_t *p, size_t n, bool want_req, bool want_resp)
{
	enum zt_detect res = ZT_DETECT_NO;
	size_t i, len;

	if (want_resp) {
		len = n < 7 ? n : 7;
		if (!memcmp(p, "HTTP/1.", len))
			res = n >= 7 ? ZT_DETECT_YES : ZT_DETECT_MAYBE;
	}
	for (i = 0; want_req && res != ZT_DETECT_YES && i < sizeof(http1_methods) / sizeof(char *);
	     i++) {
		len = strlen(http1_methods[i]);
		if (!memcmp(p, http1_methods[i], n < len ? n : len))
			res = n >= len ? ZT_DETECT_YES : ZT_DETECT_MAYBE;
	}
	return res;
}

/* ---- request FIFO ---- */

static struct http1_entry *http1_slot(struct http1_conn *c, uint32_t i)
{
	return zt_fifo_at(&c->q, i);
}

static void http1_emit(struct zt_l7_record *rec, const struct zt_l7_sink *sink)
{
	zt_l7_stats.records++;
	if (!rec->has_response)
		zt_l7_stats.unanswered++;
	if (sink && sink->emit)
		sink->emit(sink->ctx, rec);
}

static void http1_pop(struct http1_conn *c)
{
	zt_fifo_pop(&c->q);
	c->resp_bound = false;
	if (!zt_fifo_count(&c->q))
		c->req_open = false;	/* the popped entry was the tail */
}

/* Forget every pending request and the response being parsed. */
static void http1_drop_pending(struct http1_conn *c)
{
	zt_fifo_clear(&c->q);
	c->resp_bound = false;
	c->req_open = false;
	/* An upgrade verdict that can no longer arrive: look for requests again. */
	if (c->req_dir >= 0 && c->d[c->req_dir].st == HTTP1_ST_AWAIT)
		c->d[c->req_dir].st = HTTP1_ST_RESYNC;
}

/*
 * The FIFO is full: flush the oldest request not being answered as unanswered. Its
 * response is still due, so the next entry skips one more response.
 */
static void http1_overflow(struct http1_conn *c, const struct zt_l7_sink *sink)
{
	uint32_t i = c->resp_bound ? 1 : 0;
	struct http1_entry *drop = http1_slot(c, i);

	http1_emit(&drop->rec, sink);
	http1_slot(c, i + 1)->skip += drop->skip + 1;
	if (i)
		memcpy(drop, http1_slot(c, 0), sizeof(*drop));
	zt_fifo_pop(&c->q);
}

/* Slot for a new request, built in place to avoid copying records. */
static struct http1_entry *http1_reserve(struct http1_conn *c, const struct zt_l7_sink *sink)
{
	struct http1_entry *e;
	struct zt_l7_record *r;

	if (zt_fifo_count(&c->q) == HTTP1_FIFO_MAX)
		http1_overflow(c, sink);
	e = zt_fifo_reserve(&c->q);
	if (!e)
		return NULL;
	r = &e->rec;
	zt_l7_record_clear(r, ZT_L7_HTTP1, (uint8_t)c->req_dir);
	e->skip = 0;
	e->is_head = e->is_connect = e->upgrade = e->h2c = false;
	c->building = true;
	return e;
}

/* The response starting at feed call `seq` answers the FIFO head, or nothing. */
static struct http1_entry *http1_pair(struct http1_conn *c, uint64_t seq)
{
	struct http1_entry *e;

	if (!zt_fifo_count(&c->q))
		return NULL;
	e = http1_slot(c, 0);
	if (e->skip) {
		e->skip--;
		return NULL;
	}
	/* A request that started after the response cannot be what it answers. */
	if (e->start_seq >= seq)
		return NULL;
	c->resp_bound = true;
	return e;
}

/* ---- message boundaries ---- */

static bool http1_is_req_dir(const struct http1_conn *c, int dir)
{
	return c->req_dir == dir;
}

static void http1_msg_start(struct http1_conn *c, int dir, const uint8_t *p,
			    const struct zt_chunk_meta *m)
{
	struct http1_dir *d = &c->d[dir];

	memset(&d->msg, 0, sizeof(d->msg));
	d->msg.first = *m;
	d->msg.seq = c->seq;
	d->msg.pos = d->pos + (uint64_t)(p - d->chunk);
	d->st = HTTP1_ST_HEAD;
}

static void http1_resp_done(struct http1_conn *c, int dir, const struct zt_chunk_meta *m,
			    const struct zt_l7_sink *sink)
{
	struct http1_entry *e;

	if (c->resp_bound) {
		e = http1_slot(c, 0);
		e->rec.resp_last = *m;
		http1_emit(&e->rec, sink);
		http1_pop(c);
	}
	c->d[dir].st = HTTP1_ST_IDLE;
}

static void http1_msg_done(struct http1_conn *c, int dir, const struct zt_chunk_meta *m,
			   const struct zt_l7_sink *sink)
{
	struct http1_dir *d = &c->d[dir];

	if (!http1_is_req_dir(c, dir)) {
		http1_resp_done(c, dir, m, sink);
		return;
	}
	if (c->req_open) {
		http1_slot(c, zt_fifo_count(&c->q) - 1)->rec.req_last = *m;
		c->req_open = false;
	}
	/* After an upgrade request the next bytes may be another protocol: wait for the answer. */
	d->st = d->msg.switch_req ? HTTP1_ST_AWAIT : HTTP1_ST_IDLE;
	d->await_skipped = false;
}

/* Body bytes (or gap bytes inside a body) of the current message. */
static void http1_body_bytes(struct http1_conn *c, int dir, uint64_t n,
			     const struct zt_chunk_meta *m)
{
	struct zt_l7_record *r;

	if (http1_is_req_dir(c, dir)) {
		if (!c->req_open)
			return;
		r = &http1_slot(c, zt_fifo_count(&c->q) - 1)->rec;
		r->req_body_bytes += n;
		r->req_last = *m;
	} else if (c->resp_bound) {
		r = &http1_slot(c, 0)->rec;
		r->resp_body_bytes += n;
		r->resp_last = *m;
	}
}

/* Consume n <= remaining bytes of a counted body or chunk. */
static void http1_body_consume(struct http1_conn *c, int dir, uint64_t n,
			       const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct http1_dir *d = &c->d[dir];

	http1_body_bytes(c, dir, n, m);
	d->remaining -= n;
	if (d->remaining)
		return;
	if (d->st == HTTP1_ST_CHUNK_DATA)
		d->st = HTTP1_ST_CHUNK_CRLF;
	else
		http1_msg_done(c, dir, m, sink);
}

/* Lost bytes where framing is unknown: drop the message and look for the next one. */
static void http1_resync(struct http1_conn *c, int dir)
{
	struct http1_dir *d = &c->d[dir];

	d->st = HTTP1_ST_RESYNC;
	d->lb_len = 0;
	d->line_trunc = false;
	if (c->req_dir < 0)
		return;
	if (http1_is_req_dir(c, dir)) {
		c->building = false;
		c->req_open = false;
		return;
	}
	/* Responses were lost: the requests they answered can no longer be paired. */
	http1_drop_pending(c);
}

/* An upgrade/CONNECT request got an ordinary answer: its direction carries HTTP again. */
static void http1_upgrade_declined(struct http1_conn *c)
{
	struct http1_dir *d = &c->d[c->req_dir];

	d->msg.switch_req = false;
	if (d->st == HTTP1_ST_AWAIT)
		d->st = d->await_skipped ? HTTP1_ST_RESYNC : HTTP1_ST_IDLE;
}

/* ---- start lines and headers ---- */

static bool http1_method_ok(const char *s, size_t n)
{
	if (!n || n >= ZT_L7_METHOD_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!http1_method_char(s[i]))
			return false;
	return true;
}

/*
 * Could this incomplete start line still be valid? Rejects binary early instead of
 * buffering it; never rejects a prefix of a line http1_start_line() would accept.
 */
static bool http1_start_plausible(const struct http1_conn *c, int dir, const char *s, size_t n)
{
	size_t i;

	if (c->req_dir != dir && !memcmp(s, "HTTP/1.", n < 7 ? n : 7))
		return true;
	if (c->req_dir >= 0 && c->req_dir != dir)
		return false;
	for (i = 0; i < n && s[i] != ' '; i++)
		if (i >= ZT_L7_METHOD_MAX - 1 || !http1_method_char(s[i]))
			return false;
	return i > 0 || !n;
}

static int http1_status_line(struct http1_conn *c, int dir, const char *s, size_t n)
{
	struct http1_dir *d = &c->d[dir];

	if (http1_is_req_dir(c, dir))
		return -1;
	/* "HTTP/1.x NNN" then end of line or " reason" */
	if (n < 12 || !http1_digit(s[7]) || s[8] != ' ' || s[9] < '1' || s[9] > '9' ||
	    !http1_digit(s[10]) || !http1_digit(s[11]) || (n > 12 && s[12] != ' '))
		return -1;
	c->req_dir = !dir;
	d->msg.status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	return 0;
}

static int http1_request_line(struct http1_conn *c, int dir, const char *s, size_t n, bool trunc,
			      const struct zt_l7_sink *sink)
{
	struct http1_dir *d = &c->d[dir];
	const char *sp = memchr(s, ' ', n), *ver, *target;
	struct http1_entry *e;
	size_t mlen, tlen;

	if (c->req_dir >= 0 && c->req_dir != dir)
		return -1;
	if (!sp || !http1_method_ok(s, (size_t)(sp - s)))
		return -1;
	mlen = (size_t)(sp - s);
	/* method SP target SP HTTP/1.x */
	if (n < mlen + 11)
		return -1;
	ver = s + n - 8;
	if (ver[-1] != ' ' || memcmp(ver, "HTTP/1.", 7) || !http1_digit(ver[7]))
		return -1;
	target = sp + 1;
	tlen = (size_t)(ver - 1 - target);
	c->req_dir = dir;
	e = http1_reserve(c, sink);
	if (!e)
		return -1;
	e->start_seq = d->msg.seq;
	e->rec.req_first = d->msg.first;
	e->rec.req_pos = d->msg.pos;
	memcpy(e->rec.method, s, mlen);
	e->rec.method[mlen] = '\0';
	/* A buffered line that lost its middle is far longer than any target we keep. */
	e->rec.target_truncated = trunc || tlen > ZT_L7_TARGET_MAX - 1;
	http1_copy(e->rec.target, sizeof(e->rec.target), target, tlen);
	memcpy(e->rec.version, ver + 5, 3);
	e->rec.version[3] = '\0';
	e->is_head = mlen == 4 && !memcmp(s, "HEAD", 4);
	e->is_connect = mlen == 7 && !memcmp(s, "CONNECT", 7);
	return 0;
}

static int http1_start_line(struct http1_conn *c, int dir, const char *s, size_t n, bool trunc,
			    const struct zt_l7_sink *sink)
{
	if (n >= 7 && !memcmp(s, "HTTP/1.", 7))
		return http1_status_line(c, dir, s, n);
	return http1_request_line(c, dir, s, n, trunc, sink);
}

/* Content-Length: digits, or a list of identical values ("5, 5"). */
static int http1_parse_cl(const char *v, size_t n, uint64_t *out)
{
	uint64_t val = 0, x;
	bool have = false;
	size_t i = 0, start;

	for (;;) {
		for (x = 0, start = i; i < n && http1_digit(v[i]); i++) {
			if (x > HTTP1_CL_MAX / 10)
				return -1;
			x = x * 10 + (uint64_t)(v[i] - '0');
		}
		if (i == start || x > HTTP1_CL_MAX || (have && x != val))
			return -1;
		val = x;
		have = true;
		while (i < n && http1_ows(v[i]))
			i++;
		if (i == n)
			break;
		if (v[i++] != ',')
			return -1;
		while (i < n && http1_ows(v[i]))
			i++;
	}
	*out = val;
	return 0;
}

/* Transfer-Encoding: only whether the last coding is chunked matters for framing. */
static void http1_parse_te(struct http1_msg *msg, const char *v, size_t n)
{
	size_t end = n, start;

	while (end && (http1_ows(v[end - 1]) || v[end - 1] == ','))
		end--;
	if (!end)
		return;
	for (start = end; start && v[start - 1] != ','; start--)
		;
	while (start < end && http1_ows(v[start]))
		start++;
	msg->has_te = true;
	msg->chunked = http1_ieq(v + start, end - start, "chunked");
}

/* Is lit one of the comma-separated tokens of the header value v (Connection, Upgrade)? */
static bool http1_has_token(const char *v, size_t n, const char *lit)
{
	while (n) {
		const char *comma = memchr(v, ',', n);
		size_t len = comma ? (size_t)(comma - v) : n;
		const char *tok = v;
		size_t tlen = len;

		http1_trim(&tok, &tlen);
		if (http1_ieq(tok, tlen, lit))
			return true;
		v += len + (comma ? 1 : 0);
		n -= len + (comma ? 1 : 0);
	}
	return false;
}

static void http1_append_tracestate(struct zt_l7_record *r, const char *v, size_t n)
{
	size_t len = strlen(r->tracestate);

	if (!len) {
		http1_copy(r->tracestate, sizeof(r->tracestate), v, n);
		return;
	}
	/* Several tracestate headers form one list. */
	if (!n || len + 2 >= sizeof(r->tracestate))
		return;
	r->tracestate[len] = ',';
	http1_copy(r->tracestate + len + 1, sizeof(r->tracestate) - len - 1, v, n);
}

/* Request-only headers go to the record being built. */
static void http1_req_header(struct zt_l7_record *r, const char *name, size_t nlen,
			     const char *v, size_t n)
{
	if (http1_ieq(name, nlen, "host")) {
		if (!r->host[0])
			http1_copy(r->host, sizeof(r->host), v, n);
	} else if (http1_ieq(name, nlen, "user-agent")) {
		if (!r->user_agent[0])
			http1_copy(r->user_agent, sizeof(r->user_agent), v, n);
	} else if (http1_ieq(name, nlen, "traceparent")) {
		if (!r->traceparent[0])
			http1_copy(r->traceparent, sizeof(r->traceparent), v, n);
	} else if (http1_ieq(name, nlen, "tracestate")) {
		http1_append_tracestate(r, v, n);
	}
}

static int http1_header(struct http1_conn *c, int dir, const char *s, size_t n)
{
	struct http1_msg *msg = &c->d[dir].msg;
	const char *colon, *v;
	size_t nlen, vlen;
	uint64_t cl;

	if (http1_ows(s[0]))
		return 0;	/* obs-fold continuation line: obsolete, ignored */
	colon = memchr(s, ':', n);
	if (!colon || colon == s)
		return -1;
	nlen = (size_t)(colon - s);
	for (size_t i = 0; i < nlen; i++)
		if (!http1_tchar(s[i]))
			return -1;
	v = colon + 1;
	vlen = n - nlen - 1;
	http1_trim(&v, &vlen);

	/* Dispatch on length first: most headers are none of ours. */
	switch (nlen) {
	case 7:
		if (http1_ieq(s, nlen, "upgrade")) {
			msg->has_upgrade = vlen > 0;
			msg->upgrade_h2c |= http1_has_token(v, vlen, "h2c");
		}
		break;
	case 10:
		/* close and keep-alive need no action: close-delimited bodies end at close(). */
		if (http1_ieq(s, nlen, "connection"))
			msg->conn_upgrade |= http1_has_token(v, vlen, "upgrade");
		break;
	case 14:
		if (!http1_ieq(s, nlen, "content-length"))
			break;
		if (http1_parse_cl(v, vlen, &cl) < 0 || (msg->has_cl && cl != msg->clen))
			return -1;
		msg->has_cl = true;
		msg->clen = cl;
		break;
	case 17:
		if (http1_ieq(s, nlen, "transfer-encoding"))
			http1_parse_te(msg, v, vlen);
		break;
	}
	if (http1_is_req_dir(c, dir) && c->building &&
	    (nlen == 4 || nlen == 10 || nlen == 11))
		http1_req_header(&http1_slot(c, zt_fifo_count(&c->q))->rec, s, nlen, v, vlen);
	return 0;
}

static int http1_req_head_done(struct http1_conn *c, int dir, const struct zt_chunk_meta *m,
			       const struct zt_l7_sink *sink)
{
	struct http1_dir *d = &c->d[dir];
	struct http1_entry *e = http1_slot(c, zt_fifo_count(&c->q));

	/* RFC 9112 6.3: a request whose last coding is not chunked cannot be framed. */
	if (d->msg.has_te && !d->msg.chunked)
		return -1;
	e->rec.req_last = *m;
	e->upgrade = e->is_connect || (d->msg.conn_upgrade && d->msg.has_upgrade);
	e->h2c = e->upgrade && d->msg.upgrade_h2c;
	d->msg.switch_req = e->upgrade;
	c->building = false;
	zt_fifo_commit(&c->q);
	/* Before the body and the response: the span builder fixes the request's IDs now. */
	if (sink && sink->request_head)
		sink->request_head(sink->ctx, &e->rec);
	if (d->msg.has_te) {
		d->st = HTTP1_ST_CHUNK_SIZE;
		c->req_open = true;
	} else if (d->msg.clen) {
		d->st = HTTP1_ST_BODY;
		d->remaining = d->msg.clen;
		c->req_open = true;
	} else {
		http1_msg_done(c, dir, m, sink);
	}
	return 0;
}

/*
 * 101 to an Upgrade: h2c request: the rest of the connection is HTTP/2, and the request is
 * its stream 1, answered there. An HTTP/2 parser takes every later byte.
 */
static int http1_switch_h2c(struct http1_conn *c, const struct http1_entry *e)
{
	c->h2 = zt_http2_parser.create();
	if (!c->h2 || zt_http2_upgraded(c->h2, &e->rec))
		return -1;
	http1_drop_pending(c);
	c->stopped = true;
	return 0;
}

static int http1_resp_head_done(struct http1_conn *c, int dir, const struct zt_chunk_meta *m,
				const struct zt_l7_sink *sink)
{
	struct http1_dir *d = &c->d[dir];
	int status = d->msg.status;
	struct http1_entry *e;

	/* Interim responses (100 Continue, 103 Early Hints) precede the real one. */
	if (status < 200 && status != 101) {
		d->st = HTTP1_ST_IDLE;
		return 0;
	}
	e = http1_pair(c, d->msg.seq);
	if (e) {
		e->rec.has_response = true;
		e->rec.status = status;
		e->rec.resp_first = d->msg.first;
		e->rec.resp_last = *m;
	}
	if (status == 101 && e && e->h2c && d->msg.upgrade_h2c)
		return http1_switch_h2c(c, e);
	/* After a protocol switch the bytes are not HTTP/1 any more. */
	if (status == 101 || (e && e->is_connect && status / 100 == 2)) {
		http1_resp_done(c, dir, m, sink);
		c->stopped = c->switched = true;
		return 0;
	}
	if (e && e->upgrade)
		http1_upgrade_declined(c);
	if ((e && e->is_head) || status == 204 || status == 304) {
		http1_resp_done(c, dir, m, sink);
	} else if (d->msg.has_te) {
		d->st = d->msg.chunked ? HTTP1_ST_CHUNK_SIZE : HTTP1_ST_UNTIL_CLOSE;
	} else if (d->msg.has_cl) {
		d->remaining = d->msg.clen;
		if (d->remaining)
			d->st = HTTP1_ST_BODY;
		else
			http1_resp_done(c, dir, m, sink);
	} else {
		d->st = HTTP1_ST_UNTIL_CLOSE;
	}
	return 0;
}

static int http1_head_line(struct http1_conn *c, int dir, const char *s, size_t n, bool trunc,
			   const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct http1_dir *d = &c->d[dir];

	if (d->msg.nlines++ == 0)
		return http1_start_line(c, dir, s, n, trunc, sink);
	if (n)
		return http1_header(c, dir, s, n);
	if (http1_is_req_dir(c, dir))
		return http1_req_head_done(c, dir, m, sink);
	return http1_resp_head_done(c, dir, m, sink);
}

static int http1_chunk_size_line(struct http1_dir *d, const char *s, size_t n)
{
	uint64_t v = 0;
	size_t i;
	int h;

	for (i = 0; i < n && (h = zt_hex_digit(s[i])) >= 0; i++) {
		if (v >= HTTP1_CHUNK_MAX >> 4)
			return -1;
		v = v << 4 | (uint64_t)h;
	}
	if (!i)
		return -1;
	while (i < n && http1_ows(s[i]))
		i++;
	if (i < n && s[i] != ';')
		return -1;	/* only chunk extensions may follow the size */
	d->remaining = v;
	d->st = v ? HTTP1_ST_CHUNK_DATA : HTTP1_ST_TRAILERS;
	return 0;
}

/* ---- line assembly ---- */

static int http1_lbuf_reserve(struct http1_dir *d, size_t need)
{
	size_t cap = d->lb_cap ? d->lb_cap : HTTP1_LBUF_MIN;
	char *b;

	if (need <= d->lb_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > HTTP1_LINE_MAX)
		cap = HTTP1_LINE_MAX;
	b = realloc(d->lbuf, cap);
	if (!b)
		return -1;
	d->lbuf = b;
	d->lb_cap = (uint32_t)cap;
	return 0;
}

/*
 * Keep the part of a line that the chunk ended in. Past HTTP1_LINE_MAX the buffer holds
 * the line's first HTTP1_LINE_PRE bytes and its last HTTP1_LINE_TAIL bytes, enough for
 * the header name, the start of the value and a request line's version.
 */
static int http1_stash(struct http1_dir *d, const uint8_t *p, size_t n)
{
	size_t keep;

	if (d->lb_len + n <= HTTP1_LINE_MAX) {
		if (http1_lbuf_reserve(d, d->lb_len + n) < 0)
			return -1;
		memcpy(d->lbuf + d->lb_len, p, n);
		d->lb_len += (uint32_t)n;
		return 0;
	}
	if (http1_lbuf_reserve(d, HTTP1_LINE_MAX) < 0)
		return -1;
	if (d->lb_len < HTTP1_LINE_PRE) {
		keep = HTTP1_LINE_PRE - d->lb_len;
		memcpy(d->lbuf + d->lb_len, p, keep);
		d->lb_len = HTTP1_LINE_PRE;
		p += keep;
		n -= keep;
	}
	/* Still lb_len + n > HTTP1_LINE_MAX, so lb_len > HTTP1_LINE_PRE + keep below. */
	if (n >= HTTP1_LINE_TAIL) {
		memcpy(d->lbuf + HTTP1_LINE_PRE, p + n - HTTP1_LINE_TAIL, HTTP1_LINE_TAIL);
	} else {
		keep = HTTP1_LINE_TAIL - n;
		memmove(d->lbuf + HTTP1_LINE_PRE, d->lbuf + d->lb_len - keep, keep);
		memcpy(d->lbuf + HTTP1_LINE_PRE + keep, p, n);
	}
	d->lb_len = HTTP1_LINE_MAX;
	d->line_trunc = true;
	return 0;
}

/*
 * The next line at *pp, without its CR LF: 1 and the line, 0 when the chunk ended inside
 * the line (kept for the next chunk), -1 when out of memory. The line stays valid until
 * the next call. Called with *pp < end.
 */
static int http1_next_line(struct http1_dir *d, const uint8_t **pp, const uint8_t *end,
			   const char **line, size_t *n, bool *trunc)
{
	const uint8_t *p = *pp;
	const uint8_t *lf = memchr(p, '\n', (size_t)(end - p));

	if (!lf) {
		*pp = end;
		return http1_stash(d, p, (size_t)(end - p));
	}
	*pp = lf + 1;
	*trunc = false;
	if (d->lb_len) {
		if (http1_stash(d, p, (size_t)(lf - p)) < 0)
			return -1;
		*line = d->lbuf;
		*n = d->lb_len;
		*trunc = d->line_trunc;
		d->lb_len = 0;
		d->line_trunc = false;
	} else {
		*line = (const char *)p;
		*n = (size_t)(lf - p);
	}
	if (*n && (*line)[*n - 1] == '\r')
		(*n)--;
	return 1;
}

/* One line of a head, chunk-size line, chunk terminator or trailer. */
static int http1_line_state(struct http1_conn *c, int dir, const uint8_t **pp,
			    const uint8_t *end, const struct zt_chunk_meta *m,
			    const struct zt_l7_sink *sink)
{
	struct http1_dir *d = &c->d[dir];
	const uint8_t *start = *pp;
	const char *line = NULL;
	size_t n = 0;
	bool trunc = false;
	int rc = http1_next_line(d, pp, end, &line, &n, &trunc);

	if (rc < 0)
		return -1;
	if (d->st == HTTP1_ST_HEAD) {
		d->msg.head_bytes += (uint64_t)(*pp - start);
		if (d->msg.head_bytes > HTTP1_HEAD_MAX && !d->msg.head_big) {
			d->msg.head_big = true;
			zt_l7_stats.heads_too_large++;
		}
		if (!rc && !d->msg.nlines && !http1_start_plausible(c, dir, d->lbuf, d->lb_len))
			return -1;
	}
	if (!rc)
		return 0;
	switch (d->st) {
	case HTTP1_ST_HEAD:
		return http1_head_line(c, dir, line, n, trunc, m, sink);
	case HTTP1_ST_CHUNK_SIZE:
		return http1_chunk_size_line(d, line, n);
	case HTTP1_ST_CHUNK_CRLF:
		if (n)
			return -1;
		d->st = HTTP1_ST_CHUNK_SIZE;
		return 0;
	default:	/* trailers: ignored up to the empty line */
		if (!n)
			http1_msg_done(c, dir, m, sink);
		return 0;
	}
}

/* ---- feeding ---- */

/* After a gap: does this chunk start a message this direction may carry? */
static bool http1_resume(struct http1_conn *c, int dir, const uint8_t *p, size_t n)
{
	bool want_req = c->req_dir < 0 || c->req_dir == dir;

	if (http1_match_start(p, n, want_req, !want_req || c->req_dir < 0) != ZT_DETECT_YES)
		return false;
	zt_l7_stats.resyncs++;
	c->d[dir].st = HTTP1_ST_IDLE;
	return true;
}

static int http1_data(struct http1_conn *c, int dir, const uint8_t *p, size_t len,
		      const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct http1_dir *d = &c->d[dir];
	const uint8_t *end = p + len;
	uint64_t n;
	int rc = 0;

	while (p < end && !rc && !c->stopped) {
		switch (d->st) {
		case HTTP1_ST_IDLE:
			while (p < end && (*p == '\r' || *p == '\n'))
				p++;
			if (p < end)
				http1_msg_start(c, dir, p, m);
			break;
		case HTTP1_ST_BODY:
		case HTTP1_ST_CHUNK_DATA:
			n = (uint64_t)(end - p) < d->remaining ? (uint64_t)(end - p) : d->remaining;
			p += n;
			http1_body_consume(c, dir, n, m, sink);
			break;
		case HTTP1_ST_UNTIL_CLOSE:
			http1_body_bytes(c, dir, (uint64_t)(end - p), m);
			p = end;
			break;
		case HTTP1_ST_RESYNC:
			if (!http1_resume(c, dir, p, (size_t)(end - p)))
				return 0;
			break;
		case HTTP1_ST_AWAIT:
			/* Maybe the new protocol already: never parse it as HTTP. */
			d->await_skipped = true;
			return 0;
		default:
			rc = http1_line_state(c, dir, &p, end, m, sink);
			break;
		}
	}
	/* Switched to HTTP/2 in this chunk: what follows the 101 is already HTTP/2. */
	if (!rc && c->h2 && p < end)
		rc = zt_http2_parser.feed(c->h2, dir, p, (size_t)(end - p), m, sink);
	return rc;
}

static void http1_gap(struct http1_conn *c, int dir, size_t len, const struct zt_chunk_meta *m,
		      const struct zt_l7_sink *sink)
{
	struct http1_dir *d = &c->d[dir];

	zt_l7_stats.gaps++;
	switch (d->st) {
	case HTTP1_ST_BODY:
	case HTTP1_ST_CHUNK_DATA:
		if (len > d->remaining)
			break;
		http1_body_consume(c, dir, len, m, sink);
		return;
	case HTTP1_ST_UNTIL_CLOSE:
		http1_body_bytes(c, dir, len, m);
		return;
	case HTTP1_ST_RESYNC:
		return;
	case HTTP1_ST_AWAIT:
		d->await_skipped = true;
		return;
	}
	http1_resync(c, dir);
}

/* ---- zt_parser_ops ---- */

static enum zt_detect http1_detect(const uint8_t *data, size_t len, int dir)
{
	if (!data)
		return ZT_DETECT_NO;
	return http1_match_start(data, len, true, true);
}

static void *http1_create(void)
{
	struct http1_conn *c = calloc(1, sizeof(*c));

	if (c) {
		c->req_dir = -1;
		zt_fifo_init(&c->q, sizeof(struct http1_entry), 1, HTTP1_FIFO_MAX);
	}
	return c;
}

static void http1_destroy(void *state)
{
	struct http1_conn *c = state;

	if (!c)
		return;
	free(c->d[0].lbuf);
	free(c->d[1].lbuf);
	zt_fifo_free(&c->q);
	if (c->h2)
		zt_http2_parser.destroy(c->h2);
	free(c);
}

static int http1_feed(void *state, int dir, const uint8_t *data, size_t len,
		      const struct zt_chunk_meta *meta, const struct zt_l7_sink *sink)
{
	static const struct zt_chunk_meta no_meta;
	struct http1_conn *c = state;

	if (c->malformed)
		return -1;
	if (dir != ZT_L7_EGRESS && dir != ZT_L7_INGRESS)
		goto bad;
	if (c->h2)
		return zt_http2_parser.feed(c->h2, dir, data, len, meta, sink);
	if (c->stopped || !len)
		return c->switched ? ZT_FEED_SWITCHED : 0;
	c->seq++;
	if (!meta)
		meta = &no_meta;
	c->d[dir].chunk = data;
	if (!data)
		http1_gap(c, dir, len, meta, sink);
	else if (http1_data(c, dir, data, len, meta, sink) < 0)
		goto bad;
	c->d[dir].pos += len;
	/* Switched to a protocol nobody parses: the caller may stop the capture. */
	return c->switched ? ZT_FEED_SWITCHED : 0;
bad:
	c->malformed = true;
	zt_l7_stats.malformed++;
	return -1;
}

/*
 * A close-delimited response completes here with the last chunk it was seen in; a
 * response cut short keeps its status. Requests still waiting are flushed unanswered.
 * Nothing is emitted for a connection already marked malformed.
 */
static void http1_close(void *state, const struct zt_chunk_meta *meta,
			const struct zt_l7_sink *sink)
{
	struct http1_conn *c = state;

	if (c->h2) {
		zt_http2_parser.close(c->h2, meta, sink);
		return;
	}
	while (!c->malformed && zt_fifo_count(&c->q)) {
		http1_emit(&http1_slot(c, 0)->rec, sink);
		http1_pop(c);
	}
	http1_drop_pending(c);
	c->building = false;
	c->stopped = true;
}

const struct zt_parser_ops zt_http1_parser = {
	.name = "http1",
	.proto = ZT_L7_HTTP1,
	.detect = http1_detect,
	.create = http1_create,
	.destroy = http1_destroy,
	.feed = http1_feed,
	.close = http1_close,
};
