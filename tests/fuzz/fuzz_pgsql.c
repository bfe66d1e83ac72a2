/* libFuzzer target for the PostgreSQL parser (harness: l7_harness.c). */
#include <string.h>

#include "l7_harness.h"

const struct zt_parser_ops *fuzz_parser = &zt_pgsql_parser;

void fuzz_check_record(const struct zt_l7_record *r)
{
	if (r->proto != ZT_L7_PGSQL || r->req_dir != ZT_L7_EGRESS || r->stream_id || r->status)
		__builtin_trap();
	/* HTTP fields stay empty. */
	if (r->method[0] || r->target[0] || r->host[0] || r->version[0])
		__builtin_trap();
	if (r->db_rows < -1 || r->req_first.tid > r->req_last.tid)
		__builtin_trap();
	/* Only an answer fails a query, counts rows or fills response fields. */
	if (!r->has_response && (r->db_failed || r->db_status[0] || r->db_error[0] ||
				 r->db_rows != -1 || r->resp_body_bytes || r->resp_first.tid ||
				 r->resp_last.tid))
		__builtin_trap();
	if (!r->has_response && r->db_operation[0] && strcmp(r->db_operation, "FUNCTION CALL"))
		__builtin_trap();
	/* An answer starts after its request began. */
	if (r->has_response && (r->resp_first.tid > r->resp_last.tid ||
				r->req_first.tid >= r->resp_first.tid))
		__builtin_trap();
	if (!r->db_failed && (r->db_status[0] || r->db_error[0]))
		__builtin_trap();
}
