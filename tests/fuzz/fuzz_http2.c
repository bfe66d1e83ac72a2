/* libFuzzer target for the HTTP/2 parser (harness: l7_harness.c). */
#include <string.h>

#include "l7_harness.h"

const struct zt_parser_ops *fuzz_parser = &zt_http2_parser;

void fuzz_check_record(const struct zt_l7_record *r)
{
	/* Records are for client streams, which are odd. */
	if (r->proto != ZT_L7_HTTP2 || strcmp(r->version, "2") || !(r->stream_id & 1))
		__builtin_trap();
	/* A request block fully decoded has a :method, else it made no stream. */
	if (!r->method[0] && !r->headers_partial)
		__builtin_trap();
	if (r->req_first.tid > r->req_last.tid || r->grpc_status < -1)
		__builtin_trap();
	if (!r->has_response && (r->status || r->resp_body_bytes || r->resp_first.tid ||
				 r->resp_messages || r->grpc_status >= 0 || r->grpc_message[0]))
		__builtin_trap();
	/* Final statuses only: 1xx are interim. */
	if (r->status && (r->status < 200 || r->status > 999))
		__builtin_trap();
	if (r->has_response && r->resp_first.tid > r->resp_last.tid)
		__builtin_trap();
	if (!r->grpc && (r->req_messages || r->resp_messages))
		__builtin_trap();
	if (r->h2_error && !r->h2_reset)
		__builtin_trap();
}
