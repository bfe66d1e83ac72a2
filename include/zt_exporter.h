/* Exporters: consume finished spans. They know nothing of protocols or of BPF. */
#ifndef ZT_EXPORTER_H
#define ZT_EXPORTER_H

#include <stdint.h>
#include <stdio.h>

#include "zt_span.h"

struct zt_exporter_stats {
	uint64_t spans_ok;	/* spans delivered */
	uint64_t spans_failed;	/* spans dropped after retries, queue full, or encode error */
	uint64_t requests_ok;	/* export calls/requests that succeeded */
	uint64_t requests_failed;
};

struct zt_exporter {
	const char *name;
	/* Takes a reference of its own on each span it keeps; must not block on I/O. */
	void (*submit)(struct zt_exporter *exp, struct zt_span *span);
	/* Deliver everything queued, waiting at most timeout_ms. */
	void (*flush)(struct zt_exporter *exp, int timeout_ms);
	/* Flush (bounded), count what could not be delivered as failed, report the final
	 * counts in *final (when not NULL) and free. */
	void (*destroy)(struct zt_exporter *exp, struct zt_exporter_stats *final);
	void (*get_stats)(struct zt_exporter *exp, struct zt_exporter_stats *out);
};

/* Console waterfall on `out` (stdout); colour when color != 0. */
struct zt_exporter *zt_console_exporter_new(FILE *out, int color);
/* OTLP/JSON lines (file-exporter format), one ExportTraceServiceRequest per line. */
struct zt_exporter *zt_otlp_json_exporter_new(const char *path);

struct zt_otlp_http_config {
	const char *endpoint;	/* full traces URL, e.g. http://host:4318/v1/traces */
	const char *headers;	/* "k1=v1,k2=v2" (OTEL_EXPORTER_OTLP_HEADERS format) or NULL */
	int gzip;		/* 1: Content-Encoding: gzip */
	int max_batch;		/* spans per request (default 512) */
	int batch_timeout_ms;	/* max wait before sending a partial batch (default 1000) */
	int max_queue;		/* spans queued before drop-and-count (default 8192) */
	int timeout_ms;		/* per request (default 10000) */
};
struct zt_exporter *zt_otlp_http_exporter_new(const struct zt_otlp_http_config *cfg);

#endif
