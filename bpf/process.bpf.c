// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Process lifecycle: follow traced processes through fork, report exec and exit. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "maps.bpf.h"
#include "filter.bpf.h"

static __always_inline struct zt_proc_event *zt_proc_event_init(__u32 type, __u32 tgid)
{
	__u32 zero = 0;
	struct zt_proc_event *ev = bpf_map_lookup_elem(&zt_proc_scratch, &zero);

	if (!ev)
		return NULL;
	ev->hdr.type = type;
	ev->hdr.tgid = tgid;
	ev->hdr.tid = (__u32)bpf_get_current_pid_tgid();
	ev->hdr.fd = 0;
	ev->hdr.ts_enter = ev->hdr.ts_exit = bpf_ktime_get_ns();
	ev->hdr.conn_id = 0;
	ev->ppid = ev->exit_code = ev->args_len = ev->env_len = ev->flags = ev->pad = 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	return ev;
}

static __always_inline void zt_proc_submit(struct zt_proc_event *ev, __u32 payload)
{
	if (payload > sizeof(ev->data))
		payload = sizeof(ev->data);
	/* Process events are rare and --exe must act on them at once: always wake the reader. */
	if (bpf_ringbuf_output(&zt_events, ev, offsetof(struct zt_proc_event, data) + payload,
			       BPF_RB_FORCE_WAKEUP))
		zt_count(ZT_CNT_RB_FULL);
	else
		zt_count(ZT_CNT_EVENTS);
}

/* A child of a followed process is followed too (threads share the tgid: skipped). */
SEC("raw_tracepoint/sched_process_fork")
int raw_process_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (struct task_struct *)ctx->args[0];
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	struct zt_proc_event *ev;
	__u8 *flags;

	if (ptgid == ctgid)
		return 0;
	flags = bpf_map_lookup_elem(&zt_pids, &ptgid);
	if (!flags || !(*flags & ZT_PID_FOLLOW_CHILDREN))
		return 0;
	bpf_map_update_elem(&zt_pids, &ctgid, flags, BPF_ANY);
	ev = zt_proc_event_init(ZT_EV_PROC_FORK, ctgid);
	if (!ev)
		return 0;
	ev->ppid = ptgid;
	zt_proc_submit(ev, 0);
	return 0;
}

/* Copy argv then environ from the new image; userspace reads service.name from it. */
SEC("raw_tracepoint/sched_process_exec")
int raw_process_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx->args[0];
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	struct zt_proc_event *ev;
	__u64 start, end, n;

	bool selected = zt_pid_selected(tgid);

	if (!zt_exec_events && !selected)
		return 0;
	ev = zt_proc_event_init(ZT_EV_PROC_EXEC, tgid);
	if (!ev)
		return 0;
	ev->flags = selected ? ZT_PROC_F_SELECTED : 0;
	start = BPF_CORE_READ(mm, arg_start);
	end = BPF_CORE_READ(mm, arg_end);
	n = end > start ? end - start : 0;
	if (n > ZT_EXEC_ARGS_MAX)
		n = ZT_EXEC_ARGS_MAX;
	if (n && bpf_probe_read_user(ev->data, n, (void *)start))
		n = 0;
	ev->args_len = n;
	start = BPF_CORE_READ(mm, env_start);
	end = BPF_CORE_READ(mm, env_end);
	n = end > start ? end - start : 0;
	if (n > ZT_EXEC_ENV_MAX)
		n = ZT_EXEC_ENV_MAX;
	if (n && bpf_probe_read_user(ev->data + ZT_EXEC_ARGS_MAX, n, (void *)start))
		n = 0;
	ev->env_len = n;
	zt_proc_submit(ev, ZT_EXEC_ARGS_MAX + n);
	return 0;
}

SEC("raw_tracepoint/sched_process_exit")
int raw_process_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx->args[0];
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct zt_proc_event *ev;

	/* Candidates too: with --port, userspace holds connections of unselected processes. */
	if (BPF_CORE_READ(task, pid) != tgid || !zt_pid_candidate(tgid))
		return 0;
	ev = zt_proc_event_init(ZT_EV_PROC_EXIT, tgid);
	if (!ev)
		return 0;
	ev->exit_code = BPF_CORE_READ(task, exit_code);
	zt_proc_submit(ev, 0);
	bpf_map_delete_elem(&zt_pids, &tgid);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
