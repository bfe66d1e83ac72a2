/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Events and map keys shared by the BPF programs and the agent. Fixed-width types only. */
#ifndef ZT_EVENTS_H
#define ZT_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Largest payload one data event can carry (--capture-bytes upper bound); power of two. */
#define ZT_MAX_CAPTURE 16384
/* Default payload captured per syscall: enough for a typical request head. */
#define ZT_DEFAULT_CAPTURE 4096
/* iovecs walked per readv/writev/sendmsg/recvmsg; the rest are counted as uncaptured bytes. */
#define ZT_MAX_IOV 1024
/* mmsghdr entries walked per sendmmsg/recvmmsg. */
#define ZT_MAX_MMSG 4
/* cgroups that --cgroup can name. */
#define ZT_MAX_CGROUPS 8
/* Bytes of argv / environment copied at exec (for service.name and command args). */
#define ZT_EXEC_ARGS_MAX 1024
#define ZT_EXEC_ENV_MAX 4096
#define ZT_COMM_LEN 16

enum zt_event_type {
	ZT_EV_DATA = 1,		/* payload read or written on a socket */
	ZT_EV_CONN_OPEN = 2,	/* connect/accept completed, or socket found lazily */
	ZT_EV_CONN_CLOSE = 3,	/* close() of a known socket */
	ZT_EV_PROC_EXEC = 4,	/* traced process exec'd (argv + env attached) */
	ZT_EV_PROC_EXIT = 5,	/* traced process (thread group) exited */
	ZT_EV_PROC_FORK = 6,	/* traced process forked a child that is now traced */
	ZT_EV_INJECT = 7,	/* traceparent inserted into an outgoing request (sk_msg) */
	ZT_EV_FIONREAD = 8,	/* ioctl(FIONREAD) on a hashed socket: userspace unhashes it */
};

/* Direction of a data event as seen from the traced process. */
enum zt_direction {
	ZT_DIR_EGRESS = 0,	/* write/send */
	ZT_DIR_INGRESS = 1,	/* read/recv */
};

enum zt_role {
	ZT_ROLE_UNKNOWN = 0,	/* socket found lazily: parsers infer the role */
	ZT_ROLE_CLIENT = 1,	/* connect() */
	ZT_ROLE_SERVER = 2,	/* accept() */
};

/* Protocol classified in the kernel from a connection's first bytes. */
enum zt_proto {
	ZT_PROTO_UNKNOWN = 0,	/* not yet seen enough bytes */
	ZT_PROTO_HTTP1 = 1,
	ZT_PROTO_HTTP2 = 2,
	ZT_PROTO_PGSQL = 3,
	ZT_PROTO_MYSQL = 4,
	ZT_PROTO_REDIS = 5,
	ZT_PROTO_OTHER = 15,	/* L7 candidates, still sent: userspace decides */
	ZT_PROTO_OFF = 255,	/* not interesting: no more events for this connection */
};

/* Well-known database ports: the kernel accepts mid-stream messages only there, and a
 * lazily found socket on one of them locally is the database server's. */
#define ZT_PORT_PGSQL 5432
#define ZT_PORT_MYSQL 3306
#define ZT_PORT_REDIS 6379

/* Which syscall produced a data event (for debugging and sendfile accounting). */
enum zt_syscall {
	ZT_SYS_READ = 0, ZT_SYS_WRITE, ZT_SYS_READV, ZT_SYS_WRITEV, ZT_SYS_RECVFROM,
	ZT_SYS_SENDTO, ZT_SYS_RECVMSG, ZT_SYS_SENDMSG, ZT_SYS_RECVMMSG, ZT_SYS_SENDMMSG,
	ZT_SYS_SENDFILE, ZT_SYS_CONNECT, ZT_SYS_ACCEPT, ZT_SYS_CLOSE, ZT_SYS__COUNT
};

/* Data event flags. */
#define ZT_DF_TRUNCATED 0x1	/* captured < len: the rest of the bytes are a gap */
#define ZT_DF_NO_PAYLOAD 0x2	/* bytes-only event (sendfile) */
#define ZT_DF_SERVER_CTX 0x4	/* chunk starts a server request; ctx holds its kernel-made IDs */
#define ZT_DF_TAIL 0x8		/* the last bytes of a chunk whose head was sent just before */

/* Drop/skip counters (index into the zt_counters per-CPU array). */
enum zt_counter {
	ZT_CNT_RB_FULL = 0,	/* ring buffer reserve/output failed: event lost */
	ZT_CNT_READ_FAIL,	/* bpf_probe_read_user of a payload failed */
	ZT_CNT_CONN_FULL,	/* connection map full */
	ZT_CNT_IOV_TRUNC,	/* more iovecs than ZT_MAX_IOV */
	ZT_CNT_EVENTS,		/* events submitted */
	ZT_CNT_INJECTED,	/* traceparent headers inserted */
	ZT_CNT_SKIP_NOT_REQUEST,	/* sk_msg: message does not start an HTTP/1.x request */
	ZT_CNT_SKIP_LINE,	/* sk_msg: request line not complete in this message */
	ZT_CNT_SKIP_HEAD,	/* sk_msg: header block not complete in the scanned window */
	ZT_CNT_SKIP_PRESENT,	/* sk_msg: request already carries traceparent */
	ZT_CNT_SKIP_PUSH,	/* sk_msg: bpf_msg_push_data/pull_data failed */
	ZT_CNT_FIONREAD_OFF,	/* sockets taken off the header path after ioctl(FIONREAD) */
	ZT_CNT_REPARENTED,	/* forwarded traceparent headers re-parented to the proxy's span */
	ZT_CNT_TCP_OPT_SENT,	/* requests whose context rides in a TCP option */
	ZT_CNT_TCP_OPT_RECV,	/* server requests that continued a context from a TCP option */
	ZT_CNT_TCP_OPT_NOROOM,	/* segments without room for the option (context not sent) */
	ZT_CNT_H2_SKIP_FRAME,	/* sk_msg: HTTP/2 HEADERS frame not injectable (flags, stream, split) */
	ZT_CNT_H2_LOST,		/* sk_msg: HTTP/2 connection whose framing was lost: left alone */
	ZT_CNT__COUNT
};

/* W3C trace context made in the kernel (IDs of a span whose context was propagated). */
struct zt_trace_ctx {
	__u8 trace_id[16];
	__u8 span_id[8];
	__u8 parent_id[8];	/* all zero: root */
};

/* Connection endpoints; addresses are IPv4-mapped IPv6 for AF_INET. */
struct zt_tuple {
	__u8 saddr[16];		/* local */
	__u8 daddr[16];		/* remote */
	__u16 sport;		/* local port, host order */
	__u16 dport;		/* remote port, host order */
	__u16 family;		/* AF_INET or AF_INET6 */
	__u16 pad;
};

/* Key of the connection map: one socket of one process. */
struct zt_conn_key {
	__u32 tgid;
	__u32 fd;
};

/* Per-connection kernel state (value of zt_conns). */
struct zt_conn_info {
	struct zt_tuple tuple;
	__u64 conn_id;		/* unique per (tgid, fd) lifetime: fds get reused */
	__u64 bytes[2];		/* bytes seen per direction (zt_direction) */
	__u64 cookie;		/* socket cookie (sockhash key), 0 if never assigned */
	__u8 role;		/* zt_role */
	__u8 proto;		/* zt_proto */
	__u8 is_socket;		/* 0: fd is not a TCP socket, cached so lookups stay cheap */
	__u8 tries;		/* chunks seen while proto is still unknown */
	__u8 fionread;		/* ZT_EV_FIONREAD already sent for this socket */
	__u8 pad[11];
};

/* Common header of every event. */
struct zt_event_hdr {
	__u32 type;		/* zt_event_type */
	__u32 tgid;
	__u32 tid;
	__u32 fd;
	__u64 ts_enter;		/* CLOCK_MONOTONIC ns at syscall entry */
	__u64 ts_exit;		/* CLOCK_MONOTONIC ns at syscall exit */
	__u64 conn_id;
};

/* ZT_EV_DATA: followed by `captured` bytes of payload. */
struct zt_data_event {
	struct zt_event_hdr hdr;
	struct zt_tuple tuple;
	__u64 offset;		/* bytes in this direction before this event (gap detection) */
	__u32 len;		/* bytes transferred by the syscall (this chunk) */
	__u32 captured;		/* payload bytes that follow */
	__u8 dir;		/* zt_direction */
	__u8 role;		/* zt_role */
	__u8 proto;		/* zt_proto */
	__u8 flags;		/* ZT_DF_* */
	__u8 syscall;		/* zt_syscall */
	__u8 pad[3];
	struct zt_trace_ctx ctx;	/* ZT_DF_SERVER_CTX */
	__u8 data[];
};

/* ZT_EV_INJECT: the client request written next on this socket carries ctx. */
struct zt_inject_event {
	struct zt_event_hdr hdr;	/* fd and conn_id are 0: sk_msg sees no descriptor */
	struct zt_tuple tuple;
	struct zt_trace_ctx ctx;	/* span_id: the client span; parent_id: its parent */
	__u32 stream_id;	/* HTTP/2 stream of the request; 0 for HTTP/1.x */
	__u32 pad;
};

/* ZT_EV_FIONREAD: hdr.conn_id carries the socket cookie (the sockhash key). */

/* Paths one traced client socket uses (value of the zt_sock_paths map). */
#define ZT_PATH_HEADERS 1
#define ZT_PATH_TCP 2

/* Propagation mechanisms (--propagation), bits of zt_propagation. */
#define ZT_PROPAGATE_HEADERS 0x1
#define ZT_PROPAGATE_TCP 0x2

/* ZT_EV_CONN_OPEN / ZT_EV_CONN_CLOSE. */
struct zt_conn_event {
	struct zt_event_hdr hdr;
	struct zt_tuple tuple;
	__u64 bytes[2];
	__u8 role;
	__u8 syscall;
	__u8 pad[6];
};

/* ZT_EV_PROC_EXEC / EXIT / FORK. */
struct zt_proc_event {
	struct zt_event_hdr hdr;
	__u32 ppid;		/* fork: parent tgid */
	__u32 exit_code;	/* exit: task->exit_code */
	__u32 args_len;		/* exec: bytes of NUL-separated argv in data[] */
	__u32 env_len;		/* exec: bytes of NUL-separated environ after argv */
	__u32 flags;		/* exec: ZT_PROC_F_* */
	__u32 pad;
	char comm[ZT_COMM_LEN];
	__u8 data[ZT_EXEC_ARGS_MAX + ZT_EXEC_ENV_MAX];
};

/* zt_proc_event.flags */
#define ZT_PROC_F_SELECTED 1	/* exec: the process was traced when it exec'd */

/* Value of zt_pids: why a process is traced. */
#define ZT_PID_TRACED 1
#define ZT_PID_FOLLOW_CHILDREN 2

/* Layout guards: the agent and the BPF side must agree byte for byte. */
_Static_assert(sizeof(struct zt_tuple) == 40, "zt_tuple layout");
_Static_assert(sizeof(struct zt_event_hdr) == 40, "zt_event_hdr layout");
_Static_assert(sizeof(struct zt_data_event) == 136, "zt_data_event layout");
_Static_assert(sizeof(struct zt_conn_info) == 88, "zt_conn_info layout");
_Static_assert(sizeof(struct zt_inject_event) == 120, "zt_inject_event layout");

#endif
