/*
 * OTLP/JSON lines exporter: the OpenTelemetry Collector file exporter format, one
 * ExportTraceServiceRequest per line. submit() writes the span's JSON at once (span_batch.h:
 * handing spans to the writer cost more than encoding them); a small thread of its own puts
 * each finished line together and writes it, flushed so readers see it at once.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "otlp_encode.h"
#include "span_batch.h"
#include "zt_exporter.h"
#include "zt_clock.h"
#include "zt_log.h"

#define OTLP_JSON_PERIOD_MS 200		/* a line waits at most this long for more spans */
#define OTLP_JSON_LINE_SPANS 512	/* spans per line, so one line stays a sane size */
#define OTLP_JSON_MAX_QUEUE 65536	/* more means the output cannot keep up: drop */
#define OTLP_JSON_DESTROY_MS 5000
#define OTLP_JSON_WARN_MS 10000

struct otlp_json {
	struct zt_exporter base;
	char *path;
	FILE *f;
	bool own_file;		/* false for stdout */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;	/* writer: a line is full or started, flush requested or stop */
	pthread_cond_t progress;	/* flushers: settled moved */
	struct span_batches lines;	/* one line per batch */
	uint64_t accepted;	/* spans ever queued */
	uint64_t settled;	/* of those, written or failed */
	int flushers;		/* flush() callers waiting: write without delay */
	bool stop;
	struct zt_exporter_stats stats;
	uint64_t last_warn_ms;	/* writer thread only */
	uint64_t last_drop_warn_ms;	/* under lock */
};

static struct otlp_json *to_json(struct zt_exporter *exp)
{
	return (struct otlp_json *)exp;
}

/* With the lock held: the span's JSON into the open line; false when out of memory. */
static bool line_add(struct otlp_json *j, const struct zt_span *span)
{
	bool opened;
	struct span_group *g = span_batches_group(&j->lines, span->resource, &opened);

	if (!g)
		return false;
	if (g->n)
		otlp_buf_append(&g->spans, ",", 1);
	otlp_json_span(&g->spans, span);
	/* A new line starts the writer's timer; a full one is written at once. */
	if (span_batches_added(&j->lines, g, OTLP_JSON_LINE_SPANS) || opened)
		pthread_cond_signal(&j->wake);
	return true;
}

static void otlp_json_submit(struct zt_exporter *exp, struct zt_span *span)
{
	struct otlp_json *j = to_json(exp);
	bool queued, warn = false;

	pthread_mutex_lock(&j->lock);
	queued = !j->stop && j->lines.queued < OTLP_JSON_MAX_QUEUE && line_add(j, span);
	if (queued) {
		j->accepted++;
	} else {
		j->stats.spans_failed++;
		warn = zt_rate_limit(&j->last_drop_warn_ms, OTLP_JSON_WARN_MS);
	}
	pthread_mutex_unlock(&j->lock);
	if (warn)
		zt_warn("otlp-json: output %s cannot keep up, dropping spans", j->path);
}

/* Writes one line; returns 0, or -1 with errno set when the output failed. */
static int line_write(struct otlp_json *j, const struct span_batch *line, struct otlp_buf *buf)
{
	otlp_buf_reset(buf);
	otlp_json_request_begin(buf);
	for (size_t i = 0; i < line->n_groups; i++) {
		const struct span_group *g = &line->groups[i];

		if (i)
			otlp_buf_append(buf, ",", 1);
		otlp_json_resource_spans_begin(buf, g->res);
		otlp_buf_append(buf, g->spans.data, g->spans.len);
		otlp_json_resource_spans_end(buf);
	}
	otlp_json_request_end(buf);
	otlp_buf_append(buf, "\n", 1);
	errno = 0;
	if (fwrite(buf->data, 1, buf->len, j->f) != buf->len || fflush(j->f) != 0) {
		clearerr(j->f);
		return -1;
	}
	return 0;
}

/* Writes and frees the lines; called without the lock. */
static void lines_write(struct otlp_json *j, struct span_batch *lines)
{
	struct zt_exporter_stats st = { 0 };
	struct otlp_buf buf = { 0 };
	size_t n = 0;

	while (lines) {
		struct span_batch *next = lines->next;

		n += lines->n_spans;
		if (line_write(j, lines, &buf) == 0) {
			st.spans_ok += lines->n_spans;
			st.requests_ok++;
		} else {
			st.spans_failed += lines->n_spans;
			st.requests_failed++;
			if (zt_rate_limit(&j->last_warn_ms, OTLP_JSON_WARN_MS))
				zt_warn("otlp-json: cannot write to %s: %s", j->path,
					errno ? strerror(errno) : "write error");
		}
		span_batch_free(lines);
		lines = next;
	}
	otlp_buf_free(&buf);

	pthread_mutex_lock(&j->lock);
	j->stats.spans_ok += st.spans_ok;
	j->stats.spans_failed += st.spans_failed;
	j->stats.requests_ok += st.requests_ok;
	j->stats.requests_failed += st.requests_failed;
	j->lines.queued -= n;
	j->settled += n;
	pthread_cond_broadcast(&j->progress);
	pthread_mutex_unlock(&j->lock);
}

/* With the lock held: waits until a line is to be written; false once stopping with
 * nothing left. */
static bool otlp_json_wait(struct otlp_json *j)
{
	for (;;) {
		if (j->stop || j->flushers ||
		    span_batches_due(&j->lines, zt_now_ms(), OTLP_JSON_PERIOD_MS))
			span_batches_close(&j->lines);
		if (j->lines.full)
			return true;
		if (j->stop)
			return false;
		if (j->lines.open) {
			struct timespec deadline = zt_deadline_at(j->lines.open->first_ms +
								  OTLP_JSON_PERIOD_MS);

			pthread_cond_timedwait(&j->wake, &j->lock, &deadline);
		} else {
			pthread_cond_wait(&j->wake, &j->lock);
		}
	}
}

static void *otlp_json_thread(void *arg)
{
	struct otlp_json *j = arg;

	pthread_mutex_lock(&j->lock);
	while (otlp_json_wait(j)) {
		/* Every closed line: submit() goes on filling a new one meanwhile. */
		struct span_batch *lines = span_batches_take(&j->lines, true);

		pthread_mutex_unlock(&j->lock);
		lines_write(j, lines);
		pthread_mutex_lock(&j->lock);
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

static void otlp_json_flush(struct zt_exporter *exp, int timeout_ms)
{
	struct otlp_json *j = to_json(exp);
	struct timespec deadline = zt_deadline_at(zt_now_ms() + (timeout_ms > 0 ? (uint64_t)timeout_ms : 0));
	uint64_t target;

	pthread_mutex_lock(&j->lock);
	target = j->accepted;
	j->flushers++;
	pthread_cond_signal(&j->wake);
	while (j->settled < target) {
		if (pthread_cond_timedwait(&j->progress, &j->lock, &deadline) == ETIMEDOUT)
			break;
	}
	j->flushers--;
	pthread_mutex_unlock(&j->lock);
}

static void otlp_json_get_stats(struct zt_exporter *exp, struct zt_exporter_stats *out)
{
	struct otlp_json *j = to_json(exp);

	pthread_mutex_lock(&j->lock);
	*out = j->stats;
	pthread_mutex_unlock(&j->lock);
}

static void otlp_json_free(struct otlp_json *j)
{
	if (j->f && j->own_file)
		fclose(j->f);
	pthread_cond_destroy(&j->progress);
	pthread_cond_destroy(&j->wake);
	pthread_mutex_destroy(&j->lock);
	span_batches_clear(&j->lines);
	free(j->path);
	free(j);
}

static void otlp_json_destroy(struct zt_exporter *exp, struct zt_exporter_stats *final)
{
	struct otlp_json *j = to_json(exp);

	otlp_json_flush(exp, OTLP_JSON_DESTROY_MS);
	pthread_mutex_lock(&j->lock);
	j->stop = true;
	pthread_cond_signal(&j->wake);
	pthread_mutex_unlock(&j->lock);
	/* The writer drains what is still queued before it exits. */
	pthread_join(j->thread, NULL);
	if (final)
		otlp_json_get_stats(exp, final);
	otlp_json_free(j);
}

static void otlp_json_init_sync(struct otlp_json *j)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&j->lock, NULL);
	pthread_condattr_init(&attr);
	/* Monotonic deadlines: a wall-clock jump must not stall or rush the writer. */
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&j->wake, &attr);
	pthread_cond_init(&j->progress, &attr);
	pthread_condattr_destroy(&attr);
}

struct zt_exporter *zt_otlp_json_exporter_new(const char *path)
{
	struct otlp_json *j;
	int err;

	if (!path || !*path) {
		zt_err("otlp-json: no output path given");
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (!j || !(j->path = strdup(path))) {
		zt_err("otlp-json: out of memory");
		free(j);
		return NULL;
	}
	if (strcmp(path, "-") == 0) {
		j->f = stdout;
	} else {
		j->f = fopen(path, "w");
		j->own_file = true;
		if (!j->f) {
			zt_err("otlp-json: cannot open %s: %s", path, strerror(errno));
			free(j->path);
			free(j);
			return NULL;
		}
	}
	otlp_json_init_sync(j);
	span_batches_init(&j->lines);
	j->base.name = "otlp-json";
	j->base.submit = otlp_json_submit;
	j->base.flush = otlp_json_flush;
	j->base.destroy = otlp_json_destroy;
	j->base.get_stats = otlp_json_get_stats;
	err = pthread_create(&j->thread, NULL, otlp_json_thread, j);
	if (err) {
		zt_err("otlp-json: cannot start writer thread: %s", strerror(err));
		otlp_json_free(j);
		return NULL;
	}
	return &j->base;
}
