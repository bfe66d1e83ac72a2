/*
 * HPACK decoder: Huffman code, integers, RFC 7541 Appendix C, size updates, eviction,
 * errors, unknown-table state, limits, and header blocks captured from nghttp2 and gRPC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/proto/hpack.h"

#define MAX_FIELDS 256
#define BLOCK_MAX (256 * 1024)

/* ---- harness: fields copied out of the callback ---- */

struct field {
	char *name;
	char *value;
	size_t name_len;
	size_t value_len;
};

static struct field got[MAX_FIELDS];
static int ngot;
static struct zt_hpack *h;
static uint8_t block[BLOCK_MAX];

static void got_clear(void)
{
	for (int i = 0; i < ngot; i++) {
		free(got[i].name);
		free(got[i].value);
	}
	ngot = 0;
}

static char *dup_bytes(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	assert_non_null(d);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static void on_field(void *ctx, const char *name, size_t name_len, const char *value,
		     size_t value_len)
{
	(void)ctx;
	assert_true(ngot < MAX_FIELDS);
	assert_non_null(name);
	assert_non_null(value);
	got[ngot].name = dup_bytes(name, name_len);
	got[ngot].value = dup_bytes(value, value_len);
	got[ngot].name_len = name_len;
	got[ngot].value_len = value_len;
	ngot++;
}

static int setup(void **state)
{
	(void)state;
	h = zt_hpack_new();
	assert_non_null(h);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	got_clear();
	zt_hpack_free(h);
	h = NULL;
	return 0;
}

/* Hex digits, spaces ignored, into `out`; returns the byte count. */
static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v = 0;

		if (*s == ' ' || *s == '\n')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else
			fail_msg("bad hex digit '%c'", *s);
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	assert_int_equal(hi, -1);
	return n;
}

static enum zt_hpack_result decode_bytes(const uint8_t *b, size_t n)
{
	got_clear();
	return zt_hpack_decode(h, b, n, on_field, NULL);
}

static enum zt_hpack_result decode_hex(const char *hex)
{
	return decode_bytes(block, unhex(hex, block));
}

/* Expected "name", "value" pairs, NULL-terminated. */
static void expect_fields(const char *const *want)
{
	int n = 0;

	for (; want[2 * n]; n++) {
		if (n >= ngot)
			fail_msg("missing field %d %s: %s", n, want[2 * n], want[2 * n + 1]);
		assert_int_equal(got[n].name_len, strlen(want[2 * n]));
		assert_int_equal(got[n].value_len, strlen(want[2 * n + 1]));
		assert_string_equal(got[n].name, want[2 * n]);
		assert_string_equal(got[n].value, want[2 * n + 1]);
	}
	assert_int_equal(ngot, n);
}

/* Expected dynamic table, newest first, as "name", "value" pairs, NULL-terminated. */
static void expect_table(const char *const *want, size_t size)
{
	size_t n = 0;

	for (; want[2 * n]; n++) {
		const char *name, *value;
		size_t nl, vl;

		assert_int_equal(zt_hpack_table_entry(h, n, &name, &nl, &value, &vl), 0);
		assert_int_equal(nl, strlen(want[2 * n]));
		assert_int_equal(vl, strlen(want[2 * n + 1]));
		assert_memory_equal(name, want[2 * n], nl);
		assert_memory_equal(value, want[2 * n + 1], vl);
	}
	assert_int_equal(zt_hpack_table_entries(h), n);
	assert_int_equal(zt_hpack_table_entry(h, n, NULL, NULL, NULL, NULL), -1);
	assert_int_equal(zt_hpack_table_size(h), size);
}

/* ---- a small encoder, for building blocks ---- */

struct enc {
	uint8_t *p;
	size_t n;
};

static void enc_int(struct enc *e, uint8_t flags, uint32_t prefix_bits, uint64_t v)
{
	uint32_t max = (1u << prefix_bits) - 1;

	if (v < max) {
		e->p[e->n++] = (uint8_t)(flags | v);
		return;
	}
	e->p[e->n++] = (uint8_t)(flags | max);
	v -= max;
	while (v >= 128) {
		e->p[e->n++] = (uint8_t)(0x80 | (v & 0x7f));
		v >>= 7;
	}
	e->p[e->n++] = (uint8_t)v;
}

/* Huffman-encode s into out; returns the length. */
static size_t huff_encode(const uint8_t *s, size_t len, uint8_t *out)
{
	uint64_t acc = 0;
	uint32_t bits = 0;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		const struct zt_hpack_huff_code *c = &zt_hpack_huff_codes[s[i]];

		acc = acc << c->len | c->code;
		bits += c->len;
		while (bits >= 8) {
			out[n++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	if (bits)
		out[n++] = (uint8_t)(acc << (8 - bits) | (0xff >> bits));
	return n;
}

static void enc_str(struct enc *e, const void *s, size_t len, bool huffman)
{
	static uint8_t tmp[BLOCK_MAX];

	if (huffman) {
		size_t n = huff_encode(s, len, tmp);

		enc_int(e, 0x80, 7, n);
		memcpy(e->p + e->n, tmp, n);
		e->n += n;
	} else {
		enc_int(e, 0, 7, len);
		memcpy(e->p + e->n, s, len);
		e->n += len;
	}
}

/* Literal with incremental indexing and a literal name. */
static void enc_literal(struct enc *e, const char *name, const char *value, bool huffman)
{
	enc_int(e, 0x40, 6, 0);
	enc_str(e, name, strlen(name), huffman);
	enc_str(e, value, strlen(value), huffman);
}

/* ---- Huffman ---- */

static void test_huffman_code_complete_and_canonical(void **state)
{
	uint64_t kraft = 0;
	uint32_t prev_code = 0, prev_len = 0;
	bool first = true;

	(void)state;
	for (int sym = 0; sym <= 256; sym++) {
		uint32_t len = zt_hpack_huff_codes[sym].len;

		assert_in_range(len, 5, 30);
		assert_true(zt_hpack_huff_codes[sym].code < (1u << len));
		kraft += 1ull << (30 - len);
	}
	assert_int_equal(kraft, 1ull << 30);
	/* Canonical: by (length, symbol), each code is the previous one plus one, shifted. */
	for (uint32_t len = 5; len <= 30; len++) {
		for (int sym = 0; sym <= 256; sym++) {
			uint32_t code;

			if (zt_hpack_huff_codes[sym].len != len)
				continue;
			code = zt_hpack_huff_codes[sym].code;
			if (!first)
				assert_int_equal(code, (prev_code + 1) << (len - prev_len));
			first = false;
			prev_code = code;
			prev_len = len;
		}
	}
	/* Spot checks against RFC 7541 Appendix B. */
	assert_int_equal(zt_hpack_huff_codes['0'].code, 0x0);
	assert_int_equal(zt_hpack_huff_codes['/'].code, 0x18);
	assert_int_equal(zt_hpack_huff_codes['/'].len, 6);
	assert_int_equal(zt_hpack_huff_codes[256].code, 0x3fffffff);
	assert_int_equal(zt_hpack_huff_codes[256].len, 30);
}

static void test_huffman_rfc_strings(void **state)
{
	static const struct {
		const char *hex;
		const char *text;
	} cases[] = {
		{ "f1e3c2e5f23a6ba0ab90f4ff", "www.example.com" },
		{ "a8eb10649cbf", "no-cache" },
		{ "25a849e95ba97d7f", "custom-key" },
		{ "25a849e95bb8e8b4bf", "custom-value" },
		{ "6402", "302" },
		{ "aec3771a4b", "private" },
		{ "d07abe941054d444a8200595040b8166e082a62d1bff", "Mon, 21 Oct 2013 20:13:21 GMT" },
		{ "9d29ad171863c78f0b97c8e9ae82ae43d3", "https://www.example.com" },
		{ "640eff", "307" },
		{ "9bd9ab", "gzip" },
		{ "94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
		  "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1" },
		{ "", "" },
	};
	uint8_t in[128], out[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = unhex(cases[i].hex, in);
		ssize_t got_len = zt_hpack_huff_decode(in, n, out, sizeof(out));

		assert_int_equal(got_len, strlen(cases[i].text));
		assert_memory_equal(out, cases[i].text, got_len);
	}
}

static void test_huffman_roundtrip_every_symbol(void **state)
{
	static uint8_t text[4096], enc[4096 * 4], out[4096];

	(void)state;
	/* Each byte value alone, then runs mixing short and long codes. */
	for (int b = 0; b < 256; b++) {
		uint8_t c = (uint8_t)b;
		size_t n = huff_encode(&c, 1, enc);

		assert_int_equal(zt_hpack_huff_decode(enc, n, out, sizeof(out)), 1);
		assert_int_equal(out[0], c);
	}
	srand(7541);
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(rand() % 300);
		size_t n;

		for (size_t i = 0; i < len; i++)
			text[i] = (uint8_t)(rand() % 3 ? 'a' + rand() % 26 : rand() % 256);
		n = huff_encode(text, len, enc);
		assert_int_equal(zt_hpack_huff_decode(enc, n, out, sizeof(out)), len);
		assert_memory_equal(out, text, len);
	}
}

static void test_huffman_padding_and_eos(void **state)
{
	/* "a" is 00011: three bits of padding follow. */
	static const struct {
		const char *hex;
		ssize_t want;
	} cases[] = {
		{ "1f", 1 },		/* a + 111 */
		{ "18", -1 },		/* a + 000: padding is not EOS's ones */
		{ "1e", -1 },		/* a + 110 */
		{ "1fff", -1 },		/* a + 11 ones: padding over 7 bits */
		{ "ff", -1 },		/* 8 bits of padding alone */
		{ "fe", -1 },		/* 8 bits that start a longer code */
		{ "18c631ff", 5 },	/* aaaaa (25 bits) + 7 ones: the most padding allowed */
		{ "18c631", -1 },	/* aaaa + 0001 */
		{ "ffffffff", -1 },	/* EOS (30 ones) inside the string */
		{ "fffffffc", -1 },	/* EOS then 00 */
		{ "00", -1 },		/* '0' + 000 */
		{ "003e", -1 },		/* '0' '0' + 111110: padding not all ones */
		{ "0003", 3 },		/* '0' '0' '1' + 1 */
	};
	uint8_t in[16], out[16];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = unhex(cases[i].hex, in);
		ssize_t want = cases[i].want;

		if (zt_hpack_huff_decode(in, n, out, sizeof(out)) != want)
			fail_msg("case %zu (%s): want %zd", i, cases[i].hex, want);
	}
}

static void test_huffman_cap(void **state)
{
	uint8_t in[64], out[8];
	size_t n = unhex("f1e3c2e5f23a6ba0ab90f4ff", in);

	(void)state;
	memset(out, 0, sizeof(out));
	/* The full length comes back; only `cap` bytes are written. */
	assert_int_equal(zt_hpack_huff_decode(in, n, out, 4), 15);
	assert_memory_equal(out, "www.\0\0\0\0", 8);
	assert_int_equal(zt_hpack_huff_decode(in, n, NULL, 0), 15);
}

/* ---- integers (C.1) ---- */

static void test_integers(void **state)
{
	(void)state;
	/* C.1.1: 10 in a 5-bit prefix, as a size update. */
	assert_int_equal(decode_hex("2a"), ZT_HPACK_OK);
	assert_int_equal(zt_hpack_max_size(h), 10);
	/* C.1.2: 1337 in a 5-bit prefix. */
	assert_int_equal(decode_hex("3f9a0a"), ZT_HPACK_OK);
	assert_int_equal(zt_hpack_max_size(h), 1337);
	/* Prefix value exactly 2^N-1: one zero continuation byte. */
	assert_int_equal(decode_hex("3f00"), ZT_HPACK_OK);
	assert_int_equal(zt_hpack_max_size(h), 31);
	/* The largest 32-bit value, with settings allowing it. */
	zt_hpack_set_max_size(h, UINT32_MAX);
	assert_int_equal(decode_hex("3fe0ffffff0f"), ZT_HPACK_OK);
	assert_int_equal(zt_hpack_max_size(h), UINT32_MAX);
	/* One more overflows 32 bits. */
	assert_int_equal(decode_hex("3fe1ffffff0f"), ZT_HPACK_ERROR);
	/* Six continuation bytes, even of zeros. */
	assert_int_equal(decode_hex("3f808080808000"), ZT_HPACK_ERROR);
	/* Truncated: the continuation bit set on the last byte. */
	assert_int_equal(decode_hex("3f9a"), ZT_HPACK_ERROR);
	assert_int_equal(decode_hex("ff"), ZT_HPACK_ERROR);
	assert_int_equal(decode_hex("ff80"), ZT_HPACK_ERROR);
}

/* ---- RFC 7541 C.2 ---- */

static void test_c2_1_literal_with_indexing(void **state)
{
	(void)state;
	assert_int_equal(decode_hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"),
			 ZT_HPACK_OK);
	expect_fields((const char *const[]){ "custom-key", "custom-header", NULL });
	expect_table((const char *const[]){ "custom-key", "custom-header", NULL }, 55);
}

static void test_c2_2_literal_without_indexing(void **state)
{
	(void)state;
	assert_int_equal(decode_hex("040c 2f73 616d 706c 652f 7061 7468"), ZT_HPACK_OK);
	expect_fields((const char *const[]){ ":path", "/sample/path", NULL });
	expect_table((const char *const[]){ NULL }, 0);
}

static void test_c2_3_never_indexed(void **state)
{
	(void)state;
	assert_int_equal(decode_hex("1008 7061 7373 776f 7264 0673 6563 7265 74"), ZT_HPACK_OK);
	expect_fields((const char *const[]){ "password", "secret", NULL });
	expect_table((const char *const[]){ NULL }, 0);
}

static void test_c2_4_indexed(void **state)
{
	(void)state;
	assert_int_equal(decode_hex("82"), ZT_HPACK_OK);
	expect_fields((const char *const[]){ ":method", "GET", NULL });
	expect_table((const char *const[]){ NULL }, 0);
}

/* ---- RFC 7541 C.3 to C.6 ---- */

static const char *const req1[] = {
	":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com", NULL,
};
static const char *const req2[] = {
	":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com",
	"cache-control", "no-cache", NULL,
};
static const char *const req3[] = {
	":method", "GET", ":scheme", "https", ":path", "/index.html", ":authority",
	"www.example.com", "custom-key", "custom-value", NULL,
};
static const char *const req_table1[] = { ":authority", "www.example.com", NULL };
static const char *const req_table2[] = {
	"cache-control", "no-cache", ":authority", "www.example.com", NULL,
};
static const char *const req_table3[] = {
	"custom-key", "custom-value", "cache-control", "no-cache", ":authority", "www.example.com",
	NULL,
};

static void run_requests(const char *const hex[3])
{
	assert_int_equal(decode_hex(hex[0]), ZT_HPACK_OK);
	expect_fields(req1);
	expect_table(req_table1, 57);
	assert_int_equal(decode_hex(hex[1]), ZT_HPACK_OK);
	expect_fields(req2);
	expect_table(req_table2, 110);
	assert_int_equal(decode_hex(hex[2]), ZT_HPACK_OK);
	expect_fields(req3);
	expect_table(req_table3, 164);
	assert_true(zt_hpack_table_complete(h));
}

static const char *const c3[3] = {
	"8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
	"8286 84be 5808 6e6f 2d63 6163 6865",
	"8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
};

static void test_c3_requests(void **state)
{
	(void)state;
	run_requests(c3);
}

static void test_c4_requests_huffman(void **state)
{
	static const char *const c4[3] = {
		"8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
		"8286 84be 5886 a8eb 1064 9cbf",
		"8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
	};

	(void)state;
	run_requests(c4);
}

static const char *const resp1[] = {
	":status", "302", "cache-control", "private", "date", "Mon, 21 Oct 2013 20:13:21 GMT",
	"location", "https://www.example.com", NULL,
};
static const char *const resp2[] = {
	":status", "307", "cache-control", "private", "date", "Mon, 21 Oct 2013 20:13:21 GMT",
	"location", "https://www.example.com", NULL,
};
static const char *const resp3[] = {
	":status", "200", "cache-control", "private", "date", "Mon, 21 Oct 2013 20:13:22 GMT",
	"location", "https://www.example.com", "content-encoding", "gzip", "set-cookie",
	"foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1", NULL,
};
static const char *const resp_table1[] = {
	"location", "https://www.example.com", "date", "Mon, 21 Oct 2013 20:13:21 GMT",
	"cache-control", "private", ":status", "302", NULL,
};
static const char *const resp_table2[] = {
	":status", "307", "location", "https://www.example.com", "date",
	"Mon, 21 Oct 2013 20:13:21 GMT", "cache-control", "private", NULL,
};
static const char *const resp_table3[] = {
	"set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
	"content-encoding", "gzip", "date", "Mon, 21 Oct 2013 20:13:22 GMT", NULL,
};

/* The RFC's responses use SETTINGS_HEADER_TABLE_SIZE 256: the encoder says so first. */
static void run_responses(const char *const hex[3])
{
	zt_hpack_set_max_size(h, 256);
	assert_int_equal(decode_hex("3fe101"), ZT_HPACK_OK);
	assert_int_equal(zt_hpack_max_size(h), 256);
	assert_int_equal(decode_hex(hex[0]), ZT_HPACK_OK);
	expect_fields(resp1);
	expect_table(resp_table1, 222);
	assert_int_equal(decode_hex(hex[1]), ZT_HPACK_OK);
	expect_fields(resp2);
	expect_table(resp_table2, 222);
	assert_int_equal(decode_hex(hex[2]), ZT_HPACK_OK);
	expect_fields(resp3);
	expect_table(resp_table3, 215);
	assert_true(zt_hpack_table_complete(h));
}

static void test_c5_responses(void **state)
{
	static const char *const c5[3] = {
		"4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133"
		"2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70"
		"6c65 2e63 6f6d",
		"4803 3330 37c1 c0bf",
		"88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d"
		"54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049"
		"5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e"
		"3d31",
	};

	(void)state;
	run_responses(c5);
}

static void test_c6_responses_huffman(void **state)
{
	static const char *const c6[3] = {
		"4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6"
		"2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
		"4883 640e ffc1 c0bf",
		"88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab"
		"77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f"
		"9587 3160 65c0 03ed 4ee5 b106 3d50 07",
	};

	(void)state;
	run_responses(c6);
}

/* ---- static table ---- */

static void test_static_table(void **state)
{
	static const char *const want[61][2] = {
		{ ":authority", "" }, { ":method", "GET" }, { ":method", "POST" }, { ":path", "/" },
		{ ":path", "/index.html" }, { ":scheme", "http" }, { ":scheme", "https" },
		{ ":status", "200" }, { ":status", "204" }, { ":status", "206" },
		{ ":status", "304" }, { ":status", "400" }, { ":status", "404" },
		{ ":status", "500" }, { "accept-charset", "" },
		{ "accept-encoding", "gzip, deflate" }, { "accept-language", "" },
		{ "accept-ranges", "" }, { "accept", "" }, { "access-control-allow-origin", "" },
		{ "age", "" }, { "allow", "" }, { "authorization", "" }, { "cache-control", "" },
		{ "content-disposition", "" }, { "content-encoding", "" },
		{ "content-language", "" }, { "content-length", "" }, { "content-location", "" },
		{ "content-range", "" }, { "content-type", "" }, { "cookie", "" }, { "date", "" },
		{ "etag", "" }, { "expect", "" }, { "expires", "" }, { "from", "" },
		{ "host", "" }, { "if-match", "" }, { "if-modified-since", "" },
		{ "if-none-match", "" }, { "if-range", "" }, { "if-unmodified-since", "" },
		{ "last-modified", "" }, { "link", "" }, { "location", "" },
		{ "max-forwards", "" }, { "proxy-authenticate", "" },
		{ "proxy-authorization", "" }, { "range", "" }, { "referer", "" },
		{ "refresh", "" }, { "retry-after", "" }, { "server", "" }, { "set-cookie", "" },
		{ "strict-transport-security", "" }, { "transfer-encoding", "" },
		{ "user-agent", "" }, { "vary", "" }, { "via", "" }, { "www-authenticate", "" },
	};

	(void)state;
	for (int i = 0; i < 61; i++)
		block[i] = (uint8_t)(0x80 | (i + 1));
	assert_int_equal(decode_bytes(block, 61), ZT_HPACK_OK);
	assert_int_equal(ngot, 61);
	for (int i = 0; i < 61; i++) {
		assert_string_equal(got[i].name, want[i][0]);
		assert_string_equal(got[i].value, want[i][1]);
	}
	/* Index 62 does not exist in an empty, complete table. */
	assert_int_equal(decode_hex("be"), ZT_HPACK_ERROR);
}

/* ---- eviction ---- */

static void test_eviction(void **state)
{
	struct enc e = { block, 0 };
	char v[256];

	(void)state;
	zt_hpack_set_max_size(h, 200);
	/* Three 32+1+40 = 73-byte entries do not fit in 200: the first goes. */
	enc_int(&e, 0x20, 5, 200);
	memset(v, 'x', 40);
	v[40] = '\0';
	for (char c = 'a'; c <= 'c'; c++) {
		char name[2] = { c, 0 };

		enc_literal(&e, name, v, c == 'b');
	}
	assert_int_equal(decode_bytes(block, e.n), ZT_HPACK_OK);
	assert_int_equal(ngot, 3);
	expect_table((const char *const[]){ "c", v, "b", v, NULL }, 146);
	/* 62 is the newest. */
	assert_int_equal(decode_hex("be bf"), ZT_HPACK_OK);
	expect_fields((const char *const[]){ "c", v, "b", v, NULL });
	/* An entry larger than the table empties it and is not added; the field still decodes. */
	e.n = 0;
	memset(v, 'y', 180);
	v[180] = '\0';
	enc_literal(&e, "big", v, true);
	assert_int_equal(decode_bytes(block, e.n), ZT_HPACK_OK);
	expect_fields((const char *const[]){ "big", v, NULL });
	expect_table((const char *const[]){ NULL }, 0);
	assert_true(zt_hpack_table_complete(h));
	/* An entry of exactly the table's size fits alone. */
	e.n = 0;
	memset(v, 'z', 200 - 32 - 3);
	v[200 - 32 - 3] = '\0';
	enc_literal(&e, "fit", v, false);
	assert_int_equal(decode_bytes(block, e.n), ZT_HPACK_OK);
	expect_table((const char *const[]){ "fit", v, NULL }, 200);
}

/* RFC 7541 4.4: the new entry's name comes from the entry its insertion evicts. */
static void test_eviction_of_referenced_name(void **state)
{
	struct enc e = { block, 0 };
	char v[128];

	(void)state;
	zt_hpack_set_max_size(h, 100);
	enc_int(&e, 0x20, 5, 100);
	enc_literal(&e, "x-name", "first-value-with-some-length", false);
	assert_int_equal(decode_bytes(block, e.n), ZT_HPACK_OK);
	assert_int_equal(zt_hpack_table_size(h), 32 + 6 + 28);
	/* Literal with indexing, name = index 62, a value that needs all 100 bytes. */
	e.n = 0;
	memset(v, 'v', 100 - 32 - 6);
	v[100 - 32 - 6] = '\0';
	enc_int(&e, 0x40, 6, 62);
	enc_str(&e, v, strlen(v), true);
	assert_int_equal(decode_bytes(block, e.n), ZT_HPACK_OK);
	expect_fields((const char *const[]){ "x-name", v, NULL });
	expect_table((const char *const[]){ "x-name", v, NULL }, 100);
}

/* ---- size updates ---- */

static void test_size_updates(void **state)
{
	(void)state;
	run_requests(c3);
	/* Two updates open a block: down to 0 (table emptied), then back up. */
	assert_int_equal(decode_hex("20 3fe11f 82"), ZT_HPACK_OK);
	expect_fields((const char *const[]){ ":method", "GET", NULL });
	expect_table((const char *const[]){ NULL }, 0);
	assert_int_equal(zt_hpack_max_size(h), 4096);
	/* Shrinking evicts the oldest entries at once. */
	run_requests(c3);
	assert_int_equal(decode_hex("3f5f"), ZT_HPACK_OK);	/* 126 */
	expect_table((const char *const[]){ "custom-key", "custom-value", "cache-control",
					    "no-cache", NULL }, 107);
	assert_true(zt_hpack_table_complete(h));
	/* Settings alone do not change the table's size; larger ones allow larger tables. */
	zt_hpack_set_max_size(h, 65536);
	assert_int_equal(zt_hpack_max_size(h), 126);
	assert_int_equal(decode_hex("3fe1ff03"), ZT_HPACK_OK);	/* 65536 */
	assert_int_equal(zt_hpack_max_size(h), 65536);
	assert_true(zt_hpack_table_complete(h));
	/* Above the settings value. */
	zt_hpack_set_max_size(h, 100);
	assert_int_equal(decode_hex("3f5f"), ZT_HPACK_ERROR);	/* 126 > 100 */
	/* After a field. */
	zt_hpack_free(h);
	h = zt_hpack_new();
	assert_int_equal(decode_hex("82 3f5f"), ZT_HPACK_ERROR);
}

/* ---- malformed blocks ---- */

static void test_errors(void **state)
{
	static const char *const bad[] = {
		"80",			/* index 0 */
		"be",			/* dynamic index on an empty table */
		"ff80808080",		/* index integer truncated */
		"7e 03 616263",		/* literal name index 62 on an empty table */
		"40",			/* literal without its name string */
		"40 05 6162",		/* name longer than the block */
		"40 01 61",		/* value missing */
		"40 01 61 85 6162",	/* value longer than the block */
		"04 88 ffffffff ffffffff",	/* EOS in a Huffman value */
		"04 82 1fff",		/* Huffman padding over 7 bits */
		"04 81 18",		/* Huffman padding not all ones */
		"00 81 00 00",		/* Huffman name with bad padding */
		"82 20",		/* size update after a field */
		"3fe21f",		/* size update over the settings */
		"10 7f",		/* never-indexed literal, length truncated */
		"7f",			/* indexed literal, name index truncated */
		"1f 80",		/* never-indexed literal, name index truncated */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		zt_hpack_free(h);
		h = zt_hpack_new();
		if (decode_hex(bad[i]) != ZT_HPACK_ERROR)
			fail_msg("block %zu (%s) not refused", i, bad[i]);
		/* After an error the table is unknown: references to it are skipped. */
		assert_false(zt_hpack_table_complete(h));
		assert_int_equal(decode_hex("be 82"), ZT_HPACK_PARTIAL);
		expect_fields((const char *const[]){ ":method", "GET", NULL });
	}
	/* Fields before the error were delivered. */
	zt_hpack_free(h);
	h = zt_hpack_new();
	assert_int_equal(decode_hex("82 86 80"), ZT_HPACK_ERROR);
	expect_fields((const char *const[]){ ":method", "GET", ":scheme", "http", NULL });
}

/* ---- unknown table ---- */

static void test_unknown_start_skips(void **state)
{
	(void)state;
	zt_hpack_free(h);
	h = zt_hpack_new_unknown();
	assert_false(zt_hpack_table_complete(h));
	/* The static table is known; index 62 is not. */
	assert_int_equal(decode_hex("82 be 84"), ZT_HPACK_PARTIAL);
	expect_fields((const char *const[]){ ":method", "GET", ":path", "/", NULL });
	/* A literal name from an unknown entry: the field is skipped too. */
	assert_int_equal(decode_hex("0f30 03 616263"), ZT_HPACK_PARTIAL);	/* index 63 */
	assert_int_equal(ngot, 0);
	/* Entries added from now on are known, at the newest indexes. */
	assert_int_equal(decode_hex(c3[0]), ZT_HPACK_OK);
	expect_fields(req1);
	assert_int_equal(decode_hex(c3[1]), ZT_HPACK_OK);
	expect_fields(req2);
	expect_table(req_table2, 110);
	/* 62, 63 are ours; 64 is older than anything we saw. */
	assert_int_equal(decode_hex("be bf c0"), ZT_HPACK_PARTIAL);
	expect_fields((const char *const[]){ "cache-control", "no-cache", ":authority",
					     "www.example.com", NULL });
}

/* An indexed literal whose name we never saw still takes an index. */
static void test_unknown_placeholder_keeps_indexes(void **state)
{
	(void)state;
	zt_hpack_free(h);
	h = zt_hpack_new_unknown();
	assert_int_equal(decode_hex(c3[0]), ZT_HPACK_OK);	/* 62 = :authority */
	/* Literal with indexing, name index 63 (unknown), value "v1". */
	assert_int_equal(decode_hex("7f00 02 7631"), ZT_HPACK_PARTIAL);
	assert_int_equal(ngot, 0);
	assert_int_equal(zt_hpack_table_entries(h), 2);
	assert_int_equal(zt_hpack_table_entry(h, 0, NULL, NULL, NULL, NULL), 1);
	/* 62 is the placeholder (skipped), 63 the earlier known entry. */
	assert_int_equal(decode_hex("be bf"), ZT_HPACK_PARTIAL);
	expect_fields((const char *const[]){ ":authority", "www.example.com", NULL });
	/* A literal naming the placeholder is skipped, and adds another one. */
	assert_int_equal(decode_hex("7e 02 7632 bf c0"), ZT_HPACK_PARTIAL);
	expect_fields((const char *const[]){ ":authority", "www.example.com", NULL });
	assert_int_equal(zt_hpack_table_entries(h), 3);
}

static void test_forget(void **state)
{
	(void)state;
	run_requests(c3);
	zt_hpack_forget(h);
	assert_false(zt_hpack_table_complete(h));
	assert_int_equal(zt_hpack_table_entries(h), 0);
	assert_int_equal(zt_hpack_table_size(h), 0);
	/* The third request refers to 63 (:authority): skipped, the rest decodes. */
	assert_int_equal(decode_hex(c3[2]), ZT_HPACK_PARTIAL);
	expect_fields((const char *const[]){ ":method", "GET", ":scheme", "https", ":path",
					     "/index.html", "custom-key", "custom-value", NULL });
	expect_table((const char *const[]){ "custom-key", "custom-value", NULL }, 54);
	assert_false(zt_hpack_table_complete(h));
}

/* Size updates tell what the unknown table can still hold. */
static void test_unknown_becomes_complete(void **state)
{
	struct enc e = { block, 0 };
	char v[64];

	(void)state;
	/* An update to 0 empties the encoder's table: everything is known again. */
	zt_hpack_forget(h);
	assert_int_equal(decode_hex("20 82"), ZT_HPACK_OK);
	assert_true(zt_hpack_table_complete(h));
	assert_int_equal(decode_hex("be"), ZT_HPACK_ERROR);

	/* An update to 100, then a 70-byte entry: no other entry (>= 32 bytes) fits. */
	zt_hpack_forget(h);
	memset(v, 'q', 37);
	v[37] = '\0';
	enc_int(&e, 0x20, 5, 100);
	enc_literal(&e, "x", v, false);
	assert_int_equal(decode_bytes(block, e.n), ZT_HPACK_OK);
	assert_int_equal(zt_hpack_table_size(h), 70);
	assert_true(zt_hpack_table_complete(h));

	/* Evicting one of our entries under a known maximum evicts everything older. */
	zt_hpack_forget(h);
	e.n = 0;
	enc_int(&e, 0x20, 5, 150);
	enc_literal(&e, "a", "1", false);	/* 34 */
	assert_int_equal(decode_bytes(block, e.n), ZT_HPACK_OK);
	assert_false(zt_hpack_table_complete(h));
	e.n = 0;
	enc_literal(&e, "b", v, false);		/* 70 */
	enc_literal(&e, "c", v, false);		/* 70: 34 + 70 + 70 > 150 evicts "a" */
	assert_int_equal(decode_bytes(block, e.n), ZT_HPACK_OK);
	assert_true(zt_hpack_table_complete(h));
	expect_table((const char *const[]){ "c", v, "b", v, NULL }, 140);
}

/*
 * With an assumed maximum nothing is inferred: entries evicted under it may still be in
 * the encoder's larger table, so references past ours are skipped, not errors.
 */
static void test_unknown_assumed_maximum(void **state)
{
	struct enc e = { block, 0 };
	char v[1100];

	(void)state;
	zt_hpack_free(h);
	h = zt_hpack_new_unknown();
	assert_int_equal(zt_hpack_max_size(h), 4096);
	memset(v, 'w', 1000);
	v[1000] = '\0';
	for (int i = 0; i < 5; i++) {
		char name[8];

		snprintf(name, sizeof(name), "n%d", i);
		enc_literal(&e, name, v, false);
	}
	/* 1034 bytes each: three fit in the assumed 4096. */
	assert_int_equal(decode_bytes(block, e.n), ZT_HPACK_OK);
	assert_int_equal(zt_hpack_table_entries(h), 3);
	assert_false(zt_hpack_table_complete(h));
	assert_int_equal(decode_hex("c0 c1"), ZT_HPACK_PARTIAL);	/* 64: n2, 65: dropped */
	assert_int_equal(ngot, 1);
	assert_string_equal(got[0].name, "n2");
	/* Size updates are not bounded before settings are seen... */
	assert_int_equal(decode_hex("3fe1ff03"), ZT_HPACK_OK);
	assert_int_equal(zt_hpack_max_size(h), 65536);
	/* ...and are once they are. */
	zt_hpack_set_max_size(h, 8192);
	assert_int_equal(decode_hex("3fe1ff03"), ZT_HPACK_ERROR);
	/* After the loss the maximum is assumed again, within the settings... */
	assert_int_equal(zt_hpack_max_size(h), 8192);
	/* ...and new settings replace the assumption. */
	zt_hpack_set_max_size(h, 2048);
	assert_int_equal(zt_hpack_max_size(h), 2048);
}

/* ---- limits ---- */

static void test_long_strings(void **state)
{
	static char big[100 * 1024];
	struct enc e = { block, 0 };

	(void)state;
	/* A raw value of 100 KiB is handed over in place. */
	memset(big, 'r', sizeof(big) - 1);
	enc_int(&e, 0x00, 4, 58);	/* user-agent, without indexing */
	enc_str(&e, big, sizeof(big) - 1, false);
	assert_int_equal(decode_bytes(block, e.n), ZT_HPACK_OK);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].value_len, sizeof(big) - 1);
	/* A Huffman value decoding to over 64 KiB is skipped; the next field is not. */
	e.n = 0;
	enc_int(&e, 0x40, 6, 58);	/* user-agent, with indexing */
	enc_str(&e, big, ZT_HPACK_STRING_MAX + 1, true);
	enc_int(&e, 0x80, 7, 2);
	assert_int_equal(decode_bytes(block, e.n), ZT_HPACK_PARTIAL);
	expect_fields((const char *const[]){ ":method", "GET", NULL });
	/* Its entry was larger than the table: the table is empty and known. */
	expect_table((const char *const[]){ NULL }, 0);
	assert_true(zt_hpack_table_complete(h));
	/* Exactly 64 KiB is delivered. */
	e.n = 0;
	enc_int(&e, 0x00, 4, 58);
	enc_str(&e, big, ZT_HPACK_STRING_MAX, true);
	assert_int_equal(decode_bytes(block, e.n), ZT_HPACK_OK);
	assert_int_equal(got[0].value_len, ZT_HPACK_STRING_MAX);
	/* With a table larger than our memory bound, such an entry hides what is older. */
	zt_hpack_set_max_size(h, 1 << 20);
	e.n = 0;
	enc_int(&e, 0x20, 5, 1 << 20);
	enc_literal(&e, "a", "b", false);
	enc_int(&e, 0x40, 6, 58);
	enc_str(&e, big, ZT_HPACK_STRING_MAX + 1, true);
	enc_literal(&e, "c", "d", false);
	assert_int_equal(decode_bytes(block, e.n), ZT_HPACK_PARTIAL);
	expect_table((const char *const[]){ "c", "d", NULL }, 34);
	assert_false(zt_hpack_table_complete(h));
	assert_int_equal(decode_hex("be bf c0"), ZT_HPACK_PARTIAL);	/* 63 big, 64 "a" */
	expect_fields((const char *const[]){ "c", "d", NULL });
}

/* A peer allowing a huge table: we keep the newest 64 KiB and skip what is older. */
static void test_memory_bound(void **state)
{
	struct enc e = { block, 0 };
	char v[1024];

	(void)state;
	zt_hpack_set_max_size(h, 1 << 20);
	enc_int(&e, 0x20, 5, 1 << 20);
	memset(v, 'm', 1000);
	v[1000] = '\0';
	for (int i = 0; i < 100; i++) {
		char name[8];

		snprintf(name, sizeof(name), "k%02d", i);
		enc_literal(&e, name, v, i % 2);
	}
	assert_int_equal(decode_bytes(block, e.n), ZT_HPACK_OK);
	assert_int_equal(ngot, 100);
	assert_true(zt_hpack_table_size(h) <= ZT_HPACK_TABLE_MEM_MAX);
	assert_int_equal(zt_hpack_table_entries(h), ZT_HPACK_TABLE_MEM_MAX / (32 + 3 + 1000));
	assert_false(zt_hpack_table_complete(h));
	/* 62 is k99; the 100th newest (k00) was dropped: skipped, not an error. */
	e.n = 0;
	enc_int(&e, 0x80, 7, 62);
	enc_int(&e, 0x80, 7, 62 + 99);
	assert_int_equal(decode_bytes(block, e.n), ZT_HPACK_PARTIAL);
	assert_int_equal(ngot, 1);
	assert_string_equal(got[0].name, "k99");
}

/*
 * A model encoder drives thousands of random operations: literals with and without
 * indexing, indexed fields, names taken from the table, size updates. The decoder must
 * give the model's fields and hold the model's table, which exercises arena compaction
 * and ring wrap-around.
 */
struct model_entry {
	char name[48];
	char value[400];
};

static struct model_entry model[200];
static int model_n;
static uint32_t model_size, model_max;

static uint32_t model_entry_size(const struct model_entry *m)
{
	return 32 + (uint32_t)strlen(m->name) + (uint32_t)strlen(m->value);
}

static void model_add(const char *name, const char *value)
{
	struct model_entry m;
	uint32_t s;

	snprintf(m.name, sizeof(m.name), "%s", name);
	snprintf(m.value, sizeof(m.value), "%s", value);
	s = model_entry_size(&m);
	while (model_n && model_size + s > model_max)
		model_size -= model_entry_size(&model[--model_n]);
	if (s > model_max)
		return;
	memmove(&model[1], &model[0], sizeof(model[0]) * model_n);
	model[0] = m;
	model_n++;
	model_size += s;
}

static void random_text(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s[i] = (char)(rand() % 4 ? 'a' + rand() % 26 : ' ' + rand() % 95);
	s[n] = '\0';
}

static void test_model_random_blocks(void **state)
{
	static char want_names[64][48], want_values[64][400];

	(void)state;
	srand(4096);
	zt_hpack_set_max_size(h, 8192);
	model_n = 0;
	model_size = 0;
	model_max = 4096;
	for (int round = 0; round < 3000; round++) {
		struct enc e = { block, 0 };
		int nwant = 0;

		if (rand() % 50 == 0) {
			model_max = (uint32_t)(rand() % 8193);
			enc_int(&e, 0x20, 5, model_max);
			while (model_n && model_size > model_max)
				model_size -= model_entry_size(&model[--model_n]);
		}
		for (int f = rand() % 12; f >= 0; f--) {
			int op = rand() % 4;
			char name[48], value[400];

			if (op == 0 && model_n) {
				int i = rand() % model_n;

				enc_int(&e, 0x80, 7, 62 + i);
				snprintf(name, sizeof(name), "%s", model[i].name);
				snprintf(value, sizeof(value), "%s", model[i].value);
			} else if (op == 1 && model_n) {
				int i = rand() % model_n;

				snprintf(name, sizeof(name), "%s", model[i].name);
				random_text(value, (size_t)(rand() % 300));
				enc_int(&e, 0x40, 6, 62 + i);
				enc_str(&e, value, strlen(value), rand() % 2);
				model_add(name, value);
			} else if (op == 2) {
				random_text(name, 1 + (size_t)(rand() % 40));
				random_text(value, (size_t)(rand() % 390));
				enc_literal(&e, name, value, rand() % 2);
				model_add(name, value);
			} else {
				random_text(name, 1 + (size_t)(rand() % 40));
				random_text(value, (size_t)(rand() % 100));
				enc_int(&e, rand() % 2 ? 0x10 : 0x00, 4, 0);
				enc_str(&e, name, strlen(name), rand() % 2);
				enc_str(&e, value, strlen(value), rand() % 2);
			}
			memcpy(want_names[nwant], name, sizeof(name));
			memcpy(want_values[nwant], value, sizeof(value));
			nwant++;
		}
		assert_int_equal(decode_bytes(block, e.n), ZT_HPACK_OK);
		assert_int_equal(ngot, nwant);
		for (int i = 0; i < nwant; i++) {
			assert_string_equal(got[i].name, want_names[i]);
			assert_string_equal(got[i].value, want_values[i]);
		}
		assert_int_equal(zt_hpack_table_entries(h), model_n);
		assert_int_equal(zt_hpack_table_size(h), model_size);
		for (int i = 0; i < model_n; i++) {
			const char *name, *value;
			size_t nl, vl;

			assert_int_equal(zt_hpack_table_entry(h, i, &name, &nl, &value, &vl), 0);
			assert_int_equal(nl, strlen(model[i].name));
			assert_memory_equal(name, model[i].name, nl);
			assert_int_equal(vl, strlen(model[i].value));
			assert_memory_equal(value, model[i].value, vl);
		}
	}
}

/* Blocks decoded only to keep the table in step (no callback), and empty blocks. */
static void test_no_callback_and_empty_blocks(void **state)
{
	uint8_t b[64];
	size_t n;

	(void)state;
	assert_int_equal(zt_hpack_decode(h, NULL, 0, on_field, NULL), ZT_HPACK_OK);
	assert_int_equal(zt_hpack_huff_decode(NULL, 0, NULL, 0), 0);
	for (int i = 0; i < 3; i++) {
		n = unhex(c3[i], b);
		assert_int_equal(zt_hpack_decode(h, b, n, NULL, NULL), ZT_HPACK_OK);
	}
	expect_table(req_table3, 164);
	assert_int_equal(decode_hex("be bf c0"), ZT_HPACK_OK);
	expect_fields((const char *const[]){ "custom-key", "custom-value", "cache-control",
					     "no-cache", ":authority", "www.example.com", NULL });
}

/* ---- captured traffic ---- */

/*
 * nghttp (nghttp2 1.52) fetching three URLs from nghttpd over h2c; requests carry a
 * traceparent and a custom header. Blocks as sent; fields as nghttp -v printed them.
 */
static void test_nghttp2_requests(void **state)
{
	static const char *const blocks[] = {
		"828586418b089d5c0b8170dc0bcdb62f53032a2f2a907a8df65b0e9b0642ac92a12c05707f4088"
		"4d83216b1d85a93fa7001600e575c6c2f85c248d33248f34d3c58c41091e03217c8b46e8e47237"
		"42e3e2032cb215801f4086f2b12d424f4f889cb450753c1eca24",
		"8204876241a46bc66abf86c2c190c0bfbe",
		"82048662932106aa6f86c2c190c0bfbe",
	};
	static const char *const paths[] = { "/index.html", "/data.bin", "/missing" };

	(void)state;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(decode_hex(blocks[i]), ZT_HPACK_OK);
		expect_fields((const char *const[]){
			":method", "GET", ":path", paths[i], ":scheme", "http",
			":authority", "127.0.0.1:18552", "accept", "*/*",
			"accept-encoding", "gzip, deflate", "user-agent", "zerotrace-test/1.0",
			"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
			"x-custom", "hello world", NULL });
	}
	assert_int_equal(zt_hpack_table_entries(h), 5);
	assert_int_equal(zt_hpack_table_size(h), 307);
}

/* nghttpd's responses to a client that set SETTINGS_HEADER_TABLE_SIZE 256. */
static void test_nghttp2_responses_small_table(void **state)
{
	static const char *const blocks[] = {
		"3fe101887690aa69d29ae452a9a74a6b13015db12e0f5889a47e561cc58197000f6196e4593e94"
		"136a693f75040138a041704edc69e53168df0f0d0231396c96e4593e94136a693f75040138a041"
		"704edc1054c5a37f5f87497ca589d34d1f",
		"887690aa69d29ae452a9a74a6b13015db12e0f5889a47e561cc58197000f6196e4593e94136a69"
		"3f75040138a041704edc69e53168df0f0d836400076c96e4593e94136a693f75040138a041704e"
		"dc1054c5a37f5f901d75d0620d263d4c1c892a56426c28e9",
		"887690aa69d29ae452a9a74a6b13015db12e0f5889a47e561cc58197000f6196e4593e94136a69"
		"3f75040138a041704edc69e53168df0f0d0231396c96e4593e94136a693f75040138a041704edc"
		"1054c5a37f5f87497ca589d34d1f",
		"8d7690aa69d29ae452a9a74a6b13015db12e0fc1"
		"5f92497ca589d34d1f6a1271d882a60e1bf0ac"
		"f70f0d03313438",
	};
	static const char *const date = "Wed, 25 Nov 2026 10:27:48 GMT";
	static const char *const lm = "Wed, 25 Nov 2026 10:27:21 GMT";
	static const char *const server = "nghttpd nghttp2/1.52.0";

	(void)state;
	zt_hpack_set_max_size(h, 256);
	assert_int_equal(decode_hex(blocks[0]), ZT_HPACK_OK);
	assert_int_equal(zt_hpack_max_size(h), 256);
	expect_fields((const char *const[]){
		":status", "200", "server", server, "cache-control", "max-age=3600", "date", date,
		"content-length", "19", "last-modified", lm, "content-type", "text/html", NULL });
	assert_int_equal(zt_hpack_table_size(h), 249);
	assert_int_equal(decode_hex(blocks[1]), ZT_HPACK_OK);
	expect_fields((const char *const[]){
		":status", "200", "server", server, "cache-control", "max-age=3600", "date", date,
		"content-length", "3000", "last-modified", lm, "content-type",
		"application/octet-stream", NULL });
	assert_int_equal(zt_hpack_table_size(h), 207);
	assert_int_equal(decode_hex(blocks[2]), ZT_HPACK_OK);
	expect_fields((const char *const[]){
		":status", "200", "server", server, "cache-control", "max-age=3600", "date", date,
		"content-length", "19", "last-modified", lm, "content-type", "text/html", NULL });
	assert_int_equal(zt_hpack_table_size(h), 249);
	assert_int_equal(decode_hex(blocks[3]), ZT_HPACK_OK);
	expect_fields((const char *const[]){
		":status", "404", "server", server, "date", date, "content-type",
		"text/html; charset=UTF-8", "content-length", "148", NULL });
	assert_true(zt_hpack_table_size(h) <= 256);
	assert_true(zt_hpack_table_complete(h));
}

/* gRPC Python 1.51 (grpc-c 29) unary calls: raw literals, binary metadata, trailers. */
static void test_grpc_client_blocks(void **state)
{
	static const char *const blocks[] = {
		"40053a706174680e2f64656d6f2e4563686f2f536179400a3a617574686f726974790f3132372e"
		"302e302e313a31383536328386400c636f6e74656e742d74797065106170706c69636174696f6e"
		"2f677270634002746508747261696c6572734014677270632d6163636570742d656e636f64696e"
		"67176964656e746974792c206465666c6174652c20677a6970400c677270632d74696d656f7574"
		"023553400a757365722d6167656e7430677270632d707974686f6e2f312e35312e3120677270"
		"632d632f32392e302e3020286c696e75783b2063687474703229000b7472616365706172656e74"
		"3730302d30616637363531393136636434336464383434386562323131633830333139632d6237"
		"61643662373136393230333333312d30310005782d72657101300005782d62696e05000001feff",
		"c4c38386c2c1c0400c677270632d74696d656f757405353031306dbf000b747261636570617265"
		"6e743730302d30616637363531393136636434336464383434386562323131633830333139632d"
		"623761643662373136393230333333322d30310005782d72657101310005782d62696e05000001"
		"feff",
		"c5c48386c3c2c1bebf000b7472616365706172656e743730302d306166373635313931366364343"
		"36464383434386562323131633830333139632d623761643662373136393230333333332d3031"
		"0005782d72657101320005782d62696e05000001feff",
	};
	static const char *const timeouts[] = { "5S", "5010m", "5010m" };

	(void)state;
	for (int i = 0; i < 3; i++) {
		char tp[64], req[2] = { (char)('0' + i), 0 };

		snprintf(tp, sizeof(tp), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333%d-01",
			 i + 1);
		assert_int_equal(decode_hex(blocks[i]), ZT_HPACK_OK);
		assert_int_equal(ngot, 12);
		/* x-bin as "true binary" (gRPC's SETTINGS 0xfe03 was 1): a 0 byte, then raw. */
		assert_int_equal(got[11].value_len, 5);
		assert_memory_equal(got[11].value, "\x00\x00\x01\xfe\xff", 5);
		got[11].value_len = 0;
		got[11].value[0] = '\0';
		expect_fields((const char *const[]){
			":path", "/demo.Echo/Say", ":authority", "127.0.0.1:18562",
			":method", "POST", ":scheme", "http", "content-type", "application/grpc",
			"te", "trailers", "grpc-accept-encoding", "identity, deflate, gzip",
			"grpc-timeout", timeouts[i], "user-agent",
			"grpc-python/1.51.1 grpc-c/29.0.0 (linux; chttp2)", "traceparent", tp,
			"x-req", req, "x-bin", "", NULL });
	}
	assert_int_equal(zt_hpack_table_size(h), 470);
}

static void test_grpc_server_blocks(void **state)
{
	(void)state;
	/* Response headers, then Trailers with grpc-status. */
	assert_int_equal(decode_hex("88400c636f6e74656e742d74797065106170706c69636174696f6e2f6772"
				    "70634014677270632d6163636570742d656e636f64696e671769646"
				    "56e746974792c206465666c6174652c20677a69700008782d73657276"
				    "6572046563686f"), ZT_HPACK_OK);
	expect_fields((const char *const[]){
		":status", "200", "content-type", "application/grpc", "grpc-accept-encoding",
		"identity, deflate, gzip", "x-server", "echo", NULL });
	assert_int_equal(decode_hex("400b677270632d7374617475730130"), ZT_HPACK_OK);
	expect_fields((const char *const[]){ "grpc-status", "0", NULL });
	assert_int_equal(decode_hex("88c0bf0008782d736572766572046563686f"), ZT_HPACK_OK);
	assert_int_equal(decode_hex("be"), ZT_HPACK_OK);
	expect_fields((const char *const[]){ "grpc-status", "0", NULL });
	/* Trailers-Only error: grpc-message is percent-encoded on the wire. */
	assert_int_equal(decode_hex("88c0400b677270632d7374617475730135000c677270632d6d65737361"
				    "67651a6e6f2073756368207468696e673a2031303025323520676f6e"
				    "650009782d747261696c6572027431"), ZT_HPACK_OK);
	expect_fields((const char *const[]){
		":status", "200", "content-type", "application/grpc", "grpc-status", "5",
		"grpc-message", "no such thing: 100%25 gone", "x-trailer", "t1", NULL });
	/* A decoder that joined after the first response misses only indexed entries. */
	zt_hpack_free(h);
	h = zt_hpack_new_unknown();
	assert_int_equal(decode_hex("88c0bf0008782d736572766572046563686f"), ZT_HPACK_PARTIAL);
	expect_fields((const char *const[]){ ":status", "200", "x-server", "echo", NULL });
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_huffman_code_complete_and_canonical),
		T(test_huffman_rfc_strings),
		T(test_huffman_roundtrip_every_symbol),
		T(test_huffman_padding_and_eos),
		T(test_huffman_cap),
		T(test_integers),
		T(test_c2_1_literal_with_indexing),
		T(test_c2_2_literal_without_indexing),
		T(test_c2_3_never_indexed),
		T(test_c2_4_indexed),
		T(test_c3_requests),
		T(test_c4_requests_huffman),
		T(test_c5_responses),
		T(test_c6_responses_huffman),
		T(test_static_table),
		T(test_eviction),
		T(test_eviction_of_referenced_name),
		T(test_size_updates),
		T(test_errors),
		T(test_unknown_start_skips),
		T(test_unknown_placeholder_keeps_indexes),
		T(test_forget),
		T(test_unknown_becomes_complete),
		T(test_unknown_assumed_maximum),
		T(test_long_strings),
		T(test_memory_bound),
		T(test_model_random_blocks),
		T(test_no_callback_and_empty_blocks),
		T(test_nghttp2_requests),
		T(test_nghttp2_responses_small_table),
		T(test_grpc_client_blocks),
		T(test_grpc_server_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
