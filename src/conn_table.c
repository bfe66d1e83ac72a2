/* Connection table: kernel events → ordered byte streams → parsers → span builder. */
#include <stdlib.h>
#include <string.h>

#include "zt_conn_table.h"
#include "zt_l7.h"
#include "zt_log.h"
#include "zt_span_builder.h"

#define CONN_BUCKETS 8192

struct zt_conn {
	struct zt_sb_conn sb;		/* identity and span-builder state */
	const struct zt_parser_ops *ops;
	void *parser;
	uint64_t expect[2];		/* next byte offset per direction */
	bool started[2];		/* the direction's stream has begun for the parser */
	uint64_t base[2];		/* kernel offset of the parser's first byte per direction */
	struct zt_chunk_meta last;	/* last chunk seen, for close() */
	bool off;
	struct zt_conn *next;
};

static struct zt_conn *buckets[CONN_BUCKETS];
static struct zt_conn_stats stats;
static zt_conn_action_fn action_fn;
static void *action_ctx;

void zt_conn_table_init(zt_conn_action_fn fn, void *ctx)
{
	action_fn = fn;
	action_ctx = ctx;
}

void zt_conn_get_stats(struct zt_conn_stats *out)
{
	*out = stats;
}

static struct zt_conn **conn_slot(uint64_t conn_id)
{
	struct zt_conn **pp = &buckets[conn_id % CONN_BUCKETS];

	while (*pp && (*pp)->sb.conn_id != conn_id)
		pp = &(*pp)->next;
	return pp;
}

static struct zt_conn *conn_get(const struct zt_event_hdr *hdr, const struct zt_tuple *tuple,
				uint8_t role)
{
	struct zt_conn **pp = conn_slot(hdr->conn_id);

	if (*pp)
		return *pp;
	*pp = calloc(1, sizeof(**pp));
	if (!*pp)
		return NULL;
	(*pp)->sb.conn_id = hdr->conn_id;
	(*pp)->sb.tgid = hdr->tgid;
	(*pp)->sb.fd = hdr->fd;
	(*pp)->sb.tuple = *tuple;
	(*pp)->sb.role = role;
	stats.opened++;
	stats.active++;
	return *pp;
}

static void sink_emit(void *ctx, const struct zt_l7_record *rec)
{
	zt_span_builder_record(ctx, rec);
}

static void sink_request_head(void *ctx, const struct zt_l7_record *rec)
{
	zt_span_builder_request_head(ctx, rec);
}

static struct zt_l7_sink conn_sink(struct zt_conn *c)
{
	struct zt_l7_sink sink = {
		.emit = sink_emit,
		.request_head = sink_request_head,
		.ctx = &c->sb,
	};

	return sink;
}

/* unparsed: given up on (counted), not a tunnel or WebSocket that no parser follows. */
static void conn_switch_off(struct zt_conn *c, bool unparsed)
{
	if (c->off)
		return;
	c->off = true;
	if (unparsed)
		stats.parsed_off++;
	if (action_fn)
		action_fn(c->sb.tgid, c->sb.fd, ZT_CONN_OFF, action_ctx);
}

static uint16_t db_port(uint8_t proto)
{
	switch (proto) {
	case ZT_PROTO_PGSQL:
		return ZT_PORT_PGSQL;
	case ZT_PROTO_MYSQL:
		return ZT_PORT_MYSQL;
	case ZT_PROTO_REDIS:
		return ZT_PORT_REDIS;
	default:
		return 0;
	}
}

/*
 * Database parsers read the client's side only: a traced database server gives no spans
 * of its own (its clients' spans already describe each query). The kernel sets the role
 * of lazily found sockets from the first bytes; failing that, a socket is the server's
 * when its local port is the protocol's well-known one.
 */
static bool db_server_side(const struct zt_conn *c, uint8_t proto)
{
	uint16_t port = db_port(proto);

	if (!port)
		return false;
	if (c->sb.role == ZT_ROLE_SERVER)
		return true;
	return c->sb.role == ZT_ROLE_UNKNOWN && c->sb.tuple.sport == port;
}

static const struct zt_parser_ops *parser_for(const struct zt_data_event *ev)
{
	switch (ev->proto) {
	case ZT_PROTO_HTTP1:
		return &zt_http1_parser;
	case ZT_PROTO_HTTP2:
		return &zt_http2_parser;
	case ZT_PROTO_PGSQL:
		return &zt_pgsql_parser;
	case ZT_PROTO_MYSQL:
		return &zt_mysql_parser;
	case ZT_PROTO_REDIS:
		return &zt_redis_parser;
	default:
		return NULL;
	}
}

static void conn_free(struct zt_conn **pp)
{
	struct zt_conn *c = *pp;
	struct zt_l7_sink sink = conn_sink(c);

	if (c->parser && !c->off)
		c->ops->close(c->parser, &c->last, &sink);
	if (c->parser)
		c->ops->destroy(c->parser);
	zt_span_builder_conn_closed(&c->sb);
	*pp = c->next;
	free(c);
	stats.active--;
}

void zt_conn_on_open(const struct zt_conn_event *ev)
{
	struct zt_conn **pp = conn_slot(ev->hdr.conn_id);

	/* Same id cannot come back; a stale entry means we missed a close. */
	if (*pp)
		conn_free(pp);
	zt_debug("conn %llu open: pid %u fd %u role %u port %u -> %u",
		 (unsigned long long)ev->hdr.conn_id, ev->hdr.tgid, ev->hdr.fd, ev->role,
		 ev->tuple.sport, ev->tuple.dport);
	conn_get(&ev->hdr, &ev->tuple, ev->role);
}

static int conn_feed(struct zt_conn *c, int dir, const uint8_t *data, size_t len)
{
	struct zt_l7_sink sink = conn_sink(c);

	return c->ops->feed(c->parser, dir, data, len, &c->last, &sink);
}

void zt_conn_on_data(const struct zt_data_event *ev, size_t size)
{
	struct zt_conn *c = conn_get(&ev->hdr, &ev->tuple, ev->role);
	int dir = ev->dir & 1;
	uint32_t captured = ev->captured;
	int rc;

	if (!c || c->off)
		return;
	/* The kernel may learn the role of a lazily found socket from its first bytes. */
	if (c->sb.role == ZT_ROLE_UNKNOWN)
		c->sb.role = ev->role;
	if (captured > size - sizeof(*ev))
		captured = (uint32_t)(size - sizeof(*ev));
	if (!c->parser) {
		if (db_server_side(c, ev->proto)) {
			stats.db_server_side++;
			conn_switch_off(c, true);
			return;
		}
		c->ops = parser_for(ev);
		if (!c->ops || !(c->parser = c->ops->create())) {
			conn_switch_off(c, true);
			return;
		}
		/* Database clients: sk_msg on their every write would look for HTTP in vain. */
		if (c->sb.role == ZT_ROLE_CLIENT && ev->proto != ZT_PROTO_HTTP1 &&
		    ev->proto != ZT_PROTO_HTTP2 && action_fn)
			action_fn(c->sb.tgid, c->sb.fd, ZT_CONN_NOT_HTTP, action_ctx);
	}
	/* The first chunk a direction shows starts its stream (lazily found sockets too). */
	if (!c->started[dir]) {
		c->started[dir] = true;
		c->expect[dir] = c->base[dir] = ev->offset;
	}
	if (ev->flags & ZT_DF_SERVER_CTX)
		zt_span_builder_server_ctx(&c->sb, ev->offset - c->base[dir], &ev->ctx);
	c->last.ts_enter = ev->hdr.ts_enter;
	c->last.ts_exit = ev->hdr.ts_exit;
	c->last.tid = ev->hdr.tid;
	if (ev->offset > c->expect[dir]) {
		stats.gap_bytes += ev->offset - c->expect[dir];
		if ((rc = conn_feed(c, dir, NULL, ev->offset - c->expect[dir])))
			goto off;
	}
	c->expect[dir] = ev->offset + ev->len;
	if (captured && (rc = conn_feed(c, dir, ev->data, captured)))
		goto off;
	if (ev->len > captured) {
		stats.uncaptured += ev->len - captured;
		if ((rc = conn_feed(c, dir, NULL, ev->len - captured)))
			goto off;
	}
	return;
off:
	/* A tunnel or WebSocket: the kernel stops capturing what nobody parses. */
	conn_switch_off(c, rc < 0);
}

void zt_conn_on_close(const struct zt_conn_event *ev)
{
	struct zt_conn **pp = conn_slot(ev->hdr.conn_id);

	if (!*pp)
		return;
	(*pp)->last.ts_enter = ev->hdr.ts_enter;
	(*pp)->last.ts_exit = ev->hdr.ts_exit;
	(*pp)->last.tid = ev->hdr.tid;
	conn_free(pp);
}

void zt_conn_close_pid(uint32_t tgid)
{
	for (int i = 0; i < CONN_BUCKETS; i++) {
		struct zt_conn **pp = &buckets[i];

		while (*pp) {
			if ((*pp)->sb.tgid == tgid)
				conn_free(pp);
			else
				pp = &(*pp)->next;
		}
	}
}

void zt_conn_close_all(void)
{
	for (int i = 0; i < CONN_BUCKETS; i++)
		while (buckets[i])
			conn_free(&buckets[i]);
}
