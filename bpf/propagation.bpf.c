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
 * connect() runs in the process's context (TCP_CONNECT_CB): remember traced sockets. The
 * ESTABLISHED callback runs in softirq context, where the process is unknown, so it only
 * completes what connect() marked.
 */
SEC("sockops")
int zt_sockops(struct bpf_sock_ops *ops)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 cookie;
	__u8 one = 1;

	if (!(zt_propagation & ZT_PROPAGATE_HEADERS))
		return 1;
	switch (ops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		if (!zt_pid_selected(tgid) || bpf_map_lookup_elem(&zt_no_headers, &tgid))
			return 1;
		cookie = bpf_get_socket_cookie(ops);
		bpf_map_update_elem(&zt_connecting, &cookie, &one, BPF_ANY);
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		cookie = bpf_get_socket_cookie(ops);
		if (!bpf_map_lookup_elem(&zt_connecting, &cookie))
			return 1;
		bpf_map_delete_elem(&zt_connecting, &cookie);
		bpf_sock_hash_update(ops, &zt_sockhash, &cookie, BPF_ANY);
		break;
	}
	return 1;
}

/* Copy of a request head's first ZT_TP_SCAN bytes, scanned by bpf_loop (per CPU). */
struct zt_head_buf {
	__u8 data[ZT_TP_SCAN + 16];	/* slack: a match may read 13 bytes past the last index */
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
	__u32 eol;		/* offset after the request line's "\n"; 0 until found */
	int verdict;		/* 1 head ends without traceparent, -1 traceparent present */
};

/* One byte of the scan; bpf_loop keeps the verifier's work independent of the window. */
static long zt_head_scan_byte(__u32 i, void *arg)
{
	struct zt_head_scan *s = arg;
	__u8 *p;

	if (i >= s->len)
		return 1;
	p = &s->buf->data[i & (ZT_TP_SCAN - 1)];
	if (p[0] != '\n')
		return 0;
	if (!s->eol) {
		/* Only a real request line: "... HTTP/1.x\r\n"; anything else is not touched. */
		__u8 *tail = &s->buf->data[(i - 10) & (ZT_TP_SCAN - 1)];

		if (i < 10 || !zt_is_method(tail, " HTTP/1.", 8) || tail[9] != '\r') {
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
		return 1;
	}
	return 0;
}

/* Context fields must be read at constant offsets from the context pointer itself. */
static __always_inline __u32 zt_ctx_u32(const __u32 *field)
{
	__u32 v = *(volatile const __u32 *)field;

	return v;
}

static __always_inline void zt_msg_tuple(struct sk_msg_md *msg, struct zt_tuple *t)
{
	__u32 s4, d4, s6[4], d6[4];

	__builtin_memset(t, 0, sizeof(*t));
	t->family = msg->family;
	t->sport = msg->local_port;
	t->dport = bpf_ntohl(msg->remote_port);
	if (t->family == 2) {
		s4 = msg->local_ip4;
		d4 = msg->remote_ip4;
		t->saddr[10] = t->saddr[11] = t->daddr[10] = t->daddr[11] = 0xff;
		__builtin_memcpy(&t->saddr[12], &s4, 4);
		__builtin_memcpy(&t->daddr[12], &d4, 4);
		return;
	}
	s6[0] = zt_ctx_u32(&msg->local_ip6[0]);
	s6[1] = zt_ctx_u32(&msg->local_ip6[1]);
	s6[2] = zt_ctx_u32(&msg->local_ip6[2]);
	s6[3] = zt_ctx_u32(&msg->local_ip6[3]);
	d6[0] = zt_ctx_u32(&msg->remote_ip6[0]);
	d6[1] = zt_ctx_u32(&msg->remote_ip6[1]);
	d6[2] = zt_ctx_u32(&msg->remote_ip6[2]);
	d6[3] = zt_ctx_u32(&msg->remote_ip6[3]);
	__builtin_memcpy(t->saddr, s6, 16);
	__builtin_memcpy(t->daddr, d6, 16);
}

static __always_inline void zt_emit_inject(struct sk_msg_md *msg,
					    const struct zt_trace_ctx *ctx)
{
	struct zt_inject_event *ev = bpf_ringbuf_reserve(&zt_events, sizeof(*ev), 0);
	__u64 id = bpf_get_current_pid_tgid();

	if (!ev) {
		zt_count(ZT_CNT_RB_FULL);
		return;
	}
	__builtin_memset(&ev->hdr, 0, sizeof(ev->hdr));
	ev->hdr.type = ZT_EV_INJECT;
	ev->hdr.tgid = id >> 32;
	ev->hdr.tid = (__u32)id;
	ev->hdr.ts_enter = ev->hdr.ts_exit = bpf_ktime_get_ns();
	zt_msg_tuple(msg, &ev->tuple);
	ev->ctx = *ctx;
	bpf_ringbuf_submit(ev, zt_rb_flags());
	zt_count(ZT_CNT_EVENTS);
}

/* IDs of the client request: a child of the thread's server request, or a new trace. */
static __always_inline void zt_client_ctx(struct zt_trace_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct zt_trace_ctx *parent = bpf_map_lookup_elem(&zt_thread_ctx, &id);

	__builtin_memset(ctx, 0, sizeof(*ctx));
	if (parent) {
		__builtin_memcpy(ctx->trace_id, parent->trace_id, 16);
		__builtin_memcpy(ctx->parent_id, parent->span_id, 8);
	} else {
		zt_random_id(ctx->trace_id, 16);
	}
	zt_random_id(ctx->span_id, 8);
}

SEC("sk_msg")
int zt_sk_msg(struct sk_msg_md *msg)
{
	__u32 size = msg->size, window = size < ZT_TP_SCAN ? size : ZT_TP_SCAN, eol, zero = 0;
	struct zt_head_scan scan = {};
	struct zt_trace_ctx ctx;
	__u8 *data, *end;

	if (!(zt_propagation & ZT_PROPAGATE_HEADERS))
		return ZT_SK_PASS;
	if (bpf_msg_pull_data(msg, 0, window, 0))
		return ZT_SK_PASS;
	data = msg->data;
	end = msg->data_end;
	if (data + 8 > end || !zt_is_request_start(data, 8)) {
		zt_count(ZT_CNT_SKIP_NOT_REQUEST);
		return ZT_SK_PASS;
	}
	scan.buf = bpf_map_lookup_elem(&zt_head_scratch, &zero);
	if (!scan.buf)
		return ZT_SK_PASS;
	scan.len = (__u32)(end - data);
	if (scan.len > ZT_TP_SCAN)
		scan.len = ZT_TP_SCAN;
	if (bpf_probe_read_kernel(scan.buf->data, scan.len & (ZT_TP_SCAN - 1) ?: ZT_TP_SCAN, data))
		return ZT_SK_PASS;
	bpf_loop(ZT_TP_SCAN, zt_head_scan_byte, &scan, 0);
	eol = scan.eol;
	if (!eol || eol >= window) {
		zt_count(ZT_CNT_SKIP_LINE);
		return ZT_SK_PASS;
	}
	if (scan.verdict <= 0) {
		zt_count(scan.verdict < 0 ? ZT_CNT_SKIP_PRESENT : ZT_CNT_SKIP_HEAD);
		return ZT_SK_PASS;
	}
	zt_client_ctx(&ctx);
	if (bpf_msg_push_data(msg, eol, ZT_TP_HEADER_LEN, 0)) {
		zt_count(ZT_CNT_SKIP_PUSH);
		return ZT_SK_PASS;
	}
	if (bpf_msg_pull_data(msg, eol, eol + ZT_TP_HEADER_LEN, 0) ||
	    msg->data + ZT_TP_HEADER_LEN > msg->data_end) {
		/* Never send the room we made without the header in it. */
		bpf_msg_pop_data(msg, eol, ZT_TP_HEADER_LEN, 0);
		zt_count(ZT_CNT_SKIP_PUSH);
		return ZT_SK_PASS;
	}
	data = msg->data;
	end = msg->data_end;
	if (data + ZT_TP_HEADER_LEN > end) {
		bpf_msg_pop_data(msg, eol, ZT_TP_HEADER_LEN, 0);
		zt_count(ZT_CNT_SKIP_PUSH);
		return ZT_SK_PASS;
	}
	zt_format_traceparent(data, &ctx);
	/*
	 * push_data left the message in three pieces, which TCP sends as separate segments;
	 * a client without TCP_NODELAY then holds the tail until the peer's delayed ACK
	 * (40 ms a request). One contiguous piece goes out as the application wrote it.
	 */
	if (msg->size <= ZT_LINEARIZE_MAX)
		bpf_msg_pull_data(msg, 0, msg->size, 0);
	zt_emit_inject(msg, &ctx);
	zt_count(ZT_CNT_INJECTED);
	return ZT_SK_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
