/*
 * OTLP/JSON lines exporter: the OpenTelemetry Collector file exporter format, one
 * ExportTraceServiceRequest per line. A small thread of its own does the writing so that
 * submit() only ever takes a mutex; each line is flushed so readers see it at once.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "otlp_encode.h"
#include "zt_exporter.h"
#include "zt_clock.h"
#include "zt_log.h"

#define OTLP_JSON_WAKE_SPANS 64		/* this many queued spans are written without waiting */
#define OTLP_JSON_PERIOD_MS 200		/* otherwise queued spans wait at most this long */
#define OTLP_JSON_LINE_SPANS 512	/* spans per line, so one line stays a sane size */
#define OTLP_JSON_MAX_QUEUE 65536	/* more means the output cannot keep up: drop */
#define OTLP_JSON_DESTROY_MS 5000
#define OTLP_JSON_WARN_MS 10000

struct span_vec {
	struct zt_span **v;
	size_t n;
	size_t cap;
};

struct otlp_json {
	struct zt_exporter base;
	char *path;
	FILE *f;
	bool own_file;		/* false for stdout */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;	/* writer: spans queued, flush requested or stop */
	pthread_cond_t progress;	/* flushers: settled moved */
	struct span_vec queue;
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

static bool span_vec_push(struct span_vec *q, struct zt_span *span)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 256;
		struct zt_span **v;

		if (cap > OTLP_JSON_MAX_QUEUE)
			return false;
		v = realloc(q->v, cap * sizeof(*v));
		if (!v)
			return false;
		q->v = v;
		q->cap = cap;
	}
	q->v[q->n++] = span;
	return true;
}

static void otlp_json_submit(struct zt_exporter *exp, struct zt_span *span)
{
	struct otlp_json *j = to_json(exp);
	bool queued, warn = false;

	pthread_mutex_lock(&j->lock);
	queued = !j->stop && span_vec_push(&j->queue, span);
	if (queued) {
		zt_span_ref(span);
		j->accepted++;
		/* The first span starts the writer's timer; a full batch needs no timer. */
		if (j->queue.n == 1 || j->queue.n == OTLP_JSON_WAKE_SPANS)
			pthread_cond_signal(&j->wake);
	} else {
		j->stats.spans_failed++;
		warn = zt_rate_limit(&j->last_drop_warn_ms, OTLP_JSON_WARN_MS);
	}
	pthread_mutex_unlock(&j->lock);
	if (warn)
		zt_warn("otlp-json: output %s cannot keep up, dropping spans", j->path);
}

/* Writes spans as one line; returns 0, or -1 with errno set when the output failed. */
static int otlp_json_write_line(struct otlp_json *j, struct zt_span **spans, size_t n,
				struct otlp_buf *buf)
{
	otlp_buf_reset(buf);
	otlp_encode_json(spans, n, buf);
	errno = 0;
	if (fwrite(buf->data, 1, buf->len, j->f) != buf->len || fputc('\n', j->f) == EOF ||
	    fflush(j->f) != 0) {
		clearerr(j->f);
		return -1;
	}
	return 0;
}

/* Writes and releases batch; called without the lock. */
static void otlp_json_write_batch(struct otlp_json *j, struct span_vec *batch)
{
	struct zt_exporter_stats st = { 0 };
	struct otlp_buf buf = { 0 };

	for (size_t i = 0; i < batch->n; i += OTLP_JSON_LINE_SPANS) {
		size_t n = batch->n - i;

		if (n > OTLP_JSON_LINE_SPANS)
			n = OTLP_JSON_LINE_SPANS;
		if (otlp_json_write_line(j, batch->v + i, n, &buf) == 0) {
			st.spans_ok += n;
			st.requests_ok++;
			continue;
		}
		st.spans_failed += n;
		st.requests_failed++;
		if (zt_rate_limit(&j->last_warn_ms, OTLP_JSON_WARN_MS))
			zt_warn("otlp-json: cannot write to %s: %s", j->path,
				errno ? strerror(errno) : "write error");
	}
	otlp_buf_free(&buf);
	for (size_t i = 0; i < batch->n; i++)
		zt_span_unref(batch->v[i]);

	pthread_mutex_lock(&j->lock);
	j->stats.spans_ok += st.spans_ok;
	j->stats.spans_failed += st.spans_failed;
	j->stats.requests_ok += st.requests_ok;
	j->stats.requests_failed += st.requests_failed;
	j->settled += batch->n;
	pthread_cond_broadcast(&j->progress);
	pthread_mutex_unlock(&j->lock);
	batch->n = 0;
}

/* With the lock held: waits for work; false once stopping with nothing left to write. */
static bool otlp_json_wait(struct otlp_json *j)
{
	struct timespec deadline;

	while (!j->stop && !j->queue.n)
		pthread_cond_wait(&j->wake, &j->lock);
	if (!j->queue.n)
		return false;
	deadline = zt_deadline_at(zt_now_ms() + OTLP_JSON_PERIOD_MS);
	while (!j->stop && !j->flushers && j->queue.n < OTLP_JSON_WAKE_SPANS) {
		if (pthread_cond_timedwait(&j->wake, &j->lock, &deadline) == ETIMEDOUT)
			break;
	}
	return true;
}

static void *otlp_json_thread(void *arg)
{
	struct otlp_json *j = arg;
	struct span_vec batch = { 0 };

	pthread_mutex_lock(&j->lock);
	while (otlp_json_wait(j)) {
		/* Swap buffers so submit() keeps queueing while this batch is written. */
		struct span_vec tmp = j->queue;

		j->queue = batch;
		batch = tmp;
		pthread_mutex_unlock(&j->lock);
		otlp_json_write_batch(j, &batch);
		pthread_mutex_lock(&j->lock);
	}
	pthread_mutex_unlock(&j->lock);
	free(batch.v);
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
	free(j->queue.v);
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
