/*
 * Console exporter, the agent's default output: a waterfall per trace.
 *
 * Spans are grouped by trace id and a trace is printed as one block once no span has
 * arrived for it during a quiet period, so that a request and the calls it made are read
 * together instead of interleaved with other traffic. submit() runs on the agent's event
 * thread and only files the span away; a printer thread renders and writes the blocks.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zt_exporter.h"
#include "zt_log.h"
#include "zt_span.h"

/* Knobs read by zt_console_exporter_new(); exported so that tests can shrink them. */
int zt_console_quiet_ms = 1000;		/* quiet time after which a trace is complete */
int zt_console_max_pending = 10000;	/* spans held in open traces before the oldest goes */

#define CONSOLE_BUCKETS		4096
#define CONSOLE_TICK_MS		200	/* printer wake-up when nothing signals it */
#define CONSOLE_DESTROY_MS	2000
#define CONSOLE_MAX_LINES	200	/* span lines per block */
#define CONSOLE_MAX_INDENT	5	/* deeper spans are drawn at this depth */

/* Column widths, in display columns. A line is 100 columns wide. */
#define CONSOLE_TREE_W		18	/* tree guides + service name */
#define CONSOLE_KIND_W		8
#define CONSOLE_NAME_W		26
#define CONSOLE_STATUS_W	5
#define CONSOLE_DUR_W		10
#define CONSOLE_BAR_W		24

#define C_RESET	"\033[0m"
#define C_BOLD	"\033[1m"
#define C_DIM	"\033[2m"
#define C_RED	"\033[31m"
#define C_GREEN	"\033[32m"
#define C_CYAN	"\033[36m"

#define CONSOLE_BAR_GLYPH	"\u2588"
#define CONSOLE_ELLIPSIS	"\u2026"

struct console_link {
	struct console_link *prev, *next;
};

struct console_trace {
	struct console_link link;	/* on the open or the ready list */
	struct console_trace *hnext;	/* hash chain, while open */
	uint8_t trace_id[16];
	uint64_t last_ns;		/* CLOCK_MONOTONIC of the latest span */
	struct zt_span **spans;		/* referenced */
	int n, cap;
};

struct console_exporter {
	struct zt_exporter base;
	FILE *out;
	bool color;
	uint64_t quiet_ns;
	size_t max_pending;
	/* Lock order: out_lock, then lock. */
	pthread_mutex_t lock;		/* everything below */
	pthread_mutex_t out_lock;	/* held while printing: blocks stay whole and in order */
	pthread_cond_t wake;
	pthread_t thread;
	bool stop;
	struct console_trace *buckets[CONSOLE_BUCKETS];
	struct console_link open;	/* least recently updated first */
	struct console_link ready;	/* complete, oldest first, waiting for the printer */
	size_t open_spans, ready_spans;
	struct zt_exporter_stats stats;
};

#define console_of(exp) ((struct console_exporter *)(exp))
#define trace_of(l) ((struct console_trace *)((char *)(l) - offsetof(struct console_trace, link)))

static uint64_t console_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- lists and lookup ---- */

static void console_list_init(struct console_link *head)
{
	head->prev = head->next = head;
}

static bool console_list_empty(const struct console_link *head)
{
	return head->next == head;
}

static void console_list_del(struct console_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
}

static void console_list_add_tail(struct console_link *head, struct console_link *l)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

/* Moves every entry of src to the tail of dst, keeping their order. */
static void console_list_splice_tail(struct console_link *dst, struct console_link *src)
{
	if (console_list_empty(src))
		return;
	src->next->prev = dst->prev;
	dst->prev->next = src->next;
	src->prev->next = dst;
	dst->prev = src->prev;
	console_list_init(src);
}

static unsigned int console_hash(const uint8_t *trace_id)
{
	uint64_t h;

	/* The low half is random even for 64-bit-id (e.g. Jaeger) traces. */
	memcpy(&h, trace_id + 8, sizeof(h));
	h ^= h >> 29;
	return (unsigned int)(h % CONSOLE_BUCKETS);
}

static struct console_trace *console_lookup(struct console_exporter *ce, const uint8_t *trace_id)
{
	struct console_trace *t = ce->buckets[console_hash(trace_id)];

	while (t && memcmp(t->trace_id, trace_id, sizeof(t->trace_id)) != 0)
		t = t->hnext;
	return t;
}

static void console_unhash(struct console_exporter *ce, struct console_trace *t)
{
	struct console_trace **pp = &ce->buckets[console_hash(t->trace_id)];

	while (*pp != t)
		pp = &(*pp)->hnext;
	*pp = t->hnext;
	t->hnext = NULL;
}

static void console_trace_free(struct console_trace *t)
{
	for (int i = 0; i < t->n; i++)
		zt_span_unref(t->spans[i]);
	free(t->spans);
	free(t);
}

/* ---- grouping (event thread) ---- */

static struct console_trace *console_trace_get(struct console_exporter *ce, const uint8_t *id)
{
	struct console_trace *t = console_lookup(ce, id);
	unsigned int b;

	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	memcpy(t->trace_id, id, sizeof(t->trace_id));
	b = console_hash(id);
	t->hnext = ce->buckets[b];
	ce->buckets[b] = t;
	console_list_add_tail(&ce->open, &t->link);
	return t;
}

static int console_trace_add(struct console_trace *t, struct zt_span *span)
{
	if (t->n == t->cap) {
		int cap = t->cap ? 2 * t->cap : 4;
		struct zt_span **s = realloc(t->spans, (size_t)cap * sizeof(*s));

		if (!s)
			return -1;
		t->spans = s;
		t->cap = cap;
	}
	t->spans[t->n++] = zt_span_ref(span);
	return 0;
}

static void console_make_ready(struct console_exporter *ce, struct console_trace *t)
{
	console_unhash(ce, t);
	console_list_del(&t->link);
	console_list_add_tail(&ce->ready, &t->link);
	ce->open_spans -= (size_t)t->n;
	ce->ready_spans += (size_t)t->n;
}

/*
 * Hands complete traces to the printer: quiet ones, and the least recently updated ones
 * while over the span budget (printed early rather than growing without bound).
 * Returns whether anything became ready. Caller holds ce->lock.
 */
static bool console_expire(struct console_exporter *ce, uint64_t now)
{
	bool moved = false;

	while (!console_list_empty(&ce->open)) {
		struct console_trace *t = trace_of(ce->open.next);

		if (now - t->last_ns < ce->quiet_ns && ce->open_spans <= ce->max_pending)
			break;
		console_make_ready(ce, t);
		moved = true;
	}
	return moved;
}

static void console_submit(struct zt_exporter *exp, struct zt_span *span)
{
	struct console_exporter *ce = console_of(exp);
	uint64_t now = console_now_ns();
	struct console_trace *t;
	bool wake;

	pthread_mutex_lock(&ce->lock);
	/* The printer is behind (stdout blocked?): drop rather than hold unbounded memory. */
	if (ce->ready_spans >= ce->max_pending) {
		ce->stats.spans_failed++;
		pthread_mutex_unlock(&ce->lock);
		return;
	}
	t = console_trace_get(ce, span->trace_id);
	if (!t || console_trace_add(t, span) < 0) {
		ce->stats.spans_failed++;
		pthread_mutex_unlock(&ce->lock);
		return;
	}
	ce->open_spans++;
	t->last_ns = now;
	console_list_del(&t->link);
	console_list_add_tail(&ce->open, &t->link);
	wake = console_expire(ce, now);
	pthread_mutex_unlock(&ce->lock);
	if (wake)
		pthread_cond_signal(&ce->wake);
}

/* ---- text ---- */

/*
 * Length of the well-formed UTF-8 sequence at s (n bytes available), or 0 when malformed
 * (overlong forms, surrogates and code points above U+10FFFF included).
 */
static int console_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	int len;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if ((size_t)len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (int i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * Span names and services come from the traced traffic: control characters (C0, DEL, C1)
 * could drive the operator's terminal and bidi overrides could disguise the line.
 */
static bool console_unsafe(const unsigned char *s, int len)
{
	if (len == 1)
		return s[0] < 0x20 || s[0] == 0x7f;
	if (len == 2)
		return s[0] == 0xc2 && s[1] < 0xa0;
	if (len == 3 && s[0] == 0xe2 && s[1] == 0x80)
		return s[2] >= 0xaa && s[2] <= 0xae;
	if (len == 3 && s[0] == 0xe2 && s[1] == 0x81)
		return s[2] >= 0xa6 && s[2] <= 0xa9;
	return false;
}

/* Copies one display column (one UTF-8 sequence, or '?' for a bad byte) from *p to out. */
static size_t console_next_col(const unsigned char **p, size_t *left, char *out)
{
	int len = console_utf8_len(*p, *left);

	if (!len || console_unsafe(*p, len)) {
		len = len ? len : 1;
		*p += len;
		*left -= (size_t)len;
		out[0] = '?';
		return 1;
	}
	memcpy(out, *p, (size_t)len);
	*p += len;
	*left -= (size_t)len;
	return (size_t)len;
}

static int console_cols(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);
	char tmp[4];
	int cols = 0;

	while (left) {
		console_next_col(&p, &left, tmp);
		cols++;
	}
	return cols;
}

/*
 * Writes s into dst, sanitised and cut to at most width columns with a trailing ellipsis
 * when it does not fit. dst holds 4 * width + 1 bytes. Returns the columns written.
 * Each UTF-8 sequence counts as one column: wide CJK glyphs will misalign a little.
 */
static int console_fit(const char *s, int width, char *dst)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), o = 0;
	int cols = console_cols(s);
	int keep = cols <= width ? cols : width - 1;

	for (int i = 0; i < keep; i++)
		o += console_next_col(&p, &left, dst + o);
	if (keep < cols) {
		memcpy(dst + o, CONSOLE_ELLIPSIS, sizeof(CONSOLE_ELLIPSIS) - 1);
		o += sizeof(CONSOLE_ELLIPSIS) - 1;
		keep++;
	}
	dst[o] = '\0';
	return keep;
}

/* Milliseconds; short spans keep microsecond precision. */
static void console_fmt_dur(uint64_t ns, char *buf, size_t sz)
{
	double ms = (double)ns / 1e6;

	if (ns < 1000000)
		snprintf(buf, sz, "%.3f ms", ms);
	else if (ns < 100000000)
		snprintf(buf, sz, "%.2f ms", ms);
	else if (ns < 10000000000ull)
		snprintf(buf, sz, "%.1f ms", ms);
	else
		snprintf(buf, sz, "%.2f s", ms / 1000);
}

static const char *console_kind(uint8_t kind)
{
	switch (kind) {
	case ZT_SPAN_KIND_INTERNAL:
		return "INTERNAL";
	case ZT_SPAN_KIND_SERVER:
		return "SERVER";
	case ZT_SPAN_KIND_CLIENT:
		return "CLIENT";
	case 4:
		return "PRODUCER";
	case 5:
		return "CONSUMER";
	default:
		return "-";
	}
}

/* The protocol's own status, which says more than the span status. */
static void console_status(const struct zt_span *span, char *buf, size_t sz)
{
	static const char *const keys[] = {
		"http.response.status_code", "rpc.grpc.status_code", "rpc.response.status_code",
		"db.response.status_code", "http.status_code",
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct zt_attr *a = zt_attrs_find(span->attrs, span->n_attrs, keys[i]);

		if (a && a->type == ZT_ATTR_INT) {
			snprintf(buf, sz, "%lld", (long long)a->i);
			return;
		}
		if (a && a->type == ZT_ATTR_STR && a->s) {
			snprintf(buf, sz, "%s", a->s);
			return;
		}
	}
	snprintf(buf, sz, "-");
}

/* ---- one block ---- */

struct console_view {
	FILE *f;
	bool color;
	uint64_t t0;		/* earliest start in the trace */
	uint64_t extent;	/* latest end - t0 */
	int lines, hidden;
	bool more[CONSOLE_MAX_INDENT + 1];	/* span drawn at this depth has later siblings */
};

static void console_paint(struct console_view *v, const char *color, const char *text)
{
	if (v->color && color)
		fprintf(v->f, "%s%s" C_RESET, color, text);
	else
		fputs(text, v->f);
}

static void console_pad(FILE *f, int n)
{
	while (n-- > 0)
		fputc(' ', f);
}

static uint64_t console_end(const struct zt_span *s)
{
	return s->end_ns > s->start_ns ? s->end_ns : s->start_ns;
}

/* Cells [*off, *off + *len) of the bar: the span's place within the trace, at least one. */
static void console_bar_cells(const struct console_view *v, const struct zt_span *s, int *off,
			      int *len)
{
	double from, to;
	int end;

	if (!v->extent) {
		*off = 0;
		*len = CONSOLE_BAR_W;
		return;
	}
	/* Multiply before dividing: exact for whole-cell boundaries. */
	from = (double)(s->start_ns - v->t0) * CONSOLE_BAR_W / (double)v->extent;
	to = (double)(console_end(s) - v->t0) * CONSOLE_BAR_W / (double)v->extent;
	*off = (int)from;
	end = (int)to;
	if (end < to)
		end++;
	if (*off > CONSOLE_BAR_W - 1)
		*off = CONSOLE_BAR_W - 1;
	if (end > CONSOLE_BAR_W)
		end = CONSOLE_BAR_W;
	*len = end > *off ? end - *off : 1;
}

static void console_put_bar(struct console_view *v, const struct zt_span *s, bool err)
{
	char glyphs[CONSOLE_BAR_W * (sizeof(CONSOLE_BAR_GLYPH) - 1) + 1];
	int off, len;

	console_bar_cells(v, s, &off, &len);
	glyphs[0] = '\0';
	for (int i = 0; i < len; i++)
		strcat(glyphs, CONSOLE_BAR_GLYPH);
	console_paint(v, C_DIM, "|");
	console_pad(v->f, off);
	console_paint(v, err ? C_RED : C_GREEN, glyphs);
	console_pad(v->f, CONSOLE_BAR_W - off - len);
	console_paint(v, C_DIM, "|");
}

/* Guides to the parent: "│ " for ancestors with later siblings, then "├ " or "└ ". */
static int console_put_guides(struct console_view *v, int depth, bool last)
{
	char guide[CONSOLE_MAX_INDENT * 4 + 1] = "";

	if (depth > CONSOLE_MAX_INDENT)
		depth = CONSOLE_MAX_INDENT;
	if (!depth)
		return 0;
	for (int d = 1; d < depth; d++)
		strcat(guide, v->more[d] ? "\u2502 " : "  ");
	strcat(guide, last ? "\u2514 " : "\u251c ");
	v->more[depth] = !last;
	console_paint(v, C_DIM, guide);
	return 2 * depth;
}

static void console_put_span(struct console_view *v, const struct zt_span *s, int depth,
			     bool last)
{
	char text[4 * CONSOLE_NAME_W + 1], status[32], dur[32];
	const struct zt_resource *res = s->resource;
	const char *svc = res && res->service_name ? res->service_name : "?";
	bool err = s->status_code == ZT_STATUS_ERROR;
	int used, w;

	if (v->lines >= CONSOLE_MAX_LINES) {
		v->hidden++;
		return;
	}
	v->lines++;
	/* The marker keeps errors visible without colour (and to colour-blind readers). */
	console_paint(v, err ? C_RED : NULL, err ? "! " : "  ");
	w = CONSOLE_TREE_W - console_put_guides(v, depth, last);
	used = console_fit(svc, w, text);
	console_paint(v, C_CYAN, text);
	console_pad(v->f, w - used + 1);
	fprintf(v->f, "%-*s ", CONSOLE_KIND_W, console_kind(s->kind));
	used = console_fit(s->name, CONSOLE_NAME_W, text);
	fputs(text, v->f);
	console_pad(v->f, CONSOLE_NAME_W - used + 1);
	console_status(s, status, sizeof(status));
	used = console_fit(status, CONSOLE_STATUS_W, text);
	console_pad(v->f, CONSOLE_STATUS_W - used);
	console_paint(v, err ? C_RED : NULL, text);
	console_fmt_dur(s->end_ns > s->start_ns ? s->end_ns - s->start_ns : 0, dur, sizeof(dur));
	fprintf(v->f, " %*s ", CONSOLE_DUR_W, dur);
	console_put_bar(v, s, err);
	fputc('\n', v->f);
}

/* Parent/child links of one trace, by index into its spans (sorted by start time). */
struct console_tree {
	int *first;	/* earliest child, -1: none */
	int *last;	/* latest child so far */
	int *next;	/* next sibling by start time, -1: none */
	int *tops;	/* top-level spans: true roots first, then orphans, each by start */
	int n_tops;
	bool *seen;
	struct console_frame {
		int idx, depth;
	} *stack;
};

struct console_key {
	uint8_t id[8];
	int idx;
};

static int console_key_cmp(const void *a, const void *b)
{
	return memcmp(((const struct console_key *)a)->id, ((const struct console_key *)b)->id, 8);
}

static int console_start_cmp(const void *a, const void *b)
{
	const struct zt_span *x = *(struct zt_span *const *)a, *y = *(struct zt_span *const *)b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	/* Same start: the enclosing (longer) span first, as it is most likely the parent. */
	if (console_end(x) != console_end(y))
		return console_end(x) > console_end(y) ? -1 : 1;
	return memcmp(x->span_id, y->span_id, sizeof(x->span_id));
}

static void console_tree_free(struct console_tree *tr)
{
	free(tr->first);
	free(tr->last);
	free(tr->next);
	free(tr->tops);
	free(tr->seen);
	free(tr->stack);
}

/* Index of the parent of spans[i] in the trace, or -1 when it is a root or an orphan. */
static int console_parent(struct zt_span **spans, int i, const struct console_key *keys, int n)
{
	struct console_key key = { .idx = i };
	const struct console_key *k;

	if (zt_id_is_zero(spans[i]->parent_span_id, 8))
		return -1;
	memcpy(key.id, spans[i]->parent_span_id, 8);
	k = bsearch(&key, keys, (size_t)n, sizeof(*keys), console_key_cmp);
	return k && k->idx != i ? k->idx : -1;
}

static int console_tree_build(struct console_tree *tr, struct zt_span **spans, int n)
{
	size_t sz = (size_t)n;
	struct console_key *keys = calloc(sz, sizeof(*keys));
	int *parent = calloc(sz, sizeof(int));

	memset(tr, 0, sizeof(*tr));
	tr->first = malloc(sz * sizeof(int));
	tr->last = malloc(sz * sizeof(int));
	tr->next = malloc(sz * sizeof(int));
	tr->tops = malloc(sz * sizeof(int));
	tr->seen = calloc(sz, sizeof(bool));
	tr->stack = malloc((sz + 1) * sizeof(*tr->stack));
	if (!keys || !parent || !tr->first || !tr->last || !tr->next || !tr->tops || !tr->seen ||
	    !tr->stack) {
		free(keys);
		free(parent);
		console_tree_free(tr);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		memcpy(keys[i].id, spans[i]->span_id, 8);
		keys[i].idx = i;
		tr->first[i] = tr->last[i] = tr->next[i] = -1;
	}
	qsort(keys, sz, sizeof(*keys), console_key_cmp);
	for (int i = 0; i < n; i++) {
		int p = console_parent(spans, i, keys, n);

		parent[i] = p;
		if (p < 0)
			continue;
		/* i ascends by start time, so children lists come out sorted. */
		if (tr->first[p] < 0)
			tr->first[p] = i;
		else
			tr->next[tr->last[p]] = i;
		tr->last[p] = i;
	}
	for (int i = 0; i < n; i++)
		if (zt_id_is_zero(spans[i]->parent_span_id, 8))
			tr->tops[tr->n_tops++] = i;
	for (int i = 0; i < n; i++)
		if (parent[i] < 0 && !zt_id_is_zero(spans[i]->parent_span_id, 8))
			tr->tops[tr->n_tops++] = i;
	free(keys);
	free(parent);
	return 0;
}

/*
 * Depth-first, children by start time. Iterative, as traces may be thousands of spans deep;
 * `seen` breaks parent cycles (bogus ids) which would otherwise loop.
 */
static void console_walk(struct console_view *v, struct console_tree *tr, struct zt_span **spans,
			 int top)
{
	int sp = 0;

	if (tr->seen[top])
		return;
	tr->seen[top] = true;
	console_put_span(v, spans[top], 0, true);
	if (tr->first[top] >= 0)
		tr->stack[sp++] = (struct console_frame){ tr->first[top], 1 };
	while (sp) {
		struct console_frame f = tr->stack[--sp];

		/* Sibling pushed first so that the subtree is drawn before it. */
		if (tr->next[f.idx] >= 0)
			tr->stack[sp++] = (struct console_frame){ tr->next[f.idx], f.depth };
		if (tr->seen[f.idx])
			continue;
		tr->seen[f.idx] = true;
		console_put_span(v, spans[f.idx], f.depth, tr->next[f.idx] < 0);
		if (tr->first[f.idx] >= 0)
			tr->stack[sp++] = (struct console_frame){ tr->first[f.idx], f.depth + 1 };
	}
}

static void console_put_header(struct console_view *v, const struct console_trace *t)
{
	char hex[33], dur[32], buf[64];
	int errors = 0;

	for (int i = 0; i < t->n; i++)
		errors += t->spans[i]->status_code == ZT_STATUS_ERROR;
	zt_hex_encode(t->trace_id, sizeof(t->trace_id), hex);
	snprintf(buf, sizeof(buf), "trace %s", hex);
	console_paint(v, C_BOLD, buf);
	console_fmt_dur(v->extent, dur, sizeof(dur));
	fprintf(v->f, "  %d span%s  %s", t->n, t->n == 1 ? "" : "s", dur);
	if (errors) {
		snprintf(buf, sizeof(buf), "  %d error%s", errors, errors == 1 ? "" : "s");
		console_paint(v, C_RED, buf);
	}
	fputc('\n', v->f);
}

/* Renders one trace into f. Sorts the trace's spans in place. */
static int console_render(FILE *f, struct console_trace *t, bool color)
{
	struct console_view v = { .f = f, .color = color, .t0 = UINT64_MAX };
	struct console_tree tr;
	uint64_t tend = 0;

	qsort(t->spans, (size_t)t->n, sizeof(*t->spans), console_start_cmp);
	if (console_tree_build(&tr, t->spans, t->n) < 0)
		return -1;
	for (int i = 0; i < t->n; i++) {
		if (t->spans[i]->start_ns < v.t0)
			v.t0 = t->spans[i]->start_ns;
		if (console_end(t->spans[i]) > tend)
			tend = console_end(t->spans[i]);
	}
	v.extent = tend - v.t0;
	console_put_header(&v, t);
	for (int i = 0; i < tr.n_tops; i++)
		console_walk(&v, &tr, t->spans, tr.tops[i]);
	/* Whatever is left sits on a parent cycle: show it at top level too. */
	for (int i = 0; i < t->n; i++)
		console_walk(&v, &tr, t->spans, i);
	if (v.hidden)
		fprintf(f, "  ... %d more span%s\n", v.hidden, v.hidden == 1 ? "" : "s");
	console_tree_free(&tr);
	return 0;
}

/* ---- printing ---- */

/* Renders and writes one block in a single write, then flushes. Caller holds out_lock. */
static void console_print(struct console_exporter *ce, struct console_trace *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	bool ok = mem && console_render(mem, t, ce->color) == 0;

	if (mem)
		ok = fclose(mem) == 0 && ok;
	if (ok) {
		ok = fwrite(buf, 1, len, ce->out) == len;
		ok = fflush(ce->out) == 0 && ok;
		if (!ok)
			clearerr(ce->out);
	}
	free(buf);
	pthread_mutex_lock(&ce->lock);
	if (ok) {
		ce->stats.spans_ok += (uint64_t)t->n;
		ce->stats.requests_ok++;
	} else {
		ce->stats.spans_failed += (uint64_t)t->n;
		ce->stats.requests_failed++;
	}
	pthread_mutex_unlock(&ce->lock);
}

/*
 * Prints the ready traces, and with `all` the open ones too. Taking the list under out_lock
 * keeps blocks in the order they became ready even with the printer and flush() racing.
 */
static void console_drain(struct console_exporter *ce, bool all)
{
	struct console_link batch;

	console_list_init(&batch);
	pthread_mutex_lock(&ce->lock);
	if (all) {
		while (!console_list_empty(&ce->open))
			console_make_ready(ce, trace_of(ce->open.next));
	}
	console_list_splice_tail(&batch, &ce->ready);
	ce->ready_spans = 0;
	pthread_mutex_unlock(&ce->lock);

	while (!console_list_empty(&batch)) {
		struct console_trace *t = trace_of(batch.next);

		console_list_del(&t->link);
		/* Empty only when the first span's allocation failed: nothing to show. */
		if (t->n)
			console_print(ce, t);
		console_trace_free(t);
	}
}

static void console_wait(struct console_exporter *ce)
{
	uint64_t tick_ns = ce->quiet_ns / 2;
	struct timespec ts;
	uint64_t at;

	/* Short quiet periods (tests) need a faster tick to be honoured. */
	if (tick_ns > CONSOLE_TICK_MS * 1000000ull)
		tick_ns = CONSOLE_TICK_MS * 1000000ull;
	if (tick_ns < 1000000)
		tick_ns = 1000000;
	at = console_now_ns() + tick_ns;
	ts.tv_sec = (time_t)(at / 1000000000ull);
	ts.tv_nsec = (long)(at % 1000000000ull);
	pthread_cond_timedwait(&ce->wake, &ce->lock, &ts);
}

static void *console_thread(void *arg)
{
	struct console_exporter *ce = arg;

	pthread_mutex_lock(&ce->lock);
	while (!ce->stop) {
		console_expire(ce, console_now_ns());
		if (console_list_empty(&ce->ready)) {
			console_wait(ce);
			continue;
		}
		pthread_mutex_unlock(&ce->lock);
		pthread_mutex_lock(&ce->out_lock);
		console_drain(ce, false);
		pthread_mutex_unlock(&ce->out_lock);
		pthread_mutex_lock(&ce->lock);
	}
	pthread_mutex_unlock(&ce->lock);
	return NULL;
}

/*
 * The timeout bounds the wait for the printer thread to finish its current blocks; the
 * writes themselves are ordinary blocking stdio, as for any program writing to stdout.
 */
static void console_flush(struct zt_exporter *exp, int timeout_ms)
{
	struct console_exporter *ce = console_of(exp);
	struct timespec ts;
	int err;

	if (timeout_ms < 0)
		timeout_ms = 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	err = pthread_mutex_timedlock(&ce->out_lock, &ts);
	if (err) {
		zt_debug("console: flush timed out (%s)", strerror(err));
		return;
	}
	console_drain(ce, true);
	pthread_mutex_unlock(&ce->out_lock);
}

static void console_get_stats(struct zt_exporter *exp, struct zt_exporter_stats *out)
{
	struct console_exporter *ce = console_of(exp);

	pthread_mutex_lock(&ce->lock);
	*out = ce->stats;
	pthread_mutex_unlock(&ce->lock);
}

static void console_free(struct console_exporter *ce)
{
	pthread_mutex_destroy(&ce->lock);
	pthread_mutex_destroy(&ce->out_lock);
	pthread_cond_destroy(&ce->wake);
	free(ce);
}

static void console_destroy(struct zt_exporter *exp, struct zt_exporter_stats *final)
{
	struct console_exporter *ce = console_of(exp);

	pthread_mutex_lock(&ce->lock);
	ce->stop = true;
	pthread_mutex_unlock(&ce->lock);
	pthread_cond_signal(&ce->wake);
	pthread_join(ce->thread, NULL);
	/* The printer is gone, so out_lock is free and this prints everything. */
	console_flush(exp, CONSOLE_DESTROY_MS);
	if (final)
		console_get_stats(exp, final);
	console_free(ce);
}

static int console_init_sync(struct console_exporter *ce)
{
	pthread_condattr_t attr;
	int err;

	pthread_mutex_init(&ce->lock, NULL);
	pthread_mutex_init(&ce->out_lock, NULL);
	/* Monotonic, so that the tick survives wall-clock steps. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	err = pthread_cond_init(&ce->wake, &attr);
	pthread_condattr_destroy(&attr);
	return err;
}

struct zt_exporter *zt_console_exporter_new(FILE *out, int color)
{
	struct console_exporter *ce = calloc(1, sizeof(*ce));
	int err;

	if (!ce)
		return NULL;
	ce->base.name = "console";
	ce->base.submit = console_submit;
	ce->base.flush = console_flush;
	ce->base.destroy = console_destroy;
	ce->base.get_stats = console_get_stats;
	ce->out = out ? out : stdout;
	ce->color = color != 0;
	ce->quiet_ns = zt_console_quiet_ms > 0 ? (uint64_t)zt_console_quiet_ms * 1000000ull : 0;
	ce->max_pending = zt_console_max_pending > 0 ? (size_t)zt_console_max_pending : 1;
	console_list_init(&ce->open);
	console_list_init(&ce->ready);
	err = console_init_sync(ce);
	if (!err)
		err = pthread_create(&ce->thread, NULL, console_thread, ce);
	if (err) {
		zt_err("console exporter: cannot start printer thread: %s", strerror(err));
		console_free(ce);
		return NULL;
	}
	return &ce->base;
}
