/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * traceparent for HTTP/2 requests (gRPC included), in sk_msg: each outgoing request HEADERS
 * frame of a traced client connection gets, at the end of its header block, the field
 *   literal without indexing, new name: 0x00 0x0b "traceparent" 0x37 "00-<trace>-<span>-01"
 * and its 3-byte frame length grows by as much. A literal without indexing touches neither
 * side's HPACK dynamic table, so every later block still decodes as the client meant it.
 * At the end, not the start: pseudo-header fields (:method, :path, ...) must come before
 * every regular field (RFC 9113 §8.3), and servers reset streams that break the rule.
 *
 * The frame walk needs every byte since the connection preface, so only connections whose
 * preface this program saw are touched. On any doubt the message passes unchanged and the
 * reason is counted; on a doubt about the connection's framing or its use of traceparent,
 * the connection is never touched again.
 */
#ifndef ZT_H2_INJECT_BPF_H
#define ZT_H2_INJECT_BPF_H

#include "maps.bpf.h"
#include "trace_ctx.bpf.h"

#define ZT_H2_PREFACE_LEN 24
#define ZT_H2_FRAME_HDR 9
#define ZT_H2_HEADERS 0x1
#define ZT_H2_FLAG_END_HEADERS 0x4
#define ZT_H2_FLAG_PADDED 0x8
#define ZT_H2_FLAG_PRIORITY 0x20
/* SETTINGS_MAX_FRAME_SIZE can only be raised from this, so staying under it is always safe. */
#define ZT_H2_MIN_MAX_FRAME 16384
/* 0x00, 0x0b, "traceparent", 0x37, 55 bytes of value */
#define ZT_H2_TP_FIELD_LEN 69
/* Frames walked per message (a bpf_loop step each). */
#define ZT_H2_MAX_FRAMES 512
/* Header block bytes searched for an existing traceparent name. */
#define ZT_H2_SCAN 1024

/* Huffman code of "traceparent" (RFC 7541 Appendix B), 59 bits + EOS padding. */
static const __u8 zt_h2_tp_huffman[8] = { 0x4d, 0x83, 0x21, 0x6b, 0x1d, 0x85, 0xa9, 0x3f };

struct zt_h2_frame {
	__u32 off;		/* frame header offset in the message */
	__u32 len;		/* payload length */
	__u32 stream;
	__u8 flags;
};

/* One header block's search for "traceparent", plain or Huffman-coded, by bpf_loop. */
struct zt_h2_scan {
	const __u8 *buf;
	__u32 len;
	bool found;
};

static long zt_h2_scan_byte(__u32 i, void *arg)
{
	struct zt_h2_scan *s = arg;
	const __u8 *p;

	if (i + 8 > s->len)
		return 1;
	p = &s->buf[i & (ZT_H2_SCAN - 1)];
	if (p[0] == 't' && i + 11 <= s->len && zt_is_method(p, "traceparent", 11)) {
		s->found = true;
		return 1;
	}
	if (p[0] == zt_h2_tp_huffman[0] && zt_is_method(p, (const char *)zt_h2_tp_huffman, 8)) {
		s->found = true;
		return 1;
	}
	return 0;
}

/*
 * Does the block at [blk, blk + len) name traceparent itself? -1: cannot tell (the block is
 * longer than the window searched), 1: yes, 0: no.
 */
static __always_inline int zt_h2_block_has_tp(struct sk_msg_md *msg, __u32 blk, __u32 len)
{
	struct zt_h2_scan scan = {};
	struct zt_head_buf *buf;
	__u32 zero = 0;
	__u8 *data;

	if (len > ZT_H2_SCAN)
		return -1;
	if (len < 8)
		return 0;
	data = zt_msg_bytes(msg, blk, len);
	if (!data)
		return -1;
	buf = bpf_map_lookup_elem(&zt_head_scratch, &zero);
	if (!buf || bpf_probe_read_kernel(buf->data, ((len - 1) & (ZT_H2_SCAN - 1)) + 1, data))
		return -1;
	scan.buf = buf->data;
	scan.len = len;
	bpf_loop(ZT_H2_SCAN, zt_h2_scan_byte, &scan, 0);
	return scan.found;
}

/* Read the 9-byte frame header at off. */
static __always_inline int zt_h2_frame_at(struct sk_msg_md *msg, __u32 off, struct zt_h2_frame *f)
{
	__u8 *d = zt_msg_bytes(msg, off, ZT_H2_FRAME_HDR);

	if (!d)
		return -1;
	f->off = off;
	f->len = (__u32)d[0] << 16 | (__u32)d[1] << 8 | d[2];
	f->flags = d[4];
	f->stream = ((__u32)d[5] & 0x7f) << 24 | (__u32)d[6] << 16 | (__u32)d[7] << 8 | d[8];
	/* type in the returned value: callers only care whether it is HEADERS */
	return d[3];
}

/* Insert the field at `at` and grow the frame at f->off; true when the message now has it. */
static __always_inline bool zt_h2_insert(struct sk_msg_md *msg, const struct zt_h2_frame *f,
					 __u32 at, const struct zt_trace_ctx *ctx)
{
	__u32 len = f->len + ZT_H2_TP_FIELD_LEN;
	struct zt_tp_text *text = zt_tp_text_of(ctx);
	__u8 *d = text ? zt_msg_insert_room(msg, at, ZT_H2_TP_FIELD_LEN) : NULL;

	if (!d)
		return false;
	d[0] = 0x00;
	d[1] = 11;
	__builtin_memcpy(&d[2], "traceparent", 11);
	d[13] = ZT_TP_VALUE_LEN;
	__builtin_memcpy(&d[14], &text->b[ZT_TP_TEXT_VALUE], ZT_TP_VALUE_LEN);
	d = zt_msg_bytes(msg, f->off, 3);
	if (!d) {
		bpf_msg_pop_data(msg, at, ZT_H2_TP_FIELD_LEN, 0);
		return false;
	}
	d[0] = len >> 16;
	d[1] = len >> 8;
	d[2] = len;
	return true;
}

/*
 * May this request HEADERS frame get the field? Returns 0 when it may, else the counter of
 * the reason; *give_up is set when the connection must never be touched again.
 */
static __always_inline __u32 zt_h2_check(struct sk_msg_md *msg, const struct zt_h2_frame *f,
					 __u32 size, bool *give_up)
{
	__u32 blk = f->off + ZT_H2_FRAME_HDR, blen = f->len;

	if (!(f->stream & 1))
		return ZT_CNT_H2_SKIP_FRAME;	/* not a client-initiated stream */
	if (!(f->flags & ZT_H2_FLAG_END_HEADERS)) {
		/* CONTINUATION frames follow, unscanned: they may add traceparent to the table. */
		*give_up = true;
		return ZT_CNT_H2_SKIP_FRAME;
	}
	if (f->flags & ZT_H2_FLAG_PADDED)
		return ZT_CNT_H2_SKIP_FRAME;
	if (f->flags & ZT_H2_FLAG_PRIORITY) {
		if (blen < 5)
			return ZT_CNT_H2_SKIP_FRAME;
		blk += 5;
		blen -= 5;
	}
	if (f->off + ZT_H2_FRAME_HDR + f->len > size)
		return ZT_CNT_H2_SKIP_FRAME;	/* not all in this message */
	if (f->len + ZT_H2_TP_FIELD_LEN > ZT_H2_MIN_MAX_FRAME)
		return ZT_CNT_SKIP_PUSH;
	if (zt_h2_block_has_tp(msg, blk, blen)) {
		/* The client sends traceparent itself (an SDK), or we could not search all of it:
		 * later blocks may refer to it through the dynamic table, unseen. */
		*give_up = true;
		return ZT_CNT_SKIP_PRESENT;
	}
	return 0;
}

/* Where a HEADERS frame's block ends (unpadded frames only): the field goes there. */
static __always_inline __u32 zt_h2_block_end(const struct zt_h2_frame *f)
{
	return f->off + ZT_H2_FRAME_HDR + f->len;
}

/* The walk over one message's frames, one bpf_loop step per frame. */
struct zt_h2_walk {
	struct sk_msg_md *msg;
	struct zt_tuple tuple;
	__u32 off;		/* next frame header, in the message as modified so far */
	__u32 size;		/* message size, grown by each insertion */
	bool lost;		/* framing lost: where the next frame starts is unknown */
	bool give_up;		/* never touch this connection again */
};

/* One request HEADERS frame: the field goes in unless a rule says no. Returns its growth. */
static __always_inline __u32 zt_h2_headers(struct zt_h2_walk *w, const struct zt_h2_frame *f)
{
	struct zt_trace_ctx ctx, conn_parent;
	__u32 why = zt_h2_check(w->msg, f, w->size, &w->give_up);

	if (why) {
		zt_count(why);
		return 0;
	}
	zt_client_ctx(&ctx, zt_client_parent(&w->tuple, &conn_parent));
	if (!zt_h2_insert(w->msg, f, zt_h2_block_end(f), &ctx)) {
		zt_count(ZT_CNT_SKIP_PUSH);
		return 0;
	}
	zt_emit_inject(&w->tuple, &ctx, f->stream);
	zt_count(ZT_CNT_INJECTED);
	return ZT_H2_TP_FIELD_LEN;
}

static long zt_h2_step(__u32 i, void *arg)
{
	struct zt_h2_walk *w = arg;
	struct zt_h2_frame f = {};
	__u32 grown;
	int type;

	if (w->off >= w->size)
		return 1;
	/* A header cut between two messages: where the next frame starts is unknown. */
	if (w->off + ZT_H2_FRAME_HDR > w->size) {
		w->lost = true;
		return 1;
	}
	type = zt_h2_frame_at(w->msg, w->off, &f);
	if (type < 0) {
		w->lost = true;
		return 1;
	}
	grown = type == ZT_H2_HEADERS ? zt_h2_headers(w, &f) : 0;
	if (w->give_up)
		return 1;
	w->size += grown;
	w->off += ZT_H2_FRAME_HDR + f.len + grown;
	return 0;
}

/*
 * sk_msg for messages that are not HTTP/1.x requests: HTTP/2 connections we follow. Frames
 * are handled in order, so a block that names traceparent itself stops the connection
 * before any later block (which might refer to it through the dynamic table) is touched.
 */
static __always_inline void zt_h2_msg(struct sk_msg_md *msg)
{
	struct zt_h2_tx fresh = { .skip = ZT_H2_PREFACE_LEN }, *st;
	struct zt_h2_walk w = { .msg = msg, .size = msg->size };
	__u8 *data = zt_msg_bytes(msg, 0, 8);

	zt_msg_tuple(msg, &w.tuple);
	if (data && w.size >= ZT_H2_PREFACE_LEN && zt_is_method(data, "PRI * HT", 8))
		bpf_map_update_elem(&zt_h2_tx, &w.tuple, &fresh, BPF_ANY);
	st = bpf_map_lookup_elem(&zt_h2_tx, &w.tuple);
	if (!st) {
		zt_count(ZT_CNT_SKIP_NOT_REQUEST);
		return;
	}
	if (st->lost)
		return;
	w.off = st->skip;
	bpf_loop(ZT_H2_MAX_FRAMES, zt_h2_step, &w, 0);
	if (w.off < w.size && !w.give_up)
		w.lost = true;	/* more frames than one walk handles */
	if (w.lost || w.give_up) {
		st->lost = 1;
		if (w.lost)
			zt_count(ZT_CNT_H2_LOST);
	} else {
		st->skip = w.off - w.size;
	}
	if (msg->size <= ZT_LINEARIZE_MAX)
		bpf_msg_pull_data(msg, 0, msg->size, 0);
}

#endif
