/* zerotrace: CLI, lifecycle (load → select → read events → flush → exit). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zt_alloc_tuning.h"
#include "zt_bpf_loader.h"
#include "zt_conn_table.h"
#include "zt_db_span.h"
#include "zt_event_reader.h"
#include "zt_exporter.h"
#include "zt_l7.h"
#include "zt_log.h"
#include "zt_proc_table.h"
#include "zt_selection.h"
#include "zt_span_builder.h"
#include "export/otlp_encode.h"

#define MAX_EXPORTERS 3

struct options {
	struct zt_selection sel;
	const char *output;
	const char *otlp_endpoint;
	bool quiet;
	uint32_t capture_bytes;
	uint32_t ringbuf_mb;
	enum zt_hook_kind hook;
	uint8_t propagation;	/* ZT_PROPAGATE_* */
	bool keep_query_literals;	/* --no-sanitize-queries */
	uint32_t query_max;	/* --query-max */
	char **command;		/* after "--", NULL-terminated */
};

static volatile sig_atomic_t stop_signal;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: zerotrace [OPTIONS] [-- COMMAND [ARG...]]\n"
		"       zerotrace features\n"
		"\n"
		"What to trace (repeatable, combined):\n"
		"  --pid PID            a running process and its descendants\n"
		"  --exe GLOB           processes whose executable path or name matches GLOB\n"
		"  --cgroup PATH        processes in a cgroup v2 (and its descendants)\n"
		"  --port N             TCP connections with local or remote port N\n"
		"  --all                every process on the host\n"
		"  -- COMMAND           run COMMAND traced, exit with its code\n"
		"Output:\n"
		"  -o, --output FILE    OTLP/JSON lines (one ExportTraceServiceRequest per line)\n"
		"  --otlp-endpoint URL  OTLP/HTTP protobuf (also OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT)\n"
		"  -q, --quiet          no console waterfall\n"
		"Tuning:\n"
		"  --capture-bytes N    payload bytes captured per syscall (64..16384, default %d)\n"
		"  --propagation WHAT   all|headers|tcp|none: how trace context crosses processes\n"
		"  --no-sanitize-queries  keep literals in db.query.text (default: replaced by ?)\n"
		"  --query-max N        db.query.text length limit in bytes (16..4096, default %d)\n"
		"  --ringbuf-mb N       kernel→agent ring buffer size (power of two, default 8)\n"
		"  --hooks KIND         auto|fentry|socket|tracepoint|raw_tp|kprobe (auto: first available)\n"
		"  -v, --verbose        more logs (repeat for debug)\n"
		"  -h, --help           this help\n"
		"  -V, --version        print the version\n",
		ZT_DEFAULT_CAPTURE, ZT_DB_QUERY_MAX_DEFAULT);
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || end == s || *end || *out < min || *out > max || s[0] == '-')
		return -1;
	return 0;
}

static int parse_propagation(const char *s, uint8_t *out)
{
	if (strcmp(s, "all") == 0)
		*out = ZT_PROPAGATE_HEADERS | ZT_PROPAGATE_TCP;
	else if (strcmp(s, "headers") == 0)
		*out = ZT_PROPAGATE_HEADERS;
	else if (strcmp(s, "tcp") == 0)
		*out = ZT_PROPAGATE_TCP;
	else if (strcmp(s, "none") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int bad_option(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "zerotrace: invalid %s '%s': %s\n", opt, val, why);
	fprintf(stderr, "Try 'zerotrace --help'.\n");
	return 2;
}

static int add_selection(struct options *o, int c, const char *arg)
{
	struct zt_selection *s = &o->sel;
	unsigned long v;

	switch (c) {
	case 'p':
		if (parse_uint(arg, 1, 4194304, &v) || s->n_pids == ZT_SEL_MAX)
			return bad_option("--pid", arg, "expected a process id");
		s->pids[s->n_pids++] = (uint32_t)v;
		return 0;
	case 'e':
		if (!arg[0] || s->n_exes == ZT_SEL_MAX)
			return bad_option("--exe", arg, "expected a glob");
		s->exes[s->n_exes++] = arg;
		return 0;
	case 'g':
		if (!arg[0] || s->n_cgroups == ZT_MAX_CGROUPS)
			return bad_option("--cgroup", arg, "expected a cgroup path (at most 8)");
		s->cgroups[s->n_cgroups++] = arg;
		return 0;
	case 'P':
		if (parse_uint(arg, 1, 65535, &v) || s->n_ports == ZT_SEL_MAX)
			return bad_option("--port", arg, "expected a port 1..65535");
		s->ports[s->n_ports++] = (uint16_t)v;
		return 0;
	}
	return 2;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "exe", required_argument, NULL, 'e' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "port", required_argument, NULL, 'P' },
		{ "all", no_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "otlp-endpoint", required_argument, NULL, 'O' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "capture-bytes", required_argument, NULL, 'c' },
		{ "ringbuf-mb", required_argument, NULL, 'R' },
		{ "hooks", required_argument, NULL, 'H' },
		{ "propagation", required_argument, NULL, 'C' },
		{ "no-sanitize-queries", no_argument, NULL, 'L' },
		{ "query-max", required_argument, NULL, 'M' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	unsigned long v;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+o:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
		case 'e':
		case 'g':
		case 'P':
			rc = add_selection(o, c, optarg);
			if (rc)
				return rc;
			break;
		case 'a':
			o->sel.all = true;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'O':
			o->otlp_endpoint = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'c':
			if (parse_uint(optarg, 64, ZT_MAX_CAPTURE, &v))
				return bad_option("--capture-bytes", optarg, "expected 64..16384");
			o->capture_bytes = (uint32_t)v;
			break;
		case 'R':
			if (parse_uint(optarg, 1, 1024, &v) || (v & (v - 1)))
				return bad_option("--ringbuf-mb", optarg, "expected a power of two, 1..1024");
			o->ringbuf_mb = (uint32_t)v;
			break;
		case 'H':
			if (strcmp(optarg, "auto") == 0)
				o->hook = ZT_HOOK_AUTO;
			else if (strcmp(optarg, "tracepoint") == 0)
				o->hook = ZT_HOOK_TRACEPOINT;
			else if (strcmp(optarg, "socket") == 0)
				o->hook = ZT_HOOK_SOCKET;
			else if (strcmp(optarg, "raw_tp") == 0)
				o->hook = ZT_HOOK_RAW_TP;
			else if (strcmp(optarg, "kprobe") == 0)
				o->hook = ZT_HOOK_KPROBE;
			else if (strcmp(optarg, "fentry") == 0)
				o->hook = ZT_HOOK_FENTRY;
			else
				return bad_option("--hooks", optarg,
						  "expected auto, fentry, socket, tracepoint, raw_tp or kprobe");
			break;
		case 'C':
			if (parse_propagation(optarg, &o->propagation))
				return bad_option("--propagation", optarg,
						  "expected all, headers, tcp or none");
			break;
		case 'L':
			o->keep_query_literals = true;
			break;
		case 'M':
			if (parse_uint(optarg, 16, ZT_L7_DB_QUERY_MAX, &v))
				return bad_option("--query-max", optarg, "expected 16..4096");
			o->query_max = (uint32_t)v;
			break;
		case 'v':
			zt_log_level++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("zerotrace %s\n", ZT_VERSION);
			exit(0);
		default:
			fprintf(stderr, "Try 'zerotrace --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0) {
			fprintf(stderr, "zerotrace: unexpected argument '%s' (put the command after --)\n",
				argv[optind]);
			return 2;
		}
		o->command = &argv[optind];
	}
	if (!o->command && zt_selection_empty(&o->sel)) {
		fprintf(stderr, "zerotrace: nothing to trace: give -- COMMAND, --pid, --exe, "
				"--cgroup, --port or --all\nTry 'zerotrace --help'.\n");
		return 2;
	}
	return 0;
}

static int cmd_features(void)
{
	struct zt_features f;
	enum zt_hook_kind hook;

	if (geteuid() != 0)
		fprintf(stderr, "zerotrace: warning: not root: BPF probes below may read as absent\n");
	zt_features_probe(&f);
	hook = zt_hook_best(&f);
	printf("kernel BTF (/sys/kernel/btf/vmlinux)  %s\n", f.btf ? "yes" : "no");
	printf("tracefs                               %s\n", f.tracefs ? "yes" : "no");
	printf("syscall tracepoints                   %s\n", f.syscall_tracepoints ? "yes" : "no");
	printf("raw tracepoints                       %s\n", f.raw_tp ? "yes" : "no");
	printf("socket tracepoints (tp_btf)           %s\n",
	       f.sock_tracepoints ? "yes (sock_{recv,send}_length, tcp_sendmsg_locked)" :
				    "no (Linux 6.4+)");
	printf("kprobes                               %s\n", f.kprobes ? "yes" : "no (CONFIG_KPROBES off)");
	printf("fentry/fexit (BPF trampoline)         %s\n", f.fentry ? "yes" : "no (load refused)");
	printf("ring buffer                           %s\n", f.ringbuf ? "yes" : "no");
	printf("sockops                               %s\n", f.sockops ? "yes" : "no");
	printf("sk_msg                                %s\n", f.sk_msg ? "yes" : "no");
	printf("bpf_probe_write_user                  %s (lockdown: %s)\n",
	       f.probe_write_user ? "yes" : "no", f.lockdown);
	printf("cgroup v2 mount                       %s\n", f.cgroup2_path[0] ? f.cgroup2_path : "none");
	printf("propagation: traceparent headers      %s\n",
	       f.sockops && f.sk_msg && f.bpf_loop && f.cgroup2_path[0] ? "yes (sockops + sk_msg)" :
									   "no");
	printf("propagation: TCP header option        %s\n",
	       f.sockops && f.bpf_loop && f.cgroup2_path[0] ? "yes (sockops, experimental option 253)" :
							      "no");
	printf("chosen socket hooks                   %s\n",
	       hook != ZT_HOOK_AUTO ? zt_hook_name(hook) : "none available");
	printf("chosen process hooks                  raw_tp sched_process_{fork,exec,exit}\n");
	return f.btf && f.ringbuf && (f.syscall_tracepoints || f.raw_tp) ? 0 : 1;
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int64_t mono_to_real_offset(void)
{
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	return ((int64_t)real.tv_sec - mono.tv_sec) * 1000000000LL + (real.tv_nsec - mono.tv_nsec);
}

static int make_exporters(const struct options *o, struct zt_exporter **exps)
{
	char endpoint[1024];
	int n = 0;

	if (!o->quiet) {
		const char *nc = getenv("NO_COLOR");

		exps[n++] = zt_console_exporter_new(stdout, isatty(STDOUT_FILENO) && !(nc && *nc));
	}
	if (o->output) {
		exps[n] = zt_otlp_json_exporter_new(o->output);
		if (!exps[n])
			return -1;
		n++;
	}
	if (zt_otlp_endpoint_from_env(endpoint, sizeof(endpoint), o->otlp_endpoint) == 0) {
		struct zt_otlp_http_config cfg = {
			.endpoint = endpoint,
			.headers = zt_otlp_headers_from_env(),
			.gzip = zt_otlp_gzip_from_env(),
		};

		exps[n] = zt_otlp_http_exporter_new(&cfg);
		if (!exps[n])
			return -1;
		n++;
	}
	return n;
}

/* Child side of "-- COMMAND": wait until the agent traces us, then exec. */
static pid_t spawn_command(char **command, int *release_fd)
{
	int fds[2];
	pid_t pid;
	char go;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(fds[1]);
		if (read(fds[0], &go, 1) != 1)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execvp(command[0], command);
		fprintf(stderr, "zerotrace: cannot run '%s': %s\n", command[0], strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	*release_fd = fds[1];
	return pid;
}

static int exit_code_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* Final line: what was seen, what was made, what was lost and where. */
static void print_summary(struct zt_bpf *bpf, struct zt_reader *reader, const char *names[],
			  const struct zt_exporter_stats *es, int n_exps)
{
	uint64_t cnt[ZT_CNT__COUNT] = {};
	struct zt_reader_stats rs;
	struct zt_conn_stats cs;
	struct zt_span_builder_stats ss;
	char exported[256] = "";
	size_t len = 0;

	zt_bpf_counters(bpf, cnt);
	zt_reader_get_stats(reader, &rs);
	zt_conn_get_stats(&cs);
	zt_span_builder_get_stats(&ss);
	for (int i = 0; i < n_exps && len < sizeof(exported); i++)
		len += (size_t)snprintf(exported + len, sizeof(exported) - len, ", %s %llu ok %llu failed",
					names[i], (unsigned long long)es[i].spans_ok,
					(unsigned long long)es[i].spans_failed);
	fprintf(stderr,
		"zerotrace: events %llu, bytes %llu (captured %llu), connections %llu, spans %llu%s; "
		"propagated %llu (not injected: not a request %llu, line %llu, head %llu, "
		"had traceparent %llu, no room %llu; forwarded re-parented %llu; "
		"FIONREAD sockets %llu); "
		"tcp option sent %llu, received %llu, no room %llu; "
		"dropped: ringbuf %llu, read %llu, conn table %llu, iov %llu, gap bytes %llu "
		"(past capture %llu), "
		"unparseable %llu, malformed %llu; database spans %llu (encrypted connections %llu, "
		"server-side connections skipped %llu)\n",
		(unsigned long long)rs.events, (unsigned long long)rs.bytes,
		(unsigned long long)rs.captured, (unsigned long long)cs.opened,
		(unsigned long long)ss.spans, exported, (unsigned long long)cnt[ZT_CNT_INJECTED],
		(unsigned long long)cnt[ZT_CNT_SKIP_NOT_REQUEST], (unsigned long long)cnt[ZT_CNT_SKIP_LINE],
		(unsigned long long)cnt[ZT_CNT_SKIP_HEAD], (unsigned long long)cnt[ZT_CNT_SKIP_PRESENT],
		(unsigned long long)cnt[ZT_CNT_SKIP_PUSH], (unsigned long long)cnt[ZT_CNT_REPARENTED],
		(unsigned long long)rs.unhashed,
		(unsigned long long)cnt[ZT_CNT_TCP_OPT_SENT], (unsigned long long)cnt[ZT_CNT_TCP_OPT_RECV],
		(unsigned long long)cnt[ZT_CNT_TCP_OPT_NOROOM],
		(unsigned long long)cnt[ZT_CNT_RB_FULL],
		(unsigned long long)cnt[ZT_CNT_READ_FAIL], (unsigned long long)cnt[ZT_CNT_CONN_FULL],
		(unsigned long long)cnt[ZT_CNT_IOV_TRUNC], (unsigned long long)cs.gap_bytes,
		(unsigned long long)cs.uncaptured,
		(unsigned long long)cs.parsed_off, (unsigned long long)zt_l7_stats.malformed,
		(unsigned long long)ss.db_spans, (unsigned long long)zt_l7_stats.encrypted,
		(unsigned long long)cs.db_server_side);
}

/*
 * Warn when the kernel drops events, at most every 10 s. The counters are read once a
 * second: reading them is one bpf() call per counter, and the loop turns per batch.
 */
static void check_drops(struct zt_bpf *bpf)
{
	static uint64_t last_dropped;
	static time_t last_warn, last_check;
	uint64_t cnt[ZT_CNT__COUNT] = {};
	time_t now = time(NULL);

	if (now == last_check || now - last_warn < 10)
		return;
	last_check = now;
	if (zt_bpf_counters(bpf, cnt))
		return;
	if (cnt[ZT_CNT_RB_FULL] > last_dropped) {
		zt_warn("ring buffer full: %llu events dropped so far (agent falling behind)",
			(unsigned long long)cnt[ZT_CNT_RB_FULL]);
		last_warn = now;
	}
	last_dropped = cnt[ZT_CNT_RB_FULL];
}

static int run(struct options *o)
{
	struct zt_bpf_config cfg = {
		.capture_bytes = o->capture_bytes,
		.hook = o->hook,
		.propagation = o->propagation,
		.ringbuf_bytes = o->ringbuf_mb << 20,
	};
	struct zt_exporter *exps[MAX_EXPORTERS];
	struct zt_exporter_stats final[MAX_EXPORTERS] = {};
	const char *names[MAX_EXPORTERS];
	struct zt_reader *reader = NULL;
	struct zt_bpf *bpf = NULL;
	int n_exps, release_fd = -1, status = 0, rc = 1;
	pid_t child = 0;
	bool child_done = false;

	if (zt_selection_to_config(&o->sel, &cfg))
		return 1;
	n_exps = make_exporters(o, exps);
	if (n_exps < 0)
		return 1;
	zt_span_builder_init(exps, n_exps, mono_to_real_offset());
	zt_db_span_configure(!o->keep_query_literals, o->query_max);
	if (zt_bpf_start(&bpf, &cfg))
		goto out;
	if (zt_reader_new(&reader, bpf, &o->sel))
		goto out;
	/* After loading: the BTF parsing's memory goes back before the heap is kept warm. */
	zt_alloc_tuning();
	zt_selection_apply(&o->sel, bpf);
	install_signals();
	if (o->command) {
		child = spawn_command(o->command, &release_fd);
		if (child < 0) {
			zt_err("cannot start '%s': %s", o->command[0], strerror(errno));
			goto out;
		}
		zt_bpf_trace_pid(bpf, (uint32_t)child, true);
		if (write(release_fd, "g", 1) != 1)
			zt_warn("cannot release the command: %s", strerror(errno));
		close(release_fd);
	}
	zt_info("tracing; stop with Ctrl-C");
	while (!stop_signal && !child_done) {
		/* Short timeout: the kernel wakes us only once a batch is queued. */
		zt_reader_poll(reader, 50);
		check_drops(bpf);
		if (child && waitpid(child, &status, WNOHANG) == child)
			child_done = true;
	}
	if (stop_signal && child && !child_done) {
		kill(child, stop_signal);
		for (int i = 0; i < 50 && waitpid(child, &status, WNOHANG) != child; i++)
			zt_reader_poll(reader, 100);
	}
	/* Everything the traced programs did is in the ring buffer by now. */
	zt_reader_drain(reader);
	zt_conn_close_all();
	rc = child ? exit_code_of(status) : 0;
out:
	for (int i = 0; i < n_exps; i++) {
		names[i] = exps[i]->name;
		exps[i]->destroy(exps[i], &final[i]);
	}
	if (reader)
		print_summary(bpf, reader, names, final, n_exps);
	zt_reader_free(reader);
	zt_bpf_stop(bpf);
	zt_span_builder_free();
	zt_proc_table_free();
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = { .propagation = ZT_PROPAGATE_HEADERS | ZT_PROPAGATE_TCP };
	int rc;

	if (argc >= 2 && strcmp(argv[1], "features") == 0)
		return cmd_features();
	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	return run(&o);
}
