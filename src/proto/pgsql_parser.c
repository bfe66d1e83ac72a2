/*
 * PostgreSQL v3 wire protocol, client side: frontend messages are EGRESS, backend messages
 * INGRESS. One record per simple query ('Q'), extended-protocol Execute ('E') or
 * FunctionCall ('F'); none for the startup, authentication or Parse/Describe-only batches.
 *
 * Each direction frames messages (type byte, int32 length counting itself) over the byte
 * stream. Only the bodies we read (query text, names, error fields, command tags) are kept,
 * bounded; the rest is skipped by length, so big rows and COPY data cost nothing.
 *
 * Frontend messages that the backend answers in order are queued as items: Q, F, Execute
 * and Sync. Backend messages answer the queue head, which covers pipelining (several
 * Executes per Sync, several Syncs before the first answer). Prepared statements and
 * portals are remembered, bounded, so that an Execute gets the text of the statement bound
 * to its portal. After an error in an extended batch the server skips everything up to
 * Sync: the failed Execute carries the error, and so do the later Executes of the batch
 * (db_failed, same SQLSTATE and message), which never ran.
 *
 * A gap inside a skipped body is harmless. A gap anywhere else loses the framing: the
 * frontend looks for the next plausible Q/P/B/E/S header, the backend for a ReadyForQuery,
 * which ends whatever the lost bytes answered. A stream seen from the middle starts the
 * same way when its first bytes are not a plausible header. Until a telling message has
 * been parsed ("verified"), a framing error means resync; afterwards it is malformed.
 *
 * The kernel sends the last bytes of a chunk it could not capture whole after the gap, and
 * the server writes its answer's end in one piece: a CommandComplete or ErrorResponse that
 * ends exactly where the ReadyForQuery found after a gap begins (all of it after the gap)
 * completes the lost answer, when that answer was the only one asked for.
 */
#include <stdlib.h>
#include <string.h>

#include "zt_l7.h"

#define PG_MSG_MAX (1u << 30)		/* longer messages are malformed (server limit 1 GiB) */
#define PG_STARTUP_MAX 10000		/* the server's limit on startup-phase packets */
#define PG_KEEP_MAX (ZT_L7_DB_QUERY_MAX + 512)	/* body bytes kept: names, then query text */
#define PG_RECS_MAX 64			/* records waiting for their response */
#define PG_ITEMS_MAX 4096		/* requests waiting for their response; more: give up */
#define PG_STMTS_MAX 256		/* named prepared statements remembered */
#define PG_STMT_BYTES_MAX (256 * 1024)	/* ... and the bytes of their text */
#define PG_PORTALS_MAX 64		/* named portals remembered */
#define PG_NAME_MAX 64			/* bytes of a statement/portal name kept (NAMEDATALEN) */
#define PG_DETECT_TEXT 16		/* query bytes detect() wants to see before saying YES */
#define PG_TAIL_MAX 512			/* backend bytes kept after a gap: ends a lost answer */

#define PG_CODE_CANCEL 80877102
#define PG_CODE_SSL 80877103
#define PG_CODE_GSSENC 80877104
#define PG_TLS_HANDSHAKE 0x16		/* first byte of a TLS record carrying a ClientHello */

/* Message handler results besides 0. */
#define PG_BAD (-1)	/* does not parse: resync while unverified, else malformed */
#define PG_STOP (-2)	/* cannot go on (CopyBoth, limits, memory): malformed */

/* Requests the backend answers in order. */
enum pg_item_kind {
	PG_ITEM_QUERY,		/* 'Q': answered up to ReadyForQuery */
	PG_ITEM_FUNC,		/* 'F': likewise */
	PG_ITEM_EXECUTE,	/* 'E': up to CommandComplete, EmptyQuery, PortalSuspended, Error */
	PG_ITEM_SYNC,		/* 'S': by ReadyForQuery */
};

struct pg_item {
	uint64_t rec_id;	/* its record unless evicted; SYNC: the latest request's record */
	uint64_t sent_seq;	/* feed() call that carried the request's last message */
	uint8_t kind;		/* pg_item_kind */
};

/* A record waiting for its response. */
struct pg_pending {
	struct zt_l7_record rec;
	int64_t rows;		/* DataRows since the last CommandComplete */
};

/* Statement text, shared by the statement and the portals bound to it. */
struct pg_text {
	uint32_t refs;
	uint32_t len;
	bool cut;		/* the query was longer */
	char s[];
};

struct pg_named {
	char name[PG_NAME_MAX];
	uint64_t age;		/* insertion order: the oldest is evicted first */
	struct pg_text *text;	/* NULL: a portal bound to a statement never seen */
};

/* Named statements or portals: small, scanned linearly. */
struct pg_table {
	struct pg_named *v;
	uint32_t n;
	uint32_t cap;
	uint32_t max;		/* entries kept */
	uint64_t bytes;		/* text bytes referenced */
	uint64_t bytes_max;
};

enum pg_rd_st {
	PG_RD_HEAD,	/* between messages or inside a header */
	PG_RD_BODY,	/* inside a body: body_left bytes due */
	PG_RD_RESYNC,	/* framing lost: looking for a plausible header */
};

struct pg_dir {
	uint8_t st;		/* pg_rd_st */
	uint8_t hdr[8];		/* header bytes so far, or the resync window */
	uint8_t hlen;
	uint8_t type;		/* message type; 0 for a startup-phase packet */
	bool untyped;		/* startup-phase packet: length, then code, no type byte */
	bool started;		/* a message began in this direction */
	bool verified;		/* a telling message parsed since the start or the last resync */
	bool kcut;		/* the body was not kept whole (longer than kept, or a gap) */
	bool body_gap;		/* a gap fell inside the body */
	uint8_t body_last;	/* the body's last byte */
	uint32_t body_len;
	uint32_t body_left;
	uint32_t kwant;		/* body bytes to keep */
	uint32_t klen;
	uint8_t *keep;		/* PG_KEEP_MAX bytes, allocated when first needed */
	struct zt_chunk_meta first;	/* chunk with the message's first byte */
	uint64_t msg_seq;	/* feed() call of that chunk */
	uint64_t msg_pos;	/* stream position of the message's first byte */
	uint64_t pos;		/* bytes fed in this direction before the current chunk */
	const uint8_t *chunk;	/* the current chunk */
};

struct pg_conn {
	struct pg_dir d[2];	/* [ZT_L7_EGRESS] frontend, [ZT_L7_INGRESS] backend */
	struct pg_item *items;	/* ring: requests waiting for their answer, in order */
	uint32_t icap;
	uint32_t ihead;
	uint32_t icount;
	struct pg_pending *recs;	/* ring: the records of those requests, same order */
	uint32_t rcap;
	uint32_t rhead;
	uint32_t rcount;
	uint64_t rec_base;	/* id of recs[rhead]: lower ids were emitted */
	uint64_t seq;		/* feed() calls so far */
	/* frontend side */
	bool startup_ok;	/* an untyped startup-phase packet may come next */
	bool tls_req;		/* the last frontend packet asked for TLS/GSS encryption */
	uint8_t tls_asked;	/* encryption requests the backend has not answered yet */
	bool group_open;	/* a Parse/Bind began the next Execute's request */
	bool sync_extends;	/* a Sync now ends the latest Execute's request */
	bool has_last;
	uint64_t last_rec;	/* record of the latest Q/F/Execute (COPY data, Sync) */
	struct zt_chunk_meta group_first;
	uint64_t group_pos;
	char db[ZT_L7_DB_NAMESPACE_MAX];
	struct pg_text *stmt0;		/* the unnamed statement; NULL when unknown */
	struct pg_text *portal0;	/* the unnamed portal's statement */
	struct pg_table stmts;
	struct pg_table portals;
	uint64_t age;
	/* backend side */
	bool aborting;		/* an extended batch failed: the server skips to Sync */
	uint64_t gap_seq;	/* feed() call where backend bytes were lost */
	struct zt_chunk_meta gap_meta;	/* ... and its chunk: the lost answer began by then */
	bool tail_on;		/* resyncing after a gap: the bytes since are kept in `tail` */
	uint16_t tail_len;
	uint8_t tail[PG_TAIL_MAX];	/* the last backend bytes since the gap */
	char abort_status[ZT_L7_DB_STATUS_MAX];
	char abort_error[ZT_L7_DB_ERROR_MAX];
	bool stopped;		/* encrypted, or closed: ignore all bytes */
	bool malformed;
};

/* ---- small helpers ---- */

static uint32_t pg_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t pg_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static size_t pg_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Length of the string at b[0..n), or -1 when it is not terminated there. */
static long pg_strlen(const uint8_t *b, size_t n)
{
	const uint8_t *z = n ? memchr(b, 0, n) : NULL;

	return z ? (long)(z - b) : -1;
}

/* A byte of SQL text or of a name: printable, UTF-8, or white space. */
static bool pg_textish(uint8_t b)
{
	return b >= 0x20 || b == '\t' || b == '\n' || b == '\r';
}

static bool pg_all_textish(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!pg_textish(b[i]))
			return false;
	return true;
}

/*
 * Valid lengths (counting themselves) of a message type in a direction; false when the
 * type is unknown there.
 */
static bool pg_len_range(int dir, uint8_t type, uint32_t *min, uint32_t *max)
{
	*max = PG_MSG_MAX;
	if (dir == ZT_L7_EGRESS) {
		switch (type) {
		case 'S': case 'H': case 'X': case 'c':
			*min = *max = 4;
			return true;
		case 'd': case 'p':
			*min = 4;
			return true;
		case 'Q': case 'f':
			*min = 5;
			return true;
		case 'D': case 'C':
			*min = 6;
			return true;
		case 'P':
			*min = 8;
			return true;
		case 'E':
			*min = 9;
			return true;
		case 'B':
			*min = 12;
			return true;
		case 'F':
			*min = 14;
			return true;
		}
		return false;
	}
	switch (type) {
	case 'Z':
		*min = *max = 5;
		return true;
	case '1': case '2': case '3': case 'n': case 'I': case 's': case 'c':
		*min = *max = 4;
		return true;
	case 'd':
		*min = 4;
		return true;
	case 'C': case 'E': case 'N':
		*min = 5;
		return true;
	case 'S': case 'D': case 'T': case 't':
		*min = 6;
		return true;
	case 'G': case 'H': case 'W':
		*min = 7;
		return true;
	case 'R': case 'V':
		*min = 8;
		return true;
	case 'A':
		*min = 10;
		return true;
	case 'K':
		*min = 12;
		*max = 4 + 4 + 256;	/* protocol 3.2 keys are up to 256 bytes */
		return true;
	case 'v':
		*min = 12;
		return true;
	}
	return false;
}

/* Messages whose body we read; all others are skipped by length. */
static bool pg_keeps(int dir, const struct pg_dir *d)
{
	if (dir == ZT_L7_EGRESS) {
		if (d->untyped)
			return true;
		switch (d->type) {
		case 'Q': case 'P': case 'B': case 'E': case 'C': case 'D':
			return true;
		}
		return false;
	}
	return d->type == 'E' || d->type == 'C' || d->type == 'Z';
}

/* Messages checked closely enough that, once parsed, they show the direction is in sync. */
static bool pg_telling(int dir, const struct pg_dir *d)
{
	if (dir == ZT_L7_INGRESS)
		return d->type == 'Z';
	if (d->untyped)
		return true;
	switch (d->type) {
	case 'Q': case 'P': case 'B': case 'E':
		return true;
	}
	return false;
}

static void pg_encrypted(struct pg_conn *c)
{
	if (!c->stopped)
		zt_l7_stats.encrypted++;
	c->stopped = true;
}

/* ---- statement texts, statements and portals ---- */

static struct pg_text *pg_text_new(const uint8_t *s, size_t n, bool cut)
{
	struct pg_text *t;

	if (n > ZT_L7_DB_QUERY_MAX - 1) {
		n = ZT_L7_DB_QUERY_MAX - 1;
		cut = true;
	}
	t = malloc(sizeof(*t) + n + 1);
	if (!t)
		return NULL;
	t->refs = 1;
	t->len = (uint32_t)n;
	t->cut = cut;
	memcpy(t->s, s, n);
	t->s[n] = '\0';
	return t;
}

static struct pg_text *pg_text_get(struct pg_text *t)
{
	if (t)
		t->refs++;
	return t;
}

static void pg_text_put(struct pg_text *t)
{
	if (t && !--t->refs)
		free(t);
}

static uint32_t pg_text_len(const struct pg_text *t)
{
	return t ? t->len : 0;
}

static struct pg_named *pg_table_find(struct pg_table *t, const char *name)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].name, name))
			return &t->v[i];
	return NULL;
}

static void pg_table_remove(struct pg_table *t, struct pg_named *e)
{
	t->bytes -= pg_text_len(e->text);
	pg_text_put(e->text);
	*e = t->v[--t->n];
}

static void pg_table_evict_oldest(struct pg_table *t)
{
	struct pg_named *old = &t->v[0];

	for (uint32_t i = 1; i < t->n; i++)
		if (t->v[i].age < old->age)
			old = &t->v[i];
	pg_table_remove(t, old);
}

/* Remember name -> text (taking the caller's reference); the oldest entries make room. */
static int pg_table_set(struct pg_conn *c, struct pg_table *t, const char *name,
			struct pg_text *text)
{
	struct pg_named *e = pg_table_find(t, name);

	if (e) {
		pg_table_remove(t, e);
	} else if (t->n == t->max) {
		pg_table_evict_oldest(t);
	}
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 4;
		struct pg_named *v;

		if (cap > t->max)
			cap = t->max;
		v = realloc(t->v, cap * sizeof(*v));
		if (!v) {
			pg_text_put(text);
			return -1;
		}
		t->v = v;
		t->cap = cap;
	}
	e = &t->v[t->n++];
	zt_l7_copy_str(e->name, sizeof(e->name), name, strlen(name));
	e->age = ++c->age;
	e->text = text;
	t->bytes += pg_text_len(text);
	while (t->bytes > t->bytes_max && t->n > 1)
		pg_table_evict_oldest(t);
	return 0;
}

static void pg_table_free(struct pg_table *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		pg_text_put(t->v[i].text);
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
	t->bytes = 0;
}

/* Names are compared as kept: at most PG_NAME_MAX - 1 bytes. */
static void pg_name(char *dst, const uint8_t *s, size_t n)
{
	zt_l7_copy_str(dst, PG_NAME_MAX, s, n);
}

/* ---- records and the request queue ---- */

static struct pg_item *pg_item_at(struct pg_conn *c, uint32_t i)
{
	return &c->items[(c->ihead + i) % c->icap];
}

static struct pg_pending *pg_rec_by_id(struct pg_conn *c, uint64_t id)
{
	if (id < c->rec_base || id - c->rec_base >= c->rcount)
		return NULL;
	return &c->recs[(c->rhead + (uint32_t)(id - c->rec_base)) % c->rcap];
}

static struct pg_pending *pg_item_rec(struct pg_conn *c, const struct pg_item *it)
{
	return it->kind == PG_ITEM_SYNC ? NULL : pg_rec_by_id(c, it->rec_id);
}

static void pg_emit(struct zt_l7_record *rec, const struct zt_l7_sink *sink)
{
	zt_l7_stats.records++;
	if (!rec->has_response)
		zt_l7_stats.unanswered++;
	if (sink && sink->emit)
		sink->emit(sink->ctx, rec);
}

/* Emit the oldest waiting record; its request stays queued so that answers still pair. */
static void pg_rec_pop(struct pg_conn *c, const struct zt_l7_sink *sink)
{
	pg_emit(&c->recs[c->rhead].rec, sink);
	c->rhead = (c->rhead + 1) % c->rcap;
	c->rcount--;
	c->rec_base++;
}

/* The head request is answered (m: the completing message) or abandoned (m NULL). */
static void pg_item_pop(struct pg_conn *c, const struct zt_chunk_meta *m,
			const struct zt_l7_sink *sink)
{
	struct pg_item *it = pg_item_at(c, 0);
	struct pg_pending *p = pg_item_rec(c, it);

	/* Records follow their items' order: the head's record is the oldest one. */
	if (p && it->rec_id == c->rec_base) {
		if (m && p->rec.has_response)
			p->rec.resp_last = *m;
		pg_rec_pop(c, sink);
	}
	c->ihead = (c->ihead + 1) % c->icap;
	c->icount--;
}

static int pg_items_reserve(struct pg_conn *c)
{
	uint32_t cap = c->icap ? c->icap * 2 : 4;
	struct pg_item *v;

	if (c->icount < c->icap)
		return 0;
	if (c->icount == PG_ITEMS_MAX)
		return -1;
	if (cap > PG_ITEMS_MAX)
		cap = PG_ITEMS_MAX;
	v = malloc(cap * sizeof(*v));
	if (!v)
		return -1;
	for (uint32_t i = 0; i < c->icount; i++)
		v[i] = *pg_item_at(c, i);
	free(c->items);
	c->items = v;
	c->icap = cap;
	c->ihead = 0;
	return 0;
}

static int pg_recs_reserve(struct pg_conn *c, const struct zt_l7_sink *sink)
{
	uint32_t cap = c->rcap ? c->rcap * 2 : 1;
	struct pg_pending *v;

	if (c->rcount == PG_RECS_MAX)
		pg_rec_pop(c, sink);	/* flushed unanswered, counted */
	if (c->rcount < c->rcap)
		return 0;
	if (cap > PG_RECS_MAX)
		cap = PG_RECS_MAX;
	v = malloc(cap * sizeof(*v));
	if (!v)
		return -1;
	for (uint32_t i = 0; i < c->rcount; i++)
		memcpy(&v[i], &c->recs[(c->rhead + i) % c->rcap], sizeof(*v));
	free(c->recs);
	c->recs = v;
	c->rcap = cap;
	c->rhead = 0;
	return 0;
}

static int pg_push_item(struct pg_conn *c, uint8_t kind, uint64_t rec_id)
{
	struct pg_item *it;

	if (pg_items_reserve(c) < 0)
		return -1;
	it = pg_item_at(c, c->icount++);
	it->kind = kind;
	it->rec_id = rec_id;
	it->sent_seq = c->seq;
	return 0;
}

/* Queue a request with a record; NULL when the queue cannot take it. */
static struct pg_pending *pg_request(struct pg_conn *c, uint8_t kind,
				     const struct zt_chunk_meta *first, uint64_t pos,
				     const struct zt_chunk_meta *last,
				     const struct zt_l7_sink *sink)
{
	struct pg_pending *p;
	uint64_t id;

	if (pg_items_reserve(c) < 0 || pg_recs_reserve(c, sink) < 0)
		return NULL;
	id = c->rec_base + c->rcount;
	p = &c->recs[(c->rhead + c->rcount) % c->rcap];
	c->rcount++;
	pg_push_item(c, kind, id);
	zt_l7_record_clear(&p->rec, ZT_L7_PGSQL, ZT_L7_EGRESS);
	memcpy(p->rec.db_namespace, c->db, sizeof(c->db));
	p->rec.req_first = *first;
	p->rec.req_last = *last;
	p->rec.req_pos = pos;
	p->rows = 0;
	c->has_last = true;
	c->last_rec = id;
	return p;
}

/* The request's fields are set: the span builder may bind it to the thread now. */
static void pg_announce(const struct pg_pending *p, const struct zt_l7_sink *sink)
{
	if (sink && sink->request_head)
		sink->request_head(sink->ctx, &p->rec);
}

static void pg_set_query(struct zt_l7_record *r, const struct pg_text *t)
{
	if (!t) {
		zt_l7_stats.partial_state++;
		return;
	}
	memcpy(r->db_query, t->s, t->len + 1);
	r->db_query_truncated = t->cut;
}

/* ---- frontend messages ---- */

/* A Parse or Bind starts the request of the next Execute. */
static void pg_group_begin(struct pg_conn *c, const struct pg_dir *d)
{
	if (!c->group_open) {
		c->group_open = true;
		c->group_first = d->first;
		c->group_pos = d->msg_pos;
	}
	c->sync_extends = false;
}

static void pg_group_end(struct pg_conn *c)
{
	c->group_open = false;
	c->sync_extends = false;
}

static void pg_params(struct pg_conn *c, const uint8_t *b, size_t n)
{
	const uint8_t *user = NULL, *db = NULL;
	size_t ulen = 0, dblen = 0, i = 0;

	/* name\0value\0 pairs, then \0; a pair cut by the kept size is ignored */
	while (i < n && b[i]) {
		long kl = pg_strlen(b + i, n - i), vl;

		if (kl < 0)
			break;
		vl = pg_strlen(b + i + kl + 1, n - i - (size_t)kl - 1);
		if (vl < 0)
			break;
		if (kl == 4 && !memcmp(b + i, "user", 4)) {
			user = b + i + kl + 1;
			ulen = (size_t)vl;
		} else if (kl == 8 && !memcmp(b + i, "database", 8)) {
			db = b + i + kl + 1;
			dblen = (size_t)vl;
		}
		i += (size_t)kl + 1 + (size_t)vl + 1;
	}
	/* The server's default database is the user name. */
	if (db && dblen)
		zt_l7_copy_str(c->db, sizeof(c->db), db, dblen);
	else if (user)
		zt_l7_copy_str(c->db, sizeof(c->db), user, ulen);
}

/* Startup-phase packet: StartupMessage, SSLRequest, GSSENCRequest or CancelRequest. */
static int pg_fe_startup(struct pg_conn *c, const struct pg_dir *d)
{
	struct pg_dir *be = &c->d[ZT_L7_INGRESS];
	uint32_t code;

	if (d->klen < 4)
		return d->body_gap ? 0 : PG_BAD;
	code = pg_be32(d->keep);
	if (code == PG_CODE_SSL || code == PG_CODE_GSSENC) {
		if (d->body_len != 4)
			return PG_BAD;
		if (c->tls_asked < UINT8_MAX)
			c->tls_asked++;
		c->tls_req = true;
	} else if (code == PG_CODE_CANCEL) {
		if (d->body_len < 12)
			return PG_BAD;
		c->startup_ok = false;
	} else if (code >> 16 == 3) {
		pg_params(c, d->keep + 4, d->klen - 4);
		c->startup_ok = false;
	} else if (code >> 16 == 2) {
		return PG_STOP;	/* protocol 2: not parsed */
	} else {
		return PG_BAD;
	}
	/* Seen from its start, the connection's backend stream can be trusted from its start. */
	if (!be->started)
		be->verified = true;
	return 0;
}

static int pg_fe_query(struct pg_conn *c, const struct pg_dir *d, const struct zt_chunk_meta *m,
		       const struct zt_l7_sink *sink)
{
	long n = pg_strlen(d->keep, d->klen);
	size_t len = n >= 0 ? (size_t)n : d->klen;
	struct pg_pending *p;

	if (!d->body_gap) {
		/* The text, its terminator as the last byte, nothing after. */
		if (n >= 0 ? (uint32_t)n + 1 != d->body_len : d->body_last != 0)
			return PG_BAD;
		if (!d->verified && !pg_all_textish(d->keep, len))
			return PG_BAD;
	}
	pg_group_end(c);
	p = pg_request(c, PG_ITEM_QUERY, &d->first, d->msg_pos, m, sink);
	if (!p)
		return PG_STOP;
	p->rec.db_query_truncated = zt_l7_copy_str(p->rec.db_query, sizeof(p->rec.db_query),
						   d->keep, len) || n < 0;
	pg_announce(p, sink);
	return 0;
}

/* Parse: statement name, query, parameter types. */
static int pg_fe_parse(struct pg_conn *c, const struct pg_dir *d)
{
	const uint8_t *b = d->keep;
	long nl = pg_strlen(b, d->klen), ql;
	char name[PG_NAME_MAX];
	struct pg_text *t;
	size_t rest, qlen;

	if (nl < 0)
		return d->body_gap ? 0 : PG_BAD;
	ql = pg_strlen(b + nl + 1, d->klen - (size_t)nl - 1);
	if (ql < 0 && !d->kcut)
		return PG_BAD;
	if (ql >= 0 && !d->kcut) {
		rest = d->klen - (size_t)nl - 1 - (size_t)ql - 1;
		if (rest < 2 || rest != 2 + 4 * (size_t)pg_be16(b + d->klen - rest))
			return PG_BAD;
	}
	qlen = ql >= 0 ? (size_t)ql : d->klen - (size_t)nl - 1;
	if (!d->verified && (!pg_all_textish(b, (size_t)nl) || !pg_all_textish(b + nl + 1, qlen)))
		return PG_BAD;
	t = pg_text_new(b + nl + 1, qlen, ql < 0);
	if (!t)
		return PG_STOP;
	if (!nl) {
		pg_text_put(c->stmt0);
		c->stmt0 = t;
	} else {
		pg_name(name, b, (size_t)nl);
		if (pg_table_set(c, &c->stmts, name, t) < 0)
			return PG_STOP;
	}
	pg_group_begin(c, d);
	return 0;
}

/* Bind parameters and result formats, when the whole body was kept. */
static bool pg_bind_tail_ok(const uint8_t *b, size_t n)
{
	size_t i = 0, cnt;

	if (n < 2)
		return false;
	cnt = pg_be16(b);		/* parameter format codes */
	i = 2 + 2 * cnt;
	if (i + 2 > n)
		return false;
	cnt = pg_be16(b + i);		/* parameter values */
	i += 2;
	while (cnt--) {
		uint32_t len;

		if (i + 4 > n)
			return false;
		len = pg_be32(b + i);
		i += 4;
		if (len == UINT32_MAX)	/* -1: NULL */
			continue;
		if (len > n - i)
			return false;
		i += len;
	}
	if (i + 2 > n)
		return false;
	cnt = pg_be16(b + i);		/* result format codes */
	return i + 2 + 2 * cnt == n;
}

static struct pg_text *pg_stmt_lookup(struct pg_conn *c, const char *name)
{
	struct pg_named *e;

	if (!name[0])
		return c->stmt0;
	e = pg_table_find(&c->stmts, name);
	return e ? e->text : NULL;
}

/* Bind: portal name, statement name, parameters. */
static int pg_fe_bind(struct pg_conn *c, const struct pg_dir *d)
{
	const uint8_t *b = d->keep;
	long pl = pg_strlen(b, d->klen), sl;
	char portal[PG_NAME_MAX], stmt[PG_NAME_MAX];
	struct pg_text *t;

	if (pl < 0)
		return d->body_gap ? 0 : PG_BAD;
	sl = pg_strlen(b + pl + 1, d->klen - (size_t)pl - 1);
	if (sl < 0)
		return d->body_gap ? 0 : PG_BAD;
	if (!d->kcut && !pg_bind_tail_ok(b + pl + 1 + sl + 1, d->klen - (size_t)(pl + 1 + sl + 1)))
		return PG_BAD;
	if (!d->verified && (!pg_all_textish(b, (size_t)pl) ||
			     !pg_all_textish(b + pl + 1, (size_t)sl)))
		return PG_BAD;
	pg_name(portal, b, (size_t)pl);
	pg_name(stmt, b + pl + 1, (size_t)sl);
	t = pg_text_get(pg_stmt_lookup(c, stmt));
	if (!pl) {
		pg_text_put(c->portal0);
		c->portal0 = t;
	} else if (pg_table_set(c, &c->portals, portal, t) < 0) {
		return PG_STOP;
	}
	pg_group_begin(c, d);
	return 0;
}

/* Execute: portal name, row limit. */
static int pg_fe_execute(struct pg_conn *c, const struct pg_dir *d, const struct zt_chunk_meta *m,
			 const struct zt_l7_sink *sink)
{
	long pl = pg_strlen(d->keep, d->klen);
	const struct zt_chunk_meta *first = c->group_open ? &c->group_first : &d->first;
	uint64_t pos = c->group_open ? c->group_pos : d->msg_pos;
	struct pg_text *t = NULL;
	char portal[PG_NAME_MAX];
	struct pg_named *e;
	struct pg_pending *p;

	if (!d->body_gap && (pl < 0 || d->body_len != (uint32_t)pl + 1 + 4))
		return PG_BAD;
	if (!d->verified && pl > 0 && !pg_all_textish(d->keep, (size_t)pl))
		return PG_BAD;
	/* With a gap in the body the portal may be unreadable: still one answer to pair. */
	if (pl == 0) {
		t = c->portal0;
	} else if (pl > 0) {
		pg_name(portal, d->keep, (size_t)pl);
		e = pg_table_find(&c->portals, portal);
		t = e ? e->text : NULL;
	}
	p = pg_request(c, PG_ITEM_EXECUTE, first, pos, m, sink);
	if (!p)
		return PG_STOP;
	pg_set_query(&p->rec, t);
	c->group_open = false;
	c->sync_extends = true;
	pg_announce(p, sink);
	return 0;
}

static int pg_fe_sync(struct pg_conn *c, const struct zt_chunk_meta *m)
{
	struct pg_pending *p = c->sync_extends ? pg_rec_by_id(c, c->last_rec) : NULL;

	if (pg_push_item(c, PG_ITEM_SYNC, c->has_last ? c->last_rec : UINT64_MAX) < 0)
		return PG_STOP;
	if (p)
		p->rec.req_last = *m;
	pg_group_end(c);
	return 0;
}

/* Close (or Describe): 'S' statement or 'P' portal, then its name. */
static int pg_fe_target(struct pg_conn *c, const struct pg_dir *d, bool forget)
{
	long nl = d->klen ? pg_strlen(d->keep + 1, d->klen - 1) : -1;
	uint8_t what = d->klen ? d->keep[0] : 0;
	char name[PG_NAME_MAX];
	struct pg_named *e;

	if (nl < 0 || (what != 'S' && what != 'P') || d->body_len != 1 + (uint32_t)nl + 1)
		return d->body_gap ? 0 : PG_BAD;
	if (!forget)
		return 0;
	pg_name(name, d->keep + 1, (size_t)nl);
	if (what == 'S' && !nl) {
		pg_text_put(c->stmt0);
		c->stmt0 = NULL;
	} else if (what == 'P' && !nl) {
		pg_text_put(c->portal0);
		c->portal0 = NULL;
	} else {
		struct pg_table *t = what == 'S' ? &c->stmts : &c->portals;

		e = pg_table_find(t, name);
		if (e)
			pg_table_remove(t, e);
	}
	return 0;
}

static int pg_fe_function(struct pg_conn *c, const struct pg_dir *d, const struct zt_chunk_meta *m,
			  const struct zt_l7_sink *sink)
{
	struct pg_pending *p;

	pg_group_end(c);
	p = pg_request(c, PG_ITEM_FUNC, &d->first, d->msg_pos, m, sink);
	if (!p)
		return PG_STOP;
	zt_l7_copy_str(p->rec.db_operation, sizeof(p->rec.db_operation), "FUNCTION CALL", 13);
	pg_announce(p, sink);
	return 0;
}

/*
 * CopyDone/CopyFail ends copy-in mode, in which the server ignores Sync: drop the Syncs
 * sent since the COPY's request (libpq sends one along with the Execute, before the copy
 * starts), or they would take the answers of later requests.
 */
static void pg_copy_in_done(struct pg_conn *c)
{
	uint32_t i, j;

	for (i = j = 0; i < c->icount; i++) {
		struct pg_item *it = pg_item_at(c, i);

		if (it->kind != PG_ITEM_SYNC || it->rec_id != c->last_rec)
			*pg_item_at(c, j++) = *it;
	}
	c->icount = j;
}

/* CopyData/CopyDone/CopyFail: part of the latest request (COPY ... FROM STDIN). */
static void pg_fe_copy(struct pg_conn *c, const struct pg_dir *d, const struct zt_chunk_meta *m)
{
	struct pg_pending *p;

	if (!c->has_last)
		return;
	if (d->type != 'd')
		pg_copy_in_done(c);
	p = pg_rec_by_id(c, c->last_rec);
	if (!p)
		return;
	if (d->type == 'd')
		p->rec.req_body_bytes += d->body_len;
	p->rec.req_last = *m;
}

static int pg_fe_message(struct pg_conn *c, struct pg_dir *d, const struct zt_chunk_meta *m,
			 const struct zt_l7_sink *sink)
{
	if (d->untyped)
		return pg_fe_startup(c, d);
	switch (d->type) {
	case 'Q':
		return pg_fe_query(c, d, m, sink);
	case 'P':
		return pg_fe_parse(c, d);
	case 'B':
		return pg_fe_bind(c, d);
	case 'E':
		return pg_fe_execute(c, d, m, sink);
	case 'S':
		return pg_fe_sync(c, m);
	case 'C':
		return pg_fe_target(c, d, true);
	case 'D':
		return pg_fe_target(c, d, false);
	case 'F':
		return pg_fe_function(c, d, m, sink);
	case 'd': case 'c': case 'f':
		pg_fe_copy(c, d, m);
		return 0;
	}
	return 0;	/* Flush, Terminate, password/SASL messages */
}

/* ---- backend messages ---- */

/*
 * Does a backend message that began in feed call `seq` answer the queue head? Not when it
 * began before the request was sent: it answers a request never seen.
 */
static bool pg_head_answered_by(struct pg_conn *c, uint64_t seq)
{
	return c->icount && pg_item_at(c, 0)->sent_seq < seq;
}

/* A backend message answers the head request: the first one starts its response. */
static struct pg_pending *pg_answer(struct pg_conn *c, const struct pg_dir *d,
				    const struct zt_chunk_meta *m)
{
	struct pg_pending *p = pg_item_rec(c, pg_item_at(c, 0));

	if (!p)
		return NULL;
	if (!p->rec.has_response) {
		p->rec.has_response = true;
		p->rec.resp_first = d->first;
	}
	p->rec.resp_last = *m;
	return p;
}

/* Fields of an ErrorResponse; strings point into the kept body, "" when absent. */
struct pg_error {
	const uint8_t *severity;	/* non-localized ('V') when present, else 'S' */
	size_t severity_len;
	const uint8_t *code;
	size_t code_len;
	const uint8_t *msg;
	size_t msg_len;
};

/* ErrorResponse fields: a type byte and a string each, then a zero byte. */
static int pg_error_parse(const uint8_t *b, size_t n, bool cut, struct pg_error *e)
{
	static const uint8_t none[1];
	bool have_v = false;
	size_t i = 0;

	e->severity = e->code = e->msg = none;
	e->severity_len = e->code_len = e->msg_len = 0;
	for (;;) {
		uint8_t field;
		long len;

		if (i >= n)
			return cut ? 0 : PG_BAD;
		field = b[i++];
		if (!field)
			return cut || i == n ? 0 : PG_BAD;
		len = pg_strlen(b + i, n - i);
		if (len < 0)
			return cut ? 0 : PG_BAD;	/* a field cut by the kept size */
		if (field == 'V' || (field == 'S' && !have_v)) {
			e->severity = b + i;
			e->severity_len = (size_t)len;
			have_v = field == 'V';
		} else if (field == 'C') {
			e->code = b + i;
			e->code_len = (size_t)len;
		} else if (field == 'M') {
			e->msg = b + i;
			e->msg_len = (size_t)len;
		}
		i += (size_t)len + 1;
	}
}

static void pg_fail(struct zt_l7_record *r, const char *status, size_t slen, const char *msg,
		    size_t mlen)
{
	r->db_failed = true;
	zt_l7_copy_str(r->db_status, sizeof(r->db_status), status, slen);
	zt_l7_copy_str(r->db_error, sizeof(r->db_error), msg, mlen);
}

/* The rest of a failed extended batch: the server skips it, its Executes fail alike. */
static void pg_abort_batch(struct pg_conn *c, const struct pg_dir *d,
			   const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	while (pg_head_answered_by(c, d->msg_seq) && pg_item_at(c, 0)->kind != PG_ITEM_SYNC) {
		struct pg_pending *p = pg_answer(c, d, m);

		if (p)
			pg_fail(&p->rec, c->abort_status, strlen(c->abort_status), c->abort_error,
				strlen(c->abort_error));
		pg_item_pop(c, m, sink);
	}
}

static bool pg_fatal(const struct pg_error *e)
{
	return e->severity_len == 5 && (!memcmp(e->severity, "FATAL", 5) ||
					!memcmp(e->severity, "PANIC", 5));
}

static int pg_be_error(struct pg_conn *c, const struct pg_dir *d, const struct zt_chunk_meta *m,
		       const struct zt_l7_sink *sink)
{
	struct pg_error e;
	struct pg_pending *p;
	uint8_t kind;

	if (pg_error_parse(d->keep, d->klen, d->kcut, &e) < 0)
		return d->body_gap ? 0 : PG_BAD;
	/* Nothing asked: a startup failure, a shutdown notice, or a request never seen. */
	if (!pg_head_answered_by(c, d->msg_seq))
		return 0;
	kind = pg_item_at(c, 0)->kind;
	p = pg_answer(c, d, m);
	if (p)
		pg_fail(&p->rec, (const char *)e.code, e.code_len, (const char *)e.msg, e.msg_len);
	if (kind == PG_ITEM_EXECUTE) {
		zt_l7_copy_str(c->abort_status, sizeof(c->abort_status), e.code, e.code_len);
		zt_l7_copy_str(c->abort_error, sizeof(c->abort_error), e.msg, e.msg_len);
		c->aborting = true;
		pg_item_pop(c, m, sink);
		pg_abort_batch(c, d, m, sink);
	} else if (kind != PG_ITEM_SYNC && pg_fatal(&e)) {
		/* The server closes the connection: no ReadyForQuery will come. */
		pg_item_pop(c, m, sink);
	}
	return 0;
}

static bool pg_counted_tag(const char *op, size_t n)
{
	static const char *const tags[] = {
		"SELECT", "INSERT", "UPDATE", "DELETE", "COPY", "FETCH", "MOVE", "MERGE",
	};

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (strlen(tags[i]) == n && !memcmp(tags[i], op, n))
			return true;
	return false;
}

/* "SELECT 5", "INSERT 0 1", "CREATE TABLE": operation = first word, rows = last number. */
static void pg_set_tag(struct pg_pending *p, const uint8_t *tag, size_t n)
{
	const uint8_t *sp = memchr(tag, ' ', n);
	size_t oplen = sp ? (size_t)(sp - tag) : n;
	size_t i = n, digits = 0;
	int64_t rows = 0;

	zt_l7_copy_str(p->rec.db_operation, sizeof(p->rec.db_operation), tag, oplen);
	while (i > oplen && tag[i - 1] >= '0' && tag[i - 1] <= '9')
		i--, digits++;
	if (sp && digits && digits <= 18 && tag[i - 1] == ' ' &&
	    pg_counted_tag((const char *)tag, oplen)) {
		for (; i < n; i++)
			rows = rows * 10 + (tag[i] - '0');
		p->rec.db_rows = rows;
	} else {
		p->rec.db_rows = p->rows ? p->rows : -1;
	}
	p->rows = 0;
}

static int pg_be_command_complete(struct pg_conn *c, const struct pg_dir *d,
				  const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	long n = pg_strlen(d->keep, d->klen);
	struct pg_pending *p;
	uint8_t kind;

	if (!d->body_gap && (n < 0 ? !d->kcut : (uint32_t)n + 1 != d->body_len))
		return PG_BAD;
	if (!pg_head_answered_by(c, d->msg_seq))
		return 0;
	kind = pg_item_at(c, 0)->kind;
	p = pg_answer(c, d, m);
	if (p && kind != PG_ITEM_FUNC)
		pg_set_tag(p, d->keep, n >= 0 ? (size_t)n : d->klen);
	if (kind == PG_ITEM_EXECUTE)
		pg_item_pop(c, m, sink);
	return 0;
}

/*
 * ReadyForQuery ends the head Q, F or Sync, and any Execute still queued before it (its
 * answer lost). In a failed batch everything up to the Sync was skipped by the server.
 */
static int pg_be_ready(struct pg_conn *c, const struct pg_dir *d, const struct zt_chunk_meta *m,
		       const struct zt_l7_sink *sink)
{
	uint8_t status = d->klen ? d->keep[0] : 0;

	if (!d->body_gap && status != 'I' && status != 'T' && status != 'E')
		return PG_BAD;
	if (c->aborting)
		pg_abort_batch(c, d, m, sink);
	c->aborting = false;
	while (pg_head_answered_by(c, d->msg_seq)) {
		uint8_t kind = pg_item_at(c, 0)->kind;

		if (kind == PG_ITEM_EXECUTE) {
			pg_item_pop(c, NULL, sink);	/* as far as it was answered */
			continue;
		}
		pg_answer(c, d, m);
		pg_item_pop(c, m, sink);
		break;
	}
	return 0;
}

/* ---- the end of an answer whose framing was lost ---- */

/*
 * The record of the only request the lost bytes can answer: one Q, or one Execute and its
 * Sync. With more, which of them a message answers is unknown.
 */
static struct pg_pending *pg_tail_target(struct pg_conn *c)
{
	uint32_t n = 0;

	while (n < c->icount && pg_item_at(c, n)->sent_seq < c->gap_seq)
		n++;
	if (n == 1 && pg_item_at(c, 0)->kind == PG_ITEM_QUERY)
		return pg_item_rec(c, pg_item_at(c, 0));
	if (n == 2 && pg_item_at(c, 0)->kind == PG_ITEM_EXECUTE &&
	    pg_item_at(c, 1)->kind == PG_ITEM_SYNC)
		return pg_item_rec(c, pg_item_at(c, 0));
	return NULL;
}

/*
 * A CommandComplete in tail[0..end), ending at end: its tag is textual and its length
 * counts exactly the bytes up to end. Returns its offset, or -1.
 */
static long pg_tail_command_complete(const uint8_t *t, size_t end)
{
	if (end < 6 || t[end - 1])
		return -1;
	for (size_t len = 5; len + 1 <= end; len++) {
		size_t at = end - 1 - len;

		/* Each step adds a byte at the front of the tag: not text, the search ends. */
		if (len > 5 && !pg_textish(t[at + 5]))
			return -1;
		if (t[at] == 'C' && pg_be32(t + at + 1) == len)
			return (long)at;
	}
	return -1;
}

/* An ErrorResponse in tail[0..end), ending at end, whose fields parse whole, with a SQLSTATE. */
static long pg_tail_error(const uint8_t *t, size_t end, struct pg_error *e)
{
	if (end < 7 || t[end - 1] || t[end - 2])
		return -1;
	for (size_t len = 6; len + 1 <= end; len++) {
		size_t at = end - 1 - len;

		if (t[at] != 'E' || pg_be32(t + at + 1) != len)
			continue;
		if (!pg_error_parse(t + at + 5, end - at - 5, false, e) && e->code_len == 5)
			return (long)at;
	}
	return -1;
}

/*
 * The ReadyForQuery that ends the kept bytes is preceded right there by a CommandComplete or
 * an ErrorResponse: it answers the only request waiting since the gap. Its rows are the
 * tag's (the DataRows counted before the gap are not all of them).
 */
static bool pg_tail_answer(struct pg_conn *c)
{
	struct pg_pending *p;
	struct pg_error e;
	size_t end;
	long at;

	if (!c->tail_on || c->tail_len < 6)
		return false;
	end = c->tail_len - 6;	/* where the ReadyForQuery begins */
	p = pg_tail_target(c);
	if (!p)
		return false;
	at = pg_tail_command_complete(c->tail, end);
	if (at >= 0) {
		p->rows = 0;
		pg_set_tag(p, c->tail + at + 5, end - (size_t)at - 6);
	} else if (pg_tail_error(c->tail, end, &e) >= 0) {
		pg_fail(&p->rec, (const char *)e.code, e.code_len, (const char *)e.msg, e.msg_len);
	} else {
		return false;
	}
	if (!p->rec.has_response) {
		p->rec.has_response = true;
		p->rec.resp_first = c->gap_meta;
	}
	return true;
}

/* Keep backend bytes seen since the gap, the last PG_TAIL_MAX of them. */
static void pg_tail_add(struct pg_conn *c, const uint8_t *p, size_t n)
{
	size_t drop;

	if (!c->tail_on || !n)
		return;
	if (n >= PG_TAIL_MAX) {
		memcpy(c->tail, p + n - PG_TAIL_MAX, PG_TAIL_MAX);
		c->tail_len = PG_TAIL_MAX;
		return;
	}
	if (c->tail_len + n > PG_TAIL_MAX) {
		drop = c->tail_len + n - PG_TAIL_MAX;
		memmove(c->tail, c->tail + drop, c->tail_len - drop);
		c->tail_len -= (uint16_t)drop;
	}
	memcpy(c->tail + c->tail_len, p, n);
	c->tail_len += (uint16_t)n;
}

/*
 * Found a ReadyForQuery after lost bytes: it ends what was asked before they were lost,
 * completely when the bytes before it tell how, else as far as it was answered.
 */
static void pg_be_resynced(struct pg_conn *c, const struct zt_chunk_meta *m,
			   const struct zt_l7_sink *sink)
{
	const struct zt_chunk_meta *end = pg_tail_answer(c) ? m : NULL;

	while (c->icount && pg_item_at(c, 0)->sent_seq < c->gap_seq)
		pg_item_pop(c, end, sink);
	c->aborting = false;
	c->tail_on = false;
}

static int pg_be_message(struct pg_conn *c, struct pg_dir *d, const struct zt_chunk_meta *m,
			 const struct zt_l7_sink *sink)
{
	struct pg_pending *p;
	uint8_t kind;

	switch (d->type) {
	case 'Z':
		return pg_be_ready(c, d, m, sink);
	case 'E':
		return pg_be_error(c, d, m, sink);
	case 'C':
		return pg_be_command_complete(c, d, m, sink);
	case 'W':
		return PG_STOP;	/* CopyBoth: streaming replication, not parsed */
	case 'N': case 'A': case 'S': case 'K': case 'R': case 'v':
		return 0;	/* asynchronous or session messages: no answer */
	}
	if (!pg_head_answered_by(c, d->msg_seq))
		return 0;
	kind = pg_item_at(c, 0)->kind;
	p = pg_answer(c, d, m);
	if (!p)
		return 0;
	switch (d->type) {
	case 'D':
		p->rows++;
		p->rec.resp_body_bytes += d->body_len;
		break;
	case 'd':
		p->rec.resp_body_bytes += d->body_len;
		break;
	case 's':
		p->rec.db_rows = p->rows;
		/* fall through */
	case 'I':
		if (kind == PG_ITEM_EXECUTE)
			pg_item_pop(c, m, sink);
		break;
	}
	return 0;
}

/* ---- framing ---- */

static void pg_msg_start(struct pg_conn *c, struct pg_dir *d, const uint8_t *p,
			 const struct zt_chunk_meta *m)
{
	d->first = *m;
	d->msg_seq = c->seq;
	d->msg_pos = d->pos + (uint64_t)(p - d->chunk);
	d->started = true;
}

static int pg_message_done(struct pg_conn *c, int dir, const struct zt_chunk_meta *m,
			   const struct zt_l7_sink *sink)
{
	struct pg_dir *d = &c->d[dir];
	int rc;

	d->st = PG_RD_HEAD;
	d->hlen = 0;
	if (dir == ZT_L7_EGRESS)
		rc = pg_fe_message(c, d, m, sink);
	else
		rc = pg_be_message(c, d, m, sink);
	if (!rc && pg_telling(dir, d))
		d->verified = true;
	return rc;
}

/* A header is complete: check it and start the body. */
static int pg_header_done(struct pg_conn *c, int dir, const struct zt_chunk_meta *m,
			  const struct zt_l7_sink *sink)
{
	struct pg_dir *d = &c->d[dir];
	uint32_t len, min = 8, max = PG_STARTUP_MAX;

	if (d->untyped) {
		d->type = 0;
		len = pg_be32(d->hdr);
	} else {
		d->type = d->hdr[0];
		len = pg_be32(d->hdr + 1);
		if (!pg_len_range(dir, d->type, &min, &max))
			return PG_BAD;
	}
	if (len < min || len > max)
		return PG_BAD;
	d->body_len = d->body_left = len - 4;
	d->kwant = pg_keeps(dir, d) ? (uint32_t)pg_min(d->body_len, PG_KEEP_MAX) : 0;
	d->klen = 0;
	d->kcut = d->body_len > d->kwant;
	d->body_gap = false;
	d->body_last = 0;
	if (d->kwant && !d->keep) {
		d->keep = malloc(PG_KEEP_MAX);
		if (!d->keep)
			return PG_STOP;
	}
	d->st = PG_RD_BODY;
	if (!d->body_left)
		return pg_message_done(c, dir, m, sink);
	return 0;
}

/* The first byte of a message: encryption answers and requests come before any framing. */
static int pg_msg_begin(struct pg_conn *c, int dir, const uint8_t **pp,
			const struct zt_chunk_meta *m)
{
	struct pg_dir *d = &c->d[dir];
	uint8_t b = **pp;

	if (dir == ZT_L7_INGRESS && c->tls_asked) {
		switch (b) {
		case 'N':	/* refused: the startup follows in clear */
			c->tls_asked--;
			(*pp)++;
			return 1;
		case 'S':
		case 'G':
			pg_encrypted(c);
			return 1;
		case 'E':	/* a server that knows no encryption: an ErrorResponse */
			c->tls_asked = 0;
			break;
		default:
			return PG_BAD;
		}
	}
	if (dir == ZT_L7_EGRESS) {
		/* A ClientHello right after the request: the backend said yes. */
		if (c->tls_req && b == PG_TLS_HANDSHAKE) {
			pg_encrypted(c);
			return 1;
		}
		c->tls_req = false;
		d->untyped = c->startup_ok && b == 0;
		if (!d->untyped)
			c->startup_ok = false;
	} else {
		d->untyped = false;
	}
	pg_msg_start(c, d, *pp, m);
	return 0;
}

static int pg_head_bytes(struct pg_conn *c, int dir, const uint8_t **pp, const uint8_t *end,
			 const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct pg_dir *d = &c->d[dir];
	size_t need, n;
	int rc;

	if (!d->hlen) {
		rc = pg_msg_begin(c, dir, pp, m);
		if (rc)
			return rc < 0 ? rc : 0;
	}
	need = d->untyped ? 4 : 5;
	n = pg_min(need - d->hlen, (size_t)(end - *pp));
	memcpy(d->hdr + d->hlen, *pp, n);
	d->hlen += (uint8_t)n;
	*pp += n;
	if (d->hlen < need)
		return 0;
	return pg_header_done(c, dir, m, sink);
}

static int pg_body_bytes(struct pg_conn *c, int dir, const uint8_t **pp, const uint8_t *end,
			 const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct pg_dir *d = &c->d[dir];
	size_t n = pg_min((size_t)(end - *pp), d->body_left), k;

	if (d->klen < d->kwant) {
		k = pg_min(n, d->kwant - d->klen);
		memcpy(d->keep + d->klen, *pp, k);
		d->klen += (uint32_t)k;
	}
	d->body_last = (*pp)[n - 1];
	d->body_left -= (uint32_t)n;
	*pp += n;
	if (!d->body_left)
		return pg_message_done(c, dir, m, sink);
	return 0;
}

/* ---- resynchronisation ---- */

/* Could h[0..n) begin a header the resync accepts? */
static bool pg_resync_prefix(int dir, const uint8_t *h, size_t n)
{
	static const uint8_t ready[5] = { 'Z', 0, 0, 0, 5 };
	uint32_t min, max, len;

	if (dir == ZT_L7_INGRESS) {
		if (memcmp(h, ready, pg_min(n, 5)))
			return false;
		return n < 6 || h[5] == 'I' || h[5] == 'T' || h[5] == 'E';
	}
	switch (h[0]) {
	case 'Q': case 'P': case 'B': case 'E': case 'S':
		break;
	default:
		return false;
	}
	if (n < 5)
		return n < 2 || h[1] <= PG_MSG_MAX >> 24;
	len = pg_be32(h + 1);
	pg_len_range(dir, h[0], &min, &max);
	return len >= min && len <= max;
}

/* One more byte in the resync window; true when the window holds a header. */
static bool pg_resync_byte(struct pg_dir *d, int dir, uint8_t b)
{
	size_t want = dir == ZT_L7_INGRESS ? 6 : 5;

	d->hdr[d->hlen++] = b;
	while (d->hlen && !pg_resync_prefix(dir, d->hdr, d->hlen)) {
		d->hlen--;
		memmove(d->hdr, d->hdr + 1, d->hlen);
	}
	return d->hlen == want;
}

/*
 * Framing is lost: drop the message being parsed and look for the next plausible one.
 * The bytes of a header that failed may hold the next header's start (`rescan`).
 */
static void pg_resync(struct pg_conn *c, int dir, bool rescan)
{
	struct pg_dir *d = &c->d[dir];
	size_t n = rescan && d->st == PG_RD_HEAD ? d->hlen : 0;
	uint8_t h[sizeof(d->hdr)];

	memcpy(h, d->hdr, n);
	d->st = PG_RD_RESYNC;
	d->hlen = 0;
	d->verified = false;
	if (dir == ZT_L7_EGRESS) {
		pg_group_end(c);
		c->startup_ok = false;
		c->tls_req = false;
	} else {
		c->gap_seq = c->seq;
		c->tls_asked = 0;
		c->tail_on = false;	/* a gap turns it on: the bytes since are known whole */
	}
	/* Fewer bytes than a header: this cannot complete a match. */
	for (size_t i = 1; i < n; i++)
		pg_resync_byte(d, dir, h[i]);
}

static const uint8_t *pg_resync_skip(int dir, const uint8_t *p, const uint8_t *end)
{
	if (dir == ZT_L7_INGRESS) {
		p = memchr(p, 'Z', (size_t)(end - p));
		return p ? p : end;
	}
	while (p < end && *p != 'Q' && *p != 'P' && *p != 'B' && *p != 'E' && *p != 'S')
		p++;
	return p;
}

static int pg_resync_bytes(struct pg_conn *c, int dir, const uint8_t **pp, const uint8_t *end,
			   const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct pg_dir *d = &c->d[dir];
	const uint8_t *p = *pp, *from = p;

	while (p < end) {
		if (!d->hlen) {
			p = pg_resync_skip(dir, p, end);
			if (p == end)
				break;
		}
		if (!pg_resync_byte(d, dir, *p++))
			continue;
		zt_l7_stats.resyncs++;
		/* The header may have begun in an earlier chunk: close enough for timings. */
		pg_msg_start(c, d, p, m);
		d->msg_pos -= d->hlen;
		*pp = p;
		if (dir == ZT_L7_INGRESS) {
			pg_tail_add(c, from, (size_t)(p - from));
			d->st = PG_RD_HEAD;
			d->hlen = 0;
			d->verified = true;
			pg_be_resynced(c, m, sink);
			return 0;
		}
		d->untyped = false;
		return pg_header_done(c, dir, m, sink);
	}
	if (dir == ZT_L7_INGRESS)
		pg_tail_add(c, from, (size_t)(end - from));
	*pp = end;
	return 0;
}

/* ---- feeding ---- */

static int pg_data(struct pg_conn *c, int dir, const uint8_t *p, size_t len,
		   const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct pg_dir *d = &c->d[dir];
	const uint8_t *end = p + len;
	int rc;

	while (p < end && !c->stopped) {
		switch (d->st) {
		case PG_RD_HEAD:
			rc = pg_head_bytes(c, dir, &p, end, m, sink);
			break;
		case PG_RD_BODY:
			rc = pg_body_bytes(c, dir, &p, end, m, sink);
			break;
		default:
			rc = pg_resync_bytes(c, dir, &p, end, m, sink);
			break;
		}
		if (rc == PG_BAD && !d->verified) {
			pg_resync(c, dir, true);
			rc = 0;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int pg_gap(struct pg_conn *c, int dir, size_t len, const struct zt_chunk_meta *m,
		  const struct zt_l7_sink *sink)
{
	struct pg_dir *d = &c->d[dir];
	int rc;

	zt_l7_stats.gaps++;
	if (d->st == PG_RD_BODY && len <= d->body_left) {
		/* Inside a body: it is known where the next message starts. */
		d->kwant = d->klen;
		d->kcut = true;
		d->body_gap = true;
		d->body_left -= (uint32_t)len;
		if (d->body_left)
			return 0;
		rc = pg_message_done(c, dir, m, sink);
		if (rc == PG_BAD && !d->verified) {
			pg_resync(c, dir, false);
			rc = 0;
		}
		return rc < 0 ? -1 : 0;
	}
	pg_resync(c, dir, false);
	if (dir == ZT_L7_INGRESS) {
		c->tail_on = true;
		c->tail_len = 0;
		c->gap_meta = *m;
	}
	return 0;
}

/* ---- detect ---- */

/* Could the n < 4 bytes at p begin a length up to max? */
static bool pg_len_prefix_ok(const uint8_t *p, size_t n, uint32_t max)
{
	uint32_t v = 0;

	if (!n)
		return true;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v <= max >> (8 * (4 - n));
}

/* Query text: textual bytes, its terminator last. */
static enum zt_detect pg_detect_query(const uint8_t *b, size_t avail, uint32_t blen)
{
	size_t n = pg_min(avail, blen);

	for (size_t i = 0; i < n; i++)
		if (i == blen - 1 ? b[i] != 0 : !b[i] || !pg_textish(b[i]))
			return ZT_DETECT_NO;
	return n == blen || n >= PG_DETECT_TEXT ? ZT_DETECT_YES : ZT_DETECT_MAYBE;
}

/* Parse: a textual name and query, each terminated. */
static enum zt_detect pg_detect_parse(const uint8_t *b, size_t avail, uint32_t blen)
{
	size_t n = pg_min(avail, blen), name_end = 0;
	int nuls = 0;

	for (size_t i = 0; i < n; i++) {
		if (!b[i]) {
			if (++nuls == 2)
				return ZT_DETECT_YES;
			name_end = i;
		} else if (!pg_textish(b[i]) || (!nuls && i >= PG_NAME_MAX)) {
			return ZT_DETECT_NO;
		}
	}
	if (n == blen)
		return ZT_DETECT_NO;
	return nuls && n - name_end > PG_DETECT_TEXT ? ZT_DETECT_YES : ZT_DETECT_MAYBE;
}

static enum zt_detect pg_detect_startup(const uint8_t *p, size_t n)
{
	uint32_t len, code;

	if (n < 4)
		return pg_len_prefix_ok(p, n, PG_STARTUP_MAX) ? ZT_DETECT_MAYBE : ZT_DETECT_NO;
	len = pg_be32(p);
	if (len < 8 || len > PG_STARTUP_MAX)
		return ZT_DETECT_NO;
	if (n < 8)
		return ZT_DETECT_MAYBE;
	code = pg_be32(p + 4);
	if (code == PG_CODE_SSL || code == PG_CODE_GSSENC)
		return len == 8 ? ZT_DETECT_YES : ZT_DETECT_NO;
	if (code == PG_CODE_CANCEL)
		return len >= 16 && len <= 16 + 256 ? ZT_DETECT_YES : ZT_DETECT_NO;
	if (code >> 16 != 3 || len < 9)
		return ZT_DETECT_NO;
	/* Parameter names follow. */
	if (n > 8 && p[8] && !pg_textish(p[8]))
		return ZT_DETECT_NO;
	return ZT_DETECT_YES;
}

static enum zt_detect pg_detect_frontend(const uint8_t *p, size_t n)
{
	uint32_t len, min, max;

	if (p[0] == 0)
		return pg_detect_startup(p, n);
	if (p[0] != 'Q' && p[0] != 'P')
		return ZT_DETECT_NO;
	pg_len_range(ZT_L7_EGRESS, p[0], &min, &max);
	if (n < 5)
		return pg_len_prefix_ok(p + 1, n - 1, max) ? ZT_DETECT_MAYBE : ZT_DETECT_NO;
	len = pg_be32(p + 1);
	if (len < min || len > max)
		return ZT_DETECT_NO;
	if (p[0] == 'Q')
		return pg_detect_query(p + 5, n - 5, len - 4);
	return pg_detect_parse(p + 5, n - 5, len - 4);
}

static enum zt_detect pg_detect_backend(const uint8_t *p, size_t n)
{
	uint32_t len, min, max, unused;
	uint8_t b;

	switch (p[0]) {
	case 'R': case 'S': case 'C': case 'E':
		max = 64 * 1024;	/* session and status messages are short */
		break;
	case 'Z': case 'T': case 'D':
		max = PG_MSG_MAX;
		break;
	default:
		return ZT_DETECT_NO;
	}
	pg_len_range(ZT_L7_INGRESS, p[0], &min, &unused);
	if (n < 5)
		return pg_len_prefix_ok(p + 1, n - 1, max) ? ZT_DETECT_MAYBE : ZT_DETECT_NO;
	len = pg_be32(p + 1);
	if (len < min || len > max || (p[0] == 'Z' && len != 5))
		return ZT_DETECT_NO;
	if (n < 6)
		return ZT_DETECT_MAYBE;
	b = p[5];
	switch (p[0]) {
	case 'Z':
		return b == 'I' || b == 'T' || b == 'E' ? ZT_DETECT_YES : ZT_DETECT_NO;
	case 'R':	/* authentication code, a small number */
		return b == 0 ? ZT_DETECT_YES : ZT_DETECT_NO;
	case 'S':	/* parameter name */
		return b && pg_textish(b) ? ZT_DETECT_YES : ZT_DETECT_NO;
	case 'C':	/* command tag */
	case 'E':	/* first field code */
		return b >= 'A' && b <= 'Z' ? ZT_DETECT_YES : ZT_DETECT_NO;
	default:	/* T, D: a column count of at most 1664 */
		return b <= 1664 >> 8 ? ZT_DETECT_YES : ZT_DETECT_NO;
	}
}

/* ---- zt_parser_ops ---- */

static enum zt_detect pg_detect(const uint8_t *data, size_t len, int dir)
{
	if (!data)
		return ZT_DETECT_NO;
	if (!len)
		return ZT_DETECT_MAYBE;
	if (dir == ZT_L7_EGRESS)
		return pg_detect_frontend(data, len);
	if (dir == ZT_L7_INGRESS)
		return pg_detect_backend(data, len);
	return ZT_DETECT_NO;
}

static void *pg_create(void)
{
	struct pg_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->startup_ok = true;
	c->stmts.max = PG_STMTS_MAX;
	c->stmts.bytes_max = PG_STMT_BYTES_MAX;
	c->portals.max = PG_PORTALS_MAX;
	c->portals.bytes_max = UINT64_MAX;	/* texts already bounded by the statements */
	return c;
}

static void pg_destroy(void *state)
{
	struct pg_conn *c = state;

	if (!c)
		return;
	free(c->d[0].keep);
	free(c->d[1].keep);
	free(c->items);
	free(c->recs);
	pg_text_put(c->stmt0);
	pg_text_put(c->portal0);
	pg_table_free(&c->stmts);
	pg_table_free(&c->portals);
	free(c);
}

static int pg_feed(void *state, int dir, const uint8_t *data, size_t len,
		   const struct zt_chunk_meta *meta, const struct zt_l7_sink *sink)
{
	static const struct zt_chunk_meta no_meta;
	struct pg_conn *c = state;
	int rc;

	if (c->malformed)
		return -1;
	if (dir != ZT_L7_EGRESS && dir != ZT_L7_INGRESS)
		goto bad;
	if (c->stopped || !len)
		return 0;
	c->seq++;
	if (!meta)
		meta = &no_meta;
	c->d[dir].chunk = data;
	if (data)
		rc = pg_data(c, dir, data, len, meta, sink);
	else
		rc = pg_gap(c, dir, len, meta, sink);
	if (rc < 0)
		goto bad;
	c->d[dir].pos += len;
	return 0;
bad:
	c->malformed = true;
	zt_l7_stats.malformed++;
	return -1;
}

/*
 * Requests still waiting are flushed: unanswered, or with the part of the answer seen.
 * Nothing is emitted for a connection already marked malformed.
 */
static void pg_close(void *state, const struct zt_chunk_meta *meta, const struct zt_l7_sink *sink)
{
	struct pg_conn *c = state;

	(void)meta;	/* nothing in this protocol is delimited by close */
	while (c->icount) {
		if (c->malformed) {
			c->ihead = (c->ihead + 1) % c->icap;
			c->icount--;
			continue;
		}
		pg_item_pop(c, NULL, sink);
	}
	c->rcount = 0;
	c->stopped = true;
}

const struct zt_parser_ops zt_pgsql_parser = {
	.name = "pgsql",
	.proto = ZT_L7_PGSQL,
	.detect = pg_detect,
	.create = pg_create,
	.destroy = pg_destroy,
	.feed = pg_feed,
	.close = pg_close,
};
