/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* W3C trace context in the kernel: IDs, traceparent parsing and formatting. */
#ifndef ZT_TRACE_CTX_BPF_H
#define ZT_TRACE_CTX_BPF_H

#include "maps.bpf.h"
#include "conn.bpf.h"

/* Bytes of a request head searched for an existing traceparent header. */
#define ZT_TP_SCAN 2048
/* "traceparent: 00-" + 32 + "-" + 16 + "-01\r\n" */
#define ZT_TP_HEADER_LEN 70

static __always_inline void zt_random_id(__u8 *id, int len)
{
	for (int i = 0; i < len; i += 4) {
		__u32 r = bpf_get_prandom_u32();

		__builtin_memcpy(id + i, &r, 4);
	}
	/* W3C: an all-zero ID is invalid; one fixed bit keeps that impossible. */
	id[0] |= 1;
}

/*
 * Copy a context word by word. A struct assignment of byte arrays is done a byte at a time,
 * all loads before all stores (the two may overlap): 32 spilled registers on the stack.
 * Both sides are 8-byte aligned map values or stack slots.
 */
static __always_inline void zt_ctx_copy(struct zt_trace_ctx *dst, const struct zt_trace_ctx *src)
{
	__u64 *d = (__u64 *)dst;
	const __u64 *s = (const __u64 *)src;

	d[0] = s[0];
	d[1] = s[1];
	d[2] = s[2];
	d[3] = s[3];
}

/* Four bytes at p as one little-endian word, in registers (a memcpy would use the stack). */
static __always_inline __u32 zt_load4(const void *p)
{
	const __u8 *b = p;

	return (__u32)b[0] | (__u32)b[1] << 8 | (__u32)b[2] << 16 | (__u32)b[3] << 24;
}

static __always_inline __u64 zt_load8(const void *p)
{
	return (__u64)zt_load4(p) | (__u64)zt_load4((const __u8 *)p + 4) << 32;
}

/*
 * Does p (at least 12 bytes) start with "traceparent:" in any case? Word compares with no
 * branch per byte: inside bpf_loop callbacks every branch multiplies the verifier's states.
 * OR 0x20 folds an upper-case letter onto its lower case and no other byte onto a letter;
 * ':' is compared as it is.
 */
static __always_inline bool zt_is_tp_name(const __u8 *p)
{
	__u64 a = zt_load8(p) | 0x2020202020202020ULL;
	__u32 b = zt_load4(p + 8) | zt_load4("\x20\x20\x20\x00");

	return !((a ^ zt_load8("tracepar")) | (b ^ zt_load4("ent:")));
}

/* A request line starts here (a known method and a space), not a status line. */
static __always_inline bool zt_is_request_start(const __u8 *d, __u32 n)
{
	if (n >= 5 && zt_is_method(d, "HTTP/", 5))
		return false;
	return zt_classify(d, n) == ZT_PROTO_HTTP1;
}

/*
 * Index (0-7) of the first byte c in the 8-byte word x, 8 when there is none. Scans step a
 * word at a time and stop at each c: per bpf_loop step one word or one match, with no
 * branch per byte (a byte loop inside a callback multiplies the verifier's states). The
 * lowest flagged byte of the zero-byte test is exact; the multiply finds its index.
 */
static __always_inline __u32 zt_word_find_byte(__u64 x, __u8 c)
{
	__u64 m;

	x ^= 0x0101010101010101ULL * c;
	m = (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
	if (!m)
		return 8;
	m &= -m;
	return (((m >> 7) * 0x0001020304050607ULL) >> 56) & 7;
}

/*
 * One step of a scan for byte c from *pos in buf (len bytes valid, 8 readable past any
 * index below len): the index of the next c below len, with *pos moved past it, or -1
 * with *pos moved a word on when the word holds none. Returns -2 at len.
 */
static __always_inline int zt_scan_step(const __u8 *buf, __u32 mask, __u32 *pos, __u32 len,
					__u8 c)
{
	__u32 at = *pos, k;

	if (at >= len)
		return -2;
	k = zt_word_find_byte(zt_load8(&buf[at & mask]), c);
	if (k == 8) {
		*pos = at + 8;
		return -1;
	}
	at += k;
	if (at >= len)
		return -2;
	*pos = at + 1;
	return at;
}

static __always_inline int zt_hex_val(__u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Two lower-case hex digits → one byte; false when either is not one. */
static __always_inline bool zt_hex_byte(const __u8 *p, __u8 *out)
{
	int hi = zt_hex_val(p[0]), lo = zt_hex_val(p[1]);

	if (hi < 0 || lo < 0)
		return false;
	*out = (__u8)(hi << 4 | lo);
	return true;
}

/* Parse "VV-<32>-<16>-FF" at p (55 bytes readable) into trace_id and parent_id. */
static __always_inline bool zt_parse_traceparent(const __u8 *p, struct zt_trace_ctx *ctx)
{
	__u8 version;

	if (!zt_hex_byte(p, &version) || version == 0xff || p[2] != '-' || p[35] != '-' ||
	    p[52] != '-')
		return false;
	for (int i = 0; i < 16; i++)
		if (!zt_hex_byte(p + 3 + 2 * i, &ctx->trace_id[i]))
			return false;
	for (int i = 0; i < 8; i++)
		if (!zt_hex_byte(p + 36 + 2 * i, &ctx->parent_id[i]))
			return false;
	return true;
}

/* "00-<trace>-<span>-01" */
#define ZT_TP_VALUE_LEN 55

const char zt_hex_digits[16] __weak = "0123456789abcdef";

/* Lower-case hex of n bytes (2n characters) at out. */
static __always_inline void zt_hex_write(__u8 *out, const __u8 *id, int n)
{
	for (int i = 0; i < n; i++) {
		out[2 * i] = zt_hex_digits[id[i] >> 4];
		out[2 * i + 1] = zt_hex_digits[id[i] & 15];
	}
}

/* Write a traceparent value (ZT_TP_VALUE_LEN bytes) at out. */
static __always_inline void zt_format_tp_value(__u8 *out, const struct zt_trace_ctx *ctx)
{
	__builtin_memcpy(out, "00-", 3);
	zt_hex_write(out + 3, ctx->trace_id, 16);
	out[35] = '-';
	zt_hex_write(out + 36, ctx->span_id, 8);
	__builtin_memcpy(out + 52, "-01", 3);
}

/* Write "traceparent: 00-<trace>-<span>-01\r\n" (ZT_TP_HEADER_LEN bytes) at out. */
static __always_inline void zt_format_traceparent(__u8 *out, const struct zt_trace_ctx *ctx)
{
	__builtin_memcpy(out, "traceparent: ", 13);
	zt_format_tp_value(out + 13, ctx);
	__builtin_memcpy(out + 68, "\r\n", 2);
}

/* Requests read less than this apart make the process's last one ambiguous (see below). */
#define ZT_PROC_REQ_NS (2ULL * 1000 * 1000 * 1000)

/*
 * The process's last server request, for a thread that handles none itself: only
 * when it is recent and no other came close to it, so that under concurrency a call rather
 * starts a trace than joins the wrong one.
 */
static __always_inline const struct zt_trace_ctx *zt_proc_parent(__u32 tgid)
{
	struct zt_proc_req *pr = bpf_map_lookup_elem(&zt_proc_req, &tgid);
	__u64 now = bpf_ktime_get_ns();

	if (!pr || now - pr->ts > ZT_PROC_REQ_NS || pr->ts - pr->prev_ts < ZT_PROC_REQ_NS)
		return NULL;
	return &pr->ctx;
}

/* The server request thread id is handling, NULL when none (never or answered). */
static __always_inline struct zt_thread_req *zt_thread_req_get(__u64 id)
{
	struct zt_thread_req *req = bpf_map_lookup_elem(&zt_thread_ctx, &id);

	return req && req->active ? req : NULL;
}

/*
 * The first request on a connection takes the parent remembered at connect() (see
 * zt_remember_connect_parent), once: into *out, true when there was one.
 */
static __always_inline bool zt_take_connect_parent(const struct zt_tuple *t,
						   struct zt_trace_ctx *out)
{
	struct zt_trace_ctx *p = bpf_map_lookup_elem(&zt_connect_parent, t);

	if (!p)
		return false;
	*out = *p;
	bpf_map_delete_elem(&zt_connect_parent, t);
	return true;
}

/*
 * The server request a client request on connection t belongs to, NULL for none: the one
 * served when the connection was made (first request only), else the writing thread's,
 * else the process's (zt_proc_parent). conn_parent is storage for the first case.
 */
static __always_inline const struct zt_trace_ctx *zt_client_parent(const struct zt_tuple *t,
								   struct zt_trace_ctx *conn_parent)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct zt_thread_req *req;

	if (zt_take_connect_parent(t, conn_parent))
		return conn_parent;
	req = zt_thread_req_get(id);
	return req ? &req->ctx : zt_proc_parent(id >> 32);
}

/* IDs of a client request: a child of parent (zt_client_parent), or a new trace. */
static __always_inline void zt_client_ctx(struct zt_trace_ctx *ctx,
					  const struct zt_trace_ctx *parent)
{
	__builtin_memset(ctx, 0, sizeof(*ctx));
	if (parent) {
		__builtin_memcpy(ctx->trace_id, parent->trace_id, 16);
		__builtin_memcpy(ctx->parent_id, parent->span_id, 8);
	} else {
		zt_random_id(ctx->trace_id, 16);
	}
	zt_random_id(ctx->span_id, 8);
}

/* Tell userspace which IDs the next request on this connection (HTTP/2: stream) carries. */
static __always_inline void zt_emit_inject(const struct zt_tuple *tuple,
					    const struct zt_trace_ctx *ctx, __u32 stream_id)
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
	ev->tuple = *tuple;
	ev->ctx = *ctx;
	ev->stream_id = stream_id;
	ev->pad = 0;
	bpf_ringbuf_submit(ev, zt_rb_submit_flags(sizeof(*ev)));
	zt_count(ZT_CNT_EVENTS);
}

#endif
