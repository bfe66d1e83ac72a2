/* Database client spans: names, attributes and status per the OpenTelemetry DB conventions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zt_db_query.h"
#include "zt_db_span.h"

static bool sanitize = true;
static size_t query_max = ZT_DB_QUERY_MAX_DEFAULT;

void zt_db_span_configure(bool sanitize_queries, size_t max)
{
	sanitize = sanitize_queries;
	query_max = max ? max : ZT_DB_QUERY_MAX_DEFAULT;
}

bool zt_l7_is_db(uint8_t proto)
{
	return proto == ZT_L7_PGSQL || proto == ZT_L7_MYSQL || proto == ZT_L7_REDIS;
}

static const char *db_system(uint8_t proto)
{
	switch (proto) {
	case ZT_L7_PGSQL:
		return "postgresql";
	case ZT_L7_MYSQL:
		return "mysql";
	default:
		return "redis";
	}
}

/* db.query.text: sanitised unless the user asked otherwise, cut at query_max bytes. */
static void set_query_text(struct zt_span *span, const struct zt_l7_record *rec)
{
	/* Spans are built on the event thread only: one buffer serves them all. */
	static char out[ZT_L7_DB_QUERY_MAX + 1];
	size_t n = strlen(rec->db_query), cap = query_max + 1;

	if (!n)
		return;
	if (cap > sizeof(out))
		cap = sizeof(out);
	if (!sanitize)
		n = zt_l7_copy_str(out, cap, rec->db_query, n) ? cap - 1 : n;
	else if (rec->proto == ZT_L7_REDIS)
		n = zt_redis_sanitize(rec->db_query, n, out, cap);
	else
		n = zt_sql_sanitize(rec->db_query, n, out, cap);
	/* "SELECT 1;" and "SELECT 1" are the same statement: one text for both. */
	while (n && (out[n - 1] == ';' || out[n - 1] == ' '))
		out[--n] = '\0';
	if (n)
		zt_span_set_strn(span, "db.query.text", out, n);
}

/* Operation and collection: what the protocol named, else what the SQL text says. */
static void set_operation(struct zt_span *span, const struct zt_l7_record *rec,
			  const char *system)
{
	struct zt_sql_summary sum = { 0 };
	const char *op = rec->db_operation;

	if (rec->proto != ZT_L7_REDIS && rec->db_query[0]) {
		zt_sql_summary(rec->db_query, strlen(rec->db_query), &sum);
		if (sum.operation[0])
			op = sum.operation;
	}
	if (op[0])
		zt_span_set_str(span, "db.operation.name", op);
	if (sum.collection[0])
		zt_span_set_str(span, "db.collection.name", sum.collection);
	if (sum.summary[0])
		zt_span_set_str(span, "db.query.summary", sum.summary);
	/* Span name: {db.query.summary}; else {operation} {namespace} for SQL, the command for
	 * Redis; else the system. */
	if (sum.summary[0])
		snprintf(span->name, sizeof(span->name), "%.127s", sum.summary);
	else if (op[0] && rec->db_namespace[0] && rec->proto != ZT_L7_REDIS)
		snprintf(span->name, sizeof(span->name), "%.31s %.95s", op, rec->db_namespace);
	else
		snprintf(span->name, sizeof(span->name), "%.127s", op[0] ? op : system);
}

static void set_status(struct zt_span *span, const struct zt_l7_record *rec)
{
	if (!rec->has_response) {
		span->status_code = ZT_STATUS_ERROR;
		span->status_message = strdup("connection closed before a response");
		zt_span_set_str(span, "error.type", "connection_closed");
		return;
	}
	if (rec->db_status[0])
		zt_span_set_str(span, "db.response.status_code", rec->db_status);
	if (!rec->db_failed)
		return;
	span->status_code = ZT_STATUS_ERROR;
	zt_span_set_str(span, "error.type", rec->db_status[0] ? rec->db_status : "_OTHER");
	if (rec->db_sqlstate[0]) {
		/* MySQL's own format: "(42S02) Table 'shop.x' doesn't exist". */
		if (asprintf(&span->status_message, "(%s) %s", rec->db_sqlstate, rec->db_error) < 0)
			span->status_message = NULL;
	} else if (rec->db_error[0]) {
		span->status_message = strdup(rec->db_error);
	}
}

void zt_db_span_fill(struct zt_span *span, const char *peer_addr, uint16_t peer_port,
		     const struct zt_l7_record *rec)
{
	const char *system = db_system(rec->proto);

	zt_span_set_str(span, "db.system.name", system);
	if (rec->db_namespace[0])
		zt_span_set_str(span, "db.namespace", rec->db_namespace);
	set_operation(span, rec, system);
	set_query_text(span, rec);
	if (rec->db_rows >= 0 && rec->has_response)
		zt_span_set_int(span, "db.response.returned_rows", rec->db_rows);
	zt_span_set_str(span, "server.address", peer_addr);
	zt_span_set_int(span, "server.port", peer_port);
	zt_span_set_str(span, "network.peer.address", peer_addr);
	zt_span_set_int(span, "network.peer.port", peer_port);
	set_status(span, rec);
}
