/* Console waterfall exporter: block layout, tree order, colours, grouping and timing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "zt_exporter.h"
#include "zt_span.h"

/* Test knobs defined in src/export/console.c. */
extern int zt_console_quiet_ms;
extern int zt_console_max_pending;

#define T0 1700000000000000000ull	/* Unix epoch ns */
#define US 1000ull
#define MS 1000000ull
#define BAR_W 24
#define BAR "\u2588"

/* ---- helpers ---- */

struct out {
	FILE *f;
	char *text;	/* everything written so far */
	char *copy;	/* text cut into lines */
	char **lines;
	int n;
};

static struct resource_cache {
	char name[64];
	struct zt_resource *res;
} resources[32];

static struct zt_resource *res_get(const char *svc)
{
	for (int i = 0; i < 32; i++) {
		if (resources[i].res && strcmp(resources[i].name, svc) == 0)
			return zt_resource_ref(resources[i].res);
		if (!resources[i].res) {
			resources[i].res = zt_resource_new(100 + (uint32_t)i);
			zt_resource_set_str(resources[i].res, "service.name", svc);
			snprintf(resources[i].name, sizeof(resources[i].name), "%s", svc);
			return zt_resource_ref(resources[i].res);
		}
	}
	fail_msg("too many resources");
	return NULL;
}

static void res_clear(void)
{
	for (int i = 0; i < 32; i++) {
		zt_resource_unref(resources[i].res);
		resources[i].res = NULL;
	}
}

static void set_id(uint8_t *id, size_t len, unsigned int v)
{
	memset(id, 0, len);
	id[len - 2] = (uint8_t)(v >> 8);
	id[len - 1] = (uint8_t)v;
}

/*
 * A span of trace `tr` (every byte of the id is tr), id `id`, parent `parent` (0: root),
 * from start_us to end_us after T0; svc NULL: no resource. http_status < 0: none.
 */
static struct zt_span *mk(uint8_t tr, unsigned int id, unsigned int parent, const char *svc,
			  uint8_t kind, const char *name, uint64_t start_us, uint64_t end_us,
			  int http_status)
{
	struct zt_span *s = zt_span_new();

	memset(s->trace_id, tr, sizeof(s->trace_id));
	set_id(s->span_id, 8, id);
	if (parent)
		set_id(s->parent_span_id, 8, parent);
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->kind = kind;
	s->start_ns = T0 + start_us * US;
	s->end_ns = T0 + end_us * US;
	if (svc)
		s->resource = res_get(svc);
	if (http_status >= 0)
		zt_span_set_int(s, "http.response.status_code", http_status);
	return s;
}

/* Submits and drops the caller's reference, as the agent does. */
static void submit(struct zt_exporter *exp, struct zt_span *s)
{
	exp->submit(exp, s);
	zt_span_unref(s);
}

static void out_open(struct out *o)
{
	memset(o, 0, sizeof(*o));
	o->f = tmpfile();
	assert_non_null(o->f);
}

static void out_free_text(struct out *o)
{
	free(o->text);
	free(o->copy);
	free(o->lines);
	o->text = NULL;
	o->copy = NULL;
	o->lines = NULL;
	o->n = 0;
}

/* Reads what the exporter has written so far through a separate descriptor. */
static const char *out_read(struct out *o)
{
	struct stat st;
	ssize_t got;

	out_free_text(o);
	assert_int_equal(fstat(fileno(o->f), &st), 0);
	o->text = calloc(1, (size_t)st.st_size + 1);
	got = pread(fileno(o->f), o->text, (size_t)st.st_size, 0);
	assert_int_equal(got, st.st_size);
	return o->text;
}

/* Reads the output and splits it into lines. */
static void out_lines(struct out *o)
{
	char *copy, *p;
	int cap = 16;

	out_read(o);
	copy = strdup(o->text);
	o->lines = calloc((size_t)cap, sizeof(char *));
	for (p = copy; *p;) {
		char *nl = strchr(p, '\n');

		assert_non_null(nl);	/* every line is terminated */
		*nl = '\0';
		if (o->n + 1 >= cap) {
			cap *= 2;
			o->lines = realloc(o->lines, (size_t)cap * sizeof(char *));
		}
		o->lines[o->n++] = p;
		p = nl + 1;
	}
	o->copy = copy;
}

static void out_close(struct out *o)
{
	out_free_text(o);
	fclose(o->f);
}

/* Display column (one per UTF-8 sequence) at which `needle` starts in line, or -1. */
static int col_of(const char *line, const char *needle)
{
	const char *hit = strstr(line, needle);
	int col = 0;

	if (!hit)
		return -1;
	for (const char *p = line; p < hit; p++)
		if (((unsigned char)*p & 0xc0) != 0x80)
			col++;
	return col;
}

/* Columns a line takes on the terminal, counting one per UTF-8 sequence. */
static int display_width(const char *line)
{
	int cols = 0;

	for (const char *p = line; *p; p++)
		if (((unsigned char)*p & 0xc0) != 0x80)
			cols++;
	return cols;
}

/* The bar between the last two '|' of a line as '#' (glyph) and '.' (blank) cells. */
static void bar_of(const char *line, char *cells)
{
	const char *end = strrchr(line, '|'), *p;
	int n = 0;

	assert_non_null(end);
	p = end - 1;
	while (p > line && *p != '|')
		p--;
	assert_true(*p == '|');
	for (p++; p < end; n++) {
		if (strncmp(p, BAR, strlen(BAR)) == 0) {
			cells[n] = '#';
			p += strlen(BAR);
		} else {
			assert_true(*p == ' ');
			cells[n] = '.';
			p++;
		}
	}
	cells[n] = '\0';
}

static int line_with(struct out *o, const char *needle)
{
	for (int i = 0; i < o->n; i++)
		if (strstr(o->lines[i], needle))
			return i;
	return -1;
}

static int count_prefix(struct out *o, const char *prefix)
{
	int c = 0;

	for (int i = 0; i < o->n; i++)
		c += strncmp(o->lines[i], prefix, strlen(prefix)) == 0;
	return c;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int setup(void **state)
{
	/* Nothing is printed before flush unless a test asks for it. */
	zt_console_quiet_ms = 60000;
	zt_console_max_pending = 10000;
	return 0;
}

static int teardown(void **state)
{
	res_clear();
	zt_console_quiet_ms = 1000;
	zt_console_max_pending = 10000;
	return 0;
}

/* ---- tests ---- */

/* curl -> python3 -> redis, submitted bottom-up: order, depth, columns, durations. */
static void test_three_levels_out_of_order(void **state)
{
	struct zt_exporter *exp;
	struct out o;

	out_open(&o);
	exp = zt_console_exporter_new(o.f, 0);
	assert_non_null(exp);
	submit(exp, mk(0x4b, 3, 2, "redis", ZT_SPAN_KIND_CLIENT, "GET", 3000, 3112, -1));
	submit(exp, mk(0x4b, 1, 0, "curl", ZT_SPAN_KIND_CLIENT, "GET", 0, 12000, 200));
	submit(exp, mk(0x4b, 2, 1, "python3", ZT_SPAN_KIND_SERVER, "GET /", 2000, 8000, 200));
	assert_string_equal(out_read(&o), "");
	exp->flush(exp, 1000);
	out_lines(&o);

	assert_int_equal(o.n, 4);
	assert_string_equal(o.lines[0],
			    "trace 4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b  3 spans  12.00 ms");
	assert_string_equal(o.lines[1], "  curl               CLIENT   GET                        "
					"  200   12.00 ms |" BAR BAR BAR BAR BAR BAR BAR BAR BAR
					BAR BAR BAR BAR BAR BAR BAR BAR BAR BAR BAR BAR BAR BAR
					BAR "|");
	/* Service column moves right by two per level. */
	assert_int_equal(col_of(o.lines[1], "curl"), 2);
	assert_int_equal(col_of(o.lines[2], "python3"), 4);
	assert_int_equal(col_of(o.lines[3], "redis"), 6);
	assert_non_null(strstr(o.lines[2], "\u2514 python3"));
	assert_non_null(strstr(o.lines[3], "  \u2514 redis"));
	assert_non_null(strstr(o.lines[2], "SERVER   GET /"));
	assert_non_null(strstr(o.lines[2], "  200    6.00 ms |"));
	/* No status attribute: "-"; sub-millisecond: microsecond precision. */
	assert_non_null(strstr(o.lines[3], "    -   0.112 ms |"));
	/* The kind, name, status and bar columns line up across depths. */
	assert_int_equal(col_of(o.lines[1], "CLIENT"), col_of(o.lines[2], "SERVER"));
	assert_int_equal(col_of(o.lines[1], "CLIENT"), col_of(o.lines[3], "CLIENT"));
	assert_int_equal(col_of(o.lines[1], "|"), col_of(o.lines[3], "|"));
	assert_int_equal(display_width(o.lines[1]), display_width(o.lines[2]));
	assert_int_equal(display_width(o.lines[1]), display_width(o.lines[3]));

	exp->destroy(exp, NULL);
	out_close(&o);
}

/* Siblings come out by start time, whatever the submit order, with ├/└ guides. */
static void test_children_sorted_by_start(void **state)
{
	struct zt_exporter *exp;
	struct out o;

	out_open(&o);
	exp = zt_console_exporter_new(o.f, 0);
	submit(exp, mk(0x22, 11, 10, "late", ZT_SPAN_KIND_CLIENT, "c", 5000, 6000, 200));
	submit(exp, mk(0x22, 12, 10, "early", ZT_SPAN_KIND_CLIENT, "a", 1000, 2000, 200));
	submit(exp, mk(0x22, 10, 0, "root", ZT_SPAN_KIND_SERVER, "r", 0, 9000, 200));
	submit(exp, mk(0x22, 13, 10, "middle", ZT_SPAN_KIND_CLIENT, "b", 3000, 4000, 200));
	submit(exp, mk(0x22, 14, 12, "nested", ZT_SPAN_KIND_CLIENT, "n", 1100, 1200, 200));
	exp->flush(exp, 1000);
	out_lines(&o);

	assert_int_equal(o.n, 6);
	assert_int_equal(col_of(o.lines[1], "root"), 2);
	assert_non_null(strstr(o.lines[2], "\u251c early"));
	/* Under a sibling with later siblings, the guide continues with │. */
	assert_non_null(strstr(o.lines[3], "\u2502 \u2514 nested"));
	assert_non_null(strstr(o.lines[4], "\u251c middle"));
	assert_non_null(strstr(o.lines[5], "\u2514 late"));

	exp->destroy(exp, NULL);
	out_close(&o);
}

/* Spans whose parent is not in the trace: top level, after the root, by start time. */
static void test_orphans_after_roots(void **state)
{
	struct zt_exporter *exp;
	struct out o;

	out_open(&o);
	exp = zt_console_exporter_new(o.f, 0);
	submit(exp, mk(0x33, 1, 0, "theroot", ZT_SPAN_KIND_SERVER, "GET /", 10000, 20000, 200));
	submit(exp, mk(0x33, 2, 0x77, "orphan-b", ZT_SPAN_KIND_SERVER, "x", 5000, 6000, 200));
	submit(exp, mk(0x33, 3, 0x78, "orphan-a", ZT_SPAN_KIND_SERVER, "y", 1000, 2000, 200));
	submit(exp, mk(0x33, 4, 2, "kid", ZT_SPAN_KIND_CLIENT, "z", 5100, 5200, 200));
	exp->flush(exp, 1000);
	out_lines(&o);

	assert_int_equal(o.n, 5);
	assert_non_null(strstr(o.lines[0], "4 spans  19.00 ms"));
	assert_int_equal(col_of(o.lines[1], "theroot"), 2);
	assert_int_equal(col_of(o.lines[2], "orphan-a"), 2);
	assert_int_equal(col_of(o.lines[3], "orphan-b"), 2);
	assert_int_equal(col_of(o.lines[4], "kid"), 4);

	exp->destroy(exp, NULL);
	out_close(&o);
}

/* A trace with no root at all (only the server side seen) and a parent cycle. */
static void test_no_root_and_cycle(void **state)
{
	struct zt_exporter *exp;
	struct out o;

	out_open(&o);
	exp = zt_console_exporter_new(o.f, 0);
	submit(exp, mk(0x34, 1, 2, "cyc-one", ZT_SPAN_KIND_SERVER, "a", 0, 100, -1));
	submit(exp, mk(0x34, 2, 1, "cyc-two", ZT_SPAN_KIND_SERVER, "b", 10, 90, -1));
	submit(exp, mk(0x34, 3, 3, "selfpar", ZT_SPAN_KIND_SERVER, "c", 20, 30, -1));
	exp->flush(exp, 1000);
	out_lines(&o);

	/* Every span printed exactly once; nothing loops. */
	assert_int_equal(o.n, 4);
	assert_int_equal(col_of(o.lines[1], "selfpar"), 2);	/* own parent: orphan */
	assert_int_equal(col_of(o.lines[2], "cyc-one"), 2);
	assert_int_equal(col_of(o.lines[3], "cyc-two"), 4);

	exp->destroy(exp, NULL);
	out_close(&o);
}

static struct zt_exporter *colour_trace(struct out *o, int color)
{
	struct zt_exporter *exp;
	struct zt_span *err;

	out_open(o);
	exp = zt_console_exporter_new(o->f, color);
	submit(exp, mk(0x44, 1, 0, "front", ZT_SPAN_KIND_SERVER, "GET /", 0, 1000, 200));
	err = mk(0x44, 2, 1, "back", ZT_SPAN_KIND_CLIENT, "POST /pay", 100, 900, 503);
	err->status_code = ZT_STATUS_ERROR;
	submit(exp, err);
	exp->flush(exp, 1000);
	return exp;
}

static void test_no_escape_codes_without_colour(void **state)
{
	struct out o;
	struct zt_exporter *exp = colour_trace(&o, 0);

	assert_null(strchr(out_read(&o), '\033'));
	exp->destroy(exp, NULL);
	out_close(&o);
}

static void test_escape_codes_with_colour(void **state)
{
	struct out o;
	struct zt_exporter *exp = colour_trace(&o, 1);

	out_lines(&o);
	assert_int_equal(o.n, 3);
	assert_non_null(strstr(o.lines[1], "\033[36mfront\033[0m"));	/* cyan service */
	assert_non_null(strstr(o.lines[1], "\033[32m" BAR));		/* green bar */
	assert_non_null(strstr(o.lines[2], "\033[31m" BAR));		/* red bar: error */
	assert_non_null(strstr(o.lines[2], "\033[2m\u2514 \033[0m"));	/* dim guide */
	assert_null(strstr(o.lines[1], "\033[31m" BAR));
	exp->destroy(exp, NULL);
	out_close(&o);
}

static void test_error_marker(void **state)
{
	struct out o;
	struct zt_exporter *exp = colour_trace(&o, 0);

	out_lines(&o);
	assert_int_equal(o.n, 3);
	assert_non_null(strstr(o.lines[0], "2 spans  1.00 ms  1 error"));
	assert_true(strncmp(o.lines[1], "  front", 7) == 0);
	assert_true(strncmp(o.lines[2], "! \u2514 back", strlen("! \u2514 back")) == 0);
	assert_non_null(strstr(o.lines[2], "POST /pay"));
	assert_non_null(strstr(o.lines[2], "  503 "));
	exp->destroy(exp, NULL);
	out_close(&o);
}

static void test_two_traces_two_blocks(void **state)
{
	struct zt_exporter *exp;
	struct out o;

	out_open(&o);
	exp = zt_console_exporter_new(o.f, 0);
	/* Interleaved, as concurrent requests arrive. */
	submit(exp, mk(0xaa, 1, 0, "alpha-root", ZT_SPAN_KIND_SERVER, "a", 0, 1000, 200));
	submit(exp, mk(0xbb, 1, 0, "beta-root", ZT_SPAN_KIND_SERVER, "b", 0, 2000, 200));
	submit(exp, mk(0xaa, 2, 1, "alpha-kid", ZT_SPAN_KIND_CLIENT, "a", 10, 20, 200));
	submit(exp, mk(0xbb, 2, 1, "beta-kid", ZT_SPAN_KIND_CLIENT, "b", 10, 20, 200));
	exp->flush(exp, 1000);
	out_lines(&o);

	assert_int_equal(o.n, 6);
	assert_int_equal(count_prefix(&o, "trace "), 2);
	/* beta was updated last, so it is printed last. */
	assert_string_equal(o.lines[0],
			    "trace aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  2 spans  1.00 ms");
	assert_int_equal(line_with(&o, "alpha-root"), 1);
	assert_int_equal(line_with(&o, "alpha-kid"), 2);
	assert_string_equal(o.lines[3],
			    "trace bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb  2 spans  2.00 ms");
	assert_int_equal(line_with(&o, "beta-root"), 4);
	assert_int_equal(line_with(&o, "beta-kid"), 5);

	exp->destroy(exp, NULL);
	out_close(&o);
}

static void test_bar_positions(void **state)
{
	struct zt_exporter *exp;
	char cells[BAR_W + 1];
	struct out o;

	out_open(&o);
	exp = zt_console_exporter_new(o.f, 0);
	submit(exp, mk(0x55, 1, 0, "whole", ZT_SPAN_KIND_SERVER, "r", 0, 10000, 200));
	submit(exp, mk(0x55, 2, 1, "second-half", ZT_SPAN_KIND_CLIENT, "h", 5000, 10000, 200));
	submit(exp, mk(0x55, 3, 1, "first-quarter", ZT_SPAN_KIND_CLIENT, "q", 0, 2500, 200));
	submit(exp, mk(0x55, 4, 1, "tiny", ZT_SPAN_KIND_CLIENT, "t", 7000, 7001, 200));
	exp->flush(exp, 1000);
	out_lines(&o);

	bar_of(o.lines[line_with(&o, "whole")], cells);
	assert_string_equal(cells, "########################");
	bar_of(o.lines[line_with(&o, "second-half")], cells);
	assert_string_equal(cells, "............############");
	bar_of(o.lines[line_with(&o, "first-quarter")], cells);
	assert_string_equal(cells, "######..................");
	/* Too short to cover a cell: still one cell, at its offset (70% of 24 = 16.8). */
	bar_of(o.lines[line_with(&o, "tiny")], cells);
	assert_string_equal(cells, "................#.......");

	exp->destroy(exp, NULL);
	out_close(&o);
}

/* A lone instantaneous span: no division by zero, a full bar. */
static void test_zero_extent(void **state)
{
	struct zt_exporter *exp;
	char cells[BAR_W + 1];
	struct out o;

	out_open(&o);
	exp = zt_console_exporter_new(o.f, 0);
	submit(exp, mk(0x56, 1, 0, "instant", ZT_SPAN_KIND_SERVER, "r", 500, 500, 200));
	exp->flush(exp, 1000);
	out_lines(&o);
	assert_int_equal(o.n, 2);
	assert_non_null(strstr(o.lines[0], "1 span  0.000 ms"));
	bar_of(o.lines[1], cells);
	assert_string_equal(cells, "########################");
	exp->destroy(exp, NULL);
	out_close(&o);
}

static void test_truncation_keeps_columns(void **state)
{
	const char *long_name = "GET /api/v1/customers/1234567890/orders?page=2&sort=desc";
	struct zt_exporter *exp;
	struct zt_span *s;
	struct out o;

	out_open(&o);
	exp = zt_console_exporter_new(o.f, 0);
	submit(exp, mk(0x66, 1, 0, "short", ZT_SPAN_KIND_SERVER, "GET /", 0, 1000, 200));
	submit(exp, mk(0x66, 2, 1, "a-very-long-service-name-indeed", ZT_SPAN_KIND_CLIENT,
			long_name, 10, 900, 200));
	s = mk(0x66, 3, 1, "caf\u00e9", ZT_SPAN_KIND_CLIENT, "GET /\u00fcber", 20, 30, 200);
	submit(exp, s);
	exp->flush(exp, 1000);
	out_lines(&o);

	assert_int_equal(o.n, 4);
	/* 18 columns for guide and service, 26 for the name, each cut with an ellipsis. */
	assert_non_null(strstr(o.lines[2], "\u251c a-very-long-ser\u2026 CLIENT"));
	assert_non_null(strstr(o.lines[2], "GET /api/v1/customers/123\u2026 "));
	assert_null(strstr(o.lines[2], "orders"));
	/* Multi-byte characters count as one column and are not cut. */
	assert_non_null(strstr(o.lines[3], "\u2514 caf\u00e9"));
	assert_non_null(strstr(o.lines[3], "GET /\u00fcber"));
	assert_int_equal(display_width(o.lines[1]), display_width(o.lines[2]));
	assert_int_equal(display_width(o.lines[1]), display_width(o.lines[3]));
	assert_int_equal(col_of(o.lines[1], "|"), col_of(o.lines[2], "|"));
	assert_int_equal(col_of(o.lines[1], "|"), col_of(o.lines[3], "|"));

	exp->destroy(exp, NULL);
	out_close(&o);
}

/* Names come from the network: no terminal control sequences may get through. */
static void test_control_characters_replaced(void **state)
{
	struct zt_exporter *exp;
	struct out o;

	out_open(&o);
	exp = zt_console_exporter_new(o.f, 0);
	submit(exp, mk(0x67, 1, 0, NULL, ZT_SPAN_KIND_SERVER, "GET /\033[2J\r\xc2\x9b\xff!", 0, 10,
		       200));
	exp->flush(exp, 1000);
	out_lines(&o);
	assert_int_equal(o.n, 2);
	assert_null(strchr(o.text, '\033'));
	assert_null(strchr(o.text, '\r'));
	assert_null(strstr(o.text, "\xc2\x9b"));
	assert_non_null(strstr(o.lines[1], "GET /?[2J???" "!"));
	/* No resource: "?" for the service. */
	assert_true(strncmp(o.lines[1], "  ?   ", 6) == 0);
	exp->destroy(exp, NULL);
	out_close(&o);
}

static void test_line_cap(void **state)
{
	struct zt_exporter *exp;
	struct out o;

	out_open(&o);
	exp = zt_console_exporter_new(o.f, 0);
	submit(exp, mk(0x77, 1, 0, "root", ZT_SPAN_KIND_SERVER, "r", 0, 100000, 200));
	for (unsigned int i = 2; i <= 250; i++)
		submit(exp, mk(0x77, i, 1, "kid", ZT_SPAN_KIND_CLIENT, "k", i * 10, i * 10 + 5,
			       200));
	exp->flush(exp, 1000);
	out_lines(&o);

	assert_int_equal(o.n, 1 + 200 + 1);
	assert_non_null(strstr(o.lines[0], "250 spans"));
	assert_string_equal(o.lines[201], "  ... 50 more spans");
	exp->destroy(exp, NULL);
	out_close(&o);
}

static void test_duration_and_status_formats(void **state)
{
	struct zt_exporter *exp;
	struct zt_span *s;
	struct out o;

	out_open(&o);
	exp = zt_console_exporter_new(o.f, 0);
	submit(exp, mk(0x88, 1, 0, "sec15", ZT_SPAN_KIND_SERVER, "r", 0, 15000000, -1));
	submit(exp, mk(0x88, 2, 1, "sec2", ZT_SPAN_KIND_CLIENT, "a", 0, 2000000, -1));
	submit(exp, mk(0x88, 3, 1, "ms150", ZT_SPAN_KIND_CLIENT, "b", 0, 150000, -1));
	s = mk(0x88, 4, 1, "grpc", ZT_SPAN_KIND_CLIENT, "c", 0, 12345, -1);
	zt_span_set_int(s, "rpc.grpc.status_code", 14);
	submit(exp, s);
	s = mk(0x88, 5, 1, "db", ZT_SPAN_KIND_CLIENT, "d", 0, 7, -1);
	zt_span_set_str(s, "db.response.status_code", "42P01");
	submit(exp, s);
	exp->flush(exp, 1000);
	out_lines(&o);

	assert_non_null(strstr(o.lines[0], "5 spans  15.00 s"));
	assert_non_null(strstr(o.lines[line_with(&o, "sec15")], "    -    15.00 s |"));
	assert_non_null(strstr(o.lines[line_with(&o, "sec2")], "    -  2000.0 ms |"));
	assert_non_null(strstr(o.lines[line_with(&o, "ms150")], "    -   150.0 ms |"));
	assert_non_null(strstr(o.lines[line_with(&o, "grpc")], "   14   12.35 ms |"));
	assert_non_null(strstr(o.lines[line_with(&o, "db")], "42P01   0.007 ms |"));
	exp->destroy(exp, NULL);
	out_close(&o);
}

/* A trace that keeps getting spans is held back; a quiet one is printed by the timer. */
static void test_quiet_period(void **state)
{
	struct zt_exporter *exp;
	struct out o;
	int i;

	zt_console_quiet_ms = 300;
	out_open(&o);
	exp = zt_console_exporter_new(o.f, 0);
	submit(exp, mk(0x99, 1, 0, "quiet-one", ZT_SPAN_KIND_SERVER, "q", 0, 10, 200));
	submit(exp, mk(0x98, 1, 0, "busy-root", ZT_SPAN_KIND_SERVER, "b", 0, 10, 200));
	for (i = 2; i <= 40; i++) {
		sleep_ms(20);
		submit(exp, mk(0x98, (unsigned int)i, 1, "busy-kid", ZT_SPAN_KIND_CLIENT, "k",
			       (uint64_t)i, (uint64_t)i + 1, 200));
		assert_null(strstr(out_read(&o), "busy-"));
	}
	/* ~800 ms have passed: the quiet trace was printed without any flush. */
	assert_non_null(strstr(out_read(&o), "quiet-one"));
	/* Once the busy trace stops, it is printed whole by the timer alone. */
	for (i = 0; i < 100 && !strstr(out_read(&o), "busy-root"); i++)
		sleep_ms(20);
	out_lines(&o);
	assert_int_equal(count_prefix(&o, "trace "), 2);
	assert_non_null(strstr(o.lines[2], "40 spans"));
	assert_int_equal(line_with(&o, "busy-root"), 3);
	exp->destroy(exp, NULL);
	out_close(&o);
}

/* Over the span budget, the least recently updated trace is printed early. */
static void test_memory_bound_prints_oldest(void **state)
{
	struct zt_exporter_stats st;
	struct zt_exporter *exp;
	struct out o;
	int i;

	zt_console_max_pending = 5;
	out_open(&o);
	exp = zt_console_exporter_new(o.f, 0);
	for (unsigned int id = 1; id <= 3; id++)
		submit(exp, mk(0xa1, id, id - 1, "old", ZT_SPAN_KIND_SERVER, "o", id, 10, 200));
	for (unsigned int id = 1; id <= 3; id++)
		submit(exp, mk(0xa2, id, id - 1, "new", ZT_SPAN_KIND_SERVER, "n", id, 10, 200));
	for (i = 0; i < 100 && !strstr(out_read(&o), "old"); i++)
		sleep_ms(10);
	assert_non_null(strstr(o.text, "trace a1a1"));
	assert_null(strstr(o.text, "new"));
	exp->flush(exp, 1000);
	assert_non_null(strstr(out_read(&o), "trace a2a2"));
	exp->get_stats(exp, &st);
	assert_int_equal(st.spans_ok, 6);
	assert_int_equal(st.spans_failed, 0);
	assert_int_equal(st.requests_ok, 2);
	exp->destroy(exp, NULL);
	out_close(&o);
}

/* The exporter holds a reference until it has printed; stats count printed spans. */
static void test_references_and_stats(void **state)
{
	struct zt_exporter_stats st;
	struct zt_exporter *exp;
	struct zt_span *s;
	struct out o;

	out_open(&o);
	exp = zt_console_exporter_new(o.f, 0);
	s = mk(0xb1, 1, 0, "ref", ZT_SPAN_KIND_SERVER, "r", 0, 10, 200);
	exp->submit(exp, s);
	assert_int_equal(s->refs, 2);
	exp->get_stats(exp, &st);
	assert_int_equal(st.spans_ok, 0);
	submit(exp, mk(0xb1, 2, 1, "ref2", ZT_SPAN_KIND_CLIENT, "r", 1, 9, 200));
	submit(exp, mk(0xb2, 1, 0, "other", ZT_SPAN_KIND_SERVER, "r", 0, 10, 200));
	exp->flush(exp, 1000);
	assert_int_equal(s->refs, 1);
	exp->get_stats(exp, &st);
	assert_int_equal(st.spans_ok, 3);
	assert_int_equal(st.requests_ok, 2);
	assert_int_equal(st.spans_failed, 0);
	zt_span_unref(s);
	exp->destroy(exp, NULL);
	out_close(&o);
}

static void test_destroy_prints_pending(void **state)
{
	struct zt_exporter *exp;
	struct out o;

	out_open(&o);
	exp = zt_console_exporter_new(o.f, 0);
	submit(exp, mk(0xc1, 1, 0, "at-exit", ZT_SPAN_KIND_SERVER, "r", 0, 10, 200));
	assert_string_equal(out_read(&o), "");
	exp->destroy(exp, NULL);
	assert_non_null(strstr(out_read(&o), "at-exit"));
	out_close(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_three_levels_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_children_sorted_by_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orphans_after_roots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_root_and_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_escape_codes_without_colour, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_escape_codes_with_colour, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_marker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_traces_two_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_positions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_extent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncation_keeps_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_characters_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duration_and_status_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet_period, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_bound_prints_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_references_and_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_prints_pending, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
