/* BPF lifecycle: open → configure rodata → pick hooks → load → attach. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "zt_bpf_loader.h"
#include "zt_log.h"
#include "zerotrace.skel.h"

struct zt_bpf {
	struct zerotrace_bpf *skel;
	enum zt_hook_kind hook;
	uint8_t propagation;		/* in force */
	struct bpf_link *sockops_link;
	int sk_msg_attached;		/* sk_msg attached to the sockhash (detach at stop) */
};

const char *zt_hook_name(enum zt_hook_kind kind)
{
	switch (kind) {
	case ZT_HOOK_TRACEPOINT:
		return "syscall tracepoints";
	case ZT_HOOK_RAW_TP:
		return "raw_tp sys_enter/sys_exit";
	case ZT_HOOK_KPROBE:
		return "kprobes (ksyscall)";
	case ZT_HOOK_FENTRY:
		return "fentry/fexit";
	case ZT_HOOK_SOCKET:
		return "socket tracepoints (tp_btf) + syscall tracepoints";
	default:
		return "auto";
	}
}

/* The program the kernel's verifier refused last, from libbpf's warning; "" for none. */
static char refused_prog[64];

static void note_refused_prog(const char *fmt, va_list ap)
{
	va_list copy;

	if (strncmp(fmt, "prog '%s': BPF program load failed", 34) != 0)
		return;
	va_copy(copy, ap);
	snprintf(refused_prog, sizeof(refused_prog), "%s", va_arg(copy, const char *));
	va_end(copy);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN)
		note_refused_prog(fmt, ap);
	if (level == LIBBPF_DEBUG && zt_log_level < ZT_LOG_DEBUG)
		return 0;
	if (level != LIBBPF_DEBUG && zt_log_level < ZT_LOG_INFO)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Syscall numbers for the raw_tp dispatcher, indexed by enum zt_syscall. */
static void set_syscall_numbers(struct zerotrace_bpf *skel)
{
	static const int nr[ZT_SYS__COUNT] = {
		[ZT_SYS_READ] = SYS_read,	  [ZT_SYS_WRITE] = SYS_write,
		[ZT_SYS_READV] = SYS_readv,	  [ZT_SYS_WRITEV] = SYS_writev,
		[ZT_SYS_RECVFROM] = SYS_recvfrom, [ZT_SYS_SENDTO] = SYS_sendto,
		[ZT_SYS_RECVMSG] = SYS_recvmsg,	  [ZT_SYS_SENDMSG] = SYS_sendmsg,
		[ZT_SYS_RECVMMSG] = SYS_recvmmsg, [ZT_SYS_SENDMMSG] = SYS_sendmmsg,
		[ZT_SYS_SENDFILE] = SYS_sendfile, [ZT_SYS_CONNECT] = SYS_connect,
		[ZT_SYS_ACCEPT] = SYS_accept,	  [ZT_SYS_CLOSE] = SYS_close,
	};

	for (int i = 0; i < ZT_SYS__COUNT; i++)
		skel->rodata->zt_nr[i] = nr[i];
	skel->rodata->zt_nr_accept4 = SYS_accept4;
	skel->rodata->zt_nr_ioctl = SYS_ioctl;
}

static bool tracepoint_exists(const char *sec)
{
	char path[256];

	/* sec is "tracepoint/<category>/<name>" */
	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/id", sec + strlen("tracepoint/"));
	return access(path, F_OK) == 0;
}

/* fe_enter_read → <arch prefix>read, e.g. __x64_sys_read; sendfile64 is sys_sendfile64. */
static bool set_fentry_target(struct bpf_program *prog)
{
	const char *name = bpf_program__name(prog);
	char target[64];

	name += strncmp(name, "fe_enter_", 9) == 0 ? 9 : strlen("fe_exit_");
	snprintf(target, sizeof(target), "%s%s", zt_syscall_prefix(), name);
	if (bpf_program__set_attach_target(prog, 0, target)) {
		zt_warn("fentry: no kernel function %s", target);
		return false;
	}
	return true;
}

/* The syscall programs the socket-layer tracepoints (tp_btf) replace when the kernel has them. */
static bool socket_io_syscall(const char *sec)
{
	static const char *const names[] = { "read",	"readv", "recvfrom", "recvmsg",
					      "write", "writev", "sendto",   "sendmsg" };
	const char *name;

	if (strncmp(sec, "tracepoint/syscalls/sys_enter_", 30) == 0)
		name = sec + 30;
	else if (strncmp(sec, "tracepoint/syscalls/sys_exit_", 29) == 0)
		name = sec + 29;
	else
		return false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* Keep the chosen family's programs; the others are not loaded. */
static void select_programs(struct zerotrace_bpf *skel, enum zt_hook_kind hook,
			    uint8_t propagation)
{
	struct bpf_program *prog;
	bool sock_tp;

	sock_tp = hook == ZT_HOOK_SOCKET;

	bpf_object__for_each_program(prog, skel->obj)
	{
		const char *sec = bpf_program__section_name(prog);
		bool keep = true;

		if (strcmp(sec, "tracepoint/syscalls/sys_enter_ioctl") == 0)
			keep = propagation && tracepoint_exists(sec);
		else if (strncmp(sec, "tp_btf/", 7) == 0)
			keep = sock_tp;
		else if (strncmp(sec, "tracepoint/syscalls/", 20) == 0)
			keep = (hook == ZT_HOOK_TRACEPOINT || sock_tp) && tracepoint_exists(sec) &&
			       !(sock_tp && socket_io_syscall(sec));
		else if (strcmp(sec, "sockops") == 0)
			keep = propagation != 0;
		else if (strcmp(sec, "sk_msg") == 0)
			keep = propagation & ZT_PROPAGATE_HEADERS;
		else if (strcmp(sec, "raw_tracepoint/sys_enter") == 0 ||
			 strcmp(sec, "raw_tracepoint/sys_exit") == 0)
			keep = hook == ZT_HOOK_RAW_TP;
		else if (strncmp(sec, "ksyscall/", 9) == 0 || strncmp(sec, "kretsyscall/", 12) == 0)
			keep = hook == ZT_HOOK_KPROBE;
		else if (strcmp(sec, "fentry") == 0 || strcmp(sec, "fexit") == 0)
			keep = hook == ZT_HOOK_FENTRY && set_fentry_target(prog);
		bpf_program__set_autoload(prog, keep);
	}
}

/* Header injection needs sockops (on a cgroup v2 mount) and sk_msg; drop what is missing. */
static uint8_t choose_propagation(uint8_t wanted)
{
	struct zt_features f;

	if (!wanted)
		return 0;
	zt_features_probe(&f);
	if (!f.sockops || !f.cgroup2_path[0] || !f.bpf_loop) {
		zt_warn("propagation unavailable (%s); spans are linked on this host only",
			!f.cgroup2_path[0] ? "no cgroup v2 mount" :
			!f.sockops	   ? "no sockops" :
					     "no bpf_loop helper (Linux 5.17+)");
		return 0;
	}
	if ((wanted & ZT_PROPAGATE_HEADERS) && !f.sk_msg) {
		zt_warn("header propagation unavailable (no sk_msg); using the TCP option only");
		wanted &= (uint8_t)~ZT_PROPAGATE_HEADERS;
	}
	return wanted;
}

/* sockops on the cgroup v2 root sees every connect; sk_msg runs on the sockhash's sockets. */
static int attach_propagation(struct zt_bpf *bpf)
{
	struct zt_features f;
	int cg, err;

	if (!bpf->propagation)
		return 0;
	zt_features_probe(&f);
	cg = open(f.cgroup2_path, O_RDONLY | O_DIRECTORY);
	if (cg < 0) {
		zt_err("cannot open cgroup v2 mount %s: %s", f.cgroup2_path, strerror(errno));
		return -errno;
	}
	bpf->sockops_link = bpf_program__attach_cgroup(bpf->skel->progs.zt_sockops, cg);
	err = bpf->sockops_link ? 0 : -errno;
	close(cg);
	if (err) {
		zt_err("cannot attach sockops to %s: %s", f.cgroup2_path, strerror(-err));
		return err;
	}
	if (!(bpf->propagation & ZT_PROPAGATE_HEADERS)) {
		zt_info("propagation: TCP header option via sockops on %s", f.cgroup2_path);
		return 0;
	}
	if (bpf_prog_attach(bpf_program__fd(bpf->skel->progs.zt_sk_msg),
			    bpf_map__fd(bpf->skel->maps.zt_sockhash), BPF_SK_MSG_VERDICT, 0)) {
		err = -errno;
		zt_err("cannot attach sk_msg: %s", strerror(-err));
		return err;
	}
	bpf->sk_msg_attached = 1;
	zt_info("propagation: traceparent headers (sk_msg)%s via sockops on %s",
		bpf->propagation & ZT_PROPAGATE_TCP ? ", TCP header option" : "", f.cgroup2_path);
	return 0;
}

/*
 * Trampolines cost least; then the socket layer's tracepoints (nothing runs for file I/O);
 * syscall tracepoints are the portable default.
 */
enum zt_hook_kind zt_hook_best(const struct zt_features *f)
{
	if (f->fentry)
		return ZT_HOOK_FENTRY;
	if (f->sock_tracepoints && f->syscall_tracepoints)
		return ZT_HOOK_SOCKET;
	if (f->syscall_tracepoints)
		return ZT_HOOK_TRACEPOINT;
	if (f->raw_tp)
		return ZT_HOOK_RAW_TP;
	if (f->kprobes)
		return ZT_HOOK_KPROBE;
	return ZT_HOOK_AUTO;
}

/* Best available family, or the one asked for; -ENOTSUP with the reason when it is missing. */
static int choose_hook(enum zt_hook_kind wanted, enum zt_hook_kind *out)
{
	struct zt_features f;

	zt_features_probe(&f);
	switch (wanted) {
	case ZT_HOOK_TRACEPOINT:
		if (!f.syscall_tracepoints) {
			zt_err("syscall tracepoints unavailable (tracefs or CONFIG_FTRACE_SYSCALLS)");
			return -ENOTSUP;
		}
		break;
	case ZT_HOOK_RAW_TP:
		if (!f.raw_tp) {
			zt_err("raw tracepoints unavailable on this kernel");
			return -ENOTSUP;
		}
		break;
	case ZT_HOOK_KPROBE:
		if (!f.kprobes) {
			zt_err("kprobes unavailable on this kernel (CONFIG_KPROBES off)");
			return -ENOTSUP;
		}
		break;
	case ZT_HOOK_FENTRY:
		if (!f.fentry) {
			zt_err("fentry/fexit unavailable on this kernel (BPF trampoline load refused)");
			return -ENOTSUP;
		}
		break;
	case ZT_HOOK_SOCKET:
		if (!f.sock_tracepoints || !f.syscall_tracepoints) {
			zt_err("socket tracepoints unavailable (tp_btf sock_send_length/sock_recv_length: Linux 6.4+, and syscall tracepoints)");
			return -ENOTSUP;
		}
		break;
	default:
		wanted = zt_hook_best(&f);
		if (wanted == ZT_HOOK_AUTO) {
			zt_err("no socket hook available: need syscall tracepoints, raw tracepoints or kprobes");
			return -ENOTSUP;
		}
	}
	*out = wanted;
	return 0;
}

static void configure(struct zerotrace_bpf *skel, const struct zt_bpf_config *cfg)
{
	uint32_t cap = cfg->capture_bytes ? cfg->capture_bytes : ZT_DEFAULT_CAPTURE;

	skel->rodata->zt_capture_bytes = cap > ZT_MAX_CAPTURE ? ZT_MAX_CAPTURE : cap;
	skel->rodata->zt_trace_all = cfg->trace_all;
	skel->rodata->zt_port_filter = cfg->port_filter;
	skel->rodata->zt_exec_events = cfg->exec_events;
	skel->rodata->zt_n_cgroups = cfg->n_cgroups;
	skel->rodata->zt_self_tgid = getpid();
	set_syscall_numbers(skel);
	if (cfg->ringbuf_bytes)
		bpf_map__set_max_entries(skel->maps.zt_events, cfg->ringbuf_bytes);
	/* One event buffer per CPU (a plain array indexed by CPU id, see maps.bpf.h). */
	if (libbpf_num_possible_cpus() > 0)
		bpf_map__set_max_entries(skel->maps.zt_scratch, (uint32_t)libbpf_num_possible_cpus());
}

static int fill_selection_maps(struct zerotrace_bpf *skel, const struct zt_bpf_config *cfg)
{
	for (uint32_t i = 0; i < cfg->n_cgroups && i < ZT_MAX_CGROUPS; i++) {
		struct { uint64_t id; uint32_t level, pad; } sel = { cfg->cgroup_ids[i],
								      cfg->cgroup_levels[i], 0 };

		if (bpf_map__update_elem(skel->maps.zt_cgroups, &i, sizeof(i), &sel, sizeof(sel),
					 BPF_ANY))
			return -errno;
	}
	for (uint32_t i = 0; i < cfg->n_ports; i++) {
		uint8_t one = 1;

		if (bpf_map__update_elem(skel->maps.zt_ports, &cfg->ports[i], sizeof(uint16_t),
					 &one, 1, BPF_ANY))
			return -errno;
	}
	return 0;
}

/*
 * The verifier's work per loaded program (-v): its limit is 1M instructions, and a program
 * near it may be refused by the next kernel's verifier. Tests check the margin.
 */
static void log_verifier_work(struct zerotrace_bpf *skel)
{
	struct bpf_program *prog;

	if (zt_log_level < ZT_LOG_DEBUG)
		return;
	bpf_object__for_each_program(prog, skel->obj)
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_program__autoload(prog) ||
		    bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			continue;
		zt_debug("bpf: %s verified in %u instructions", bpf_program__name(prog),
			 info.verified_insns);
	}
}

static int check_prerequisites(void)
{
	if (geteuid() != 0) {
		zt_err("must run as root (needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		zt_err("kernel BTF missing: /sys/kernel/btf/vmlinux (needs CONFIG_DEBUG_INFO_BTF=y)");
		return -ENOENT;
	}
	return 0;
}

/*
 * Propagation is an extra: when the verifier refuses one of its programs, the agent goes on
 * without what needs it (sk_msg: the header path; sockops: all propagation). Returns the
 * mechanisms left, or `propagation` unchanged when the refused program is not one of them.
 */
static uint8_t propagation_without_refused(uint8_t propagation)
{
	if (strcmp(refused_prog, "zt_sk_msg") == 0 && (propagation & ZT_PROPAGATE_HEADERS)) {
		zt_warn("the kernel's verifier refused the header-injection program (sk_msg); "
			"propagating by TCP option only (-v shows the verifier log)");
		return propagation & (uint8_t)~ZT_PROPAGATE_HEADERS;
	}
	if (strcmp(refused_prog, "zt_sockops") == 0 && propagation) {
		zt_warn("the kernel's verifier refused the sockops program; no context propagation "
			"(-v shows the verifier log)");
		return 0;
	}
	return propagation;
}

/* Open, configure and load the skeleton; again with less propagation when that helps. */
static int load_programs(struct zt_bpf *bpf, const struct zt_bpf_config *cfg, uint8_t propagation)
{
	int err;

	for (;;) {
		uint8_t fewer;

		bpf->skel = zerotrace_bpf__open();
		if (!bpf->skel) {
			err = -errno;
			zt_err("cannot open BPF object: %s", strerror(errno));
			return err;
		}
		configure(bpf->skel, cfg);
		bpf->propagation = propagation;
		bpf->skel->rodata->zt_propagation = propagation;
		select_programs(bpf->skel, bpf->hook, propagation);
		refused_prog[0] = '\0';
		err = zerotrace_bpf__load(bpf->skel);
		if (!err)
			return 0;
		fewer = propagation_without_refused(propagation);
		if (fewer == propagation) {
			zt_err("cannot load BPF programs: %s%s%s (run with -v for the verifier log)",
			       strerror(-err), refused_prog[0] ? ", refused: " : "", refused_prog);
			return err;
		}
		zerotrace_bpf__destroy(bpf->skel);
		bpf->skel = NULL;
		propagation = fewer;
	}
}

int zt_bpf_start(struct zt_bpf **out, const struct zt_bpf_config *cfg)
{
	struct zt_bpf *bpf;
	int err;

	err = check_prerequisites();
	if (err)
		return err;
	libbpf_set_print(libbpf_print);
	bpf = calloc(1, sizeof(*bpf));
	if (!bpf)
		return -ENOMEM;
	err = choose_hook(cfg->hook, &bpf->hook);
	if (err)
		goto fail;
	err = load_programs(bpf, cfg, choose_propagation(cfg->propagation));
	if (err)
		goto fail;
	log_verifier_work(bpf->skel);
	err = fill_selection_maps(bpf->skel, cfg);
	if (err) {
		zt_err("cannot fill selection maps: %s", strerror(-err));
		goto fail;
	}
	err = zerotrace_bpf__attach(bpf->skel);
	if (err) {
		zt_err("cannot attach BPF programs: %s", strerror(-err));
		goto fail;
	}
	err = attach_propagation(bpf);
	if (err)
		goto fail;
	zt_info("socket hooks: %s", zt_hook_name(bpf->hook));
	*out = bpf;
	return 0;
fail:
	zt_bpf_stop(bpf);
	return err;
}

void zt_bpf_stop(struct zt_bpf *bpf)
{
	if (!bpf)
		return;
	if (bpf->sk_msg_attached)
		bpf_prog_detach2(bpf_program__fd(bpf->skel->progs.zt_sk_msg),
				 bpf_map__fd(bpf->skel->maps.zt_sockhash), BPF_SK_MSG_VERDICT);
	bpf_link__destroy(bpf->sockops_link);
	zerotrace_bpf__destroy(bpf->skel);
	free(bpf);
}

int zt_bpf_trace_pid(struct zt_bpf *bpf, uint32_t tgid, bool follow_children)
{
	uint8_t flags = ZT_PID_TRACED | (follow_children ? ZT_PID_FOLLOW_CHILDREN : 0);

	if (bpf_map__update_elem(bpf->skel->maps.zt_pids, &tgid, sizeof(tgid), &flags,
				 sizeof(flags), BPF_ANY))
		return -errno;
	return 0;
}

int zt_bpf_conn_off(struct zt_bpf *bpf, uint32_t tgid, uint32_t fd)
{
	struct zt_conn_key key = { .tgid = tgid, .fd = fd };
	struct zt_conn_info ci;

	if (bpf_map__lookup_elem(bpf->skel->maps.zt_conns, &key, sizeof(key), &ci, sizeof(ci), 0))
		return -errno;
	ci.proto = ZT_PROTO_OFF;
	if (bpf_map__update_elem(bpf->skel->maps.zt_conns, &key, sizeof(key), &ci, sizeof(ci),
				 BPF_EXIST))
		return -errno;
	return 0;
}

int zt_bpf_conn_no_headers(struct zt_bpf *bpf, uint32_t tgid, uint32_t fd)
{
	struct zt_conn_key key = { .tgid = tgid, .fd = fd };
	struct zt_conn_info ci;

	if (bpf_map__lookup_elem(bpf->skel->maps.zt_conns, &key, sizeof(key), &ci, sizeof(ci), 0))
		return -errno;
	return ci.cookie ? zt_bpf_unhash_socket(bpf, ci.cookie) : 0;
}

int zt_bpf_unhash_socket(struct zt_bpf *bpf, uint64_t cookie)
{
	uint8_t paths;

	if (bpf_map__delete_elem(bpf->skel->maps.zt_sockhash, &cookie, sizeof(cookie), 0))
		return -errno;
	/*
	 * This socket propagates no more (its option callbacks were never switched on); the
	 * process's later connections take the TCP option path when that is on.
	 */
	paths = 0;
	bpf_map__update_elem(bpf->skel->maps.zt_sock_paths, &cookie, sizeof(cookie), &paths,
			     sizeof(paths), BPF_EXIST);
	return 0;
}

int zt_bpf_counters(struct zt_bpf *bpf, uint64_t out[ZT_CNT__COUNT])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (uint32_t k = 0; k < ZT_CNT__COUNT; k++) {
		out[k] = 0;
		if (bpf_map__lookup_elem(bpf->skel->maps.zt_counters, &k, sizeof(k), vals,
					 sizeof(*vals) * ncpu, 0))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[k] += vals[c];
	}
	free(vals);
	return 0;
}

int zt_bpf_ringbuf_fd(struct zt_bpf *bpf)
{
	return bpf_map__fd(bpf->skel->maps.zt_events);
}
