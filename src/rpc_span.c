/* gRPC spans: rpc.* attributes, names and status per the OpenTelemetry RPC conventions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zt_rpc_span.h"

static const char *const grpc_codes[] = {
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
	"UNAUTHENTICATED",
};

static const char *const h2_errors[] = {
	"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
	"STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
	"CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
};

const char *zt_h2_error_name(uint32_t code)
{
	return code < sizeof(h2_errors) / sizeof(h2_errors[0]) ? h2_errors[code] : "UNKNOWN_ERROR";
}

/* Server-side failures per the conventions; a client counts every non-OK code. */
static bool grpc_server_error(int code)
{
	return code == 2 || code == 4 || code == 12 || code == 13 || code == 14 || code == 15;
}

/* rpc.method: "/package.Service/Method" without the slash (and any query). */
static void grpc_method(const char *path, char *out, size_t outlen)
{
	size_t n;

	path += path[0] == '/';
	n = strcspn(path, "?");
	snprintf(out, outlen, "%.*s", (int)n, path);
}

static void grpc_status(struct zt_span *span, const struct zt_l7_record *rec, bool server)
{
	int code = rec->grpc_status;
	char buf[16];
	const char *name;

	if (code < 0) {
		/* No grpc-status: the stream was reset or the connection ended first. */
		if (rec->h2_reset || !rec->has_response) {
			span->status_code = ZT_STATUS_ERROR;
			zt_span_set_str(span, "error.type",
					rec->h2_error ? zt_h2_error_name(rec->h2_error) : "stream_reset");
		}
		return;
	}
	if ((size_t)code < sizeof(grpc_codes) / sizeof(grpc_codes[0])) {
		name = grpc_codes[code];
	} else {
		snprintf(buf, sizeof(buf), "%d", code);
		name = buf;
	}
	zt_span_set_str(span, "rpc.response.status_code", name);
	if (code == 0 || (server && !grpc_server_error(code)))
		return;
	span->status_code = ZT_STATUS_ERROR;
	zt_span_set_str(span, "error.type", name);
	if (rec->grpc_message[0])
		span->status_message = strdup(rec->grpc_message);
}

void zt_grpc_span_fill(struct zt_span *span, const struct zt_l7_record *rec, bool server)
{
	char method[sizeof(span->name)];

	grpc_method(rec->target, method, sizeof(method));
	snprintf(span->name, sizeof(span->name), "%s", method[0] ? method : "grpc");
	zt_span_set_str(span, "rpc.system.name", "grpc");
	if (method[0])
		zt_span_set_str(span, "rpc.method", method);
	zt_span_set_str(span, "network.protocol.name", "http");
	zt_span_set_str(span, "network.protocol.version", "2");
	if (rec->user_agent[0])
		zt_span_set_str(span, "user_agent.original", rec->user_agent);
	/* Message counts of streaming calls (no convention names them yet). */
	if (rec->req_messages)
		zt_span_set_int(span, "zerotrace.rpc.request.messages", rec->req_messages);
	if (rec->resp_messages)
		zt_span_set_int(span, "zerotrace.rpc.response.messages", rec->resp_messages);
	grpc_status(span, rec, server);
}
