/* Spans as the span builder makes them and the exporters consume them. Knows no wire format. */
#ifndef ZT_SPAN_H
#define ZT_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* OTLP SpanKind values. */
enum zt_span_kind {
	ZT_SPAN_KIND_INTERNAL = 1,
	ZT_SPAN_KIND_SERVER = 2,
	ZT_SPAN_KIND_CLIENT = 3,
};

/* OTLP Status.code values. */
enum zt_status_code {
	ZT_STATUS_UNSET = 0,
	ZT_STATUS_OK = 1,
	ZT_STATUS_ERROR = 2,
};

enum zt_attr_type {
	ZT_ATTR_STR = 0,
	ZT_ATTR_INT = 1,
	ZT_ATTR_BOOL = 2,
	ZT_ATTR_DOUBLE = 3,
	ZT_ATTR_STR_ARRAY = 4,	/* s holds `n` NUL-separated strings */
};

/* One key/value; key is a static string (semantic-convention name), s is owned. */
struct zt_attr {
	const char *key;
	uint8_t type;		/* zt_attr_type */
	bool owned;		/* s was malloc'd (else it lives in its span's text pool) */
	uint16_t key_len;	/* strlen(key); 0: not recorded (set by hand, or over 65535) */
	uint32_t n;		/* ZT_ATTR_STR_ARRAY: element count; ZT_ATTR_STR: length */
	union {
		int64_t i;
		double d;
		bool b;
	};
	char *s;
};

#define ZT_MAX_ATTRS 32

/* Process-level attributes shared by all spans of one process; reference counted. */
struct zt_resource {
	int refs;		/* atomic */
	uint32_t pid;
	char *service_name;	/* also present in attrs as service.name */
	struct zt_attr attrs[ZT_MAX_ATTRS];
	int n_attrs;
};

/* Bytes of attribute text a span holds inline: a typical span's strings fit, so building and
 * freeing one costs two mallocs instead of a dozen (one per string, freed on another thread). */
#define ZT_SPAN_TEXT 640

struct zt_span {
	int refs;		/* atomic; exporters hold a reference while they use the span */
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_span_id[8];	/* all zero: root span */
	char *trace_state;	/* W3C tracestate of the parent, or NULL */
	char name[128];
	uint8_t kind;		/* zt_span_kind */
	uint8_t status_code;	/* zt_status_code */
	char *status_message;	/* or NULL */
	uint64_t start_ns;	/* Unix epoch ns */
	uint64_t end_ns;
	int n_attrs;
	uint32_t dropped_attrs;
	struct zt_resource *resource;	/* referenced */
	uint32_t text_used;	/* of text[] */
	/* Not zeroed by zt_span_new: attrs up to n_attrs and text up to text_used are valid. */
	struct zt_attr attrs[ZT_MAX_ATTRS];
	char text[ZT_SPAN_TEXT];
};

struct zt_resource *zt_resource_new(uint32_t pid);
struct zt_resource *zt_resource_ref(struct zt_resource *res);
void zt_resource_unref(struct zt_resource *res);

struct zt_span *zt_span_new(void);
struct zt_span *zt_span_ref(struct zt_span *span);
void zt_span_unref(struct zt_span *span);

/* Attribute setters shared by spans and resources; they copy strings and count overflow. */
void zt_attrs_set_str(struct zt_attr *attrs, int *n, const char *key, const char *val, size_t len);
void zt_attrs_set_int(struct zt_attr *attrs, int *n, const char *key, int64_t val);
void zt_attrs_set_bool(struct zt_attr *attrs, int *n, const char *key, bool val);
void zt_attrs_set_str_array(struct zt_attr *attrs, int *n, const char *key, const char *nul_sep,
			    size_t len, uint32_t count);
const struct zt_attr *zt_attrs_find(const struct zt_attr *attrs, int n, const char *key);
/* strlen(attr->key), recorded by the setters. */
size_t zt_attr_key_len(const struct zt_attr *attr);
void zt_attrs_free(struct zt_attr *attrs, int n);

void zt_span_set_str(struct zt_span *span, const char *key, const char *val);
void zt_span_set_strn(struct zt_span *span, const char *key, const char *val, size_t len);
void zt_span_set_int(struct zt_span *span, const char *key, int64_t val);
void zt_span_set_bool(struct zt_span *span, const char *key, bool val);
void zt_resource_set_str(struct zt_resource *res, const char *key, const char *val);
void zt_resource_set_int(struct zt_resource *res, const char *key, int64_t val);

/* Random, non-zero IDs (W3C forbids all-zero). */
void zt_id_random(uint8_t *id, size_t len);
bool zt_id_is_zero(const uint8_t *id, size_t len);
/* Lower-case hex; out must hold 2*len+1 bytes. */
void zt_hex_encode(const uint8_t *in, size_t len, char *out);
/* Value of one hex digit (either case), or -1. */
int zt_hex_digit(char c);
/* Returns 0 on success; exactly 2*len hex digits required. */
int zt_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t len);

/* A 16-byte address (IPv4-mapped or IPv6) as text; out holds at least 46 bytes. */
void zt_addr_format(const uint8_t *addr, char *out, size_t outlen);

/* W3C traceparent "00-<32 hex>-<16 hex>-<2 hex>". */
struct zt_traceparent {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t flags;
};
/* Returns 0 when valid per W3C Trace Context (version 00, or future versions' prefix). */
int zt_traceparent_parse(const char *s, size_t len, struct zt_traceparent *out);
/* Writes 55 chars + NUL into out (56 bytes). */
void zt_traceparent_format(const struct zt_traceparent *tp, char *out);

#endif
