/* gRPC spans: OpenTelemetry RPC conventions from an HTTP/2 record that carried gRPC. */
#ifndef ZT_RPC_SPAN_H
#define ZT_RPC_SPAN_H

#include <stdbool.h>

#include "zt_l7.h"
#include "zt_span.h"

/* Name, rpc.* attributes and status of a gRPC span (server or client side). */
void zt_grpc_span_fill(struct zt_span *span, const struct zt_l7_record *rec, bool server);
/* HTTP/2 error code name (RFC 9113 §7), "UNKNOWN_ERROR" beyond the list. */
const char *zt_h2_error_name(uint32_t code);

#endif
