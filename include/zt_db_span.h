/* Database client spans: OpenTelemetry database conventions from a parser's record. */
#ifndef ZT_DB_SPAN_H
#define ZT_DB_SPAN_H

#include <stdbool.h>
#include <stddef.h>

#include "zt_events.h"
#include "zt_l7.h"
#include "zt_span.h"

#define ZT_DB_QUERY_MAX_DEFAULT 2048

/* sanitize: literals in db.query.text become ?; query_max: its length limit in bytes. */
void zt_db_span_configure(bool sanitize, size_t query_max);
bool zt_l7_is_db(uint8_t proto);
/* Name, attributes and status of a CLIENT span for rec (ids, times, resource set by the
 * caller); peer_addr is the server's address as text. */
void zt_db_span_fill(struct zt_span *span, const char *peer_addr, uint16_t peer_port,
		     const struct zt_l7_record *rec);

#endif
