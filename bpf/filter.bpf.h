/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Which processes are traced: decided before any copy, one lookup for untraced ones. */
#ifndef ZT_FILTER_BPF_H
#define ZT_FILTER_BPF_H

#include "maps.bpf.h"

static __always_inline bool zt_cgroup_selected(void)
{
	for (__u32 i = 0; i < ZT_MAX_CGROUPS; i++) {
		struct zt_cgroup_sel *sel;

		if (i >= zt_n_cgroups)
			break;
		sel = bpf_map_lookup_elem(&zt_cgroups, &i);
		if (sel && bpf_get_current_ancestor_cgroup_id(sel->level) == sel->id)
			return true;
	}
	return false;
}

/* The process is selected by --pid/--exe/--cgroup/--all or a followed fork. */
static __always_inline bool zt_pid_selected(__u32 tgid)
{
	if (tgid == zt_self_tgid)
		return false;
	if (zt_trace_all || bpf_map_lookup_elem(&zt_pids, &tgid))
		return true;
	return zt_n_cgroups && zt_cgroup_selected();
}

/* Worth looking at this process's sockets at all (selected, or --port may match). */
static __always_inline bool zt_pid_candidate(__u32 tgid)
{
	if (tgid == zt_self_tgid)
		return false;
	return zt_port_filter || zt_pid_selected(tgid);
}

#endif
