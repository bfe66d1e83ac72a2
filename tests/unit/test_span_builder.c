/* Span builder: IDs, parents (thread, traceparent, local tuple link), timing, attributes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "zt_proc_table.h"
#include "zt_selection.h"
#include "zt_span_builder.h"

#define OFFSET 1000000000000LL
#define TP "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

static struct zt_span *got[16];
static int ngot;

static void cap_submit(struct zt_exporter *exp, struct zt_span *span)
{
	assert_true(ngot < 16);
	got[ngot++] = zt_span_ref(span);
}

static struct zt_exporter cap = { .name = "capture", .submit = cap_submit };
static struct zt_exporter *exps[] = { &cap };

static int setup(void **state)
{
	ngot = 0;
	zt_span_builder_init(exps, 1, OFFSET);
	return 0;
}

static int teardown(void **state)
{
	for (int i = 0; i < ngot; i++)
		zt_span_unref(got[i]);
	zt_span_builder_free();
	return 0;
}

static void tuple_set(struct zt_tuple *t, uint8_t l, uint16_t lport, uint8_t r, uint16_t rport)
{
	memset(t, 0, sizeof(*t));
	t->saddr[10] = t->saddr[11] = t->daddr[10] = t->daddr[11] = 0xff;
	t->saddr[12] = 127, t->saddr[15] = l;
	t->daddr[12] = 127, t->daddr[15] = r;
	t->sport = lport;
	t->dport = rport;
	t->family = 2;
}

static void conn_init(struct zt_sb_conn *c, uint64_t id, uint8_t role, uint16_t lport,
		      uint16_t rport)
{
	memset(c, 0, sizeof(*c));
	c->tgid = (uint32_t)getpid();
	c->conn_id = id;
	c->role = role;
	tuple_set(&c->tuple, 1, lport, 1, rport);
}

static struct zt_chunk_meta at(uint64_t t, uint32_t tid)
{
	struct zt_chunk_meta m = { .ts_enter = t, .ts_exit = t + 5, .tid = tid };

	return m;
}

static void rec_init(struct zt_l7_record *r, int dir, const char *method, const char *target,
		     int status, uint64_t t0, uint32_t tid)
{
	memset(r, 0, sizeof(*r));
	r->proto = ZT_L7_HTTP1;
	r->req_dir = (uint8_t)dir;
	r->has_response = status != 0;
	r->status = status;
	snprintf(r->method, sizeof(r->method), "%s", method);
	snprintf(r->target, sizeof(r->target), "%s", target);
	snprintf(r->version, sizeof(r->version), "1.1");
	r->req_first = at(t0, tid);
	r->req_last = at(t0 + 10, tid);
	r->resp_first = at(t0 + 100, tid);
	r->resp_last = at(t0 + 200, tid);
}

static const struct zt_attr *attr(const struct zt_span *s, const char *key)
{
	return zt_attrs_find(s->attrs, s->n_attrs, key);
}

static void test_server_span_attributes_and_timing(void **state)
{
	struct zt_sb_conn c;
	struct zt_l7_record r;

	conn_init(&c, 1, ZT_ROLE_SERVER, 8080, 40000);
	rec_init(&r, ZT_L7_INGRESS, "GET", "/users/1234/orders?x=1", 500, 1000, 7);
	snprintf(r.host, sizeof(r.host), "shop.example:8080");
	snprintf(r.user_agent, sizeof(r.user_agent), "curl/8");
	zt_span_builder_request_head(&c, &r);
	zt_span_builder_record(&c, &r);
	assert_int_equal(ngot, 1);

	struct zt_span *s = got[0];

	assert_int_equal(s->kind, ZT_SPAN_KIND_SERVER);
	assert_string_equal(s->name, "GET /users/*/orders");
	assert_int_equal(s->start_ns, OFFSET + 1005);
	assert_int_equal(s->end_ns, OFFSET + 1205);
	assert_int_equal(s->status_code, ZT_STATUS_ERROR);
	assert_true(zt_id_is_zero(s->parent_span_id, 8));
	assert_false(zt_id_is_zero(s->trace_id, 16));
	assert_string_equal(attr(s, "url.path")->s, "/users/1234/orders");
	assert_string_equal(attr(s, "url.query")->s, "x=1");
	assert_string_equal(attr(s, "server.address")->s, "shop.example");
	assert_int_equal(attr(s, "server.port")->i, 8080);
	assert_string_equal(attr(s, "client.address")->s, "127.0.0.1");
	assert_int_equal(attr(s, "client.port")->i, 40000);
	assert_int_equal(attr(s, "http.response.status_code")->i, 500);
	assert_string_equal(attr(s, "error.type")->s, "500");
	assert_string_equal(attr(s, "user_agent.original")->s, "curl/8");
	assert_string_equal(attr(s, "network.protocol.version")->s, "1.1");
	assert_int_equal(s->resource->pid, (uint32_t)getpid());
	assert_non_null(zt_attrs_find(s->resource->attrs, s->resource->n_attrs, "service.name"));
}

static void test_server_4xx_is_not_an_error_client_4xx_is(void **state)
{
	struct zt_sb_conn s, c;
	struct zt_l7_record r;

	conn_init(&s, 1, ZT_ROLE_SERVER, 80, 5000);
	conn_init(&c, 2, ZT_ROLE_CLIENT, 6000, 81);
	rec_init(&r, ZT_L7_INGRESS, "GET", "/missing", 404, 0, 1);
	zt_span_builder_record(&s, &r);
	rec_init(&r, ZT_L7_EGRESS, "GET", "/missing", 404, 0, 2);
	zt_span_builder_record(&c, &r);
	assert_int_equal(ngot, 2);
	assert_int_equal(got[0]->status_code, ZT_STATUS_UNSET);
	assert_int_equal(got[1]->status_code, ZT_STATUS_ERROR);
	assert_string_equal(got[1]->name, "GET");
	assert_string_equal(attr(got[1], "url.full")->s, "http://127.0.0.1/missing");
	/* Client span: from entry of the request write to the return of the last read. */
	assert_int_equal(got[1]->start_ns, OFFSET + 0);
	assert_int_equal(got[1]->end_ns, OFFSET + 205);
}

static void test_traceparent_continues_trace(void **state)
{
	struct zt_sb_conn c;
	struct zt_l7_record r;
	char hex[33];

	conn_init(&c, 1, ZT_ROLE_SERVER, 80, 5000);
	rec_init(&r, ZT_L7_INGRESS, "POST", "/", 200, 0, 1);
	snprintf(r.traceparent, sizeof(r.traceparent), TP);
	snprintf(r.tracestate, sizeof(r.tracestate), "vendor=1");
	zt_span_builder_request_head(&c, &r);
	zt_span_builder_record(&c, &r);
	zt_hex_encode(got[0]->trace_id, 16, hex);
	assert_string_equal(hex, "0af7651916cd43dd8448eb211c80319c");
	zt_hex_encode(got[0]->parent_span_id, 8, hex);
	assert_string_equal(hex, "b7ad6b7169203331");
	assert_string_equal(got[0]->trace_state, "vendor=1");
}

/* A thread handling a server request makes an outgoing call: the client span is its child. */
static void test_thread_parent(void **state)
{
	struct zt_sb_conn in, out, other;
	struct zt_l7_record srv, cli, cli2;

	conn_init(&in, 1, ZT_ROLE_SERVER, 80, 5000);
	conn_init(&out, 2, ZT_ROLE_CLIENT, 6000, 90);
	conn_init(&other, 3, ZT_ROLE_CLIENT, 6001, 91);
	rec_init(&srv, ZT_L7_INGRESS, "GET", "/a", 200, 0, 42);
	rec_init(&cli, ZT_L7_EGRESS, "GET", "/b", 200, 50, 42);
	rec_init(&cli2, ZT_L7_EGRESS, "GET", "/c", 200, 50, 43);
	zt_span_builder_request_head(&in, &srv);
	zt_span_builder_request_head(&out, &cli);
	zt_span_builder_request_head(&other, &cli2);
	zt_span_builder_record(&out, &cli);
	zt_span_builder_record(&other, &cli2);
	zt_span_builder_record(&in, &srv);
	assert_int_equal(ngot, 3);
	assert_memory_equal(got[0]->trace_id, got[2]->trace_id, 16);
	assert_memory_equal(got[0]->parent_span_id, got[2]->span_id, 8);
	/* Another thread's call is not a child. */
	assert_memory_not_equal(got[1]->trace_id, got[2]->trace_id, 16);
	/* After the server span ended, the thread has no parent any more. */
	rec_init(&cli, ZT_L7_EGRESS, "GET", "/later", 200, 500, 42);
	zt_span_builder_record(&out, &cli);
	assert_true(zt_id_is_zero(got[3]->parent_span_id, 8));
}

/* Client and server of one connection both traced on this host: one trace, linked. */
static void test_local_tuple_link(void **state)
{
	struct zt_sb_conn cli, srv;
	struct zt_l7_record rc, rs;

	conn_init(&cli, 1, ZT_ROLE_CLIENT, 40000, 8080);
	conn_init(&srv, 2, ZT_ROLE_SERVER, 8080, 40000);
	for (int i = 0; i < 2; i++) {
		rec_init(&rc, ZT_L7_EGRESS, "GET", "/x", 200, 1000 * i, 1);
		rec_init(&rs, ZT_L7_INGRESS, "GET", "/x", 200, 1000 * i + 10, 2);
		zt_span_builder_request_head(&cli, &rc);
		zt_span_builder_request_head(&srv, &rs);
		zt_span_builder_record(&srv, &rs);
		zt_span_builder_record(&cli, &rc);
	}
	assert_int_equal(ngot, 4);
	for (int i = 0; i < 4; i += 2) {
		assert_memory_equal(got[i]->trace_id, got[i + 1]->trace_id, 16);
		assert_memory_equal(got[i]->parent_span_id, got[i + 1]->span_id, 8);
	}
	assert_memory_not_equal(got[0]->trace_id, got[2]->trace_id, 16);
	zt_span_builder_conn_closed(&cli);
	zt_span_builder_conn_closed(&srv);
}

static void kctx_fill(struct zt_trace_ctx *k, uint8_t trace, uint8_t span, uint8_t parent)
{
	memset(k, 0, sizeof(*k));
	memset(k->trace_id, trace, 16);
	memset(k->span_id, span, 8);
	if (parent)
		memset(k->parent_id, parent, 8);
}

/* Kernel-made IDs win, matched to the request by its stream position. */
static void test_kernel_ids_by_position(void **state)
{
	struct zt_sb_conn c;
	struct zt_l7_record r1, r2;
	struct zt_trace_ctx k;

	conn_init(&c, 1, ZT_ROLE_SERVER, 80, 5000);
	kctx_fill(&k, 0xa1, 0xb1, 0);
	zt_span_builder_server_ctx(&c, 0, &k);
	kctx_fill(&k, 0xa2, 0xb2, 0xc2);
	zt_span_builder_server_ctx(&c, 500, &k);
	rec_init(&r1, ZT_L7_INGRESS, "GET", "/1", 200, 0, 1);
	rec_init(&r2, ZT_L7_INGRESS, "GET", "/2", 200, 300, 1);
	r2.req_pos = 250;	/* pipelined: no kernel IDs at this position */
	zt_span_builder_request_head(&c, &r1);
	zt_span_builder_record(&c, &r1);
	zt_span_builder_request_head(&c, &r2);
	zt_span_builder_record(&c, &r2);
	assert_int_equal(got[0]->trace_id[0], 0xa1);
	assert_int_equal(got[0]->span_id[7], 0xb1);
	assert_true(zt_id_is_zero(got[0]->parent_span_id, 8));
	assert_memory_not_equal(got[1]->trace_id, k.trace_id, 16);
	/* The entry at 500 is still there for the request that starts there. */
	r2.req_pos = 500;
	zt_span_builder_request_head(&c, &r2);
	zt_span_builder_record(&c, &r2);
	assert_int_equal(got[2]->trace_id[5], 0xa2);
	assert_int_equal(got[2]->parent_span_id[0], 0xc2);
	zt_span_builder_conn_closed(&c);
}

/* The header the kernel injected and the client span carry the same IDs. */
static void test_injected_ids(void **state)
{
	struct zt_sb_conn c, other;
	struct zt_l7_record r;
	struct zt_trace_ctx k;

	conn_init(&c, 1, ZT_ROLE_CLIENT, 40000, 8080);
	conn_init(&other, 2, ZT_ROLE_CLIENT, 40001, 8080);
	kctx_fill(&k, 0x11, 0x22, 0x33);
	zt_span_builder_injected(c.tgid, &c.tuple, &k, 0);
	rec_init(&r, ZT_L7_EGRESS, "GET", "/x", 200, 0, 1);
	zt_span_builder_request_head(&other, &r);
	zt_span_builder_record(&other, &r);
	zt_span_builder_request_head(&c, &r);
	zt_span_builder_record(&c, &r);
	assert_memory_not_equal(got[0]->trace_id, k.trace_id, 16);
	assert_int_equal(got[1]->trace_id[15], 0x11);
	assert_int_equal(got[1]->span_id[0], 0x22);
	assert_int_equal(got[1]->parent_span_id[0], 0x33);
	zt_span_builder_conn_closed(&c);
	zt_span_builder_conn_closed(&other);
}

static void test_no_response_is_error(void **state)
{
	struct zt_sb_conn c;
	struct zt_l7_record r;

	conn_init(&c, 1, ZT_ROLE_CLIENT, 6000, 80);
	rec_init(&r, ZT_L7_EGRESS, "GET", "/hang", 0, 0, 1);
	zt_span_builder_record(&c, &r);
	assert_int_equal(got[0]->status_code, ZT_STATUS_ERROR);
	assert_string_equal(attr(got[0], "error.type")->s, "connection_closed");
	assert_null(attr(got[0], "http.response.status_code"));
	assert_int_equal(got[0]->end_ns, OFFSET + 15);
}

static void test_span_names(void **state)
{
	static const char *const cases[][3] = {
		{ "GET", "/", "GET /" },
		{ "GET", "/index.html", "GET /index.html" },
		{ "GET", "/users/42", "GET /users/*" },
		{ "PUT", "/a/b/c/d/e", "PUT /a/b/c/*" },
		{ "GET", "/v1/items?id=3", "GET /v1/items" },
		{ "GET", "/o/0123456789abcdef0123", "GET /o/*" },
		{ "GET", "http://proxy.example/x/1", "GET /x/*" },
		{ "OPTIONS", "*", "OPTIONS" },
		{ "", "/", "HTTP /" },
	};
	char name[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		zt_http_span_name(cases[i][0], cases[i][1], name, sizeof(name));
		assert_string_equal(name, cases[i][2]);
	}
}

static void test_service_name(void **state)
{
	static const char env[] = "PATH=/bin\0OTEL_SERVICE_NAME=checkout\0HOME=/root";
	static const char env_empty[] = "OTEL_SERVICE_NAME=\0X=1";
	char out[64];

	zt_proc_service_name(env, sizeof(env), "/usr/bin/python3", out, sizeof(out));
	assert_string_equal(out, "checkout");
	zt_proc_service_name(env_empty, sizeof(env_empty), "/usr/sbin/nginx", out, sizeof(out));
	assert_string_equal(out, "nginx");
	zt_proc_service_name(NULL, 0, "", out, sizeof(out));
	assert_string_equal(out, "unknown_service");
	/* Not NUL-terminated at the end of the captured environment. */
	zt_proc_service_name("OTEL_SERVICE_NAME=abc", 21, "/x", out, sizeof(out));
	assert_string_equal(out, "abc");
}

static void test_exe_glob(void **state)
{
	assert_true(zt_exe_matches("nginx", "/usr/sbin/nginx"));
	assert_true(zt_exe_matches("python3*", "/usr/bin/python3.11"));
	assert_true(zt_exe_matches("/usr/*/nginx", "/usr/sbin/nginx"));
	assert_false(zt_exe_matches("/usr/bin/*", "/usr/sbin/nginx"));
	assert_false(zt_exe_matches("ngin", "/usr/sbin/nginx"));
	assert_false(zt_exe_matches("*", ""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_server_span_attributes_and_timing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_4xx_is_not_an_error_client_4xx_is, setup, teardown),
		cmocka_unit_test_setup_teardown(test_traceparent_continues_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread_parent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_tuple_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_response_is_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_ids_by_position, setup, teardown),
		cmocka_unit_test_setup_teardown(test_injected_ids, setup, teardown),
		cmocka_unit_test(test_span_names),
		cmocka_unit_test(test_service_name),
		cmocka_unit_test(test_exe_glob),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
