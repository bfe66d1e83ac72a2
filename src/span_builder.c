/* Records → spans. Event thread only; exporters get finished spans. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zt_db_span.h"
#include "zt_log.h"
#include "zt_proc_table.h"
#include "zt_rpc_span.h"
#include "zt_span_builder.h"

#define THREAD_BUCKETS 4096
#define REGISTRY_BUCKETS 4096

/* Server request a thread is handling: outgoing calls on that thread are its children. */
struct thread_ctx {
	uint32_t tid;
	uint64_t conn_id;
	struct zt_req_ctx ctx;
	struct thread_ctx *next;
};

static struct thread_ctx *threads[THREAD_BUCKETS];
static struct zt_exporter **exporters;
static int n_exporters;
static int64_t mono_to_real;
static struct zt_span_builder_stats stats;

void zt_span_builder_init(struct zt_exporter **exps, int n, int64_t offset)
{
	exporters = exps;
	n_exporters = n;
	mono_to_real = offset;
}

void zt_span_builder_get_stats(struct zt_span_builder_stats *out)
{
	*out = stats;
}

static struct thread_ctx **thread_slot(uint32_t tid)
{
	struct thread_ctx **pp = &threads[tid % THREAD_BUCKETS];

	while (*pp && (*pp)->tid != tid)
		pp = &(*pp)->next;
	return pp;
}

static void thread_set(uint32_t tid, uint64_t conn_id, const struct zt_req_ctx *ctx)
{
	struct thread_ctx **pp = thread_slot(tid);

	if (!*pp) {
		*pp = calloc(1, sizeof(**pp));
		if (!*pp)
			return;
		(*pp)->tid = tid;
	}
	(*pp)->conn_id = conn_id;
	(*pp)->ctx = *ctx;
}

/* Drop the thread's context if it still belongs to this request (or connection). */
static void thread_clear(uint32_t tid, uint64_t conn_id, const uint8_t *span_id)
{
	struct thread_ctx **pp = thread_slot(tid), *t = *pp;

	if (!t || t->conn_id != conn_id || (span_id && memcmp(t->ctx.span_id, span_id, 8)))
		return;
	*pp = t->next;
	free(t);
}

static const struct zt_req_ctx *thread_get(uint32_t tid)
{
	struct thread_ctx *t = *thread_slot(tid);

	return t ? &t->ctx : NULL;
}

/* IDs of a new request: continue its traceparent, else start a trace. */
static void req_ctx_new(const struct zt_l7_record *rec, struct zt_req_ctx *ctx)
{
	struct zt_traceparent tp;

	memset(ctx, 0, sizeof(*ctx));
	ctx->tid = rec->req_first.tid;
	ctx->stream_id = rec->stream_id;
	zt_id_random(ctx->span_id, 8);
	ctx->sampled = 1;
	if (rec->traceparent[0] &&
	    zt_traceparent_parse(rec->traceparent, strlen(rec->traceparent), &tp) == 0) {
		memcpy(ctx->trace_id, tp.trace_id, 16);
		memcpy(ctx->parent_span_id, tp.span_id, 8);
		ctx->sampled = tp.flags & 1;
		stats.continued++;
		return;
	}
	zt_id_random(ctx->trace_id, 16);
}

static void ctx_set_parent(struct zt_req_ctx *ctx, const struct zt_req_ctx *parent)
{
	memcpy(ctx->trace_id, parent->trace_id, 16);
	memcpy(ctx->parent_span_id, parent->span_id, 8);
	ctx->sampled = parent->sampled;
}

static struct zt_req_ctx *pending_push(struct zt_sb_conn *c)
{
	if (c->pending_len == ZT_SB_PENDING) {
		/* Oldest request never completed: forget it rather than mispair. */
		c->pending_head = (c->pending_head + 1) % ZT_SB_PENDING;
		c->pending_len--;
		if (c->pending_linked)
			c->pending_linked--;
	}
	return &c->pending[(c->pending_head + c->pending_len++) % ZT_SB_PENDING];
}

static bool pending_pop(struct zt_sb_conn *c, struct zt_req_ctx *out)
{
	if (!c->pending_len)
		return false;
	*out = c->pending[c->pending_head];
	c->pending_head = (c->pending_head + 1) % ZT_SB_PENDING;
	c->pending_len--;
	if (c->pending_linked)
		c->pending_linked--;
	return true;
}

/* The in-flight request of an HTTP/2 stream (streams finish in any order); HTTP/1.x: the oldest. */
/*
 * HTTP/2 streams in flight: hundreds may share a connection and finish in any order, so
 * they live in a growable array of their own, searched by stream id.
 */
#define H2_PENDING_MAX 4096

static struct zt_req_ctx *h2_pending_push(struct zt_sb_conn *c)
{
	struct zt_req_ctx *v;
	uint32_t cap;

	if (c->h2_len == H2_PENDING_MAX) {
		/* The oldest stream never completed: forget it. */
		memmove(c->h2_pending, c->h2_pending + 1, sizeof(*v) * (c->h2_len - 1));
		c->h2_len--;
	}
	if (c->h2_len == c->h2_cap) {
		cap = c->h2_cap ? c->h2_cap * 2 : 8;
		v = realloc(c->h2_pending, cap * sizeof(*v));
		if (!v)
			return NULL;
		c->h2_pending = v;
		c->h2_cap = cap;
	}
	return &c->h2_pending[c->h2_len++];
}

/* The in-flight request of an HTTP/2 stream; HTTP/1.x (stream 0): the oldest. */
static bool pending_take(struct zt_sb_conn *c, uint32_t stream_id, struct zt_req_ctx *out)
{
	uint32_t k = 0;

	if (!stream_id)
		return pending_pop(c, out);
	while (k < c->h2_len && c->h2_pending[k].stream_id != stream_id)
		k++;
	if (k == c->h2_len)
		return false;
	*out = c->h2_pending[k];
	memmove(c->h2_pending + k, c->h2_pending + k + 1, sizeof(*out) * (c->h2_len - k - 1));
	c->h2_len--;
	return true;
}

/* Room for the IDs of a request whose head was just parsed. */
static struct zt_req_ctx *request_push(struct zt_sb_conn *c, const struct zt_l7_record *rec)
{
	static struct zt_req_ctx lost;	/* out of memory: IDs made but not kept */

	if (!rec->stream_id)
		return pending_push(c);
	return h2_pending_push(c) ?: &lost;
}

static void ctx_from_kernel(struct zt_req_ctx *ctx, const struct zt_trace_ctx *k)
{
	memcpy(ctx->trace_id, k->trace_id, 16);
	memcpy(ctx->span_id, k->span_id, 8);
	memcpy(ctx->parent_span_id, k->parent_id, 8);
	ctx->sampled = 1;
	stats.kernel_ids++;
}

void zt_span_builder_server_ctx(struct zt_sb_conn *c, uint64_t pos, const struct zt_trace_ctx *ctx)
{
	if (c->kctx_len == ZT_SB_KCTX) {
		memmove(c->kctx, c->kctx + 1, sizeof(c->kctx[0]) * (ZT_SB_KCTX - 1));
		c->kctx_len--;
	}
	c->kctx[c->kctx_len].pos = pos;
	c->kctx[c->kctx_len++].ctx = *ctx;
}

/* The kernel's IDs for the request at pos; older entries are dropped (never matched). */
static const struct zt_trace_ctx *kernel_ctx_take(struct zt_sb_conn *c, uint64_t pos,
						  struct zt_trace_ctx *out)
{
	uint32_t i = 0;

	while (i < c->kctx_len && c->kctx[i].pos < pos)
		i++;
	if (i == c->kctx_len || c->kctx[i].pos != pos) {
		memmove(c->kctx, c->kctx + i, sizeof(c->kctx[0]) * (c->kctx_len - i));
		c->kctx_len -= i;
		return NULL;
	}
	*out = c->kctx[i].ctx;
	memmove(c->kctx, c->kctx + i + 1, sizeof(c->kctx[0]) * (c->kctx_len - i - 1));
	c->kctx_len -= i + 1;
	return out;
}

/*
 * HTTP/2: the kernel found a traceparent somewhere in a chunk that may hold several
 * streams' requests; it belongs to the stream whose decoded traceparent it parsed.
 */
static bool kernel_ctx_take_tp(struct zt_sb_conn *c, const char *traceparent,
			       struct zt_trace_ctx *out)
{
	struct zt_traceparent tp;

	if (!traceparent[0] || zt_traceparent_parse(traceparent, strlen(traceparent), &tp))
		return false;
	for (uint32_t i = 0; i < c->kctx_len; i++) {
		const struct zt_trace_ctx *k = &c->kctx[i].ctx;

		if (memcmp(k->trace_id, tp.trace_id, 16) || memcmp(k->parent_id, tp.span_id, 8))
			continue;
		*out = *k;
		memmove(c->kctx + i, c->kctx + i + 1, sizeof(c->kctx[0]) * (c->kctx_len - i - 1));
		c->kctx_len--;
		return true;
	}
	return false;
}

/*
 * Injected contexts not yet claimed by a request head, by (tgid, local port, remote port);
 * HTTP/1.x requests claim them in order, HTTP/2 ones by stream. One HTTP/2 write may open
 * hundreds of streams before the agent reads their heads: the list grows up to a bound.
 */
#define INJECTED_MAX 2048

struct injected_ctx {
	struct zt_trace_ctx ctx;
	uint32_t stream;
};

struct injected {
	uint32_t tgid;
	uint16_t sport, dport;
	struct injected_ctx *v;
	uint32_t len, cap;
	struct injected *next;
};

static struct injected *injected_tab[REGISTRY_BUCKETS];

static struct injected **injected_slot(uint32_t tgid, uint16_t sport, uint16_t dport)
{
	struct injected **pp = &injected_tab[(tgid * 31u + sport * 7u + dport) % REGISTRY_BUCKETS];

	while (*pp && ((*pp)->tgid != tgid || (*pp)->sport != sport || (*pp)->dport != dport))
		pp = &(*pp)->next;
	return pp;
}

static void injected_remove(struct injected *e, uint32_t i)
{
	memmove(e->v + i, e->v + i + 1, sizeof(e->v[0]) * (e->len - i - 1));
	e->len--;
}

static void injected_free(struct injected **pp)
{
	struct injected *e = *pp;

	*pp = e->next;
	free(e->v);
	free(e);
}

static bool injected_reserve(struct injected *e)
{
	struct injected_ctx *v;
	uint32_t cap;

	if (e->len < e->cap)
		return true;
	if (e->cap == INJECTED_MAX) {
		injected_remove(e, 0);	/* the oldest was never claimed */
		return true;
	}
	cap = e->cap ? e->cap * 2 : 4;
	v = realloc(e->v, cap * sizeof(*v));
	if (!v)
		return false;
	e->v = v;
	e->cap = cap;
	return true;
}

void zt_span_builder_injected(uint32_t tgid, const struct zt_tuple *tuple,
			      const struct zt_trace_ctx *ctx, uint32_t stream_id)
{
	struct injected **pp = injected_slot(tgid, tuple->sport, tuple->dport);

	if (!*pp) {
		*pp = calloc(1, sizeof(**pp));
		if (!*pp)
			return;
		(*pp)->tgid = tgid;
		(*pp)->sport = tuple->sport;
		(*pp)->dport = tuple->dport;
	}
	if (!injected_reserve(*pp))
		return;
	(*pp)->v[(*pp)->len].stream = stream_id;
	(*pp)->v[(*pp)->len++].ctx = *ctx;
}

static bool injected_take(const struct zt_sb_conn *c, uint32_t stream_id, struct zt_trace_ctx *out)
{
	struct injected **pp = injected_slot(c->tgid, c->tuple.sport, c->tuple.dport), *e = *pp;
	uint32_t i = 0;

	if (!e)
		return false;
	while (i < e->len && e->v[i].stream != stream_id)
		i++;
	if (i == e->len)
		return false;
	*out = e->v[i].ctx;
	injected_remove(e, i);
	if (!e->len)
		injected_free(pp);
	return true;
}

static void injected_forget(const struct zt_sb_conn *c)
{
	struct injected **pp = injected_slot(c->tgid, c->tuple.sport, c->tuple.dport);

	if (*pp)
		injected_free(pp);
}

/* Client connections of traced processes by tuple, so the local server end can find them. */
static struct zt_sb_conn *registry[REGISTRY_BUCKETS];

static uint32_t tuple_hash(const uint8_t *laddr, uint16_t lport, const uint8_t *raddr,
			   uint16_t rport)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ laddr[i] ^ raddr[i] << 8) * 16777619u;
	return (h ^ lport ^ (uint32_t)rport << 16) % REGISTRY_BUCKETS;
}

static void registry_add(struct zt_sb_conn *c)
{
	uint32_t h = tuple_hash(c->tuple.saddr, c->tuple.sport, c->tuple.daddr, c->tuple.dport);

	c->reg_next = registry[h];
	registry[h] = c;
	c->registered = true;
}

static void registry_del(struct zt_sb_conn *c)
{
	uint32_t h = tuple_hash(c->tuple.saddr, c->tuple.sport, c->tuple.daddr, c->tuple.dport);

	for (struct zt_sb_conn **pp = &registry[h]; *pp; pp = &(*pp)->reg_next) {
		if (*pp == c) {
			*pp = c->reg_next;
			break;
		}
	}
	c->registered = false;
}

/* The client end of a server connection, when the client is traced on this host. */
static struct zt_sb_conn *registry_peer(const struct zt_sb_conn *server)
{
	const struct zt_tuple *t = &server->tuple;
	uint32_t h = tuple_hash(t->daddr, t->dport, t->saddr, t->sport);

	for (struct zt_sb_conn *c = registry[h]; c; c = c->reg_next)
		if (c->tuple.sport == t->dport && c->tuple.dport == t->sport &&
		    !memcmp(c->tuple.saddr, t->daddr, 16) && !memcmp(c->tuple.daddr, t->saddr, 16))
			return c;
	return NULL;
}

/* Server request: parent is its traceparent, else the local client's span on the same tuple. */
static void server_head(struct zt_sb_conn *c, const struct zt_l7_record *rec)
{
	struct zt_req_ctx *ctx = request_push(c, rec);
	struct zt_trace_ctx k;
	struct zt_sb_conn *client;

	if (rec->proto == ZT_L7_HTTP2 ? kernel_ctx_take_tp(c, rec->traceparent, &k) :
					       kernel_ctx_take(c, rec->req_pos, &k) != NULL) {
		/* The kernel parsed the same traceparent, and its children already use these. */
		memset(ctx, 0, sizeof(*ctx));
		ctx->tid = rec->req_first.tid;
		ctx->stream_id = rec->stream_id;
		ctx_from_kernel(ctx, &k);
		if (!zt_id_is_zero(ctx->parent_span_id, 8))
			stats.continued++;
		thread_set(ctx->tid, c->conn_id, ctx);
		return;
	}
	req_ctx_new(rec, ctx);
	client = zt_id_is_zero(ctx->parent_span_id, 8) ? registry_peer(c) : NULL;
	if (client && client->pending_linked < client->pending_len) {
		uint32_t i = (client->pending_head + client->pending_linked++) % ZT_SB_PENDING;

		ctx_set_parent(ctx, &client->pending[i]);
		stats.linked_local++;
	}
	thread_set(ctx->tid, c->conn_id, ctx);
}

/* Client request: parent is the server request its thread is handling. */
static void client_head(struct zt_sb_conn *c, const struct zt_l7_record *rec)
{
	struct zt_req_ctx *ctx = request_push(c, rec);
	const struct zt_req_ctx *parent = thread_get(rec->req_first.tid);
	struct zt_trace_ctx k;

	if (!c->registered)
		registry_add(c);
	if (injected_take(c, rec->stream_id, &k)) {
		/* The header on the wire carries these IDs: the span must match it. */
		memset(ctx, 0, sizeof(*ctx));
		ctx->tid = rec->req_first.tid;
		ctx->stream_id = rec->stream_id;
		ctx_from_kernel(ctx, &k);
		return;
	}
	req_ctx_new(rec, ctx);
	if (parent && zt_id_is_zero(ctx->parent_span_id, 8)) {
		ctx_set_parent(ctx, parent);
		stats.parented_by_thread++;
	}
}

void zt_span_builder_request_head(struct zt_sb_conn *c, const struct zt_l7_record *rec)
{
	if (rec->req_dir == ZT_L7_INGRESS)
		server_head(c, rec);
	else
		client_head(c, rec);
}

void zt_span_builder_conn_closed(struct zt_sb_conn *c)
{
	struct zt_req_ctx ctx;

	while (pending_pop(c, &ctx))
		thread_clear(ctx.tid, c->conn_id, ctx.span_id);
	for (uint32_t i = 0; i < c->h2_len; i++)
		thread_clear(c->h2_pending[i].tid, c->conn_id, c->h2_pending[i].span_id);
	free(c->h2_pending);
	c->h2_pending = NULL;
	c->h2_len = c->h2_cap = 0;
	if (c->registered)
		registry_del(c);
	injected_forget(c);
}

static bool is_digitish(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.')
			continue;
		else if (n >= 16 && ((s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			continue;
		else
			return false;
	return n > 0;
}

/*
 * Appends s[0..n) to the NUL-terminated out, cut to fit; *len counts every byte asked for,
 * as snprintf's return would (a span's name is made for every span: snprintf was 5 % of the
 * agent).
 */
static void name_put(char *out, size_t outlen, size_t *len, const char *s, size_t n)
{
	if (*len < outlen - 1) {
		size_t k = n < outlen - 1 - *len ? n : outlen - 1 - *len;

		memcpy(out + *len, s, k);
		out[*len + k] = '\0';
	}
	*len += n;
}

/* Path without query; id-like segments become "*", at most three segments kept. */
void zt_http_span_name(const char *method, const char *target, char *out, size_t outlen)
{
	const char *p = target, *m = method[0] ? method : "HTTP";
	size_t len = 0;
	int segs = 0;

	out[0] = '\0';
	name_put(out, outlen, &len, m, strlen(m));
	if (strncmp(p, "http://", 7) == 0 || strncmp(p, "https://", 8) == 0) {
		p = strchr(p + 8, '/');
		if (!p)
			p = "/";
	}
	if (*p != '/')
		return;
	name_put(out, outlen, &len, " ", 1);
	while (*p == '/' && len + 2 < outlen) {
		const char *seg = p + 1;
		size_t n = strcspn(seg, "/?#");

		if (segs == 3) {
			name_put(out, outlen, &len, "/*", 2);
			break;
		}
		if (n == 0 && seg[0] != '/') {
			if (segs == 0)
				name_put(out, outlen, &len, "/", 1);
			break;
		}
		if (is_digitish(seg, n)) {
			name_put(out, outlen, &len, "/*", 2);
		} else {
			name_put(out, outlen, &len, "/", 1);
			name_put(out, outlen, &len, seg, n);
		}
		p = seg + n;
		segs++;
	}
}

/* Host header without its port; empty when absent. */
static void host_name_only(const char *host, char *out, size_t outlen)
{
	size_t n;

	if (host[0] == '[') {
		n = strcspn(host + 1, "]");
		snprintf(out, outlen, "%.*s", (int)n, host + 1);
		return;
	}
	n = strcspn(host, ":");
	snprintf(out, outlen, "%.*s", (int)n, host);
}

static void set_common_http_attrs(struct zt_span *span, const struct zt_l7_record *rec)
{
	const char *q;

	zt_span_set_str(span, "http.request.method", rec->method[0] ? rec->method : "_OTHER");
	if (rec->has_response && rec->status)
		zt_span_set_int(span, "http.response.status_code", rec->status);
	zt_span_set_str(span, "network.protocol.name", "http");
	if (rec->version[0])
		zt_span_set_str(span, "network.protocol.version", rec->version);
	if (rec->user_agent[0])
		zt_span_set_str(span, "user_agent.original", rec->user_agent);
	if (rec->req_body_bytes)
		zt_span_set_int(span, "http.request.body.size", (int64_t)rec->req_body_bytes);
	if (rec->resp_body_bytes)
		zt_span_set_int(span, "http.response.body.size", (int64_t)rec->resp_body_bytes);
	q = strchr(rec->target, '?');
	if (rec->target[0] == '/') {
		zt_span_set_strn(span, "url.path", rec->target,
				 q ? (size_t)(q - rec->target) : strlen(rec->target));
		if (q && q[1])
			zt_span_set_str(span, "url.query", q + 1);
	}
}

/* The connection's local or remote address as text: formatted once, not once per span. */
static const char *conn_addr(struct zt_sb_conn *c, bool remote)
{
	char *out = remote ? c->raddr : c->laddr;

	if (!out[0])
		zt_addr_format(remote ? c->tuple.daddr : c->tuple.saddr, out, sizeof(c->raddr));
	return out;
}

static void set_server_attrs(struct zt_span *span, struct zt_sb_conn *c,
			     const struct zt_l7_record *rec)
{
	const char *peer = conn_addr(c, true);
	char host[ZT_L7_HOST_MAX];

	zt_span_set_str(span, "url.scheme", "http");
	host_name_only(rec->host, host, sizeof(host));
	zt_span_set_str(span, "server.address", host[0] ? host : conn_addr(c, false));
	zt_span_set_int(span, "server.port", c->tuple.sport);
	zt_span_set_str(span, "client.address", peer);
	zt_span_set_int(span, "client.port", c->tuple.dport);
	zt_span_set_str(span, "network.peer.address", peer);
	zt_span_set_int(span, "network.peer.port", c->tuple.dport);
}

/* The server as the client sees it: the Host/:authority name, else the peer's address. */
static void set_peer_attrs(struct zt_span *span, struct zt_sb_conn *c,
			   const struct zt_l7_record *rec)
{
	const char *addr = conn_addr(c, true);
	char host[ZT_L7_HOST_MAX];

	host_name_only(rec->host, host, sizeof(host));
	zt_span_set_str(span, "server.address", host[0] ? host : addr);
	zt_span_set_int(span, "server.port", c->tuple.dport);
	zt_span_set_str(span, "network.peer.address", addr);
	zt_span_set_int(span, "network.peer.port", c->tuple.dport);
}

/* HTTP/2 streams: a reset, and headers decoded without the connection's HPACK history. */
static void set_h2_attrs(struct zt_span *span, const struct zt_l7_record *rec)
{
	if (rec->proto != ZT_L7_HTTP2)
		return;
	if (rec->h2_reset && rec->h2_error)
		zt_span_set_str(span, "http2.reset.error", zt_h2_error_name(rec->h2_error));
	if (rec->headers_partial)
		zt_span_set_bool(span, "zerotrace.headers.partial", true);
}

static void set_client_attrs(struct zt_span *span, struct zt_sb_conn *c,
			     const struct zt_l7_record *rec)
{
	const char *addr = conn_addr(c, true);
	char url[ZT_L7_TARGET_MAX + ZT_L7_HOST_MAX + 16];

	set_peer_attrs(span, c, rec);
	if (strncmp(rec->target, "http://", 7) == 0)
		snprintf(url, sizeof(url), "%s", rec->target);
	else
		snprintf(url, sizeof(url), "http://%s%s", rec->host[0] ? rec->host : addr,
			 rec->target);
	zt_span_set_str(span, "url.full", url);
}

static void set_status(struct zt_span *span, const struct zt_l7_record *rec, bool server)
{
	char code[16];

	if (!rec->has_response) {
		span->status_code = ZT_STATUS_ERROR;
		span->status_message = strdup("connection closed before a response");
		zt_span_set_str(span, "error.type", "connection_closed");
		return;
	}
	if (rec->status >= 500 || (!server && rec->status >= 400)) {
		span->status_code = ZT_STATUS_ERROR;
		snprintf(code, sizeof(code), "%d", rec->status);
		zt_span_set_str(span, "error.type", code);
	}
}

static void span_emit(struct zt_span *span)
{
	stats.spans++;
	for (int i = 0; i < n_exporters; i++)
		exporters[i]->submit(exporters[i], span);
	zt_span_unref(span);
}

static uint64_t to_real(uint64_t mono)
{
	return (uint64_t)((int64_t)mono + mono_to_real);
}

/* IDs for a finished record: those fixed at its head, else made now (head never seen). */
static void record_ctx(struct zt_sb_conn *c, const struct zt_l7_record *rec, struct zt_req_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	if (pending_take(c, rec->stream_id, ctx))
		return;
	zt_span_builder_request_head(c, rec);
	pending_take(c, rec->stream_id, ctx);
}

static void span_set_ids(struct zt_span *span, const struct zt_req_ctx *ctx)
{
	memcpy(span->trace_id, ctx->trace_id, 16);
	memcpy(span->span_id, ctx->span_id, 8);
	memcpy(span->parent_span_id, ctx->parent_span_id, 8);
}

static void build_server_span(struct zt_sb_conn *c, const struct zt_l7_record *rec,
			      struct zt_span *span)
{
	struct zt_req_ctx ctx;

	record_ctx(c, rec, &ctx);
	thread_clear(ctx.tid, c->conn_id, ctx.span_id);
	span_set_ids(span, &ctx);
	if (rec->tracestate[0])
		span->trace_state = strdup(rec->tracestate);
	span->kind = ZT_SPAN_KIND_SERVER;
	span->start_ns = to_real(rec->req_first.ts_exit);
	span->end_ns = to_real(rec->has_response ? rec->resp_last.ts_exit : rec->req_last.ts_exit);
	if (rec->grpc) {
		zt_grpc_span_fill(span, rec, true);
	} else {
		zt_http_span_name(rec->method, rec->target, span->name, sizeof(span->name));
		set_common_http_attrs(span, rec);
		set_status(span, rec, true);
	}
	set_server_attrs(span, c, rec);
	set_h2_attrs(span, rec);
	stats.server_spans++;
}

/* IDs and timing of a CLIENT span: from the entry of the request's first write to the
 * return of the read that completed the response. */
static void client_span_base(struct zt_sb_conn *c, const struct zt_l7_record *rec,
			     struct zt_span *span)
{
	struct zt_req_ctx ctx;

	record_ctx(c, rec, &ctx);
	span_set_ids(span, &ctx);
	span->kind = ZT_SPAN_KIND_CLIENT;
	span->start_ns = to_real(rec->req_first.ts_enter);
	span->end_ns = to_real(rec->has_response ? rec->resp_last.ts_exit : rec->req_last.ts_exit);
	stats.client_spans++;
}

static void build_client_span(struct zt_sb_conn *c, const struct zt_l7_record *rec,
			      struct zt_span *span)
{
	client_span_base(c, rec, span);
	if (rec->grpc) {
		zt_grpc_span_fill(span, rec, false);
		set_peer_attrs(span, c, rec);
	} else {
		/* A client span is named by its method alone (no route is known). */
		zt_http_span_name(rec->method, "", span->name, sizeof(span->name));
		set_common_http_attrs(span, rec);
		set_client_attrs(span, c, rec);
		set_status(span, rec, false);
	}
	set_h2_attrs(span, rec);
}

/* Database query or command: a CLIENT span under the server request its thread handles. */
static void build_db_span(struct zt_sb_conn *c, const struct zt_l7_record *rec,
			  struct zt_span *span)
{
	client_span_base(c, rec, span);
	zt_db_span_fill(span, conn_addr(c, true), c->tuple.dport, rec);
	stats.db_spans++;
}

void zt_span_builder_record(struct zt_sb_conn *c, const struct zt_l7_record *rec)
{
	struct zt_span *span = zt_span_new();

	span->resource = zt_resource_ref(zt_proc_resource(c->tgid));
	if (zt_l7_is_db(rec->proto))
		build_db_span(c, rec, span);
	else if (rec->req_dir == ZT_L7_INGRESS)
		build_server_span(c, rec, span);
	else
		build_client_span(c, rec, span);
	if (span->end_ns < span->start_ns)
		span->end_ns = span->start_ns;
	span_emit(span);
}

void zt_span_builder_free(void)
{
	for (int i = 0; i < REGISTRY_BUCKETS; i++) {
		while (injected_tab[i])
			injected_free(&injected_tab[i]);
	}
	for (int i = 0; i < THREAD_BUCKETS; i++) {
		while (threads[i]) {
			struct thread_ctx *t = threads[i];

			threads[i] = t->next;
			free(t);
		}
	}
}
