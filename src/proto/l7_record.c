/* What every protocol parser shares: the counters and the record reset (see zt_l7.h). */
#include <string.h>

#include "zt_l7.h"

struct zt_l7_stats zt_l7_stats;

/*
 * Records are large (query text, target); parsers reuse them, so only the scalars are
 * zeroed and each string gets its terminator.
 */
void zt_l7_record_clear(struct zt_l7_record *r, uint8_t proto, uint8_t req_dir)
{
	memset(r, 0, offsetof(struct zt_l7_record, method));
	r->method[0] = r->target[0] = r->host[0] = r->user_agent[0] = '\0';
	r->traceparent[0] = r->tracestate[0] = r->version[0] = '\0';
	r->status = 0;
	r->grpc = r->h2_reset = r->headers_partial = false;
	r->grpc_status = -1;
	r->grpc_message[0] = '\0';
	r->h2_error = r->req_messages = r->resp_messages = 0;
	r->db_query_truncated = r->db_failed = false;
	r->db_namespace[0] = r->db_query[0] = r->db_operation[0] = '\0';
	r->db_status[0] = r->db_sqlstate[0] = r->db_error[0] = '\0';
	r->db_rows = -1;
	r->db_args = 0;
	r->proto = proto;
	r->req_dir = req_dir;
}

/* Copy at most cap-1 bytes of s[0..n) and terminate; returns true when it was cut. */
bool zt_l7_copy_str(char *dst, size_t cap, const void *s, size_t n)
{
	bool cut = n >= cap;

	if (cut)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return cut;
}
