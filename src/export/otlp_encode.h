/*
 * OTLP encoding shared by the OTLP/JSON file exporter and the OTLP/HTTP exporter: spans to an
 * ExportTraceServiceRequest (protobuf bytes or OTLP/JSON), gzip, response parsing, and the
 * OTEL_EXPORTER_OTLP_* environment variables. No I/O and no threads here.
 */
#ifndef ZT_OTLP_ENCODE_H
#define ZT_OTLP_ENCODE_H

#include <stddef.h>
#include <string.h>
#include <stdint.h>

#include "zt_span.h"

#ifndef ZT_VERSION
#define ZT_VERSION "0.0.0"
#endif

/* Instrumentation scope of every span zerotrace exports. */
#define OTLP_SCOPE_NAME "zerotrace"

/* Growing text buffer; data is always NUL-terminated once anything was written. */
struct otlp_buf {
	char *data;
	size_t len;
	size_t cap;
};

/* Makes room for extra more bytes and the NUL; aborts when out of memory, like the rest of
 * the agent's allocations. */
void otlp_buf_reserve(struct otlp_buf *b, size_t extra);

/* Appends n bytes. Inline: the JSON writer appends a few bytes at a time, per span. */
static inline void otlp_buf_append(struct otlp_buf *b, const void *data, size_t n)
{
	if (b->len + n >= b->cap)
		otlp_buf_reserve(b, n);
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}
void otlp_buf_reset(struct otlp_buf *b);
void otlp_buf_free(struct otlp_buf *b);

/*
 * Encodes spans[0..n) as one ExportTraceServiceRequest: one ResourceSpans per distinct
 * span->resource pointer (in order of first appearance), each with one ScopeSpans
 * "zerotrace"/ZT_VERSION. Invalid UTF-8 in strings becomes U+FFFD because proto3 string
 * fields must be valid UTF-8 and strict decoders reject the whole request otherwise.
 * On success *out is malloc'd (caller frees) and 0 is returned; -1 on allocation failure.
 */
int otlp_encode_protobuf(struct zt_span *const *spans, size_t n, uint8_t **out, size_t *out_len);

/*
 * The same request in pieces, for a writer that encodes each span as it comes: a span's
 * ScopeSpans.spans field (tag, length, Span) appended to out (0, or -1 when out of memory),
 * and the request of groups whose span fields were so concatenated, one group per resource.
 */
int otlp_protobuf_span_field(struct otlp_buf *out, const struct zt_span *s);
struct otlp_pb_group {
	const struct zt_resource *res;	/* NULL: no Resource */
	const void *spans;
	size_t len;
};
int otlp_protobuf_request(const struct otlp_pb_group *groups, size_t n, uint8_t **out,
			  size_t *out_len);

/*
 * Appends the OTLP/JSON form of the same request to out, on one line without a trailing
 * newline: lowerCamelCase names, hex trace/span ids, enums as integers, 64-bit integers as
 * strings, zero/empty fields omitted (proto3 JSON mapping as the OTLP spec amends it).
 */
void otlp_encode_json(struct zt_span *const *spans, size_t n, struct otlp_buf *out);

/*
 * The same request in pieces, for a writer that encodes each span as it comes:
 * request_begin, then per resource resource_spans_begin, its spans separated by ",",
 * resource_spans_end (resources separated by ","), and request_end.
 */
void otlp_json_request_begin(struct otlp_buf *b);
void otlp_json_request_end(struct otlp_buf *b);
void otlp_json_resource_spans_begin(struct otlp_buf *b, const struct zt_resource *res);
void otlp_json_resource_spans_end(struct otlp_buf *b);
void otlp_json_span(struct otlp_buf *b, const struct zt_span *s);

/*
 * Appends s[0..len) as a JSON string literal, quotes included. Control characters are escaped,
 * each ill-formed UTF-8 byte becomes U+FFFD, so the output is always valid UTF-8.
 */
void otlp_json_string(struct otlp_buf *out, const char *s, size_t len);

/* gzip (RFC 1952) of in[0..len) into a malloc'd *out. Returns 0, or -1 on failure. */
int otlp_gzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len);

/*
 * Parses an ExportTraceServiceResponse body. An empty body is a valid empty response.
 * Sets *rejected to partial_success.rejected_spans (0 if absent) and copies its
 * error_message into msg (may be NULL). Returns 0, or -1 when the body is not a response.
 */
int otlp_decode_response(const uint8_t *body, size_t len, int64_t *rejected, char *msg,
			 size_t msglen);

/*
 * Parses "k1=v1,k2=v2" (OTEL_EXPORTER_OTLP_HEADERS format: keys and values trimmed, values
 * percent-decoded) into malloc'd "Key: value" lines for curl. Malformed entries, and entries
 * whose decoded value holds CR, LF or NUL, are skipped with a warning. Returns the array
 * (NULL when there is no valid entry) and its length in *count.
 */
char **otlp_headers_parse(const char *spec, size_t *count);
void otlp_headers_free(char **lines, size_t count);

/*
 * Traces URL from, in order: cli_endpoint (a base URL like OTEL_EXPORTER_OTLP_ENDPOINT unless
 * it already ends in /v1/traces), OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is),
 * OTEL_EXPORTER_OTLP_ENDPOINT (base: "/v1/traces" appended without doubling the slash).
 * Empty values count as unset. Returns 0 with the URL in out, or -1 when there is none or it
 * does not fit outlen (out is then "").
 */
int zt_otlp_endpoint_from_env(char *out, size_t outlen, const char *cli_endpoint);

/* 1 when OTEL_EXPORTER_OTLP_TRACES_COMPRESSION (else OTEL_EXPORTER_OTLP_COMPRESSION) is gzip. */
int zt_otlp_gzip_from_env(void);

/* OTEL_EXPORTER_OTLP_TRACES_HEADERS, else OTEL_EXPORTER_OTLP_HEADERS, else NULL. */
const char *zt_otlp_headers_from_env(void);

#endif
