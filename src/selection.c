/* Process selection: CLI choices → BPF maps, /proc scans at start, exec matching. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zt_log.h"
#include "zt_proc_table.h"
#include "zt_selection.h"

bool zt_selection_empty(const struct zt_selection *sel)
{
	return !sel->all && !sel->n_pids && !sel->n_exes && !sel->n_cgroups && !sel->n_ports;
}

bool zt_exe_matches(const char *glob, const char *path)
{
	const char *base = strrchr(path, '/');

	if (!path[0])
		return false;
	if (fnmatch(glob, path, 0) == 0)
		return true;
	return !strchr(glob, '/') && fnmatch(glob, base ? base + 1 : path, 0) == 0;
}

/* The cgroup v2 mount point (hybrid hierarchies put it at /sys/fs/cgroup/unified). */
static int cgroup2_root(char *out, size_t outlen)
{
	struct zt_features f;

	zt_features_probe(&f);
	if (!f.cgroup2_path[0])
		return -ENOENT;
	snprintf(out, outlen, "%s", f.cgroup2_path);
	return 0;
}

/* cgroup id = inode of its directory; level = depth below the v2 root. */
static int cgroup_resolve(const char *arg, uint64_t *id, uint32_t *level)
{
	char root[256], path[PATH_MAX], real[PATH_MAX];
	size_t rlen;
	struct stat st;

	if (cgroup2_root(root, sizeof(root))) {
		zt_err("--cgroup %s: no cgroup v2 mount found in /proc/mounts", arg);
		return -ENOENT;
	}
	if (arg[0] == '/' && strncmp(arg, root, strlen(root)) == 0)
		snprintf(path, sizeof(path), "%s", arg);
	else
		snprintf(path, sizeof(path), "%s/%s", root, arg[0] == '/' ? arg + 1 : arg);
	if (!realpath(path, real) || stat(real, &st) || !S_ISDIR(st.st_mode)) {
		zt_err("--cgroup %s: not a cgroup v2 directory (%s): %s", arg, path, strerror(errno));
		return -ENOENT;
	}
	rlen = strlen(root);
	if (strncmp(real, root, rlen) || (real[rlen] && real[rlen] != '/')) {
		zt_err("--cgroup %s: %s is not under the cgroup v2 mount %s", arg, real, root);
		return -EINVAL;
	}
	*id = st.st_ino;
	*level = 0;
	for (const char *p = real + rlen; *p; p++)
		if (*p == '/' && p[1])
			(*level)++;
	return 0;
}

int zt_selection_to_config(const struct zt_selection *sel, struct zt_bpf_config *cfg)
{
	cfg->trace_all = sel->all;
	cfg->port_filter = sel->n_ports > 0;
	cfg->exec_events = sel->n_exes > 0;
	for (int i = 0; i < sel->n_ports; i++)
		cfg->ports[cfg->n_ports++] = sel->ports[i];
	for (int i = 0; i < sel->n_cgroups; i++) {
		int err = cgroup_resolve(sel->cgroups[i], &cfg->cgroup_ids[i], &cfg->cgroup_levels[i]);

		if (err)
			return err;
		cfg->n_cgroups++;
	}
	return 0;
}

static uint32_t proc_ppid(uint32_t pid)
{
	char path[64], buf[512], *p;
	FILE *fp;
	unsigned ppid = 0;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	if (fgets(buf, sizeof(buf), fp) && (p = strrchr(buf, ')')))
		sscanf(p + 2, "%*c %u", &ppid);
	fclose(fp);
	return ppid;
}

static bool descends_from(uint32_t pid, uint32_t ancestor)
{
	for (int depth = 0; pid > 1 && depth < 64; depth++) {
		pid = proc_ppid(pid);
		if (pid == ancestor)
			return true;
	}
	return false;
}

static bool exe_selected(const struct zt_selection *sel, const char *exe)
{
	for (int i = 0; i < sel->n_exes; i++)
		if (zt_exe_matches(sel->exes[i], exe))
			return true;
	return false;
}

static void trace(struct zt_bpf *bpf, uint32_t pid, const char *why)
{
	int err = zt_bpf_trace_pid(bpf, pid, true);

	if (err)
		zt_warn("cannot trace pid %u: %s", pid, strerror(-err));
	else
		zt_info("tracing pid %u (%s)", pid, why);
}

/* Every process id in /proc but ours, in no particular order. */
static void for_each_pid(void (*fn)(uint32_t pid, void *arg), void *arg)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		uint32_t pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (uint32_t)strtoul(de->d_name, NULL, 10);
		if (pid != (uint32_t)getpid())
			fn(pid, arg);
	}
	closedir(d);
}

struct descendant_scan {
	struct zt_bpf *bpf;
	uint32_t ancestor;
};

static void trace_if_descendant(uint32_t pid, void *arg)
{
	struct descendant_scan *scan = arg;

	if (descends_from(pid, scan->ancestor))
		trace(scan->bpf, pid, "descendant");
}

static void trace_descendants(struct zt_bpf *bpf, uint32_t ancestor)
{
	struct descendant_scan scan = { .bpf = bpf, .ancestor = ancestor };

	for_each_pid(trace_if_descendant, &scan);
}

struct selection_scan {
	const struct zt_selection *sel;
	struct zt_bpf *bpf;
};

/* A process already running: selected as a --pid descendant or by --exe. */
static void trace_if_selected(uint32_t pid, void *arg)
{
	struct selection_scan *scan = arg;
	char exe[PATH_MAX];

	for (int i = 0; i < scan->sel->n_pids; i++)
		if (descends_from(pid, scan->sel->pids[i]))
			trace(scan->bpf, pid, "descendant of --pid");
	if (scan->sel->n_exes) {
		zt_proc_exe_path(pid, exe, sizeof(exe));
		if (exe_selected(scan->sel, exe))
			trace(scan->bpf, pid, "--exe");
	}
}

void zt_selection_apply(const struct zt_selection *sel, struct zt_bpf *bpf)
{
	struct selection_scan scan = { .sel = sel, .bpf = bpf };

	for (int i = 0; i < sel->n_pids; i++) {
		if (kill((pid_t)sel->pids[i], 0) && errno == ESRCH)
			zt_warn("--pid %u: no such process", sel->pids[i]);
		trace(bpf, sel->pids[i], "--pid");
	}
	if (sel->n_pids || sel->n_exes)
		for_each_pid(trace_if_selected, &scan);
}

bool zt_selection_on_exec(const struct zt_selection *sel, struct zt_bpf *bpf, uint32_t tgid,
			  const char *argv0)
{
	char exe[PATH_MAX];

	if (!sel->n_exes)
		return false;
	zt_proc_exe_path(tgid, exe, sizeof(exe));
	if (!exe_selected(sel, exe) && !(argv0 && exe_selected(sel, argv0)))
		return false;
	trace(bpf, tgid, "--exe");
	/* Children forked before the line above are not followed by the kernel: add them. */
	trace_descendants(bpf, tgid);
	return true;
}
