// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Socket syscalls: entry stashes the arguments per thread, exit emits data once the
 * return value is known. Syscall tracepoints are the primary hook; a raw_tp
 * sys_enter/sys_exit dispatcher serves kernels without syscall tracepoints.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

#include "maps.bpf.h"
#include "filter.bpf.h"
#include "conn.bpf.h"
#include "trace_ctx.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define ZT_EINPROGRESS 115

static __always_inline __u8 zt_sys_dir(__u8 sys)
{
	switch (sys) {
	case ZT_SYS_READ:
	case ZT_SYS_READV:
	case ZT_SYS_RECVFROM:
	case ZT_SYS_RECVMSG:
	case ZT_SYS_RECVMMSG:
		return ZT_DIR_INGRESS;
	default:
		return ZT_DIR_EGRESS;
	}
}

/* Where the data of an egress syscall starts in user memory (0: not a data syscall). */
static __always_inline __u64 zt_first_data(__u8 sys, __u64 buf)
{
	struct user_msghdr msg;
	struct iovec iov;

	switch (sys) {
	case ZT_SYS_WRITE:
	case ZT_SYS_SENDTO:
		return buf;
	case ZT_SYS_SENDMSG:
		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)buf))
			return 0;
		buf = (__u64)msg.msg_iov;
		/* fallthrough */
	case ZT_SYS_WRITEV:
		if (bpf_probe_read_user(&iov, sizeof(iov), (void *)buf))
			return 0;
		return (__u64)iov.iov_base;
	}
	return 0;
}

static __always_inline bool zt_may_carry_http1(__u8 proto)
{
	return proto == ZT_PROTO_UNKNOWN || proto == ZT_PROTO_HTTP1 || proto == ZT_PROTO_OTHER;
}

/*
 * TCP option path: a traced client starts writing a request on a socket that does not get
 * a header. Its context must be in place before the syscall sends the first segment.
 */
static __noinline void zt_tcp_tx_prepare(__u64 fd, __u8 sys, __u64 buf)
{
	struct zt_conn_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .fd = (__u32)fd };
	struct zt_conn_info *ci = bpf_map_lookup_elem(&zt_conns, &key);
	struct zt_trace_ctx ctx, conn_parent;
	__u8 head[8] = {}, *paths;
	__u64 cookie, data;

	/* Cheap checks first: servers, header-path sockets and connections known to carry
	 * something else than HTTP/1.x requests (databases, HTTP/2) read no user memory. */
	if (!ci || ci->role != ZT_ROLE_CLIENT || !ci->cookie || !zt_may_carry_http1(ci->proto))
		return;
	cookie = ci->cookie;
	paths = bpf_map_lookup_elem(&zt_sock_paths, &cookie);
	if (!paths || !(*paths & ZT_PATH_TCP) || (*paths & ZT_PATH_HEADERS))
		return;
	data = zt_first_data(sys, buf);
	if (!data)
		return;
	if (bpf_probe_read_user(head, sizeof(head), (void *)data) ||
	    !zt_is_request_start(head, sizeof(head)))
		return;
	zt_client_ctx(&ctx, zt_client_parent(&ci->tuple, &conn_parent));
	bpf_map_update_elem(&zt_tx_ctx, &cookie, &ctx, BPF_ANY);
	zt_emit_inject(&ci->tuple, &ctx, 0);
	zt_count(ZT_CNT_TCP_OPT_SENT);
}

static __always_inline int zt_enter(__u8 sys, __u64 fd, __u64 buf, __u64 cnt)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct zt_sys_args args = {}, *stash;

	if (!zt_pid_candidate(id >> 32))
		return 0;
	if (zt_propagation & ZT_PROPAGATE_TCP && zt_sys_dir(sys) == ZT_DIR_EGRESS)
		zt_tcp_tx_prepare(fd, sys, buf);
	args.fd = fd;
	args.buf = buf;
	args.cnt = cnt;
	args.sys = sys;
	args.ts = bpf_ktime_get_ns();
	args.valid = 1;
	stash = bpf_task_storage_get(&zt_args, bpf_get_current_task_btf(), 0,
				     BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (stash)
		*stash = args;
	return 0;
}

/* Switch the connection on once a chunk shows a known protocol; off after too many misses. */
static __always_inline bool zt_conn_classify(struct zt_conn_info *ci, const __u8 *head, __u32 n,
					     __u8 dir)
{
	if (ci->proto != ZT_PROTO_UNKNOWN)
		return ci->proto != ZT_PROTO_OFF;
	ci->proto = zt_classify(head, n);
	if (ci->proto == ZT_PROTO_UNKNOWN) {
		__u8 client = 0;

		ci->proto = zt_classify_db(head, n, dir, &ci->tuple, &client);
		/* Sockets found lazily (e.g. inherited from a forking server) learn their side. */
		if (ci->proto != ZT_PROTO_UNKNOWN && ci->role == ZT_ROLE_UNKNOWN)
			ci->role = client ? ZT_ROLE_CLIENT : ZT_ROLE_SERVER;
	}
	if (ci->proto != ZT_PROTO_UNKNOWN)
		return true;
	if (++ci->tries >= ZT_CLASSIFY_TRIES)
		ci->proto = ZT_PROTO_OFF;
	return false;
}

/*
 * Bytes to copy. HTTP/2 takes all it can whatever --capture-bytes says: one header block
 * missed breaks HPACK for the rest of the connection (gRPC reads 8 KiB at a time). The
 * masked form (n-1 & mask)+1 keeps 1..ZT_MAX_CAPTURE unchanged and proves the bound to the
 * verifier, which clang's reordered compares do not.
 */
static __always_inline __u32 zt_capture_len(__u32 len, __u8 flags, __u8 proto)
{
	__u64 n = len;

	if (flags & ZT_DF_NO_PAYLOAD)
		return 0;
	if (n > zt_capture_bytes && proto != ZT_PROTO_HTTP2)
		n = zt_capture_bytes;
	if (n > ZT_MAX_CAPTURE)
		n = ZT_MAX_CAPTURE;
	if (!n)
		return 0;
	asm volatile("%[n] += -1\n\t%[n] &= %[mask]\n\t%[n] += 1"
		     : [n] "+r"(n)
		     : [mask] "i"(ZT_MAX_CAPTURE - 1));
	return n;
}

/* Search state for a traceparent header in a captured request (bpf_loop callback). */
struct zt_tp_search {
	struct zt_scratch_buf *sb;
	__u32 len;
	__u32 pos;		/* next byte to look at */
	__u32 at;		/* offset of the header's value + 1; 0 when not found */
	bool h2;		/* an HTTP/2 literal field, not an HTTP/1.x header line */
};

/* Steps of a search: a word without the byte a match starts with, or one candidate each. */
#define ZT_TP_SEARCH_STEPS (ZT_TP_SCAN / 4)

/* "\n" + "traceparent:" + up to two spaces + 55 bytes of value */
#define ZT_TP_LINE_MIN (1 + 12 + 2 + 55)

/* The line after the "\n" at j: 1 stops (found, or the head ended), 0 goes on. */
static __always_inline long zt_tp_search_line(struct zt_tp_search *s, __u32 j)
{
	__u8 *p = &s->sb->data[j];

	if (j + ZT_TP_LINE_MIN > s->len)
		return 1;
	if (p[1] == '\r' || p[1] == '\n')
		return 1;	/* the blank line: the body is not searched */
	if (!zt_is_tp_name(p + 1))
		return 0;
	s->at = j + 14;
	return 1;
}

/* "\x0b" + "traceparent" + "\x37" + 55 bytes of value */
#define ZT_TP_H2_FIELD_MIN (13 + 55)

/* "\x0btraceparent\x37" at j: a literal field's plain name and the length of a plain value. */
static __always_inline long zt_h2_tp_search_field(struct zt_tp_search *s, __u32 j)
{
	__u8 *p = &s->sb->data[j];

	if (j + ZT_TP_H2_FIELD_MIN > s->len)
		return 1;
	if (p[12] != 55 || zt_load8(p + 1) != zt_load8("tracepar") ||
	    zt_load4(p + 8) != zt_load4("rent"))
		return 0;
	s->at = j + 14;
	return 1;
}

/* One bpf_loop step (see zt_scan_step): "\n" before an HTTP/1.x line, 11 = the h2 name's length. */
static long zt_tp_search_step(__u32 step, void *arg)
{
	struct zt_tp_search *s = arg;
	int i = zt_scan_step(s->sb->data, ZT_TP_SCAN - 1, &s->pos, s->len, s->h2 ? 11 : '\n');

	if (i == -1)
		return 0;
	if (i < 0)
		return 1;
	i &= ZT_TP_SCAN - 1;
	return s->h2 ? zt_h2_tp_search_field(s, i) : zt_tp_search_line(s, i);
}

/* Zeroed values that map entries are created from (no temporaries on the stack). */
static const struct zt_proc_req zt_proc_req_zero = {};
static const struct zt_thread_req zt_thread_req_zero = {};

/* Remember the process's last server request (see zt_proc_parent). */
static __always_inline void zt_proc_req_set(__u32 tgid, const struct zt_trace_ctx *ctx)
{
	struct zt_proc_req *pr = bpf_map_lookup_elem(&zt_proc_req, &tgid);

	if (!pr) {
		bpf_map_update_elem(&zt_proc_req, &tgid, &zt_proc_req_zero, BPF_NOEXIST);
		pr = bpf_map_lookup_elem(&zt_proc_req, &tgid);
		if (!pr)
			return;
	}
	pr->prev_ts = pr->ts;
	pr->ts = bpf_ktime_get_ns();
	zt_ctx_copy(&pr->ctx, ctx);
}

/* The thread now handles the request with these IDs: its outgoing requests are children. */
static __always_inline void zt_request_begin(__u64 pid_tgid, __u32 fd,
					     const struct zt_trace_ctx *ctx)
{
	struct zt_thread_req *cur = bpf_map_lookup_elem(&zt_thread_ctx, &pid_tgid);

	if (!cur) {
		bpf_map_update_elem(&zt_thread_ctx, &pid_tgid, &zt_thread_req_zero, BPF_NOEXIST);
		cur = bpf_map_lookup_elem(&zt_thread_ctx, &pid_tgid);
	}
	/* Only this thread's programs use its entry. */
	if (cur) {
		zt_ctx_copy(&cur->ctx, ctx);
		cur->fd = fd;
		cur->active = 1;
	}
	zt_proc_req_set(pid_tgid >> 32, ctx);
}

/*
 * A server request was read into this CPU's scratch buffer (n bytes): give it kernel-made
 * IDs (continuing its traceparent when it has one) and make it the thread's current
 * request, so outgoing requests the thread writes (sk_msg) become its children. A global
 * function, checked once by the verifier, not once per way its callers reach it.
 */
__noinline int zt_server_request(__u32 n, __u64 pid_tgid, __u64 cookie, __u32 fd)
{
	struct zt_scratch_buf *sb = zt_scratch_get();
	struct zt_tp_search search = { .sb = sb, .len = n };
	struct zt_trace_ctx *rx, *ctx;
	bool found = false;
	__u8 *p;

	if (!sb)
		return 0;
	ctx = &sb->ev.ctx;
	__builtin_memset(ctx, 0, sizeof(*ctx));
	bpf_loop(ZT_TP_SEARCH_STEPS, zt_tp_search_step, &search, 0);
	if (search.at) {
		p = &sb->data[(search.at - 1) & (ZT_TP_SCAN - 1)];
		p += *p == ' ';
		p += *p == ' ';
		found = zt_parse_traceparent(p, ctx);
	}
	/* No header: the client may have sent its context in a TCP option. */
	rx = !found && cookie ? bpf_map_lookup_elem(&zt_rx_ctx, &cookie) : NULL;
	if (rx) {
		zt_ctx_copy(ctx, rx);
		bpf_map_delete_elem(&zt_rx_ctx, &cookie);
		zt_count(ZT_CNT_TCP_OPT_RECV);
		found = true;
	}
	if (!found) {
		__builtin_memset(ctx, 0, sizeof(*ctx));
		zt_random_id(ctx->trace_id, 16);
	}
	zt_random_id(ctx->span_id, 8);
	zt_request_begin(pid_tgid, fd, ctx);
	return 0;
}



/*
 * HTTP/2 request bytes read by a server: when they carry a traceparent as a plain literal
 * (what zerotrace's sk_msg writes, and SDKs that do not Huffman-code it), give the request
 * kernel IDs continuing it and make it the thread's current request, as for HTTP/1.x.
 * Huffman-coded values are left to userspace, which then continues the trace in the span
 * but cannot hand the context to calls the thread makes before it has read the event.
 */
__noinline int zt_h2_server_request(__u32 n, __u64 pid_tgid, __u32 fd)
{
	struct zt_scratch_buf *sb = zt_scratch_get();
	struct zt_tp_search search = { .sb = sb, .len = n, .h2 = true };
	struct zt_trace_ctx *ctx;

	if (!sb)
		return 0;
	ctx = &sb->ev.ctx;
	__builtin_memset(ctx, 0, sizeof(*ctx));
	bpf_loop(ZT_TP_SEARCH_STEPS, zt_tp_search_step, &search, 0);
	if (!search.at || !zt_parse_traceparent(&sb->data[(search.at - 1) & (ZT_TP_SCAN - 1)], ctx))
		return 0;
	zt_random_id(ctx->span_id, 8);
	zt_request_begin(pid_tgid, fd, ctx);
	return 1;
}

/*
 * Database responses end with short messages (PostgreSQL CommandComplete and ReadyForQuery,
 * a MySQL EOF/OK, the end of a Redis reply) at the end of the last read, which the head
 * capture misses when a result set is large: such chunks also send their last bytes.
 */
#define ZT_TAIL_BYTES 256

static __always_inline __u32 zt_tail_len(const struct zt_conn_info *ci, __u32 len, __u32 n,
					 __u8 flags)
{
	__u32 rest = len - n;

	if ((flags & ZT_DF_NO_PAYLOAD) || n >= len)
		return 0;
	if (ci->proto != ZT_PROTO_PGSQL && ci->proto != ZT_PROTO_MYSQL && ci->proto != ZT_PROTO_REDIS)
		return 0;
	return rest < ZT_TAIL_BYTES ? rest : ZT_TAIL_BYTES;
}

/* The last t bytes of the chunk, as their own event right after the head's. */
static __always_inline void zt_emit_tail(struct zt_scratch_buf *sb, __u64 ubuf, __u32 len,
					 __u32 tail)
{
	__u32 t = ((tail - 1) & (ZT_TAIL_BYTES - 1)) + 1;

	if (bpf_probe_read_user(sb->data, t, (void *)(ubuf + len - t))) {
		zt_count(ZT_CNT_READ_FAIL);
		return;
	}
	sb->ev.offset += len - t;
	sb->ev.len = t;
	sb->ev.captured = t;
	sb->ev.flags = ZT_DF_TAIL;
	if (bpf_ringbuf_output(&zt_events, sb, sizeof(sb->ev) + t, zt_rb_flags(sizeof(sb->ev) + t))) {
		zt_count(ZT_CNT_RB_FULL);
		return;
	}
	zt_count(ZT_CNT_EVENTS);
}

/* The connection of a chunk, classified from its first bytes; NULL: nothing to send. */
static __always_inline struct zt_conn_info *zt_chunk_conn(__u32 tgid, __u64 fd, __u64 head_ptr,
							 __u32 len, __u8 dir, __u8 flags)
{
	struct zt_conn_key key = { .tgid = tgid, .fd = (__u32)fd };
	struct zt_conn_info *ci = bpf_map_lookup_elem(&zt_conns, &key);
	__u8 head[8] = {};

	if (!ci || !len || ci->proto == ZT_PROTO_OFF)
		return NULL;
	if (ci->proto == ZT_PROTO_UNKNOWN && !(flags & ZT_DF_NO_PAYLOAD)) {
		bpf_probe_read_user(head, sizeof(head), (void *)head_ptr);
		if (!zt_conn_classify(ci, head, len, dir)) {
			ci->bytes[dir] += len;
			return NULL;
		}
	}
	return ci;
}

/* Search for the token h2c in the head of a 101 response (bpf_loop callback). */
struct zt_h2c_search {
	const __u8 *d;
	__u32 len;
	bool found;
};

#define ZT_H2C_SCAN 256		/* a 101 head is short: "Connection: Upgrade", "Upgrade: h2c" */

static long zt_h2c_byte(__u32 i, void *arg)
{
	struct zt_h2c_search *s = arg;
	const __u8 *p;

	if (i + 4 > s->len)
		return 1;
	p = &s->d[i & (ZT_H2C_SCAN - 1)];
	if (p[0] == '\r' && p[1] == '\n' && p[2] == '\r' && p[3] == '\n')
		return 1;	/* end of the head */
	/* "h2c" as a whole token: after ' ', ':' or ',' and before ' ', ',' or CR. */
	if ((p[0] == ' ' || p[0] == ':' || p[0] == ',') && (p[1] | 0x20) == 'h' && p[2] == '2' &&
	    (p[3] | 0x20) == 'c' && i + 5 <= s->len &&
	    (p[4] == ' ' || p[4] == ',' || p[4] == '\r')) {
		s->found = true;
		return 1;
	}
	return 0;
}

/*
 * ci is an HTTP/1.x connection. A 101 Switching Protocols to h2c (HTTP/1.1 Upgrade, RFC 7540
 * 3.2) in its chunk: from now on the connection is HTTP/2, which is captured whole (HPACK
 * needs every header block) and whose server reads are looked at as HTTP/2. Userspace's
 * HTTP/1.x parser hands over by itself.
 */
static __noinline void zt_check_upgrade_h2c(struct zt_conn_info *ci, struct zt_scratch_buf *sb,
					    __u32 n)
{
	struct zt_h2c_search s = { .d = sb->data, .len = n < ZT_H2C_SCAN ? n : ZT_H2C_SCAN };

	if (n < 16 || !zt_is_method(sb->data, "HTTP/1.1 101", 12))
		return;
	bpf_loop(ZT_H2C_SCAN, zt_h2c_byte, &s, 0);
	if (s.found)
		ci->proto = ZT_PROTO_HTTP2;
}

/*
 * n captured bytes of a len-byte chunk are in sb->data: fill in the event, hand a server
 * request its kernel IDs, and send it (the last tail bytes are left out of its length).
 */
static __always_inline void zt_send_chunk(struct zt_conn_info *ci, struct zt_scratch_buf *sb,
					  __u64 id, __u64 fd, __u32 len, __u32 n, __u32 tail,
					  __u32 sys_flags, __u64 ts)
{
	__u8 sys = sys_flags & 0xff, flags = (sys_flags >> 8) & 0xff;
	__u8 dir = zt_sys_dir(sys) & 1;

	sb->ev.hdr.type = ZT_EV_DATA;
	sb->ev.hdr.tgid = id >> 32;
	sb->ev.hdr.tid = (__u32)id;
	sb->ev.hdr.fd = (__u32)fd;
	sb->ev.hdr.ts_enter = ts;
	sb->ev.hdr.ts_exit = bpf_ktime_get_ns();
	sb->ev.hdr.conn_id = ci->conn_id;
	sb->ev.tuple = ci->tuple;
	sb->ev.offset = ci->bytes[dir];
	sb->ev.len = len - tail;
	sb->ev.captured = n;
	sb->ev.dir = dir;
	sb->ev.role = ci->role;
	sb->ev.proto = ci->proto;
	sb->ev.flags = flags | (n < len - tail ? ZT_DF_TRUNCATED : 0);
	sb->ev.syscall = sys;
	if (zt_propagation && n >= 8) {
		if (dir == ZT_DIR_INGRESS && ci->proto == ZT_PROTO_HTTP2 &&
		    ci->role != ZT_ROLE_CLIENT) {
			if (zt_h2_server_request(n, id, (__u32)fd))
				sb->ev.flags |= ZT_DF_SERVER_CTX;
		} else if (dir == ZT_DIR_INGRESS && zt_is_request_start(sb->data, n)) {
			zt_server_request(n, id, ci->cookie, (__u32)fd);
			sb->ev.flags |= ZT_DF_SERVER_CTX;
		} else if (dir == ZT_DIR_EGRESS && zt_is_method(sb->data, "HTTP/1.", 7)) {
			/*
			 * The thread answers a request: later writes are not its children. In an
			 * event loop this may be another connection's answer; forgetting then
			 * measured better (no parent) than keeping a context that is stale.
			 */
			struct zt_thread_req *req = bpf_map_lookup_elem(&zt_thread_ctx, &id);

			if (req)
				req->active = 0;
		}
	}
	ci->bytes[dir] += len;
	/* One byte looked at before the call: a 101 is rare. */
	if (ci->proto == ZT_PROTO_HTTP1 && n && sb->data[0] == 'H')
		zt_check_upgrade_h2c(ci, sb, n);
	if (bpf_ringbuf_output(&zt_events, sb, sizeof(sb->ev) + n, zt_rb_flags(sizeof(sb->ev) + n))) {
		zt_count(ZT_CNT_RB_FULL);
		return;
	}
	zt_count(ZT_CNT_EVENTS);
}

/*
 * HTTP/2 needs every header block (HPACK), and a server that falls behind reads 30 KiB at
 * once: its syscalls are sent as pieces of ZT_MAX_CAPTURE bytes, each its own event, up to
 * ZT_H2_PIECES; the last piece takes the rest (a gap past its capture). Other protocols and
 * the last piece take everything. ZT_PIECE_LAST rides in the flags byte, kernel-side only.
 */
#define ZT_H2_PIECES 4
#define ZT_PIECE_LAST 0x80

static __always_inline __u32 zt_piece_len(const struct zt_conn_info *ci, __u32 len,
					  __u32 sys_flags)
{
	if (ci->proto != ZT_PROTO_HTTP2 || ((sys_flags >> 8) & ZT_PIECE_LAST) ||
	    len <= ZT_MAX_CAPTURE)
		return len;
	return ZT_MAX_CAPTURE;
}

/*
 * One chunk of payload: copy up to zt_capture_bytes and send it. A global function, so the
 * verifier checks it once instead of once per call site. sys_flags packs zt_syscall (low
 * byte) and ZT_DF_* flags (second byte). Returns the bytes it covered (see zt_piece_len).
 */
__noinline int zt_emit_chunk(__u64 fd, __u64 ubuf, __u32 len, __u32 sys_flags, __u64 ts)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u8 flags = (sys_flags >> 8) & 0xff;
	__u8 dir = zt_sys_dir(sys_flags & 0xff) & 1;
	struct zt_conn_info *ci;
	struct zt_scratch_buf *sb;
	__u32 n, tail;

	ci = zt_chunk_conn(id >> 32, fd, ubuf, len, dir, flags);
	if (!ci)
		return 0;
	sb = zt_scratch_get();
	if (!sb)
		return 0;
	len = zt_piece_len(ci, len, sys_flags);
	sys_flags &= ~(ZT_PIECE_LAST << 8);
	flags &= ~ZT_PIECE_LAST;
	n = zt_capture_len(len, flags, ci->proto);
	if (n && bpf_probe_read_user(sb->data, n, (void *)ubuf)) {
		zt_count(ZT_CNT_READ_FAIL);
		n = 0;
		sys_flags |= ZT_DF_NO_PAYLOAD << 8;
		flags |= ZT_DF_NO_PAYLOAD;
	}
	tail = zt_tail_len(ci, len, n, flags);
	zt_send_chunk(ci, sb, id, fd, len, n, tail, sys_flags, ts);
	if (tail)
		zt_emit_tail(sb, ubuf, len, tail);
	return len;
}

/* Copying iovecs into one capture, one bpf_loop step per vector. */
struct zt_vec_copy {
	const struct iovec *iov;
	struct zt_scratch_buf *sb;
	__u32 iovcnt;
	__u32 skip;		/* bytes of earlier pieces: not copied again */
	__u32 pos;		/* bytes of the vectors walked so far */
	__u32 cap;		/* bytes to capture in all */
	__u32 off;		/* bytes captured so far */
	__u32 walked;		/* vectors looked at */
};

static long zt_vec_copy_one(__u32 i, void *arg)
{
	struct zt_vec_copy *vc = arg;
	struct iovec v = {};
	__u64 c;

	if (i >= vc->iovcnt || vc->off >= vc->cap)
		return 1;
	vc->walked = i + 1;
	if (i < ZT_IOV_FIRST)
		v = vc->sb->iov_first[i & (ZT_IOV_FIRST - 1)];
	else if (bpf_probe_read_user(&v, sizeof(v), &vc->iov[i]))
		return 1;
	vc->pos += v.iov_len;
	if (vc->pos <= vc->skip)
		return 0;
	if (vc->pos - v.iov_len < vc->skip) {
		/* This vector began in an earlier piece. */
		v.iov_base = (char *)v.iov_base + (vc->skip - (vc->pos - v.iov_len));
		v.iov_len = vc->pos - vc->skip;
	}
	c = v.iov_len < vc->cap - vc->off ? v.iov_len : vc->cap - vc->off;
	if (!c)
		return 0;
	/* Masked: off < ZT_MAX_CAPTURE and 1 <= c <= ZT_MAX_CAPTURE fit in 2 * that. */
	asm volatile("%[c] += -1\n\t%[c] &= %[mask]\n\t%[c] += 1"
		     : [c] "+r"(c)
		     : [mask] "i"(ZT_MAX_CAPTURE - 1));
	if (bpf_probe_read_user(&vc->sb->data[vc->off & (ZT_MAX_CAPTURE - 1)], c, v.iov_base)) {
		zt_count(ZT_CNT_READ_FAIL);
		return 1;
	}
	vc->off += c;
	return 0;
}

/*
 * readv/writev/recvmsg/sendmsg: the vectors copied one after another into one event, as
 * the peer sees them (gRPC writes a header block as a dozen small iovecs). Vectors past
 * ZT_MAX_IOV and bytes past the capture size are a gap.
 */
__noinline int zt_emit_vec(__u64 fd, __u64 iov_ptr, __u64 cnt_sys, __u32 len, __u64 ts)
{
	/* Five arguments at most: cnt_sys packs skip << 32 | vector count << 16 | sys_flags. */
	struct zt_vec_copy vc = { .iov = (const struct iovec *)iov_ptr,
				  .iovcnt = (cnt_sys >> 16) & 0xffff, .skip = cnt_sys >> 32 };
	__u32 sys_flags = cnt_sys & 0xffff;
	__u64 id = bpf_get_current_pid_tgid(), n;
	__u8 dir = zt_sys_dir(sys_flags & 0xff) & 1;
	struct zt_conn_info *ci;
	__u32 first = vc.iovcnt < ZT_IOV_FIRST ? vc.iovcnt : ZT_IOV_FIRST;

	vc.sb = zt_scratch_get();
	if (!vc.sb)
		return 0;
	/* The vectors that exist only: a full array could end at an unmapped page. */
	if (!first || bpf_probe_read_user(vc.sb->iov_first,
					  (first & (ZT_IOV_FIRST - 1) ?: ZT_IOV_FIRST) *
						  sizeof(struct iovec), vc.iov))
		return 0;
	ci = zt_chunk_conn(id >> 32, fd, (__u64)vc.sb->iov_first[0].iov_base, len, dir, 0);
	if (!ci)
		return 0;
	len = zt_piece_len(ci, len, sys_flags);
	sys_flags &= ~(ZT_PIECE_LAST << 8);
	vc.cap = zt_capture_len(len, 0, ci->proto);
	bpf_loop(ZT_MAX_IOV, zt_vec_copy_one, &vc, 0);
	if (vc.off < vc.cap && vc.walked == ZT_MAX_IOV && vc.iovcnt > ZT_MAX_IOV)
		zt_count(ZT_CNT_IOV_TRUNC);
	/* off <= cap <= ZT_MAX_CAPTURE already; the mask shows it to the verifier. */
	n = vc.off;
	if (n)
		asm volatile("%[n] += -1\n\t%[n] &= %[mask]\n\t%[n] += 1"
			     : [n] "+r"(n)
			     : [mask] "i"(ZT_MAX_CAPTURE - 1));
	zt_send_chunk(ci, vc.sb, id, fd, len, (__u32)n, 0, sys_flags, ts);
	return len;
}

static __always_inline void zt_emit_data(const struct zt_sys_args *args, __u64 ubuf, __u32 len,
					 __u8 flags)
{
	for (int i = 0; i < ZT_H2_PIECES && len; i++) {
		__u8 last = i == ZT_H2_PIECES - 1 ? ZT_PIECE_LAST : 0;
		int done = zt_emit_chunk(args->fd, ubuf, len, args->sys | (__u32)(flags | last) << 8,
					 args->ts);

		if (done <= 0 || (__u32)done >= len)
			break;
		ubuf += done;
		len -= done;
	}
}

static __always_inline void zt_emit_iov(const struct zt_sys_args *args, __u64 iov_ptr, __u64 iovcnt, __u32 total)
{
	__u64 cnt = iovcnt > ZT_MAX_IOV ? ZT_MAX_IOV + 1 : iovcnt;
	__u32 skip = 0;

	for (int i = 0; i < ZT_H2_PIECES && skip < total; i++) {
		__u64 last = i == ZT_H2_PIECES - 1 ? ZT_PIECE_LAST << 8 : 0;
		int done = zt_emit_vec(args->fd, iov_ptr, (__u64)skip << 32 | cnt << 16 | args->sys | last,
				       total - skip, args->ts);

		if (done <= 0)
			break;
		skip += done;
	}
}

static __always_inline void zt_emit_msghdr(const struct zt_sys_args *args, __u64 msg_ptr, __u32 total)
{
	const struct user_msghdr *msg = (const struct user_msghdr *)msg_ptr;
	/* msg_iov and msg_iovlen only: the whole header on the stack made the deepest call
	 * chain (exit program → zt_emit_vec → zt_server_request) exceed 512 bytes. */
	struct iovec *iov;
	__u64 iovlen;

	if (bpf_probe_read_user(&iov, sizeof(iov), &msg->msg_iov) ||
	    bpf_probe_read_user(&iovlen, sizeof(iovlen), &msg->msg_iovlen))
		return;
	zt_emit_iov(args, (__u64)iov, iovlen, total);
}

static __always_inline void zt_emit_mmsg(const struct zt_sys_args *args, int vlen)
{
	struct mmsghdr *mm = (struct mmsghdr *)args->buf;

	for (int j = 0; j < ZT_MAX_MMSG; j++) {
		__u32 len = 0;

		if (j >= vlen)
			break;
		if (bpf_probe_read_user(&len, sizeof(len), &mm[j].msg_len))
			break;
		zt_emit_msghdr(args, (__u64)&mm[j].msg_hdr, len);
	}
}

static __always_inline void zt_exit_data(const struct zt_sys_args *args, __u8 sys, long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct zt_conn_info *ci;

	if (ret <= 0)
		return;
	ci = zt_conn_get(tgid, (__u32)args->fd, args->ts, args->sys);
	if (!ci || ci->proto == ZT_PROTO_OFF)
		return;
	switch (sys) {
	case ZT_SYS_READ:
	case ZT_SYS_WRITE:
	case ZT_SYS_RECVFROM:
	case ZT_SYS_SENDTO:
		zt_emit_data(args, args->buf, (__u32)ret, 0);
		break;
	case ZT_SYS_READV:
	case ZT_SYS_WRITEV:
		zt_emit_iov(args, args->buf, args->cnt, (__u32)ret);
		break;
	case ZT_SYS_RECVMSG:
	case ZT_SYS_SENDMSG:
		zt_emit_msghdr(args, args->buf, (__u32)ret);
		break;
	case ZT_SYS_RECVMMSG:
	case ZT_SYS_SENDMMSG:
		zt_emit_mmsg(args, (int)ret);
		break;
	case ZT_SYS_SENDFILE:
		/* sendfile bytes never pass through user memory: count them only. */
		if (ci->proto != ZT_PROTO_UNKNOWN)
			zt_emit_data(args, 0, (__u32)ret, ZT_DF_NO_PAYLOAD);
		break;
	}
}

/* sys is a constant in the per-syscall tracepoints, so the compiler keeps one path each. */
static __always_inline int zt_exit(long ret, int sys)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct zt_sys_args *args = bpf_task_storage_get(&zt_args, bpf_get_current_task_btf(), 0, 0);

	if (!args || !args->valid)
		return 0;
	args->valid = 0;
	if (sys < 0)
		sys = args->sys;
	switch (sys) {
	case ZT_SYS_CONNECT:
		if (ret == 0 || ret == -ZT_EINPROGRESS)
			zt_conn_add(id >> 32, (__u32)args->fd, ZT_ROLE_CLIENT, args->ts, args->sys);
		break;
	case ZT_SYS_ACCEPT:
		if (ret >= 0)
			zt_conn_add(id >> 32, (__u32)ret, ZT_ROLE_SERVER, args->ts, args->sys);
		break;
	default:
		zt_exit_data(args, sys, ret);
	}
	return 0;
}

/*
 * A socket call's event from the syscall's saved registers (ts: when it started).
 * Reads need no entry program: their arguments are still in the task's saved registers at
 * exit, and a read's timing is its return. One program per read instead of two saves the
 * entry program (0.26 us) and the tracepoint's own entry work. Writes keep their entry: a
 * client span starts when the request's first write enters (and the TCP option path acts
 * before the segment leaves).
 */
static __always_inline int zt_call_done(struct pt_regs *regs, long ret, __u8 sys, __u64 ts)
{
	struct zt_sys_args args = {};

	args.fd = PT_REGS_PARM1_SYSCALL(regs);
	args.buf = PT_REGS_PARM2_SYSCALL(regs);
	args.cnt = PT_REGS_PARM3_SYSCALL(regs);	/* iovcnt / vlen; unused by the others */
	args.sys = sys;
	args.ts = ts;
	zt_exit_data(&args, sys, ret);
	return 0;
}

static __always_inline struct pt_regs *zt_task_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

static __always_inline int zt_exit_read(long ret, __u8 sys)
{
	struct pt_regs *regs;

	if (ret <= 0 || !zt_pid_candidate(bpf_get_current_pid_tgid() >> 32))
		return 0;
	regs = zt_task_regs();
	return regs ? zt_call_done(regs, ret, sys, bpf_ktime_get_ns()) : 0;
}

/* close(): forget the descriptor; tell userspace when it was a traced connection. */
static __always_inline int zt_close(__u64 fd)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct zt_conn_key key = { .tgid = id >> 32, .fd = (__u32)fd };
	struct zt_conn_info *ci;

	if (!zt_pid_candidate(key.tgid))
		return 0;
	ci = bpf_map_lookup_elem(&zt_conns, &key);
	if (!ci)
		return 0;
	if (ci->is_socket && ci->proto != ZT_PROTO_OFF)
		zt_emit_conn(ZT_EV_CONN_CLOSE, key.fd, bpf_ktime_get_ns(), ci, ZT_SYS_CLOSE);
	/* A later connection on the same tuple must not inherit HTTP/2 framing state. */
	if (ci->role == ZT_ROLE_CLIENT && ci->proto == ZT_PROTO_HTTP2)
		bpf_map_delete_elem(&zt_h2_tx, &ci->tuple);
	bpf_map_delete_elem(&zt_conns, &key);
	return 0;
}

/* --- syscall tracepoints (primary) --- */

/* One entry/exit pair per syscall; buf and cnt are expressions over ctx (0 when absent). */
#define ZT_TP_ENTER(name, sys, a_buf, a_cnt)                                              \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                       \
	int tp_enter_##name(struct trace_event_raw_sys_enter *ctx)                        \
	{                                                                                 \
		return zt_enter(sys, ctx->args[0], a_buf, a_cnt);                      \
	}                                                                                 \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                        \
	int tp_exit_##name(struct trace_event_raw_sys_exit *ctx)                          \
	{                                                                                 \
		return zt_exit(ctx->ret, sys);                                            \
	}

/* Reads: an exit program only (see zt_exit_read). */
#define ZT_TP_READ(name, sys)                                                             \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                        \
	int tp_exit_##name(struct trace_event_raw_sys_exit *ctx)                          \
	{                                                                                 \
		return zt_exit_read(ctx->ret, sys);                                        \
	}

ZT_TP_READ(read, ZT_SYS_READ)
ZT_TP_READ(readv, ZT_SYS_READV)
ZT_TP_READ(recvfrom, ZT_SYS_RECVFROM)
ZT_TP_READ(recvmsg, ZT_SYS_RECVMSG)
ZT_TP_READ(recvmmsg, ZT_SYS_RECVMMSG)

/*
 * --- socket-layer tracepoints (tp_btf, Linux 6.4+), preferred with syscall tracepoints ---
 * sock_recv_length and sock_send_length fire when a socket receive or send returns, so
 * reads and writes of files and pipes run nothing, and socket ones run the program
 * directly instead of through the syscall tracepoint's perf record (measured: 140 ns per
 * hooked syscall before the program does anything). The syscall's arguments come from its
 * saved registers. A send's start is tcp_sendmsg_locked's first step (a client span starts
 * there; the TCP option is set before the first segment). The loader then leaves out the
 * syscall programs of read, readv, recvfrom, recvmsg, write, writev, sendto and sendmsg;
 * recvmmsg, sendmmsg (these fire per message, index unknown) and sendfile (several sends
 * per call) keep theirs.
 */
#define ZT_MSG_PEEK 2

static __always_inline long zt_regs_syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return regs->orig_ax;
#elif defined(__TARGET_ARCH_arm64)
	return regs->syscallno;
#else
	return -1;
#endif
}

/* The socket syscall the task is in, one of the eight above; -1 for any other. */
static __always_inline int zt_sock_syscall(struct pt_regs *regs)
{
	long nr = zt_regs_syscall_nr(regs);

	for (int i = ZT_SYS_READ; i <= ZT_SYS_SENDMSG; i++)
		if (nr == zt_nr[i])
			return i;
	return -1;
}

/*
 * The registers of the syscall behind a TCP socket call that moved ret > 0 bytes in
 * direction dir, with that syscall in *sys; NULL for anything else (UDP, io_uring, ...).
 */
static __always_inline struct pt_regs *zt_sock_call(struct sock *sk, int ret, __u8 dir,
						    int *sys)
{
	struct pt_regs *regs;

	if (ret <= 0 || sk->sk_protocol != ZT_IPPROTO_TCP)
		return NULL;
	regs = zt_task_regs();
	if (!regs)
		return NULL;
	*sys = zt_sock_syscall(regs);
	return *sys >= 0 && zt_sys_dir(*sys) == dir ? regs : NULL;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(tb_sock_recv_length, struct sock *sk, int ret, int flags)
{
	struct pt_regs *regs;
	int sys;

	if ((flags & ZT_MSG_PEEK) || !zt_pid_candidate(bpf_get_current_pid_tgid() >> 32))
		return 0;
	regs = zt_sock_call(sk, ret, ZT_DIR_INGRESS, &sys);
	return regs ? zt_call_done(regs, ret, sys, bpf_ktime_get_ns()) : 0;
}

SEC("tp_btf/tcp_sendmsg_locked")
int BPF_PROG(tb_tcp_sendmsg_locked, const struct sock *sk, const struct msghdr *msg,
	     const struct sk_buff *skb, int size_goal)
{
	struct zt_sys_args *args;
	struct pt_regs *regs;
	int sys;

	if (!zt_pid_candidate(bpf_get_current_pid_tgid() >> 32))
		return 0;
	args = bpf_task_storage_get(&zt_args, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!args || args->send_ts)
		return 0;	/* a later step of the same send */
	args->send_ts = bpf_ktime_get_ns();
	if (!(zt_propagation & ZT_PROPAGATE_TCP))
		return 0;
	regs = zt_task_regs();
	sys = regs ? zt_sock_syscall(regs) : -1;
	if (sys >= 0 && zt_sys_dir(sys) == ZT_DIR_EGRESS)
		zt_tcp_tx_prepare(PT_REGS_PARM1_SYSCALL(regs), sys, PT_REGS_PARM2_SYSCALL(regs));
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(tb_sock_send_length, struct sock *sk, int ret, int flags)
{
	struct zt_sys_args *args;
	struct pt_regs *regs;
	__u64 start;
	int sys;

	if (!zt_pid_candidate(bpf_get_current_pid_tgid() >> 32))
		return 0;
	args = bpf_task_storage_get(&zt_args, bpf_get_current_task_btf(), 0, 0);
	start = args && args->send_ts ? args->send_ts : bpf_ktime_get_ns();
	if (args)
		args->send_ts = 0;
	regs = zt_sock_call(sk, ret, ZT_DIR_EGRESS, &sys);
	return regs ? zt_call_done(regs, ret, sys, start) : 0;
}

ZT_TP_ENTER(write, ZT_SYS_WRITE, ctx->args[1], 0)
ZT_TP_ENTER(writev, ZT_SYS_WRITEV, ctx->args[1], ctx->args[2])
ZT_TP_ENTER(sendto, ZT_SYS_SENDTO, ctx->args[1], 0)
ZT_TP_ENTER(sendmsg, ZT_SYS_SENDMSG, ctx->args[1], 0)
ZT_TP_ENTER(sendmmsg, ZT_SYS_SENDMMSG, ctx->args[1], ctx->args[2])
ZT_TP_ENTER(sendfile64, ZT_SYS_SENDFILE, 0, 0)
ZT_TP_ENTER(connect, ZT_SYS_CONNECT, 0, 0)
ZT_TP_ENTER(accept, ZT_SYS_ACCEPT, 0, 0)
ZT_TP_ENTER(accept4, ZT_SYS_ACCEPT, 0, 0)

SEC("tracepoint/syscalls/sys_enter_close")
int tp_enter_close(struct trace_event_raw_sys_enter *ctx)
{
	return zt_close(ctx->args[0]);
}

/* --- raw_tp fallback: one program per direction, dispatching on the syscall number --- */

static __always_inline int zt_nr_to_sys(long nr)
{
	for (int i = 0; i < ZT_SYS__COUNT; i++)
		if (zt_nr[i] >= 0 && nr == zt_nr[i])
			return i;
	if (nr == zt_nr_accept4)
		return ZT_SYS_ACCEPT;
	return -1;
}

static __always_inline int zt_ioctl(__u64 fd, __u64 cmd);

SEC("raw_tracepoint/sys_enter")
int raw_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long nr = (long)ctx->args[1];
	int sys = zt_nr_to_sys(nr);
	__u64 a0, a1, a2;

	/* Kernels without syscall tracepoints still need the FIONREAD watch. */
	if (nr == zt_nr_ioctl)
		return zt_ioctl(PT_REGS_PARM1_CORE_SYSCALL(regs), PT_REGS_PARM2_CORE_SYSCALL(regs));
	if (sys < 0)
		return 0;
	a0 = PT_REGS_PARM1_CORE_SYSCALL(regs);
	if (sys == ZT_SYS_CLOSE)
		return zt_close(a0);
	a1 = PT_REGS_PARM2_CORE_SYSCALL(regs);
	a2 = PT_REGS_PARM3_CORE_SYSCALL(regs);
	if (sys == ZT_SYS_CONNECT || sys == ZT_SYS_ACCEPT || sys == ZT_SYS_SENDFILE)
		a1 = a2 = 0;
	return zt_enter(sys, a0, a1, a2);
}

SEC("raw_tracepoint/sys_exit")
int raw_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	/* Every syscall of the system passes here: leave untraced processes at once. */
	if (!zt_pid_candidate(bpf_get_current_pid_tgid() >> 32))
		return 0;
	return zt_exit((long)ctx->args[1], -1);
}

/* --- kprobe variant (ksyscall): for kernels with kprobes but no syscall tracepoints --- */

#define ZT_KSYSCALL(name, tp_name, sys, a_buf, a_cnt)                                       \
	SEC("ksyscall/" #name)                                                              \
	int BPF_KSYSCALL(ks_enter_##tp_name, __u64 a0, __u64 a1, __u64 a2)                  \
	{                                                                                   \
		return zt_enter(sys, a0, a_buf, a_cnt);                                     \
	}                                                                                   \
	SEC("kretsyscall/" #name)                                                           \
	int BPF_KRETPROBE(ks_exit_##tp_name, long ret)                                      \
	{                                                                                   \
		return zt_exit(ret, sys);                                                   \
	}

ZT_KSYSCALL(read, read, ZT_SYS_READ, a1, 0)
ZT_KSYSCALL(write, write, ZT_SYS_WRITE, a1, 0)
ZT_KSYSCALL(readv, readv, ZT_SYS_READV, a1, a2)
ZT_KSYSCALL(writev, writev, ZT_SYS_WRITEV, a1, a2)
ZT_KSYSCALL(recvfrom, recvfrom, ZT_SYS_RECVFROM, a1, 0)
ZT_KSYSCALL(sendto, sendto, ZT_SYS_SENDTO, a1, 0)
ZT_KSYSCALL(recvmsg, recvmsg, ZT_SYS_RECVMSG, a1, 0)
ZT_KSYSCALL(sendmsg, sendmsg, ZT_SYS_SENDMSG, a1, 0)
ZT_KSYSCALL(recvmmsg, recvmmsg, ZT_SYS_RECVMMSG, a1, a2)
ZT_KSYSCALL(sendmmsg, sendmmsg, ZT_SYS_SENDMMSG, a1, a2)
ZT_KSYSCALL(sendfile, sendfile64, ZT_SYS_SENDFILE, 0, 0)
ZT_KSYSCALL(connect, connect, ZT_SYS_CONNECT, 0, 0)
ZT_KSYSCALL(accept, accept, ZT_SYS_ACCEPT, 0, 0)
ZT_KSYSCALL(accept4, accept4, ZT_SYS_ACCEPT, 0, 0)

SEC("ksyscall/close")
int BPF_KSYSCALL(ks_enter_close, __u64 fd)
{
	return zt_close(fd);
}

/*
 * --- fentry/fexit variant: BPF trampolines on the syscall functions (cheapest where the
 * kernel allows them; refused on lockdown kernels). The loader sets each program's target
 * (the arch prefix, e.g. __x64_sys_read) before load.
 */

#define ZT_FENTRY(name, sys, with_buf, with_cnt)                                            \
	SEC("fentry")                                                                       \
	int BPF_PROG(fe_enter_##name, struct pt_regs *regs)                                 \
	{                                                                                   \
		__u64 a1 = with_buf ? PT_REGS_PARM2_CORE_SYSCALL(regs) : 0;                 \
		__u64 a2 = with_cnt ? PT_REGS_PARM3_CORE_SYSCALL(regs) : 0;                 \
		return zt_enter(sys, PT_REGS_PARM1_CORE_SYSCALL(regs), a1, a2);             \
	}                                                                                   \
	SEC("fexit")                                                                        \
	int BPF_PROG(fe_exit_##name, struct pt_regs *regs, long ret)                        \
	{                                                                                   \
		return zt_exit(ret, sys);                                                   \
	}

ZT_FENTRY(read, ZT_SYS_READ, 1, 0)
ZT_FENTRY(write, ZT_SYS_WRITE, 1, 0)
ZT_FENTRY(readv, ZT_SYS_READV, 1, 1)
ZT_FENTRY(writev, ZT_SYS_WRITEV, 1, 1)
ZT_FENTRY(recvfrom, ZT_SYS_RECVFROM, 1, 0)
ZT_FENTRY(sendto, ZT_SYS_SENDTO, 1, 0)
ZT_FENTRY(recvmsg, ZT_SYS_RECVMSG, 1, 0)
ZT_FENTRY(sendmsg, ZT_SYS_SENDMSG, 1, 0)
ZT_FENTRY(recvmmsg, ZT_SYS_RECVMMSG, 1, 1)
ZT_FENTRY(sendmmsg, ZT_SYS_SENDMMSG, 1, 1)
ZT_FENTRY(sendfile64, ZT_SYS_SENDFILE, 0, 0)
ZT_FENTRY(connect, ZT_SYS_CONNECT, 0, 0)
ZT_FENTRY(accept, ZT_SYS_ACCEPT, 0, 0)
ZT_FENTRY(accept4, ZT_SYS_ACCEPT, 0, 0)

SEC("fentry")
int BPF_PROG(fe_enter_close, struct pt_regs *regs)
{
	return zt_close(PT_REGS_PARM1_CORE_SYSCALL(regs));
}

/*
 * ioctl(FIONREAD) on a socket in the sockhash reads 0 on kernels with the sockmap FIONREAD
 * regression, which stalls programs that poll with it. Tracing programs may not change a
 * sockhash, so userspace takes the socket out on this event; the process stays off the
 * header path from now on (its later connections use the host-local linking).
 */
#define ZT_FIONREAD 0x541B

static __always_inline int zt_ioctl(__u64 fd, __u64 cmd)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct zt_conn_key key = { .tgid = id >> 32, .fd = (__u32)fd };
	struct zt_event_hdr *ev;
	struct zt_conn_info *ci;
	__u8 one = 1;

	if (cmd != ZT_FIONREAD || !(zt_propagation & ZT_PROPAGATE_HEADERS) ||
	    !zt_pid_candidate(key.tgid))
		return 0;
	bpf_map_update_elem(&zt_no_headers, &key.tgid, &one, BPF_ANY);
	ci = bpf_map_lookup_elem(&zt_conns, &key);
	if (!ci || !ci->cookie || ci->role != ZT_ROLE_CLIENT || ci->fionread)
		return 0;
	ci->fionread = 1;
	ev = bpf_ringbuf_reserve(&zt_events, sizeof(*ev), 0);
	if (!ev) {
		zt_count(ZT_CNT_RB_FULL);
		return 0;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->type = ZT_EV_FIONREAD;
	ev->tgid = key.tgid;
	ev->tid = (__u32)id;
	ev->fd = key.fd;
	ev->ts_enter = ev->ts_exit = bpf_ktime_get_ns();
	ev->conn_id = ci->cookie;
	bpf_ringbuf_submit(ev, zt_rb_submit_flags(sizeof(*ev)));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_ioctl")
int tp_enter_ioctl(struct trace_event_raw_sys_enter *ctx)
{
	return zt_ioctl(ctx->args[0], ctx->args[1]);
}
