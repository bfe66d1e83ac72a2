/*
 * OTLP exporters: protobuf and JSON encoding, environment handling, the JSON lines file
 * exporter, and the OTLP/HTTP exporter against a tiny in-process HTTP server on 127.0.0.1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "otlp.pb-c.h"
#include "../../src/export/otlp_encode.h"
#include "zt_exporter.h"
#include "zt_log.h"

typedef Opentelemetry__Proto__Trace__V1__ExportTraceServiceRequest pb_request;
typedef Opentelemetry__Proto__Trace__V1__ExportTraceServiceResponse pb_response;
typedef Opentelemetry__Proto__Trace__V1__ExportTracePartialSuccess pb_partial;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans pb_resource_spans;
typedef Opentelemetry__Proto__Trace__V1__Span pb_span;
typedef Opentelemetry__Proto__Trace__V1__KeyValue pb_keyvalue;
typedef Opentelemetry__Proto__Trace__V1__AnyValue pb_anyvalue;

/* Short names for the AnyValue oneof cases. */
enum {
	V_STR = OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_STRING_VALUE,
	V_BOOL = OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_BOOL_VALUE,
	V_INT = OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_INT_VALUE,
	V_DOUBLE = OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_DOUBLE_VALUE,
	V_ARRAY = OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_ARRAY_VALUE,
};

#define T_START 1700000000000000000ull
#define T_END 1700000000123456789ull

/* U+FFFD REPLACEMENT CHARACTER in UTF-8 */
#define FFFD "\xef\xbf\xbd"

/* ---- fixtures ---- */

static struct zt_resource *make_resource(const char *service, uint32_t pid)
{
	struct zt_resource *res = zt_resource_new(pid);

	zt_resource_set_str(res, "service.name", service);
	zt_resource_set_int(res, "process.pid", pid);
	return res;
}

static void fill_id(uint8_t *id, size_t len, uint8_t first)
{
	for (size_t i = 0; i < len; i++)
		id[i] = (uint8_t)(first + i);
}

/* A span holding a reference on res; seed makes the ids distinct. */
static struct zt_span *make_span(struct zt_resource *res, uint8_t seed, uint8_t kind,
				 const char *name)
{
	struct zt_span *s = zt_span_new();

	fill_id(s->trace_id, 16, 0x01);
	fill_id(s->span_id, 8, seed);
	s->kind = kind;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->start_ns = T_START;
	s->end_ns = T_END;
	s->resource = zt_resource_ref(res);
	return s;
}

/* Span A: every attribute type, error status, trace_state, no parent. */
static struct zt_span *make_rich_span(struct zt_resource *res)
{
	struct zt_span *s = make_span(res, 0x11, ZT_SPAN_KIND_SERVER, "GET /users/:id");
	static const char arr[] = "a\0b c";

	zt_span_set_str(s, "http.request.method", "GET");
	zt_span_set_int(s, "http.response.status_code", 200);
	zt_attrs_set_bool(s->attrs, &s->n_attrs, "ok", true);
	zt_attrs_set_str_array(s->attrs, &s->n_attrs, "http.request.header.accept", arr,
			       sizeof(arr), 2);
	s->attrs[s->n_attrs] = (struct zt_attr){ .key = "ratio", .type = ZT_ATTR_DOUBLE, .d = 0.25 };
	s->n_attrs++;
	zt_span_set_int(s, "neg", -42);
	s->dropped_attrs = 2;
	s->status_code = ZT_STATUS_ERROR;
	s->status_message = strdup("boom \"x\"\n");
	s->trace_state = strdup("vendor=1");
	return s;
}

struct fixture {
	struct zt_resource *r1, *r2;
	struct zt_span *spans[3];
};

/* spans: A (r1, rich), B (r2, child of A, client), C (r1, internal) */
static void fixture_init(struct fixture *f)
{
	f->r1 = make_resource("svc-a", 100);
	f->r2 = make_resource("svc-b", 200);
	f->spans[0] = make_rich_span(f->r1);
	f->spans[1] = make_span(f->r2, 0x21, ZT_SPAN_KIND_CLIENT, "GET");
	fill_id(f->spans[1]->parent_span_id, 8, 0x11);
	f->spans[2] = make_span(f->r1, 0x31, ZT_SPAN_KIND_INTERNAL, "work");
}

static void fixture_free(struct fixture *f)
{
	for (int i = 0; i < 3; i++)
		zt_span_unref(f->spans[i]);
	zt_resource_unref(f->r1);
	zt_resource_unref(f->r2);
}

static const pb_keyvalue *find_kv(pb_keyvalue **kvs, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kvs[i]->key, key) == 0)
			return kvs[i];
	return NULL;
}

static const pb_anyvalue *span_attr(const pb_span *s, const char *key)
{
	const pb_keyvalue *kv = find_kv(s->attributes, s->n_attributes, key);

	assert_non_null(kv);
	return kv->value;
}

static pb_request *encode_and_unpack(struct zt_span *const *spans, size_t n)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	pb_request *req;

	assert_int_equal(otlp_encode_protobuf(spans, n, &buf, &len), 0);
	req = opentelemetry__proto__trace__v1__export_trace_service_request__unpack(NULL, len, buf);
	free(buf);
	assert_non_null(req);
	return req;
}

static void free_request(pb_request *req)
{
	opentelemetry__proto__trace__v1__export_trace_service_request__free_unpacked(req, NULL);
}

/* ---- protobuf ---- */

static void check_resource(const pb_resource_spans *rs, const char *service, int64_t pid)
{
	const pb_keyvalue *kv;

	assert_non_null(rs->resource);
	kv = find_kv(rs->resource->attributes, rs->resource->n_attributes, "service.name");
	assert_non_null(kv);
	assert_string_equal(kv->value->string_value, service);
	kv = find_kv(rs->resource->attributes, rs->resource->n_attributes, "process.pid");
	assert_non_null(kv);
	assert_int_equal(kv->value->int_value, pid);
	assert_int_equal(rs->n_scope_spans, 1);
	assert_string_equal(rs->scope_spans[0]->scope->name, "zerotrace");
	assert_string_equal(rs->scope_spans[0]->scope->version, ZT_VERSION);
}

static void check_rich_span(const pb_span *s)
{
	static const uint8_t tid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	static const uint8_t sid[8] = { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 };
	const pb_anyvalue *v;

	assert_int_equal(s->trace_id.len, 16);
	assert_memory_equal(s->trace_id.data, tid, 16);
	assert_int_equal(s->span_id.len, 8);
	assert_memory_equal(s->span_id.data, sid, 8);
	assert_int_equal(s->parent_span_id.len, 0);
	assert_string_equal(s->trace_state, "vendor=1");
	assert_int_equal(s->flags, 1);
	assert_string_equal(s->name, "GET /users/:id");
	assert_int_equal(s->kind, 2);
	assert_true(s->start_time_unix_nano == T_START);
	assert_true(s->end_time_unix_nano == T_END);
	assert_int_equal(s->dropped_attributes_count, 2);
	assert_int_equal(s->n_attributes, 6);
	assert_non_null(s->status);
	assert_int_equal(s->status->code, 2);
	assert_string_equal(s->status->message, "boom \"x\"\n");

	v = span_attr(s, "http.request.method");
	assert_int_equal(v->value_case, V_STR);
	assert_string_equal(v->string_value, "GET");
	v = span_attr(s, "http.response.status_code");
	assert_int_equal(v->value_case, V_INT);
	assert_int_equal(v->int_value, 200);
	v = span_attr(s, "neg");
	assert_int_equal(v->int_value, -42);
	v = span_attr(s, "ok");
	assert_int_equal(v->value_case, V_BOOL);
	assert_true(v->bool_value);
	v = span_attr(s, "ratio");
	assert_int_equal(v->value_case, V_DOUBLE);
	assert_true(v->double_value == 0.25);
	v = span_attr(s, "http.request.header.accept");
	assert_int_equal(v->value_case, V_ARRAY);
	assert_int_equal(v->array_value->n_values, 2);
	assert_string_equal(v->array_value->values[0]->string_value, "a");
	assert_string_equal(v->array_value->values[1]->string_value, "b c");
}

static void test_protobuf_roundtrip(void **state)
{
	static const uint8_t parent[8] = { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 };
	struct fixture f;
	pb_request *req;
	const pb_span *b, *c;

	fixture_init(&f);
	req = encode_and_unpack(f.spans, 3);

	/* Grouped by resource in order of first appearance: r1 {A, C}, r2 {B}. */
	assert_int_equal(req->n_resource_spans, 2);
	check_resource(req->resource_spans[0], "svc-a", 100);
	check_resource(req->resource_spans[1], "svc-b", 200);
	assert_int_equal(req->resource_spans[0]->scope_spans[0]->n_spans, 2);
	assert_int_equal(req->resource_spans[1]->scope_spans[0]->n_spans, 1);
	check_rich_span(req->resource_spans[0]->scope_spans[0]->spans[0]);

	c = req->resource_spans[0]->scope_spans[0]->spans[1];
	assert_string_equal(c->name, "work");
	assert_int_equal(c->kind, 1);
	assert_int_equal(c->span_id.data[0], 0x31);
	assert_int_equal(c->n_attributes, 0);
	assert_int_equal(c->status->code, 0);
	assert_string_equal(c->status->message, "");
	assert_string_equal(c->trace_state, "");

	b = req->resource_spans[1]->scope_spans[0]->spans[0];
	assert_string_equal(b->name, "GET");
	assert_int_equal(b->kind, 3);
	assert_int_equal(b->parent_span_id.len, 8);
	assert_memory_equal(b->parent_span_id.data, parent, 8);

	free_request(req);
	fixture_free(&f);
}

static void test_protobuf_edge_cases(void **state)
{
	struct zt_span *s = zt_span_new();
	pb_request *req;
	const pb_span *ps;

	/* No spans: a valid, empty request. */
	req = encode_and_unpack(NULL, 0);
	assert_int_equal(req->n_resource_spans, 0);
	free_request(req);

	/* No resource, invalid UTF-8 in name and attribute, overlong name without NUL. */
	fill_id(s->trace_id, 16, 1);
	fill_id(s->span_id, 8, 1);
	snprintf(s->name, sizeof(s->name), "bad\xffname");
	zt_span_set_str(s, "url.path", "/\xc0\xaf" "x");
	req = encode_and_unpack(&s, 1);
	assert_int_equal(req->n_resource_spans, 1);
	assert_null(req->resource_spans[0]->resource);
	ps = req->resource_spans[0]->scope_spans[0]->spans[0];
	assert_string_equal(ps->name, "bad\xef\xbf\xbdname");
	assert_string_equal(span_attr(ps, "url.path")->string_value,
			    "/\xef\xbf\xbd\xef\xbf\xbdx");
	free_request(req);

	memset(s->name, 'n', sizeof(s->name));
	req = encode_and_unpack(&s, 1);
	ps = req->resource_spans[0]->scope_spans[0]->spans[0];
	assert_int_equal(strlen(ps->name), sizeof(s->name));
	free_request(req);
	zt_span_unref(s);
}

/* ---- JSON ---- */

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("missing %s\n in %s", needle, hay);
}

static void test_json_request(void **state)
{
	struct otlp_buf buf = { 0 };
	struct fixture f;

	fixture_init(&f);
	otlp_encode_json(f.spans, 3, &buf);
	assert_non_null(buf.data);
	assert_null(strchr(buf.data, '\n'));
	assert_int_equal(strlen(buf.data), buf.len);
	assert_true(strncmp(buf.data, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[", 44) ==
		    0);
	assert_contains(buf.data,
			"{\"key\":\"service.name\",\"value\":{\"stringValue\":\"svc-a\"}}");
	assert_contains(buf.data, "{\"key\":\"process.pid\",\"value\":{\"intValue\":\"100\"}}");
	assert_contains(buf.data, "\"scopeSpans\":[{\"scope\":{\"name\":\"zerotrace\","
				  "\"version\":\"" ZT_VERSION "\"},\"spans\":[{");
	assert_contains(buf.data, "{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\","
				  "\"spanId\":\"1112131415161718\",\"traceState\":\"vendor=1\","
				  "\"flags\":1,\"name\":\"GET /users/:id\",\"kind\":2,"
				  "\"startTimeUnixNano\":\"1700000000000000000\","
				  "\"endTimeUnixNano\":\"1700000000123456789\",\"attributes\":[");
	assert_contains(buf.data,
			"{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"GET\"}}");
	assert_contains(buf.data,
			"{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"200\"}}");
	assert_contains(buf.data, "{\"key\":\"neg\",\"value\":{\"intValue\":\"-42\"}}");
	assert_contains(buf.data, "{\"key\":\"ok\",\"value\":{\"boolValue\":true}}");
	assert_contains(buf.data, "{\"key\":\"ratio\",\"value\":{\"doubleValue\":0.25}}");
	assert_contains(buf.data, "{\"key\":\"http.request.header.accept\",\"value\":"
				  "{\"arrayValue\":{\"values\":[{\"stringValue\":\"a\"},"
				  "{\"stringValue\":\"b c\"}]}}}");
	assert_contains(buf.data, "\"droppedAttributesCount\":2,"
				  "\"status\":{\"message\":\"boom \\\"x\\\"\\n\",\"code\":2}}");
	/* Child span B under the second resource. */
	assert_contains(buf.data, "\"spanId\":\"2122232425262728\","
				  "\"parentSpanId\":\"1112131415161718\",\"flags\":1,"
				  "\"name\":\"GET\",\"kind\":3,");
	assert_contains(buf.data,
			"{\"key\":\"service.name\",\"value\":{\"stringValue\":\"svc-b\"}}");
	/* Span C: no attributes, unset status. */
	assert_contains(buf.data, "\"name\":\"work\",\"kind\":1,"
				  "\"startTimeUnixNano\":\"1700000000000000000\","
				  "\"endTimeUnixNano\":\"1700000000123456789\",\"status\":{}}");
	assert_null(strstr(buf.data, "\"parentSpanId\":\"0000"));
	assert_true(strcmp(buf.data + buf.len - 4, "]}]}") == 0);
	otlp_buf_free(&buf);
	fixture_free(&f);
}

/* Spans encoded one by one and put together per resource make the same request, byte for
 * byte, as the whole batch encoded at once (the exporters encode spans as they come). */
static void test_request_in_pieces_is_the_same(void **state)
{
	struct otlp_buf pb[2] = { { 0 } }, json[2] = { { 0 } }, whole_json = { 0 }, pieces = { 0 };
	struct otlp_pb_group groups[2];
	uint8_t *whole, *joined;
	size_t whole_len, joined_len;
	struct fixture f;

	fixture_init(&f);
	/* r1 holds spans 0 and 2, r2 span 1: groups in order of first appearance. */
	for (int i = 0; i < 3; i++) {
		int g = f.spans[i]->resource == f.r1 ? 0 : 1;

		assert_int_equal(otlp_protobuf_span_field(&pb[g], f.spans[i]), 0);
		if (json[g].len)
			otlp_buf_append(&json[g], ",", 1);
		otlp_json_span(&json[g], f.spans[i]);
	}
	groups[0] = (struct otlp_pb_group){ f.r1, pb[0].data, pb[0].len };
	groups[1] = (struct otlp_pb_group){ f.r2, pb[1].data, pb[1].len };
	assert_int_equal(otlp_encode_protobuf(f.spans, 3, &whole, &whole_len), 0);
	assert_int_equal(otlp_protobuf_request(groups, 2, &joined, &joined_len), 0);
	assert_int_equal(joined_len, whole_len);
	assert_memory_equal(joined, whole, whole_len);

	otlp_encode_json(f.spans, 3, &whole_json);
	otlp_json_request_begin(&pieces);
	for (int g = 0; g < 2; g++) {
		if (g)
			otlp_buf_append(&pieces, ",", 1);
		otlp_json_resource_spans_begin(&pieces, g ? f.r2 : f.r1);
		otlp_buf_append(&pieces, json[g].data, json[g].len);
		otlp_json_resource_spans_end(&pieces);
	}
	otlp_json_request_end(&pieces);
	assert_string_equal(pieces.data, whole_json.data);

	free(whole);
	free(joined);
	for (int g = 0; g < 2; g++) {
		otlp_buf_free(&pb[g]);
		otlp_buf_free(&json[g]);
	}
	otlp_buf_free(&whole_json);
	otlp_buf_free(&pieces);
	fixture_free(&f);
}

static void test_json_escaping(void **state)
{
	/*
	 * Escapes, raw DEL, NUL, valid 2- and 4-byte UTF-8; then ill-formed: a stray byte, an
	 * overlong form, a surrogate, a truncated sequence.
	 */
	static const char in[] = "a\"b\\c\n\r\t\b\f\x01\x1f\x7f\0z\xc3\xa9/"
				 "\xff|\xc0\xaf|\xed\xa0\x80|\xf0\x9f\x98\x80\xe2\x82";
	struct otlp_buf buf = { 0 };

	otlp_json_string(&buf, in, sizeof(in) - 1);
	assert_string_equal(buf.data, "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\x7f"
				      "\\u0000z\xc3\xa9/"
				      FFFD "|" FFFD FFFD "|" FFFD FFFD FFFD "|"
				      "\xf0\x9f\x98\x80" FFFD FFFD "\"");
	otlp_buf_reset(&buf);
	otlp_json_string(&buf, "", 0);
	assert_string_equal(buf.data, "\"\"");
	otlp_buf_free(&buf);
}

static void test_json_span_strings_escaped(void **state)
{
	struct zt_span *s = zt_span_new();
	struct otlp_buf buf = { 0 };

	fill_id(s->trace_id, 16, 1);
	fill_id(s->span_id, 8, 1);
	snprintf(s->name, sizeof(s->name), "q\"\n\x02\xfe");
	zt_span_set_str(s, "k", "line1\nline2\ttab");
	otlp_encode_json(&s, 1, &buf);
	assert_null(strchr(buf.data, '\n'));
	assert_contains(buf.data, "\"name\":\"q\\\"\\n\\u0002" FFFD "\"");
	assert_contains(buf.data, "{\"stringValue\":\"line1\\nline2\\ttab\"}");
	otlp_buf_free(&buf);
	zt_span_unref(s);
}

/* ---- gzip, responses, headers, environment ---- */

/* gunzip into a malloc'd buffer. */
static uint8_t *gunzip(const uint8_t *in, size_t len, size_t *out_len)
{
	z_stream zs = { 0 };
	size_t cap = 4 * len + 1024;
	uint8_t *out = malloc(cap);
	int rc;

	assert_int_equal(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	do {
		if (zs.total_out == cap) {
			cap *= 2;
			out = realloc(out, cap);
		}
		zs.next_out = out + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out);
		rc = inflate(&zs, Z_NO_FLUSH);
	} while (rc == Z_OK);
	assert_int_equal(rc, Z_STREAM_END);
	*out_len = zs.total_out;
	inflateEnd(&zs);
	return out;
}

static void test_gzip_roundtrip(void **state)
{
	struct fixture f;
	uint8_t *raw, *gz, *back;
	size_t raw_len, gz_len, back_len;

	fixture_init(&f);
	assert_int_equal(otlp_encode_protobuf(f.spans, 3, &raw, &raw_len), 0);
	assert_int_equal(otlp_gzip(raw, raw_len, &gz, &gz_len), 0);
	assert_true(gz_len > 18);
	assert_int_equal(gz[0], 0x1f);
	assert_int_equal(gz[1], 0x8b);
	back = gunzip(gz, gz_len, &back_len);
	assert_int_equal(back_len, raw_len);
	assert_memory_equal(back, raw, raw_len);
	free(raw);
	free(gz);
	free(back);
	fixture_free(&f);
}

static uint8_t *pack_response(int64_t rejected, const char *msg, size_t *len)
{
	pb_response resp = OPENTELEMETRY__PROTO__TRACE__V1__EXPORT_TRACE_SERVICE_RESPONSE__INIT;
	pb_partial ps = OPENTELEMETRY__PROTO__TRACE__V1__EXPORT_TRACE_PARTIAL_SUCCESS__INIT;
	uint8_t *buf;

	ps.rejected_spans = rejected;
	ps.error_message = (char *)msg;
	resp.partial_success = &ps;
	*len = protobuf_c_message_get_packed_size(&resp.base);
	buf = malloc(*len + 1);
	protobuf_c_message_pack(&resp.base, buf);
	return buf;
}

static void test_decode_response(void **state)
{
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff };
	int64_t rejected = -1;
	char msg[64];
	uint8_t *body;
	size_t len;

	assert_int_equal(otlp_decode_response(NULL, 0, &rejected, msg, sizeof(msg)), 0);
	assert_int_equal(rejected, 0);
	assert_string_equal(msg, "");
	body = pack_response(3, "too old", &len);
	assert_int_equal(otlp_decode_response(body, len, &rejected, msg, sizeof(msg)), 0);
	assert_int_equal(rejected, 3);
	assert_string_equal(msg, "too old");
	free(body);
	assert_int_equal(otlp_decode_response(garbage, sizeof(garbage), &rejected, NULL, 0), -1);
}

static void test_headers_parse(void **state)
{
	size_t n = 99;
	char **h;

	h = otlp_headers_parse(" api-key = secret%3Dx ,x-b=hello%20world,bad,=nov,x-e=,"
			       "x-crlf=a%0D%0Ab,bad key=1,x-pct=100%,,", &n);
	assert_int_equal(n, 4);
	assert_string_equal(h[0], "api-key: secret=x");
	assert_string_equal(h[1], "x-b: hello world");
	assert_string_equal(h[2], "x-e;");
	assert_string_equal(h[3], "x-pct: 100%");
	otlp_headers_free(h, n);

	assert_null(otlp_headers_parse(NULL, &n));
	assert_int_equal(n, 0);
	assert_null(otlp_headers_parse("", &n));
	assert_null(otlp_headers_parse(",", &n));
}

static void clear_otel_env(void)
{
	unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
	unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
	unsetenv("OTEL_EXPORTER_OTLP_COMPRESSION");
	unsetenv("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION");
	unsetenv("OTEL_EXPORTER_OTLP_HEADERS");
	unsetenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS");
}

static void expect_endpoint(const char *cli, const char *want)
{
	char out[256];

	assert_int_equal(zt_otlp_endpoint_from_env(out, sizeof(out), cli), 0);
	assert_string_equal(out, want);
}

static void test_endpoint_from_env(void **state)
{
	char out[256] = "junk", tiny[16] = "junk";

	clear_otel_env();
	assert_int_equal(zt_otlp_endpoint_from_env(out, sizeof(out), NULL), -1);
	assert_string_equal(out, "");
	assert_int_equal(zt_otlp_endpoint_from_env(out, sizeof(out), ""), -1);

	/* The CLI value is a base URL unless it already names the traces path. */
	expect_endpoint("http://c:4318", "http://c:4318/v1/traces");
	expect_endpoint("http://c:4318/", "http://c:4318/v1/traces");
	expect_endpoint("https://c/otlp/", "https://c/otlp/v1/traces");
	expect_endpoint("http://c:4318/v1/traces", "http://c:4318/v1/traces");

	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318/", 1);
	expect_endpoint(NULL, "http://base:4318/v1/traces");
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318/prefix", 1);
	expect_endpoint(NULL, "http://base:4318/prefix/v1/traces");
	/* The signal-specific variable is used as is and wins; empty means unset. */
	setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:1/custom", 1);
	expect_endpoint(NULL, "http://t:1/custom");
	setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "", 1);
	expect_endpoint(NULL, "http://base:4318/prefix/v1/traces");
	/* The command line beats both. */
	setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:1/custom", 1);
	expect_endpoint("http://cli:9", "http://cli:9/v1/traces");

	assert_int_equal(zt_otlp_endpoint_from_env(tiny, sizeof(tiny), "http://c:4318"), -1);
	assert_string_equal(tiny, "");
	clear_otel_env();
}

static void test_compression_and_headers_env(void **state)
{
	clear_otel_env();
	assert_int_equal(zt_otlp_gzip_from_env(), 0);
	setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", 1);
	assert_int_equal(zt_otlp_gzip_from_env(), 1);
	setenv("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none", 1);
	assert_int_equal(zt_otlp_gzip_from_env(), 0);
	unsetenv("OTEL_EXPORTER_OTLP_COMPRESSION");
	setenv("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip", 1);
	assert_int_equal(zt_otlp_gzip_from_env(), 1);

	assert_null(zt_otlp_headers_from_env());
	setenv("OTEL_EXPORTER_OTLP_HEADERS", "a=1", 1);
	assert_string_equal(zt_otlp_headers_from_env(), "a=1");
	setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=2", 1);
	assert_string_equal(zt_otlp_headers_from_env(), "b=2");
	clear_otel_env();
}

/* ---- OTLP/JSON file exporter ---- */

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *data = calloc(1, 1 << 20);
	size_t n;

	assert_non_null(f);
	n = fread(data, 1, (1 << 20) - 1, f);
	data[n] = '\0';
	fclose(f);
	return data;
}

static int count_substr(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_json_exporter_file(void **state)
{
	char path[] = "/tmp/zt-otlp-json-XXXXXX";
	struct zt_exporter_stats st;
	struct zt_exporter *exp;
	struct fixture f;
	char *data;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	fixture_init(&f);
	exp = zt_otlp_json_exporter_new(path);
	assert_non_null(exp);
	assert_string_equal(exp->name, "otlp-json");
	for (int i = 0; i < 3; i++)
		exp->submit(exp, f.spans[i]);
	exp->flush(exp, 2000);
	data = read_file(path);
	assert_int_equal(count_substr(data, "\n"), 1);
	assert_int_equal(count_substr(data, "\"spanId\""), 3);
	assert_int_equal(count_substr(data, "\"resourceSpans\""), 1);
	assert_true(data[strlen(data) - 1] == '\n');
	free(data);

	/* Without flush the writer's timer (200 ms) writes the span on its own. */
	exp->submit(exp, f.spans[2]);
	usleep(600 * 1000);
	data = read_file(path);
	assert_int_equal(count_substr(data, "\n"), 2);
	assert_int_equal(count_substr(data, "\"spanId\""), 4);
	free(data);

	exp->get_stats(exp, &st);
	assert_int_equal(st.spans_ok, 4);
	assert_int_equal(st.spans_failed, 0);
	assert_int_equal(st.requests_ok, 2);
	exp->destroy(exp, NULL);
	/* The exporter dropped its references: ours are the last ones. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(f.spans[i]->refs, 1);
	fixture_free(&f);
	unlink(path);

	assert_null(zt_otlp_json_exporter_new("/nonexistent-dir/zt/out.json"));
	assert_null(zt_otlp_json_exporter_new(""));
}

/* ---- tiny HTTP server for the OTLP/HTTP exporter ---- */

struct test_reply {
	int status;
	const char *headers;	/* extra header lines, each ending in \r\n */
	const uint8_t *body;
	size_t body_len;
	int delay_ms;
};

struct test_request {
	char *head;		/* request line and headers */
	uint8_t *body;
	size_t body_len;
	uint64_t at_ms;
};

#define MAX_TEST_REQUESTS 64

struct test_server {
	int fd;
	int port;
	int listen_delay_ms;	/* bound but not listening until then: connection refused */
	const struct test_reply *replies;	/* the last one repeats */
	size_t n_replies;
	pthread_t thread;
	pthread_mutex_t lock;
	struct test_request reqs[MAX_TEST_REQUESTS];
	size_t n_reqs;
	int stop;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t content_length(const char *head)
{
	const char *p = strcasestr(head, "\r\ncontent-length:");

	return p ? strtoul(p + 17, NULL, 10) : 0;
}

/* Reads one request; returns its index, or -1. */
static int server_read(struct test_server *s, int c)
{
	char head[16384];
	size_t n = 0, hlen, clen, have;
	char *end = NULL;
	uint8_t *body;
	ssize_t r;
	int idx;

	while (!end && n < sizeof(head) - 1) {
		r = recv(c, head + n, sizeof(head) - 1 - n, 0);
		if (r <= 0)
			return -1;
		n += (size_t)r;
		head[n] = '\0';
		end = strstr(head, "\r\n\r\n");
	}
	if (!end)
		return -1;
	hlen = (size_t)(end + 4 - head);
	clen = content_length(head);
	body = malloc(clen + 1);
	have = n - hlen < clen ? n - hlen : clen;
	memcpy(body, head + hlen, have);
	while (have < clen) {
		r = recv(c, body + have, clen - have, 0);
		if (r <= 0) {
			free(body);
			return -1;
		}
		have += (size_t)r;
	}
	pthread_mutex_lock(&s->lock);
	idx = (int)s->n_reqs;
	if (s->n_reqs < MAX_TEST_REQUESTS) {
		s->reqs[idx].head = strndup(head, hlen);
		s->reqs[idx].body = body;
		s->reqs[idx].body_len = clen;
		s->reqs[idx].at_ms = mono_ms();
		s->n_reqs++;
	} else {
		free(body);
	}
	pthread_mutex_unlock(&s->lock);
	return idx;
}

static void server_reply(struct test_server *s, int c, int idx)
{
	const struct test_reply *rp = &s->replies[(size_t)idx < s->n_replies ? (size_t)idx :
						  s->n_replies - 1];
	char head[512];
	int n;

	if (rp->delay_ms)
		usleep((useconds_t)rp->delay_ms * 1000);
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d Test\r\nContent-Type: application/x-protobuf\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n%s\r\n",
		     rp->status, rp->body_len, rp->headers ? rp->headers : "");
	send(c, head, (size_t)n, MSG_NOSIGNAL);
	if (rp->body_len)
		send(c, rp->body, rp->body_len, MSG_NOSIGNAL);
}

static void *server_main(void *arg)
{
	struct test_server *s = arg;

	if (s->listen_delay_ms)
		usleep((useconds_t)s->listen_delay_ms * 1000);
	listen(s->fd, 16);
	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p = { .fd = s->fd, .events = POLLIN };
		struct timeval tv = { .tv_sec = 2 };
		int c, idx;

		if (poll(&p, 1, 50) <= 0)
			continue;
		c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		idx = server_read(s, c);
		if (idx >= 0)
			server_reply(s, c, idx);
		close(c);
	}
	return NULL;
}

static void server_start(struct test_server *s, const struct test_reply *replies, size_t n,
			 int listen_delay_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t slen = sizeof(sa);

	memset(s, 0, sizeof(*s));
	s->replies = replies;
	s->n_replies = n;
	s->listen_delay_ms = listen_delay_ms;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pthread_mutex_init(&s->lock, NULL);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&sa, &slen), 0);
	s->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static size_t server_requests(struct test_server *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->n_reqs;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void server_stop(struct test_server *s)
{
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	pthread_join(s->thread, NULL);
	close(s->fd);
	for (size_t i = 0; i < s->n_reqs; i++) {
		free(s->reqs[i].head);
		free(s->reqs[i].body);
	}
	pthread_mutex_destroy(&s->lock);
}

static void server_url(const struct test_server *s, char *out, size_t len)
{
	snprintf(out, len, "http://127.0.0.1:%d/v1/traces", s->port);
}

/* Spans in a request body (gunzipped first when gzip). */
static size_t request_spans(const struct test_request *rq, int gzip, size_t *n_resources)
{
	size_t len = rq->body_len, n = 0;
	uint8_t *raw = rq->body;
	pb_request *req;

	if (gzip)
		raw = gunzip(rq->body, rq->body_len, &len);
	req = opentelemetry__proto__trace__v1__export_trace_service_request__unpack(NULL, len, raw);
	assert_non_null(req);
	for (size_t i = 0; i < req->n_resource_spans; i++)
		for (size_t j = 0; j < req->resource_spans[i]->n_scope_spans; j++)
			n += req->resource_spans[i]->scope_spans[j]->n_spans;
	if (n_resources)
		*n_resources = req->n_resource_spans;
	free_request(req);
	if (gzip)
		free(raw);
	return n;
}

static struct zt_exporter *http_exporter(const struct test_server *s, int gzip,
					 const char *headers)
{
	struct zt_otlp_http_config cfg = { 0 };
	char url[128];

	server_url(s, url, sizeof(url));
	cfg.endpoint = url;
	cfg.gzip = gzip;
	cfg.headers = headers;
	cfg.batch_timeout_ms = 100;
	cfg.timeout_ms = 3000;
	return zt_otlp_http_exporter_new(&cfg);
}

static void test_http_retry_after_then_ok(void **state)
{
	static const struct test_reply replies[] = {
		{ .status = 503, .headers = "Retry-After: 1\r\n" },
		{ .status = 200 },
	};
	struct zt_exporter_stats st;
	struct test_server srv;
	struct zt_exporter *exp;
	struct fixture f;
	size_t n_res = 0;
	const char *head;

	fixture_init(&f);
	server_start(&srv, replies, 2, 0);
	exp = http_exporter(&srv, 1, "x-api-key=abc%20def, x-tenant = t1");
	assert_non_null(exp);
	for (int i = 0; i < 3; i++)
		exp->submit(exp, f.spans[i]);
	exp->flush(exp, 10000);

	assert_int_equal(server_requests(&srv), 2);
	/* Retry-After: 1 was honoured. */
	assert_true(srv.reqs[1].at_ms - srv.reqs[0].at_ms >= 900);
	head = srv.reqs[1].head;
	assert_true(strncmp(head, "POST /v1/traces HTTP/1.1\r\n", 26) == 0);
	assert_contains(head, "\r\nContent-Type: application/x-protobuf\r\n");
	assert_contains(head, "\r\nContent-Encoding: gzip\r\n");
	assert_contains(head, "\r\nUser-Agent: zerotrace/" ZT_VERSION "\r\n");
	assert_contains(head, "\r\nx-api-key: abc def\r\n");
	assert_contains(head, "\r\nx-tenant: t1\r\n");
	assert_null(strcasestr(head, "Expect:"));
	/* The retry resent the same batch. */
	assert_int_equal(srv.reqs[0].body_len, srv.reqs[1].body_len);
	assert_memory_equal(srv.reqs[0].body, srv.reqs[1].body, srv.reqs[0].body_len);
	assert_int_equal(request_spans(&srv.reqs[1], 1, &n_res), 3);
	assert_int_equal(n_res, 2);

	exp->get_stats(exp, &st);
	assert_int_equal(st.spans_ok, 3);
	assert_int_equal(st.spans_failed, 0);
	assert_int_equal(st.requests_ok, 1);
	/* The 503, and on a loaded host maybe a reused connection the server had closed. */
	assert_true(st.requests_failed >= 1);
	exp->destroy(exp, NULL);
	for (int i = 0; i < 3; i++)
		assert_int_equal(f.spans[i]->refs, 1);
	server_stop(&srv);
	fixture_free(&f);
}

static void test_http_collector_down_then_up(void **state)
{
	static const struct test_reply replies[] = { { .status = 200 } };
	struct zt_exporter_stats st;
	struct test_server srv;
	struct zt_exporter *exp;
	struct fixture f;

	fixture_init(&f);
	/* Connections are refused for 700 ms: the first attempts fail at the TCP level. */
	server_start(&srv, replies, 1, 700);
	exp = http_exporter(&srv, 0, NULL);
	assert_non_null(exp);
	exp->submit(exp, f.spans[0]);
	exp->flush(exp, 10000);
	exp->get_stats(exp, &st);
	assert_int_equal(st.spans_ok, 1);
	assert_true(st.requests_failed >= 1);
	assert_int_equal(st.requests_ok, 1);
	assert_int_equal(server_requests(&srv), 1);
	assert_int_equal(request_spans(&srv.reqs[0], 0, NULL), 1);
	assert_null(strcasestr(srv.reqs[0].head, "Content-Encoding"));
	exp->destroy(exp, NULL);
	server_stop(&srv);
	fixture_free(&f);
}

static void test_http_not_retryable(void **state)
{
	static const struct test_reply replies[] = { { .status = 400 } };
	struct zt_exporter_stats st;
	struct test_server srv;
	struct zt_exporter *exp;
	struct fixture f;

	fixture_init(&f);
	server_start(&srv, replies, 1, 0);
	exp = http_exporter(&srv, 0, NULL);
	exp->submit(exp, f.spans[0]);
	exp->submit(exp, f.spans[1]);
	exp->flush(exp, 10000);
	exp->get_stats(exp, &st);
	assert_int_equal(st.spans_ok, 0);
	assert_int_equal(st.spans_failed, 2);
	assert_int_equal(st.requests_failed, 1);
	usleep(700 * 1000);
	assert_int_equal(server_requests(&srv), 1);
	exp->destroy(exp, NULL);
	server_stop(&srv);
	fixture_free(&f);
}

static void test_http_partial_success(void **state)
{
	struct test_reply replies[1] = { { .status = 200 } };
	struct zt_exporter_stats st;
	struct test_server srv;
	struct zt_exporter *exp;
	struct fixture f;
	uint8_t *body;
	size_t len;

	body = pack_response(1, "span too large", &len);
	replies[0].body = body;
	replies[0].body_len = len;
	fixture_init(&f);
	server_start(&srv, replies, 1, 0);
	exp = http_exporter(&srv, 0, NULL);
	exp->submit(exp, f.spans[0]);
	exp->submit(exp, f.spans[1]);
	exp->flush(exp, 10000);
	exp->get_stats(exp, &st);
	assert_int_equal(st.spans_ok, 1);
	assert_int_equal(st.spans_failed, 1);
	assert_int_equal(st.requests_ok, 1);
	exp->destroy(exp, NULL);
	server_stop(&srv);
	fixture_free(&f);
	free(body);
}

static void test_http_queue_overflow(void **state)
{
	static const struct test_reply replies[] = { { .status = 200, .delay_ms = 300 } };
	struct zt_otlp_http_config cfg = { 0 };
	struct zt_exporter_stats st;
	struct test_server srv;
	struct zt_exporter *exp;
	struct fixture f;
	char url[128];
	uint64_t t0, elapsed;
	size_t delivered = 0;

	fixture_init(&f);
	server_start(&srv, replies, 1, 0);
	server_url(&srv, url, sizeof(url));
	cfg.endpoint = url;
	cfg.max_batch = 4;
	cfg.max_queue = 8;
	cfg.batch_timeout_ms = 20;
	exp = zt_otlp_http_exporter_new(&cfg);
	assert_non_null(exp);

	/* The sender is stuck in a slow request: submit() must drop, not wait. */
	exp->submit(exp, f.spans[0]);
	usleep(100 * 1000);
	t0 = mono_ms();
	for (int i = 0; i < 200; i++)
		exp->submit(exp, f.spans[i % 3]);
	elapsed = mono_ms() - t0;
	assert_true(elapsed < 100);
	exp->get_stats(exp, &st);
	assert_int_equal(st.spans_failed, 200 - 8);

	exp->flush(exp, 10000);
	exp->get_stats(exp, &st);
	assert_int_equal(st.spans_ok, 9);
	assert_int_equal(st.spans_failed, 192);
	for (size_t i = 0; i < server_requests(&srv); i++)
		delivered += request_spans(&srv.reqs[i], 0, NULL);
	assert_int_equal(delivered, 9);
	exp->destroy(exp, NULL);
	for (int i = 0; i < 3; i++)
		assert_int_equal(f.spans[i]->refs, 1);
	server_stop(&srv);
	fixture_free(&f);
}

static void test_http_bad_config(void **state)
{
	static const char *const bad[] = {
		"ftp://host/v1/traces", "not a url", "http://", "localhost:4318/v1/traces",
		"http://host:99999/v1/traces", "",
	};
	struct zt_otlp_http_config cfg = { 0 };

	assert_null(zt_otlp_http_exporter_new(NULL));
	assert_null(zt_otlp_http_exporter_new(&cfg));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.endpoint = bad[i];
		if (zt_otlp_http_exporter_new(&cfg))
			fail_msg("accepted endpoint '%s'", bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_protobuf_roundtrip),
		cmocka_unit_test(test_protobuf_edge_cases),
		cmocka_unit_test(test_json_request),
		cmocka_unit_test(test_request_in_pieces_is_the_same),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_json_span_strings_escaped),
		cmocka_unit_test(test_gzip_roundtrip),
		cmocka_unit_test(test_decode_response),
		cmocka_unit_test(test_headers_parse),
		cmocka_unit_test(test_endpoint_from_env),
		cmocka_unit_test(test_compression_and_headers_env),
		cmocka_unit_test(test_json_exporter_file),
		cmocka_unit_test(test_http_retry_after_then_ok),
		cmocka_unit_test(test_http_collector_down_then_up),
		cmocka_unit_test(test_http_not_retryable),
		cmocka_unit_test(test_http_partial_success),
		cmocka_unit_test(test_http_queue_overflow),
		cmocka_unit_test(test_http_bad_config),
	};

	/* The exporter must reach 127.0.0.1 directly even where a proxy is configured. */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	/* Expected warnings (malformed headers, retries) would only clutter the output. */
	zt_log_level = ZT_LOG_ERROR;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
