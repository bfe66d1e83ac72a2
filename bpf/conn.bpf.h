/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Connection table: (tgid, fd) → socket tuple, role, protocol and byte counters. */
#ifndef ZT_CONN_BPF_H
#define ZT_CONN_BPF_H

#include "maps.bpf.h"
#include "filter.bpf.h"

#define ZT_AF_INET 2
#define ZT_AF_INET6 10
#define ZT_SOCK_STREAM 1
#define ZT_IPPROTO_TCP 6
#define ZT_S_IFMT 00170000
#define ZT_S_IFSOCK 0140000

/* Chunks an unclassified connection may show before it is switched off. */
#define ZT_CLASSIFY_TRIES 16

/* Resolve a descriptor of the current process to its TCP socket, or NULL. */
static __always_inline struct sock *zt_fd_to_sock(__u32 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *file = NULL;
	struct socket *sock;
	struct sock *sk;
	__u16 mode;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & ZT_S_IFMT) != ZT_S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return NULL;
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_type) != ZT_SOCK_STREAM ||
	    BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != ZT_IPPROTO_TCP)
		return NULL;
	return sk;
}

/* Fill the tuple from the socket; false for families other than IPv4/IPv6. */
static __always_inline bool zt_sock_tuple(struct sock *sk, struct zt_tuple *t)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	__builtin_memset(t, 0, sizeof(*t));
	t->family = family;
	t->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	t->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == ZT_AF_INET) {
		__u32 s = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		/* IPv4-mapped IPv6 so userspace handles one address form. */
		t->saddr[10] = t->saddr[11] = 0xff;
		t->daddr[10] = t->daddr[11] = 0xff;
		__builtin_memcpy(&t->saddr[12], &s, 4);
		__builtin_memcpy(&t->daddr[12], &d, 4);
		return true;
	}
	if (family == ZT_AF_INET6) {
		BPF_CORE_READ_INTO(&t->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&t->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		return true;
	}
	return false;
}

static __always_inline bool zt_port_selected(const struct zt_tuple *t)
{
	return bpf_map_lookup_elem(&zt_ports, &t->sport) ||
	       bpf_map_lookup_elem(&zt_ports, &t->dport);
}

static __always_inline __u64 zt_next_conn_id(void)
{
	__u32 zero = 0;
	__u64 *seq = bpf_map_lookup_elem(&zt_conn_seq, &zero);

	return seq ? __sync_fetch_and_add(seq, 1) + 1 : 0;
}

static __always_inline void zt_emit_conn(__u32 type, __u32 fd, __u64 ts_enter,
					  struct zt_conn_info *ci, __u8 sys)
{
	struct zt_conn_event *ev;
	__u64 id = bpf_get_current_pid_tgid();

	ev = bpf_ringbuf_reserve(&zt_events, sizeof(*ev), 0);
	if (!ev) {
		zt_count(ZT_CNT_RB_FULL);
		return;
	}
	ev->hdr.type = type;
	ev->hdr.tgid = id >> 32;
	ev->hdr.tid = (__u32)id;
	ev->hdr.fd = fd;
	ev->hdr.ts_enter = ts_enter;
	ev->hdr.ts_exit = bpf_ktime_get_ns();
	ev->hdr.conn_id = ci->conn_id;
	ev->tuple = ci->tuple;
	ev->bytes[0] = ci->bytes[0];
	ev->bytes[1] = ci->bytes[1];
	ev->role = ci->role;
	ev->syscall = sys;
	__builtin_memset(ev->pad, 0, sizeof(ev->pad));
	bpf_ringbuf_submit(ev, zt_rb_submit_flags(sizeof(*ev)));
	zt_count(ZT_CNT_EVENTS);
}

/*
 * Record a descriptor; role is known at connect/accept, unknown when found lazily.
 * Non-sockets and unselected sockets are cached too, switched off, so the next
 * syscall on them costs one lookup.
 */
static __always_inline struct zt_conn_info *zt_conn_add(__u32 tgid, __u32 fd, __u8 role,
							 __u64 ts_enter, __u8 sys)
{
	struct zt_conn_key key = { .tgid = tgid, .fd = fd };
	struct zt_conn_info ci = {};
	struct sock *sk = zt_fd_to_sock(fd);

	ci.role = role;
	if (!sk || !zt_sock_tuple(sk, &ci.tuple)) {
		ci.proto = ZT_PROTO_OFF;
	} else {
		ci.is_socket = 1;
		ci.conn_id = zt_next_conn_id();
		ci.cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
		if (!zt_pid_selected(tgid) && !zt_port_selected(&ci.tuple))
			ci.proto = ZT_PROTO_OFF;
	}
	if (bpf_map_update_elem(&zt_conns, &key, &ci, BPF_ANY)) {
		zt_count(ZT_CNT_CONN_FULL);
		return NULL;
	}
	if (ci.is_socket && ci.proto != ZT_PROTO_OFF)
		zt_emit_conn(ZT_EV_CONN_OPEN, fd, ts_enter, &ci, sys);
	return bpf_map_lookup_elem(&zt_conns, &key);
}

/* Known descriptor, or found lazily (sockets opened before the agent started). */
static __always_inline struct zt_conn_info *zt_conn_get(__u32 tgid, __u32 fd, __u64 ts, __u8 sys)
{
	struct zt_conn_key key = { .tgid = tgid, .fd = fd };
	struct zt_conn_info *ci = bpf_map_lookup_elem(&zt_conns, &key);

	if (ci)
		return ci;
	return zt_conn_add(tgid, fd, ZT_ROLE_UNKNOWN, ts, sys);
}

static __always_inline bool zt_is_method(const __u8 *d, const char *m, int n)
{
	for (int i = 0; i < n; i++)
		if (d[i] != m[i])
			return false;
	return true;
}

/* Classify a connection from the first bytes of a chunk (8 bytes available). */
static __always_inline __u8 zt_classify(const __u8 *d, __u32 len)
{
	if (len >= 5 && zt_is_method(d, "HTTP/", 5))
		return ZT_PROTO_HTTP1;
	if (len >= 4 && (zt_is_method(d, "GET ", 4) || zt_is_method(d, "PUT ", 4)))
		return ZT_PROTO_HTTP1;
	if (len >= 5 && (zt_is_method(d, "POST ", 5) || zt_is_method(d, "HEAD ", 5)))
		return ZT_PROTO_HTTP1;
	if (len >= 6 && (zt_is_method(d, "PATCH ", 6) || zt_is_method(d, "TRACE ", 6)))
		return ZT_PROTO_HTTP1;
	if (len >= 7 && zt_is_method(d, "DELETE ", 7))
		return ZT_PROTO_HTTP1;
	if (len >= 8 && (zt_is_method(d, "OPTIONS ", 8) || zt_is_method(d, "CONNECT ", 8)))
		return ZT_PROTO_HTTP1;
	if (len >= 8 && zt_is_method(d, "PRI * HT", 8))
		return ZT_PROTO_HTTP2;
	/*
	 * An HTTP/2 connection seen from the middle: a HEADERS frame with END_HEADERS, only
	 * flags HEADERS may carry, a length under 16 KiB and the stream id's reserved bit clear.
	 */
	if (len >= 9 && d[0] == 0 && d[1] < 0x40 && d[3] == 0x01 && (d[4] & 0x04) &&
	    !(d[4] & ~0x2d) && !(d[5] & 0x80))
		return ZT_PROTO_HTTP2;
	return ZT_PROTO_UNKNOWN;
}

static __always_inline bool zt_is_digit(__u8 c)
{
	return c >= '0' && c <= '9';
}

static __always_inline bool zt_is_alpha(__u8 c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/*
 * RESP command array: "*<1-2 digits>\r\n$". Bitwise &, not &&: with branches clang selects
 * between two stack offsets by OR-ing the pointer, which the verifier refuses.
 */
static __always_inline bool zt_is_resp_array(const __u8 *d, __u32 len)
{
	__u8 c2 = d[2], c3 = d[3], c4 = d[4], c5 = d[5];
	bool one_digit = (c2 == '\r') & (c3 == '\n') & (c4 == '$');
	bool two_digits = zt_is_digit(c2) & (c3 == '\r') & (c4 == '\n') & (c5 == '$');

	return len >= 6 && d[0] == '*' && zt_is_digit(d[1]) && (one_digit | two_digits);
}

/*
 * Database protocols, from 8 bytes. Connection starts are unambiguous (PostgreSQL startup or
 * SSLRequest, MySQL server greeting, RESP arrays, a PostgreSQL 'Q' or MySQL COM_QUERY with
 * SQL text); other messages seen mid-stream (agent started on an open connection) are
 * short typed frames that other binary protocols could begin with, so they count only on
 * the protocol's well-known port. *client is set when the bytes show which side we are
 * (1: the client, 0: the server). Userspace parsers confirm.
 */
static __always_inline __u8 zt_classify_db(const __u8 *d, __u32 len, __u8 dir,
					   const struct zt_tuple *t, __u8 *client)
{
	bool egress = dir == ZT_DIR_EGRESS;

	if (len < 8)
		return ZT_PROTO_UNKNOWN;
	/* Requests: whoever sends them is the client. */
	*client = egress;
	/* PostgreSQL startup (protocol 3.0), SSLRequest or GSSENCRequest: int32 len, int32 code. */
	if (d[0] == 0 && d[1] == 0 && ((d[4] == 0 && d[5] == 3 && d[6] == 0 && d[7] == 0) ||
				       (d[4] == 0x04 && d[5] == 0xd2 && d[6] == 0x16 &&
					(d[7] == 0x2f || d[7] == 0x30))))
		return ZT_PROTO_PGSQL;
	/* Simple query: 'Q', int32 length (< 16 MiB), SQL text. */
	if (d[0] == 'Q' && d[1] == 0 && zt_is_alpha(d[5]) && zt_is_alpha(d[6]) && zt_is_alpha(d[7]))
		return ZT_PROTO_PGSQL;
	/* MySQL COM_QUERY: 3-byte length, sequence 0, command 3, SQL text. */
	if (d[3] == 0 && d[4] == 0x03 && zt_is_alpha(d[5]) && zt_is_alpha(d[6]) && zt_is_alpha(d[7]))
		return ZT_PROTO_MYSQL;
	if (zt_is_resp_array(d, len))
		return ZT_PROTO_REDIS;
	if (egress && t->dport == ZT_PORT_PGSQL && d[1] == 0 && (d[0] == 'P' || d[0] == 'B'))
		return ZT_PROTO_PGSQL;
	if (egress && t->dport == ZT_PORT_MYSQL && d[2] == 0 && d[3] == 0 &&
	    (d[4] == 0x16 || d[4] == 0x17 || d[4] == 0x0e))
		return ZT_PROTO_MYSQL;
	/* Server first: the MySQL greeting (3-byte length, sequence 0, protocol 10, version). */
	*client = !egress;
	if (d[2] == 0 && d[3] == 0 && d[4] == 0x0a && d[5] >= '1' && d[5] <= '9' && d[6] == '.')
		return ZT_PROTO_MYSQL;
	if (!egress && t->dport == ZT_PORT_REDIS &&
	    (d[0] == '+' || d[0] == '-' || d[0] == ':' || d[0] == '$'))
		return ZT_PROTO_REDIS;
	return ZT_PROTO_UNKNOWN;
}

#endif
