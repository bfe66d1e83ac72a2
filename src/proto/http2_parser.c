/*
 * HTTP/2 parser (prior-knowledge h2c, h2c by HTTP/1.1 Upgrade, and gRPC). Each direction is
 * cut into frames. Header blocks (HEADERS or PUSH_PROMISE, then CONTINUATION) are joined in
 * a bounded buffer and decoded by the HPACK decoder of the direction that sent them; DATA
 * payloads are never copied. One record per client stream, emitted when both sides ended or
 * the stream was reset (RST_STREAM, GOAWAY), or at close.
 *
 * Roles: the direction that sent the client preface carries requests. Without it (seen
 * mid-stream), the first decoded block that has :method (or :status) tells.
 *
 * A direction seen from its middle, or after a gap that framing cannot step over, hunts
 * for a frame start: a plausible frame header followed, one frame later, by another. Its
 * HPACK table is then unknown: blocks decode as far as they can and records say so.
 */
#include <stdlib.h>
#include <string.h>

#include "hpack.h"
#include "zt_l7.h"

#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24
#define H2_HDR_LEN 9			/* frame header */
#define H2_STREAMS_MAX 1024		/* tracked per connection, then the oldest goes */
#define H2_BLOCK_MAX (256 * 1024)	/* a larger header block is counted and given up */
#define H2_BLOCK_KEEP (16 * 1024)	/* block buffer kept between blocks */
#define H2_CTL_MAX 256			/* control frame payload bytes looked at */
#define H2_FRAME_DEFAULT 16384		/* SETTINGS_MAX_FRAME_SIZE until announced */
#define H2_FRAME_LIMIT 16777215
/* Hunting keeps a candidate frame and the header after it. */
#define H2_HUNT_BUF (2 * H2_HDR_LEN + H2_FRAME_DEFAULT)
#define H2_GRPC_PREFIX 5		/* gRPC message: compressed flag, 32-bit length */
#define H2_GRPC_STATUS_MAX 1000000

enum h2_type {
	H2_DATA = 0,
	H2_HEADERS = 1,
	H2_PRIORITY = 2,
	H2_RST_STREAM = 3,
	H2_SETTINGS = 4,
	H2_PUSH_PROMISE = 5,
	H2_PING = 6,
	H2_GOAWAY = 7,
	H2_WINDOW_UPDATE = 8,
	H2_CONTINUATION = 9,
};

#define H2_END_STREAM 0x1
#define H2_ACK 0x1
#define H2_END_HEADERS 0x4
#define H2_PADDED 0x8
#define H2_PRIORITY_FLAG 0x20

#define H2_SET_HEADER_TABLE_SIZE 1
#define H2_SET_MAX_FRAME_SIZE 5

enum h2_st {
	H2_ST_START,	/* first bytes: client preface, server SETTINGS, or mid-stream */
	H2_ST_FRAMES,	/* at a known frame position */
	H2_ST_HUNT,	/* framing lost: looking for a frame start */
};

/* Sides of a stream. */
enum {
	H2_REQ = 0,
	H2_RESP = 1,
};

struct h2_frame {
	uint32_t len;
	uint8_t type;
	uint8_t flags;
	uint32_t sid;
};

/* gRPC length-prefixed messages sent by one side of a stream. */
struct h2_grpc_count {
	uint32_t left;		/* bytes of the current message still due; 0: in a prefix */
	uint32_t len;		/* length field of the prefix being read */
	uint8_t have;		/* prefix bytes read */
	bool lost;		/* bytes went missing: counting stopped */
	uint32_t count;		/* complete messages */
};

/* What one header block said (and, in a stream, what its request said). */
struct h2_fields {
	char method[ZT_L7_METHOD_MAX];
	char target[ZT_L7_TARGET_MAX];
	char host[ZT_L7_HOST_MAX];
	char user_agent[ZT_L7_UA_MAX];
	char traceparent[ZT_L7_TRACEPARENT_MAX];
	char tracestate[ZT_L7_TRACESTATE_MAX];
	char grpc_message[ZT_L7_GRPC_MESSAGE_MAX];
	bool target_truncated;
	bool has_method;
	bool has_status;
	bool has_authority;
	bool grpc;		/* content-type application/grpc* */
	int status;
	int grpc_status;	/* -1: none */
};

/* A client stream, from its request HEADERS until its record is emitted. */
struct h2_stream {
	uint32_t id;
	bool ended[2];		/* END_STREAM seen, per side */
	bool resp_started;	/* final response headers (or response DATA) seen */
	bool h2_reset;
	bool partial;		/* some block decoded without its HPACK state */
	bool upgraded;		/* stream 1 of an Upgrade: h2c: its request was HTTP/1.1 */
	uint32_t h2_error;
	uint64_t req_pos;
	struct zt_chunk_meta first[2];	/* per side: chunk of its first byte */
	struct zt_chunk_meta last[2];	/* and of its last byte so far */
	uint64_t body[2];
	struct h2_grpc_count msgs[2];
	struct h2_fields f;
};

struct h2_dir {
	uint8_t st;		/* h2_st */
	bool resynced;		/* framing was found by hunting: errors mean hunt again */
	uint8_t hdr_len;	/* bytes of the frame header read */
	uint8_t hdr[H2_HDR_LEN];
	uint8_t start_len;
	uint8_t start[H2_PREFACE_LEN];	/* first bytes, until they tell what they are */
	struct h2_frame fr;	/* the frame being read */
	uint32_t left;		/* its payload bytes still due */
	uint32_t data_left;	/* DATA: data bytes still due before the padding */
	bool pad_pending;	/* DATA: the pad length byte is still due */
	bool ctl_lost;		/* control frame payload hit by a gap */
	uint32_t ctl_len;
	uint8_t ctl[H2_CTL_MAX];	/* start of a control frame's payload */
	struct zt_chunk_meta fr_first;	/* chunk holding the frame's first byte */
	uint64_t fr_pos;	/* stream position of that byte */
	uint64_t pos;		/* stream position of the next byte not yet parsed */
	/* The header block being joined. */
	bool in_block;		/* a block is being joined: only its CONTINUATION may follow */
	bool block_bad;		/* too large or hit by a gap: not decodable */
	uint8_t block_type;	/* HEADERS or PUSH_PROMISE */
	uint8_t block_flags;	/* flags of that frame (END_STREAM) */
	uint32_t block_sid;
	uint32_t frag_start;	/* the current frame's payload in blk */
	struct zt_chunk_meta block_first;
	uint64_t block_pos;
	uint8_t *blk;
	uint32_t blk_len;
	uint32_t blk_cap;
	/* Bytes kept while hunting, from stream position `pos`; spare is for replaying them. */
	uint8_t *hunt;
	uint8_t *spare;
	uint32_t hunt_len;
	/* SETTINGS */
	uint32_t max_frame;	/* largest frame this direction may send (the peer's setting) */
	uint32_t table_size;	/* HEADER_TABLE_SIZE this direction announced, until acked */
	bool table_size_set;
	struct zt_hpack *hpack;	/* decodes the blocks this direction sends */
};

struct h2_conn {
	struct h2_dir d[2];
	struct h2_stream **streams;	/* ascending stream id, hence age */
	uint32_t nstreams;
	uint32_t cap;
	uint32_t max_sid;	/* highest request stream id seen */
	int req_dir;		/* -1 until the preface or a decoded block shows the roles */
	bool malformed;
	bool closed;
	struct h2_fields head;		/* fields of the block being decoded */
	struct zt_l7_record out;	/* record handed to the sink */
};

static const struct zt_chunk_meta h2_no_meta;

/* ---- small helpers ---- */

static uint32_t h2_min(uint64_t a, uint64_t b)
{
	return (uint32_t)(a < b ? a : b);
}

static uint32_t h2_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static struct h2_frame h2_frame_parse(const uint8_t *h)
{
	struct h2_frame f = {
		.len = (uint32_t)h[0] << 16 | (uint32_t)h[1] << 8 | h[2],
		.type = h[3],
		.flags = h[4],
		.sid = h2_be32(h + 5) & 0x7fffffff,
	};
	return f;
}

static char h2_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Case-insensitive compare of s[0..n) with lower-case `lit`. */
static bool h2_ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n && lit[i]; i++)
		if (h2_lower(s[i]) != lit[i])
			return false;
	return i == n && !lit[i];
}

static bool h2_iprefix(const char *s, size_t n, const char *lit)
{
	size_t len = strlen(lit);

	return n >= len && h2_ieq(s, len, lit);
}

static int h2_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = h2_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Copy a value into a record string, truncated and NUL-terminated; true when cut. Control
 * and non-ASCII bytes become '?' so that sinks always get printable, valid UTF-8.
 */
static bool h2_copy(char *dst, size_t cap, const char *src, size_t n)
{
	bool cut = n > cap - 1;

	if (cut)
		n = cap - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	dst[n] = '\0';
	return cut;
}

/* Length of the valid UTF-8 sequence of two to four bytes at s, or 0. */
static size_t h2_utf8_seq(const uint8_t *s, size_t n)
{
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	uint32_t cp;

	if (s[0] < 0xc2 || s[0] > 0xf4 || n < len)
		return 0;
	cp = s[0] & (0x3f >> (len - 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms and surrogates are not UTF-8. */
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* grpc-message is percent-encoded UTF-8: decode it, keeping only valid, printable text. */
static void h2_copy_grpc_message(char *dst, size_t cap, const char *v, size_t n)
{
	uint8_t raw[ZT_L7_GRPC_MESSAGE_MAX];
	size_t len = 0, i = 0, out = 0, seq;

	while (i < n && len < sizeof(raw) - 1) {
		if (v[i] == '%' && i + 2 < n && h2_hex(v[i + 1]) >= 0 && h2_hex(v[i + 2]) >= 0) {
			raw[len++] = (uint8_t)(h2_hex(v[i + 1]) << 4 | h2_hex(v[i + 2]));
			i += 3;
		} else {
			raw[len++] = (uint8_t)v[i++];
		}
	}
	for (i = 0; i < len && out < cap - 1;) {
		seq = raw[i] >= 0x80 ? h2_utf8_seq(raw + i, len - i) : 0;
		if (seq && out + seq <= cap - 1) {
			memcpy(dst + out, raw + i, seq);
			out += seq;
			i += seq;
			continue;
		}
		dst[out++] = raw[i] < 0x20 || raw[i] == 0x7f || raw[i] >= 0x80 ? '?' : (char)raw[i];
		i++;
	}
	dst[out] = '\0';
}

/* ---- frame plausibility (detect, start of a direction, hunting) ---- */

/* Could p[0..n) start a server's first frame, a SETTINGS frame (not an ACK)? */
static bool h2_settings_prefix(const uint8_t *p, size_t n)
{
	static const uint8_t want[H2_HDR_LEN] = { 0, 0, 0, H2_SETTINGS, 0, 0, 0, 0, 0 };
	uint32_t len;

	for (size_t i = 0; i < n && i < H2_HDR_LEN; i++)
		if (i != 1 && i != 2 && p[i] != want[i])
			return false;
	if (n < 3)
		return true;
	len = (uint32_t)p[1] << 8 | p[2];
	return len % 6 == 0 && len <= H2_FRAME_DEFAULT;
}

/* Bytes that PADDED, PRIORITY and the promised stream id take at the payload's start. */
static uint32_t h2_payload_prefix(const struct h2_frame *f)
{
	uint32_t n = f->flags & H2_PADDED ? 1 : 0;

	if (f->type == H2_HEADERS && (f->flags & H2_PRIORITY_FLAG))
		n += 5;
	if (f->type == H2_PUSH_PROMISE)
		n += 4;
	return n;
}

/*
 * Could h start a frame that direction dir sends? Known types only, flags defined for the
 * type, lengths the type allows, stream 0 exactly where the type needs it, odd streams
 * from the client. CONTINUATION never starts a run of frames.
 */
static bool h2_plausible(const struct h2_conn *c, int dir, const uint8_t *h, uint32_t max_len)
{
	struct h2_frame f = h2_frame_parse(h);
	bool client = c->req_dir == dir;

	if ((h[5] & 0x80) || f.len > max_len)
		return false;
	switch (f.type) {
	case H2_DATA:
		/* Empty DATA without END_STREAM is legal but pointless: not worth the risk. */
		return f.sid && !(f.flags & ~(H2_END_STREAM | H2_PADDED)) &&
		       (f.len || (f.flags & H2_END_STREAM)) &&
		       (!client || (f.sid & 1)) && h2_payload_prefix(&f) <= f.len;
	case H2_HEADERS:
		return f.sid && (!client || (f.sid & 1)) && h2_payload_prefix(&f) <= f.len &&
		       !(f.flags &
			 ~(H2_END_STREAM | H2_END_HEADERS | H2_PADDED | H2_PRIORITY_FLAG));
	case H2_PRIORITY:
		return f.sid && f.len == 5 && !f.flags;
	case H2_RST_STREAM:
		return f.sid && f.len == 4 && !f.flags;
	case H2_SETTINGS:
		return !f.sid && f.len % 6 == 0 && (!f.flags || (f.flags == H2_ACK && !f.len));
	case H2_PUSH_PROMISE:
		return (f.sid & 1) && !client && h2_payload_prefix(&f) <= f.len &&
		       !(f.flags & ~(H2_END_HEADERS | H2_PADDED));
	case H2_PING:
		return !f.sid && f.len == 8 && f.flags <= H2_ACK;
	case H2_GOAWAY:
		return !f.sid && f.len >= 8 && !f.flags;
	case H2_WINDOW_UPDATE:
		return f.len == 4 && !f.flags;
	}
	return false;
}

/* Is b a plausible header for the frame that follows frame a? */
static bool h2_plausible_next(const struct h2_conn *c, int dir, const uint8_t *a,
			      const uint8_t *b)
{
	struct h2_frame fa = h2_frame_parse(a), fb = h2_frame_parse(b);
	uint32_t max_len = c->d[dir].max_frame;

	if ((fa.type == H2_HEADERS || fa.type == H2_PUSH_PROMISE) &&
	    !(fa.flags & H2_END_HEADERS))
		return fb.type == H2_CONTINUATION && fb.sid == fa.sid && !(b[5] & 0x80) &&
		       !(fb.flags & ~H2_END_HEADERS) && fb.len <= max_len;
	return h2_plausible(c, dir, b, max_len);
}

/* ---- streams ---- */

/* Index of stream id in the sorted table, or where it would go. */
static uint32_t h2_stream_index(const struct h2_conn *c, uint32_t id)
{
	uint32_t lo = 0, hi = c->nstreams;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (c->streams[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct h2_stream *h2_stream_find(const struct h2_conn *c, uint32_t id)
{
	uint32_t i = h2_stream_index(c, id);

	return i < c->nstreams && c->streams[i]->id == id ? c->streams[i] : NULL;
}

static int h2_side(const struct h2_conn *c, int dir)
{
	return dir == c->req_dir ? H2_REQ : H2_RESP;
}

static void h2_fill(struct h2_conn *c, const struct h2_stream *s)
{
	struct zt_l7_record *r = &c->out;
	const struct h2_fields *f = &s->f;

	zt_l7_record_clear(r, ZT_L7_HTTP2, (uint8_t)c->req_dir);
	r->has_response = s->resp_started;
	r->target_truncated = f->target_truncated;
	r->req_first = s->first[H2_REQ];
	r->req_last = s->last[H2_REQ];
	r->resp_first = s->first[H2_RESP];
	r->resp_last = s->last[H2_RESP];
	r->req_body_bytes = s->body[H2_REQ];
	r->resp_body_bytes = s->body[H2_RESP];
	/* An upgraded request got its IDs as an HTTP/1.1 request, which has no stream. */
	r->stream_id = s->upgraded ? 0 : s->id;
	r->req_pos = s->req_pos;
	memcpy(r->method, f->method, sizeof(r->method));
	memcpy(r->target, f->target, sizeof(r->target));
	memcpy(r->host, f->host, sizeof(r->host));
	memcpy(r->user_agent, f->user_agent, sizeof(r->user_agent));
	memcpy(r->traceparent, f->traceparent, sizeof(r->traceparent));
	memcpy(r->tracestate, f->tracestate, sizeof(r->tracestate));
	memcpy(r->grpc_message, f->grpc_message, sizeof(r->grpc_message));
	memcpy(r->version, "2", 2);
	r->status = f->status;
	r->grpc = f->grpc;
	r->h2_reset = s->h2_reset;
	r->headers_partial = s->partial;
	r->grpc_status = f->grpc_status;
	r->h2_error = s->h2_error;
	if (f->grpc) {
		r->req_messages = s->msgs[H2_REQ].count;
		r->resp_messages = s->msgs[H2_RESP].count;
	}
}

static void h2_emit(struct h2_conn *c, const struct h2_stream *s, bool flush,
		    const struct zt_l7_sink *sink)
{
	h2_fill(c, s);
	zt_l7_stats.records++;
	if (s->partial)
		zt_l7_stats.partial_state++;
	if (flush && !s->resp_started)
		zt_l7_stats.unanswered++;
	if (sink && sink->emit)
		sink->emit(sink->ctx, &c->out);
}

static void h2_stream_remove(struct h2_conn *c, uint32_t i)
{
	free(c->streams[i]);
	c->nstreams--;
	memmove(&c->streams[i], &c->streams[i + 1], (c->nstreams - i) * sizeof(c->streams[0]));
}

/* The stream is over: its record goes out. */
static void h2_stream_finish(struct h2_conn *c, struct h2_stream *s,
			     const struct zt_l7_sink *sink)
{
	h2_emit(c, s, false, sink);
	h2_stream_remove(c, h2_stream_index(c, s->id));
}

/* A new stream, newer than every tracked one. Past the limit the oldest is flushed. */
static struct h2_stream *h2_stream_new(struct h2_conn *c, uint32_t id,
				       const struct zt_l7_sink *sink)
{
	struct h2_stream *s, **t;
	uint32_t cap;

	if (c->nstreams == H2_STREAMS_MAX) {
		h2_emit(c, c->streams[0], true, sink);
		h2_stream_remove(c, 0);
	}
	if (c->nstreams == c->cap) {
		cap = c->cap ? c->cap * 2 : 8;
		if (cap > H2_STREAMS_MAX)
			cap = H2_STREAMS_MAX;
		t = realloc(c->streams, cap * sizeof(*t));
		if (!t)
			return NULL;
		c->streams = t;
		c->cap = cap;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->id = id;
	s->f.grpc_status = -1;
	c->streams[c->nstreams++] = s;
	return s;
}

/* One side sent END_STREAM; when both have, the stream is complete. */
static void h2_side_end(struct h2_conn *c, struct h2_stream *s, int side,
			const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	s->ended[side] = true;
	s->last[side] = *m;
	if (s->ended[H2_REQ] && s->ended[H2_RESP])
		h2_stream_finish(c, s, sink);
}

/* The response began (its headers, or data whose headers were not readable). */
static void h2_resp_start(struct h2_stream *s, const struct zt_chunk_meta *first)
{
	s->resp_started = true;
	s->first[H2_RESP] = *first;
	s->last[H2_RESP] = *first;
}

/* ---- gRPC message counting ---- */

/* Data bytes of one side of a gRPC stream (p NULL: lost bytes). */
static void h2_grpc_bytes(struct h2_grpc_count *g, const uint8_t *p, uint32_t n)
{
	uint32_t k;

	if (!p)
		g->lost = true;
	while (n && !g->lost) {
		if (g->left) {
			k = h2_min(n, g->left);
			g->left -= k;
			n -= k;
			p += k;
			if (!g->left)
				g->count++;
			continue;
		}
		/* Byte 0 is the compressed flag; bytes 1-4 the big-endian length. */
		if (g->have)
			g->len = g->len << 8 | *p;
		p++;
		n--;
		if (++g->have < H2_GRPC_PREFIX)
			continue;
		g->have = 0;
		g->left = g->len;
		g->len = 0;
		if (!g->left)
			g->count++;
	}
}

/*
 * The stream a DATA frame of this direction counts for: one we track, whose side has not
 * ended, and for the response, that started (its DATA began after the stream was known).
 */
static struct h2_stream *h2_data_stream(const struct h2_conn *c, int dir, uint32_t sid)
{
	struct h2_stream *s = h2_stream_find(c, sid);
	int side = h2_side(c, dir);

	if (!s || s->ended[side] || (side == H2_RESP && !s->resp_started))
		return NULL;
	return s;
}

/* Data bytes (not padding) of a DATA frame on stream sid. */
static void h2_body(struct h2_conn *c, int dir, uint32_t sid, const uint8_t *p, uint32_t n)
{
	struct h2_stream *s = h2_data_stream(c, dir, sid);
	int side = h2_side(c, dir);

	if (!s || !n)
		return;
	s->body[side] += n;
	if (s->f.grpc)
		h2_grpc_bytes(&s->msgs[side], p, n);
	else if (!p)
		s->msgs[side].lost = true;
}

/* ---- header fields ---- */

static void h2_fields_clear(struct h2_fields *f)
{
	f->method[0] = f->target[0] = f->host[0] = f->user_agent[0] = '\0';
	f->traceparent[0] = f->tracestate[0] = f->grpc_message[0] = '\0';
	f->target_truncated = f->has_method = f->has_status = f->has_authority = false;
	f->grpc = false;
	f->status = 0;
	f->grpc_status = -1;
}

static void h2_append_tracestate(struct h2_fields *f, const char *v, size_t n)
{
	size_t len = strlen(f->tracestate);

	if (!len) {
		h2_copy(f->tracestate, sizeof(f->tracestate), v, n);
		return;
	}
	/* Several tracestate fields form one list. */
	if (!n || len + 2 >= sizeof(f->tracestate))
		return;
	f->tracestate[len] = ',';
	h2_copy(f->tracestate + len + 1, sizeof(f->tracestate) - len - 1, v, n);
}

static bool h2_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ":status": three digits, else 0. */
static int h2_parse_status(const char *v, size_t n)
{
	if (n != 3 || v[0] == '0' || !h2_digit(v[0]) || !h2_digit(v[1]) || !h2_digit(v[2]))
		return 0;
	return (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
}

/* "grpc-status": a decimal code, else -1. */
static int h2_parse_grpc_status(const char *v, size_t n)
{
	int x = 0;

	if (!n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!h2_digit(v[i]) || x >= H2_GRPC_STATUS_MAX)
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

static void h2_pseudo_field(struct h2_fields *f, const char *name, size_t nlen, const char *v,
			    size_t n)
{
	if (h2_ieq(name, nlen, ":method")) {
		/* An empty method is none: such a block is not a request. */
		if (!f->has_method && n)
			h2_copy(f->method, sizeof(f->method), v, n);
		f->has_method |= n > 0;
	} else if (h2_ieq(name, nlen, ":path")) {
		if (!f->target[0])
			f->target_truncated = h2_copy(f->target, sizeof(f->target), v, n);
	} else if (h2_ieq(name, nlen, ":authority")) {
		if (!f->has_authority)
			h2_copy(f->host, sizeof(f->host), v, n);
		f->has_authority = true;
	} else if (h2_ieq(name, nlen, ":status")) {
		if (!f->has_status)
			f->status = h2_parse_status(v, n);
		f->has_status = true;
	}
}

/* HPACK callback: one decoded field of the block being decoded. */
static void h2_field(void *ctx, const char *name, size_t nlen, const char *v, size_t n)
{
	struct h2_fields *f = ctx;

	if (nlen && name[0] == ':') {
		h2_pseudo_field(f, name, nlen, v, n);
	} else if (h2_ieq(name, nlen, "host")) {
		if (!f->has_authority && !f->host[0])
			h2_copy(f->host, sizeof(f->host), v, n);
	} else if (h2_ieq(name, nlen, "user-agent")) {
		if (!f->user_agent[0])
			h2_copy(f->user_agent, sizeof(f->user_agent), v, n);
	} else if (h2_ieq(name, nlen, "traceparent")) {
		if (!f->traceparent[0])
			h2_copy(f->traceparent, sizeof(f->traceparent), v, n);
	} else if (h2_ieq(name, nlen, "tracestate")) {
		h2_append_tracestate(f, v, n);
	} else if (h2_ieq(name, nlen, "content-type")) {
		if (h2_iprefix(v, n, "application/grpc"))
			f->grpc = true;
	} else if (h2_ieq(name, nlen, "grpc-status")) {
		f->grpc_status = h2_parse_grpc_status(v, n);
	} else if (h2_ieq(name, nlen, "grpc-message")) {
		h2_copy_grpc_message(f->grpc_message, sizeof(f->grpc_message), v, n);
	}
}

/* ---- header blocks ---- */

static void h2_request_head(struct h2_conn *c, const struct h2_stream *s,
			    const struct zt_l7_sink *sink)
{
	if (!sink || !sink->request_head)
		return;
	h2_fill(c, s);
	sink->request_head(sink->ctx, &c->out);
}

/* A block the client sent: a new stream's request, or trailers of one we track. */
static void h2_request_block(struct h2_conn *c, int dir, bool partial,
			     const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct h2_dir *d = &c->d[dir];
	struct h2_stream *s = h2_stream_find(c, d->block_sid);
	const struct h2_fields *h = &c->head;

	if (s) {
		if (s->ended[H2_REQ])
			return;
		s->partial |= partial;
		s->last[H2_REQ] = *m;
		if (d->block_flags & H2_END_STREAM)
			h2_side_end(c, s, H2_REQ, m, sink);
		return;
	}
	/* Client streams are odd and opened in increasing order: anything else is not new. */
	if (!(d->block_sid & 1) || d->block_sid <= c->max_sid)
		return;
	c->max_sid = d->block_sid;
	if (!h->has_method && !partial)
		return;
	s = h2_stream_new(c, d->block_sid, sink);
	if (!s)
		return;
	s->f = *h;
	s->f.grpc_status = -1;
	s->f.grpc_message[0] = '\0';
	s->f.status = 0;
	s->partial = partial;
	s->first[H2_REQ] = d->block_first;
	s->last[H2_REQ] = *m;
	s->req_pos = d->block_pos;
	/* Before the response: the span builder fixes the request's IDs now. */
	h2_request_head(c, s, sink);
	if (d->block_flags & H2_END_STREAM)
		h2_side_end(c, s, H2_REQ, m, sink);
}

/* A block the server sent: response headers (maybe interim) or trailers. */
static void h2_response_block(struct h2_conn *c, int dir, bool partial,
			      const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct h2_dir *d = &c->d[dir];
	struct h2_stream *s = h2_stream_find(c, d->block_sid);
	const struct h2_fields *h = &c->head;

	if (!s || s->ended[H2_RESP])
		return;
	s->partial |= partial;
	if (!s->resp_started) {
		/* 1xx: the final response follows. */
		if (h->status >= 100 && h->status < 200)
			return;
		h2_resp_start(s, &d->block_first);
		s->f.status = h->status;
	}
	s->f.grpc |= h->grpc;
	if (h->grpc_status >= 0)
		s->f.grpc_status = h->grpc_status;
	if (h->grpc_message[0])
		memcpy(s->f.grpc_message, h->grpc_message, sizeof(s->f.grpc_message));
	s->last[H2_RESP] = *m;
	if (d->block_flags & H2_END_STREAM)
		h2_side_end(c, s, H2_RESP, m, sink);
}

/*
 * A block that could not be decoded (too large, or bytes lost): the sender's HPACK table is
 * unknown from now on. The stream is given up; one whose request we know is flushed.
 */
static void h2_block_lost(struct h2_conn *c, int dir, const struct zt_l7_sink *sink)
{
	struct h2_dir *d = &c->d[dir];
	struct h2_stream *s;

	zt_hpack_forget(d->hpack);
	if (c->req_dir < 0 || d->block_type != H2_HEADERS)
		return;
	if (dir == c->req_dir) {
		if ((d->block_sid & 1) && d->block_sid > c->max_sid)
			c->max_sid = d->block_sid;
		return;
	}
	s = h2_stream_find(c, d->block_sid);
	if (!s)
		return;
	s->partial = true;
	if (!s->resp_started)
		h2_resp_start(s, &d->block_first);
	h2_stream_finish(c, s, sink);
}

static void h2_block_reset(struct h2_dir *d)
{
	d->in_block = false;
	d->block_bad = false;
	d->blk_len = 0;
	if (d->blk_cap > H2_BLOCK_KEEP) {
		free(d->blk);
		d->blk = NULL;
		d->blk_cap = 0;
	}
}

/* A complete header block: decode it, then see whose it is. */
static void h2_block_done(struct h2_conn *c, int dir, const struct zt_chunk_meta *m,
			  const struct zt_l7_sink *sink)
{
	static const uint8_t empty;
	struct h2_dir *d = &c->d[dir];
	enum zt_hpack_result res;
	bool partial;

	if (d->block_bad) {
		h2_block_lost(c, dir, sink);
		h2_block_reset(d);
		return;
	}
	h2_fields_clear(&c->head);
	res = zt_hpack_decode(d->hpack, d->blk ? d->blk : &empty, d->blk_len, h2_field, &c->head);
	h2_block_reset(d);
	if (res == ZT_HPACK_ERROR)
		zt_hpack_forget(d->hpack);
	partial = res != ZT_HPACK_OK;
	/* A server push: decoded only to keep the table in step; it also tells the roles. */
	if (d->block_type == H2_PUSH_PROMISE) {
		if (c->req_dir < 0)
			c->req_dir = !dir;
		return;
	}
	if (c->req_dir < 0) {
		if (c->head.has_method)
			c->req_dir = dir;
		else if (c->head.has_status)
			c->req_dir = !dir;
		else
			return;	/* cannot tell who sent it: dropped */
	}
	if (dir == c->req_dir)
		h2_request_block(c, dir, partial, m, sink);
	else
		h2_response_block(c, dir, partial, m, sink);
}

/* HEADERS, PUSH_PROMISE or CONTINUATION header: its payload joins the block buffer. */
static int h2_fragment_begin(struct h2_dir *d)
{
	uint32_t need = d->blk_len + d->fr.len, cap;
	uint8_t *b;

	d->frag_start = d->blk_len;
	if (d->block_bad)
		return 0;
	if (need > H2_BLOCK_MAX) {
		d->block_bad = true;
		zt_l7_stats.heads_too_large++;
		return 0;
	}
	if (need <= d->blk_cap)
		return 0;
	cap = d->blk_cap ? d->blk_cap : 4096;
	while (cap < need)
		cap *= 2;
	b = realloc(d->blk, cap);
	if (!b)
		return -1;
	d->blk = b;
	d->blk_cap = cap;
	return 0;
}

/* Strip the pad length, priority, promised id and padding off the frame just read. */
static int h2_fragment_strip(struct h2_dir *d)
{
	uint32_t n = d->blk_len - d->frag_start;
	uint32_t off = h2_payload_prefix(&d->fr), pad = 0;
	uint8_t *f;

	if (d->fr.type == H2_CONTINUATION)
		return 0;
	if (off > n)
		return -1;
	if (!n)
		return 0;	/* an empty fragment (the buffer may not exist yet) */
	f = d->blk + d->frag_start;
	if (d->fr.flags & H2_PADDED)
		pad = f[0];
	if (pad > n - off)
		return -1;
	memmove(f, f + off, n - off - pad);
	d->blk_len = d->frag_start + n - off - pad;
	return 0;
}

static int h2_fragment_end(struct h2_conn *c, int dir, const struct zt_chunk_meta *m,
			   const struct zt_l7_sink *sink)
{
	struct h2_dir *d = &c->d[dir];

	if (!d->block_bad && h2_fragment_strip(d) < 0)
		return -1;
	if (d->fr.flags & H2_END_HEADERS)
		h2_block_done(c, dir, m, sink);
	return 0;
}

/* ---- control frames ---- */

static void h2_settings(struct h2_conn *c, int dir)
{
	struct h2_dir *d = &c->d[dir], *peer = &c->d[!dir];

	if (d->fr.flags & H2_ACK) {
		/* The peer's table size holds for the blocks sent after this ACK. */
		if (peer->table_size_set)
			zt_hpack_set_max_size(d->hpack, peer->table_size);
		peer->table_size_set = false;
		return;
	}
	for (uint32_t i = 0; i + 6 <= d->ctl_len; i += 6) {
		uint16_t id = (uint16_t)(d->ctl[i] << 8 | d->ctl[i + 1]);
		uint32_t v = h2_be32(d->ctl + i + 2);

		if (id == H2_SET_HEADER_TABLE_SIZE) {
			d->table_size = v;
			d->table_size_set = true;
		} else if (id == H2_SET_MAX_FRAME_SIZE && v >= H2_FRAME_DEFAULT &&
			   v <= H2_FRAME_LIMIT) {
			peer->max_frame = v;
		}
	}
}

static void h2_rst_stream(struct h2_conn *c, int dir, const struct zt_l7_sink *sink)
{
	struct h2_dir *d = &c->d[dir];
	struct h2_stream *s = h2_stream_find(c, d->fr.sid);

	if (!s)
		return;
	s->h2_reset = true;
	s->h2_error = h2_be32(d->ctl);
	h2_stream_finish(c, s, sink);
}

/* The server will not process streams above last id: those still pending are over. */
static void h2_goaway(struct h2_conn *c, int dir, const struct zt_l7_sink *sink)
{
	struct h2_dir *d = &c->d[dir];
	uint32_t last_id = h2_be32(d->ctl) & 0x7fffffff;
	uint32_t code = h2_be32(d->ctl + 4);
	struct h2_stream *s;

	/* A client's GOAWAY is about pushed streams, which make no records. */
	if (c->req_dir < 0 || dir == c->req_dir)
		return;
	while (c->nstreams && c->streams[c->nstreams - 1]->id > last_id) {
		s = c->streams[c->nstreams - 1];
		s->h2_reset = true;
		s->h2_error = code;
		h2_emit(c, s, false, sink);
		h2_stream_remove(c, c->nstreams - 1);
	}
}

/* ---- frames ---- */

static int h2_data_begin(struct h2_conn *c, int dir)
{
	struct h2_dir *d = &c->d[dir];
	struct h2_stream *s = h2_stream_find(c, d->fr.sid);

	if (!d->fr.sid || ((d->fr.flags & H2_PADDED) && !d->fr.len))
		return -1;
	d->pad_pending = d->fr.flags & H2_PADDED;
	d->data_left = d->pad_pending ? 0 : d->fr.len;
	/* Response data without readable headers: a response all the same. */
	if (s && h2_side(c, dir) == H2_RESP && !s->resp_started && !s->ended[H2_RESP])
		h2_resp_start(s, &d->fr_first);
	return 0;
}

static int h2_frame_end(struct h2_conn *c, int dir, const struct zt_chunk_meta *m,
			const struct zt_l7_sink *sink);

/* Lengths and stream ids that the control frame types require (RFC 9113 section 6). */
static bool h2_control_valid(const struct h2_frame *f)
{
	switch (f->type) {
	case H2_SETTINGS:
		return !f->sid && f->len % 6 == 0 && !((f->flags & H2_ACK) && f->len);
	case H2_PING:
		return !f->sid && f->len == 8;
	case H2_GOAWAY:
		return !f->sid && f->len >= 8;
	case H2_RST_STREAM:
		return f->sid && f->len == 4;
	case H2_WINDOW_UPDATE:
		return f->len == 4;
	case H2_PRIORITY:
		return f->sid && f->len == 5;
	}
	return true;
}

/* HEADERS or PUSH_PROMISE: a header block starts. */
static int h2_block_begin(struct h2_dir *d)
{
	if (!d->fr.sid)
		return -1;
	d->in_block = true;
	d->block_type = d->fr.type;
	d->block_flags = d->fr.flags;
	d->block_sid = d->fr.sid;
	d->block_first = d->fr_first;
	d->block_pos = d->fr_pos;
	d->block_bad = false;
	d->blk_len = 0;
	return h2_fragment_begin(d);
}

/* A frame header is complete: check it and get ready for its payload. */
static int h2_frame_begin(struct h2_conn *c, int dir, const struct zt_chunk_meta *m,
			  const struct zt_l7_sink *sink)
{
	struct h2_dir *d = &c->d[dir];
	struct h2_frame *f = &d->fr;
	int rc = 0;

	*f = h2_frame_parse(d->hdr);
	d->left = f->len;
	d->ctl_len = 0;
	d->ctl_lost = false;
	/* Nothing may come between a block's frames. */
	if (d->in_block && (f->type != H2_CONTINUATION || f->sid != d->block_sid))
		return -1;
	if (!h2_control_valid(f))
		return -1;
	switch (f->type) {
	case H2_DATA:
		rc = h2_data_begin(c, dir);
		break;
	case H2_HEADERS:
	case H2_PUSH_PROMISE:
		rc = h2_block_begin(d);
		break;
	case H2_CONTINUATION:
		rc = d->in_block ? h2_fragment_begin(d) : -1;
		break;
	}
	if (rc < 0)
		return -1;
	return f->len ? 0 : h2_frame_end(c, dir, m, sink);
}

/* The frame's payload is complete (or was skipped). */
static int h2_frame_end(struct h2_conn *c, int dir, const struct zt_chunk_meta *m,
			const struct zt_l7_sink *sink)
{
	struct h2_dir *d = &c->d[dir];
	struct h2_stream *s;
	int rc = 0;

	d->hdr_len = 0;
	switch (d->fr.type) {
	case H2_DATA:
		s = h2_data_stream(c, dir, d->fr.sid);
		if (!s)
			break;
		s->last[h2_side(c, dir)] = *m;
		if (d->fr.flags & H2_END_STREAM)
			h2_side_end(c, s, h2_side(c, dir), m, sink);
		break;
	case H2_HEADERS:
	case H2_PUSH_PROMISE:
	case H2_CONTINUATION:
		rc = h2_fragment_end(c, dir, m, sink);
		break;
	case H2_SETTINGS:
		if (!d->ctl_lost)
			h2_settings(c, dir);
		break;
	case H2_RST_STREAM:
		if (!d->ctl_lost)
			h2_rst_stream(c, dir, sink);
		break;
	case H2_GOAWAY:
		if (!d->ctl_lost)
			h2_goaway(c, dir, sink);
		break;
	}
	return rc;
}

/* DATA payload bytes: pad length, data, padding. */
static int h2_data_bytes(struct h2_conn *c, int dir, const uint8_t *p, uint32_t n)
{
	struct h2_dir *d = &c->d[dir];
	uint32_t k;

	if (d->pad_pending) {
		if (p[0] > d->left - 1)
			return -1;
		d->data_left = d->left - 1 - p[0];
		d->pad_pending = false;
		p++;
		n--;
	}
	k = h2_min(n, d->data_left);
	d->data_left -= k;
	h2_body(c, dir, d->fr.sid, p, k);
	return 0;
}

/* n payload bytes of the current frame (n <= left). */
static int h2_payload(struct h2_conn *c, int dir, const uint8_t *p, uint32_t n)
{
	struct h2_dir *d = &c->d[dir];
	uint32_t k;

	switch (d->fr.type) {
	case H2_DATA:
		return h2_data_bytes(c, dir, p, n);
	case H2_HEADERS:
	case H2_PUSH_PROMISE:
	case H2_CONTINUATION:
		if (!d->block_bad) {
			memcpy(d->blk + d->blk_len, p, n);
			d->blk_len += n;
		}
		return 0;
	case H2_SETTINGS:
	case H2_RST_STREAM:
	case H2_GOAWAY:
		k = h2_min(n, H2_CTL_MAX - d->ctl_len);
		memcpy(d->ctl + d->ctl_len, p, k);
		d->ctl_len += k;
		return 0;
	}
	return 0;	/* PING, WINDOW_UPDATE, PRIORITY, unknown: nothing to keep */
}

static void h2_lose(struct h2_conn *c, int dir, const struct zt_l7_sink *sink);

/*
 * Parse frames from p; stops early when the direction starts hunting. Returns bytes used,
 * or -1 on a protocol error where framing came from the stream's start. Where it came from
 * hunting, the error more likely says the hunt was wrong: hunt again.
 */
static long h2_frames(struct h2_conn *c, int dir, const uint8_t *p, size_t n,
		      const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct h2_dir *d = &c->d[dir];
	size_t used = 0;
	uint32_t k;
	int rc = 0;

	while (used < n && d->st == H2_ST_FRAMES && rc == 0) {
		if (d->hdr_len < H2_HDR_LEN) {
			if (!d->hdr_len) {
				d->fr_first = *m;
				d->fr_pos = d->pos;
			}
			k = h2_min(H2_HDR_LEN - d->hdr_len, n - used);
			memcpy(d->hdr + d->hdr_len, p + used, k);
			d->hdr_len += (uint8_t)k;
			used += k;
			d->pos += k;
			if (d->hdr_len == H2_HDR_LEN)
				rc = h2_frame_begin(c, dir, m, sink);
			continue;
		}
		k = h2_min(d->left, n - used);
		rc = h2_payload(c, dir, p + used, k);
		used += k;
		d->pos += k;
		d->left -= k;
		if (!rc && !d->left)
			rc = h2_frame_end(c, dir, m, sink);
	}
	if (rc == 0)
		return (long)used;
	if (!d->resynced)
		return -1;
	h2_lose(c, dir, sink);
	return (long)used;
}

/* ---- resynchronisation ---- */

/* Framing is lost: the block being joined and the HPACK table go with it. */
static void h2_lose(struct h2_conn *c, int dir, const struct zt_l7_sink *sink)
{
	struct h2_dir *d = &c->d[dir];
	int side = h2_side(c, dir);

	if (d->in_block)
		h2_block_lost(c, dir, sink);
	h2_block_reset(d);
	zt_hpack_forget(d->hpack);
	/* Any DATA may have been lost: message counts of this side are no longer exact. */
	for (uint32_t i = 0; i < c->nstreams && c->req_dir >= 0; i++)
		c->streams[i]->msgs[side].lost = true;
	d->pos += d->hunt_len;
	d->hunt_len = 0;
	d->hdr_len = 0;
	d->left = 0;
	d->st = H2_ST_HUNT;
}

/* Keep up to n bytes for hunting; returns how many were kept. */
static uint32_t h2_stash(struct h2_dir *d, const uint8_t *p, size_t n)
{
	uint32_t k;

	if (!d->hunt)
		d->hunt = malloc(H2_HUNT_BUF);
	if (!d->spare)
		d->spare = malloc(H2_HUNT_BUF);
	if (!d->hunt || !d->spare)
		return 0;
	k = h2_min(n, H2_HUNT_BUF - d->hunt_len);
	memcpy(d->hunt + d->hunt_len, p, k);
	d->hunt_len += k;
	return k;
}

static void h2_hunt_drop(struct h2_dir *d, uint32_t n)
{
	if (!n)
		return;
	memmove(d->hunt, d->hunt + n, d->hunt_len - n);
	d->hunt_len -= n;
	d->pos += n;
}

static void h2_hunt_free(struct h2_dir *d)
{
	free(d->hunt);
	free(d->spare);
	d->hunt = d->spare = NULL;
	d->hunt_len = 0;
}

/*
 * Find a frame start in the hunt buffer and drop the bytes before it; true when found.
 * A candidate needs the next frame's header to be plausible too, or, at close (final),
 * to end exactly where the bytes end.
 */
static bool h2_hunt_scan(struct h2_conn *c, int dir, bool final)
{
	struct h2_dir *d = &c->d[dir];
	uint32_t i, next;

	for (i = 0; i + H2_HDR_LEN <= d->hunt_len; i++) {
		if (!h2_plausible(c, dir, d->hunt + i, H2_FRAME_DEFAULT))
			continue;
		next = i + H2_HDR_LEN + h2_frame_parse(d->hunt + i).len;
		if (next + H2_HDR_LEN <= d->hunt_len) {
			if (!h2_plausible_next(c, dir, d->hunt + i, d->hunt + next))
				continue;
		} else if (!final) {
			h2_hunt_drop(d, i);	/* wait for more bytes */
			return false;
		} else if (next != d->hunt_len) {
			continue;
		}
		h2_hunt_drop(d, i);
		return true;
	}
	h2_hunt_drop(d, d->hunt_len < H2_HDR_LEN ? 0 : d->hunt_len - (H2_HDR_LEN - 1));
	return false;
}

/* Hunt, then parse frames from what was found; repeat while framing gets lost again. */
static int h2_hunt_resolve(struct h2_conn *c, int dir, bool final, const struct zt_chunk_meta *m,
			   const struct zt_l7_sink *sink)
{
	struct h2_dir *d = &c->d[dir];
	uint8_t *buf;
	uint32_t n;
	long used;

	while (d->st == H2_ST_HUNT) {
		if (!h2_hunt_scan(c, dir, final))
			return 0;
		zt_l7_stats.resyncs++;
		d->st = H2_ST_FRAMES;
		d->resynced = true;
		buf = d->hunt;
		n = d->hunt_len;
		d->hunt = d->spare;
		d->spare = buf;
		d->hunt_len = 0;
		used = h2_frames(c, dir, buf, n, m, sink);
		if (used < 0)
			return -1;
		/* Hunting again: the rest goes back to the (empty) hunt buffer. */
		if (d->st == H2_ST_HUNT)
			h2_stash(d, buf + used, n - (uint32_t)used);
	}
	h2_hunt_free(d);
	return 0;
}

/* Bytes while hunting. Returns how many were taken. */
static long h2_hunt_input(struct h2_conn *c, int dir, const uint8_t *p, size_t n,
			  const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct h2_dir *d = &c->d[dir];
	uint32_t k = h2_stash(d, p, n);

	if (!k) {
		d->pos += n;	/* out of memory: the bytes are lost */
		return (long)n;
	}
	if (h2_hunt_resolve(c, dir, false, m, sink) < 0)
		return -1;
	return k;
}

enum h2_start_kind {
	H2_START_NEED,		/* more bytes needed */
	H2_START_PREFACE,	/* client preface */
	H2_START_SETTINGS,	/* server's first SETTINGS */
	H2_START_MIDDLE,	/* neither: the stream was joined in its middle */
};

static enum h2_start_kind h2_start_kind(const uint8_t *p, size_t n)
{
	if (!memcmp(p, H2_PREFACE, n < H2_PREFACE_LEN ? n : H2_PREFACE_LEN))
		return n >= H2_PREFACE_LEN ? H2_START_PREFACE : H2_START_NEED;
	if (n < H2_HDR_LEN)
		return h2_settings_prefix(p, n) ? H2_START_NEED : H2_START_MIDDLE;
	return h2_settings_prefix(p, H2_HDR_LEN) ? H2_START_SETTINGS : H2_START_MIDDLE;
}

static long h2_input(struct h2_conn *c, int dir, const uint8_t *p, size_t n,
		     const struct zt_chunk_meta *m, const struct zt_l7_sink *sink);

/* Joined mid-stream: the table and the settings that bound it are both unknown. */
static void h2_hpack_unknown(struct h2_dir *d)
{
	struct zt_hpack *h = zt_hpack_new_unknown();

	if (!h) {
		zt_hpack_forget(d->hpack);
		return;
	}
	zt_hpack_free(d->hpack);
	d->hpack = h;
}

/* The direction's first bytes: collected until they say how the stream starts. */
static long h2_start(struct h2_conn *c, int dir, const uint8_t *p, size_t n,
		     const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct h2_dir *d = &c->d[dir];
	uint8_t first[H2_PREFACE_LEN];
	uint32_t k = h2_min(n, H2_PREFACE_LEN - d->start_len), len, skip = 0;

	memcpy(d->start + d->start_len, p, k);
	d->start_len += (uint8_t)k;
	switch (h2_start_kind(d->start, d->start_len)) {
	case H2_START_NEED:
		return k;
	case H2_START_PREFACE:
		if (c->req_dir < 0)
			c->req_dir = dir;
		skip = H2_PREFACE_LEN;
		d->st = H2_ST_FRAMES;
		break;
	case H2_START_SETTINGS:
		d->st = H2_ST_FRAMES;
		break;
	case H2_START_MIDDLE:
		h2_hpack_unknown(d);
		d->st = H2_ST_HUNT;
		break;
	}
	len = d->start_len - skip;
	memcpy(first, d->start + skip, len);
	d->pos += skip;
	d->start_len = 0;
	if (len && h2_input(c, dir, first, len, m, sink) < 0)
		return -1;
	return k;
}

/* Bytes of one direction, in order, whatever its state. */
static long h2_input(struct h2_conn *c, int dir, const uint8_t *p, size_t n,
		     const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct h2_dir *d = &c->d[dir];
	size_t done = 0;
	long k;

	while (done < n) {
		if (d->st == H2_ST_START)
			k = h2_start(c, dir, p + done, n - done, m, sink);
		else if (d->st == H2_ST_HUNT)
			k = h2_hunt_input(c, dir, p + done, n - done, m, sink);
		else
			k = h2_frames(c, dir, p + done, n - done, m, sink);
		if (k < 0)
			return -1;
		done += (size_t)k;
	}
	return (long)done;
}

/* A gap inside a payload whose end is known keeps framing; anything else loses it. */
static int h2_gap(struct h2_conn *c, int dir, size_t len, const struct zt_chunk_meta *m,
		  const struct zt_l7_sink *sink)
{
	struct h2_dir *d = &c->d[dir];
	uint32_t n = (uint32_t)len, k;

	zt_l7_stats.gaps++;
	if (d->st != H2_ST_FRAMES || d->hdr_len < H2_HDR_LEN || len > d->left) {
		d->pos += d->start_len;
		d->start_len = 0;
		h2_lose(c, dir, sink);
		d->pos += len;
		return 0;
	}
	d->pos += len;
	d->left -= n;
	switch (d->fr.type) {
	case H2_DATA:
		if (d->pad_pending) {
			/* The pad length is lost: count the rest as data. */
			d->pad_pending = false;
			d->data_left = d->left + n - 1;
			n--;
		}
		k = h2_min(n, d->data_left);
		d->data_left -= k;
		h2_body(c, dir, d->fr.sid, NULL, k);
		break;
	case H2_HEADERS:
	case H2_PUSH_PROMISE:
	case H2_CONTINUATION:
		d->block_bad = true;
		break;
	default:
		d->ctl_lost = true;
		break;
	}
	if (d->left || h2_frame_end(c, dir, m, sink) == 0)
		return 0;
	if (!d->resynced)
		return -1;
	h2_lose(c, dir, sink);
	return 0;
}

/* ---- zt_parser_ops ---- */

static enum zt_detect h2_detect(const uint8_t *data, size_t len, int dir)
{
	(void)dir;	/* either side may be the client */
	if (!data)
		return ZT_DETECT_NO;
	switch (h2_start_kind(data, len < H2_PREFACE_LEN ? len : H2_PREFACE_LEN)) {
	case H2_START_NEED:
		return ZT_DETECT_MAYBE;
	case H2_START_PREFACE:
	case H2_START_SETTINGS:
		return ZT_DETECT_YES;
	default:
		return ZT_DETECT_NO;
	}
}

int zt_http2_upgraded(void *state, const struct zt_l7_record *req)
{
	struct h2_conn *c = state;
	struct h2_stream *s;
	struct h2_fields *f;

	c->req_dir = req->req_dir;
	c->max_sid = 1;
	s = h2_stream_new(c, 1, NULL);
	if (!s)
		return -1;
	f = &s->f;
	memcpy(f->method, req->method, sizeof(f->method));
	memcpy(f->target, req->target, sizeof(f->target));
	memcpy(f->host, req->host, sizeof(f->host));
	memcpy(f->user_agent, req->user_agent, sizeof(f->user_agent));
	memcpy(f->traceparent, req->traceparent, sizeof(f->traceparent));
	memcpy(f->tracestate, req->tracestate, sizeof(f->tracestate));
	f->target_truncated = req->target_truncated;
	f->has_method = true;
	s->upgraded = true;
	s->req_pos = req->req_pos;
	s->first[H2_REQ] = req->req_first;
	s->last[H2_REQ] = req->req_last;
	s->body[H2_REQ] = req->req_body_bytes;
	/* The client sent the whole request before the switch: its side has ended. */
	s->ended[H2_REQ] = true;
	return 0;
}

static void h2_destroy(void *state)
{
	struct h2_conn *c = state;

	if (!c)
		return;
	for (int i = 0; i < 2; i++) {
		zt_hpack_free(c->d[i].hpack);
		free(c->d[i].blk);
		h2_hunt_free(&c->d[i]);
	}
	for (uint32_t i = 0; i < c->nstreams; i++)
		free(c->streams[i]);
	free(c->streams);
	free(c);
}

static void *h2_create(void)
{
	struct h2_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->req_dir = -1;
	for (int i = 0; i < 2; i++) {
		c->d[i].max_frame = H2_FRAME_DEFAULT;
		c->d[i].hpack = zt_hpack_new();
		if (!c->d[i].hpack) {
			h2_destroy(c);
			return NULL;
		}
	}
	return c;
}

static int h2_feed(void *state, int dir, const uint8_t *data, size_t len,
		   const struct zt_chunk_meta *meta, const struct zt_l7_sink *sink)
{
	struct h2_conn *c = state;
	int rc;

	if (c->malformed)
		return -1;
	if (dir != ZT_L7_EGRESS && dir != ZT_L7_INGRESS)
		goto bad;
	if (c->closed || !len)
		return 0;
	if (!meta)
		meta = &h2_no_meta;
	if (data)
		rc = h2_input(c, dir, data, len, meta, sink) < 0 ? -1 : 0;
	else
		rc = h2_gap(c, dir, len, meta, sink);
	if (rc < 0)
		goto bad;
	return 0;
bad:
	c->malformed = true;
	zt_l7_stats.malformed++;
	return -1;
}

/*
 * Frames still waiting for a hunt to confirm them are parsed now; then every pending
 * stream is flushed: reset unless its response ended, unanswered without response.
 */
static void h2_close(void *state, const struct zt_chunk_meta *meta,
		     const struct zt_l7_sink *sink)
{
	struct h2_conn *c = state;
	struct h2_stream *s;

	if (!meta)
		meta = &h2_no_meta;
	for (int dir = 0; dir < 2 && !c->malformed && !c->closed; dir++) {
		if (c->d[dir].st == H2_ST_HUNT && h2_hunt_resolve(c, dir, true, meta, sink) < 0) {
			c->malformed = true;
			zt_l7_stats.malformed++;
		}
	}
	while (!c->malformed && !c->closed && c->nstreams) {
		s = c->streams[0];
		if (!s->ended[H2_RESP])
			s->h2_reset = true;
		h2_emit(c, s, true, sink);
		h2_stream_remove(c, 0);
	}
	c->closed = true;
}

const struct zt_parser_ops zt_http2_parser = {
	.name = "http2",
	.proto = ZT_L7_HTTP2,
	.detect = h2_detect,
	.create = h2_create,
	.destroy = h2_destroy,
	.feed = h2_feed,
	.close = h2_close,
};
