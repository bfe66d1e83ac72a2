/*
 * MySQL / MariaDB client/server protocol parser, seen from the client: commands go EGRESS,
 * the server's packets come INGRESS. Each direction frames packets (3-byte length, sequence
 * id); a payload of 0xffffff bytes goes on in the next packet and the pieces form one
 * logical packet, of which only a bounded prefix is kept (the rest is skipped by length,
 * so a gap there is harmless). Commands wait in a bounded FIFO and the server's packets run
 * through a small response state machine for the FIFO head: one record per command that has
 * a response. Prepared statement texts are remembered (bounded) for COM_STMT_EXECUTE.
 *
 * Sync: the client side starts, and restarts after a gap it cannot skip, by scanning for a
 * plausible command header (sequence id 0, known command byte, sane length), across chunks.
 * The server side, once lost, skips bytes until the first chunk after a newer command that
 * starts with a plausible response header; commands it could not answer are reported with
 * what is known. TLS (SSL request) and compression stop the parsing for good.
 *
 * After a gap the kernel sends the last bytes of the chunk it could not capture whole, and
 * the server writes a response's end in one piece. When the server bytes since the gap end
 * with a whole EOF, OK or ERR packet that leaves no result set to follow, and the client's
 * next command comes before any more server bytes (it had read the whole response), that
 * packet ended the response lost in the gap, if it was the only command waiting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l7_fifo.h"
#include "zt_l7.h"

#define MYSQL_HDR_LEN 4
#define MYSQL_WIN_LEN (MYSQL_HDR_LEN + 1)	/* a header and the command byte (resync) */
#define MYSQL_PKT_FULL 0xffffffu	/* a payload this long goes on in the next packet */
#define MYSQL_FIFO_MAX 16		/* commands waiting for their response */
#define MYSQL_STMT_MAX 64		/* prepared statements remembered per connection */
#define MYSQL_STMT_BYTES (64 * 1024)	/* ... and their total text */
#define MYSQL_CBUF_MAX (ZT_L7_DB_QUERY_MAX + 1024)	/* client payload kept: attributes, SQL */
#define MYSQL_SBUF_MAX 512		/* server payload kept: greeting, OK, ERR */
#define MYSQL_SCAN_GIVEUP (256 * 1024)	/* a new stream without a command header: not MySQL */
#define MYSQL_COLS_MAX 4096		/* MySQL's column limit: more is no column count */
#define MYSQL_HANDSHAKE_MAX 8192	/* longest HandshakeResponse taken for one (resync) */
#define MYSQL_STMT_LAST 0xffffffffu	/* MariaDB: execute the statement prepared last */
#define MYSQL_TAIL_MAX 512		/* server bytes kept after a gap: a lost response's end */

/* Capability flags (greeting, HandshakeResponse41). */
#define MYSQL_CAP_CONNECT_WITH_DB 0x8u
#define MYSQL_CAP_COMPRESS 0x20u
#define MYSQL_CAP_PROTOCOL_41 0x200u
#define MYSQL_CAP_SSL 0x800u
#define MYSQL_CAP_SECURE_CONNECTION 0x8000u
#define MYSQL_CAP_PLUGIN_AUTH_LENENC 0x200000u
#define MYSQL_CAP_DEPRECATE_EOF 0x1000000u
#define MYSQL_CAP_ZSTD 0x4000000u
#define MYSQL_CAP_QUERY_ATTRIBUTES 0x8000000u

/* Server status flags (OK, EOF). */
#define MYSQL_SERVER_MORE_RESULTS 0x8u
#define MYSQL_SERVER_CURSOR_EXISTS 0x40u
#define MYSQL_SERVER_STATE_CHANGED 0x4000u

#define MYSQL_SESSION_TRACK_SCHEMA 1

enum mysql_com {
	MYSQL_COM_QUERY = 0x03,
	MYSQL_COM_CHANGE_USER = 0x11,
	MYSQL_COM_STMT_PREPARE = 0x16,
	MYSQL_COM_STMT_CLOSE = 0x19,
	MYSQL_COM_STMT_FETCH = 0x1c,
	MYSQL_COM_RESET_CONNECTION = 0x1f,
};

/* Shape of a command's response. */
enum mysql_resp_kind {
	MYSQL_RESP_NONE,	/* none (QUIT, STMT_CLOSE, STMT_SEND_LONG_DATA) */
	MYSQL_RESP_RESULT,	/* OK, ERR, LOCAL INFILE or result sets */
	MYSQL_RESP_SIMPLE,	/* one OK, ERR or EOF packet */
	MYSQL_RESP_STRING,	/* one packet of text (STATISTICS) */
	MYSQL_RESP_PREPARE,	/* STMT_PREPARE_OK and definitions, or ERR */
	MYSQL_RESP_ROWS,	/* rows until EOF/OK or ERR (STMT_FETCH, binlog events) */
	MYSQL_RESP_FIELDS,	/* column definitions until EOF (FIELD_LIST) */
	MYSQL_RESP_AUTH,	/* authentication exchange until OK or ERR */
};

/* What a command's payload carries after the command byte. */
enum mysql_arg {
	MYSQL_ARG_NONE,
	MYSQL_ARG_QUERY,	/* query attributes (if negotiated), then SQL text */
	MYSQL_ARG_SQL,		/* SQL text */
	MYSQL_ARG_SCHEMA,	/* database name (INIT_DB) */
	MYSQL_ARG_STMT,		/* statement id first */
	MYSQL_ARG_CHANGE_USER,	/* user, auth data, database */
};

/* A command byte: db_operation, response shape, argument, payload lengths clients send. */
struct mysql_cmd_info {
	const char *op;		/* "" when the SQL text names the operation; NULL: unknown */
	uint8_t resp;		/* mysql_resp_kind */
	uint8_t arg;		/* mysql_arg */
	uint32_t min_len;	/* payload bounds a real client keeps to (detect, resync) */
	uint32_t max_len;
};

static const struct mysql_cmd_info mysql_cmds[256] = {
	[0x01] = { "QUIT", MYSQL_RESP_NONE, MYSQL_ARG_NONE, 1, 1 },
	[0x02] = { "", MYSQL_RESP_SIMPLE, MYSQL_ARG_SCHEMA, 2, 1024 },
	[0x03] = { "", MYSQL_RESP_RESULT, MYSQL_ARG_QUERY, 1, UINT32_MAX },
	[0x04] = { "FIELD_LIST", MYSQL_RESP_FIELDS, MYSQL_ARG_NONE, 2, 8192 },
	[0x05] = { "CREATE_DB", MYSQL_RESP_SIMPLE, MYSQL_ARG_NONE, 2, 1024 },
	[0x06] = { "DROP_DB", MYSQL_RESP_SIMPLE, MYSQL_ARG_NONE, 2, 1024 },
	[0x07] = { "REFRESH", MYSQL_RESP_SIMPLE, MYSQL_ARG_NONE, 2, 2 },
	[0x08] = { "SHUTDOWN", MYSQL_RESP_SIMPLE, MYSQL_ARG_NONE, 1, 2 },
	[0x09] = { "STATISTICS", MYSQL_RESP_STRING, MYSQL_ARG_NONE, 1, 1 },
	[0x0a] = { "PROCESS_INFO", MYSQL_RESP_RESULT, MYSQL_ARG_NONE, 1, 1 },
	[0x0c] = { "PROCESS_KILL", MYSQL_RESP_SIMPLE, MYSQL_ARG_NONE, 5, 5 },
	[0x0d] = { "DEBUG", MYSQL_RESP_SIMPLE, MYSQL_ARG_NONE, 1, 1 },
	[0x0e] = { "PING", MYSQL_RESP_SIMPLE, MYSQL_ARG_NONE, 1, 1 },
	[0x11] = { "CHANGE_USER", MYSQL_RESP_AUTH, MYSQL_ARG_CHANGE_USER, 2, 65536 },
	[0x12] = { "BINLOG_DUMP", MYSQL_RESP_ROWS, MYSQL_ARG_NONE, 11, 65536 },
	[0x15] = { "REGISTER_SLAVE", MYSQL_RESP_SIMPLE, MYSQL_ARG_NONE, 18, 65536 },
	[0x16] = { "", MYSQL_RESP_PREPARE, MYSQL_ARG_SQL, 1, UINT32_MAX },
	[0x17] = { "", MYSQL_RESP_RESULT, MYSQL_ARG_STMT, 10, UINT32_MAX },
	[0x18] = { "STMT_SEND_LONG_DATA", MYSQL_RESP_NONE, MYSQL_ARG_STMT, 7, UINT32_MAX },
	[0x19] = { "STMT_CLOSE", MYSQL_RESP_NONE, MYSQL_ARG_STMT, 5, 5 },
	[0x1a] = { "STMT_RESET", MYSQL_RESP_SIMPLE, MYSQL_ARG_STMT, 5, 5 },
	[0x1b] = { "SET_OPTION", MYSQL_RESP_SIMPLE, MYSQL_ARG_NONE, 3, 3 },
	[0x1c] = { "STMT_FETCH", MYSQL_RESP_ROWS, MYSQL_ARG_STMT, 9, 9 },
	[0x1e] = { "BINLOG_DUMP_GTID", MYSQL_RESP_ROWS, MYSQL_ARG_NONE, 19, UINT32_MAX },
	[0x1f] = { "RESET_CONNECTION", MYSQL_RESP_SIMPLE, MYSQL_ARG_NONE, 1, 1 },
	[0xfa] = { "", MYSQL_RESP_RESULT, MYSQL_ARG_STMT, 7, UINT32_MAX },	/* MariaDB bulk */
};

/* Where the server's answer to the FIFO head stands. */
enum mysql_resp_st {
	MYSQL_RS_FIRST,		/* first packet of a response, or of a further result set */
	MYSQL_RS_COLDEFS,	/* column definitions: `defs` left */
	MYSQL_RS_COLS_END,	/* EOF after them (unless DEPRECATE_EOF), or already a row */
	MYSQL_RS_ROWS,		/* rows until EOF/OK or ERR */
	MYSQL_RS_SIMPLE,
	MYSQL_RS_STRING,
	MYSQL_RS_FIELDS,
	MYSQL_RS_AUTH,
	MYSQL_RS_PREP_OK,	/* STMT_PREPARE_OK or ERR */
	MYSQL_RS_PREP_PARAMS,	/* parameter definitions: `defs` left */
	MYSQL_RS_PREP_PARAMS_END,	/* their EOF, unless DEPRECATE_EOF */
	MYSQL_RS_PREP_COLS,	/* column definitions: `defs` left */
	MYSQL_RS_PREP_COLS_END,
};

/* What the response state machine says about a packet. */
enum mysql_step {
	MYSQL_STEP_MORE,	/* consumed, the response goes on */
	MYSQL_STEP_DONE,	/* consumed, the response is complete */
	MYSQL_STEP_AGAIN,	/* the response was already complete: the packet starts the next */
	MYSQL_STEP_LOST,	/* not what this response can hold: the server side lost sync */
};

/* Client phase: what a packet that is not a command (sequence id != 0) belongs to. */
enum mysql_client_phase {
	MYSQL_CP_START,		/* nothing seen: sequence id 1 is a HandshakeResponse */
	MYSQL_CP_AUTH,		/* handshake sent: authentication data */
	MYSQL_CP_CMD,		/* command phase: LOCAL INFILE data, CHANGE_USER auth data */
};

/* A command, from its packet until its response is complete. */
struct mysql_entry {
	struct zt_l7_record rec;
	uint64_t start_seq;	/* feed() call that carried the command's first byte */
	uint32_t stmt_id;
	uint8_t cmd;
	uint8_t resp_seq;	/* sequence id the response starts with */
	bool connect;		/* the handshake, not a command */
	bool record;		/* reported even when it succeeds (not bookkeeping) */
	bool bound;		/* its response has started */
	bool stmt_pending;	/* statement text still unknown */
	bool set_db;		/* on success the connection's database becomes new_db */
	char new_db[ZT_L7_DB_NAMESPACE_MAX];
};

/* A prepared statement's text, for COM_STMT_EXECUTE and friends. */
struct mysql_stmt {
	uint32_t id;
	uint32_t len;
	bool truncated;
	char *text;
};

/* A byte carried from an earlier chunk while scanning for a command header. */
struct mysql_carry {
	uint8_t b;
	uint64_t seq;		/* feed() call and stream position it came with */
	uint64_t pos;
	struct zt_chunk_meta meta;
};

/* One direction: packet framing and the logical packet being read. */
struct mysql_dir {
	uint8_t hdr[MYSQL_HDR_LEN];	/* header bytes seen so far */
	uint8_t hdr_len;
	bool in_body;		/* reading a payload: `left` bytes due */
	bool more;		/* the current packet is 0xffffff long: the payload goes on */
	bool cut;		/* a gap hit the payload: buf holds what came before it */
	bool scan;		/* client: looking for a command header */
	bool scan_gap;		/* ... because of a gap (counted as a resync when found) */
	bool ever_synced;	/* client: a packet start was found once */
	uint8_t seq;		/* sequence id of the logical packet's first packet */
	uint8_t last_seq;	/* ... and of its latest */
	uint8_t ncarry;
	uint32_t left;
	uint32_t kept;		/* payload bytes in buf */
	uint32_t cap;
	uint64_t len;		/* payload bytes so far */
	uint64_t first_seq;	/* feed() call of the logical packet's first byte */
	uint64_t first_pos;	/* its stream position */
	uint64_t pos;		/* bytes fed in this direction before the current chunk */
	uint64_t skipped;	/* client: bytes dropped by the current scan */
	const uint8_t *chunk;	/* start of the chunk being parsed */
	struct zt_chunk_meta first;	/* chunk holding the logical packet's first byte */
	struct mysql_carry carry[MYSQL_HDR_LEN];
	uint8_t *buf;
};

struct mysql_resp {
	uint8_t st;		/* mysql_resp_st */
	uint8_t next_seq;	/* sequence id of the response's next packet */
	uint16_t prep_cols;	/* prepare: column definitions after the parameters */
	uint32_t defs;		/* definitions still to skip */
};

struct mysql_conn {
	struct mysql_dir d[2];
	struct zt_fifo q;	/* of mysql_entry: pending commands */
	struct mysql_resp resp;
	bool resp_active;	/* the FIFO head's response is being parsed */
	bool lost;		/* server side: framing lost, skipping until a resync */
	bool probe;		/* server side: resyncing, the next header must fit the FIFO head */
	bool stopped;		/* TLS, compression or closed: ignore every byte */
	bool malformed;
	bool infile;		/* client: LOCAL INFILE data is being sent */
	bool have_last_stmt;
	bool server_caps_known;
	bool client_caps_known;
	int8_t deprecate_eof;	/* CLIENT_DEPRECATE_EOF: -1 until known */
	int8_t query_attrs;	/* CLIENT_QUERY_ATTRIBUTES: -1 until known */
	uint8_t cphase;		/* mysql_client_phase */
	uint8_t client_seq;	/* sequence id of the client's last packet */
	uint32_t server_caps;
	uint32_t client_caps;
	uint32_t last_stmt_id;	/* statement prepared last (MariaDB direct execute) */
	uint32_t nstmts;
	uint32_t stmt_bytes;
	uint64_t server_pkts;	/* server packets seen */
	uint64_t lost_at;	/* feed() call at the loss: older commands cannot be paired */
	uint64_t seq;		/* feed() calls so far */
	struct zt_chunk_meta last_srv;	/* last server chunk: ends responses cut short */
	/* Server side lost by a gap: the bytes since, which may end with the response's end. */
	bool tail_on;		/* keep server bytes in `tail` */
	bool tail_end;		/* they end with a packet that ends a response: a candidate */
	uint16_t tail_len;
	uint16_t end_off;	/* the candidate's payload: tail[end_off..tail_len) */
	struct zt_chunk_meta end_meta;	/* chunk holding its last byte */
	uint8_t tail[MYSQL_TAIL_MAX];
	char db[ZT_L7_DB_NAMESPACE_MAX];	/* current database */
	struct mysql_stmt stmts[MYSQL_STMT_MAX];	/* oldest first */
	uint8_t cbuf[MYSQL_CBUF_MAX];
	uint8_t sbuf[MYSQL_SBUF_MAX];
};

/* A complete logical packet: its kept prefix and its length. */
struct mysql_pkt {
	const uint8_t *p;
	size_t n;		/* bytes of p available */
	uint64_t len;		/* payload length */
	uint8_t seq;
	int first;		/* first payload byte, -1 for an empty payload */
};

/* ---- small helpers ---- */

static uint32_t mysql_u16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t mysql_u24(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

static uint32_t mysql_u32(const uint8_t *p)
{
	return mysql_u24(p) | (uint32_t)p[3] << 24;
}

/* Length-encoded integer at *off within n bytes; false when cut or not an integer. */
static bool mysql_lenenc(const uint8_t *p, size_t n, size_t *off, uint64_t *v)
{
	size_t o = *off, size;
	uint8_t b;

	if (o >= n)
		return false;
	b = p[o];
	if (b < 0xfb) {
		*v = b;
		*off = o + 1;
		return true;
	}
	if (b == 0xfb || b == 0xff)
		return false;
	size = b == 0xfc ? 2 : b == 0xfd ? 3 : 8;
	if (n - o - 1 < size)
		return false;
	*v = 0;
	for (size_t i = size; i > 0; i--)
		*v = *v << 8 | p[o + i];
	*off = o + 1 + size;
	return true;
}

/* A NUL-terminated string at *off: its length, or -1 without a terminator. */
static long mysql_cstr(const uint8_t *p, size_t n, size_t off)
{
	const uint8_t *z;

	if (off >= n)
		return -1;
	z = memchr(p + off, 0, n - off);
	return z ? (long)(z - (p + off)) : -1;
}

static bool mysql_is_name(const char *a, const uint8_t *b, uint64_t n)
{
	return strlen(a) == n && !memcmp(a, b, n);
}

static void mysql_emit(struct zt_l7_record *rec, const struct zt_l7_sink *sink)
{
	zt_l7_stats.records++;
	if (!rec->has_response)
		zt_l7_stats.unanswered++;
	if (sink && sink->emit)
		sink->emit(sink->ctx, rec);
}

static void mysql_add_rows(struct zt_l7_record *r, uint64_t n)
{
	if (r->db_rows < 0)
		r->db_rows = 0;
	if (n > (uint64_t)(INT64_MAX - r->db_rows))
		r->db_rows = INT64_MAX;
	else
		r->db_rows += (int64_t)n;
}

/* Negotiated capabilities, once the client's are known (the server's may never be). */
static void mysql_caps_update(struct mysql_conn *c)
{
	uint32_t caps;

	if (!c->client_caps_known)
		return;
	caps = c->client_caps & (c->server_caps_known ? c->server_caps : ~0u);
	c->deprecate_eof = (caps & MYSQL_CAP_DEPRECATE_EOF) != 0;
	c->query_attrs = (caps & MYSQL_CAP_QUERY_ATTRIBUTES) != 0;
}

/* TLS or compression: nothing more can be read. Counted once. */
static void mysql_stop(struct mysql_conn *c)
{
	if (!c->stopped)
		zt_l7_stats.encrypted++;
	c->stopped = true;
	zt_fifo_clear(&c->q);
	c->resp_active = false;
}

/* ---- prepared statements ---- */

static int mysql_stmt_index(const struct mysql_conn *c, uint32_t id)
{
	for (uint32_t i = 0; i < c->nstmts; i++)
		if (c->stmts[i].id == id)
			return (int)i;
	return -1;
}

static void mysql_stmt_forget(struct mysql_conn *c, uint32_t i)
{
	free(c->stmts[i].text);
	c->stmt_bytes -= c->stmts[i].len;
	memmove(&c->stmts[i], &c->stmts[i + 1], (c->nstmts - i - 1) * sizeof(c->stmts[0]));
	c->nstmts--;
}

static void mysql_stmt_clear(struct mysql_conn *c)
{
	while (c->nstmts)
		mysql_stmt_forget(c, c->nstmts - 1);
	c->have_last_stmt = false;
}

/* Remember a prepared statement's text; the oldest ones make room. */
static void mysql_stmt_add(struct mysql_conn *c, uint32_t id, const struct zt_l7_record *prep)
{
	size_t len = strlen(prep->db_query);
	struct mysql_stmt *s;
	int i = mysql_stmt_index(c, id);
	char *text;

	if (i >= 0)
		mysql_stmt_forget(c, (uint32_t)i);
	while (c->nstmts && (c->nstmts == MYSQL_STMT_MAX || c->stmt_bytes + len > MYSQL_STMT_BYTES))
		mysql_stmt_forget(c, 0);
	c->last_stmt_id = id;
	c->have_last_stmt = true;
	text = malloc(len + 1);
	if (!text)
		return;
	memcpy(text, prep->db_query, len + 1);
	s = &c->stmts[c->nstmts++];
	s->id = id;
	s->len = (uint32_t)len;
	s->truncated = prep->db_query_truncated;
	s->text = text;
	c->stmt_bytes += (uint32_t)len;
}

/* Fill the command's SQL text from its statement id, if the statement is known. */
static void mysql_stmt_fill(struct mysql_conn *c, struct mysql_entry *e)
{
	uint32_t id = e->stmt_id;
	const struct mysql_stmt *s;
	int i;

	if (id == MYSQL_STMT_LAST && c->have_last_stmt)
		id = c->last_stmt_id;
	i = mysql_stmt_index(c, id);
	if (i < 0)
		return;
	s = &c->stmts[i];
	zt_l7_copy_str(e->rec.db_query, sizeof(e->rec.db_query), s->text, s->len);
	e->rec.db_query_truncated = s->truncated;
	e->stmt_pending = false;
}

/* ---- command FIFO ---- */

static struct mysql_entry *mysql_slot(struct mysql_conn *c, uint32_t i)
{
	return zt_fifo_at(&c->q, i);
}

static void mysql_pop(struct mysql_conn *c)
{
	zt_fifo_pop(&c->q);
	c->resp_active = false;
}

static void mysql_entry_emit(struct mysql_entry *e, const struct zt_l7_sink *sink)
{
	if (e->stmt_pending)
		zt_l7_stats.partial_state++;
	mysql_emit(&e->rec, sink);
}

/*
 * The FIFO head's response will not be parsed (lost, or connection closed): report it with
 * what is known. A response that started but did not finish has an unknown row count.
 * Bookkeeping (handshake, successful prepare) gives no record.
 */
static void mysql_discard_head(struct mysql_conn *c, const struct zt_l7_sink *sink)
{
	struct mysql_entry *e = mysql_slot(c, 0);

	if (e->record || e->rec.db_failed) {
		if (e->bound) {
			e->rec.resp_last = c->last_srv;
			if (!e->rec.db_failed)
				e->rec.db_rows = -1;
		} else {
			zt_l7_copy_str(e->rec.db_namespace, sizeof(e->rec.db_namespace), c->db,
				       strlen(c->db));
		}
		mysql_entry_emit(e, sink);
	}
	mysql_pop(c);
}

static void mysql_server_lost(struct mysql_conn *c, uint64_t at)
{
	struct mysql_dir *d = &c->d[ZT_L7_INGRESS];

	c->lost = true;
	c->probe = false;
	c->lost_at = at;
	c->tail_on = false;	/* a gap turns it on: then the bytes since are known whole */
	c->tail_end = false;
	c->tail_len = 0;
	c->resp_active = false;	/* a bound head is reported when discarded */
	d->hdr_len = 0;
	d->in_body = false;
	d->more = false;
}

/*
 * Slot for a new command, cleared, not yet counted in the FIFO. A full FIFO means answers
 * are not coming or were lost: report everything pending and pair again from this command.
 */
static struct mysql_entry *mysql_reserve(struct mysql_conn *c, uint64_t start_seq,
					 const struct zt_l7_sink *sink)
{
	struct mysql_entry *e;

	if (zt_fifo_count(&c->q) == MYSQL_FIFO_MAX) {
		while (zt_fifo_count(&c->q))
			mysql_discard_head(c, sink);
		mysql_server_lost(c, start_seq - 1);
	}
	e = zt_fifo_reserve(&c->q);
	if (!e)
		return NULL;
	zt_l7_record_clear(&e->rec, ZT_L7_MYSQL, ZT_L7_EGRESS);
	e->start_seq = start_seq;
	e->stmt_id = 0;
	e->cmd = 0;
	e->resp_seq = 1;
	e->connect = e->bound = e->stmt_pending = e->set_db = false;
	e->record = true;
	e->new_db[0] = '\0';
	return e;
}

/* ---- client packets ---- */

/* Request fields every command shares: timings, position, size. */
static void mysql_entry_request(struct mysql_conn *c, struct mysql_entry *e,
				const struct zt_chunk_meta *m)
{
	const struct mysql_dir *d = &c->d[ZT_L7_EGRESS];

	e->resp_seq = (uint8_t)(d->last_seq + 1);
	e->rec.req_first = d->first;
	e->rec.req_last = *m;
	e->rec.req_pos = d->first_pos;
	e->rec.req_body_bytes = d->len;
	zt_l7_copy_str(e->rec.db_namespace, sizeof(e->rec.db_namespace), c->db, strlen(c->db));
}

/* SQL text from p[off..n) of a payload of len bytes. */
static void mysql_set_query(struct zt_l7_record *r, const uint8_t *p, size_t n, size_t off,
			    uint64_t len)
{
	bool cut;

	if (off > n)
		off = n;
	cut = zt_l7_copy_str(r->db_query, sizeof(r->db_query), p + off, n - off);
	r->db_query_truncated = cut || n < len;
}

/*
 * A binary-protocol value at *off (query attributes). For string-like types *s and *slen
 * give the value. False when it does not fit in n bytes.
 */
static bool mysql_skip_value(const uint8_t *p, size_t n, size_t *off, uint8_t type,
			     const uint8_t **s, uint64_t *slen)
{
	uint64_t len;
	size_t o = *off;

	*s = NULL;
	switch (type) {
	case 0x06:		/* NULL */
		len = 0;
		break;
	case 0x01:		/* TINY */
		len = 1;
		break;
	case 0x02:		/* SHORT */
	case 0x0d:		/* YEAR */
		len = 2;
		break;
	case 0x03:		/* LONG */
	case 0x04:		/* FLOAT */
	case 0x09:		/* INT24 */
		len = 4;
		break;
	case 0x05:		/* DOUBLE */
	case 0x08:		/* LONGLONG */
		len = 8;
		break;
	case 0x07:		/* TIMESTAMP */
	case 0x0a:		/* DATE */
	case 0x0b:		/* TIME */
	case 0x0c:		/* DATETIME */
		if (o >= n)
			return false;
		len = p[o++];
		break;
	default:		/* strings, decimals, blobs, JSON */
		if (!mysql_lenenc(p, n, &o, &len))
			return false;
		*s = p + o;
		*slen = len;
		break;
	}
	if (len > n - o)
		return false;
	*off = o + len;
	return true;
}

/*
 * COM_QUERY with CLIENT_QUERY_ATTRIBUTES: parameter count, parameter set count, and for
 * attributes a null bitmap, a types flag, each type and name, the non-null values; then
 * the SQL text. Returns the text's offset, 0 when the prefix does not fit. A "traceparent"
 * attribute fills the record's.
 */
static size_t mysql_query_attrs(struct zt_l7_record *r, const uint8_t *p, size_t n)
{
	size_t off = 1, nulls, toff, voff;
	uint64_t count, sets, nlen, slen = 0;
	const uint8_t *s;

	if (!mysql_lenenc(p, n, &off, &count) || !mysql_lenenc(p, n, &off, &sets))
		return 0;
	if (!count)
		return off;
	if (count > n || (count + 7) / 8 >= n - off)
		return 0;
	nulls = off;
	off += (size_t)(count + 7) / 8;
	if (p[off++] != 1)
		return 0;	/* values without types cannot be skipped */
	toff = off;
	for (uint64_t i = 0; i < count; i++) {
		off += 2;
		if (!mysql_lenenc(p, n, &off, &nlen) || nlen > n - off)
			return 0;
		off += (size_t)nlen;
	}
	voff = off;
	for (uint64_t i = 0; i < count; i++) {
		uint8_t type = p[toff];
		const uint8_t *name;

		toff += 2;
		mysql_lenenc(p, n, &toff, &nlen);
		name = p + toff;
		toff += (size_t)nlen;
		if (p[nulls + i / 8] & (1u << (i % 8)))
			continue;
		if (!mysql_skip_value(p, n, &voff, type, &s, &slen))
			return 0;
		if (s && mysql_is_name("traceparent", name, nlen))
			zt_l7_copy_str(r->traceparent, sizeof(r->traceparent), s, (size_t)slen);
	}
	return voff;
}

/* Does this COM_QUERY start with query attributes? Guessed when capabilities are unknown. */
static bool mysql_has_attrs(const struct mysql_conn *c, const uint8_t *p, size_t n)
{
	if (c->query_attrs >= 0)
		return c->query_attrs;
	/* SQL text does not start with a control byte and 0x01 (the parameter set count). */
	return n >= 3 && p[1] < 0x20 && p[1] != '\t' && p[1] != '\n' && p[1] != '\r' &&
	       p[2] == 0x01;
}

static void mysql_arg_query(struct mysql_conn *c, struct mysql_entry *e, const uint8_t *p,
			    size_t n, uint64_t len)
{
	size_t off = 1;

	if (mysql_has_attrs(c, p, n)) {
		off = mysql_query_attrs(&e->rec, p, n);
		if (!off) {
			e->rec.db_query_truncated = true;
			return;
		}
	}
	mysql_set_query(&e->rec, p, n, off, len);
}

/* COM_INIT_DB: reported as "USE <schema>"; the schema is current once the server agrees. */
static void mysql_arg_schema(struct mysql_entry *e, const uint8_t *p, size_t n, uint64_t len)
{
	struct zt_l7_record *r = &e->rec;
	int w;

	w = snprintf(r->db_query, sizeof(r->db_query), "USE %.*s", (int)(n - 1),
		     (const char *)p + 1);
	r->db_query_truncated = n < len || w >= (int)sizeof(r->db_query) ||
				memchr(p + 1, 0, n - 1) != NULL;
	zt_l7_copy_str(e->new_db, sizeof(e->new_db), p + 1, n - 1);
	e->set_db = n == len;
}

/* Skip the auth data of a HandshakeResponse41 or COM_CHANGE_USER; false when cut. */
static bool mysql_skip_auth(const uint8_t *p, size_t n, size_t *off, uint32_t caps)
{
	uint64_t alen;
	long z;

	if (caps & MYSQL_CAP_PLUGIN_AUTH_LENENC) {
		if (!mysql_lenenc(p, n, off, &alen))
			return false;
	} else if (caps & MYSQL_CAP_SECURE_CONNECTION) {
		if (*off >= n)
			return false;
		alen = p[(*off)++];
	} else {
		z = mysql_cstr(p, n, *off);
		if (z < 0)
			return false;
		alen = (uint64_t)z + 1;
	}
	if (alen > n - *off)
		return false;
	*off += (size_t)alen;
	return true;
}

/* The database a login names, from *off on: new_db and set_db, or nothing when cut. */
static void mysql_login_db(struct mysql_entry *e, const uint8_t *p, size_t n, size_t off,
			   bool with_db)
{
	long dlen = with_db ? mysql_cstr(p, n, off) : 0;

	if (dlen < 0)
		return;
	zt_l7_copy_str(e->new_db, sizeof(e->new_db), p + off, (size_t)dlen);
	zt_l7_copy_str(e->rec.db_namespace, sizeof(e->rec.db_namespace), e->new_db,
		       strlen(e->new_db));
	e->set_db = true;
}

/* COM_CHANGE_USER: user, auth data (4.1 style unless told otherwise), database. */
static void mysql_arg_change_user(struct mysql_conn *c, struct mysql_entry *e, const uint8_t *p,
				  size_t n)
{
	uint32_t caps = c->client_caps_known ? c->client_caps : MYSQL_CAP_SECURE_CONNECTION;
	long ulen = mysql_cstr(p, n, 1);
	size_t off;

	if (ulen < 0)
		return;
	off = 1 + (size_t)ulen + 1;
	/* Its auth data is never length-encoded: a one-byte length under 4.1 auth. */
	if (!mysql_skip_auth(p, n, &off, caps & ~MYSQL_CAP_PLUGIN_AUTH_LENENC))
		return;
	mysql_login_db(e, p, n, off, true);
}

/* COM_STMT_CLOSE: the statement is gone (no response). */
static void mysql_stmt_close(struct mysql_conn *c, const uint8_t *p, size_t n)
{
	int i;

	if (n < 5)
		return;
	i = mysql_stmt_index(c, mysql_u32(p + 1));
	if (i >= 0)
		mysql_stmt_forget(c, (uint32_t)i);
}

static void mysql_command_args(struct mysql_conn *c, struct mysql_entry *e, uint8_t arg)
{
	const struct mysql_dir *d = &c->d[ZT_L7_EGRESS];
	const uint8_t *p = d->buf;
	size_t n = d->kept;

	switch (arg) {
	case MYSQL_ARG_QUERY:
		mysql_arg_query(c, e, p, n, d->len);
		break;
	case MYSQL_ARG_SQL:
		mysql_set_query(&e->rec, p, n, 1, d->len);
		break;
	case MYSQL_ARG_SCHEMA:
		mysql_arg_schema(e, p, n, d->len);
		break;
	case MYSQL_ARG_STMT:
		e->stmt_pending = true;
		if (n >= 5) {
			e->stmt_id = mysql_u32(p + 1);
			mysql_stmt_fill(c, e);
		}
		break;
	case MYSQL_ARG_CHANGE_USER:
		mysql_arg_change_user(c, e, p, n);
		break;
	}
}

/* A command packet (sequence id 0). */
static int mysql_command(struct mysql_conn *c, const struct zt_chunk_meta *m,
			 const struct zt_l7_sink *sink)
{
	const struct mysql_dir *d = &c->d[ZT_L7_EGRESS];
	const struct mysql_cmd_info *ci;
	struct mysql_entry *e;
	uint8_t cmd;

	c->cphase = MYSQL_CP_CMD;
	c->infile = false;
	if (!d->len)
		return 0;	/* an empty packet is no command */
	cmd = d->buf[0];
	ci = &mysql_cmds[cmd];
	if (ci->op && ci->resp == MYSQL_RESP_NONE) {
		if (cmd == MYSQL_COM_STMT_CLOSE)
			mysql_stmt_close(c, d->buf, d->kept);
		return 0;
	}
	e = mysql_reserve(c, d->first_seq, sink);
	if (!e)
		return -1;
	e->cmd = cmd;
	mysql_entry_request(c, e, m);
	if (ci->op)
		zt_l7_copy_str(e->rec.db_operation, sizeof(e->rec.db_operation), ci->op,
			       strlen(ci->op));
	else
		snprintf(e->rec.db_operation, sizeof(e->rec.db_operation), "COM_0x%02x", cmd);
	/* A prepare is bookkeeping for later executes: reported only when it fails. */
	if (cmd == MYSQL_COM_STMT_PREPARE) {
		e->record = false;
		memcpy(e->rec.db_operation, "PREPARE", sizeof("PREPARE"));
	}
	mysql_command_args(c, e, ci->arg);
	zt_fifo_commit(&c->q);
	if (e->record && sink && sink->request_head)
		sink->request_head(sink->ctx, &e->rec);
	return 0;
}

/*
 * HandshakeResponse41 (or 320): capabilities and the database asked for. A short one with
 * CLIENT_SSL is an SSL request, and compression changes the framing: both end parsing.
 */
static int mysql_handshake_response(struct mysql_conn *c, const struct zt_chunk_meta *m,
				    const struct zt_l7_sink *sink)
{
	const struct mysql_dir *d = &c->d[ZT_L7_EGRESS];
	const uint8_t *p = d->buf;
	size_t n = d->kept, off;
	struct mysql_entry *e;
	uint32_t caps;
	long ulen;

	c->cphase = MYSQL_CP_AUTH;
	if (n < 4)
		return 0;
	caps = mysql_u16(p);
	if (caps & MYSQL_CAP_PROTOCOL_41)
		caps = mysql_u32(p);
	if ((caps & MYSQL_CAP_SSL) && d->len <= 32) {
		mysql_stop(c);
		return 0;
	}
	if (caps & (MYSQL_CAP_COMPRESS | MYSQL_CAP_ZSTD) &
	    (c->server_caps_known ? c->server_caps : ~0u)) {
		mysql_stop(c);	/* counted as encrypted: the payloads are unreadable alike */
		return 0;
	}
	c->client_caps = caps;
	c->client_caps_known = true;
	mysql_caps_update(c);
	e = mysql_reserve(c, d->first_seq, sink);
	if (!e)
		return -1;
	e->connect = true;
	e->record = false;
	mysql_entry_request(c, e, m);
	memcpy(e->rec.db_operation, "CONNECT", sizeof("CONNECT"));
	zt_fifo_commit(&c->q);
	/* 4.1: caps, max packet, charset, 23 reserved bytes; 3.20: caps and max packet. */
	off = caps & MYSQL_CAP_PROTOCOL_41 ? 32 : 5;
	ulen = mysql_cstr(p, n, off);
	if (ulen < 0)
		return 0;
	off += (size_t)ulen + 1;
	if (!(caps & MYSQL_CAP_PROTOCOL_41))
		caps &= ~(MYSQL_CAP_SECURE_CONNECTION | MYSQL_CAP_PLUGIN_AUTH_LENENC);
	if (!mysql_skip_auth(p, n, &off, caps))
		return 0;
	mysql_login_db(e, p, n, off, caps & MYSQL_CAP_CONNECT_WITH_DB);
	return 0;
}

/* A client packet that is no command: authentication or LOCAL INFILE data. */
static void mysql_continuation(struct mysql_conn *c, const struct zt_chunk_meta *m)
{
	const struct mysql_dir *d = &c->d[ZT_L7_EGRESS];
	struct mysql_entry *e;

	if (!zt_fifo_count(&c->q))
		return;
	e = mysql_slot(c, zt_fifo_count(&c->q) - 1);
	e->rec.req_last = *m;
	e->rec.req_body_bytes += d->len;
	/* The file ends with an empty packet; its packets may take the ids round to 0. */
	c->infile = !e->connect && e->cmd == MYSQL_COM_QUERY && d->len > 0;
}

/* Defined with the server side; a command is what confirms a lost response's end. */
static void mysql_tail_confirm(struct mysql_conn *c, const struct zt_l7_sink *sink);

static int mysql_client_packet(struct mysql_conn *c, const struct zt_chunk_meta *m,
			       const struct zt_l7_sink *sink)
{
	const struct mysql_dir *d = &c->d[ZT_L7_EGRESS];
	bool infile_data = c->infile && d->seq == (uint8_t)(c->client_seq + 1);
	int rc = 0;

	if (c->cphase == MYSQL_CP_START && d->seq == 1) {
		rc = mysql_handshake_response(c, m, sink);
	} else if (d->seq == 0 && !infile_data) {
		mysql_tail_confirm(c, sink);
		rc = mysql_command(c, m, sink);
	} else {
		mysql_continuation(c, m);
	}
	c->client_seq = d->last_seq;
	return rc;
}

/* ---- server packets ---- */

/* Greeting (protocol 10): the server's capabilities. */
static void mysql_greeting(struct mysql_conn *c, const struct mysql_pkt *pk)
{
	long vlen = mysql_cstr(pk->p, pk->n, 1);
	size_t off;
	uint32_t caps;

	if (vlen < 0)
		return;
	off = 1 + (size_t)vlen + 1 + 4 + 8 + 1;	/* version, thread id, scramble, filler */
	if (off + 2 > pk->n)
		return;
	caps = mysql_u16(pk->p + off);
	off += 2 + 1 + 2;	/* charset, status */
	if (off + 2 <= pk->n)
		caps |= mysql_u16(pk->p + off) << 16;
	c->server_caps = caps;
	c->server_caps_known = true;
	mysql_caps_update(c);
}

static bool mysql_is_sqlstate(const uint8_t *p)
{
	for (int i = 0; i < 5; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'A' && p[i] <= 'Z')))
			return false;
	return true;
}

/* ERR packet: error number, SQLSTATE (4.1), message. */
static void mysql_err(struct zt_l7_record *r, const struct mysql_pkt *pk)
{
	const uint8_t *p = pk->p;
	size_t off = 3;

	r->db_failed = true;
	if (pk->n < 3)
		return;
	snprintf(r->db_status, sizeof(r->db_status), "%u", mysql_u16(p + 1));
	if (pk->n >= 9 && p[3] == '#' && mysql_is_sqlstate(p + 4)) {
		zt_l7_copy_str(r->db_sqlstate, sizeof(r->db_sqlstate), p + 4, 5);
		off = 9;
	}
	zt_l7_copy_str(r->db_error, sizeof(r->db_error), p + off, pk->n - off);
}

/* Session state changes: a new current schema (USE in SQL, CHANGE_USER, login). */
static void mysql_session_state(struct mysql_conn *c, const uint8_t *p, size_t n)
{
	size_t off = 0, doff;
	uint64_t len, slen;
	uint8_t type;

	while (off < n) {
		type = p[off++];
		if (!mysql_lenenc(p, n, &off, &len) || len > n - off)
			return;
		doff = off;
		if (type == MYSQL_SESSION_TRACK_SCHEMA &&
		    mysql_lenenc(p, off + (size_t)len, &doff, &slen) && slen <= off + len - doff)
			zt_l7_copy_str(c->db, sizeof(c->db), p + doff, (size_t)slen);
		off += (size_t)len;
	}
}

/* An OK packet's fixed part: affected rows, insert id, status, warnings; *off after it. */
static bool mysql_ok_fixed(const uint8_t *p, size_t n, size_t *off, uint64_t *affected,
			   uint32_t *status)
{
	uint64_t insert_id;

	*off = 1;
	if (!mysql_lenenc(p, n, off, affected) || !mysql_lenenc(p, n, off, &insert_id) ||
	    *off + 4 > n)
		return false;
	*status = mysql_u16(p + *off);
	*off += 4;
	return true;
}

/*
 * OK packet (0x00, or 0xfe ending a result set under DEPRECATE_EOF): affected rows and
 * status; session tracking may name a new current schema. False when cut short.
 */
static bool mysql_ok(struct mysql_conn *c, const struct mysql_pkt *pk, uint64_t *affected,
		     uint32_t *status)
{
	const uint8_t *p = pk->p;
	size_t n = pk->n, off;
	uint64_t info_len, state_len;

	if (!mysql_ok_fixed(p, n, &off, affected, status))
		return false;
	if (!(*status & MYSQL_SERVER_STATE_CHANGED))
		return true;
	if (!mysql_lenenc(p, n, &off, &info_len) || info_len > n - off)
		return true;
	off += (size_t)info_len;
	if (mysql_lenenc(p, n, &off, &state_len))
		mysql_session_state(c, p + off, state_len < n - off ? (size_t)state_len : n - off);
	return true;
}

/* Status flags of a packet ending a result set: EOF (5 bytes) or OK layout. */
static uint32_t mysql_end_status(struct mysql_conn *c, const struct mysql_pkt *pk)
{
	uint64_t affected;
	uint32_t status = 0;

	if (pk->len < 7)
		return pk->n >= 5 ? mysql_u16(pk->p + 3) : 0;
	mysql_ok(c, pk, &affected, &status);
	return status;
}

static bool mysql_is_end(const struct mysql_pkt *pk)
{
	return pk->first == 0xfe && pk->len < MYSQL_PKT_FULL;
}

/* An EOF right after definitions? Without DEPRECATE_EOF known, a short 0xfe packet is one. */
static bool mysql_is_defs_eof(const struct mysql_conn *c, const struct mysql_pkt *pk)
{
	if (c->deprecate_eof == 1 || pk->first != 0xfe)
		return false;
	return pk->len < (c->deprecate_eof == 0 ? 9u : 7u);
}

static void mysql_learn_eof(struct mysql_conn *c, bool sends_eof)
{
	if (c->deprecate_eof < 0)
		c->deprecate_eof = !sends_eof;
}

/* A row, or what ends the rows: EOF/OK (maybe more result sets) or ERR. */
static int mysql_row(struct mysql_conn *c, struct mysql_entry *e, const struct mysql_pkt *pk)
{
	if (pk->first == 0xff) {
		mysql_err(&e->rec, pk);
		return MYSQL_STEP_DONE;
	}
	if (!mysql_is_end(pk)) {
		mysql_add_rows(&e->rec, 1);
		return MYSQL_STEP_MORE;
	}
	mysql_add_rows(&e->rec, 0);
	if (mysql_end_status(c, pk) & MYSQL_SERVER_MORE_RESULTS) {
		c->resp.st = MYSQL_RS_FIRST;
		return MYSQL_STEP_MORE;
	}
	return MYSQL_STEP_DONE;
}

/* First packet of a response to COM_QUERY / COM_STMT_EXECUTE, or of a further result set. */
static int mysql_first(struct mysql_conn *c, struct mysql_entry *e, const struct mysql_pkt *pk)
{
	uint64_t cols, affected;
	uint32_t status = 0;
	size_t off = 0;

	switch (pk->first) {
	case 0x00:
		if (mysql_ok(c, pk, &affected, &status))
			mysql_add_rows(&e->rec, affected);
		return status & MYSQL_SERVER_MORE_RESULTS ? MYSQL_STEP_MORE : MYSQL_STEP_DONE;
	case 0xff:
		mysql_err(&e->rec, pk);
		return MYSQL_STEP_DONE;
	case 0xfb:
		return MYSQL_STEP_MORE;	/* LOCAL INFILE: the file goes up, then OK or ERR */
	case 0xfe:
		return mysql_end_status(c, pk) & MYSQL_SERVER_MORE_RESULTS ? MYSQL_STEP_MORE :
									      MYSQL_STEP_DONE;
	}
	if (!mysql_lenenc(pk->p, pk->n, &off, &cols) || !cols || cols > MYSQL_COLS_MAX)
		return MYSQL_STEP_LOST;
	/* MariaDB cache-metadata / MySQL optional-metadata flag: 0 = no definitions follow. */
	if (pk->len == off + 1 && pk->n > off && !pk->p[off])
		cols = 0;
	c->resp.defs = (uint32_t)cols;
	c->resp.st = cols ? MYSQL_RS_COLDEFS : MYSQL_RS_COLS_END;
	return MYSQL_STEP_MORE;
}

static int mysql_cols_end(struct mysql_conn *c, struct mysql_entry *e, const struct mysql_pkt *pk)
{
	if (mysql_is_defs_eof(c, pk)) {
		mysql_learn_eof(c, true);
		c->resp.st = MYSQL_RS_ROWS;
		/* A cursor was opened: rows come with COM_STMT_FETCH. */
		if (mysql_end_status(c, pk) & MYSQL_SERVER_CURSOR_EXISTS) {
			mysql_add_rows(&e->rec, 0);
			return MYSQL_STEP_DONE;
		}
		return MYSQL_STEP_MORE;
	}
	mysql_learn_eof(c, false);
	c->resp.st = MYSQL_RS_ROWS;
	return mysql_row(c, e, pk);
}

/* One simple answer: OK, ERR or EOF. */
static int mysql_simple(struct mysql_conn *c, struct mysql_entry *e, const struct mysql_pkt *pk)
{
	uint64_t affected;
	uint32_t status;

	if (pk->first == 0x00 && mysql_ok(c, pk, &affected, &status))
		mysql_add_rows(&e->rec, affected);
	else if (pk->first == 0xff)
		mysql_err(&e->rec, pk);
	return MYSQL_STEP_DONE;
}

static int mysql_auth(struct mysql_conn *c, struct mysql_entry *e, const struct mysql_pkt *pk)
{
	uint64_t affected;
	uint32_t status;

	if (pk->first == 0x00) {
		mysql_ok(c, pk, &affected, &status);
		return MYSQL_STEP_DONE;
	}
	if (pk->first == 0xff) {
		mysql_err(&e->rec, pk);
		return MYSQL_STEP_DONE;
	}
	return MYSQL_STEP_MORE;	/* auth switch (0xfe), more data (0x01) */
}

/* STMT_PREPARE_OK: statement id, columns, parameters, then their definitions. */
static int mysql_prep_ok(struct mysql_conn *c, struct mysql_entry *e, const struct mysql_pkt *pk)
{
	struct mysql_resp *r = &c->resp;
	uint32_t params;

	if (pk->first == 0xff) {
		mysql_err(&e->rec, pk);
		return MYSQL_STEP_DONE;
	}
	if (pk->first != 0x00 || pk->n < 9)
		return MYSQL_STEP_LOST;
	mysql_stmt_add(c, mysql_u32(pk->p + 1), &e->rec);
	r->prep_cols = (uint16_t)mysql_u16(pk->p + 5);
	params = mysql_u16(pk->p + 7);
	/* MySQL's optional metadata: a trailing 0 says no definitions follow. */
	if (pk->len >= 13 && pk->n >= 13 && !pk->p[12])
		r->prep_cols = params = 0;
	if (params) {
		r->defs = params;
		r->st = MYSQL_RS_PREP_PARAMS;
		return MYSQL_STEP_MORE;
	}
	if (r->prep_cols) {
		r->defs = r->prep_cols;
		r->st = MYSQL_RS_PREP_COLS;
		return MYSQL_STEP_MORE;
	}
	return MYSQL_STEP_DONE;
}

/* After a block of definitions: wait for its EOF, or go on when DEPRECATE_EOF drops it. */
static int mysql_prep_block_end(struct mysql_conn *c, uint8_t eof_st)
{
	struct mysql_resp *r = &c->resp;

	if (c->deprecate_eof != 1) {
		r->st = eof_st;
		return MYSQL_STEP_MORE;
	}
	if (eof_st == MYSQL_RS_PREP_PARAMS_END && r->prep_cols) {
		r->defs = r->prep_cols;
		r->st = MYSQL_RS_PREP_COLS;
		return MYSQL_STEP_MORE;
	}
	return MYSQL_STEP_DONE;
}

/*
 * Where an EOF may follow definitions of a prepare and DEPRECATE_EOF is unknown: an EOF
 * continues this response's sequence ids; anything else is a column definition (params
 * block) or the next response.
 */
static bool mysql_prep_eof(struct mysql_conn *c, const struct mysql_pkt *pk)
{
	bool eof = mysql_is_defs_eof(c, pk) &&
		   (c->deprecate_eof == 0 || pk->seq == c->resp.next_seq);

	mysql_learn_eof(c, eof);
	return eof;
}

static int mysql_prep_defs(struct mysql_conn *c, struct mysql_entry *e, const struct mysql_pkt *pk)
{
	struct mysql_resp *r = &c->resp;

	switch (r->st) {
	case MYSQL_RS_PREP_PARAMS:
		if (--r->defs)
			return MYSQL_STEP_MORE;
		return mysql_prep_block_end(c, MYSQL_RS_PREP_PARAMS_END);
	case MYSQL_RS_PREP_COLS:
		if (--r->defs)
			return MYSQL_STEP_MORE;
		return mysql_prep_block_end(c, MYSQL_RS_PREP_COLS_END);
	case MYSQL_RS_PREP_PARAMS_END:
		if (mysql_prep_eof(c, pk)) {
			if (!r->prep_cols)
				return MYSQL_STEP_DONE;
			r->defs = r->prep_cols;
			r->st = MYSQL_RS_PREP_COLS;
			return MYSQL_STEP_MORE;
		}
		if (!r->prep_cols)
			return MYSQL_STEP_AGAIN;
		r->defs = r->prep_cols;
		r->st = MYSQL_RS_PREP_COLS;
		return mysql_prep_defs(c, e, pk);
	default:	/* MYSQL_RS_PREP_COLS_END */
		return mysql_prep_eof(c, pk) ? MYSQL_STEP_DONE : MYSQL_STEP_AGAIN;
	}
}

/* MariaDB progress report: an ERR with number 0xffff, before the real answer. */
static bool mysql_is_progress(const struct mysql_pkt *pk)
{
	return pk->first == 0xff && pk->n >= 3 && mysql_u16(pk->p + 1) == 0xffff;
}

static int mysql_resp_step(struct mysql_conn *c, struct mysql_entry *e, const struct mysql_pkt *pk)
{
	struct mysql_resp *r = &c->resp;

	if (mysql_is_progress(pk) && r->st != MYSQL_RS_AUTH)
		return MYSQL_STEP_MORE;
	switch (r->st) {
	case MYSQL_RS_FIRST:
		return mysql_first(c, e, pk);
	case MYSQL_RS_COLDEFS:
		if (!--r->defs)
			r->st = MYSQL_RS_COLS_END;
		return MYSQL_STEP_MORE;
	case MYSQL_RS_COLS_END:
		return mysql_cols_end(c, e, pk);
	case MYSQL_RS_ROWS:
		return mysql_row(c, e, pk);
	case MYSQL_RS_SIMPLE:
		return mysql_simple(c, e, pk);
	case MYSQL_RS_STRING:
		return MYSQL_STEP_DONE;
	case MYSQL_RS_FIELDS:
		if (pk->first == 0xff)
			mysql_err(&e->rec, pk);
		return pk->first == 0xff || mysql_is_end(pk) ? MYSQL_STEP_DONE : MYSQL_STEP_MORE;
	case MYSQL_RS_AUTH:
		return mysql_auth(c, e, pk);
	case MYSQL_RS_PREP_OK:
		return mysql_prep_ok(c, e, pk);
	default:
		return mysql_prep_defs(c, e, pk);
	}
}

static uint8_t mysql_resp_start_st(const struct mysql_entry *e)
{
	static const uint8_t start[] = {
		[MYSQL_RESP_RESULT] = MYSQL_RS_FIRST,
		[MYSQL_RESP_SIMPLE] = MYSQL_RS_SIMPLE,
		[MYSQL_RESP_STRING] = MYSQL_RS_STRING,
		[MYSQL_RESP_PREPARE] = MYSQL_RS_PREP_OK,
		[MYSQL_RESP_ROWS] = MYSQL_RS_ROWS,
		[MYSQL_RESP_FIELDS] = MYSQL_RS_FIELDS,
		[MYSQL_RESP_AUTH] = MYSQL_RS_AUTH,
	};
	const struct mysql_cmd_info *ci = &mysql_cmds[e->cmd];

	if (e->connect)
		return MYSQL_RS_AUTH;
	return ci->op ? start[ci->resp] : MYSQL_RS_FIRST;
}

/*
 * The packet starting at feed call first_seq with sequence id seq answers the FIFO head,
 * or the server side has lost track: nothing pending, or the head came later.
 */
static bool mysql_resp_begin(struct mysql_conn *c, const struct mysql_pkt *pk)
{
	const struct mysql_dir *d = &c->d[ZT_L7_INGRESS];
	struct mysql_entry *e;

	if (!zt_fifo_count(&c->q))
		return false;
	e = mysql_slot(c, 0);
	if (e->start_seq >= d->first_seq || pk->seq != e->resp_seq)
		return false;
	e->bound = true;
	e->rec.has_response = true;
	e->rec.resp_first = d->first;
	if (!e->connect)
		zt_l7_copy_str(e->rec.db_namespace, sizeof(e->rec.db_namespace), c->db,
			       strlen(c->db));
	if (e->stmt_pending)
		mysql_stmt_fill(c, e);
	c->resp.st = mysql_resp_start_st(e);
	c->resp.defs = 0;
	c->resp.prep_cols = 0;
	c->resp_active = true;
	return true;
}

/* The head's response is complete: apply what it changed, report it, pop it. */
static void mysql_resp_done(struct mysql_conn *c, const struct zt_chunk_meta *m,
			    const struct zt_l7_sink *sink)
{
	struct mysql_entry *e = mysql_slot(c, 0);

	e->rec.resp_last = *m;
	if (!e->rec.db_failed) {
		if (e->set_db)
			memcpy(c->db, e->new_db, sizeof(c->db));
		if (!e->connect &&
		    (e->cmd == MYSQL_COM_RESET_CONNECTION || e->cmd == MYSQL_COM_CHANGE_USER))
			mysql_stmt_clear(c);
	}
	if (e->record || e->rec.db_failed)
		mysql_entry_emit(e, sink);
	mysql_pop(c);
}

/* The server's first packet: greeting, or an ERR refusing the connection. */
static int mysql_server_hello(struct mysql_conn *c, const struct mysql_pkt *pk,
			      const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	const struct mysql_dir *d = &c->d[ZT_L7_INGRESS];
	struct mysql_entry *e;

	if (pk->first != 0xff) {
		if (pk->first == 0x0a)
			mysql_greeting(c, pk);
		return 0;	/* protocol 9 tells no capabilities */
	}
	/* "Too many connections", "Host is not allowed": no request, one record. */
	e = mysql_reserve(c, d->first_seq, sink);
	if (!e)
		return -1;
	memcpy(e->rec.db_operation, "CONNECT", sizeof("CONNECT"));
	e->rec.req_first = e->rec.req_last = e->rec.resp_first = d->first;
	e->rec.resp_last = *m;
	e->rec.has_response = true;
	e->rec.resp_body_bytes = pk->len;
	mysql_err(&e->rec, pk);
	mysql_emit(&e->rec, sink);
	return 0;
}

static int mysql_server_packet(struct mysql_conn *c, const struct zt_chunk_meta *m,
			       const struct zt_l7_sink *sink)
{
	const struct mysql_dir *d = &c->d[ZT_L7_INGRESS];
	struct mysql_pkt pk = {
		.p = d->buf, .n = d->kept, .len = d->len, .seq = d->seq,
		.first = d->len ? d->buf[0] : -1,
	};
	struct mysql_entry *e;
	int step;

	if (!c->server_pkts++ && pk.seq == 0 &&
	    (pk.first == 0x0a || pk.first == 0x09 || pk.first == 0xff))
		return mysql_server_hello(c, &pk, m, sink);
	for (;;) {
		if (!c->resp_active && !mysql_resp_begin(c, &pk)) {
			mysql_server_lost(c, c->seq);
			return 0;
		}
		e = mysql_slot(c, 0);
		step = mysql_resp_step(c, e, &pk);
		if (step == MYSQL_STEP_LOST) {
			mysql_server_lost(c, c->seq);
			return 0;
		}
		if (step == MYSQL_STEP_AGAIN) {
			mysql_resp_done(c, m, sink);
			continue;
		}
		e->rec.resp_body_bytes += pk.len;
		e->rec.resp_last = *m;
		c->resp.next_seq = (uint8_t)(d->last_seq + 1);
		if (step == MYSQL_STEP_DONE)
			mysql_resp_done(c, m, sink);
		return 0;
	}
}

/* ---- the end of a response whose framing was lost ---- */

/*
 * Does this payload end a response: an EOF, an OK (0xfe ending rows under DEPRECATE_EOF,
 * or 0x00 there) or a 4.1 ERR, with no further result set announced?
 */
static bool mysql_tail_is_end(const struct mysql_conn *c, const uint8_t *p, size_t n)
{
	uint64_t affected;
	uint32_t status;
	size_t off;

	switch (p[0]) {
	case 0xff:	/* no progress report; '#' and the SQLSTATE make chance unlikely */
		return n >= 9 && mysql_u16(p + 1) != 0xffff && p[3] == '#' &&
		       mysql_is_sqlstate(p + 4);
	case 0xfe:
		/* The EOF and OK layouts told apart as mysql_end_status() does. */
		if (c->deprecate_eof != 1 && n >= 5 && n < (c->deprecate_eof == 0 ? 9u : 7u)) {
			status = mysql_u16(p + 3);
			break;
		}
		if (c->deprecate_eof == 0 || !mysql_ok_fixed(p, n, &off, &affected, &status))
			return false;
		break;
	case 0x00:
		if (c->deprecate_eof != 1 || !mysql_ok_fixed(p, n, &off, &affected, &status))
			return false;
		break;
	default:
		return false;
	}
	return !(status & MYSQL_SERVER_MORE_RESULTS);
}

/* A whole packet, header included, ending where the kept bytes end, that ends a response. */
static bool mysql_tail_find(struct mysql_conn *c)
{
	for (size_t len = 1; len + MYSQL_HDR_LEN <= c->tail_len; len++) {
		size_t at = c->tail_len - len - MYSQL_HDR_LEN;

		if (mysql_u24(c->tail + at) != len ||
		    !mysql_tail_is_end(c, c->tail + at + MYSQL_HDR_LEN, len))
			continue;
		c->end_off = (uint16_t)(at + MYSQL_HDR_LEN);
		return true;
	}
	return false;
}

/* Server bytes while lost after a gap: keep the last ones, see whether they end a response. */
static void mysql_tail_add(struct mysql_conn *c, const uint8_t *p, size_t n,
			   const struct zt_chunk_meta *m)
{
	size_t drop;

	if (!c->tail_on)
		return;
	if (n >= MYSQL_TAIL_MAX) {
		p += n - MYSQL_TAIL_MAX;
		n = MYSQL_TAIL_MAX;
	}
	if (c->tail_len + n > MYSQL_TAIL_MAX) {
		drop = c->tail_len + n - MYSQL_TAIL_MAX;
		memmove(c->tail, c->tail + drop, c->tail_len - drop);
		c->tail_len -= (uint16_t)drop;
	}
	memcpy(c->tail + c->tail_len, p, n);
	c->tail_len += (uint16_t)n;
	c->tail_end = mysql_tail_find(c);
	c->end_meta = *m;
}

/*
 * The kept server bytes can end the lost response no more: a command came, or client bytes
 * were lost where one may have begun (then a later response's end would pass for its end).
 */
static void mysql_tail_drop(struct mysql_conn *c)
{
	c->tail_on = false;
	c->tail_end = false;
}

/* Responses made of rows or definitions that such a packet ends; not the handshake. */
static bool mysql_tail_fits(const struct mysql_entry *e)
{
	if (e->connect)
		return false;
	switch (mysql_resp_start_st(e)) {
	case MYSQL_RS_FIRST:
	case MYSQL_RS_FIELDS:
		return true;
	case MYSQL_RS_ROWS:
		return e->cmd == MYSQL_COM_STMT_FETCH;	/* binlog streams do not end */
	}
	return false;
}

/*
 * The client sent a command (or closed): it had read the whole response. If the server
 * bytes since the gap ended with the response's last packet, the command it answered is
 * complete: the only one waiting, sent before the gap, its response begun. Its rows went by
 * uncounted. Either way the bytes kept are done with: what comes next answers the command.
 */
static void mysql_tail_confirm(struct mysql_conn *c, const struct zt_l7_sink *sink)
{
	bool end = c->lost && c->tail_on && c->tail_end;
	struct mysql_entry *e = zt_fifo_count(&c->q) ? mysql_slot(c, 0) : NULL;
	struct mysql_pkt pk;
	uint64_t affected;
	uint32_t status;

	mysql_tail_drop(c);
	if (!end || zt_fifo_count(&c->q) != 1 || !e->bound || e->start_seq > c->lost_at ||
	    !mysql_tail_fits(e))
		return;
	pk.p = c->tail + c->end_off;
	pk.n = pk.len = (size_t)(c->tail_len - c->end_off);
	pk.seq = c->tail[c->end_off - 1];
	pk.first = pk.p[0];
	if (pk.first == 0xff)
		mysql_err(&e->rec, &pk);
	else if (pk.len >= 7 && c->deprecate_eof != 0)
		mysql_ok(c, &pk, &affected, &status);	/* session state: a new schema */
	e->rec.db_rows = -1;
	e->rec.resp_body_bytes += pk.len;
	c->lost = false;
	zt_l7_stats.resyncs++;
	mysql_resp_done(c, &c->end_meta, sink);
}

/* ---- framing ---- */

static void mysql_pkt_begin(struct mysql_conn *c, int dir, const uint8_t *p,
			    const struct zt_chunk_meta *m)
{
	struct mysql_dir *d = &c->d[dir];

	d->first = *m;
	d->first_seq = c->seq;
	d->first_pos = d->pos + (uint64_t)(p - d->chunk);
	d->len = 0;
	d->kept = 0;
	d->cut = false;
}

static void mysql_keep(struct mysql_dir *d, const uint8_t *p, size_t n)
{
	size_t room = d->cap - d->kept;

	if (d->cut)
		return;
	if (n > room)
		n = room;
	memcpy(d->buf + d->kept, p, n);
	d->kept += (uint32_t)n;
}

/* A packet's last payload byte went by: maybe the logical packet is complete. */
static int mysql_phys_end(struct mysql_conn *c, int dir, const struct zt_chunk_meta *m,
			  const struct zt_l7_sink *sink)
{
	struct mysql_dir *d = &c->d[dir];

	d->in_body = false;
	if (d->more)
		return 0;
	if (dir == ZT_L7_EGRESS)
		return mysql_client_packet(c, m, sink);
	return mysql_server_packet(c, m, sink);
}

/*
 * A server header that would start a response: it must fit the FIFO head (sent before it,
 * expected sequence id), else the server side is lost at once rather than after framing a
 * packet of a bogus length. The very first packet may be a greeting. After a resync this
 * is the probe that confirms it.
 */
static bool mysql_server_header_ok(struct mysql_conn *c, uint32_t plen, uint8_t seq)
{
	const struct mysql_dir *d = &c->d[ZT_L7_INGRESS];
	const struct mysql_entry *e;
	bool probe = c->probe;

	if (d->more || c->resp_active)
		return true;
	if (!c->server_pkts && seq == 0)
		return true;
	c->probe = false;
	if (!zt_fifo_count(&c->q) || !plen)
		return false;
	e = mysql_slot(c, 0);
	if (e->start_seq >= d->first_seq || seq != e->resp_seq)
		return false;
	if (probe)
		zt_l7_stats.resyncs++;
	return true;
}

static int mysql_header(struct mysql_conn *c, int dir, const uint8_t **pp, const uint8_t *end,
			const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct mysql_dir *d = &c->d[dir];
	size_t n = (size_t)(end - *pp);
	uint32_t plen;

	if (!d->hdr_len && !d->more)
		mysql_pkt_begin(c, dir, *pp, m);
	if (n > (size_t)(MYSQL_HDR_LEN - d->hdr_len))
		n = MYSQL_HDR_LEN - d->hdr_len;
	memcpy(d->hdr + d->hdr_len, *pp, n);
	d->hdr_len += (uint8_t)n;
	*pp += n;
	if (d->hdr_len < MYSQL_HDR_LEN)
		return 0;
	d->hdr_len = 0;
	plen = mysql_u24(d->hdr);
	if (dir == ZT_L7_INGRESS && !mysql_server_header_ok(c, plen, d->hdr[3])) {
		mysql_server_lost(c, c->seq);
		return 0;
	}
	if (!d->more)
		d->seq = d->hdr[3];
	d->last_seq = d->hdr[3];
	d->more = plen == MYSQL_PKT_FULL;
	d->left = plen;
	d->in_body = true;
	return plen ? 0 : mysql_phys_end(c, dir, m, sink);
}

/* Packets of one direction from *p on, until the chunk ends or framing is given up. */
static int mysql_frame(struct mysql_conn *c, int dir, const uint8_t *p, const uint8_t *end,
		       const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct mysql_dir *d = &c->d[dir];
	size_t n;
	int rc = 0;

	while (p < end && !rc && !c->stopped && !(dir == ZT_L7_INGRESS && c->lost)) {
		if (!d->in_body) {
			rc = mysql_header(c, dir, &p, end, m, sink);
			continue;
		}
		n = (size_t)(end - p) < d->left ? (size_t)(end - p) : d->left;
		mysql_keep(d, p, n);
		d->len += n;
		d->left -= (uint32_t)n;
		p += n;
		if (!d->left)
			rc = mysql_phys_end(c, dir, m, sink);
	}
	return rc;
}

/* ---- client resync ---- */

/* Could these 5 bytes start a client packet? At stream start a handshake response too. */
static bool mysql_plausible_start(const uint8_t *h, bool stream_start)
{
	const struct mysql_cmd_info *ci = &mysql_cmds[h[4]];
	uint32_t len = mysql_u24(h);

	if (stream_start && h[3] == 1 && len >= 32 && len <= MYSQL_HANDSHAKE_MAX)
		return true;
	return h[3] == 0 && ci->op && len >= ci->min_len && len <= ci->max_len;
}

/* Only the very first bytes of a client stream may be a handshake response. */
static bool mysql_scan_at_start(const struct mysql_dir *d)
{
	return !d->ever_synced && !d->skipped && !d->scan_gap;
}

/* A new stream that showed no header for this long is not MySQL. */
static bool mysql_scan_give_up(const struct mysql_dir *d)
{
	return !d->ever_synced && d->skipped > MYSQL_SCAN_GIVEUP;
}

static void mysql_scan_found(struct mysql_dir *d)
{
	if (d->skipped || d->scan_gap)
		zt_l7_stats.resyncs++;
	d->scan = false;
	d->scan_gap = false;
	d->ever_synced = true;
	d->skipped = 0;
}

static void mysql_carry_push(struct mysql_conn *c, struct mysql_dir *d, const uint8_t *p,
			     const struct zt_chunk_meta *m)
{
	struct mysql_carry *k = &d->carry[d->ncarry++];

	k->b = *p;
	k->seq = c->seq;
	k->pos = d->pos + (uint64_t)(p - d->chunk);
	k->meta = *m;
}

/* A header found in carried bytes: they become the header's start, framing goes on at p. */
static void mysql_carry_resume(struct mysql_dir *d)
{
	d->first = d->carry[0].meta;
	d->first_seq = d->carry[0].seq;
	d->first_pos = d->carry[0].pos;
	d->len = 0;
	d->kept = 0;
	d->cut = false;
	for (uint8_t i = 0; i < d->ncarry; i++)
		d->hdr[i] = d->carry[i].b;
	d->hdr_len = d->ncarry;
	d->ncarry = 0;
}

/*
 * Look for a plausible command header from *pp on, across chunk borders (the last bytes
 * of a chunk are carried). On success framing resumes at *pp. -1: a new stream showed no
 * header for too long, it is not MySQL.
 */
static int mysql_scan(struct mysql_conn *c, const uint8_t **pp, const uint8_t *end,
		      const struct zt_chunk_meta *m)
{
	struct mysql_dir *d = &c->d[ZT_L7_EGRESS];
	const uint8_t *p = *pp, *q;
	uint8_t w[MYSQL_WIN_LEN];
	size_t avail = (size_t)(end - p), k;

	while (d->ncarry) {
		k = d->ncarry;
		if (k + avail < MYSQL_WIN_LEN) {
			for (q = p; q < end; q++)
				mysql_carry_push(c, d, q, m);
			*pp = end;
			return 0;
		}
		for (size_t i = 0; i < k; i++)
			w[i] = d->carry[i].b;
		memcpy(w + k, p, MYSQL_WIN_LEN - k);
		if (mysql_plausible_start(w, mysql_scan_at_start(d))) {
			mysql_carry_resume(d);
			mysql_scan_found(d);
			return 0;
		}
		memmove(&d->carry[0], &d->carry[1], (k - 1) * sizeof(d->carry[0]));
		d->ncarry--;
		d->skipped++;
		if (mysql_scan_give_up(d))
			return -1;
	}
	for (q = p; q + MYSQL_WIN_LEN <= end; q++) {
		if (mysql_plausible_start(q, mysql_scan_at_start(d))) {
			*pp = q;
			mysql_scan_found(d);
			return 0;
		}
		/* Checked at each byte so that chunking cannot change the outcome. */
		d->skipped++;
		if (mysql_scan_give_up(d))
			return -1;
	}
	/* The last bytes may begin a header that ends in the next chunk. */
	for (; q < end; q++)
		mysql_carry_push(c, d, q, m);
	*pp = end;
	return 0;
}

/* ---- feeding ---- */

static int mysql_client_data(struct mysql_conn *c, const uint8_t *p, size_t len,
			     const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct mysql_dir *d = &c->d[ZT_L7_EGRESS];
	const uint8_t *end = p + len;

	if (d->scan) {
		if (mysql_scan(c, &p, end, m) < 0)
			return -1;
		if (d->scan)
			return 0;
	}
	return mysql_frame(c, ZT_L7_EGRESS, p, end, m, sink);
}

/*
 * Server side lost: at a chunk start, after a command newer than the loss, try whether
 * the response to that command starts here (probe: its header, read across chunks if
 * need be, must fit). Older commands are reported as they stand.
 */
static bool mysql_server_resync(struct mysql_conn *c, const struct zt_l7_sink *sink)
{
	uint32_t older = 0;

	while (older < zt_fifo_count(&c->q) && mysql_slot(c, older)->start_seq <= c->lost_at)
		older++;
	if (older == zt_fifo_count(&c->q))
		return false;
	while (older--)
		mysql_discard_head(c, sink);
	c->lost = false;
	c->probe = true;
	return true;
}

static int mysql_server_data(struct mysql_conn *c, const uint8_t *p, size_t len,
			     const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	if (c->lost && !mysql_server_resync(c, sink)) {
		mysql_tail_add(c, p, len, m);
		return 0;
	}
	return mysql_frame(c, ZT_L7_INGRESS, p, p + len, m, sink);
}

/* Payload bytes that must not be lost for the packet to mean anything. */
static uint64_t mysql_need(struct mysql_conn *c, int dir)
{
	const struct mysql_dir *d = &c->d[dir];
	uint8_t st;

	if (!d->len)
		return 1;
	if (dir == ZT_L7_EGRESS) {
		if (c->cphase == MYSQL_CP_START && d->seq == 1)
			return MYSQL_HDR_LEN;	/* capabilities: SSL request? */
		if (d->seq == 0 && mysql_cmds[d->buf[0]].arg == MYSQL_ARG_STMT)
			return 5;	/* statement id */
		return 1;	/* the command byte: text may be cut */
	}
	if (d->buf[0] == 0xfe || d->buf[0] == 0xff || (!c->resp_active && !zt_fifo_count(&c->q)))
		return UINT64_MAX;
	st = c->resp_active ? c->resp.st : mysql_resp_start_st(mysql_slot(c, 0));
	switch (st) {
	case MYSQL_RS_COLDEFS:
	case MYSQL_RS_COLS_END:
	case MYSQL_RS_ROWS:
	case MYSQL_RS_FIELDS:
	case MYSQL_RS_PREP_PARAMS:
	case MYSQL_RS_PREP_COLS:
		return 1;	/* rows and definitions: only the first byte says what they are */
	}
	return UINT64_MAX;
}

/* Lost bytes: harmless inside a payload past what is needed, else framing is lost. */
static int mysql_gap(struct mysql_conn *c, int dir, size_t len, const struct zt_chunk_meta *m,
		     const struct zt_l7_sink *sink)
{
	struct mysql_dir *d = &c->d[dir];

	zt_l7_stats.gaps++;
	if (dir == ZT_L7_INGRESS && c->lost) {
		c->tail_len = 0;	/* only bytes after the latest gap are contiguous */
		c->tail_end = false;
		return 0;
	}
	if (dir == ZT_L7_EGRESS && d->scan) {
		d->ncarry = 0;	/* carried bytes must be contiguous with what follows */
		d->scan_gap = true;
		mysql_tail_drop(c);
		return 0;
	}
	if (d->in_body && len <= d->left && d->len >= mysql_need(c, dir)) {
		d->cut = true;
		d->len += len;
		d->left -= (uint32_t)len;
		return d->left ? 0 : mysql_phys_end(c, dir, m, sink);
	}
	if (dir == ZT_L7_INGRESS) {
		mysql_server_lost(c, c->seq);
		c->tail_on = true;
		return 0;
	}
	mysql_tail_drop(c);
	d->scan = true;
	d->scan_gap = true;
	d->hdr_len = 0;
	d->in_body = false;
	d->more = false;
	d->ncarry = 0;
	c->infile = false;
	return 0;
}

/* ---- detect ---- */

/* Server greeting: length, sequence id 0, protocol 10, printable version, NUL. */
static enum zt_detect mysql_detect_greeting(const uint8_t *p, size_t len)
{
	uint32_t plen;

	if (len >= 4 && p[3] != 0)
		return ZT_DETECT_NO;
	if (len >= 5 && p[4] != 0x0a)
		return ZT_DETECT_NO;
	if (len >= 3) {
		plen = mysql_u24(p);
		if (plen < 16 || plen > 4096)
			return ZT_DETECT_NO;
	}
	for (size_t i = 5; i < len; i++) {
		if (!p[i])
			return i > 5 ? ZT_DETECT_YES : ZT_DETECT_NO;
		if (p[i] < 0x20 || p[i] > 0x7e || i - 5 >= 64)
			return ZT_DETECT_NO;
	}
	return ZT_DETECT_MAYBE;
}

/* Client: a command (sequence id 0), or a HandshakeResponse41 when the greeting was missed. */
static enum zt_detect mysql_detect_client(const uint8_t *p, size_t len)
{
	uint8_t t;

	if (len < MYSQL_WIN_LEN)
		return len >= 4 && p[3] > 1 ? ZT_DETECT_NO : ZT_DETECT_MAYBE;
	if (p[3] == 1) {
		if (!mysql_plausible_start(p, true))
			return ZT_DETECT_NO;
		if (len < 6)
			return ZT_DETECT_MAYBE;
		if (!(p[5] & 0x02))
			return ZT_DETECT_NO;	/* CLIENT_PROTOCOL_41 */
		/* Reserved bytes after caps, max packet, charset (MariaDB uses the last 4). */
		for (size_t i = MYSQL_HDR_LEN + 9; i < MYSQL_HDR_LEN + 28; i++) {
			if (i >= len)
				return ZT_DETECT_MAYBE;
			if (p[i])
				return ZT_DETECT_NO;
		}
		return ZT_DETECT_YES;
	}
	if (!mysql_plausible_start(p, false))
		return ZT_DETECT_NO;
	if (p[4] != MYSQL_COM_QUERY || mysql_u24(p) < 2)
		return ZT_DETECT_YES;
	if (len < 6)
		return ZT_DETECT_MAYBE;
	t = p[5];
	/* SQL text, or query attributes (a parameter count then a set count of 1). */
	if ((t >= 0x20 && t < 0x7f) || t == '\t' || t == '\n' || t == '\r')
		return ZT_DETECT_YES;
	if (t < 0x20 && len < 7)
		return ZT_DETECT_MAYBE;
	return t < 0x20 && p[6] == 1 ? ZT_DETECT_YES : ZT_DETECT_NO;
}

/* ---- zt_parser_ops ---- */

static enum zt_detect mysql_detect(const uint8_t *data, size_t len, int dir)
{
	if (!data)
		return ZT_DETECT_NO;
	if (dir == ZT_L7_INGRESS)
		return mysql_detect_greeting(data, len);
	if (dir == ZT_L7_EGRESS)
		return mysql_detect_client(data, len);
	return ZT_DETECT_NO;
}

static void *mysql_create(void)
{
	struct mysql_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	zt_fifo_init(&c->q, sizeof(struct mysql_entry), 1, MYSQL_FIFO_MAX);
	c->d[ZT_L7_EGRESS].buf = c->cbuf;
	c->d[ZT_L7_EGRESS].cap = sizeof(c->cbuf);
	c->d[ZT_L7_EGRESS].scan = true;
	c->d[ZT_L7_INGRESS].buf = c->sbuf;
	c->d[ZT_L7_INGRESS].cap = sizeof(c->sbuf);
	c->deprecate_eof = -1;
	c->query_attrs = -1;
	return c;
}

static void mysql_destroy(void *state)
{
	struct mysql_conn *c = state;

	if (!c)
		return;
	mysql_stmt_clear(c);
	zt_fifo_free(&c->q);
	free(c);
}

static int mysql_feed(void *state, int dir, const uint8_t *data, size_t len,
		      const struct zt_chunk_meta *meta, const struct zt_l7_sink *sink)
{
	static const struct zt_chunk_meta no_meta;
	struct mysql_conn *c = state;
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
	if (!data)
		rc = mysql_gap(c, dir, len, meta, sink);
	else if (dir == ZT_L7_EGRESS)
		rc = mysql_client_data(c, data, len, meta, sink);
	else
		rc = mysql_server_data(c, data, len, meta, sink);
	if (dir == ZT_L7_INGRESS)
		c->last_srv = *meta;
	c->d[dir].pos += len;
	if (rc < 0)
		goto bad;
	return 0;
bad:
	c->malformed = true;
	zt_l7_stats.malformed++;
	return -1;
}

/*
 * Commands still waiting are flushed: unanswered, or with the part of a response seen
 * (row count unknown). Nothing is emitted for a connection marked malformed or encrypted.
 */
static void mysql_close(void *state, const struct zt_chunk_meta *meta,
			const struct zt_l7_sink *sink)
{
	struct mysql_conn *c = state;

	(void)meta;
	if (!c->malformed && !c->stopped)
		mysql_tail_confirm(c, sink);
	while (!c->malformed && !c->stopped && zt_fifo_count(&c->q))
		mysql_discard_head(c, sink);
	zt_fifo_clear(&c->q);
	c->resp_active = false;
	c->stopped = true;
}

const struct zt_parser_ops zt_mysql_parser = {
	.name = "mysql",
	.proto = ZT_L7_MYSQL,
	.detect = mysql_detect,
	.create = mysql_create,
	.destroy = mysql_destroy,
	.feed = mysql_feed,
	.close = mysql_close,
};
