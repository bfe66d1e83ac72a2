/*
 * Userspace pipeline benchmark, no kernel: synthetic ring-buffer events (connection open,
 * HTTP/1.1 request and response data, close) go through the connection table exactly as the
 * event reader hands them over, then the HTTP/1 parser, the span builder, and an exporter
 * that encodes batches of 512 spans to OTLP protobuf and throws the bytes away.
 *
 * Prints figures, asserts nothing:
 *   replay: full pipeline, spans/s on one core (parse -> span -> OTLP protobuf)
 *   parse:  the HTTP/1 parser alone, records/s; then the PostgreSQL, Redis and HTTP/2 (gRPC,
 *           HPACK included) parsers alone on one request/response pair each
 *   encode: otlp_encode_protobuf alone on a batch of real pipeline spans, spans/s
 *
 * usage: replay [PAIRS [pipeline]]   (default 2000000 request/response pairs after a warm-up;
 *        "pipeline" skips the parse-only and encode-only phases, e.g. for perf record)
 * Every phase is also bounded in time, so a slow build still finishes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zt_alloc_tuning.h"
#include "zt_conn_table.h"
#include "zt_events.h"
#include "zt_exporter.h"
#include "zt_l7.h"
#include "zt_log.h"
#include "zt_span.h"
#include "zt_span_builder.h"
#include "../../src/export/otlp_encode.h"

#define TARGET_SPANS_PER_S 300000.0
#define BATCH 512
#define NCONN 16			/* connections open at once: half server, half client role */
#define REQS_PER_CONN 1000		/* keep-alive requests before a connection is closed */
#define WARMUP_PAIRS 100000
#define DEFAULT_PAIRS 2000000
#define REPLAY_MAX_S 60.0		/* hard bound for the timed pipeline run */
#define PHASE_S 2.0			/* parse-only and encode-only run this long */
#define RESP_BODY 300

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- payloads ---- */

/* curl-like request heads, ~200 bytes; one in four carries a W3C traceparent. */
static const char *const req_heads[] = {
	"GET /api/v1/users/48213/orders?limit=20&sort=desc HTTP/1.1\r\n"
	"Host: 127.0.0.1:8080\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"X-Request-Id: 7f3c2a9e-1b4d-4c8a-9e2f-0a1b2c3d4e5f\r\n"
	"\r\n",
	"GET /echo HTTP/1.1\r\n"
	"Host: localhost:8080\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: application/json\r\n"
	"Accept-Encoding: gzip, deflate\r\n"
	"X-Request-Id: 0b6e1c44-52aa-4f0e-8d3b-9a7c6e5d4c3b\r\n"
	"\r\n",
	"GET /static/js/app.3f9c2b.js HTTP/1.1\r\n"
	"Host: shop.internal:8080\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
	"\r\n",
	"GET /health HTTP/1.1\r\n"
	"Host: 127.0.0.1:8080\r\n"
	"User-Agent: kube-probe/1.28 curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"Connection: keep-alive\r\n"
	"X-Forwarded-For: 10.0.3.17\r\n"
	"\r\n",
};
#define NREQ (sizeof(req_heads) / sizeof(req_heads[0]))

static uint8_t resp_buf[1024];
static size_t resp_len;

static void make_response(void)
{
	int n = snprintf((char *)resp_buf, sizeof(resp_buf),
			 "HTTP/1.1 200 OK\r\n"
			 "Server: nginx/1.22.1\r\n"
			 "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
			 "Content-Type: application/json\r\n"
			 "Content-Length: %d\r\n"
			 "Connection: keep-alive\r\n"
			 "\r\n", RESP_BODY);

	memset(resp_buf + n, 'x', RESP_BODY);
	resp_buf[n] = '{';
	resp_buf[n + RESP_BODY - 1] = '}';
	resp_len = (size_t)n + RESP_BODY;
}

/* ---- bench exporter: batches of 512 encoded to protobuf, bytes dropped ---- */

struct bench_exporter {
	struct zt_exporter base;
	struct zt_span *batch[BATCH];
	size_t n;
	uint64_t spans, batches, bytes, failed;
	/* First full batch kept (with references) for the encode-only figure. */
	struct zt_span *sample[BATCH];
	size_t n_sample;
};

static void bench_encode(struct bench_exporter *b)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	if (!b->n)
		return;
	if (otlp_encode_protobuf(b->batch, b->n, &buf, &len) == 0) {
		b->spans += b->n;
		b->bytes += len;
		b->batches++;
		free(buf);
	} else {
		b->failed += b->n;
	}
	for (size_t i = 0; i < b->n; i++) {
		if (b->n_sample < BATCH)
			b->sample[b->n_sample++] = b->batch[i];
		else
			zt_span_unref(b->batch[i]);
	}
	b->n = 0;
}

static void bench_submit(struct zt_exporter *exp, struct zt_span *span)
{
	struct bench_exporter *b = (struct bench_exporter *)exp;

	b->batch[b->n++] = zt_span_ref(span);
	if (b->n == BATCH)
		bench_encode(b);
}

static void bench_flush(struct zt_exporter *exp, int timeout_ms)
{
	bench_encode((struct bench_exporter *)exp);
}

static void bench_get_stats(struct zt_exporter *exp, struct zt_exporter_stats *out)
{
	struct bench_exporter *b = (struct bench_exporter *)exp;

	memset(out, 0, sizeof(*out));
	out->spans_ok = b->spans;
	out->spans_failed = b->failed;
	out->requests_ok = b->batches;
}

static void bench_destroy(struct zt_exporter *exp, struct zt_exporter_stats *final)
{
	struct bench_exporter *b = (struct bench_exporter *)exp;

	bench_flush(exp, 0);
	if (final)
		bench_get_stats(exp, final);
	for (size_t i = 0; i < b->n_sample; i++)
		zt_span_unref(b->sample[i]);
	b->n_sample = 0;
}

static struct bench_exporter bexp = {
	.base = {
		.name = "bench",
		.submit = bench_submit,
		.flush = bench_flush,
		.destroy = bench_destroy,
		.get_stats = bench_get_stats,
	},
};

/* ---- synthetic connections ---- */

struct sim_conn {
	uint64_t conn_id;
	uint32_t fd;
	uint32_t tid;
	uint8_t role;		/* ZT_ROLE_SERVER: request ingress; ZT_ROLE_CLIENT: request egress */
	struct zt_tuple tuple;
	uint64_t off[2];	/* bytes so far per direction */
	uint32_t reqs;		/* requests on this connection so far */
	uint32_t next_req;	/* which head goes next */
};

static uint32_t self_pid;
static uint64_t next_conn_id = 1000;
static uint64_t clock_ns = 1000000000ull;
static struct sim_conn conns[NCONN];
static union {
	struct zt_data_event ev;
	uint8_t raw[sizeof(struct zt_data_event) + 2048];
} dbuf;

static void v4(uint8_t *a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = b0;
	a[13] = b1;
	a[14] = b2;
	a[15] = b3;
}

static void conn_event(const struct sim_conn *s, uint32_t type)
{
	struct zt_conn_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.hdr.type = type;
	ev.hdr.tgid = self_pid;
	ev.hdr.tid = s->tid;
	ev.hdr.fd = s->fd;
	ev.hdr.ts_enter = clock_ns;
	ev.hdr.ts_exit = clock_ns + 2000;
	ev.hdr.conn_id = s->conn_id;
	ev.tuple = s->tuple;
	ev.bytes[0] = s->off[0];
	ev.bytes[1] = s->off[1];
	ev.role = s->role;
	ev.syscall = type == ZT_EV_CONN_CLOSE ? ZT_SYS_CLOSE :
		     s->role == ZT_ROLE_SERVER ? ZT_SYS_ACCEPT : ZT_SYS_CONNECT;
	clock_ns += 3000;
	if (type == ZT_EV_CONN_OPEN)
		zt_conn_on_open(&ev);
	else
		zt_conn_on_close(&ev);
}

static void conn_start(int i)
{
	struct sim_conn *s = &conns[i];
	bool server = i % 2 == 0;

	memset(s, 0, sizeof(*s));
	s->conn_id = next_conn_id++;
	s->fd = 10 + (uint32_t)i;
	s->role = server ? ZT_ROLE_SERVER : ZT_ROLE_CLIENT;
	/* A client conn shares its thread with the server conn before it (proxy pattern):
	 * its spans get parented by the thread's server request. */
	s->tid = self_pid + 1 + (uint32_t)(i / 2);
	s->tuple.family = 2;	/* AF_INET */
	if (server) {
		v4(s->tuple.saddr, 127, 0, 0, 1);
		v4(s->tuple.daddr, 127, 0, 0, 1);
		s->tuple.sport = 8080;
		s->tuple.dport = (uint16_t)(40000 + (s->conn_id % 20000));
	} else {
		v4(s->tuple.saddr, 10, 0, 0, 5);
		v4(s->tuple.daddr, 10, 0, 3, (uint8_t)(20 + i));
		s->tuple.sport = (uint16_t)(30000 + (s->conn_id % 20000));
		s->tuple.dport = 9000;
	}
	s->next_req = (uint32_t)i % NREQ;
	conn_event(s, ZT_EV_CONN_OPEN);
}

static void data_event(struct sim_conn *s, int dir, const uint8_t *p, size_t len,
		       uint8_t syscall)
{
	struct zt_data_event *ev = &dbuf.ev;

	ev->hdr.type = ZT_EV_DATA;
	ev->hdr.tgid = self_pid;
	ev->hdr.tid = s->tid;
	ev->hdr.fd = s->fd;
	ev->hdr.ts_enter = clock_ns;
	ev->hdr.ts_exit = clock_ns + 4000;
	ev->hdr.conn_id = s->conn_id;
	ev->tuple = s->tuple;
	ev->offset = s->off[dir];
	ev->len = (uint32_t)len;
	ev->captured = (uint32_t)len;
	ev->dir = (uint8_t)dir;
	ev->role = s->role;
	ev->proto = ZT_PROTO_HTTP1;
	ev->flags = 0;
	ev->syscall = syscall;
	memcpy(ev->data, p, len);
	s->off[dir] += len;
	clock_ns += 7000;
	/* The ring buffer hands over the record size rounded up to 8 bytes. */
	zt_conn_on_data(ev, (sizeof(*ev) + len + 7) & ~(size_t)7);
}

static void send_request(struct sim_conn *s)
{
	const char *h = req_heads[s->next_req];
	int dir = s->role == ZT_ROLE_SERVER ? ZT_DIR_INGRESS : ZT_DIR_EGRESS;

	s->next_req = (s->next_req + 1) % NREQ;
	data_event(s, dir, (const uint8_t *)h, strlen(h),
		   dir == ZT_DIR_INGRESS ? ZT_SYS_READ : ZT_SYS_WRITE);
}

static void send_response(struct sim_conn *s)
{
	int dir = s->role == ZT_ROLE_SERVER ? ZT_DIR_EGRESS : ZT_DIR_INGRESS;

	data_event(s, dir, resp_buf, resp_len, dir == ZT_DIR_EGRESS ? ZT_SYS_WRITEV : ZT_SYS_READ);
	if (++s->reqs == REQS_PER_CONN) {
		conn_event(s, ZT_EV_CONN_CLOSE);
		conn_start((int)(s - conns));
	}
}

/*
 * `pairs` request/response pairs, NCONN connections interleaved: every connection sends
 * its request, then every connection gets its response. Returns pairs done (fewer if the
 * time bound hit).
 */
static uint64_t replay(uint64_t pairs, double max_s)
{
	double t0 = now_s();
	uint64_t done = 0;

	while (done < pairs) {
		int n = pairs - done < NCONN ? (int)(pairs - done) : NCONN;

		for (int i = 0; i < n; i++)
			send_request(&conns[i]);
		for (int i = 0; i < n; i++)
			send_response(&conns[i]);
		done += (uint64_t)n;
		if ((done & 0xffff) < NCONN && now_s() - t0 > max_s)
			break;
	}
	return done;
}

/* ---- parser alone ---- */

static uint64_t parse_records;

static void count_emit(void *ctx, const struct zt_l7_record *rec)
{
	parse_records++;
}

static void count_head(void *ctx, const struct zt_l7_record *rec)
{
}

static double bench_parse(uint64_t *records_out)
{
	const struct zt_parser_ops *ops = &zt_http1_parser;
	struct zt_l7_sink sink = { .emit = count_emit, .request_head = count_head };
	struct zt_chunk_meta meta = { .ts_enter = 1, .ts_exit = 2, .tid = 1 };
	void *p[2] = { ops->create(), ops->create() };
	double t0 = now_s(), el = 0;
	uint64_t i = 0;

	parse_records = 0;
	for (;;) {
		/* p[0]: server role (request ingress); p[1]: client role (request egress). */
		for (int k = 0; k < 2; k++) {
			const char *h = req_heads[i % NREQ];
			int rq = k == 0 ? ZT_L7_INGRESS : ZT_L7_EGRESS;

			meta.ts_enter += 1000;
			meta.ts_exit += 1000;
			if (ops->feed(p[k], rq, (const uint8_t *)h, strlen(h), &meta, &sink) ||
			    ops->feed(p[k], !rq, resp_buf, resp_len, &meta, &sink)) {
				fprintf(stderr, "parse: parser refused the stream\n");
				exit(1);
			}
		}
		i++;
		if ((i & 0x3fff) == 0 && (el = now_s() - t0) > PHASE_S)
			break;
	}
	ops->destroy(p[0]);
	ops->destroy(p[1]);
	*records_out = parse_records;
	return el;
}

/* ---- other protocols' parsers alone: one request/response pair fed over and over ---- */

/* PostgreSQL simple query and its one-row answer (RowDescription, DataRow, CommandComplete,
 * ReadyForQuery), as psycopg2 and the server send them. */
static const uint8_t pg_req[] =
	"Q\x00" "\x00" "\x00" "0SELECT name, price FROM items WHERE id = 42\x00";
static const uint8_t pg_resp[] =
	"T\x00" "\x00" "\x00" "5\x00" "\x02" "name\x00" "\x00" "\x00" "@\x01" "\x00" "\x02" "\x00"
	"\x00" "\x00" "\x19" "\xff" "\xff" "\xff" "\xff" "\xff" "\xff" "\x00" "\x00" "price\x00"
	"\x00" "\x00" "@\x01" "\x00" "\x03" "\x00" "\x00" "\x06" "\xa4" "\xff" "\xff" "\x00" "\x01"
	"\x00" "\x06" "\x00" "\x00" "D\x00" "\x00" "\x00" "\x19" "\x00" "\x02" "\x00" "\x00" "\x00"
	"\x07" "item 42\x00" "\x00" "\x00" "\x04" "63.0C\x00" "\x00" "\x00" "\x0d" "SELECT 1\x00"
	"Z\x00" "\x00" "\x00" "\x05" "I";
/* Redis GET and its bulk reply. */
static const uint8_t redis_req[] = "*2\r\n$3\r\nGET\r\n$6\r\nuser:1\r\n";
static const uint8_t redis_resp[] = "$5\r\nalice\r\n";
/*
 * HTTP/2 gRPC unary call after the preface and SETTINGS: request HEADERS (static-table
 * indexes and literals without indexing) + DATA with END_STREAM; response HEADERS + DATA +
 * trailers (grpc-status). The stream id grows by 2 per call (patched in place).
 */
static const uint8_t h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
				    "\x00" "\x00" "\x00" "\x04" "\x00" "\x00" "\x00" "\x00" "\x00";
static const uint8_t h2_settings[] = "\x00" "\x00" "\x00" "\x04" "\x00" "\x00" "\x00" "\x00" "\x00";
static uint8_t h2_req[] =
	"\x00" "\x00" "J\x01" "\x04" "\x00" "\x00" "\x00" "\x01" "\x83" "\x86" "\x04" "\x15"
	"/zt.shop.Shop/GetItem\x01" "\x0f" "127.0.0.1:50051\x0f" "\x10" "\x10" "application/grpc\x00"
	"\x02" "te\x08" "trailers\x00" "\x00" "\x07" "\x00" "\x01" "\x00" "\x00" "\x00" "\x01" "\x00"
	"\x00" "\x00" "\x00" "\x02" "\x08" "\x07";
static uint8_t h2_resp[] =
	"\x00" "\x00" "\x14" "\x01" "\x04" "\x00" "\x00" "\x00" "\x01" "\x88" "\x0f" "\x10" "\x10"
	"application/grpc\x00" "\x00" "\x0e" "\x00" "\x00" "\x00" "\x00" "\x00" "\x01" "\x00" "\x00"
	"\x00" "\x00" "\x09" "\x08" "\x07" "\x12" "\x05" "item7\x00" "\x00" "\x0f" "\x01" "\x05"
	"\x00" "\x00" "\x00" "\x01" "\x00" "\x0b" "grpc-status\x01" "0";

static void h2_set_stream(uint8_t *frames, size_t len, uint32_t id)
{
	for (size_t off = 0; off + 9 <= len;) {
		uint32_t flen = (uint32_t)frames[off] << 16 | frames[off + 1] << 8 | frames[off + 2];

		frames[off + 5] = id >> 24;
		frames[off + 6] = id >> 16;
		frames[off + 7] = id >> 8;
		frames[off + 8] = id;
		off += 9 + flen;
	}
}

static double bench_proto(const struct zt_parser_ops *ops, const uint8_t *req, size_t req_len,
			  uint8_t *resp, size_t resp_len, bool h2, uint64_t *records_out)
{
	struct zt_l7_sink sink = { .emit = count_emit, .request_head = count_head };
	struct zt_chunk_meta meta = { .ts_enter = 1, .ts_exit = 2, .tid = 1 };
	void *p = ops->create();
	double t0 = now_s(), el = 0;
	uint32_t stream = 1;
	uint64_t i = 0;

	parse_records = 0;
	if (h2 && (ops->feed(p, ZT_L7_EGRESS, h2_preface, sizeof(h2_preface) - 1, &meta, &sink) ||
		   ops->feed(p, ZT_L7_INGRESS, h2_settings, sizeof(h2_settings) - 1, &meta, &sink))) {
		fprintf(stderr, "parse: %s refused the preface\n", ops->name);
		exit(1);
	}
	for (;;) {
		if (h2) {
			h2_set_stream((uint8_t *)req, req_len, stream);
			h2_set_stream(resp, resp_len, stream);
			stream += 2;
			if (stream > 0x7ffffff0u)
				stream = 1;
		}
		meta.ts_enter += 1000;
		meta.ts_exit += 1000;
		if (ops->feed(p, ZT_L7_EGRESS, req, req_len, &meta, &sink) ||
		    ops->feed(p, ZT_L7_INGRESS, resp, resp_len, &meta, &sink)) {
			fprintf(stderr, "parse: %s refused the stream\n", ops->name);
			exit(1);
		}
		i++;
		if ((i & 0x3fff) == 0 && (el = now_s() - t0) > PHASE_S)
			break;
	}
	ops->destroy(p);
	*records_out = parse_records;
	return el;
}

static void print_proto(const char *what, const struct zt_parser_ops *ops, const uint8_t *req,
			size_t req_len, uint8_t *resp, size_t resp_len, bool h2)
{
	uint64_t records;
	double el = bench_proto(ops, req, req_len, resp, resp_len, h2, &records);

	printf("parse: %.0f records/s per core (%s, %zu B request + %zu B response per record)\n",
	       (double)records / el, what, req_len, resp_len);
	fflush(stdout);
}

/* ---- encoder alone ---- */

static double bench_encode_only(struct zt_span *const *spans, size_t n, uint64_t *spans_out,
				uint64_t *bytes_out)
{
	double t0 = now_s(), el = 0;
	uint64_t rounds = 0, bytes = 0;

	for (;;) {
		uint8_t *buf;
		size_t len;

		if (otlp_encode_protobuf(spans, n, &buf, &len)) {
			fprintf(stderr, "encode: otlp_encode_protobuf failed\n");
			exit(1);
		}
		bytes += len;
		free(buf);
		rounds++;
		if ((rounds & 7) == 0 && (el = now_s() - t0) > PHASE_S)
			break;
	}
	*spans_out = rounds * n;
	*bytes_out = bytes;
	return el;
}

static int64_t mono_to_real_offset(void)
{
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	return ((int64_t)real.tv_sec - mono.tv_sec) * 1000000000LL + (real.tv_nsec - mono.tv_nsec);
}

int main(int argc, char **argv)
{
	struct zt_exporter *exps[1] = { &bexp.base };
	struct zt_span_builder_stats sb0, sb1;
	struct zt_conn_stats cs;
	uint64_t pairs = DEFAULT_PAIRS, done, spans0, bytes0, records, enc_spans, enc_bytes;
	double t0, el, rate;

	if (argc > 1)
		pairs = strtoull(argv[1], NULL, 10);
	if (!pairs)
		pairs = DEFAULT_PAIRS;
	zt_alloc_tuning();	/* the agent's malloc settings: the pipeline depends on them */
	zt_log_level = ZT_LOG_WARN;
	self_pid = (uint32_t)getpid();	/* zt_proc_resource reads /proc/<this pid> once, cached */
	make_response();

	zt_span_builder_init(exps, 1, mono_to_real_offset());
	zt_conn_table_init(NULL, NULL);
	for (int i = 0; i < NCONN; i++)
		conn_start(i);

	/* Warm-up: allocator, resource cache, branch predictors. Also fills the sample batch. */
	replay(WARMUP_PAIRS, REPLAY_MAX_S);
	bench_flush(&bexp.base, 0);

	zt_span_builder_get_stats(&sb0);
	spans0 = bexp.spans;
	bytes0 = bexp.bytes;
	t0 = now_s();
	done = replay(pairs, REPLAY_MAX_S);
	bench_flush(&bexp.base, 0);
	el = now_s() - t0;
	zt_span_builder_get_stats(&sb1);
	rate = (double)(bexp.spans - spans0) / el;
	printf("replay: %llu spans in %.2f s = %.0f spans/s per core (parse -> span -> OTLP protobuf)"
	       "  [target >= %.0f: %s]\n",
	       (unsigned long long)(bexp.spans - spans0), el, rate, TARGET_SPANS_PER_S,
	       rate >= TARGET_SPANS_PER_S ? "met" : "MISSED");
	printf("replay:   %llu pairs fed on %d interleaved keep-alive connections (%d req/conn, "
	       "half server / half client role); %.1f us/span; %.0f protobuf bytes/span\n",
	       (unsigned long long)done, NCONN, REQS_PER_CONN, el * 1e6 / (double)done,
	       (double)(bexp.bytes - bytes0) / (double)(bexp.spans - spans0));
	zt_conn_get_stats(&cs);
	printf("replay:   check: spans made %llu (server %llu, client %llu, parented by thread %llu, "
	       "continued %llu) for %llu pairs; connections %llu; gap bytes %llu; unparseable %llu; "
	       "malformed %llu; encode failures %llu\n",
	       (unsigned long long)(sb1.spans - sb0.spans),
	       (unsigned long long)(sb1.server_spans - sb0.server_spans),
	       (unsigned long long)(sb1.client_spans - sb0.client_spans),
	       (unsigned long long)(sb1.parented_by_thread - sb0.parented_by_thread),
	       (unsigned long long)(sb1.continued - sb0.continued), (unsigned long long)done,
	       (unsigned long long)cs.opened, (unsigned long long)cs.gap_bytes,
	       (unsigned long long)cs.parsed_off, (unsigned long long)zt_l7_stats.malformed,
	       (unsigned long long)bexp.failed);
	fflush(stdout);
	if (argc > 2 && strcmp(argv[2], "pipeline") == 0)
		goto out;

	el = bench_parse(&records);
	printf("parse: %.0f records/s per core (HTTP/1 parser alone, ~%zu B request + %zu B response "
	       "per record)\n", (double)records / el, strlen(req_heads[0]), resp_len);
	fflush(stdout);
	print_proto("PostgreSQL simple query", &zt_pgsql_parser, pg_req, sizeof(pg_req) - 1,
		    (uint8_t *)pg_resp, sizeof(pg_resp) - 1, false);
	print_proto("Redis GET", &zt_redis_parser, redis_req, sizeof(redis_req) - 1,
		    (uint8_t *)redis_resp, sizeof(redis_resp) - 1, false);
	print_proto("HTTP/2 gRPC unary call incl. HPACK", &zt_http2_parser, h2_req, sizeof(h2_req) - 1,
		    h2_resp, sizeof(h2_resp) - 1, true);

	if (bexp.n_sample) {
		el = bench_encode_only(bexp.sample, bexp.n_sample, &enc_spans, &enc_bytes);
		printf("encode: %.0f spans/s per core (otlp_encode_protobuf alone, batches of %zu "
		       "pipeline spans, %.0f B/span, %.0f MB/s)\n",
		       (double)enc_spans / el, bexp.n_sample, (double)enc_bytes / (double)enc_spans,
		       (double)enc_bytes / el / 1e6);
	}

out:
	zt_conn_close_all();
	bench_destroy(&bexp.base, NULL);
	zt_span_builder_free();
	return 0;
}
