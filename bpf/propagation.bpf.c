// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Context propagation for HTTP/1.x without code changes: sockops puts the connected client
 * sockets of traced processes into a sockhash; sk_msg inserts a traceparent header after
 * the request line of each outgoing request that has none. write() still returns what the
 * application asked to write, and every application byte is sent unchanged.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "maps.bpf.h"
#include "filter.bpf.h"
#include "conn.bpf.h"
#include "trace_ctx.bpf.h"

#define ZT_SK_PASS 1
/* Messages up to this size are made contiguous after an insertion (see zt_sk_msg). */
#define ZT_LINEARIZE_MAX 65536

/*
 * The TCP option: experimental kind 253 with an RFC 6994 experiment id, then the trace id
 * and the sender's (client span's) span id. 28 bytes fit next to timestamps (12).
 */
#define ZT_TCPOPT_EXP 253
#define ZT_TCPOPT_EXID 0x5a54	/* "ZT" */
#define ZT_TCPOPT_LEN 28

struct zt_tcp_opt {
	__u8 kind;
	__u8 len;
	__u16 exid;		/* network order */
	__u8 trace_id[16];
	__u8 span_id[8];
} __attribute__((packed));

/* Context fields must be read at constant offsets from the context pointer itself. */
static __always_inline __u32 zt_ctx_u32(const __u32 *field)
{
	__u32 v = *(volatile const __u32 *)field;

	return v;
}

/* A connection's tuple from its context fields: s and d hold 1 (IPv4) or 4 words. */
static __always_inline void zt_tuple_set(struct zt_tuple *t, __u32 family, __u32 lport,
					 __u32 rport_net, const __u32 *s, const __u32 *d)
{
	__builtin_memset(t, 0, sizeof(*t));
	t->family = family;
	t->sport = lport;
	t->dport = bpf_ntohl(rport_net);
	if (family == 2) {
		t->saddr[10] = t->saddr[11] = t->daddr[10] = t->daddr[11] = 0xff;
		__builtin_memcpy(&t->saddr[12], s, 4);
		__builtin_memcpy(&t->daddr[12], d, 4);
		return;
	}
	__builtin_memcpy(t->saddr, s, 16);
	__builtin_memcpy(t->daddr, d, 16);
}

static __always_inline void zt_msg_tuple(struct sk_msg_md *msg, struct zt_tuple *t)
{
	__u32 s[4] = {}, d[4] = {};

	if (msg->family == 2) {
		s[0] = msg->local_ip4;
		d[0] = msg->remote_ip4;
	} else {
		s[0] = zt_ctx_u32(&msg->local_ip6[0]);
		s[1] = zt_ctx_u32(&msg->local_ip6[1]);
		s[2] = zt_ctx_u32(&msg->local_ip6[2]);
		s[3] = zt_ctx_u32(&msg->local_ip6[3]);
		d[0] = zt_ctx_u32(&msg->remote_ip6[0]);
		d[1] = zt_ctx_u32(&msg->remote_ip6[1]);
		d[2] = zt_ctx_u32(&msg->remote_ip6[2]);
		d[3] = zt_ctx_u32(&msg->remote_ip6[3]);
	}
	zt_tuple_set(t, msg->family, msg->local_port, msg->remote_port, s, d);
}

static __always_inline void zt_ops_tuple(struct bpf_sock_ops *ops, struct zt_tuple *t)
{
	__u32 s[4] = {}, d[4] = {};

	if (ops->family == 2) {
		s[0] = ops->local_ip4;
		d[0] = ops->remote_ip4;
	} else {
		s[0] = zt_ctx_u32(&ops->local_ip6[0]);
		s[1] = zt_ctx_u32(&ops->local_ip6[1]);
		s[2] = zt_ctx_u32(&ops->local_ip6[2]);
		s[3] = zt_ctx_u32(&ops->local_ip6[3]);
		d[0] = zt_ctx_u32(&ops->remote_ip6[0]);
		d[1] = zt_ctx_u32(&ops->remote_ip6[1]);
		d[2] = zt_ctx_u32(&ops->remote_ip6[2]);
		d[3] = zt_ctx_u32(&ops->remote_ip6[3]);
	}
	zt_tuple_set(t, ops->family, ops->local_port, ops->remote_port, s, d);
}

/*
 * An event loop (nginx) connects for request A, and by the time the connection is writable
 * it may have read request B: the first request on a connection belongs to the request
 * that was served when connect() ran. Remembered by tuple, known at TCP_CONNECT_CB.
 */
static __always_inline void zt_remember_connect_parent(struct bpf_sock_ops *ops)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct zt_thread_req *req = zt_thread_req_get(id);
	struct zt_tuple t;

	zt_ops_tuple(ops, &t);
	if (req)
		bpf_map_update_elem(&zt_connect_parent, &t, &req->ctx, BPF_ANY);
	else
		bpf_map_delete_elem(&zt_connect_parent, &t);
}

static __always_inline void zt_sockops_connect(struct bpf_sock_ops *ops)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 cookie;
	__u8 paths = 0;

	if (!zt_pid_selected(tgid))
		return;
	if ((zt_propagation & ZT_PROPAGATE_HEADERS) && !bpf_map_lookup_elem(&zt_no_headers, &tgid))
		paths |= ZT_PATH_HEADERS;
	if (zt_propagation & ZT_PROPAGATE_TCP)
		paths |= ZT_PATH_TCP;
	if (!paths)
		return;
	cookie = bpf_get_socket_cookie(ops);
	bpf_map_update_elem(&zt_connecting, &cookie, &paths, BPF_ANY);
	zt_remember_connect_parent(ops);
}

static __always_inline void zt_sockops_established(struct bpf_sock_ops *ops)
{
	__u64 cookie = bpf_get_socket_cookie(ops);
	__u8 *paths = bpf_map_lookup_elem(&zt_connecting, &cookie), p;

	if (!paths)
		return;
	p = *paths;
	bpf_map_delete_elem(&zt_connecting, &cookie);
	bpf_map_update_elem(&zt_sock_paths, &cookie, &p, BPF_ANY);
	if (p & ZT_PATH_HEADERS) {
		/* One path per socket: option callbacks on every segment cost ~90 ns each. */
		bpf_sock_hash_update(ops, &zt_sockhash, &cookie, BPF_ANY);
		return;
	}
	if (p & ZT_PATH_TCP)
		bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags |
						       BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG);
}

/* Data segments of a client socket with a pending context get room for the option. */
static __always_inline void zt_sockops_opt_len(struct bpf_sock_ops *ops)
{
	__u64 cookie;

	if (!ops->skb_len)
		return;
	cookie = bpf_get_socket_cookie(ops);
	if (bpf_map_lookup_elem(&zt_tx_ctx, &cookie) &&
	    bpf_reserve_hdr_opt(ops, ZT_TCPOPT_LEN, 0))
		zt_count(ZT_CNT_TCP_OPT_NOROOM);
}

static __always_inline void zt_sockops_opt_write(struct bpf_sock_ops *ops)
{
	__u64 cookie;
	struct zt_trace_ctx *ctx;
	struct zt_tcp_opt opt;

	if (!ops->skb_len)
		return;
	cookie = bpf_get_socket_cookie(ops);
	ctx = bpf_map_lookup_elem(&zt_tx_ctx, &cookie);
	if (!ctx)
		return;
	opt.kind = ZT_TCPOPT_EXP;
	opt.len = ZT_TCPOPT_LEN;
	opt.exid = bpf_htons(ZT_TCPOPT_EXID);
	__builtin_memcpy(opt.trace_id, ctx->trace_id, 16);
	__builtin_memcpy(opt.span_id, ctx->span_id, 8);
	bpf_store_hdr_opt(ops, &opt, sizeof(opt), 0);
}

/* A segment with our option arrived on a server socket: keep it for the request it carries. */
static __always_inline void zt_sockops_opt_parse(struct bpf_sock_ops *ops)
{
	struct zt_tcp_opt opt = { .kind = ZT_TCPOPT_EXP, .len = 4 };
	struct zt_trace_ctx ctx = {};
	__u64 cookie;

	opt.exid = bpf_htons(ZT_TCPOPT_EXID);
	if (bpf_load_hdr_opt(ops, &opt, sizeof(opt), 0) != ZT_TCPOPT_LEN)
		return;
	__builtin_memcpy(ctx.trace_id, opt.trace_id, 16);
	__builtin_memcpy(ctx.parent_id, opt.span_id, 8);
	cookie = bpf_get_socket_cookie(ops);
	bpf_map_update_elem(&zt_rx_ctx, &cookie, &ctx, BPF_ANY);
}

/*
 * connect() runs in the process's context (TCP_CONNECT_CB): remember traced sockets and the
 * paths they may use. The ESTABLISHED callbacks run in softirq context, where the process
 * is unknown, so they only complete what connect() marked. Server sockets of every process
 * parse unknown options: the callback then only runs for segments that carry one.
 */
SEC("sockops")
int zt_sockops(struct bpf_sock_ops *ops)
{
	if (!zt_propagation)
		return 1;
	switch (ops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		zt_sockops_connect(ops);
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		zt_sockops_established(ops);
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		if (zt_propagation & ZT_PROPAGATE_TCP)
			bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags |
							       BPF_SOCK_OPS_PARSE_UNKNOWN_HDR_OPT_CB_FLAG);
		bpf_get_socket_cookie(ops);	/* assigned now: the agent reads it at accept */
		break;
	case BPF_SOCK_OPS_HDR_OPT_LEN_CB:
		zt_sockops_opt_len(ops);
		break;
	case BPF_SOCK_OPS_WRITE_HDR_OPT_CB:
		zt_sockops_opt_write(ops);
		break;
	case BPF_SOCK_OPS_PARSE_HDR_OPT_CB:
		zt_sockops_opt_parse(ops);
		break;
	}
	return 1;
}

/* Copy of a request head's first ZT_TP_SCAN bytes, scanned by bpf_loop (per CPU). */
struct zt_head_buf {
	__u8 data[ZT_TP_SCAN + 64];	/* slack: a match reads up to 58 bytes past its index */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zt_head_buf);
} zt_head_scratch SEC(".maps");

/* State of one head scan: where the request line ends, whether the head ends, traceparent. */
struct zt_head_scan {
	struct zt_head_buf *buf;
	__u32 len;
	__u32 pos;		/* next byte to look at */
	__u32 eol;		/* offset after the request line's "\n"; 0 until found */
	int verdict;		/* 1 head ends without traceparent, -1 traceparent present */
	__u32 tp_at;		/* offset of the present header's name */
};

/* Steps of a head scan: a word without "\n" or one line each (see zt_scan_step). */
#define ZT_HEAD_SCAN_STEPS (ZT_TP_SCAN / 4)

/* The line that starts after the "\n" at i: 1 stops the scan (verdict set), 0 goes on. */
static __always_inline long zt_head_line(struct zt_head_scan *s, __u32 i)
{
	__u8 *p = &s->buf->data[i & (ZT_TP_SCAN - 1)];

	if (!s->eol) {
		/* Only a real request line: "... HTTP/1.x\r\n"; anything else is not touched. */
		__u8 *tail = &s->buf->data[(i - 10) & (ZT_TP_SCAN - 1)];

		if (i < 10 || zt_load8(tail) != zt_load8(" HTTP/1.") || tail[9] != '\r') {
			s->verdict = 0;
			return 1;
		}
		s->eol = i + 1;
		/* The first header starts right here: check it like any other line start. */
	}
	if (i + 2 < s->len && p[1] == '\r' && p[2] == '\n') {
		s->verdict = 1;
		return 1;
	}
	if (i + 13 <= s->len && zt_is_tp_name(p + 1)) {
		s->verdict = -1;
		s->tp_at = i + 1;
		return 1;
	}
	return 0;
}

static long zt_head_scan_step(__u32 step, void *arg)
{
	struct zt_head_scan *s = arg;
	int i = zt_scan_step(s->buf->data, ZT_TP_SCAN - 1, &s->pos, s->len, '\n');

	if (i == -1)
		return 0;
	if (i < 0)
		return 1;
	return zt_head_line(s, i);
}

/* A head scan's outcome packed into the return value of zt_head_scan. */
#define ZT_SCAN_EOL(r) ((__u32)(r) & 0xffff)
#define ZT_SCAN_TP_AT(r) ((__u32)((r) >> 16) & 0xffff)
#define ZT_SCAN_VERDICT(r) ((int)(((r) >> 32) & 3) - 1)

/*
 * Scan the len bytes of a head copied into zt_head_scratch. A global function: the verifier
 * checks it once, and its caller goes on from one state, not from one per way a scan ends.
 */
__noinline long zt_head_scan(__u32 len)
{
	struct zt_head_scan scan = { .len = len };
	__u32 zero = 0;

	scan.buf = bpf_map_lookup_elem(&zt_head_scratch, &zero);
	if (!scan.buf)
		return 0;
	bpf_loop(ZT_HEAD_SCAN_STEPS, zt_head_scan_step, &scan, 0);
	return (long)(scan.eol & 0xffff) | (long)(scan.tp_at & 0xffff) << 16 |
	       (long)((scan.verdict + 1) & 3) << 32;
}

/* Bytes [at, at + len) of the message made contiguous and writable, or NULL. */
static __always_inline __u8 *zt_msg_bytes(struct sk_msg_md *msg, __u32 at, __u32 len)
{
	__u8 *d, *end;

	if (bpf_msg_pull_data(msg, at, at + len, 0))
		return NULL;
	d = msg->data;
	end = msg->data_end;
	if (d + len > end)
		return NULL;
	return d;
}

/*
 * len bytes of room inserted at `at`, to be written by the caller, or NULL with the message
 * as it was: the room is never sent without what it was made for.
 */
static __always_inline __u8 *zt_msg_insert_room(struct sk_msg_md *msg, __u32 at, __u32 len)
{
	__u8 *d;

	if (bpf_msg_push_data(msg, at, len, 0))
		return NULL;
	d = zt_msg_bytes(msg, at, len);
	if (!d)
		bpf_msg_pop_data(msg, at, len, 0);
	return d;
}

/* A traceparent header line as text: "traceparent: 00-<trace>-<span>-01\r\n". */
struct zt_tp_text {
	__u8 b[ZT_TP_HEADER_LEN];
};
/* Where the value and the span id's digits start in it. */
#define ZT_TP_TEXT_VALUE 13
#define ZT_TP_TEXT_SPAN (ZT_TP_TEXT_VALUE + 36)

/* zt_tp_text_buf: the text zt_tp_text_format made last on this CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zt_tp_text);
} zt_tp_text_buf SEC(".maps");

/*
 * The header line of ctx, or NULL. Global functions here (formatting, parsing) are checked
 * once by the verifier; inlined, their 48 hex digits were walked again for every way the
 * caller could get to them, and the program neared the verifier's 1M-instruction limit.
 */
__noinline int zt_tp_text_format(const struct zt_trace_ctx *ctx)
{
	__u32 zero = 0;
	struct zt_tp_text *t = bpf_map_lookup_elem(&zt_tp_text_buf, &zero);

	if (!t || !ctx)
		return -1;
	zt_format_traceparent(t->b, ctx);
	return 0;
}

static __always_inline struct zt_tp_text *zt_tp_text_of(const struct zt_trace_ctx *ctx)
{
	__u32 zero = 0;

	if (zt_tp_text_format(ctx))
		return NULL;
	return bpf_map_lookup_elem(&zt_tp_text_buf, &zero);
}

/* Parse the traceparent value at `at` in the head copied to zt_head_scratch into *out. */
__noinline int zt_head_parse_tp(__u32 at, struct zt_trace_ctx *out)
{
	__u32 zero = 0;
	struct zt_head_buf *buf = bpf_map_lookup_elem(&zt_head_scratch, &zero);

	if (!buf || !out)
		return 0;
	return zt_parse_traceparent(&buf->data[at & (ZT_TP_SCAN - 1)], out);
}

/*
 * A proxy forwards the traceparent it received, unchanged: the hop through it would vanish.
 * When the header is exactly the one of the server request it belongs to (zt_client_parent),
 * give it the proxy's client span as parent-id, in place (same length). Any other existing
 * header (an SDK's own) is left alone. Returns true when the header was rewritten.
 */
static __always_inline bool zt_reparent_forwarded(struct sk_msg_md *msg, struct zt_head_buf *buf,
						  __u32 len, __u32 tp_at,
						  const struct zt_trace_ctx *parent,
						  struct zt_trace_ctx *ctx)
{
	struct zt_trace_ctx seen = {};
	struct zt_tp_text *text;
	__u32 v = tp_at + 12;
	__u8 *data;

	if (!parent || v >= ZT_TP_SCAN)
		return false;
	v += buf->data[v & (ZT_TP_SCAN - 1)] == ' ';
	v += buf->data[v & (ZT_TP_SCAN - 1)] == ' ';
	if (v + 55 > len || !zt_head_parse_tp(v, &seen))
		return false;
	for (int i = 0; i < 16; i++)
		if (seen.trace_id[i] != parent->trace_id[i] ||
		    (i < 8 && seen.parent_id[i] != parent->parent_id[i]))
			return false;
	zt_client_ctx(ctx, parent);
	v += 36;	/* "00-" + trace id + "-": the parent-id's 16 hex digits */
	text = zt_tp_text_of(ctx);
	data = zt_msg_bytes(msg, v, 16);
	if (!text || !data)
		return false;
	__builtin_memcpy(data, &text->b[ZT_TP_TEXT_SPAN], 16);
	return true;
}

#include "h2_inject.bpf.h"

SEC("sk_msg")
int zt_sk_msg(struct sk_msg_md *msg)
{
	__u32 size = msg->size, window = size < ZT_TP_SCAN ? size : ZT_TP_SCAN, eol, len, zero = 0;
	struct zt_trace_ctx ctx, conn_parent;
	const struct zt_trace_ctx *parent;
	struct zt_head_buf *buf;
	struct zt_tp_text *text;
	struct zt_tuple tuple;
	__u8 *data, *end;
	int verdict;
	long scan;

	if (!(zt_propagation & ZT_PROPAGATE_HEADERS))
		return ZT_SK_PASS;
	if (bpf_msg_pull_data(msg, 0, window, 0))
		return ZT_SK_PASS;
	data = msg->data;
	end = msg->data_end;
	if (data + 8 > end || !zt_is_request_start(data, 8)) {
		zt_h2_msg(msg);
		return ZT_SK_PASS;
	}
	buf = bpf_map_lookup_elem(&zt_head_scratch, &zero);
	if (!buf)
		return ZT_SK_PASS;
	len = (__u32)(end - data);
	if (len > ZT_TP_SCAN)
		len = ZT_TP_SCAN;
	if (bpf_probe_read_kernel(buf->data, len & (ZT_TP_SCAN - 1) ?: ZT_TP_SCAN, data))
		return ZT_SK_PASS;
	scan = zt_head_scan(len);
	eol = ZT_SCAN_EOL(scan);
	verdict = ZT_SCAN_VERDICT(scan);
	if (!eol || eol >= window) {
		zt_count(ZT_CNT_SKIP_LINE);
		return ZT_SK_PASS;
	}
	zt_msg_tuple(msg, &tuple);
	parent = zt_client_parent(&tuple, &conn_parent);
	if (verdict < 0 &&
	    zt_reparent_forwarded(msg, buf, len, ZT_SCAN_TP_AT(scan), parent, &ctx)) {
		if (msg->size <= ZT_LINEARIZE_MAX)
			bpf_msg_pull_data(msg, 0, msg->size, 0);
		zt_emit_inject(&tuple, &ctx, 0);
		zt_count(ZT_CNT_REPARENTED);
		return ZT_SK_PASS;
	}
	if (verdict <= 0) {
		zt_count(verdict < 0 ? ZT_CNT_SKIP_PRESENT : ZT_CNT_SKIP_HEAD);
		return ZT_SK_PASS;
	}
	zt_client_ctx(&ctx, parent);
	text = zt_tp_text_of(&ctx);
	data = text ? zt_msg_insert_room(msg, eol, ZT_TP_HEADER_LEN) : NULL;
	if (!data) {
		zt_count(ZT_CNT_SKIP_PUSH);
		return ZT_SK_PASS;
	}
	__builtin_memcpy(data, text->b, ZT_TP_HEADER_LEN);
	/*
	 * push_data left the message in three pieces, which TCP sends as separate segments;
	 * a client without TCP_NODELAY then holds the tail until the peer's delayed ACK
	 * (40 ms a request). One contiguous piece goes out as the application wrote it.
	 */
	if (msg->size <= ZT_LINEARIZE_MAX)
		bpf_msg_pull_data(msg, 0, msg->size, 0);
	zt_emit_inject(&tuple, &ctx, 0);
	zt_count(ZT_CNT_INJECTED);
	return ZT_SK_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
