/*
 * OTLP encoding: spans become a protobuf-c message tree (ExportTraceServiceRequest), which is
 * then either packed to protobuf bytes or walked to write the OTLP/JSON form, so both exporters
 * describe exactly the same request. Also gzip, response parsing and the OTLP env variables.
 */
#include <limits.h>
#include <math.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "otlp.pb-c.h"
#include "otlp_encode.h"
#include "zt_log.h"

/* The generated names spell out the whole package; short aliases keep lines readable. */
typedef Opentelemetry__Proto__Trace__V1__ExportTraceServiceRequest pb_request;
typedef Opentelemetry__Proto__Trace__V1__ExportTraceServiceResponse pb_response;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans pb_resource_spans;
typedef Opentelemetry__Proto__Trace__V1__ScopeSpans pb_scope_spans;
typedef Opentelemetry__Proto__Trace__V1__Span pb_span;
typedef Opentelemetry__Proto__Trace__V1__Status pb_status;
typedef Opentelemetry__Proto__Trace__V1__Resource pb_resource;
typedef Opentelemetry__Proto__Trace__V1__InstrumentationScope pb_scope;
typedef Opentelemetry__Proto__Trace__V1__KeyValue pb_keyvalue;
typedef Opentelemetry__Proto__Trace__V1__AnyValue pb_anyvalue;
typedef Opentelemetry__Proto__Trace__V1__ArrayValue pb_arrayvalue;

/*
 * W3C "sampled" trace flag: every span zerotrace exports was recorded. zt_span carries no
 * flags and the agent cannot tell whether a parent was remote, so bits 8-9 stay clear
 * ("unknown"), as the OTLP spec allows.
 */
#define OTLP_SPAN_FLAGS_SAMPLED 0x01u

/* ---- arena: the message tree of one request lives in a few chunks freed together ---- */

#define OTLP_ARENA_CHUNK 16384

struct otlp_chunk {
	struct otlp_chunk *next;
	size_t used;
	size_t cap;
	max_align_t data[];
};

struct otlp_arena {
	struct otlp_chunk *head;
};

/* Out of memory aborts, the same policy as span.c: an agent half-encoding a batch helps nobody. */
static void *arena_alloc(struct otlp_arena *a, size_t size)
{
	struct otlp_chunk *c = a->head;
	void *p;

	size = (size + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	if (!c || c->cap - c->used < size) {
		size_t cap = size > OTLP_ARENA_CHUNK ? size : OTLP_ARENA_CHUNK;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			abort();
		c->next = a->head;
		c->used = 0;
		c->cap = cap;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += size;
	return p;
}

static void arena_free(struct otlp_arena *a)
{
	while (a->head) {
		struct otlp_chunk *next = a->head->next;

		free(a->head);
		a->head = next;
	}
}

/* ---- UTF-8 ---- */

/* Length of the well-formed UTF-8 sequence at s (Unicode table 3-7), or 0 when ill-formed. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		if (s[0] == 0xed)
			hi = 0x9f;	/* UTF-16 surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;	/* overlong */
		if (s[0] == 0xf4)
			hi = 0x8f;	/* beyond U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* Length of the all-ASCII prefix of s[0..len), 8 bytes at a time: nearly all span text is ASCII. */
static size_t ascii_prefix(const char *s, size_t len)
{
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080ull)
			break;
	}
	while (i < len && !((unsigned char)s[i] & 0x80))
		i++;
	return i;
}

static bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = ascii_prefix(s, len);

	while (i < len) {
		size_t n = utf8_seq_len(u + i, len - i);

		if (!n)
			return false;
		i += n;
		i += ascii_prefix(s + i, len - i);
	}
	return true;
}

/* NUL-terminated copy of s[0..len) in which every ill-formed byte became U+FFFD. */
static char *utf8_sanitize(struct otlp_arena *a, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	char *out = arena_alloc(a, 3 * len + 1), *o = out;
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_seq_len(u + i, len - i);

		if (n) {
			memcpy(o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	*o = '\0';
	return out;
}

/*
 * A protobuf-c string for s[0..len): s itself when it is NUL-terminated valid UTF-8 (the tree
 * only lives while the spans are referenced, and packing never writes through it), otherwise a
 * sanitized copy.
 */
static char *tree_strn(struct otlp_arena *a, const char *s, size_t len)
{
	if (s[len] == '\0' && utf8_valid(s, len))
		return (char *)s;
	return utf8_sanitize(a, s, len);
}

static char *tree_str(struct otlp_arena *a, const char *s)
{
	return tree_strn(a, s, strlen(s));
}

/* ---- spans to a protobuf-c message tree ---- */

struct otlp_tree {
	struct otlp_arena arena;
	pb_request req;
	pb_scope scope;		/* shared by every ScopeSpans */
};

static pb_anyvalue *tree_any_strn(struct otlp_arena *a, const char *s, size_t len)
{
	pb_anyvalue *v = arena_alloc(a, sizeof(*v));

	opentelemetry__proto__trace__v1__any_value__init(v);
	v->value_case = OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_STRING_VALUE;
	v->string_value = tree_strn(a, s, len);
	return v;
}

static pb_anyvalue *tree_any_str(struct otlp_arena *a, const char *s)
{
	return tree_any_strn(a, s, strlen(s));
}

/* ZT_ATTR_STR_ARRAY: s holds n consecutive NUL-terminated strings. */
static pb_arrayvalue *tree_str_array(struct otlp_arena *a, const struct zt_attr *attr)
{
	pb_arrayvalue *arr = arena_alloc(a, sizeof(*arr));
	const char *p = attr->s ? attr->s : "";
	uint32_t n = attr->s ? attr->n : 0;

	opentelemetry__proto__trace__v1__array_value__init(arr);
	arr->values = arena_alloc(a, (n ? n : 1) * sizeof(*arr->values));
	for (uint32_t i = 0; i < n; i++) {
		arr->values[i] = tree_any_str(a, p);
		p += strlen(p) + 1;
	}
	arr->n_values = n;
	return arr;
}

static pb_anyvalue *tree_value(struct otlp_arena *a, const struct zt_attr *attr)
{
	pb_anyvalue *v;

	/* The setters record a string's length: no strlen. */
	if (attr->type == ZT_ATTR_STR)
		return attr->s ? tree_any_strn(a, attr->s, attr->n) : tree_any_strn(a, "", 0);
	v = arena_alloc(a, sizeof(*v));
	opentelemetry__proto__trace__v1__any_value__init(v);
	switch (attr->type) {
	case ZT_ATTR_INT:
		v->value_case = OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_INT_VALUE;
		v->int_value = attr->i;
		break;
	case ZT_ATTR_BOOL:
		v->value_case = OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_BOOL_VALUE;
		v->bool_value = attr->b;
		break;
	case ZT_ATTR_DOUBLE:
		v->value_case = OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_DOUBLE_VALUE;
		v->double_value = attr->d;
		break;
	case ZT_ATTR_STR_ARRAY:
		v->value_case = OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_ARRAY_VALUE;
		v->array_value = tree_str_array(a, attr);
		break;
	default:
		break;	/* unknown type: an empty AnyValue is still valid OTLP */
	}
	return v;
}

static pb_keyvalue **tree_attrs(struct otlp_arena *a, const struct zt_attr *attrs, int n,
				size_t *n_out)
{
	pb_keyvalue **kvs = arena_alloc(a, (n > 0 ? n : 1) * sizeof(*kvs));
	size_t k = 0;

	for (int i = 0; i < n; i++) {
		pb_keyvalue *kv;

		if (!attrs[i].key)
			continue;
		kv = arena_alloc(a, sizeof(*kv));
		opentelemetry__proto__trace__v1__key_value__init(kv);
		kv->key = tree_str(a, attrs[i].key);
		kv->value = tree_value(a, &attrs[i]);
		kvs[k++] = kv;
	}
	*n_out = k;
	return kvs;
}

static pb_status *tree_status(struct otlp_arena *a, const struct zt_span *s)
{
	pb_status *st = arena_alloc(a, sizeof(*st));

	opentelemetry__proto__trace__v1__status__init(st);
	st->code = s->status_code;
	if (s->status_message)
		st->message = tree_str(a, s->status_message);
	return st;
}

static pb_span *tree_span(struct otlp_arena *a, struct zt_span *s)
{
	pb_span *ps = arena_alloc(a, sizeof(*ps));

	opentelemetry__proto__trace__v1__span__init(ps);
	ps->trace_id.data = s->trace_id;
	ps->trace_id.len = sizeof(s->trace_id);
	ps->span_id.data = s->span_id;
	ps->span_id.len = sizeof(s->span_id);
	/* A root span has an empty parent_span_id, not eight zero bytes. */
	if (!zt_id_is_zero(s->parent_span_id, sizeof(s->parent_span_id))) {
		ps->parent_span_id.data = s->parent_span_id;
		ps->parent_span_id.len = sizeof(s->parent_span_id);
	}
	if (s->trace_state)
		ps->trace_state = tree_str(a, s->trace_state);
	ps->flags = OTLP_SPAN_FLAGS_SAMPLED;
	ps->name = tree_strn(a, s->name, strnlen(s->name, sizeof(s->name)));
	ps->kind = s->kind;
	ps->start_time_unix_nano = s->start_ns;
	ps->end_time_unix_nano = s->end_ns;
	ps->attributes = tree_attrs(a, s->attrs, s->n_attrs, &ps->n_attributes);
	ps->dropped_attributes_count = s->dropped_attrs;
	ps->status = tree_status(a, s);
	return ps;
}

static pb_resource_spans *tree_resource_spans(struct otlp_tree *t, const struct zt_resource *res,
					      size_t n_spans)
{
	struct otlp_arena *a = &t->arena;
	pb_resource_spans *rs = arena_alloc(a, sizeof(*rs));
	pb_scope_spans *ss = arena_alloc(a, sizeof(*ss));

	opentelemetry__proto__trace__v1__resource_spans__init(rs);
	if (res) {
		pb_resource *r = arena_alloc(a, sizeof(*r));

		opentelemetry__proto__trace__v1__resource__init(r);
		r->attributes = tree_attrs(a, res->attrs, res->n_attrs, &r->n_attributes);
		rs->resource = r;
	}
	opentelemetry__proto__trace__v1__scope_spans__init(ss);
	ss->scope = &t->scope;
	ss->spans = arena_alloc(a, n_spans * sizeof(*ss->spans));
	rs->scope_spans = arena_alloc(a, sizeof(*rs->scope_spans));
	rs->scope_spans[0] = ss;
	rs->n_scope_spans = 1;
	return rs;
}

struct otlp_group {
	const struct zt_resource *res;
	size_t n_spans;
	pb_resource_spans *rs;
};

/* Index of res in groups[0..*n), appended when new: resources keep first-appearance order. */
static size_t group_index(struct otlp_group *groups, size_t *n, const struct zt_resource *res)
{
	for (size_t g = 0; g < *n; g++)
		if (groups[g].res == res)
			return g;
	groups[*n].res = res;
	groups[*n].n_spans = 0;
	return (*n)++;
}

/* t must be zeroed: its arena starts empty. */
static void tree_build(struct otlp_tree *t, struct zt_span *const *spans, size_t n)
{
	struct otlp_arena *a = &t->arena;
	struct otlp_group *groups = arena_alloc(a, (n ? n : 1) * sizeof(*groups));
	size_t n_groups = 0;

	opentelemetry__proto__trace__v1__export_trace_service_request__init(&t->req);
	opentelemetry__proto__trace__v1__instrumentation_scope__init(&t->scope);
	t->scope.name = (char *)OTLP_SCOPE_NAME;
	t->scope.version = (char *)ZT_VERSION;

	for (size_t i = 0; i < n; i++)
		groups[group_index(groups, &n_groups, spans[i]->resource)].n_spans++;
	t->req.resource_spans = arena_alloc(a, (n_groups ? n_groups : 1) *
					       sizeof(*t->req.resource_spans));
	for (size_t g = 0; g < n_groups; g++) {
		groups[g].rs = tree_resource_spans(t, groups[g].res, groups[g].n_spans);
		t->req.resource_spans[g] = groups[g].rs;
	}
	t->req.n_resource_spans = n_groups;

	for (size_t i = 0; i < n; i++) {
		size_t g = group_index(groups, &n_groups, spans[i]->resource);
		pb_scope_spans *ss = groups[g].rs->scope_spans[0];

		ss->spans[ss->n_spans++] = tree_span(a, spans[i]);
	}
}

/*
 * ---- protobuf: the tree packed back to front ----
 *
 * Writing backwards, a message's length is known when its prefix is written, so every byte is
 * written once. protobuf-c's generic packer sized each nested message again at every level
 * (a span ~4 times) and was a third of the whole span pipeline. Fields go out in field-number
 * order and proto3 defaults are skipped exactly as protobuf-c does, so the bytes are the same.
 */

enum pb_wire_type {
	PB_WT_VARINT = 0,
	PB_WT_I64 = 1,
	PB_WT_LEN = 2,
	PB_WT_I32 = 5,
};

/* The bytes written so far are buf[pos..cap). */
struct pb_out {
	uint8_t *buf;
	size_t pos;
	size_t cap;
	bool failed;		/* out of memory: the output is dropped */
};

static size_t pb_used(const struct pb_out *o)
{
	return o->cap - o->pos;
}

/* Room for n more bytes in front: a bigger buffer with the written bytes at its end. */
static bool pb_grow(struct pb_out *o, size_t n)
{
	size_t used = pb_used(o), cap = o->cap;
	uint8_t *p;

	if (o->failed)
		return false;
	while (cap - used < n)
		cap *= 2;
	p = malloc(cap);
	if (!p) {
		o->failed = true;
		return false;
	}
	memcpy(p + cap - used, o->buf + o->pos, used);
	free(o->buf);
	o->buf = p;
	o->pos = cap - used;
	o->cap = cap;
	return true;
}

static inline void pb_put(struct pb_out *o, const void *p, size_t n)
{
	if (o->pos < n && !pb_grow(o, n))
		return;
	o->pos -= n;
	memcpy(o->buf + o->pos, p, n);
}

static inline void pb_varint(struct pb_out *o, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	pb_put(o, tmp, n);
}

static inline void pb_tag(struct pb_out *o, uint32_t field, enum pb_wire_type wt)
{
	pb_varint(o, (uint64_t)field << 3 | wt);
}

/* Ends a length-delimited field whose content was written since pb_used() was start. */
static void pb_close(struct pb_out *o, uint32_t field, size_t start)
{
	pb_varint(o, pb_used(o) - start);
	pb_tag(o, field, PB_WT_LEN);
}

static void pb_bytes_field(struct pb_out *o, uint32_t field, const void *p, size_t n)
{
	size_t start = pb_used(o);

	pb_put(o, p, n);
	pb_close(o, field, start);
}

/* proto3 string and bytes fields are left out when empty, as protobuf-c does. */
static void pb_string(struct pb_out *o, uint32_t field, const char *s)
{
	if (s && *s)
		pb_bytes_field(o, field, s, strlen(s));
}

static void pb_binary(struct pb_out *o, uint32_t field, const ProtobufCBinaryData *b)
{
	if (b->len)
		pb_bytes_field(o, field, b->data, b->len);
}

/* Also enums and int64: negative values are ten-byte varints, as protobuf-c writes them. */
static void pb_uint(struct pb_out *o, uint32_t field, uint64_t v)
{
	if (!v)
		return;
	pb_varint(o, v);
	pb_tag(o, field, PB_WT_VARINT);
}

static void pb_fixed64(struct pb_out *o, uint32_t field, uint64_t v)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	pb_put(o, le, 8);
	pb_tag(o, field, PB_WT_I64);
}

static void pb_fixed32(struct pb_out *o, uint32_t field, uint32_t v)
{
	uint8_t le[4];

	for (int i = 0; i < 4; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	pb_put(o, le, 4);
	pb_tag(o, field, PB_WT_I32);
}

static void pack_anyvalue(struct pb_out *o, const pb_anyvalue *v);

static void pack_arrayvalue(struct pb_out *o, const pb_arrayvalue *arr)
{
	for (size_t i = arr->n_values; i-- > 0;) {
		size_t start = pb_used(o);

		pack_anyvalue(o, arr->values[i]);
		pb_close(o, 1, start);
	}
}

/* A oneof member is written whenever it is the set one, zero or not. */
static void pack_anyvalue(struct pb_out *o, const pb_anyvalue *v)
{
	uint64_t bits;
	size_t start;

	switch (v->value_case) {
	case OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_STRING_VALUE:
		/* protobuf-c leaves the field's default out, but not another empty string. */
		if (v->string_value && v->string_value != protobuf_c_empty_string)
			pb_bytes_field(o, 1, v->string_value, strlen(v->string_value));
		break;
	case OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_BOOL_VALUE:
		pb_varint(o, v->bool_value ? 1 : 0);
		pb_tag(o, 2, PB_WT_VARINT);
		break;
	case OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_INT_VALUE:
		pb_varint(o, (uint64_t)v->int_value);
		pb_tag(o, 3, PB_WT_VARINT);
		break;
	case OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_DOUBLE_VALUE:
		memcpy(&bits, &v->double_value, sizeof(bits));
		pb_fixed64(o, 4, bits);
		break;
	case OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_ARRAY_VALUE:
		if (!v->array_value)
			break;
		start = pb_used(o);
		pack_arrayvalue(o, v->array_value);
		pb_close(o, 5, start);
		break;
	default:
		break;
	}
}

/* Repeated KeyValue as field `field`, written last element first. */
static void pack_attrs(struct pb_out *o, uint32_t field, pb_keyvalue *const *kvs, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		size_t start = pb_used(o);

		if (kvs[i]->value) {
			size_t vstart = pb_used(o);

			pack_anyvalue(o, kvs[i]->value);
			pb_close(o, 2, vstart);
		}
		pb_string(o, 1, kvs[i]->key);
		pb_close(o, field, start);
	}
}

static void pack_span(struct pb_out *o, const pb_span *s)
{
	size_t start;

	if (s->flags)
		pb_fixed32(o, 16, s->flags);
	if (s->status) {
		start = pb_used(o);
		pb_uint(o, 3, (uint64_t)(int64_t)s->status->code);
		pb_string(o, 2, s->status->message);
		pb_close(o, 15, start);
	}
	pb_uint(o, 10, s->dropped_attributes_count);
	pack_attrs(o, 9, s->attributes, s->n_attributes);
	if (s->end_time_unix_nano)
		pb_fixed64(o, 8, s->end_time_unix_nano);
	if (s->start_time_unix_nano)
		pb_fixed64(o, 7, s->start_time_unix_nano);
	pb_uint(o, 6, (uint64_t)(int64_t)s->kind);
	pb_string(o, 5, s->name);
	pb_binary(o, 4, &s->parent_span_id);
	pb_string(o, 3, s->trace_state);
	pb_binary(o, 2, &s->span_id);
	pb_binary(o, 1, &s->trace_id);
}

static void pack_scope_spans(struct pb_out *o, const pb_scope_spans *ss)
{
	size_t start;

	pb_string(o, 3, ss->schema_url);
	for (size_t i = ss->n_spans; i-- > 0;) {
		start = pb_used(o);
		pack_span(o, ss->spans[i]);
		pb_close(o, 2, start);
	}
	if (ss->scope) {
		start = pb_used(o);
		pb_string(o, 2, ss->scope->version);
		pb_string(o, 1, ss->scope->name);
		pb_close(o, 1, start);
	}
}

static void pack_resource_spans(struct pb_out *o, const pb_resource_spans *rs)
{
	size_t start;

	pb_string(o, 3, rs->schema_url);
	for (size_t i = rs->n_scope_spans; i-- > 0;) {
		start = pb_used(o);
		pack_scope_spans(o, rs->scope_spans[i]);
		pb_close(o, 2, start);
	}
	if (rs->resource) {
		start = pb_used(o);
		pb_uint(o, 2, rs->resource->dropped_attributes_count);
		pack_attrs(o, 1, rs->resource->attributes, rs->resource->n_attributes);
		pb_close(o, 1, start);
	}
}

/* A first guess at the request size; the buffer doubles when a batch needs more. */
#define PB_SPAN_GUESS 768

int otlp_encode_protobuf(struct zt_span *const *spans, size_t n, uint8_t **out, size_t *out_len)
{
	struct otlp_tree t = { 0 };
	struct pb_out o = { 0 };
	uint8_t *shrunk;
	size_t len;

	o.cap = 256 + n * PB_SPAN_GUESS;
	o.pos = o.cap;
	o.buf = malloc(o.cap);
	if (!o.buf)
		return -1;
	tree_build(&t, spans, n);
	for (size_t i = t.req.n_resource_spans; i-- > 0;) {
		size_t start = pb_used(&o);

		pack_resource_spans(&o, t.req.resource_spans[i]);
		pb_close(&o, 1, start);
	}
	arena_free(&t.arena);
	if (o.failed) {
		free(o.buf);
		return -1;
	}
	len = pb_used(&o);
	memmove(o.buf, o.buf + o.pos, len);
	/* Shrinking in place is cheap, and the request may wait long for retries. */
	shrunk = realloc(o.buf, len ? len : 1);
	*out = shrunk ? shrunk : o.buf;
	*out_len = len;
	return 0;
}

/* ---- text buffer ---- */

void otlp_buf_reserve(struct otlp_buf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 1024;
	char *p;

	if (b->len + extra < b->cap)
		return;
	while (cap <= b->len + extra)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		abort();
	b->data = p;
	b->cap = cap;
}

static void buf_puts(struct otlp_buf *b, const char *s)
{
	otlp_buf_append(b, s, strlen(s));
}

void otlp_buf_reset(struct otlp_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void otlp_buf_free(struct otlp_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* ---- OTLP/JSON ---- */

static const char *json_escape(unsigned char c, char tmp[8])
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	default:
		if (c < 0x20) {
			snprintf(tmp, 8, "\\u%04x", c);
			return tmp;
		}
		return NULL;
	}
}

/* Bytes a JSON string takes as they are: printable ASCII (and DEL) except '"' and '\\'. */
static const bool json_plain[256] = {
	[' ' ... '"' - 1] = true,
	['"' + 1 ... '\\' - 1] = true,
	['\\' + 1 ... 0x7f] = true,
};

void otlp_json_string(struct otlp_buf *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;	/* s[run..i) is copied verbatim in one go */
	char tmp[8];

	otlp_buf_reserve(out, len + 2);
	otlp_buf_append(out, "\"", 1);
	while (i < len) {
		const char *esc = NULL;
		size_t n = 1;

		/* Span text is nearly all plain: skip such bytes without a decision each. */
		while (i < len && json_plain[u[i]])
			i++;
		if (i >= len)
			break;
		if (u[i] >= 0x80) {
			n = utf8_seq_len(u + i, len - i);
			if (!n) {
				/* The same U+FFFD the protobuf form carries. */
				esc = "\xef\xbf\xbd";
				n = 1;
			}
		} else {
			esc = json_escape(u[i], tmp);
		}
		if (esc) {
			otlp_buf_append(out, s + run, i - run);
			buf_puts(out, esc);
			run = i + n;
		}
		i += n;
	}
	otlp_buf_append(out, s + run, i - run);
	otlp_buf_append(out, "\"", 1);
}

/*
 * Writes the separator and "name": of the next member of an object. Inlined with its string
 * form below, so that the length of each literal name is known when compiling.
 */
static inline __attribute__((always_inline)) void json_member(struct otlp_buf *b, bool *first,
							      const char *name)
{
	if (!*first)
		otlp_buf_append(b, ",", 1);
	*first = false;
	otlp_buf_append(b, "\"", 1);
	buf_puts(b, name);
	otlp_buf_append(b, "\":", 2);
}

static inline __attribute__((always_inline)) void json_str_member(struct otlp_buf *b, bool *first,
								  const char *name, const char *s)
{
	json_member(b, first, name);
	otlp_json_string(b, s, strlen(s));
}

/* Decimal digits of v (every span has several numbers: snprintf was a tenth of the writer). */
static void json_decimal(struct otlp_buf *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	otlp_buf_append(b, tmp + i, sizeof(tmp) - i);
}

/* proto3 JSON writes 64-bit integers as strings: JavaScript doubles cannot hold them. */
static void json_u64_member(struct otlp_buf *b, bool *first, const char *name, uint64_t v)
{
	json_member(b, first, name);
	otlp_buf_append(b, "\"", 1);
	json_decimal(b, v);
	otlp_buf_append(b, "\"", 1);
}

static void json_u32_member(struct otlp_buf *b, bool *first, const char *name, uint32_t v)
{
	json_member(b, first, name);
	json_decimal(b, v);
}

/* OTLP/JSON deviates from proto3 JSON here: ids are hex, not base64. */
static void json_id_member(struct otlp_buf *b, bool *first, const char *name,
			   const ProtobufCBinaryData *id)
{
	char hex[2 * 16 + 1];

	if (!id->len || id->len > 16)
		return;
	zt_hex_encode(id->data, id->len, hex);
	json_member(b, first, name);
	otlp_json_string(b, hex, 2 * id->len);
}

/* Shortest of %.15g/%.17g that reads back exactly; non-finite values as proto3 JSON strings. */
static void json_double(struct otlp_buf *b, double d)
{
	char tmp[40];

	if (isnan(d)) {
		buf_puts(b, "\"NaN\"");
		return;
	}
	if (isinf(d)) {
		buf_puts(b, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
		return;
	}
	snprintf(tmp, sizeof(tmp), "%.15g", d);
	if (strtod(tmp, NULL) != d)
		snprintf(tmp, sizeof(tmp), "%.17g", d);
	buf_puts(b, tmp);
}

static void json_value(struct otlp_buf *b, const pb_anyvalue *v)
{
	bool first = true;

	otlp_buf_append(b, "{", 1);
	switch (v->value_case) {
	case OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_STRING_VALUE:
		json_str_member(b, &first, "stringValue", v->string_value);
		break;
	case OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_BOOL_VALUE:
		json_member(b, &first, "boolValue");
		buf_puts(b, v->bool_value ? "true" : "false");
		break;
	case OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_INT_VALUE:
		json_member(b, &first, "intValue");
		otlp_buf_append(b, v->int_value < 0 ? "\"-" : "\"", v->int_value < 0 ? 2 : 1);
		json_decimal(b, v->int_value < 0 ? -(uint64_t)v->int_value : (uint64_t)v->int_value);
		otlp_buf_append(b, "\"", 1);
		break;
	case OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_DOUBLE_VALUE:
		json_member(b, &first, "doubleValue");
		json_double(b, v->double_value);
		break;
	case OPENTELEMETRY__PROTO__TRACE__V1__ANY_VALUE__VALUE_ARRAY_VALUE:
		json_member(b, &first, "arrayValue");
		buf_puts(b, "{\"values\":[");
		for (size_t i = 0; i < v->array_value->n_values; i++) {
			if (i)
				otlp_buf_append(b, ",", 1);
			json_value(b, v->array_value->values[i]);
		}
		buf_puts(b, "]}");
		break;
	default:
		break;
	}
	otlp_buf_append(b, "}", 1);
}

static void json_attrs_member(struct otlp_buf *b, bool *first, pb_keyvalue *const *kvs, size_t n)
{
	if (!n)
		return;
	json_member(b, first, "attributes");
	otlp_buf_append(b, "[", 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			otlp_buf_append(b, ",", 1);
		buf_puts(b, "{\"key\":");
		otlp_json_string(b, kvs[i]->key, strlen(kvs[i]->key));
		buf_puts(b, ",\"value\":");
		json_value(b, kvs[i]->value);
		otlp_buf_append(b, "}", 1);
	}
	otlp_buf_append(b, "]", 1);
}

static void json_status(struct otlp_buf *b, const pb_status *st)
{
	bool first = true;

	otlp_buf_append(b, "{", 1);
	if (st->message[0])
		json_str_member(b, &first, "message", st->message);
	if (st->code)
		json_u32_member(b, &first, "code", (uint32_t)st->code);
	otlp_buf_append(b, "}", 1);
}

static void json_span(struct otlp_buf *b, const pb_span *s)
{
	bool first = true;

	otlp_buf_append(b, "{", 1);
	json_id_member(b, &first, "traceId", &s->trace_id);
	json_id_member(b, &first, "spanId", &s->span_id);
	if (s->trace_state[0])
		json_str_member(b, &first, "traceState", s->trace_state);
	json_id_member(b, &first, "parentSpanId", &s->parent_span_id);
	if (s->flags)
		json_u32_member(b, &first, "flags", s->flags);
	json_str_member(b, &first, "name", s->name);
	if (s->kind)
		json_u32_member(b, &first, "kind", (uint32_t)s->kind);
	json_u64_member(b, &first, "startTimeUnixNano", s->start_time_unix_nano);
	json_u64_member(b, &first, "endTimeUnixNano", s->end_time_unix_nano);
	json_attrs_member(b, &first, s->attributes, s->n_attributes);
	if (s->dropped_attributes_count)
		json_u32_member(b, &first, "droppedAttributesCount", s->dropped_attributes_count);
	/* Always present, as the collector writes it: {} means UNSET. */
	json_member(b, &first, "status");
	json_status(b, s->status);
	otlp_buf_append(b, "}", 1);
}

static void json_scope_spans(struct otlp_buf *b, const pb_scope_spans *ss)
{
	bool first = true, scope_first = true;

	otlp_buf_append(b, "{", 1);
	json_member(b, &first, "scope");
	otlp_buf_append(b, "{", 1);
	json_str_member(b, &scope_first, "name", ss->scope->name);
	json_str_member(b, &scope_first, "version", ss->scope->version);
	otlp_buf_append(b, "}", 1);
	json_member(b, &first, "spans");
	otlp_buf_append(b, "[", 1);
	for (size_t i = 0; i < ss->n_spans; i++) {
		if (i)
			otlp_buf_append(b, ",", 1);
		json_span(b, ss->spans[i]);
	}
	buf_puts(b, "]}");
}

static void json_resource_spans(struct otlp_buf *b, const pb_resource_spans *rs)
{
	bool first = true;

	otlp_buf_append(b, "{", 1);
	if (rs->resource) {
		bool res_first = true;

		json_member(b, &first, "resource");
		otlp_buf_append(b, "{", 1);
		json_attrs_member(b, &res_first, rs->resource->attributes,
				  rs->resource->n_attributes);
		otlp_buf_append(b, "}", 1);
	}
	json_member(b, &first, "scopeSpans");
	otlp_buf_append(b, "[", 1);
	for (size_t i = 0; i < rs->n_scope_spans; i++) {
		if (i)
			otlp_buf_append(b, ",", 1);
		json_scope_spans(b, rs->scope_spans[i]);
	}
	buf_puts(b, "]}");
}

void otlp_encode_json(struct zt_span *const *spans, size_t n, struct otlp_buf *out)
{
	struct otlp_tree t = { 0 };

	tree_build(&t, spans, n);
	buf_puts(out, "{\"resourceSpans\":[");
	for (size_t i = 0; i < t.req.n_resource_spans; i++) {
		if (i)
			otlp_buf_append(out, ",", 1);
		json_resource_spans(out, t.req.resource_spans[i]);
	}
	buf_puts(out, "]}");
	arena_free(&t.arena);
}

/* ---- gzip and responses ---- */

int otlp_gzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	z_stream zs = { 0 };
	uLong bound;
	uint8_t *buf;
	int rc;

	if (len > UINT_MAX)
		return -1;
	/* windowBits 16 + MAX_WBITS: gzip framing, what Content-Encoding: gzip means. */
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&zs, (uLong)len);
	buf = malloc(bound);
	if (!buf) {
		deflateEnd(&zs);
		return -1;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = buf;
	zs.avail_out = (uInt)bound;
	rc = deflate(&zs, Z_FINISH);
	*out_len = zs.total_out;
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

int otlp_decode_response(const uint8_t *body, size_t len, int64_t *rejected, char *msg,
			 size_t msglen)
{
	pb_response *r;

	*rejected = 0;
	if (msg && msglen)
		msg[0] = '\0';
	if (!len)
		return 0;
	r = opentelemetry__proto__trace__v1__export_trace_service_response__unpack(NULL, len, body);
	if (!r)
		return -1;
	if (r->partial_success) {
		*rejected = r->partial_success->rejected_spans;
		if (msg && msglen && r->partial_success->error_message)
			snprintf(msg, msglen, "%s", r->partial_success->error_message);
	}
	opentelemetry__proto__trace__v1__export_trace_service_response__free_unpacked(r, NULL);
	return 0;
}

/* ---- OTEL_EXPORTER_OTLP_* ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 9110 token characters, the only ones a header name may hold. */
static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Percent-decodes s[0..len) into out (len + 1 bytes); a stray '%' stays as is. */
static size_t percent_decode(const char *s, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < len && (hi = zt_hex_digit(s[i + 1])) >= 0 &&
		    (lo = zt_hex_digit(s[i + 2])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return o;
}

static void trim(const char **s, size_t *len)
{
	while (*len && is_space(**s))
		(*s)++, (*len)--;
	while (*len && is_space((*s)[*len - 1]))
		(*len)--;
}

static bool all_tchars(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_tchar(s[i]))
			return false;
	return len > 0;
}

/* One "key=value" entry to a malloc'd "key: value" line, or NULL when it must be skipped. */
static char *header_line(const char *entry, size_t len)
{
	const char *eq = memchr(entry, '=', len), *key = entry, *val;
	size_t klen, vlen, dlen;
	char *dec, *line;

	trim(&entry, &len);
	if (!len)
		return NULL;	/* "a=1,,b=2" or a trailing comma */
	if (!eq) {
		zt_warn("otlp: ignoring header entry without '=' in OTLP headers");
		return NULL;
	}
	klen = (size_t)(eq - key);
	val = eq + 1;
	vlen = len - (size_t)(val - entry);
	trim(&key, &klen);
	trim(&val, &vlen);
	if (!all_tchars(key, klen)) {
		zt_warn("otlp: ignoring OTLP header with invalid name '%.*s'", (int)klen, key);
		return NULL;
	}
	dec = malloc(vlen + 1);
	line = malloc(klen + vlen + 3);
	if (!dec || !line)
		abort();
	dlen = percent_decode(val, vlen, dec);
	if (memchr(dec, '\r', dlen) || memchr(dec, '\n', dlen) || strlen(dec) != dlen) {
		/* Never log the value: headers usually carry credentials. */
		zt_warn("otlp: ignoring OTLP header '%.*s': value holds CR, LF or NUL",
			(int)klen, key);
		free(dec);
		free(line);
		return NULL;
	}
	/* "Name;" is how curl sends a header with an empty value. */
	if (dlen)
		sprintf(line, "%.*s: %s", (int)klen, key, dec);
	else
		sprintf(line, "%.*s;", (int)klen, key);
	free(dec);
	return line;
}

char **otlp_headers_parse(const char *spec, size_t *count)
{
	size_t max = 1, n = 0;
	const char *p, *end;
	char **lines;

	*count = 0;
	if (!spec || !*spec)
		return NULL;
	for (p = spec; *p; p++)
		max += *p == ',';
	lines = calloc(max, sizeof(*lines));
	if (!lines)
		abort();
	for (p = spec;; p = end + 1) {
		char *line;

		end = strchrnul(p, ',');
		line = header_line(p, (size_t)(end - p));
		if (line)
			lines[n++] = line;
		if (!*end)
			break;
	}
	if (!n) {
		free(lines);
		return NULL;
	}
	*count = n;
	return lines;
}

void otlp_headers_free(char **lines, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(lines[i]);
	free(lines);
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int endpoint_put(char *out, size_t outlen, const char *url, size_t url_len,
			const char *suffix)
{
	int w = snprintf(out, outlen, "%.*s%s", (int)url_len, url, suffix);

	if (w < 0 || (size_t)w >= outlen) {
		if (outlen)
			out[0] = '\0';
		zt_err("otlp: endpoint URL longer than %zu bytes", outlen ? outlen - 1 : 0);
		return -1;
	}
	return 0;
}

/* Base URL + "/v1/traces", dropping the base's trailing slashes so none is doubled. */
static int endpoint_from_base(char *out, size_t outlen, const char *base)
{
	size_t len = strlen(base);

	while (len && base[len - 1] == '/')
		len--;
	return endpoint_put(out, outlen, base, len, "/v1/traces");
}

int zt_otlp_endpoint_from_env(char *out, size_t outlen, const char *cli_endpoint)
{
	const char *v;

	if (outlen)
		out[0] = '\0';
	if (cli_endpoint && *cli_endpoint) {
		if (ends_with(cli_endpoint, "/v1/traces"))
			return endpoint_put(out, outlen, cli_endpoint, strlen(cli_endpoint), "");
		return endpoint_from_base(out, outlen, cli_endpoint);
	}
	v = env_nonempty("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
	if (v)
		return endpoint_put(out, outlen, v, strlen(v), "");
	v = env_nonempty("OTEL_EXPORTER_OTLP_ENDPOINT");
	if (v)
		return endpoint_from_base(out, outlen, v);
	return -1;
}

int zt_otlp_gzip_from_env(void)
{
	const char *v = env_nonempty("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION");

	if (!v)
		v = env_nonempty("OTEL_EXPORTER_OTLP_COMPRESSION");
	return v && strcmp(v, "gzip") == 0;
}

const char *zt_otlp_headers_from_env(void)
{
	const char *v = env_nonempty("OTEL_EXPORTER_OTLP_TRACES_HEADERS");

	return v ? v : env_nonempty("OTEL_EXPORTER_OTLP_HEADERS");
}
