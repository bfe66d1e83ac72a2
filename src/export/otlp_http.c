/*
 * OTLP/HTTP exporter (binary protobuf, optionally gzip) on libcurl.
 *
 * submit() encodes the span into the open batch under a mutex (span_batch.h); a batch closes
 * by size (max_batch) or age (batch_timeout_ms). One sender thread owns the curl handle and
 * POSTs closed batches, oldest first. Delivery
 * follows the OTLP/HTTP spec: 2xx is success (a partial_success counts the rejected spans as
 * failed), 429/502/503/504 and network errors are retried with exponential backoff and
 * Retry-After, any other status drops the batch. While a batch waits for its retry, new spans
 * keep queueing up to max_queue; then they are dropped and counted.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "otlp_encode.h"
#include "span_batch.h"
#include "zt_exporter.h"
#include "zt_clock.h"
#include "zt_log.h"

#define OTLP_HTTP_DEF_BATCH 512
#define OTLP_HTTP_DEF_BATCH_MS 1000
#define OTLP_HTTP_DEF_QUEUE 8192
#define OTLP_HTTP_DEF_TIMEOUT_MS 10000
#define OTLP_RETRY_FIRST_MS 500
#define OTLP_RETRY_CAP_MS 30000
#define OTLP_RETRY_MAX 5		/* retries after the first attempt */
#define OTLP_RETRY_BUDGET_MS 60000	/* from the first attempt of a batch */
#define OTLP_WARN_MS 10000
#define OTLP_DESTROY_FLUSH_MS 5000
#define OTLP_RESPONSE_MAX 65536		/* a response is a few bytes; never buffer a huge one */

/* What one POST came back with. */
struct otlp_result {
	CURLcode rc;
	long status;
	long retry_after_s;	/* 0 when absent */
	char err[CURL_ERROR_SIZE];
	struct otlp_buf body;
};

/* Each kind of trouble is reported at most once per OTLP_WARN_MS. */
enum otlp_warn {
	OTLP_WARN_UNREACHABLE,
	OTLP_WARN_RETRY_STATUS,
	OTLP_WARN_REJECTED,
	OTLP_WARN_PARTIAL,
	OTLP_WARN_GAVE_UP,
	OTLP_WARN_ENCODE,
	OTLP_WARN_KINDS,
};

struct otlp_http {
	struct zt_exporter base;

	/* Fixed at construction. */
	char *url;		/* as configured, given to curl */
	char *shown_url;	/* without user:password, for messages */
	struct curl_slist *headers;
	bool gzip;
	CURL *curl;		/* sender thread only */
	int max_batch;
	int batch_timeout_ms;
	size_t max_queue;
	int timeout_ms;

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;	/* sender: a batch opened or closed, flush requested, or stop */
	pthread_cond_t progress;	/* flushers: settled moved */
	struct span_batches queue;	/* waiting to be sent (not the one in flight) */
	uint64_t accepted;	/* spans ever queued */
	uint64_t settled;	/* of those, delivered or failed */
	int flushers;		/* flush() callers waiting: send partial batches now */
	bool stop;
	int abort_io;		/* atomic; makes curl give up the request in flight */
	struct zt_exporter_stats stats;
	uint64_t last_drop_warn_ms;	/* under lock */

	/* Sender thread only. */
	struct otlp_result res;	/* curl keeps pointers to its err and body between requests */
	struct span_batch *batch;	/* in flight */
	size_t batch_n;
	uint64_t last_warn_ms[OTLP_WARN_KINDS];
	unsigned int seed;	/* backoff jitter */
};

static pthread_once_t otlp_curl_once = PTHREAD_ONCE_INIT;
static CURLcode otlp_curl_init_rc;

static void otlp_curl_init(void)
{
	otlp_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static struct otlp_http *to_http(struct zt_exporter *exp)
{
	return (struct otlp_http *)exp;
}

/* ---- producer side ---- */

/* With the lock held: the span's protobuf into the open batch; false when out of memory. */
static bool otlp_http_add(struct otlp_http *h, const struct zt_span *span)
{
	bool opened;
	struct span_group *g = span_batches_group(&h->queue, span->resource, &opened);

	if (!g || otlp_protobuf_span_field(&g->spans, span))
		return false;
	/* A new batch starts the sender's timer; a full one needs no timer. */
	if (span_batches_added(&h->queue, g, (size_t)h->max_batch) || opened)
		pthread_cond_signal(&h->wake);
	return true;
}

static void otlp_http_submit(struct zt_exporter *exp, struct zt_span *span)
{
	struct otlp_http *h = to_http(exp);
	bool full = false, failed = false, warn = false;

	pthread_mutex_lock(&h->lock);
	if (h->stop || h->queue.queued >= h->max_queue)
		full = true;
	else if (!otlp_http_add(h, span))
		failed = true;
	else
		h->accepted++;
	if (full || failed) {
		h->stats.spans_failed++;
		warn = zt_rate_limit(&h->last_drop_warn_ms, OTLP_WARN_MS);
	}
	pthread_mutex_unlock(&h->lock);
	if (warn && full)
		zt_warn("otlp: export queue full (%zu spans), dropping spans for %s", h->max_queue,
			h->shown_url);
	else if (warn)
		zt_warn("otlp: out of memory encoding spans for %s, dropping them", h->shown_url);
}

static void otlp_http_flush(struct zt_exporter *exp, int timeout_ms)
{
	struct otlp_http *h = to_http(exp);
	struct timespec deadline = zt_deadline_at(zt_now_ms() + (timeout_ms > 0 ? timeout_ms : 0));
	uint64_t target;

	pthread_mutex_lock(&h->lock);
	target = h->accepted;
	h->flushers++;
	pthread_cond_signal(&h->wake);
	while (h->settled < target) {
		if (pthread_cond_timedwait(&h->progress, &h->lock, &deadline) == ETIMEDOUT)
			break;
	}
	h->flushers--;
	pthread_mutex_unlock(&h->lock);
}

static void otlp_http_get_stats(struct zt_exporter *exp, struct zt_exporter_stats *out)
{
	struct otlp_http *h = to_http(exp);

	pthread_mutex_lock(&h->lock);
	*out = h->stats;
	pthread_mutex_unlock(&h->lock);
}

/* ---- sender thread: batching ---- */

/* With the lock held: a closed batch, the open one closed first when it is due. */
static bool batch_ready(struct otlp_http *h)
{
	if (h->flushers ||
	    span_batches_due(&h->queue, zt_now_ms(), (uint64_t)h->batch_timeout_ms))
		span_batches_close(&h->queue);
	return h->queue.full != NULL;
}

/* With the lock held: waits for a batch and moves it to h->batch; false when stopping. */
static bool otlp_http_next_batch(struct otlp_http *h)
{
	struct timespec deadline;

	while (!h->stop && !batch_ready(h)) {
		if (!h->queue.open) {
			pthread_cond_wait(&h->wake, &h->lock);
			continue;
		}
		deadline = zt_deadline_at(h->queue.open->first_ms + (uint64_t)h->batch_timeout_ms);
		pthread_cond_timedwait(&h->wake, &h->lock, &deadline);
	}
	if (h->stop)
		return false;
	h->batch = span_batches_take(&h->queue, false);
	h->batch_n = h->batch->n_spans;
	h->queue.queued -= h->batch_n;
	return true;
}

/* Accounts for the current batch (ok + failed == batch_n) and frees it. */
static void otlp_http_settle(struct otlp_http *h, size_t ok, bool request_ok)
{
	size_t n = h->batch_n;

	span_batch_free(h->batch);
	h->batch = NULL;
	h->batch_n = 0;
	pthread_mutex_lock(&h->lock);
	h->stats.spans_ok += ok;
	h->stats.spans_failed += n - ok;
	if (request_ok)
		h->stats.requests_ok++;
	else
		h->stats.requests_failed++;
	h->settled += n;
	pthread_cond_broadcast(&h->progress);
	pthread_mutex_unlock(&h->lock);
}

static void otlp_http_count_failed_request(struct otlp_http *h)
{
	pthread_mutex_lock(&h->lock);
	h->stats.requests_failed++;
	pthread_mutex_unlock(&h->lock);
}

/* Sleeps ms unless the exporter stops first; returns true when it stopped. */
static bool otlp_http_sleep(struct otlp_http *h, uint64_t ms)
{
	struct timespec deadline = zt_deadline_at(zt_now_ms() + ms);
	bool stop;

	pthread_mutex_lock(&h->lock);
	while (!h->stop) {
		if (pthread_cond_timedwait(&h->wake, &h->lock, &deadline) == ETIMEDOUT)
			break;
	}
	stop = h->stop;
	pthread_mutex_unlock(&h->lock);
	return stop;
}

/* ---- sender thread: one POST ---- */

static size_t otlp_http_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct otlp_buf *body = arg;
	size_t n = size * nmemb;
	size_t room = body->len < OTLP_RESPONSE_MAX ? OTLP_RESPONSE_MAX - body->len : 0;

	otlp_buf_append(body, data, n < room ? n : room);
	return n;
}

static int otlp_http_progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
				 curl_off_t ultotal, curl_off_t ulnow)
{
	struct otlp_http *h = arg;

	return __atomic_load_n(&h->abort_io, __ATOMIC_RELAXED);
}

static void otlp_http_post(struct otlp_http *h, const uint8_t *body, size_t len)
{
	struct otlp_result *r = &h->res;
	curl_off_t retry_after = 0;

	otlp_buf_reset(&r->body);
	r->err[0] = '\0';
	r->status = 0;
	r->retry_after_s = 0;
	/* The size first: without it curl would strlen() the binary body. */
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, (const char *)body);
	r->rc = curl_easy_perform(h->curl);
	if (r->rc != CURLE_OK)
		return;
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
	/* curl parses both forms of Retry-After (seconds and HTTP-date). */
	if (curl_easy_getinfo(h->curl, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
	    retry_after > 0)
		r->retry_after_s = retry_after > 86400 ? 86400 : (long)retry_after;
}

static bool status_retryable(long status)
{
	return status == 429 || status == 502 || status == 503 || status == 504;
}

/* 2xx: the spans are delivered, except those a partial_success says were rejected. */
static void otlp_http_delivered(struct otlp_http *h, const struct otlp_result *r)
{
	size_t n = h->batch_n;
	int64_t rejected = 0;
	char msg[256];

	if (r->body.len &&
	    otlp_decode_response((const uint8_t *)r->body.data, r->body.len, &rejected, msg,
				 sizeof(msg)) == 0 && (rejected || msg[0])) {
		if (rejected < 0 || (uint64_t)rejected > n)
			rejected = (int64_t)n;
		if (zt_rate_limit(&h->last_warn_ms[OTLP_WARN_PARTIAL], OTLP_WARN_MS))
			zt_warn("otlp: collector at %s rejected %lld of %zu spans: %s",
				h->shown_url, (long long)rejected, n,
				msg[0] ? msg : "(no message)");
	}
	otlp_http_settle(h, n - (size_t)rejected, true);
}

static void otlp_http_warn_failure(struct otlp_http *h, const struct otlp_result *r)
{
	if (r->rc != CURLE_OK) {
		if (zt_rate_limit(&h->last_warn_ms[OTLP_WARN_UNREACHABLE], OTLP_WARN_MS))
			zt_warn("otlp: collector at %s unreachable: %s", h->shown_url,
				r->err[0] ? r->err : curl_easy_strerror(r->rc));
	} else if (zt_rate_limit(&h->last_warn_ms[OTLP_WARN_RETRY_STATUS], OTLP_WARN_MS)) {
		zt_warn("otlp: collector at %s answered HTTP %ld, will retry", h->shown_url,
			r->status);
	}
}

/* Exponential backoff with jitter in [d/2, d], or what Retry-After asked for. */
static uint64_t otlp_http_retry_delay(struct otlp_http *h, int retry, const struct otlp_result *r)
{
	uint64_t d = OTLP_RETRY_FIRST_MS;

	if (r->rc == CURLE_OK && (r->status == 429 || r->status == 503) && r->retry_after_s > 0)
		return (uint64_t)r->retry_after_s * 1000;
	for (int i = 0; i < retry && d < OTLP_RETRY_CAP_MS; i++)
		d *= 2;
	if (d > OTLP_RETRY_CAP_MS)
		d = OTLP_RETRY_CAP_MS;
	return d / 2 + (uint64_t)rand_r(&h->seed) % (d / 2 + 1);
}

static void otlp_http_send(struct otlp_http *h, const uint8_t *body, size_t len)
{
	const struct otlp_result *r = &h->res;
	uint64_t start = zt_now_ms(), delay;

	for (int retry = 0;; retry++) {
		otlp_http_post(h, body, len);
		if (r->rc == CURLE_OK && r->status >= 200 && r->status < 300) {
			otlp_http_delivered(h, r);
			break;
		}
		if (r->rc == CURLE_OK && !status_retryable(r->status)) {
			if (zt_rate_limit(&h->last_warn_ms[OTLP_WARN_REJECTED], OTLP_WARN_MS))
				zt_warn("otlp: collector at %s rejected %zu spans with HTTP %ld, "
					"dropping them", h->shown_url, h->batch_n, r->status);
			otlp_http_settle(h, 0, false);
			break;
		}
		otlp_http_warn_failure(h, r);
		delay = otlp_http_retry_delay(h, retry, r);
		if (retry >= OTLP_RETRY_MAX || zt_now_ms() + delay - start > OTLP_RETRY_BUDGET_MS ||
		    otlp_http_sleep(h, delay)) {
			if (zt_rate_limit(&h->last_warn_ms[OTLP_WARN_GAVE_UP], OTLP_WARN_MS))
				zt_warn("otlp: giving up on %zu spans for %s after %d attempts",
					h->batch_n, h->shown_url, retry + 1);
			otlp_http_settle(h, 0, false);
			break;
		}
		otlp_http_count_failed_request(h);
	}
}

/* Puts the current batch's request together once; retries resend the same bytes. */
static int otlp_http_encode(struct otlp_http *h, uint8_t **body, size_t *len)
{
	const struct span_batch *b = h->batch;
	struct otlp_pb_group *groups = calloc(b->n_groups ? b->n_groups : 1, sizeof(*groups));
	uint8_t *raw, *gz;
	size_t raw_len, gz_len;
	int err;

	if (!groups)
		return -1;
	for (size_t i = 0; i < b->n_groups; i++)
		groups[i] = (struct otlp_pb_group){ .res = b->groups[i].res,
						    .spans = b->groups[i].spans.data,
						    .len = b->groups[i].spans.len };
	err = otlp_protobuf_request(groups, b->n_groups, &raw, &raw_len);
	free(groups);
	if (err)
		return -1;
	if (!h->gzip) {
		*body = raw;
		*len = raw_len;
		return 0;
	}
	if (otlp_gzip(raw, raw_len, &gz, &gz_len)) {
		free(raw);
		return -1;
	}
	free(raw);
	*body = gz;
	*len = gz_len;
	return 0;
}

static void *otlp_http_thread(void *arg)
{
	struct otlp_http *h = arg;
	uint8_t *body;
	size_t len;

	pthread_mutex_lock(&h->lock);
	while (otlp_http_next_batch(h)) {
		pthread_mutex_unlock(&h->lock);
		if (otlp_http_encode(h, &body, &len) == 0) {
			otlp_http_send(h, body, len);
			free(body);
		} else {
			if (zt_rate_limit(&h->last_warn_ms[OTLP_WARN_ENCODE], OTLP_WARN_MS))
				zt_warn("otlp: cannot encode %zu spans, dropping them", h->batch_n);
			otlp_http_settle(h, 0, false);
		}
		pthread_mutex_lock(&h->lock);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* ---- construction ---- */

/* Accepts only absolute http(s) URLs with a host; fills *shown without credentials. */
static int otlp_http_check_url(const char *url, char **shown)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	CURLUcode rc;
	int ret = -1;

	if (!u) {
		zt_err("otlp: out of memory");
		return -1;
	}
	if (!strstr(url, "://")) {
		zt_err("otlp: OTLP endpoint '%s' must be an http:// or https:// URL", url);
		goto out;
	}
	rc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (rc != CURLUE_OK) {
		zt_err("otlp: invalid OTLP endpoint '%s': %s", url, curl_url_strerror(rc));
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	if (!scheme || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		zt_err("otlp: OTLP endpoint '%s' must be an http:// or https:// URL", url);
		goto out;
	}
	if (!host || !*host) {
		zt_err("otlp: OTLP endpoint '%s' has no host", url);
		goto out;
	}
	curl_url_set(u, CURLUPART_USER, NULL, 0);
	curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
	if (curl_url_get(u, CURLUPART_URL, shown, 0) == CURLUE_OK)
		ret = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ret;
}

static struct curl_slist *otlp_http_headers(const struct zt_otlp_http_config *cfg)
{
	struct curl_slist *l = NULL, *tmp;
	size_t n = 0;
	char **user = otlp_headers_parse(cfg->headers, &n);
	bool ok = true;

	l = curl_slist_append(l, "Content-Type: application/x-protobuf");
	if (cfg->gzip && l)
		l = curl_slist_append(l, "Content-Encoding: gzip");
	/* No "Expect: 100-continue" round trip before larger bodies. */
	if (l)
		l = curl_slist_append(l, "Expect:");
	for (size_t i = 0; i < n && l && ok; i++) {
		tmp = curl_slist_append(l, user[i]);
		ok = tmp != NULL;
		l = tmp ? tmp : l;
	}
	otlp_headers_free(user, n);
	if (!l || !ok) {
		curl_slist_free_all(l);
		return NULL;
	}
	return l;
}

static int otlp_http_setup_curl(struct otlp_http *h)
{
	CURL *c = curl_easy_init();

	if (!c)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, h->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "zerotrace/" ZT_VERSION);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	/* Signals belong to the agent; curl must not use SIGALRM for DNS timeouts. */
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, otlp_http_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &h->res.body);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->res.err);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, otlp_http_progress_cb);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
	/* The spec lets clients follow redirects; keep the POST across 301/302/303. */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(c, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	h->curl = c;
	return 0;
}

static void otlp_http_free(struct otlp_http *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->headers);
	otlp_buf_free(&h->res.body);
	curl_free(h->shown_url);
	free(h->url);
	span_batches_clear(&h->queue);
	pthread_cond_destroy(&h->progress);
	pthread_cond_destroy(&h->wake);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static void otlp_http_destroy(struct zt_exporter *exp, struct zt_exporter_stats *final)
{
	struct otlp_http *h = to_http(exp);

	otlp_http_flush(exp, OTLP_DESTROY_FLUSH_MS);
	pthread_mutex_lock(&h->lock);
	h->stop = true;
	pthread_cond_broadcast(&h->wake);
	pthread_mutex_unlock(&h->lock);
	__atomic_store_n(&h->abort_io, 1, __ATOMIC_RELAXED);
	pthread_join(h->thread, NULL);
	h->stats.spans_failed += span_batches_clear(&h->queue);
	if (final)
		*final = h->stats;
	otlp_http_free(h);
}

static void otlp_http_apply_config(struct otlp_http *h, const struct zt_otlp_http_config *cfg)
{
	h->max_batch = cfg->max_batch > 0 ? cfg->max_batch : OTLP_HTTP_DEF_BATCH;
	h->batch_timeout_ms = cfg->batch_timeout_ms > 0 ? cfg->batch_timeout_ms :
							  OTLP_HTTP_DEF_BATCH_MS;
	h->max_queue = cfg->max_queue > 0 ? (size_t)cfg->max_queue : OTLP_HTTP_DEF_QUEUE;
	h->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : OTLP_HTTP_DEF_TIMEOUT_MS;
	h->gzip = cfg->gzip != 0;
	h->seed = (unsigned int)getpid() ^ (unsigned int)zt_now_ms();
}

static void otlp_http_init_sync(struct otlp_http *h)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&attr);
	/* Monotonic deadlines: a wall-clock jump must not stall or rush batches and retries. */
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&h->wake, &attr);
	pthread_cond_init(&h->progress, &attr);
	pthread_condattr_destroy(&attr);
}

static int otlp_http_alloc(struct otlp_http *h, const struct zt_otlp_http_config *cfg)
{
	h->url = strdup(cfg->endpoint);
	h->headers = otlp_http_headers(cfg);
	if (!h->url || !h->headers) {
		zt_err("otlp: out of memory");
		return -1;
	}
	if (otlp_http_setup_curl(h)) {
		zt_err("otlp: cannot create a curl handle");
		return -1;
	}
	return 0;
}

struct zt_exporter *zt_otlp_http_exporter_new(const struct zt_otlp_http_config *cfg)
{
	struct otlp_http *h;
	char *shown = NULL;
	int err;

	if (!cfg || !cfg->endpoint || !*cfg->endpoint) {
		zt_err("otlp: no OTLP endpoint given");
		return NULL;
	}
	pthread_once(&otlp_curl_once, otlp_curl_init);
	if (otlp_curl_init_rc != CURLE_OK) {
		zt_err("otlp: curl_global_init failed: %s", curl_easy_strerror(otlp_curl_init_rc));
		return NULL;
	}
	if (otlp_http_check_url(cfg->endpoint, &shown))
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h) {
		zt_err("otlp: out of memory");
		curl_free(shown);
		return NULL;
	}
	h->shown_url = shown;
	otlp_http_init_sync(h);
	span_batches_init(&h->queue);
	otlp_http_apply_config(h, cfg);
	if (otlp_http_alloc(h, cfg)) {
		otlp_http_free(h);
		return NULL;
	}
	h->base.name = "otlp-http";
	h->base.submit = otlp_http_submit;
	h->base.flush = otlp_http_flush;
	h->base.destroy = otlp_http_destroy;
	h->base.get_stats = otlp_http_get_stats;
	err = pthread_create(&h->thread, NULL, otlp_http_thread, h);
	if (err) {
		zt_err("otlp: cannot start sender thread: %s", strerror(err));
		otlp_http_free(h);
		return NULL;
	}
	zt_info("otlp: exporting spans to %s%s", h->shown_url, cfg->gzip ? " (gzip)" : "");
	return &h->base;
}
