/* Span and resource objects: allocation, reference counts, attributes, IDs. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "zt_span.h"

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);

	if (!p)
		abort();
	return p;
}

static char *xstrndup(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (!p)
		abort();
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

size_t zt_attr_key_len(const struct zt_attr *attr)
{
	return attr->key_len ? attr->key_len : strlen(attr->key);
}

/*
 * Keys are static semantic-convention names: the same key is usually the same pointer, and
 * keys of another length differ without a look at their bytes (many share a prefix such as
 * "http." or "network.peer.": comparing bytes first was 5 % of the agent).
 */
static inline bool key_eq(const struct zt_attr *a, const char *key, size_t len)
{
	return a->key == key ||
	       (zt_attr_key_len(a) == len && memcmp(a->key, key, len) == 0);
}

static struct zt_attr *attr_slot(struct zt_attr *attrs, int *n, const char *key)
{
	size_t len = strlen(key);

	for (int i = 0; i < *n; i++) {
		if (key_eq(&attrs[i], key, len)) {
			if (attrs[i].owned)
				free(attrs[i].s);
			attrs[i].s = NULL;
			attrs[i].owned = false;
			return &attrs[i];
		}
	}
	if (*n >= ZT_MAX_ATTRS)
		return NULL;
	memset(&attrs[*n], 0, sizeof(attrs[*n]));
	attrs[*n].key = key;
	attrs[*n].key_len = len <= UINT16_MAX ? (uint16_t)len : 0;
	return &attrs[(*n)++];
}

void zt_attrs_set_str(struct zt_attr *attrs, int *n, const char *key, const char *val, size_t len)
{
	struct zt_attr *a = attr_slot(attrs, n, key);

	if (!a)
		return;
	a->type = ZT_ATTR_STR;
	a->s = xstrndup(val, len);
	a->owned = true;
	a->n = (uint32_t)len;
}

void zt_attrs_set_int(struct zt_attr *attrs, int *n, const char *key, int64_t val)
{
	struct zt_attr *a = attr_slot(attrs, n, key);

	if (!a)
		return;
	a->type = ZT_ATTR_INT;
	a->i = val;
}

void zt_attrs_set_bool(struct zt_attr *attrs, int *n, const char *key, bool val)
{
	struct zt_attr *a = attr_slot(attrs, n, key);

	if (!a)
		return;
	a->type = ZT_ATTR_BOOL;
	a->b = val;
}

void zt_attrs_set_str_array(struct zt_attr *attrs, int *n, const char *key, const char *nul_sep,
			    size_t len, uint32_t count)
{
	struct zt_attr *a = attr_slot(attrs, n, key);

	if (!a)
		return;
	a->type = ZT_ATTR_STR_ARRAY;
	a->s = xstrndup(nul_sep, len);
	a->owned = true;
	a->n = count;
}

const struct zt_attr *zt_attrs_find(const struct zt_attr *attrs, int n, const char *key)
{
	size_t len = strlen(key);

	for (int i = 0; i < n; i++)
		if (key_eq(&attrs[i], key, len))
			return &attrs[i];
	return NULL;
}

void zt_attrs_free(struct zt_attr *attrs, int n)
{
	for (int i = 0; i < n; i++)
		if (attrs[i].owned)
			free(attrs[i].s);
}

struct zt_resource *zt_resource_new(uint32_t pid)
{
	struct zt_resource *res = xcalloc(1, sizeof(*res));

	res->refs = 1;
	res->pid = pid;
	return res;
}

struct zt_resource *zt_resource_ref(struct zt_resource *res)
{
	__atomic_add_fetch(&res->refs, 1, __ATOMIC_RELAXED);
	return res;
}

void zt_resource_unref(struct zt_resource *res)
{
	if (!res || __atomic_sub_fetch(&res->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	zt_attrs_free(res->attrs, res->n_attrs);
	free(res->service_name);
	free(res);
}

void zt_resource_set_str(struct zt_resource *res, const char *key, const char *val)
{
	zt_attrs_set_str(res->attrs, &res->n_attrs, key, val, strlen(val));
	if (strcmp(key, "service.name") == 0) {
		free(res->service_name);
		res->service_name = xstrndup(val, strlen(val));
	}
}

void zt_resource_set_int(struct zt_resource *res, const char *key, int64_t val)
{
	zt_attrs_set_int(res->attrs, &res->n_attrs, key, val);
}

struct zt_span *zt_span_new(void)
{
	struct zt_span *span = malloc(sizeof(*span));

	if (!span)
		abort();
	/* 1.9 KiB of attribute slots and text are filled as they are used. */
	memset(span, 0, offsetof(struct zt_span, attrs));
	span->refs = 1;
	return span;
}

struct zt_span *zt_span_ref(struct zt_span *span)
{
	__atomic_add_fetch(&span->refs, 1, __ATOMIC_RELAXED);
	return span;
}

void zt_span_unref(struct zt_span *span)
{
	if (!span || __atomic_sub_fetch(&span->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	zt_attrs_free(span->attrs, span->n_attrs);
	free(span->trace_state);
	free(span->status_message);
	zt_resource_unref(span->resource);
	free(span);
}

static void span_count_drop(struct zt_span *span, const char *key)
{
	if (span->n_attrs >= ZT_MAX_ATTRS && !zt_attrs_find(span->attrs, span->n_attrs, key))
		span->dropped_attrs++;
}

void zt_span_set_strn(struct zt_span *span, const char *key, const char *val, size_t len)
{
	struct zt_attr *a;

	span_count_drop(span, key);
	a = attr_slot(span->attrs, &span->n_attrs, key);
	if (!a)
		return;
	a->type = ZT_ATTR_STR;
	a->n = (uint32_t)len;
	/* A replaced value's bytes stay unused in the pool: spans are short-lived. */
	if (len < sizeof(span->text) - span->text_used) {
		a->s = span->text + span->text_used;
		span->text_used += (uint32_t)len + 1;
		memcpy(a->s, val, len);
		a->s[len] = '\0';
	} else {
		a->s = xstrndup(val, len);
		a->owned = true;
	}
}

void zt_span_set_str(struct zt_span *span, const char *key, const char *val)
{
	zt_span_set_strn(span, key, val, strlen(val));
}

void zt_span_set_int(struct zt_span *span, const char *key, int64_t val)
{
	span_count_drop(span, key);
	zt_attrs_set_int(span->attrs, &span->n_attrs, key, val);
}

void zt_span_set_bool(struct zt_span *span, const char *key, bool val)
{
	span_count_drop(span, key);
	zt_attrs_set_bool(span->attrs, &span->n_attrs, key, val);
}

bool zt_id_is_zero(const uint8_t *id, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (id[i])
			return false;
	return true;
}

/*
 * IDs come from xoshiro256** with per-thread state seeded from getrandom(): a syscall for
 * every ID was a tenth of the span pipeline. Reseeded every ZT_RNG_RESEED outputs and in a
 * forked child (which would otherwise repeat its parent's IDs).
 */
#define ZT_RNG_RESEED 65536

struct zt_rng {
	uint64_t s[4];
	uint32_t left;		/* outputs until the next reseed; 0: not seeded */
};

static __thread struct zt_rng rng;
static pthread_once_t rng_once = PTHREAD_ONCE_INIT;

/* Runs in the child's only thread, the one that forked. */
static void rng_atfork_child(void)
{
	rng.left = 0;
}

static void rng_register_atfork(void)
{
	pthread_atfork(NULL, NULL, rng_atfork_child);
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct zt_rng *r)
{
	uint64_t seed[4];

	pthread_once(&rng_once, rng_register_atfork);
	if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
		/* No getrandom (old kernel, seccomp): clock, address and thread still differ. */
		struct timespec ts;
		uint64_t x;

		clock_gettime(CLOCK_REALTIME, &ts);
		x = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		x ^= (uint64_t)(uintptr_t)r ^ ((uint64_t)random() << 32);
		for (int i = 0; i < 4; i++)
			seed[i] = splitmix64(&x);
	}
	/* Mixed through splitmix64 so the state is never all zero, which xoshiro cannot leave. */
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed[i]);
	r->left = ZT_RNG_RESEED;
}

static inline uint64_t rotl64(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(void)
{
	struct zt_rng *r = &rng;
	uint64_t *s = r->s, out, t;

	if (!r->left)
		rng_seed(r);
	r->left--;
	out = rotl64(s[1] * 5, 7) * 9;
	t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl64(s[3], 45);
	return out;
}

void zt_id_random(uint8_t *id, size_t len)
{
	do {
		for (size_t i = 0; i < len; i += 8) {
			uint64_t v = rng_next();

			memcpy(id + i, &v, len - i < 8 ? len - i : 8);
		}
	} while (zt_id_is_zero(id, len));
}

void zt_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int zt_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int zt_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t len)
{
	if (inlen != 2 * len)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int hi = zt_hex_digit(in[2 * i]), lo = zt_hex_digit(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static bool is_lower_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int zt_traceparent_parse(const char *s, size_t len, struct zt_traceparent *out)
{
	uint8_t version;

	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	if (len < 55 || s[2] != '-' || s[35] != '-' || s[52] != '-')
		return -1;
	if (!is_lower_hex(s, 2) || zt_hex_decode(s, 2, &version, 1) || version == 0xff)
		return -1;
	/* Version 00 is exactly 55 chars; later versions may append "-..." fields. */
	if ((version == 0 && len != 55) || (version != 0 && len > 55 && s[55] != '-'))
		return -1;
	if (!is_lower_hex(s + 3, 32) || !is_lower_hex(s + 36, 16) || !is_lower_hex(s + 53, 2))
		return -1;
	zt_hex_decode(s + 3, 32, out->trace_id, 16);
	zt_hex_decode(s + 36, 16, out->span_id, 8);
	zt_hex_decode(s + 53, 2, &out->flags, 1);
	if (zt_id_is_zero(out->trace_id, 16) || zt_id_is_zero(out->span_id, 8))
		return -1;
	return 0;
}

void zt_traceparent_format(const struct zt_traceparent *tp, char *out)
{
	memcpy(out, "00-", 3);
	zt_hex_encode(tp->trace_id, 16, out + 3);
	out[35] = '-';
	zt_hex_encode(tp->span_id, 8, out + 36);
	out[52] = '-';
	zt_hex_encode(&tp->flags, 1, out + 53);
}

void zt_addr_format(const uint8_t *a, char *out, size_t outlen)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (memcmp(a, v4mapped, 12) == 0)
		inet_ntop(AF_INET, a + 12, out, (socklen_t)outlen);
	else
		inet_ntop(AF_INET6, a, out, (socklen_t)outlen);
}
