/*
 * OTLP encoding: spans are written straight to an ExportTraceServiceRequest, as protobuf bytes
 * or as OTLP/JSON. Both writers follow the same request layout (see otlp_encode.h), so the two
 * exporters describe exactly the same request. Also gzip, response parsing and the OTLP env
 * variables.
 */
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "otlp.pb-c.h"
#include "otlp_encode.h"
#include "zt_log.h"

/* protobuf-c only parses the collector's response. */
typedef Opentelemetry__Proto__Trace__V1__ExportTraceServiceResponse pb_response;

/*
 * W3C "sampled" trace flag: every span zerotrace exports was recorded. zt_span carries no
 * flags and the agent cannot tell whether a parent was remote, so bits 8-9 stay clear
 * ("unknown"), as the OTLP spec allows.
 */
#define OTLP_SPAN_FLAGS_SAMPLED 0x01u

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

/* Writes s[0..len) to out (3 * len bytes) with every ill-formed byte as U+FFFD; returns length. */
static size_t utf8_sanitize(char *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	char *o = out;
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
	return (size_t)(o - out);
}

/*
 * Text of a string attribute: the setters record its length, but like every other string the
 * exported text ends at an embedded NUL. A NULL s is the empty string.
 */
static const char *attr_text(const struct zt_attr *attr, size_t *len)
{
	if (!attr->s) {
		*len = 0;
		return "";
	}
	*len = strnlen(attr->s, attr->n);
	return attr->s;
}

/* ---- spans grouped by resource ---- */

/* One ResourceSpans: the spans sharing one resource pointer. */
struct otlp_group {
	const struct zt_resource *res;
	size_t first;		/* its spans are order[first..first + n_spans) */
	size_t n_spans;
};

/* Groups in first-appearance order; within a group, spans keep their batch order. */
struct otlp_batch {
	struct otlp_group *groups;
	size_t n_groups;
	struct zt_span **order;
};

/* Index of res in b->groups, appended when new; last is the previous span's group. */
static size_t group_index(struct otlp_batch *b, size_t last, const struct zt_resource *res)
{
	/* A batch is mostly runs of spans from one process. */
	if (last < b->n_groups && b->groups[last].res == res)
		return last;
	for (size_t g = 0; g < b->n_groups; g++)
		if (b->groups[g].res == res)
			return g;
	b->groups[b->n_groups] = (struct otlp_group){ .res = res };
	return b->n_groups++;
}

/* Returns 0, or -1 when out of memory. Free with batch_free(). */
static int batch_group(struct otlp_batch *b, struct zt_span *const *spans, size_t n)
{
	size_t m = n ? n : 1, g = 0, *gid;

	b->n_groups = 0;
	b->groups = malloc(m * (sizeof(*b->groups) + sizeof(*b->order) + sizeof(*gid)));
	if (!b->groups)
		return -1;
	b->order = (struct zt_span **)(b->groups + m);
	gid = (size_t *)(b->order + m);
	for (size_t i = 0; i < n; i++) {
		g = group_index(b, g, spans[i]->resource);
		gid[i] = g;
		b->groups[g].n_spans++;
	}
	for (g = 1; g < b->n_groups; g++)
		b->groups[g].first = b->groups[g - 1].first + b->groups[g - 1].n_spans;
	/* Counting sort: n_spans counts the spans placed so far, again up to its total. */
	for (g = 0; g < b->n_groups; g++)
		b->groups[g].n_spans = 0;
	for (size_t i = 0; i < n; i++) {
		struct otlp_group *grp = &b->groups[gid[i]];

		b->order[grp->first + grp->n_spans++] = spans[i];
	}
	return 0;
}

static void batch_free(struct otlp_batch *b)
{
	free(b->groups);
	b->groups = NULL;
}

/*
 * ---- protobuf: spans written back to front ----
 *
 * Writing backwards, a message's length is known when its prefix is written, so every byte is
 * written once. protobuf-c's generic packer sized each nested message again at every level
 * (a span ~4 times) and was a third of the whole span pipeline; building a protobuf-c message
 * tree first, only to walk it, was then another 40% of the encoder. Fields go out in
 * field-number order and proto3 defaults are skipped exactly as protobuf-c does.
 */

/* A first guess at a span's size; buffers double when they need more. */
#define PB_SPAN_GUESS 768

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
	char *tmp;		/* sanitized copy of an invalid UTF-8 string, grown as needed */
	size_t tmp_cap;
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

	/* Tags and most lengths take one byte. */
	if (v < 0x80 && o->pos) {
		o->buf[--o->pos] = (uint8_t)v;
		return;
	}
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
static inline void pb_close(struct pb_out *o, uint32_t field, size_t start)
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

/* Rare: strings are nearly always valid, so the copy lives in a scratch buffer, not the output. */
static void pb_put_sanitized(struct pb_out *o, const char *s, size_t len)
{
	if (3 * len > o->tmp_cap) {
		char *p = realloc(o->tmp, 3 * len);

		if (!p) {
			o->failed = true;
			return;
		}
		o->tmp = p;
		o->tmp_cap = 3 * len;
	}
	pb_put(o, o->tmp, utf8_sanitize(o->tmp, s, len));
}

/* s[0..len) as a string field, even when empty; proto3 strings must be valid UTF-8. */
static void pb_text(struct pb_out *o, uint32_t field, const char *s, size_t len)
{
	size_t start = pb_used(o);

	if (utf8_valid(s, len))
		pb_put(o, s, len);
	else
		pb_put_sanitized(o, s, len);
	pb_close(o, field, start);
}

/* proto3 string fields are left out when empty, as protobuf-c does. */
static void pb_string(struct pb_out *o, uint32_t field, const char *s, size_t len)
{
	if (len)
		pb_text(o, field, s, len);
}

static void pb_cstring(struct pb_out *o, uint32_t field, const char *s)
{
	if (s)
		pb_string(o, field, s, strlen(s));
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

/*
 * ArrayValue of a ZT_ATTR_STR_ARRAY, last element first: the elements are found by walking
 * to the end of the n NUL-terminated strings, then back from NUL to NUL.
 */
static void pack_str_array(struct pb_out *o, const struct zt_attr *attr)
{
	const char *p = attr->s, *end = attr->s;

	if (!p)
		return;
	for (uint32_t i = 0; i < attr->n; i++)
		end += strlen(end) + 1;
	while (end > p) {
		const char *nul = end - 1, *prev = memrchr(p, '\0', (size_t)(nul - p));
		const char *s = prev ? prev + 1 : p;
		size_t start = pb_used(o);

		pb_text(o, 1, s, (size_t)(nul - s));	/* AnyValue.string_value */
		pb_close(o, 1, start);			/* ArrayValue.values */
		end = s;
	}
}

/*
 * AnyValue of an attribute. The oneof member is written whenever it is the set one, zero or
 * not; an empty string too (the protobuf-c tree this replaces wrote it).
 */
static void pack_value(struct pb_out *o, const struct zt_attr *attr)
{
	const char *s;
	uint64_t bits;
	size_t start, len;

	switch (attr->type) {
	case ZT_ATTR_STR:
		s = attr_text(attr, &len);
		pb_text(o, 1, s, len);
		break;
	case ZT_ATTR_BOOL:
		pb_varint(o, attr->b ? 1 : 0);
		pb_tag(o, 2, PB_WT_VARINT);
		break;
	case ZT_ATTR_INT:
		pb_varint(o, (uint64_t)attr->i);
		pb_tag(o, 3, PB_WT_VARINT);
		break;
	case ZT_ATTR_DOUBLE:
		memcpy(&bits, &attr->d, sizeof(bits));
		pb_fixed64(o, 4, bits);
		break;
	case ZT_ATTR_STR_ARRAY:
		start = pb_used(o);
		pack_str_array(o, attr);
		pb_close(o, 5, start);
		break;
	default:
		break;	/* unknown type: an empty AnyValue is still valid OTLP */
	}
}

/* Repeated KeyValue as field `field`, last attribute first; a NULL key is no attribute. */
static void pack_attrs(struct pb_out *o, uint32_t field, const struct zt_attr *attrs, int n)
{
	for (int i = n; i-- > 0;) {
		size_t start = pb_used(o), vstart;

		if (!attrs[i].key)
			continue;
		vstart = pb_used(o);
		pack_value(o, &attrs[i]);
		pb_close(o, 2, vstart);
		pb_string(o, 1, attrs[i].key, zt_attr_key_len(&attrs[i]));
		pb_close(o, field, start);
	}
}

/* Always present, as the collector writes it: an empty Status means UNSET. */
static void pack_status(struct pb_out *o, const struct zt_span *s)
{
	size_t start = pb_used(o);

	pb_uint(o, 3, s->status_code);
	pb_cstring(o, 2, s->status_message);
	pb_close(o, 15, start);
}

static void pack_span(struct pb_out *o, const struct zt_span *s)
{
	pb_fixed32(o, 16, OTLP_SPAN_FLAGS_SAMPLED);
	pack_status(o, s);
	pb_uint(o, 10, s->dropped_attrs);
	pack_attrs(o, 9, s->attrs, s->n_attrs);
	if (s->end_ns)
		pb_fixed64(o, 8, s->end_ns);
	if (s->start_ns)
		pb_fixed64(o, 7, s->start_ns);
	pb_uint(o, 6, s->kind);
	pb_string(o, 5, s->name, strnlen(s->name, sizeof(s->name)));
	/* A root span has an empty parent_span_id, not eight zero bytes. */
	if (!zt_id_is_zero(s->parent_span_id, sizeof(s->parent_span_id)))
		pb_bytes_field(o, 4, s->parent_span_id, sizeof(s->parent_span_id));
	pb_cstring(o, 3, s->trace_state);
	pb_bytes_field(o, 2, s->span_id, sizeof(s->span_id));
	pb_bytes_field(o, 1, s->trace_id, sizeof(s->trace_id));
}

/* ScopeSpans.scope: "zerotrace"/ZT_VERSION. */
static void pack_scope(struct pb_out *o)
{
	size_t start = pb_used(o);

	pb_cstring(o, 2, ZT_VERSION);
	pb_cstring(o, 1, OTLP_SCOPE_NAME);
	pb_close(o, 1, start);
}

/* ResourceSpans.resource; none for spans without a resource. */
static void pack_resource(struct pb_out *o, const struct zt_resource *res)
{
	size_t start = pb_used(o);

	if (!res)
		return;
	pack_attrs(o, 1, res->attrs, res->n_attrs);
	pb_close(o, 1, start);
}

/* ---- protobuf in pieces: spans encoded as they come, requests put together later ---- */

/* The writer of one thread's span fields: its buffer is reused, span after span. */
static __thread struct pb_out span_out;

int otlp_protobuf_span_field(struct otlp_buf *out, const struct zt_span *s)
{
	struct pb_out *o = &span_out;
	size_t start;

	if (!o->buf) {
		o->cap = 2 * PB_SPAN_GUESS;
		o->buf = malloc(o->cap);
		if (!o->buf)
			return -1;
	}
	o->pos = o->cap;
	o->failed = false;
	start = pb_used(o);
	pack_span(o, s);
	pb_close(o, 2, start);	/* ScopeSpans.spans */
	if (o->failed)
		return -1;
	otlp_buf_append(out, o->buf + o->pos, pb_used(o));
	return 0;
}

int otlp_protobuf_request(const struct otlp_pb_group *groups, size_t n, uint8_t **out,
			  size_t *out_len)
{
	struct pb_out o = { 0 };
	size_t len = 256;

	for (size_t g = 0; g < n; g++)
		len += groups[g].len + 64;
	o.cap = len;
	o.pos = o.cap;
	o.buf = malloc(o.cap);
	if (!o.buf)
		return -1;
	for (size_t g = n; g-- > 0;) {
		size_t start = pb_used(&o);

		/* Back to front: the spans and the scope make the ResourceSpans' one ScopeSpans
		 * (field 2), its Resource (field 1) goes before, and the whole is request field 1. */
		pb_put(&o, groups[g].spans, groups[g].len);
		pack_scope(&o);
		pb_close(&o, 2, start);
		pack_resource(&o, groups[g].res);
		pb_close(&o, 1, start);
	}
	free(o.tmp);
	if (o.failed) {
		free(o.buf);
		return -1;
	}
	*out_len = pb_used(&o);
	memmove(o.buf, o.buf + o.pos, *out_len);
	*out = o.buf;
	return 0;
}

/* A whole batch: its spans encoded group by group, then put together as the exporter does. */
int otlp_encode_protobuf(struct zt_span *const *spans, size_t n, uint8_t **out, size_t *out_len)
{
	struct otlp_pb_group *groups = NULL;
	struct otlp_buf *fields = NULL;
	struct otlp_batch b;
	int err = -1;

	if (batch_group(&b, spans, n))
		return -1;
	groups = calloc(b.n_groups ? b.n_groups : 1, sizeof(*groups));
	fields = calloc(b.n_groups ? b.n_groups : 1, sizeof(*fields));
	if (groups && fields) {
		err = 0;
		for (size_t g = 0; g < b.n_groups && !err; g++) {
			const struct otlp_group *grp = &b.groups[g];

			for (size_t i = 0; i < grp->n_spans && !err; i++)
				err = otlp_protobuf_span_field(&fields[g], b.order[grp->first + i]);
			groups[g] = (struct otlp_pb_group){ grp->res, fields[g].data, fields[g].len };
		}
		if (!err)
			err = otlp_protobuf_request(groups, b.n_groups, out, out_len);
	}
	for (size_t g = 0; fields && g < b.n_groups; g++)
		otlp_buf_free(&fields[g]);
	free(fields);
	free(groups);
	batch_free(&b);
	return err;
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
static void json_id_member(struct otlp_buf *b, bool *first, const char *name, const uint8_t *id,
			   size_t len)
{
	char hex[2 * 16 + 1];

	zt_hex_encode(id, len, hex);
	json_member(b, first, name);
	otlp_json_string(b, hex, 2 * len);
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

/* {"values":[...]} of a ZT_ATTR_STR_ARRAY: s holds n consecutive NUL-terminated strings. */
static void json_str_array(struct otlp_buf *b, const struct zt_attr *attr)
{
	const char *p = attr->s;
	uint32_t n = attr->s ? attr->n : 0;

	buf_puts(b, "{\"values\":[");
	for (uint32_t i = 0; i < n; i++) {
		size_t len = strlen(p);

		buf_puts(b, i ? ",{\"stringValue\":" : "{\"stringValue\":");
		otlp_json_string(b, p, len);
		otlp_buf_append(b, "}", 1);
		p += len + 1;
	}
	buf_puts(b, "]}");
}

/* AnyValue of an attribute; an unknown type is an empty AnyValue, still valid OTLP. */
static void json_value(struct otlp_buf *b, const struct zt_attr *attr)
{
	bool first = true;
	const char *s;
	size_t len;

	otlp_buf_append(b, "{", 1);
	switch (attr->type) {
	case ZT_ATTR_STR:
		s = attr_text(attr, &len);
		json_member(b, &first, "stringValue");
		otlp_json_string(b, s, len);
		break;
	case ZT_ATTR_BOOL:
		json_member(b, &first, "boolValue");
		buf_puts(b, attr->b ? "true" : "false");
		break;
	case ZT_ATTR_INT:
		json_member(b, &first, "intValue");
		otlp_buf_append(b, attr->i < 0 ? "\"-" : "\"", attr->i < 0 ? 2 : 1);
		json_decimal(b, attr->i < 0 ? -(uint64_t)attr->i : (uint64_t)attr->i);
		otlp_buf_append(b, "\"", 1);
		break;
	case ZT_ATTR_DOUBLE:
		json_member(b, &first, "doubleValue");
		json_double(b, attr->d);
		break;
	case ZT_ATTR_STR_ARRAY:
		json_member(b, &first, "arrayValue");
		json_str_array(b, attr);
		break;
	default:
		break;
	}
	otlp_buf_append(b, "}", 1);
}

/* Left out when no attribute has a key (a NULL key is no attribute), like any empty list. */
static void json_attrs_member(struct otlp_buf *b, bool *first, const struct zt_attr *attrs, int n)
{
	bool any = false;

	for (int i = 0; i < n; i++) {
		if (!attrs[i].key)
			continue;
		if (!any)
			json_member(b, first, "attributes");
		otlp_buf_append(b, any ? ",{\"key\":" : "[{\"key\":", 8);
		any = true;
		otlp_json_string(b, attrs[i].key, zt_attr_key_len(&attrs[i]));
		buf_puts(b, ",\"value\":");
		json_value(b, &attrs[i]);
		otlp_buf_append(b, "}", 1);
	}
	if (any)
		otlp_buf_append(b, "]", 1);
}

static void json_status(struct otlp_buf *b, const struct zt_span *s)
{
	bool first = true;

	otlp_buf_append(b, "{", 1);
	if (s->status_message && s->status_message[0])
		json_str_member(b, &first, "message", s->status_message);
	if (s->status_code)
		json_u32_member(b, &first, "code", s->status_code);
	otlp_buf_append(b, "}", 1);
}

void otlp_json_span(struct otlp_buf *b, const struct zt_span *s)
{
	bool first = true;

	otlp_buf_append(b, "{", 1);
	json_id_member(b, &first, "traceId", s->trace_id, sizeof(s->trace_id));
	json_id_member(b, &first, "spanId", s->span_id, sizeof(s->span_id));
	if (s->trace_state && s->trace_state[0])
		json_str_member(b, &first, "traceState", s->trace_state);
	/* A root span has no parentSpanId. */
	if (!zt_id_is_zero(s->parent_span_id, sizeof(s->parent_span_id)))
		json_id_member(b, &first, "parentSpanId", s->parent_span_id,
			       sizeof(s->parent_span_id));
	json_u32_member(b, &first, "flags", OTLP_SPAN_FLAGS_SAMPLED);
	json_member(b, &first, "name");
	otlp_json_string(b, s->name, strnlen(s->name, sizeof(s->name)));
	if (s->kind)
		json_u32_member(b, &first, "kind", s->kind);
	json_u64_member(b, &first, "startTimeUnixNano", s->start_ns);
	json_u64_member(b, &first, "endTimeUnixNano", s->end_ns);
	json_attrs_member(b, &first, s->attrs, s->n_attrs);
	if (s->dropped_attrs)
		json_u32_member(b, &first, "droppedAttributesCount", s->dropped_attrs);
	/* Always present, as the collector writes it: {} means UNSET. */
	json_member(b, &first, "status");
	json_status(b, s);
	otlp_buf_append(b, "}", 1);
}

void otlp_json_request_begin(struct otlp_buf *b)
{
	buf_puts(b, "{\"resourceSpans\":[");
}

void otlp_json_request_end(struct otlp_buf *b)
{
	buf_puts(b, "]}");
}

/* A ResourceSpans with its one ScopeSpans, up to where its spans go. */
void otlp_json_resource_spans_begin(struct otlp_buf *b, const struct zt_resource *res)
{
	bool first = true, scope_first = true;

	otlp_buf_append(b, "{", 1);
	if (res) {
		bool res_first = true;

		json_member(b, &first, "resource");
		otlp_buf_append(b, "{", 1);
		json_attrs_member(b, &res_first, res->attrs, res->n_attrs);
		otlp_buf_append(b, "}", 1);
	}
	json_member(b, &first, "scopeSpans");
	buf_puts(b, "[{");
	json_member(b, &scope_first, "scope");
	otlp_buf_append(b, "{", 1);
	scope_first = true;
	json_str_member(b, &scope_first, "name", OTLP_SCOPE_NAME);
	json_str_member(b, &scope_first, "version", ZT_VERSION);
	otlp_buf_append(b, "}", 1);
	buf_puts(b, ",\"spans\":[");
}

void otlp_json_resource_spans_end(struct otlp_buf *b)
{
	buf_puts(b, "]}]}");
}

void otlp_encode_json(struct zt_span *const *spans, size_t n, struct otlp_buf *out)
{
	struct otlp_batch b;

	/* Out of memory aborts, as the text buffer does: this function cannot fail. */
	if (batch_group(&b, spans, n))
		abort();
	otlp_json_request_begin(out);
	for (size_t g = 0; g < b.n_groups; g++) {
		const struct otlp_group *grp = &b.groups[g];

		if (g)
			otlp_buf_append(out, ",", 1);
		otlp_json_resource_spans_begin(out, grp->res);
		for (size_t i = 0; i < grp->n_spans; i++) {
			if (i)
				otlp_buf_append(out, ",", 1);
			otlp_json_span(out, b.order[grp->first + i]);
		}
		otlp_json_resource_spans_end(out);
	}
	otlp_json_request_end(out);
	batch_free(&b);
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
