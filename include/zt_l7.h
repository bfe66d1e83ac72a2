/*
 * Protocol parsers: a byte stream per connection and direction in, request/response
 * records out. Parsers know nothing of BPF, spans or exporters.
 */
#ifndef ZT_L7_H
#define ZT_L7_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Application protocols known to userspace. */
enum zt_l7_proto {
	ZT_L7_UNKNOWN = 0,
	ZT_L7_HTTP1 = 1,
	ZT_L7_HTTP2 = 2,
	ZT_L7_PGSQL = 3,
	ZT_L7_MYSQL = 4,
	ZT_L7_REDIS = 5,
};

/* Direction from the traced process's side; same values as enum zt_direction. */
enum zt_l7_dir {
	ZT_L7_EGRESS = 0,
	ZT_L7_INGRESS = 1,
};

/* When and on which thread one chunk (one syscall's bytes) moved. */
struct zt_chunk_meta {
	uint64_t ts_enter;	/* CLOCK_MONOTONIC ns, syscall entry */
	uint64_t ts_exit;	/* CLOCK_MONOTONIC ns, syscall return */
	uint32_t tid;
};

#define ZT_L7_METHOD_MAX 24
#define ZT_L7_TARGET_MAX 1024
#define ZT_L7_HOST_MAX 256
#define ZT_L7_UA_MAX 256
#define ZT_L7_TRACEPARENT_MAX 64
#define ZT_L7_TRACESTATE_MAX 512
#define ZT_L7_GRPC_MESSAGE_MAX 256
#define ZT_L7_DB_NAMESPACE_MAX 128
#define ZT_L7_DB_QUERY_MAX 4096
#define ZT_L7_DB_OPERATION_MAX 32
#define ZT_L7_DB_STATUS_MAX 16
#define ZT_L7_DB_ERROR_MAX 256

/*
 * One request and its response. Owned by the parser and valid only during the sink
 * call: the sink copies what it keeps. Strings are NUL-terminated and truncated to fit.
 */
struct zt_l7_record {
	uint8_t proto;		/* zt_l7_proto */
	uint8_t req_dir;	/* direction that carried the request: EGRESS = we are the client */
	bool has_response;	/* false: connection closed/reset before a response */
	bool target_truncated;
	struct zt_chunk_meta req_first;		/* chunk holding the request's first byte */
	struct zt_chunk_meta req_last;		/* chunk holding its last byte */
	struct zt_chunk_meta resp_first;
	struct zt_chunk_meta resp_last;
	uint64_t req_body_bytes;
	uint64_t resp_body_bytes;
	uint32_t stream_id;	/* HTTP/2 stream; 0 for HTTP/1.x */
	uint64_t req_pos;	/* request's first byte: bytes fed in its direction before it */
	/* HTTP */
	char method[ZT_L7_METHOD_MAX];
	char target[ZT_L7_TARGET_MAX];		/* request-target as sent (path?query or absolute) */
	char host[ZT_L7_HOST_MAX];		/* Host header / :authority */
	char user_agent[ZT_L7_UA_MAX];
	char traceparent[ZT_L7_TRACEPARENT_MAX];	/* request's traceparent header, or "" */
	char tracestate[ZT_L7_TRACESTATE_MAX];
	char version[8];	/* "1.0", "1.1", "2" */
	int status;		/* response status code; 0 without response */
	/* HTTP/2 and gRPC */
	bool grpc;		/* content-type application/grpc* */
	bool h2_reset;		/* stream ended by RST_STREAM or GOAWAY, or connection closed */
	bool headers_partial;	/* HPACK state unknown (seen from the middle): fields may be missing */
	int grpc_status;	/* grpc-status from trailers or Trailers-Only; -1 when none */
	char grpc_message[ZT_L7_GRPC_MESSAGE_MAX];	/* grpc-message, percent-decoded */
	uint32_t h2_error;	/* RST_STREAM / GOAWAY error code, 0 none */
	uint32_t req_messages;	/* gRPC length-prefixed messages sent by the client */
	uint32_t resp_messages;	/* ... and by the server */
	/* Databases (client side). Text as the protocol carried it: sanitising is the span side's job. */
	bool db_query_truncated;
	bool db_failed;		/* the server answered with an error */
	char db_namespace[ZT_L7_DB_NAMESPACE_MAX];	/* database (PG/MySQL) or index (Redis) */
	char db_query[ZT_L7_DB_QUERY_MAX];	/* SQL text; Redis: command and arguments */
	char db_operation[ZT_L7_DB_OPERATION_MAX];	/* when the protocol names it (Redis command,
							   MySQL COM_PING → "PING"); else "" */
	char db_status[ZT_L7_DB_STATUS_MAX];	/* SQLSTATE, MySQL error number, Redis error prefix */
	char db_sqlstate[8];	/* MySQL: SQLSTATE of an ERR packet (PostgreSQL has it in db_status) */
	char db_error[ZT_L7_DB_ERROR_MAX];	/* server's error message */
	int64_t db_rows;	/* rows returned or affected; -1 unknown */
	uint32_t db_args;	/* Redis: argument count after the command name */
};

struct zt_l7_sink {
	/* A request and its response (or the request alone, at close) are complete. */
	void (*emit)(void *ctx, const struct zt_l7_record *rec);
	/*
	 * Optional (may be NULL): a request head has been parsed, before its response.
	 * Only request fields and req_first are set. The span builder uses it to know
	 * which server request a thread is handling while it makes outgoing calls.
	 */
	void (*request_head)(void *ctx, const struct zt_l7_record *rec);
	void *ctx;
};

/* Parser-side counters, summed over all connections (event thread only). */
struct zt_l7_stats {
	uint64_t records;	/* records emitted */
	uint64_t malformed;	/* connections marked unparseable */
	uint64_t gaps;		/* gaps fed */
	uint64_t resyncs;	/* gaps recovered by finding the next message start */
	uint64_t heads_too_large;	/* header blocks over the parser's limit */
	uint64_t unanswered;	/* requests flushed without a response at close */
	uint64_t encrypted;	/* connections that switched to TLS: no more parsing */
	uint64_t partial_state;	/* records made without the connection's earlier state
				   (HPACK table, prepared statement text) */
};
extern struct zt_l7_stats zt_l7_stats;

/* Reset a record for a new request: scalars zeroed, strings empty, grpc_status and db_rows -1. */
void zt_l7_record_clear(struct zt_l7_record *r, uint8_t proto, uint8_t req_dir);
/* Copy at most cap-1 bytes of s[0..n) into dst and terminate it; true when it was cut. */
bool zt_l7_copy_str(char *dst, size_t cap, const void *s, size_t n);

/* zt_parser_ops.feed: the rest of the connection is another protocol (see feed). */
#define ZT_FEED_SWITCHED 1

/* Result of zt_parser_ops.detect. */
enum zt_detect {
	ZT_DETECT_NO = 0,
	ZT_DETECT_MAYBE = 1,	/* need more bytes */
	ZT_DETECT_YES = 2,
};

struct zt_parser_ops {
	const char *name;
	uint8_t proto;		/* zt_l7_proto */
	/* Does a stream starting with these bytes (in direction dir) speak this protocol? */
	enum zt_detect (*detect)(const uint8_t *data, size_t len, int dir);
	void *(*create)(void);
	void (*destroy)(void *state);
	/*
	 * One chunk of one direction, in order. data == NULL means a gap of len bytes (not
	 * captured or lost). Returns 0; ZT_FEED_SWITCHED once the connection switched to a
	 * protocol no parser follows (a WebSocket, a CONNECT tunnel): the caller may stop
	 * feeding it, it is no error; -1 when the stream cannot be parsed any more (the caller
	 * stops feeding this connection and counts it).
	 */
	int (*feed)(void *state, int dir, const uint8_t *data, size_t len,
		    const struct zt_chunk_meta *meta, const struct zt_l7_sink *sink);
	/* Connection closed: complete messages delimited by close, then flush the rest. */
	void (*close)(void *state, const struct zt_chunk_meta *meta, const struct zt_l7_sink *sink);
};

extern const struct zt_parser_ops zt_http1_parser;
extern const struct zt_parser_ops zt_http2_parser;
/*
 * An HTTP/2 connection (zt_http2_parser state, just created) that an HTTP/1.1 request
 * upgraded with "Upgrade: h2c" (RFC 7540 3.2): that request, sent in full, is its stream 1,
 * answered in HTTP/2. Returns 0, or -1 when out of memory.
 */
int zt_http2_upgraded(void *state, const struct zt_l7_record *req);
extern const struct zt_parser_ops zt_pgsql_parser;
extern const struct zt_parser_ops zt_mysql_parser;
extern const struct zt_parser_ops zt_redis_parser;

#endif
