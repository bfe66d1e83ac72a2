/* Loads, configures and attaches the BPF programs; picks hooks by feature probing. */
#ifndef ZT_BPF_LOADER_H
#define ZT_BPF_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "zt_events.h"

/* Socket syscall hook families, best first. */
enum zt_hook_kind {
	ZT_HOOK_AUTO = 0,
	ZT_HOOK_TRACEPOINT,	/* syscalls/sys_{enter,exit}_* */
	ZT_HOOK_RAW_TP,		/* raw_tp sys_enter/sys_exit with a syscall-number dispatcher */
	ZT_HOOK_KPROBE,		/* ksyscall/kretsyscall kprobes on the syscall functions */
	ZT_HOOK_FENTRY,		/* fentry/fexit trampolines on the syscall functions */
	ZT_HOOK_SOCKET,		/* socket-layer tracepoints (tp_btf) for reads and writes,
				 * syscall tracepoints for the rest */
};

struct zt_bpf_config {
	uint32_t capture_bytes;
	bool trace_all;
	bool port_filter;
	bool exec_events;
	uint32_t n_cgroups;
	uint64_t cgroup_ids[ZT_MAX_CGROUPS];
	uint32_t cgroup_levels[ZT_MAX_CGROUPS];
	uint16_t ports[64];
	uint32_t n_ports;
	uint32_t ringbuf_bytes;		/* power of two */
	enum zt_hook_kind hook;
	uint8_t propagation;		/* ZT_PROPAGATE_* wanted */
};

struct zt_bpf;

/* Returns 0 or a negative errno, after a one-line error naming what is missing. */
int zt_bpf_start(struct zt_bpf **out, const struct zt_bpf_config *cfg);
void zt_bpf_stop(struct zt_bpf *bpf);
const char *zt_hook_name(enum zt_hook_kind kind);
struct zt_features;
/* The cheapest family the kernel offers (ZT_HOOK_AUTO: none). */
enum zt_hook_kind zt_hook_best(const struct zt_features *f);

int zt_bpf_trace_pid(struct zt_bpf *bpf, uint32_t tgid, bool follow_children);
/* Stop kernel events for a connection (userspace gave up on it). */
int zt_bpf_conn_off(struct zt_bpf *bpf, uint32_t tgid, uint32_t fd);
/* Take a connection's socket off the header path: it carries another protocol than HTTP. */
int zt_bpf_conn_no_headers(struct zt_bpf *bpf, uint32_t tgid, uint32_t fd);
/* Take a socket off the header path (after it was seen polled with FIONREAD). */
int zt_bpf_unhash_socket(struct zt_bpf *bpf, uint64_t cookie);
/* Sum of the per-CPU counters (enum zt_counter). */
int zt_bpf_counters(struct zt_bpf *bpf, uint64_t out[ZT_CNT__COUNT]);
/* Ring buffer fd for the event reader. */
int zt_bpf_ringbuf_fd(struct zt_bpf *bpf);

/* Kernel facts (zerotrace features). */
struct zt_features {
	bool btf;			/* /sys/kernel/btf/vmlinux */
	bool tracefs;			/* mounted (or mounted by us) */
	bool syscall_tracepoints;	/* syscalls/sys_enter_read exists */
	bool raw_tp;
	bool kprobes;			/* kprobe PMU or kprobe_events */
	bool fentry;			/* BPF trampoline loads */
	bool sock_tracepoints;		/* sock_{send,recv}_length, tcp_sendmsg_locked (tp_btf) */
	bool ringbuf;
	bool sockops;
	bool sk_msg;
	bool bpf_loop;			/* header scans in the kernel need it (5.17+) */
	bool probe_write_user;		/* not locked down */
	char lockdown[32];
	char cgroup2_path[256];		/* "" when no cgroup v2 mount */
};
/* Probed once per process (loads vmlinux BTF and test programs); later calls copy it. */
void zt_features_probe(struct zt_features *f);
/* Prefix of syscall function symbols on this architecture ("__x64_sys_"). */
const char *zt_syscall_prefix(void);
/* Mount tracefs at /sys/kernel/tracing when absent; 0 when available. */
int zt_tracefs_ensure(void);

#endif
