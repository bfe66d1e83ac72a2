/* libFuzzer target for the MySQL / MariaDB parser (harness: l7_harness.c). */
#include <string.h>

#include "l7_harness.h"

const struct zt_parser_ops *fuzz_parser = &zt_mysql_parser;

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

void fuzz_check_record(const struct zt_l7_record *r)
{
	size_t sqlstate = strlen(r->db_sqlstate);

	if (r->proto != ZT_L7_MYSQL || r->req_dir != ZT_L7_EGRESS || r->stream_id || r->status)
		__builtin_trap();
	if (r->method[0] || r->target[0] || r->host[0] || r->version[0] || r->grpc_status != -1)
		__builtin_trap();
	if (r->db_rows < -1 || (sqlstate && sqlstate != 5))
		__builtin_trap();
	if (r->req_first.tid > r->req_last.tid)
		__builtin_trap();
	/* Without a response there is nothing from the server. */
	if (!r->has_response && (r->db_failed || r->db_status[0] || r->db_error[0] ||
				 r->db_rows != -1 || r->resp_body_bytes || r->resp_first.tid))
		__builtin_trap();
	if (!r->has_response)
		return;
	/* A response starts after its command did, and ends after it starts. */
	if (r->req_first.tid > r->resp_first.tid || r->resp_first.tid > r->resp_last.tid)
		__builtin_trap();
	/* An error number is a decimal u16 and comes with the failure. */
	if (r->db_status[0] && (!r->db_failed || !all_digits(r->db_status) ||
				strlen(r->db_status) > 5))
		__builtin_trap();
}
