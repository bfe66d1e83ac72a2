/* Record invariants of the HTTP/2 parser, for the HTTP/2 target and for the HTTP/1 target
 * (an HTTP/1.1 connection may upgrade to h2c and then give HTTP/2 records). */
#ifndef ZT_FUZZ_HTTP2_RECORD_H
#define ZT_FUZZ_HTTP2_RECORD_H

#include <stdbool.h>
#include <string.h>

#include "zt_l7.h"

/* upgraded_ok: the request that upgraded the connection may come out, with no stream id. */
static inline void fuzz_check_http2_record(const struct zt_l7_record *r, bool upgraded_ok)
{
	bool upgraded = upgraded_ok && r->stream_id == 0;

	/* Records are for client streams, which are odd. */
	if (r->proto != ZT_L7_HTTP2 || strcmp(r->version, "2") || (!(r->stream_id & 1) && !upgraded))
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

#endif
