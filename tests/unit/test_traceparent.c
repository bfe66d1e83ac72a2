/* W3C traceparent parsing/formatting and the hex and ID helpers in src/span.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "zt_span.h"

#define TRACE "0af7651916cd43dd8448eb211c80319c"
#define SPAN "b7ad6b7169203331"
#define VALID "00-" TRACE "-" SPAN "-01"

static const uint8_t trace_bytes[16] = {
	0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd,
	0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c,
};
static const uint8_t span_bytes[8] = { 0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31 };

static int parse(const char *s, struct zt_traceparent *tp)
{
	return zt_traceparent_parse(s, strlen(s), tp);
}

static void test_valid(void **state)
{
	struct zt_traceparent tp;

	(void)state;
	memset(&tp, 0xee, sizeof(tp));
	assert_int_equal(parse(VALID, &tp), 0);
	assert_memory_equal(tp.trace_id, trace_bytes, 16);
	assert_memory_equal(tp.span_id, span_bytes, 8);
	assert_int_equal(tp.flags, 1);
	assert_int_equal(parse("00-" TRACE "-" SPAN "-00", &tp), 0);
	assert_int_equal(tp.flags, 0);
	assert_int_equal(parse("00-" TRACE "-" SPAN "-ff", &tp), 0);
	assert_int_equal(tp.flags, 0xff);
}

static void test_table(void **state)
{
	static const struct {
		const char *s;
		int want;
		const char *why;
	} cases[] = {
		{ VALID, 0, "valid" },
		{ "  \t" VALID " \t", 0, "surrounding whitespace trimmed" },
		{ "01-" TRACE "-" SPAN "-01", 0, "future version, exact length" },
		{ "cc-" TRACE "-" SPAN "-01-what-the-future-holds", 0, "future version, fields" },
		{ "cc-" TRACE "-" SPAN "-01x", -1, "future version, no dash after flags" },
		{ "00-" TRACE "-" SPAN "-01-extra", -1, "version 00 with extra fields" },
		{ "ff-" TRACE "-" SPAN "-01", -1, "version ff forbidden" },
		{ "0A-" TRACE "-" SPAN "-01", -1, "upper-case version" },
		{ "00-0AF7651916CD43DD8448EB211C80319C-" SPAN "-01", -1, "upper-case trace id" },
		{ "00-" TRACE "-B7AD6B7169203331-01", -1, "upper-case span id" },
		{ "00-" TRACE "-" SPAN "-0A", -1, "upper-case flags" },
		{ "00-00000000000000000000000000000000-" SPAN "-01", -1, "zero trace id" },
		{ "00-" TRACE "-0000000000000000-01", -1, "zero span id" },
		{ "00-" TRACE "-" SPAN "-0", -1, "short flags" },
		{ "00-" TRACE "-" SPAN, -1, "no flags" },
		{ "00_" TRACE "-" SPAN "-01", -1, "wrong separator" },
		{ "00-" TRACE "_" SPAN "-01", -1, "wrong separator 2" },
		{ "00-0af7651916cd43dd8448eb211c80319g-" SPAN "-01", -1, "non-hex digit" },
		{ "00-" TRACE "-" SPAN "-0x", -1, "non-hex flags" },
		{ " 00-" TRACE "-" SPAN "-01x", -1, "trailing junk after trimming" },
		{ "", -1, "empty" },
		{ "   ", -1, "blank" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct zt_traceparent tp;
		int got = parse(cases[i].s, &tp);

		if ((got == 0) != (cases[i].want == 0))
			fail_msg("%s: \"%s\" gave %d", cases[i].why, cases[i].s, got);
	}
}

/* The length argument bounds the read: no NUL terminator needed. */
static void test_length_bounded(void **state)
{
	char buf[80];
	struct zt_traceparent tp;

	(void)state;
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, VALID, 55);
	assert_int_equal(zt_traceparent_parse(buf, 55, &tp), 0);
	assert_int_equal(zt_traceparent_parse(buf, 54, &tp), -1);
	assert_int_equal(zt_traceparent_parse(buf, 56, &tp), -1);
}

static void test_format(void **state)
{
	struct zt_traceparent tp = { .flags = 0x03 };
	char out[56];

	(void)state;
	memcpy(tp.trace_id, trace_bytes, 16);
	memcpy(tp.span_id, span_bytes, 8);
	memset(out, 'z', sizeof(out));
	zt_traceparent_format(&tp, out);
	assert_string_equal(out, "00-" TRACE "-" SPAN "-03");
	assert_int_equal(out[55], '\0');
}

static void test_round_trip(void **state)
{
	struct zt_traceparent a, b;
	char out[56];

	(void)state;
	/* Parse -> format gives the input back (version 00). */
	assert_int_equal(parse(VALID, &a), 0);
	zt_traceparent_format(&a, out);
	assert_string_equal(out, VALID);
	/* Random IDs -> format -> parse gives the same IDs. */
	for (int i = 0; i < 100; i++) {
		zt_id_random(a.trace_id, 16);
		zt_id_random(a.span_id, 8);
		a.flags = (uint8_t)i;
		zt_traceparent_format(&a, out);
		assert_int_equal(parse(out, &b), 0);
		assert_memory_equal(a.trace_id, b.trace_id, 16);
		assert_memory_equal(a.span_id, b.span_id, 8);
		assert_int_equal(a.flags, b.flags);
	}
	/* A future version is accepted but formatted as version 00. */
	assert_int_equal(parse("42-" TRACE "-" SPAN "-01-more", &a), 0);
	zt_traceparent_format(&a, out);
	assert_string_equal(out, VALID);
}

static void test_hex(void **state)
{
	static const uint8_t bytes[] = { 0x00, 0x01, 0xab, 0xcd, 0xef, 0xff };
	uint8_t back[6];
	char hex[13];

	(void)state;
	memset(hex, 'z', sizeof(hex));
	zt_hex_encode(bytes, sizeof(bytes), hex);
	assert_string_equal(hex, "0001abcdefff");
	zt_hex_encode(bytes, 0, hex);
	assert_string_equal(hex, "");

	assert_int_equal(zt_hex_decode("0001abcdefff", 12, back, 6), 0);
	assert_memory_equal(back, bytes, 6);
	assert_int_equal(zt_hex_decode("0001ABCDEFFF", 12, back, 6), 0);
	assert_memory_equal(back, bytes, 6);
	assert_int_equal(zt_hex_decode("0001abcdeff", 11, back, 6), -1);
	assert_int_equal(zt_hex_decode("0001abcdefff00", 14, back, 6), -1);
	assert_int_equal(zt_hex_decode("0001abcdefgf", 12, back, 6), -1);
	assert_int_equal(zt_hex_decode("0001abcdef f", 12, back, 6), -1);
	assert_int_equal(zt_hex_decode("", 0, back, 0), 0);
}

static void test_ids(void **state)
{
	static const uint8_t zero[8], one[8] = { [7] = 1 };
	uint8_t id[16];

	(void)state;
	assert_true(zt_id_is_zero(zero, 8));
	assert_false(zt_id_is_zero(one, 8));
	assert_true(zt_id_is_zero(one, 7));
	for (int i = 0; i < 1000; i++) {
		zt_id_random(id, 1);
		assert_false(zt_id_is_zero(id, 1));
	}
	zt_id_random(id, 16);
	assert_false(zt_id_is_zero(id, 16));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_length_bounded),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_ids),
	};

	return cmocka_run_group_tests_name("traceparent", tests, NULL, NULL);
}
