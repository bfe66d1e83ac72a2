/* Records → spans: IDs, parent links, timing, semantic-convention attributes. */
#ifndef ZT_SPAN_BUILDER_H
#define ZT_SPAN_BUILDER_H

#include <stdbool.h>
#include <stdint.h>

#include "zt_events.h"
#include "zt_exporter.h"
#include "zt_l7.h"

#define ZT_SB_PENDING 32
#define ZT_SB_KCTX 16

/* A request seen (head parsed) whose span is not finished yet: its IDs are fixed early so
 * that children (outgoing calls, the peer's server span on this host) can point at it. */
struct zt_req_ctx {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_span_id[8];
	uint32_t tid;
	uint32_t stream_id;	/* HTTP/2 stream; 0 for HTTP/1.x */
	uint8_t sampled;
};

/* IDs the kernel made for the request starting at stream position pos. */
struct zt_kernel_ctx {
	uint64_t pos;
	struct zt_trace_ctx ctx;
};

/* What the span builder keeps per connection (embedded in the connection table). */
struct zt_sb_conn {
	uint32_t tgid;
	uint32_t fd;
	uint64_t conn_id;
	struct zt_tuple tuple;
	char laddr[48], raddr[48];	/* the tuple's addresses as text, made at first use */
	uint8_t role;		/* zt_role from the kernel */
	struct zt_req_ctx pending[ZT_SB_PENDING];	/* FIFO of requests in flight */
	uint32_t pending_head, pending_len;
	uint32_t pending_linked;	/* client side: entries already claimed by a local server */
	struct zt_req_ctx *h2_pending;	/* HTTP/2 streams in flight (any order), by stream_id */
	uint32_t h2_len, h2_cap;
	bool registered;		/* client side: in the tuple registry */
	struct zt_sb_conn *reg_next;
	struct zt_kernel_ctx kctx[ZT_SB_KCTX];	/* server side: kernel IDs by request position */
	uint32_t kctx_len;
};

struct zt_span_builder_stats {
	uint64_t spans;
	uint64_t server_spans;
	uint64_t client_spans;
	uint64_t db_spans;		/* client spans of database queries and commands */
	uint64_t parented_by_thread;	/* client spans parented by the thread's server span */
	uint64_t continued;		/* spans continuing an incoming traceparent */
	uint64_t linked_local;		/* server spans linked to a client span on this host */
	uint64_t kernel_ids;		/* spans whose IDs were made in the kernel */
};

/* Exporters receive every span; mono_to_real converts CLOCK_MONOTONIC ns to Unix ns. */
void zt_span_builder_init(struct zt_exporter **exporters, int n, int64_t mono_to_real);
void zt_span_builder_request_head(struct zt_sb_conn *c, const struct zt_l7_record *rec);
void zt_span_builder_record(struct zt_sb_conn *c, const struct zt_l7_record *rec);
/* The kernel made IDs for the server request starting at stream position pos. */
void zt_span_builder_server_ctx(struct zt_sb_conn *c, uint64_t pos, const struct zt_trace_ctx *ctx);
/* The kernel injected traceparent into the next request of (tgid, tuple), or into its
 * HTTP/2 stream stream_id (0 for HTTP/1.x). */
void zt_span_builder_injected(uint32_t tgid, const struct zt_tuple *tuple,
			      const struct zt_trace_ctx *ctx, uint32_t stream_id);
/* Forget the connection's in-flight server requests (thread contexts pointing at them). */
void zt_span_builder_conn_closed(struct zt_sb_conn *c);
void zt_span_builder_get_stats(struct zt_span_builder_stats *out);
void zt_span_builder_free(void);

/* Low-cardinality span name for an HTTP server span: "GET /users/{id}" style, ids as * (exposed for tests). */
void zt_http_span_name(const char *method, const char *target, char *out, size_t outlen);

#endif
