/* libFuzzer target for the HTTP/1 parser (harness: l7_harness.c). */
#include <string.h>

#include "http2_record.h"
#include "l7_harness.h"

const struct zt_parser_ops *fuzz_parser = &zt_http1_parser;

void fuzz_check_record(const struct zt_l7_record *r)
{
	/* A connection that upgraded to h2c goes on as HTTP/2. */
	if (r->proto == ZT_L7_HTTP2) {
		fuzz_check_http2_record(r, true);
		return;
	}
	if (r->proto != ZT_L7_HTTP1 || !r->method[0] || r->stream_id)
		__builtin_trap();
	if (strncmp(r->version, "1.", 2) || strlen(r->version) != 3)
		__builtin_trap();
	if (r->req_first.tid > r->req_last.tid)
		__builtin_trap();
	if (!r->has_response && (r->status || r->resp_body_bytes || r->resp_first.tid))
		__builtin_trap();
	if (r->has_response && (r->status < 100 || r->status > 999 ||
				r->resp_first.tid > r->resp_last.tid ||
				r->req_first.tid >= r->resp_first.tid))
		__builtin_trap();
}
