/* Probe what this kernel offers: hooks, map types, lockdown, cgroup v2. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "zt_bpf_loader.h"
#include "zt_log.h"

#define TRACEFS "/sys/kernel/tracing"

static bool path_exists(const char *p)
{
	return access(p, F_OK) == 0;
}

int zt_tracefs_ensure(void)
{
	if (path_exists(TRACEFS "/events"))
		return 0;
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY) {
		zt_debug("cannot mount tracefs at %s: %s", TRACEFS, strerror(errno));
		return -errno;
	}
	zt_info("mounted tracefs at %s", TRACEFS);
	return path_exists(TRACEFS "/events") ? 0 : -ENOENT;
}

const char *zt_syscall_prefix(void)
{
#if defined(__x86_64__)
	return "__x64_sys_";
#elif defined(__aarch64__)
	return "__arm64_sys_";
#elif defined(__s390x__)
	return "__s390x_sys_";
#else
	return "sys_";
#endif
}

/* A minimal fentry program on a syscall function; EPERM under some lockdown setups. */
static bool probe_fentry(const struct btf *vmlinux)
{
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 },	/* r0 = 0 */
		{ .code = 0x95 },				/* exit */
	};
	char name[64];
	int id, fd;

	snprintf(name, sizeof(name), "%sread", zt_syscall_prefix());
	id = btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC);
	if (id < 0)
		return false;
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY,
		    .attach_btf_id = id);
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "zt_probe", "GPL", insns, 2, &opts);
	if (fd < 0) {
		zt_debug("fentry probe on %s: %s", name, strerror(-fd));
		return false;
	}
	close(fd);
	return true;
}

static void read_lockdown(struct zt_features *f)
{
	FILE *fp;

	/* securityfs is not always mounted; the lockdown level is only visible there. */
	if (!path_exists("/sys/kernel/security/lockdown"))
		mount("none", "/sys/kernel/security", "securityfs", 0, NULL);
	fp = fopen("/sys/kernel/security/lockdown", "r");
	char line[128] = "", *open, *end;

	snprintf(f->lockdown, sizeof(f->lockdown), "unknown");
	if (!fp)
		return;
	if (fgets(line, sizeof(line), fp)) {
		open = strchr(line, '[');
		end = open ? strchr(open, ']') : NULL;
		if (open && end) {
			*end = '\0';
			snprintf(f->lockdown, sizeof(f->lockdown), "%s", open + 1);
		}
	}
	fclose(fp);
}

static void find_cgroup2(struct zt_features *f)
{
	FILE *fp = fopen("/proc/mounts", "r");
	char dev[256], path[256], type[64];

	f->cgroup2_path[0] = '\0';
	if (!fp)
		return;
	while (fscanf(fp, "%255s %255s %63s %*[^\n]", dev, path, type) == 3) {
		if (strcmp(type, "cgroup2") == 0) {
			snprintf(f->cgroup2_path, sizeof(f->cgroup2_path), "%s", path);
			break;
		}
	}
	fclose(fp);
}

/* The socket layer's send/receive tracepoints and TCP's send start, as tp_btf (typedefs). */
static bool probe_sock_tracepoints(const struct btf *vmlinux)
{
	return btf__find_by_name_kind(vmlinux, "btf_trace_sock_recv_length", BTF_KIND_TYPEDEF) > 0 &&
	       btf__find_by_name_kind(vmlinux, "btf_trace_sock_send_length", BTF_KIND_TYPEDEF) > 0 &&
	       btf__find_by_name_kind(vmlinux, "btf_trace_tcp_sendmsg_locked", BTF_KIND_TYPEDEF) > 0;
}

static void features_probe_now(struct zt_features *f)
{
	struct btf *vmlinux;

	memset(f, 0, sizeof(*f));
	f->btf = path_exists("/sys/kernel/btf/vmlinux");
	f->tracefs = zt_tracefs_ensure() == 0;
	f->syscall_tracepoints = path_exists(TRACEFS "/events/syscalls/sys_enter_read/id");
	f->raw_tp = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL) == 1;
	f->kprobes = path_exists("/sys/bus/event_source/devices/kprobe/type");
	/* Parsing vmlinux BTF takes tens of milliseconds: once, for both probes that need it. */
	vmlinux = f->btf ? btf__load_vmlinux_btf() : NULL;
	if (vmlinux) {
		f->fentry = probe_fentry(vmlinux);
		f->sock_tracepoints = probe_sock_tracepoints(vmlinux);
		btf__free(vmlinux);
	}
	f->ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
	f->sockops = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SOCK_OPS, NULL) == 1;
	f->sk_msg = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SK_MSG, NULL) == 1;
	f->bpf_loop = libbpf_probe_bpf_helper(BPF_PROG_TYPE_SK_MSG, BPF_FUNC_loop, NULL) == 1;
	read_lockdown(f);
	/* Lockdown (integrity and up) removes the helper; libbpf's helper probe misses that. */
	f->probe_write_user = libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT,
						      BPF_FUNC_probe_write_user, NULL) == 1 &&
			      strcmp(f->lockdown, "integrity") != 0 &&
			      strcmp(f->lockdown, "confidentiality") != 0;
	find_cgroup2(f);
}

/* Start-up asks several times (hooks, propagation, cgroups); the kernel is probed once. */
void zt_features_probe(struct zt_features *f)
{
	static struct zt_features cached;
	static bool probed;

	if (!probed) {
		features_probe_now(&cached);
		probed = true;
	}
	*f = cached;
}
