/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Every map and tunable of zerotrace's BPF side, declared once (weak: each .bpf.c includes
 * this file and the static linker merges the copies into one). */
#ifndef ZT_MAPS_BPF_H
#define ZT_MAPS_BPF_H

#include "zt_events.h"

/* Syscall arguments stashed at entry, keyed by pid_tgid, consumed at exit. */
struct zt_sys_args {
	__u64 fd;
	__u64 buf;		/* buffer, iovec array, msghdr or mmsghdr array */
	__u64 cnt;		/* iovcnt / vlen */
	__u64 ts;		/* entry time */
	__u8 sys;		/* zt_syscall */
	__u8 valid;		/* set at entry, cleared at exit */
	__u8 pad[6];
	__u64 send_ts;		/* socket-layer hooks: start of the send in progress, 0: none */
};

/* Traced process selection: one of the --cgroup entries (a cgroup and its descendants). */
struct zt_cgroup_sel {
	__u64 id;
	__u32 level;
	__u32 pad;
};

/* Tunables set by the loader between open and load. */
const volatile __u32 zt_capture_bytes __weak = ZT_DEFAULT_CAPTURE;
/* Trace every process (--all) or every process as a candidate for --port. */
const volatile __u8 zt_trace_all __weak = 0;
/* --port given: connections of untraced processes are traced only on these ports. */
const volatile __u8 zt_port_filter __weak = 0;
/* --exe given: exec events of untraced processes go to userspace for glob matching. */
const volatile __u8 zt_exec_events __weak = 0;
/* Number of valid entries in zt_cgroups. */
const volatile __u32 zt_n_cgroups __weak = 0;
/* The agent itself: never traced (its own export traffic would feed back). */
const volatile __u32 zt_self_tgid __weak = 0;
/* Propagation mechanisms switched on (ZT_PROPAGATE_*). */
const volatile __u8 zt_propagation __weak = 0;
/* Syscall numbers for the raw_tp fallback dispatcher (arch-specific, from userspace). */
const volatile __s32 zt_nr[ZT_SYS__COUNT] __weak = {};
const volatile __s32 zt_nr_accept4 __weak = -1;
const volatile __s32 zt_nr_ioctl __weak = -1;

/* zt_pids: traced processes (tgid → ZT_PID_* flags). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} zt_pids SEC(".maps") __weak;

/* zt_cgroups: --cgroup selections (index → cgroup id and level). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ZT_MAX_CGROUPS);
	__type(key, __u32);
	__type(value, struct zt_cgroup_sel);
} zt_cgroups SEC(".maps") __weak;

/* zt_ports: --port selections (port → 1). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
} zt_ports SEC(".maps") __weak;

/* zt_conns: known file descriptors of traced processes (sockets and cached non-sockets). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct zt_conn_key);
	__type(value, struct zt_conn_info);
} zt_conns SEC(".maps") __weak;

/* zt_args: syscall arguments between entry and exit, in the thread's own task storage
 * (no hashing, no shared buckets: cheaper than a hash map on every syscall). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct zt_sys_args);
} zt_args SEC(".maps") __weak;

/* Vectors of a readv/writev-like call read in one copy (the rest one at a time). */
#define ZT_IOV_FIRST 4

/*
 * zt_scratch: event buffer per CPU (too big for the BPF stack), indexed by CPU id. A plain
 * array, not a per-CPU one: iovecs are copied one after another at variable offsets, and
 * the verifier needs room for a whole capture past any offset below ZT_MAX_CAPTURE, which
 * exceeds the 32 KiB a per-CPU value may have. The loader sets one entry per possible CPU.
 */
struct zt_scratch_buf {
	struct zt_data_event ev;
	__u8 data[2 * ZT_MAX_CAPTURE];
	/* The first iovecs of a vectored call, read in one go (most calls have 1-4): here,
	 * not on the stack, which the deepest call chain would overflow. */
	struct iovec iov_first[ZT_IOV_FIRST];
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct zt_scratch_buf);
} zt_scratch SEC(".maps") __weak;

static __always_inline struct zt_scratch_buf *zt_scratch_get(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&zt_scratch, &cpu);
}

/* zt_proc_scratch: per-CPU process event buffer. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zt_proc_event);
} zt_proc_scratch SEC(".maps") __weak;

/* zt_events: the one ring buffer to userspace (size set by the loader). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} zt_events SEC(".maps") __weak;

/* zt_counters: drops and totals (zt_counter), per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZT_CNT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} zt_counters SEC(".maps") __weak;

/* zt_conn_seq: source of conn_id values (slot 0). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} zt_conn_seq SEC(".maps") __weak;

/* zt_sockhash: client sockets of traced processes on the header path (key: socket cookie). */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} zt_sockhash SEC(".maps") __weak;

/* zt_connecting: sockets of traced processes between connect() and ESTABLISHED. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} zt_connecting SEC(".maps") __weak;

/* The server request a thread is handling, and the connection it came on. */
struct zt_thread_req {
	struct zt_trace_ctx ctx;
	__u32 fd;		/* the connection it came on */
	__u32 active;		/* 0: answered. Cleared, not deleted: an LRU update or delete
				 * per request cost more than the rest of the read */
};

/* zt_thread_ctx: server request a thread is handling (pid_tgid → zt_thread_req). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct zt_thread_req);
} zt_thread_ctx SEC(".maps") __weak;

/* zt_connect_parent: server request whose thread connected a client socket (tuple → ctx). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct zt_tuple);
	__type(value, struct zt_trace_ctx);
} zt_connect_parent SEC(".maps") __weak;

/*
 * zt_proc_req: the last server request a process read with kernel IDs (HTTP/1.x, or HTTP/2
 * with a traceparent), for calls written by threads that did not read it themselves: gRPC
 * servers hand requests from I/O threads to workers, and gRPC clients write from their own
 * I/O threads.
 */
struct zt_proc_req {
	struct zt_trace_ctx ctx;
	__u64 ts;		/* when it was read */
	__u64 prev_ts;		/* when the one before it was read */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct zt_proc_req);
} zt_proc_req SEC(".maps") __weak;

/* zt_sock_paths: propagation paths of established client sockets (cookie → ZT_PATH_*). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} zt_sock_paths SEC(".maps") __weak;

/* zt_tx_ctx: context the next data segments of a client socket carry in a TCP option. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct zt_trace_ctx);
} zt_tx_ctx SEC(".maps") __weak;

/* zt_rx_ctx: context received in a TCP option on a server socket, until a request uses it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct zt_trace_ctx);
} zt_rx_ctx SEC(".maps") __weak;

/* zt_no_headers: processes that poll sockets with ioctl(FIONREAD): kept off the sockhash. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} zt_no_headers SEC(".maps") __weak;

/*
 * zt_h2_tx: HTTP/2 client connections whose preface sk_msg saw, by tuple (sk_msg sees no
 * descriptor or cookie); deleted at close().
 */
struct zt_h2_tx {
	__u32 skip;		/* bytes of a frame that began in an earlier message */
	__u8 lost;		/* framing lost or traceparent sent by the client: hands off */
	__u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct zt_tuple);
	__type(value, struct zt_h2_tx);
} zt_h2_tx SEC(".maps") __weak;

/*
 * Wake the reader once per ZT_WAKEUP_BYTES queued: a wakeup per event (irq_work, a self-IPI
 * that exits to the hypervisor in a VM) costs more than the event itself. Only the record
 * that crosses a multiple of ZT_WAKEUP_BYTES wakes; while the reader is behind, the others
 * must not (forcing a wakeup for every record above the mark cost 0.3 us per event). The
 * reader also polls on a short timeout, so a missed crossing waits at most that long.
 */
#define ZT_WAKEUP_BYTES (256 * 1024)

static __always_inline __u64 zt_rb_wake(__u64 before, __u64 after)
{
	return before / ZT_WAKEUP_BYTES != after / ZT_WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP :
								     BPF_RB_NO_WAKEUP;
}

/* Flags for bpf_ringbuf_output() of size bytes (the record is not queued yet). */
static __always_inline __u64 zt_rb_flags(__u64 size)
{
	__u64 queued = bpf_ringbuf_query(&zt_events, BPF_RB_AVAIL_DATA);

	return zt_rb_wake(queued, queued + size);
}

/* Flags for bpf_ringbuf_submit() of a reserved size-byte record (already counted). */
static __always_inline __u64 zt_rb_submit_flags(__u64 size)
{
	__u64 queued = bpf_ringbuf_query(&zt_events, BPF_RB_AVAIL_DATA);

	return zt_rb_wake(queued > size ? queued - size : 0, queued);
}

static __always_inline void zt_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&zt_counters, &idx);

	if (v)
		*v += 1;
}

#endif
