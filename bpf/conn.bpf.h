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
	bpf_ringbuf_submit(ev, zt_rb_flags());
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
	return ZT_PROTO_UNKNOWN;
}

#endif
