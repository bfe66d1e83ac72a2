/* What to trace: --pid, --exe, --cgroup, --port, --all, turned into kernel filters. */
#ifndef ZT_SELECTION_H
#define ZT_SELECTION_H

#include <stdbool.h>
#include <stdint.h>

#include "zt_bpf_loader.h"

#define ZT_SEL_MAX 64

struct zt_selection {
	uint32_t pids[ZT_SEL_MAX];
	int n_pids;
	const char *exes[ZT_SEL_MAX];	/* fnmatch globs on the executable path or its basename */
	int n_exes;
	const char *cgroups[ZT_MAX_CGROUPS];
	int n_cgroups;
	uint16_t ports[ZT_SEL_MAX];
	int n_ports;
	bool all;
};

bool zt_selection_empty(const struct zt_selection *sel);
/* Fill the kernel config from the selection; one-line error and -errno when a path is bad. */
int zt_selection_to_config(const struct zt_selection *sel, struct zt_bpf_config *cfg);
/* After load: trace the given pids (with their existing descendants) and --exe matches. */
void zt_selection_apply(const struct zt_selection *sel, struct zt_bpf *bpf);
/* An exec seen by the kernel: trace it when it matches an --exe glob (returns true then). */
bool zt_selection_on_exec(const struct zt_selection *sel, struct zt_bpf *bpf, uint32_t tgid,
			  const char *argv0);
bool zt_exe_matches(const char *glob, const char *path);

#endif
