/* libFuzzer target for the Redis parser (harness: l7_harness.c). */
#include <string.h>

#include "l7_harness.h"

const struct zt_parser_ops *fuzz_parser = &zt_redis_parser;

/* db_query and db_operation are escaped: printable ASCII only. */
static bool fuzz_printable(const char *s)
{
	for (; *s; s++)
		if (*s < ' ' || *s > '~')
			return false;
	return true;
}

/* AUTH's arguments never show: "AUTH ? ?". */
static bool fuzz_auth_hidden(const char *q)
{
	const char *sp = strchr(q, ' ');

	for (; sp; sp = strchr(sp + 1, ' '))
		if (sp[1] != '?' || (sp[2] != ' ' && sp[2] != '\0'))
			return false;
	return true;
}

void fuzz_check_record(const struct zt_l7_record *r)
{
	if (r->proto != ZT_L7_REDIS || r->req_dir != ZT_L7_EGRESS)
		__builtin_trap();
	if (r->method[0] || r->target[0] || r->version[0] || r->status || r->stream_id)
		__builtin_trap();
	if (!fuzz_printable(r->db_query) || !fuzz_printable(r->db_operation))
		__builtin_trap();
	for (const char *s = r->db_operation; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			__builtin_trap();
	if (!strcmp(r->db_operation, "AUTH") && !fuzz_auth_hidden(r->db_query))
		__builtin_trap();
	if (!r->req_body_bytes || r->req_first.tid > r->req_last.tid || r->db_rows < -1)
		__builtin_trap();
	if ((r->db_status[0] || r->db_error[0]) && !r->db_failed)
		__builtin_trap();
	if (!r->has_response && (r->resp_first.tid || r->resp_last.tid || r->resp_body_bytes ||
				 r->db_failed || r->db_rows != -1))
		__builtin_trap();
	/* A reply starts after its command is whole. */
	if (r->has_response && (r->req_last.tid >= r->resp_first.tid ||
				r->resp_first.tid > r->resp_last.tid || !r->resp_body_bytes))
		__builtin_trap();
}
