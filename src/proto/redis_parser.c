/*
 * Redis parser (RESP2 and RESP3), client side only: commands go out (EGRESS), replies come
 * in (INGRESS). A command is an array of bulk strings or an inline line; each becomes one
 * record, paired in order with its reply. Arguments are never buffered whole: the start of
 * each (what db_query can show) is kept and the rest skipped by length, so a gap inside a
 * large value costs nothing.
 *
 * Replies are walked as a tree of RESP values with a bounded stack; only the top level is
 * paired. Pub/sub traffic is told apart from replies: RESP3 pushes and RESP2 "message"
 * arrays are skipped, subscribe confirmations are counted against the (P|S)(UN)SUBSCRIBE
 * command they answer. The parser follows what changes the meaning of later bytes: SELECT,
 * HELLO, MULTI/EXEC, CLIENT REPLY, RESET, and stops at MONITOR or replication.
 *
 * The first message of each direction, and the first after a gap, is parsed tentatively:
 * if it does not parse, the direction was seen from its middle and hunts for the next
 * plausible start ("*<digits>\r\n$" for commands, a type byte after CRLF for replies).
 * Hunting scans the byte stream rather than chunk starts, so that how the stream was cut
 * into chunks never changes what is found. After a gap anywhere but inside a value, or
 * bytes that were not what they seemed, the commands waiting for replies are dropped and
 * pairing stops until commands and replies are in step again (redis_cmd_begin): better no
 * record than a command paired with another's reply.
 *
 * Two gaps are recovered exactly when one command is in flight, since its reply is then the
 * next one whatever was lost. A command cut by a gap after its "*N" header is parked: the
 * kernel sends the last bytes of a cut syscall after the gap, and if they end the command
 * (CRLF, at most ZT_TAIL_BYTES, no command start) and a reply begins before more is sent,
 * the command ended there (redis_unpark). A reply cut by a gap after its first line has
 * lost its end: every reply byte is taken as its own until the client sends its next
 * command, which a client waiting for replies does only once the reply is whole
 * (redis_resp_end_lost). With commands pipelined, both fall back to dropping.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l7_fifo.h"
#include "zt_l7.h"
#include "zt_span.h"

#define REDIS_FIFO_MAX 1024		/* commands waiting for replies (pipelining) */
#define REDIS_QTEXT_MAX (512 * 1024)	/* db_query bytes they may hold in total */
#define REDIS_DEPTH_MAX 32		/* nesting of aggregate replies */
#define REDIS_COUNT_MAX INT32_MAX	/* elements of an aggregate, arguments of a command */
#define REDIS_BULK_MAX (1ULL << 40)	/* a larger bulk length is malformed */
#define REDIS_LINE_MAX (64 * 1024)	/* inline commands and reply lines */
#define REDIS_NUM_DIGITS 19		/* of a length or count */
#define REDIS_KEEP_MAX (ZT_L7_DB_STATUS_MAX + ZT_L7_DB_ERROR_MAX)	/* reply text kept */
#define REDIS_WORD_MAX 16		/* "punsubscribe" and the other pub/sub kinds fit */
#define REDIS_DB_MAX 24			/* SELECT's index */
#define REDIS_NAME_MAX 24		/* longest command name in the table, and some */
#define REDIS_IBUF_MIN 256		/* first allocation for an inline line */
#define REDIS_TAIL_MAX 256		/* end of a cut syscall sent too: ZT_TAIL_BYTES */

/* Commands that change how later bytes are read, or hold credentials. */
enum redis_kind {
	REDIS_K_OTHER,
	REDIS_K_AUTH,
	REDIS_K_HELLO,
	REDIS_K_MIGRATE,
	REDIS_K_CONFIG,
	REDIS_K_ACL,
	REDIS_K_SELECT,
	REDIS_K_CLIENT,
	REDIS_K_MULTI,
	REDIS_K_EXEC,
	REDIS_K_DISCARD,
	REDIS_K_RESET,
	REDIS_K_MONITOR,
	REDIS_K_PSYNC,		/* PSYNC and SYNC: a replication stream follows */
	REDIS_K_SUBSCRIBE,
	REDIS_K_PSUBSCRIBE,
	REDIS_K_SSUBSCRIBE,
	REDIS_K_UNSUBSCRIBE,
	REDIS_K_PUNSUBSCRIBE,
	REDIS_K_SUNSUBSCRIBE,
};

/* CLIENT REPLY state of the connection, and a CLIENT REPLY command's argument. */
enum redis_reply_mode {
	REDIS_REPLY_ON,
	REDIS_REPLY_OFF,
	REDIS_REPLY_SKIP,	/* the next command gets no reply */
	REDIS_REPLY_NONE,	/* (command) not a CLIENT REPLY */
};

/* A SELECT queued in MULTI takes effect at EXEC. */
enum redis_tx_db {
	REDIS_TX_NONE,
	REDIS_TX_SET,		/* tx_db_name holds the index */
	REDIS_TX_UNKNOWN,
};

enum redis_req_st {
	REQ_START,	/* between commands: '*' starts an array, anything else an inline line */
	REQ_COUNT,	/* "<count>\r\n" after '*' */
	REQ_DOLLAR,	/* the '$' of the next argument */
	REQ_LEN,	/* "<len>\r\n" after '$' */
	REQ_DATA,	/* `remaining` bytes of an argument */
	REQ_DATA_CR,
	REQ_DATA_LF,
	REQ_INLINE,	/* the rest of an inline command line */
	REQ_HUNT,	/* looking for "*<digits>\r\n$" */
};

enum redis_resp_st {
	RESP_TYPE,	/* the type byte of the next value */
	RESP_LINE,	/* the rest of its line */
	RESP_BLOB,	/* `remaining` bytes of a bulk string, blob error or verbatim string */
	RESP_BLOB_CR,
	RESP_BLOB_LF,
	RESP_HUNT,	/* looking for a type byte after CRLF */
	RESP_LOST,	/* a gap hid its end: every byte is the reply's until the next command */
};

/* What an element of a top-level aggregate was, for telling pub/sub traffic apart. */
enum redis_elem {
	ELEM_OTHER,
	ELEM_STRING,
	ELEM_NULL,
	ELEM_INT,
};

/* A command, from its last byte until its reply is complete. */
struct redis_cmd {
	struct zt_chunk_meta req_first;
	struct zt_chunk_meta req_last;
	struct zt_chunk_meta resp_first;
	struct zt_chunk_meta resp_last;
	uint64_t req_pos;
	uint64_t req_bytes;
	uint64_t resp_bytes;
	uint64_t done_seq;	/* feed() call that carried its last byte */
	char *query;		/* db_query, allocated once the command is complete */
	uint32_t query_len;
	uint32_t nargs;		/* arguments after the name */
	uint32_t skip;		/* replies of dropped commands that come before ours */
	uint32_t confirms;	/* pub/sub confirmations received */
	uint8_t kind;		/* redis_kind */
	uint8_t hello_proto;	/* HELLO's protocol version, 0 without one */
	uint8_t reply_mode;	/* redis_reply_mode CLIENT REPLY asks for */
	bool query_truncated;
	bool no_reply;		/* CLIENT REPLY OFF/SKIP: the server sends nothing back */
	bool has_response;
	bool select_ok;		/* select_db holds SELECT's index */
	char select_db[REDIS_DB_MAX];
	char op[ZT_L7_DB_OPERATION_MAX];
};

/* "<digits>\r\n", a byte at a time: count and length lines of commands. */
struct redis_num {
	uint64_t val;
	uint8_t digits;
	bool neg;
	bool cr;
};

/* Command direction. */
struct redis_req {
	uint8_t st;		/* redis_req_st */
	bool tentative;		/* first command after the start or a hunt: errors hunt again */
	bool hunted;		/* the current command was found by hunting */
	bool hunt_any;		/* the next byte follows a gap: it may start a command */
	uint8_t hunt_phase;	/* 0 '*', 1 digits, 2 '\r', 3 '\n' (then '$') */
	uint8_t hunt_digits;
	uint8_t tail[2];	/* last two bytes of the previous chunk */
	uint8_t reply_mode;	/* redis_reply_mode of the connection, as commands are sent */
	uint32_t hunt_count;
	struct zt_chunk_meta hunt_meta;	/* chunk holding the candidate's '*' */
	uint64_t hunt_pos;
	struct redis_num num;
	uint64_t remaining;	/* argument bytes due */
	uint32_t args_left;	/* arguments due in the array */
	uint32_t args_total;	/* arguments its header announced */
	uint64_t pos;		/* bytes fed in this direction before the current chunk */
	const uint8_t *chunk;	/* start of the chunk being parsed */
	char *ibuf;		/* an inline line split across chunks */
	uint32_t ilen;
	uint32_t icap;
	/* The command being parsed. */
	bool building;
	uint32_t epoch;		/* conn epoch when it began: a desync since makes it unpairable */
	bool redact_rest;	/* what follows may be credentials: hide it all */
	uint8_t secret_left;	/* the next arguments are credentials */
	uint32_t argi;		/* index of the argument being parsed */
	uint64_t arg_len;
	uint32_t arg_kept;	/* bytes of it in abuf */
	bool arg_holed;		/* a gap hit the part abuf keeps */
	bool qfull;		/* db_query is cut: no more arguments go in */
	uint32_t qlen;
	char sub[REDIS_WORD_MAX];	/* argument 1 upper-cased: the subcommand */
	struct redis_cmd cmd;
	/* The command cut by a gap, waiting for a reply to say where it ended (redis_park). */
	bool parked;
	uint32_t park_bytes;	/* bytes sent since the gap: the syscall's tail, if few enough */
	uint8_t park_proto;	/* RESP version at the gap */
	uint64_t park_seq;	/* feed() call of the last of them */
	struct zt_chunk_meta park_last;	/* ... and its chunk */
	char abuf[ZT_L7_DB_QUERY_MAX];	/* start of the argument being parsed */
	char qbuf[ZT_L7_DB_QUERY_MAX];	/* db_query being written */
};

/* An aggregate being parsed: how many values it still holds. */
struct redis_frame {
	uint64_t left;
	uint8_t type;		/* '*', '~', '%', '|' or '>' */
};

/* The top-level value being parsed, and what pairing needs to know of it. */
struct redis_reply {
	struct zt_chunk_meta first;	/* chunk with its first byte (an attribute's, if any) */
	uint64_t seq;		/* feed() call of that chunk */
	uint64_t start;		/* stream position of its first byte */
	uint64_t bytes;
	int64_t rows;		/* elements of an array, set, map or push; -1 otherwise */
	int64_t count;		/* third element, when an integer: a subscription count */
	uint32_t elems;		/* elements of the top-level aggregate complete so far */
	uint8_t type;		/* type byte of the value after any attribute; 0 before it */
	bool started;
	bool resp3;		/* holds a type only RESP3 has */
	bool failed;
	bool queued;		/* +QUEUED: a command inside MULTI */
	bool chan_ok;		/* second element is a string or null */
	bool chan_null;
	bool has_count;
	char word[REDIS_WORD_MAX];	/* first element, when a short string */
	char status[ZT_L7_DB_STATUS_MAX];
	char error[ZT_L7_DB_ERROR_MAX];
};

/* Reply direction. */
struct redis_resp {
	uint8_t st;		/* redis_resp_st */
	uint8_t type;		/* type byte of the line or blob being parsed */
	bool tentative;		/* first reply after the start or a hunt: errors hunt again */
	bool hunted;
	bool hunt_any;		/* the next byte follows a gap: it may start a reply */
	bool keep_holed;	/* a gap hit the part keep holds */
	uint8_t line_last;	/* last byte of the line so far */
	uint8_t tail[2];	/* last two bytes of the previous chunk */
	uint32_t keep_len;
	uint64_t val_len;	/* length of the line's text or of the blob */
	uint64_t remaining;	/* blob bytes due */
	uint64_t pos;		/* bytes fed in this direction before the current chunk */
	uint64_t at;		/* stream position just after the value that completed */
	const uint8_t *chunk;
	uint32_t depth;
	struct redis_frame stack[REDIS_DEPTH_MAX];
	struct redis_reply cur;
	struct zt_chunk_meta lost_last;	/* RESP_LOST: chunk of the last byte seen */
	char keep[REDIS_KEEP_MAX];	/* start of the line's text or of the blob */
};

struct redis_conn {
	struct redis_req req;
	struct redis_resp resp;
	struct zt_fifo q;	/* of redis_cmd: commands waiting for replies */
	uint32_t pending_skip;	/* replies due to dropped commands, for the next one queued */
	uint64_t qtext;		/* db_query bytes the ring holds */
	uint64_t seq;		/* feed() calls so far */
	bool malformed;
	bool stopped;		/* MONITOR or replication: nothing more to record */
	bool fresh;		/* nothing seen but the first bytes of the connection */
	bool suspended;		/* out of step since a desync: commands are not queued */
	uint32_t epoch;		/* desyncs so far */
	uint32_t replies_since;	/* replies while suspended, since the last command dropped */
	bool ns_known;		/* db holds the selected database */
	uint8_t proto;		/* RESP version, 0 unknown */
	uint8_t tx_db;		/* redis_tx_db */
	int32_t n_chan;		/* channels, patterns and shard channels subscribed; -1 unknown */
	int32_t n_pat;
	int32_t n_shard;
	char db[ZT_L7_DB_NAMESPACE_MAX];
	char tx_db_name[REDIS_DB_MAX];
};

/* The record handed to the sink, filled for one call at a time (7 KiB: not per connection). */
static __thread struct zt_l7_record redis_rec;

/* Every command of Redis 7, upper-case and sorted (bsearch); kind where it matters. */
static const struct redis_name {
	const char *name;
	uint8_t kind;		/* redis_kind */
} redis_names[] = {
	{ "ACL", REDIS_K_ACL }, { "APPEND" }, { "ASKING" }, { "AUTH", REDIS_K_AUTH },
	{ "BGREWRITEAOF" }, { "BGSAVE" }, { "BITCOUNT" }, { "BITFIELD" }, { "BITFIELD_RO" },
	{ "BITOP" }, { "BITPOS" }, { "BLMOVE" }, { "BLMPOP" }, { "BLPOP" }, { "BRPOP" },
	{ "BRPOPLPUSH" }, { "BZMPOP" }, { "BZPOPMAX" }, { "BZPOPMIN" },
	{ "CLIENT", REDIS_K_CLIENT }, { "CLUSTER" }, { "COMMAND" }, { "CONFIG", REDIS_K_CONFIG },
	{ "COPY" }, { "DBSIZE" }, { "DEBUG" }, { "DECR" }, { "DECRBY" }, { "DEL" },
	{ "DISCARD", REDIS_K_DISCARD },
	{ "DUMP" }, { "ECHO" }, { "EVAL" }, { "EVALSHA" }, { "EVALSHA_RO" }, { "EVAL_RO" },
	{ "EXEC", REDIS_K_EXEC }, { "EXISTS" }, { "EXPIRE" }, { "EXPIREAT" }, { "EXPIRETIME" },
	{ "FAILOVER" }, { "FCALL" }, { "FCALL_RO" }, { "FLUSHALL" }, { "FLUSHDB" },
	{ "FUNCTION" }, { "GEOADD" }, { "GEODIST" }, { "GEOHASH" }, { "GEOPOS" }, { "GEORADIUS" },
	{ "GEORADIUSBYMEMBER" }, { "GEORADIUSBYMEMBER_RO" }, { "GEORADIUS_RO" }, { "GEOSEARCH" },
	{ "GEOSEARCHSTORE" }, { "GET" }, { "GETBIT" }, { "GETDEL" }, { "GETEX" }, { "GETRANGE" },
	{ "GETSET" }, { "HDEL" }, { "HELLO", REDIS_K_HELLO }, { "HEXISTS" }, { "HGET" },
	{ "HGETALL" }, { "HINCRBY" }, { "HINCRBYFLOAT" }, { "HKEYS" }, { "HLEN" }, { "HMGET" },
	{ "HMSET" }, { "HRANDFIELD" }, { "HSCAN" }, { "HSET" }, { "HSETNX" }, { "HSTRLEN" },
	{ "HVALS" }, { "INCR" }, { "INCRBY" }, { "INCRBYFLOAT" }, { "INFO" }, { "KEYS" },
	{ "LASTSAVE" }, { "LATENCY" }, { "LCS" }, { "LINDEX" }, { "LINSERT" }, { "LLEN" },
	{ "LMOVE" }, { "LMPOP" }, { "LOLWUT" }, { "LPOP" }, { "LPOS" }, { "LPUSH" }, { "LPUSHX" },
	{ "LRANGE" }, { "LREM" }, { "LSET" }, { "LTRIM" }, { "MEMORY" }, { "MGET" },
	{ "MIGRATE", REDIS_K_MIGRATE }, { "MODULE" }, { "MONITOR", REDIS_K_MONITOR }, { "MOVE" },
	{ "MSET" }, { "MSETNX" }, { "MULTI", REDIS_K_MULTI }, { "OBJECT" }, { "PERSIST" },
	{ "PEXPIRE" }, { "PEXPIREAT" }, { "PEXPIRETIME" }, { "PFADD" }, { "PFCOUNT" },
	{ "PFDEBUG" }, { "PFMERGE" }, { "PFSELFTEST" }, { "PING" }, { "PSETEX" },
	{ "PSUBSCRIBE", REDIS_K_PSUBSCRIBE }, { "PSYNC", REDIS_K_PSYNC }, { "PTTL" },
	{ "PUBLISH" }, { "PUBSUB" }, { "PUNSUBSCRIBE", REDIS_K_PUNSUBSCRIBE }, { "QUIT" },
	{ "RANDOMKEY" }, { "READONLY" }, { "READWRITE" }, { "RENAME" }, { "RENAMENX" },
	{ "REPLCONF" }, { "REPLICAOF" }, { "RESET", REDIS_K_RESET }, { "RESTORE" },
	{ "RESTORE-ASKING" }, { "ROLE" }, { "RPOP" }, { "RPOPLPUSH" }, { "RPUSH" }, { "RPUSHX" },
	{ "SADD" }, { "SAVE" }, { "SCAN" }, { "SCARD" }, { "SCRIPT" }, { "SDIFF" },
	{ "SDIFFSTORE" }, { "SELECT", REDIS_K_SELECT }, { "SET" }, { "SETBIT" }, { "SETEX" },
	{ "SETNX" }, { "SETRANGE" }, { "SHUTDOWN" }, { "SINTER" }, { "SINTERCARD" },
	{ "SINTERSTORE" }, { "SISMEMBER" }, { "SLAVEOF" }, { "SLOWLOG" }, { "SMEMBERS" },
	{ "SMISMEMBER" }, { "SMOVE" }, { "SORT" }, { "SORT_RO" }, { "SPOP" }, { "SPUBLISH" },
	{ "SRANDMEMBER" }, { "SREM" }, { "SSCAN" }, { "SSUBSCRIBE", REDIS_K_SSUBSCRIBE },
	{ "STRLEN" }, { "SUBSCRIBE", REDIS_K_SUBSCRIBE }, { "SUBSTR" }, { "SUNION" },
	{ "SUNIONSTORE" }, { "SUNSUBSCRIBE", REDIS_K_SUNSUBSCRIBE }, { "SWAPDB" },
	{ "SYNC", REDIS_K_PSYNC }, { "TIME" }, { "TOUCH" }, { "TTL" }, { "TYPE" }, { "UNLINK" },
	{ "UNSUBSCRIBE", REDIS_K_UNSUBSCRIBE }, { "UNWATCH" }, { "WAIT" }, { "WAITAOF" },
	{ "WATCH" }, { "XACK" }, { "XADD" }, { "XAUTOCLAIM" }, { "XCLAIM" }, { "XDEL" },
	{ "XGROUP" }, { "XINFO" }, { "XLEN" }, { "XPENDING" }, { "XRANGE" }, { "XREAD" },
	{ "XREADGROUP" }, { "XREVRANGE" }, { "XSETID" }, { "XTRIM" }, { "ZADD" }, { "ZCARD" },
	{ "ZCOUNT" }, { "ZDIFF" }, { "ZDIFFSTORE" }, { "ZINCRBY" }, { "ZINTER" },
	{ "ZINTERCARD" }, { "ZINTERSTORE" }, { "ZLEXCOUNT" }, { "ZMPOP" }, { "ZMSCORE" },
	{ "ZPOPMAX" }, { "ZPOPMIN" }, { "ZRANDMEMBER" }, { "ZRANGE" }, { "ZRANGEBYLEX" },
	{ "ZRANGEBYSCORE" }, { "ZRANGESTORE" }, { "ZRANK" }, { "ZREM" }, { "ZREMRANGEBYLEX" },
	{ "ZREMRANGEBYRANK" }, { "ZREMRANGEBYSCORE" }, { "ZREVRANGE" }, { "ZREVRANGEBYLEX" },
	{ "ZREVRANGEBYSCORE" }, { "ZREVRANK" }, { "ZSCAN" }, { "ZSCORE" }, { "ZUNION" },
	{ "ZUNIONSTORE" },
};

/* Confirmation kinds of the pub/sub commands, as the server names them. */
static const struct {
	const char *word;
	uint8_t kind;		/* redis_kind */
} redis_sub_words[] = {
	{ "subscribe", REDIS_K_SUBSCRIBE },	{ "psubscribe", REDIS_K_PSUBSCRIBE },
	{ "ssubscribe", REDIS_K_SSUBSCRIBE },	{ "unsubscribe", REDIS_K_UNSUBSCRIBE },
	{ "punsubscribe", REDIS_K_PUNSUBSCRIBE }, { "sunsubscribe", REDIS_K_SUNSUBSCRIBE },
};

/* ---- small helpers ---- */

static bool redis_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool redis_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char redis_upper(char c)
{
	return c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c;
}

/* Case-insensitive compare of s[0..n) with upper-case `lit`. */
static bool redis_ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n && lit[i]; i++)
		if (redis_upper(s[i]) != lit[i])
			return false;
	return i == n && !lit[i];
}

static bool redis_type_byte(uint8_t b)
{
	return b && strchr("+-:$*_#,(!=%~|>", b);
}

static bool redis_resp3_type(uint8_t b)
{
	return b && strchr("_#,(!=%~|>", b);
}

/* Spaces that separate inline arguments (isspace() in the C locale). */
static bool redis_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Byte k (1 or 2) before p: from the chunk, or from the tail of the one before. */
static uint8_t redis_before(const uint8_t *chunk, const uint8_t tail[2], const uint8_t *p, size_t k)
{
	size_t off = (size_t)(p - chunk);

	if (off >= k)
		return p[-(ptrdiff_t)k];
	return tail[2 - (k - off)];
}

static void redis_tail_update(uint8_t tail[2], const uint8_t *data, size_t len)
{
	if (!data) {
		tail[0] = tail[1] = 0;
	} else if (len >= 2) {
		tail[0] = data[len - 2];
		tail[1] = data[len - 1];
	} else if (len == 1) {
		tail[0] = tail[1];
		tail[1] = data[0];
	}
}

/* A decimal integer with an optional sign, as ':' lines and lengths carry it. */
static bool redis_parse_int(const char *s, size_t n, int64_t *out)
{
	uint64_t v = 0;
	bool neg = false;
	size_t i = 0;

	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n || n - i > REDIS_NUM_DIGITS)
		return false;
	for (; i < n; i++) {
		if (!redis_digit((uint8_t)s[i]))
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > INT64_MAX)
		return false;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

static void redis_num_reset(struct redis_num *n)
{
	memset(n, 0, sizeof(*n));
}

/* One byte of "<digits>\r\n" (a leading '-' allowed): 1 when complete, 0 more, -1 bad. */
static int redis_num_byte(struct redis_num *n, uint8_t b)
{
	if (n->cr)
		return b == '\n' && n->digits ? 1 : -1;
	if (redis_digit(b)) {
		if (n->digits == REDIS_NUM_DIGITS)
			return -1;
		n->val = n->val * 10 + (uint64_t)(b - '0');
		n->digits++;
		return 0;
	}
	if (b == '-' && !n->digits && !n->neg) {
		n->neg = true;
		return 0;
	}
	if (b == '\r') {
		n->cr = true;
		return 0;
	}
	return -1;
}

/* ---- command names ---- */

struct redis_key {
	const char *s;
	size_t n;
};

static int redis_name_cmp(const void *k, const void *e)
{
	const struct redis_key *key = k;
	const char *name = ((const struct redis_name *)e)->name;
	size_t i;

	for (i = 0; i < key->n && name[i]; i++) {
		char a = redis_upper(key->s[i]);

		if (a != name[i])
			return (unsigned char)a - (unsigned char)name[i];
	}
	if (i < key->n)
		return 1;
	return name[i] ? -1 : 0;
}

static const struct redis_name *redis_lookup(const char *s, size_t n)
{
	struct redis_key key = { s, n };

	if (!n || n >= REDIS_NAME_MAX)
		return NULL;
	return bsearch(&key, redis_names, sizeof(redis_names) / sizeof(redis_names[0]),
		       sizeof(redis_names[0]), redis_name_cmp);
}

/* Could s[0..n) still grow into a command name? */
static bool redis_name_prefix(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(redis_names) / sizeof(redis_names[0]); i++) {
		const char *name = redis_names[i].name;
		size_t k;

		for (k = 0; k < n && name[k] && redis_upper(s[k]) == name[k]; k++)
			;
		if (k == n)
			return true;
	}
	return false;
}

static bool redis_sub_kind(uint8_t kind)
{
	return kind >= REDIS_K_SUBSCRIBE && kind <= REDIS_K_SUNSUBSCRIBE;
}

/* ---- db_query: the command as redis-cli prints it ---- */

/* Printable without spaces or quotes: written as is. */
static bool redis_plain(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 0x7f || c == '"' || c == '\'')
			return false;
	}
	return n > 0;
}

/* One byte inside double quotes; returns its length in out. */
static size_t redis_escape(unsigned char c, char out[4])
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '"':
	case '\\':
		out[0] = '\\';
		out[1] = (char)c;
		return 2;
	case '\n':
		memcpy(out, "\\n", 2);
		return 2;
	case '\r':
		memcpy(out, "\\r", 2);
		return 2;
	case '\t':
		memcpy(out, "\\t", 2);
		return 2;
	}
	if (c >= ' ' && c < 0x7f) {
		out[0] = (char)c;
		return 1;
	}
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 15];
	return 4;
}

/*
 * Append one argument. `cut`: its tail is missing (too long to keep, or lost in a gap).
 * Once an argument does not fit whole, the query ends there: nothing follows a cut.
 */
static void redis_query_add(struct redis_req *q, const char *s, size_t n, bool cut)
{
	size_t cap = sizeof(q->qbuf) - 1, room, k;
	char esc[4];

	if (q->qfull)
		return;
	if (q->qlen) {
		if (cap - q->qlen < 2) {
			q->qfull = true;
			return;
		}
		q->qbuf[q->qlen++] = ' ';
	}
	room = cap - q->qlen;
	if (redis_plain(s, n)) {
		k = n < room ? n : room;
		memcpy(q->qbuf + q->qlen, s, k);
		q->qlen += (uint32_t)k;
		q->qfull = k < n || cut;
		return;
	}
	q->qbuf[q->qlen++] = '"';
	for (size_t i = 0; i < n; i++) {
		k = redis_escape((unsigned char)s[i], esc);
		if (cap - q->qlen < k) {
			q->qfull = true;
			return;
		}
		memcpy(q->qbuf + q->qlen, esc, k);
		q->qlen += (uint32_t)k;
	}
	if (cut || q->qlen == cap) {
		q->qfull = true;
		return;
	}
	q->qbuf[q->qlen++] = '"';
}

/* ---- the queue of commands waiting for replies ---- */

static struct redis_cmd *redis_slot(struct redis_conn *c, uint32_t i)
{
	return zt_fifo_at(&c->q, i);
}

static void redis_set_db(struct redis_conn *c, const char *db)
{
	c->ns_known = db != NULL;
	if (db)
		zt_l7_copy_str(c->db, sizeof(c->db), db, strlen(db));
}

/* The record of a command, request side only. */
static struct zt_l7_record *redis_fill(struct redis_conn *c, const struct redis_cmd *cmd)
{
	struct zt_l7_record *r = &redis_rec;

	zt_l7_record_clear(r, ZT_L7_REDIS, ZT_L7_EGRESS);
	r->req_first = cmd->req_first;
	r->req_last = cmd->req_last;
	r->req_pos = cmd->req_pos;
	r->req_body_bytes = cmd->req_bytes;
	r->db_args = cmd->nargs;
	r->db_query_truncated = cmd->query_truncated;
	memcpy(r->db_query, cmd->query, cmd->query_len + 1);
	memcpy(r->db_operation, cmd->op, sizeof(cmd->op));
	if (c->ns_known)
		memcpy(r->db_namespace, c->db, sizeof(c->db));
	return r;
}

/* A command and what answered it: `rep` when one reply did, NULL otherwise. */
static void redis_emit(struct redis_conn *c, const struct redis_cmd *cmd,
		       const struct redis_reply *rep, const struct zt_l7_sink *sink)
{
	struct zt_l7_record *r = redis_fill(c, cmd);

	if (cmd->has_response) {
		r->has_response = true;
		r->resp_first = cmd->resp_first;
		r->resp_last = cmd->resp_last;
		r->resp_body_bytes = cmd->resp_bytes;
	}
	if (rep) {
		r->db_rows = rep->rows;
		r->db_failed = rep->failed;
		memcpy(r->db_status, rep->status, sizeof(rep->status));
		memcpy(r->db_error, rep->error, sizeof(rep->error));
	}
	zt_l7_stats.records++;
	if (!r->has_response && !cmd->no_reply)
		zt_l7_stats.unanswered++;
	if (!c->ns_known)
		zt_l7_stats.partial_state++;
	if (sink && sink->emit)
		sink->emit(sink->ctx, r);
}

static void redis_free_query(struct redis_conn *c, struct redis_cmd *cmd)
{
	c->qtext -= cmd->query_len + 1;
	free(cmd->query);
	cmd->query = NULL;
}

/* Remove the head; replies it was still to skip pass to the next command. */
static void redis_pop(struct redis_conn *c)
{
	struct redis_cmd *cmd = redis_slot(c, 0);
	uint32_t carry = cmd->skip;

	redis_free_query(c, cmd);
	zt_fifo_pop(&c->q);
	if (!carry)
		return;
	if (zt_fifo_count(&c->q))
		redis_slot(c, 0)->skip += carry;
	else
		c->pending_skip += carry;
}

/* Commands the server does not answer (CLIENT REPLY OFF/SKIP) leave as they reach the head. */
static void redis_drain(struct redis_conn *c, const struct zt_l7_sink *sink)
{
	while (zt_fifo_count(&c->q) && redis_slot(c, 0)->no_reply) {
		redis_emit(c, redis_slot(c, 0), NULL, sink);
		redis_pop(c);
	}
}

/* A lost command of this kind leaves the connection's state unknown. */
static void redis_forget(struct redis_conn *c, uint8_t kind)
{
	switch (kind) {
	case REDIS_K_RESET:
		c->proto = 0;
		c->n_chan = c->n_pat = c->n_shard = -1;
		c->tx_db = REDIS_TX_NONE;
		/* fallthrough */
	case REDIS_K_SELECT:
		c->ns_known = false;
		break;
	case REDIS_K_HELLO:
		c->proto = 0;
		break;
	case REDIS_K_MULTI:
	case REDIS_K_EXEC:
	case REDIS_K_DISCARD:
		c->tx_db = REDIS_TX_NONE;
		break;
	default:
		if (redis_sub_kind(kind))
			c->n_chan = c->n_pat = c->n_shard = -1;
		break;
	}
}

/* Forget every command waiting for a reply: their replies can no longer be paired. */
static void redis_drop_pending(struct redis_conn *c)
{
	while (zt_fifo_count(&c->q)) {
		struct redis_cmd *cmd = redis_slot(c, 0);

		redis_forget(c, cmd->kind);
		redis_free_query(c, cmd);
		zt_fifo_pop(&c->q);
	}
	c->pending_skip = 0;
}

static void redis_resp_hunt_start(struct redis_resp *r, bool after_gap)
{
	r->st = RESP_HUNT;
	r->tentative = true;
	r->hunt_any = after_gap;
	r->depth = 0;
	r->cur.started = false;
}

/*
 * Commands and replies may be out of step (a gap outside a value, bytes that were not
 * what they seemed, replies before the first command): drop what waits, stop pairing.
 */
static void redis_desync(struct redis_conn *c)
{
	/* What followed a parked command's gap may have held whole commands, now lost. */
	if (c->req.parked) {
		uint8_t proto = c->proto;

		c->req.parked = false;
		redis_forget(c, REDIS_K_RESET);
		/* Forgotten as at the gap: a RESP3 push seen since still tells the protocol. */
		if (proto != c->req.park_proto)
			c->proto = proto;
		c->req.reply_mode = REDIS_REPLY_ON;
	}
	/* A reply whose end was lost can no longer be told from the next ones. */
	if (c->resp.st == RESP_LOST)
		redis_resp_hunt_start(&c->resp, false);
	redis_drop_pending(c);
	c->suspended = true;
	c->epoch++;
	c->replies_since = 0;
	c->fresh = false;
}

/*
 * The queue is full: flush the oldest command not partly answered as unanswered. Its
 * replies are still due, so the next command skips them.
 */
static void redis_overflow(struct redis_conn *c, const struct zt_l7_sink *sink)
{
	uint32_t i = zt_fifo_count(&c->q) > 1 && redis_slot(c, 0)->confirms ? 1 : 0;
	struct redis_cmd *drop = redis_slot(c, i);
	uint32_t due = drop->skip;

	if (!drop->no_reply)
		due += redis_sub_kind(drop->kind) && drop->nargs ? drop->nargs : 1;
	drop->skip = 0;
	redis_emit(c, drop, NULL, sink);
	redis_free_query(c, drop);
	if (i)
		memcpy(drop, redis_slot(c, 0), sizeof(*drop));
	zt_fifo_pop(&c->q);
	if (zt_fifo_count(&c->q) > i)
		redis_slot(c, i)->skip += due;
	else
		c->pending_skip += due;
}

/* Queue the command just parsed; the span builder hears of it before its reply. */
static int redis_push(struct redis_conn *c, const struct zt_l7_sink *sink)
{
	struct redis_req *q = &c->req;
	struct redis_cmd *cmd;

	while (zt_fifo_count(&c->q) &&
	       (zt_fifo_count(&c->q) == REDIS_FIFO_MAX || c->qtext + q->qlen + 1 > REDIS_QTEXT_MAX))
		redis_overflow(c, sink);
	cmd = zt_fifo_reserve(&c->q);
	if (!cmd)
		return -1;
	memcpy(cmd, &q->cmd, sizeof(*cmd));
	cmd->query = malloc(q->qlen + 1);
	if (!cmd->query)
		return -1;
	memcpy(cmd->query, q->qbuf, q->qlen);
	cmd->query[q->qlen] = '\0';
	cmd->query_len = q->qlen;
	cmd->skip = c->pending_skip;
	c->pending_skip = 0;
	c->qtext += q->qlen + 1;
	zt_fifo_commit(&c->q);
	if (sink && sink->request_head)
		sink->request_head(sink->ctx, redis_fill(c, cmd));
	redis_drain(c, sink);
	return 0;
}

/* ---- commands ---- */

static uint64_t redis_req_at(const struct redis_req *q, const uint8_t *p)
{
	return q->pos + (uint64_t)(p - q->chunk);
}

/* Is the reply direction in step and between replies? */
static bool redis_resp_idle(const struct redis_resp *r)
{
	return r->st == RESP_TYPE && !r->tentative && !r->depth && !r->cur.started;
}

static void redis_resp_end_lost(struct redis_conn *c, const struct zt_l7_sink *sink);

static void redis_cmd_begin(struct redis_conn *c, const struct zt_chunk_meta *m, uint64_t pos,
			    const struct zt_l7_sink *sink)
{
	struct redis_req *q = &c->req;
	struct redis_cmd *cmd = &q->cmd;

	/* A client that waits for replies sends its next command once the last one is whole. */
	if (c->resp.st == RESP_LOST)
		redis_resp_end_lost(c, sink);
	/* Hunting found a command after a parked one's gap: more than its tail was sent. */
	if (q->parked)
		redis_desync(c);
	/*
	 * Out of step, a command's reply could be taken for another's. Pairing resumes with a
	 * command sent while no reply is in flight, once replies came since the last command
	 * whose reply is still due: exact for clients that wait for their replies, and for
	 * batches (pipelines read back whole before the next).
	 */
	if (c->suspended && c->replies_since && redis_resp_idle(&c->resp))
		c->suspended = false;
	q->epoch = c->epoch;
	memset(cmd, 0, sizeof(*cmd));
	cmd->req_first = *m;
	cmd->req_pos = pos;
	cmd->reply_mode = REDIS_REPLY_NONE;
	q->building = true;
	q->redact_rest = false;
	q->secret_left = 0;
	q->argi = 0;
	q->qlen = 0;
	q->qfull = false;
	q->sub[0] = '\0';
}

static void redis_arg_begin(struct redis_req *q, uint64_t len)
{
	q->arg_len = len;
	q->arg_kept = 0;
	q->arg_holed = false;
}

static void redis_arg_bytes(struct redis_req *q, const uint8_t *p, size_t n)
{
	size_t room = sizeof(q->abuf) - 1 - q->arg_kept;

	if (q->arg_holed)
		return;
	if (n > room)
		n = room;
	memcpy(q->abuf + q->arg_kept, p, n);
	q->arg_kept += (uint32_t)n;
}

/* Bytes of the argument were not captured: what abuf keeps ends here. */
static void redis_arg_gap(struct redis_req *q)
{
	if (q->arg_kept < sizeof(q->abuf) - 1)
		q->arg_holed = true;
}

/* Command name: db_operation upper-cased, and what kind of command it is. */
static void redis_set_op(struct redis_req *q, const char *s, size_t n, bool whole)
{
	struct redis_cmd *cmd = &q->cmd;
	const struct redis_name *name;
	size_t k = n < sizeof(cmd->op) - 1 ? n : sizeof(cmd->op) - 1;

	for (size_t i = 0; i < k; i++) {
		unsigned char ch = (unsigned char)redis_upper(s[i]);

		cmd->op[i] = ch < ' ' || ch >= 0x7f ? '?' : (char)ch;
	}
	cmd->op[k] = '\0';
	name = whole ? redis_lookup(s, n) : NULL;
	cmd->kind = name ? name->kind : REDIS_K_OTHER;
	/* An unknown name may be AUTH cut by a gap: hide every argument. */
	q->redact_rest = !whole;
}

/* Is this argument a credential? Decided from the arguments before it. */
static bool redis_arg_secret(struct redis_req *q, const char *a, size_t n, bool whole)
{
	uint8_t kind = q->cmd.kind;

	if (q->redact_rest)
		return true;
	if (q->secret_left) {
		q->secret_left--;
		return true;
	}
	switch (kind) {
	case REDIS_K_AUTH:
		return true;
	case REDIS_K_HELLO:
		/* HELLO protover [AUTH username password] [SETNAME name] */
		if (q->argi >= 2 && redis_ieq(a, n, "AUTH"))
			q->secret_left = 2;
		break;
	case REDIS_K_MIGRATE:
		/* MIGRATE host port key db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] */
		if (q->argi < 6)
			break;
		if (redis_ieq(a, n, "AUTH"))
			q->secret_left = 1;
		else if (redis_ieq(a, n, "AUTH2"))
			q->secret_left = 2;
		break;
	case REDIS_K_CONFIG:
		if (q->argi >= 2 && !(q->argi & 1) && !strcmp(q->sub, "SET") &&
		    (redis_ieq(a, n, "REQUIREPASS") || redis_ieq(a, n, "MASTERAUTH")))
			q->secret_left = 1;
		break;
	case REDIS_K_ACL:
		/* ACL SETUSER name >password <password #hash !hash */
		if (q->argi >= 3 && !strcmp(q->sub, "SETUSER") && n && memchr("><#!", a[0], 4))
			return true;
		break;
	default:
		return false;
	}
	/* A keyword cut by a gap might have been AUTH: hide what follows. */
	if (!whole)
		q->redact_rest = true;
	return false;
}

/* What the first arguments of SELECT, HELLO and CLIENT REPLY say. */
static void redis_arg_meaning(struct redis_req *q, const char *a, size_t n, bool whole)
{
	struct redis_cmd *cmd = &q->cmd;
	size_t i;

	switch (cmd->kind) {
	case REDIS_K_SELECT:
		if (q->argi != 1 || !whole || !n || n >= sizeof(cmd->select_db))
			break;
		for (i = 0; i < n && redis_digit((uint8_t)a[i]); i++)
			;
		cmd->select_ok = i == n;
		memcpy(cmd->select_db, a, n);
		cmd->select_db[n] = '\0';
		break;
	case REDIS_K_HELLO:
		if (q->argi == 1 && whole && n == 1 && (a[0] == '2' || a[0] == '3'))
			cmd->hello_proto = (uint8_t)(a[0] - '0');
		break;
	case REDIS_K_CLIENT:
		if (q->argi != 2 || !whole || strcmp(q->sub, "REPLY"))
			break;
		if (redis_ieq(a, n, "ON"))
			cmd->reply_mode = REDIS_REPLY_ON;
		else if (redis_ieq(a, n, "OFF"))
			cmd->reply_mode = REDIS_REPLY_OFF;
		else if (redis_ieq(a, n, "SKIP"))
			cmd->reply_mode = REDIS_REPLY_SKIP;
		break;
	}
}

static void redis_arg_end(struct redis_req *q)
{
	const char *a = q->abuf;
	size_t n = q->arg_kept;
	bool whole = !q->arg_holed && n == q->arg_len;
	bool secret = false;

	if (q->argi == 0) {
		redis_set_op(q, a, n, whole);
	} else {
		if (q->argi == 1) {
			size_t k = n < sizeof(q->sub) - 1 ? n : sizeof(q->sub) - 1;

			for (size_t i = 0; i < k; i++)
				q->sub[i] = redis_upper(a[i]);
			q->sub[k] = '\0';
		}
		secret = redis_arg_secret(q, a, n, whole);
		redis_arg_meaning(q, a, n, whole);
	}
	if (secret)
		redis_query_add(q, "?", 1, false);
	else
		redis_query_add(q, a, n, !whole);
	q->argi++;
}

/* Does the server answer this command? Follows CLIENT REPLY as the server does. */
static bool redis_reply_suppressed(struct redis_req *q)
{
	uint8_t mode = q->reply_mode;

	if (q->cmd.kind == REDIS_K_RESET) {
		q->reply_mode = REDIS_REPLY_ON;
		return false;
	}
	switch (q->cmd.reply_mode) {
	case REDIS_REPLY_ON:
		q->reply_mode = REDIS_REPLY_ON;
		return false;
	case REDIS_REPLY_OFF:
		q->reply_mode = REDIS_REPLY_OFF;
		return true;
	case REDIS_REPLY_SKIP:
		if (mode == REDIS_REPLY_ON)
			q->reply_mode = REDIS_REPLY_SKIP;
		return true;
	}
	if (mode == REDIS_REPLY_SKIP)
		q->reply_mode = REDIS_REPLY_ON;
	return mode != REDIS_REPLY_ON;
}

/* A command parsed whole: this direction is in step with the stream. */
static void redis_req_synced(struct redis_conn *c)
{
	struct redis_req *q = &c->req;

	if (!q->tentative)
		return;
	q->tentative = false;
	if (q->hunted) {
		zt_l7_stats.resyncs++;
		q->hunted = false;
	} else if (c->fresh) {
		/* The connection's first command, seen from its first byte: defaults hold. */
		redis_set_db(c, "0");
		c->proto = 2;
		c->n_chan = c->n_pat = c->n_shard = 0;
	}
	c->fresh = false;
}

/* The command ends at end_pos, in chunk m of feed() call seq: queue it for its reply. */
static int redis_cmd_end(struct redis_conn *c, const struct zt_chunk_meta *m, uint64_t end_pos,
			 uint64_t seq, uint32_t nargs, const struct zt_l7_sink *sink)
{
	struct redis_req *q = &c->req;
	struct redis_cmd *cmd = &q->cmd;

	q->building = false;
	q->st = REQ_START;
	redis_req_synced(c);
	cmd->req_last = *m;
	cmd->done_seq = seq;
	cmd->req_bytes = end_pos - cmd->req_pos;
	cmd->nargs = nargs;
	cmd->query_truncated = q->qfull;
	cmd->no_reply = redis_reply_suppressed(q);
	if (c->suspended || q->epoch != c->epoch) {
		/* Its reply is still to come and cannot be told apart: no record. */
		if (!cmd->no_reply)
			c->replies_since = 0;
		return 0;
	}
	return redis_push(c, sink);
}

/* A command parsed to its last byte, in the chunk being fed. */
static int redis_cmd_done(struct redis_conn *c, const struct zt_chunk_meta *m, uint64_t end_pos,
			  const struct zt_l7_sink *sink)
{
	return redis_cmd_end(c, m, end_pos, c->seq, c->req.argi - 1, sink);
}

/* "*<count>\r\n" read. Redis ignores empty arrays. */
static int redis_req_count(struct redis_req *q)
{
	if (q->num.neg || !q->num.val) {
		q->building = false;
		q->st = REQ_START;
		return 0;
	}
	if (q->num.val > REDIS_COUNT_MAX)
		return -1;
	q->args_left = q->args_total = (uint32_t)q->num.val;
	q->st = REQ_DOLLAR;
	return 0;
}

/* The character a backslash escape inside double quotes stands for. */
static char redis_unescape(char e)
{
	switch (e) {
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	case 'b':
		return '\b';
	case 'a':
		return '\a';
	}
	return e;
}

/* "\\xHH" at s[r]: the byte, or -1. */
static int redis_hex_escape(const char *s, size_t n, size_t r)
{
	int hi, lo;

	if (r + 3 >= n || s[r] != '\\' || s[r + 1] != 'x')
		return -1;
	hi = zt_hex_digit(s[r + 2]);
	lo = zt_hex_digit(s[r + 3]);
	return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
}

/*
 * Next inline argument at s[*i], unquoted in place (as Redis's sdssplitargs: "..." with
 * \xHH and \n-style escapes, '...' with \'). Returns its length, or -1 when unbalanced.
 */
static long redis_inline_arg(char *s, size_t n, size_t *i)
{
	size_t r = *i, w = *i, start = *i;
	bool dq = false, sq = false;
	int hex;

	for (;;) {
		if (dq) {
			if (r == n)
				return -1;
			hex = redis_hex_escape(s, n, r);
			if (hex >= 0) {
				s[w++] = (char)hex;
				r += 4;
			} else if (s[r] == '\\' && r + 1 < n) {
				s[w++] = redis_unescape(s[r + 1]);
				r += 2;
			} else if (s[r] == '"') {
				if (r + 1 < n && !redis_space(s[r + 1]))
					return -1;
				r++;
				break;
			} else {
				s[w++] = s[r++];
			}
		} else if (sq) {
			if (r == n)
				return -1;
			if (s[r] == '\\' && r + 1 < n && s[r + 1] == '\'') {
				s[w++] = '\'';
				r += 2;
			} else if (s[r] == '\'') {
				if (r + 1 < n && !redis_space(s[r + 1]))
					return -1;
				r++;
				break;
			} else {
				s[w++] = s[r++];
			}
		} else {
			if (r == n || redis_space(s[r]))
				break;
			if (s[r] == '"')
				dq = true;
			else if (s[r] == '\'')
				sq = true;
			else
				s[w++] = s[r];
			r++;
		}
	}
	*i = r;
	return (long)(w - start);
}

/* A whole inline line (without its LF): split into arguments like an array's. */
static int redis_inline_done(struct redis_conn *c, char *s, size_t n, const struct zt_chunk_meta *m,
			     uint64_t end_pos, const struct zt_l7_sink *sink)
{
	struct redis_req *q = &c->req;
	size_t i = 0;
	long len;

	if (n && s[n - 1] == '\r')
		n--;
	for (;;) {
		size_t start;

		while (i < n && redis_space(s[i]))
			i++;
		if (i == n)
			break;
		start = i;
		len = redis_inline_arg(s, n, &i);
		if (len < 0)
			return -1;
		/* Seen from the middle, a line is a command only if it names one. */
		if (!q->argi && q->tentative && !redis_lookup(s + start, (size_t)len))
			return -1;
		redis_arg_begin(q, (uint64_t)len);
		redis_arg_bytes(q, (const uint8_t *)s + start, (size_t)len);
		redis_arg_end(q);
	}
	if (!q->argi) {
		/* Blank lines are ignored by the server. */
		q->building = false;
		q->st = REQ_START;
		return 0;
	}
	return redis_cmd_done(c, m, end_pos, sink);
}

static int redis_ibuf_append(struct redis_req *q, const uint8_t *p, size_t n)
{
	size_t need = q->ilen + n, cap = q->icap ? q->icap : REDIS_IBUF_MIN;
	char *b;

	if (!n)
		return 0;
	if (need > REDIS_LINE_MAX) {
		if (!q->tentative)
			zt_l7_stats.heads_too_large++;
		return -1;
	}
	if (need > q->icap) {
		while (cap < need)
			cap *= 2;
		if (cap > REDIS_LINE_MAX)
			cap = REDIS_LINE_MAX;
		b = realloc(q->ibuf, cap);
		if (!b)
			return -1;
		q->ibuf = b;
		q->icap = (uint32_t)cap;
	}
	memcpy(q->ibuf + q->ilen, p, n);
	q->ilen += (uint32_t)n;
	return 0;
}

static int redis_req_inline(struct redis_conn *c, const uint8_t **pp, const uint8_t *end,
			    const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct redis_req *q = &c->req;
	const uint8_t *p = *pp, *lf = memchr(p, '\n', (size_t)(end - p));
	size_t n = (size_t)((lf ? lf : end) - p);

	if (redis_ibuf_append(q, p, n) < 0)
		return -1;
	*pp = p + n;
	if (!lf)
		return 0;
	*pp = lf + 1;
	n = q->ilen;
	q->ilen = 0;
	return redis_inline_done(c, q->ibuf, n, m, redis_req_at(q, lf + 1), sink);
}

/* ---- commands: hunting for the next one ---- */

static void redis_req_hunt_start(struct redis_req *q, bool after_gap)
{
	q->st = REQ_HUNT;
	q->building = false;
	q->tentative = true;
	q->hunt_phase = 0;
	q->hunt_any = after_gap;
	q->ilen = 0;
}

/* One byte of a candidate "*<digits>\r\n$": 1 found, 0 goes on, -1 not a command start. */
static int redis_hunt_step(struct redis_req *q, uint8_t b)
{
	switch (q->hunt_phase) {
	case 1:
		if (redis_digit(b) && q->hunt_digits < 9) {
			q->hunt_count = q->hunt_count * 10 + (uint32_t)(b - '0');
			q->hunt_digits++;
			return 0;
		}
		if (b == '\r' && q->hunt_count) {
			q->hunt_phase = 2;
			return 0;
		}
		break;
	case 2:
		if (b == '\n') {
			q->hunt_phase = 3;
			return 0;
		}
		break;
	case 3:
		if (b == '$')
			return 1;
		break;
	}
	q->hunt_phase = 0;
	return -1;
}

/*
 * Skip to the next "*<digits>\r\n$" that starts a line (or follows a gap): the start of a
 * command array, found in the byte stream wherever the chunks were cut.
 */
static void redis_req_hunt(struct redis_conn *c, const uint8_t **pp, const uint8_t *end,
			   const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct redis_req *q = &c->req;
	const uint8_t *p = *pp, *lf;
	int rc;

	while (p < end) {
		if (q->hunt_phase) {
			rc = redis_hunt_step(q, *p);
			if (rc < 0)
				continue;	/* this byte may start a line of its own */
			p++;
			if (!rc)
				continue;
			redis_cmd_begin(c, &q->hunt_meta, q->hunt_pos, sink);
			q->args_left = q->args_total = q->hunt_count;
			redis_num_reset(&q->num);
			q->st = REQ_LEN;
			q->hunted = true;
			break;
		}
		if (!q->hunt_any && redis_before(q->chunk, q->tail, p, 1) != '\n') {
			lf = memchr(p, '\n', (size_t)(end - p));
			p = lf ? lf + 1 : end;
			continue;
		}
		q->hunt_any = false;
		if (*p == '*') {
			q->hunt_phase = 1;
			q->hunt_count = 0;
			q->hunt_digits = 0;
			q->hunt_meta = *m;
			q->hunt_pos = redis_req_at(q, p);
		}
		p++;
	}
	*pp = p;
}

/* ---- commands: cut by a gap ---- */

/*
 * A gap cut a command after its "*N" header: can it wait for its end instead of being
 * dropped? Only as the one command in flight, whose reply is then the next one whatever was
 * lost, and with its name read, since the name says what its reply means. Replies must be
 * between values, so that the next to begin is one the command can have caused.
 */
static bool redis_can_park(const struct redis_conn *c)
{
	const struct redis_req *q = &c->req;
	const struct redis_resp *r = &c->resp;

	switch (q->st) {
	case REQ_DOLLAR:
	case REQ_LEN:
	case REQ_DATA:
	case REQ_DATA_CR:
	case REQ_DATA_LF:
		break;
	default:
		return false;
	}
	if (r->st != RESP_TYPE || r->depth || r->cur.started)
		return false;
	return q->argi && !q->hunted && q->epoch == c->epoch && !c->suspended &&
	       !zt_fifo_count(&c->q) && !c->pending_skip;
}

/*
 * Keep the command as far as it was seen (the argument the gap cut ends db_query). What
 * follows the gap is hunted through as after any gap: a command start found there means
 * more than the command was lost (redis_cmd_begin then drops it).
 */
static void redis_park(struct redis_conn *c)
{
	struct redis_req *q = &c->req;

	if (q->st == REQ_DATA)
		redis_arg_gap(q);
	if (q->st != REQ_DOLLAR && q->st != REQ_LEN)
		redis_arg_end(q);
	q->qfull = true;
	q->parked = true;
	q->park_bytes = 0;
	q->park_proto = c->proto;
	redis_req_hunt_start(q, true);
}

/* Bytes sent after the gap: past what the kernel sends of a syscall's end, more was sent. */
static void redis_park_bytes(struct redis_conn *c, size_t len, const struct zt_chunk_meta *m)
{
	struct redis_req *q = &c->req;

	if (len > REDIS_TAIL_MAX - q->park_bytes) {
		redis_desync(c);
		return;
	}
	q->park_bytes += (uint32_t)len;
	q->park_last = *m;
	q->park_seq = c->seq;
}

/*
 * A reply begins, or the connection closes: the parked command ended with the last byte
 * sent, if those bytes can be its syscall's tail. A command ends with CRLF; without that,
 * or without a tail, the end is unknown and the command is dropped as after any gap.
 */
static int redis_unpark(struct redis_conn *c, const struct zt_l7_sink *sink)
{
	struct redis_req *q = &c->req;
	int rc;

	if (q->park_bytes < 2 || q->tail[0] != '\r' || q->tail[1] != '\n') {
		redis_desync(c);
		return 0;
	}
	q->parked = false;
	q->hunt_phase = 0;
	zt_l7_stats.resyncs++;
	/* Its arguments are those the header announced. */
	rc = redis_cmd_end(c, &q->park_last, q->pos, q->park_seq, q->args_total - 1, sink);
	/* The end was inferred: should the next bytes not start a command, hunt again. */
	q->tentative = true;
	return rc;
}

/* ---- commands: the byte loop ---- */

/* One state's worth of bytes. -1: not a command; the failing byte is not consumed. */
static int redis_req_step(struct redis_conn *c, const uint8_t **pp, const uint8_t *end,
			  const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct redis_req *q = &c->req;
	const uint8_t *p = *pp;
	uint64_t n;
	int rc = 0;

	switch (q->st) {
	case REQ_START:
		if (*p == '\r' || *p == '\n') {
			p++;
			break;
		}
		if (*p != '*' && q->tentative && !redis_alpha(*p))
			return -1;
		redis_cmd_begin(c, m, redis_req_at(q, p), sink);
		if (*p == '*') {
			redis_num_reset(&q->num);
			q->st = REQ_COUNT;
			p++;
		} else {
			q->st = REQ_INLINE;
		}
		break;
	case REQ_COUNT:
		rc = redis_num_byte(&q->num, *p);
		if (rc < 0)
			return -1;
		p++;
		if (rc)
			rc = redis_req_count(q);
		break;
	case REQ_DOLLAR:
		if (*p != '$')
			return -1;
		redis_num_reset(&q->num);
		q->st = REQ_LEN;
		p++;
		break;
	case REQ_LEN:
		rc = redis_num_byte(&q->num, *p);
		if (rc < 0)
			return -1;
		p++;
		if (!rc)
			break;
		rc = 0;
		if (q->num.neg || q->num.val > REDIS_BULK_MAX)
			return -1;
		redis_arg_begin(q, q->num.val);
		q->remaining = q->num.val;
		q->st = q->remaining ? REQ_DATA : REQ_DATA_CR;
		break;
	case REQ_DATA:
		n = (uint64_t)(end - p) < q->remaining ? (uint64_t)(end - p) : q->remaining;
		redis_arg_bytes(q, p, (size_t)n);
		p += n;
		q->remaining -= n;
		if (!q->remaining)
			q->st = REQ_DATA_CR;
		break;
	case REQ_DATA_CR:
		if (*p != '\r')
			return -1;
		q->st = REQ_DATA_LF;
		p++;
		break;
	case REQ_DATA_LF:
		if (*p != '\n')
			return -1;
		p++;
		redis_arg_end(q);
		if (--q->args_left) {
			q->st = REQ_DOLLAR;
			break;
		}
		rc = redis_cmd_done(c, m, redis_req_at(q, p), sink);
		break;
	case REQ_INLINE:
		return redis_req_inline(c, pp, end, m, sink);
	case REQ_HUNT:
		redis_req_hunt(c, &p, end, m, sink);
		break;
	}
	*pp = p;
	return rc;
}

static int redis_req_data(struct redis_conn *c, const uint8_t *p, size_t len,
			  const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct redis_req *q = &c->req;
	const uint8_t *end = p + len;

	if (q->parked)
		redis_park_bytes(c, len, m);
	while (p < end && !c->stopped) {
		if (!redis_req_step(c, &p, end, m, sink))
			continue;
		if (!q->tentative)
			return -1;
		/* Not a command after all: seen from the middle, look for the next one. */
		redis_desync(c);
		redis_req_hunt_start(q, false);
	}
	return 0;
}

static void redis_req_gap(struct redis_conn *c, uint64_t len, const struct zt_l7_sink *sink)
{
	struct redis_req *q = &c->req;

	zt_l7_stats.gaps++;
	/* Lost or not, the client sent something: the reply it waited for was whole. */
	if (c->resp.st == RESP_LOST)
		redis_resp_end_lost(c, sink);
	if (q->st == REQ_DATA && len <= q->remaining) {
		redis_arg_gap(q);
		q->remaining -= len;
		if (!q->remaining)
			q->st = REQ_DATA_CR;
		return;
	}
	if (q->st == REQ_HUNT) {
		/* A tail comes whole right after its gap: a second gap is something else. */
		if (q->parked)
			redis_desync(c);
		q->hunt_phase = 0;
		q->hunt_any = true;
		return;
	}
	if (redis_can_park(c)) {
		redis_park(c);
		return;
	}
	/* Whole commands may be lost: their replies would pair with the wrong ones. */
	redis_req_hunt_start(q, true);
	redis_desync(c);
	redis_forget(c, REDIS_K_RESET);
	q->reply_mode = REDIS_REPLY_ON;
}

/* ---- replies: pairing ---- */

static uint8_t redis_word_kind(const char *word)
{
	for (size_t i = 0; i < sizeof(redis_sub_words) / sizeof(redis_sub_words[0]); i++)
		if (!strcmp(word, redis_sub_words[i].word))
			return redis_sub_words[i].kind;
	return REDIS_K_OTHER;
}

/* ["subscribe", channel, count] and its kin (array, or RESP3 push): the command kind. */
static uint8_t redis_confirm_kind(const struct redis_reply *rep)
{
	if ((rep->type != '*' && rep->type != '>') || rep->rows != 3 || !rep->chan_ok ||
	    !rep->has_count)
		return REDIS_K_OTHER;
	return redis_word_kind(rep->word);
}

/* A RESP2 pub/sub message: ["message", ch, payload], ["pmessage", pat, ch, payload]. */
static bool redis_is_message(const struct redis_reply *rep)
{
	if (rep->type != '*' || !rep->chan_ok)
		return false;
	if (rep->rows == 3)
		return !strcmp(rep->word, "message") || !strcmp(rep->word, "smessage");
	return rep->rows == 4 && !strcmp(rep->word, "pmessage");
}

/* Subscribed, or not known not to be. */
static bool redis_maybe_subscribed(const struct redis_conn *c)
{
	return c->n_chan || c->n_pat || c->n_shard;
}

/* A confirmation's count is the number of subscriptions left (shard ones apart). */
static void redis_track_subs(struct redis_conn *c, uint8_t kind, int64_t count)
{
	bool ok = count >= 0 && count <= INT32_MAX;
	int32_t n = ok ? (int32_t)count : -1;

	switch (kind) {
	case REDIS_K_SSUBSCRIBE:
	case REDIS_K_SUNSUBSCRIBE:
		c->n_shard = n;
		return;
	}
	if (n == 0) {
		c->n_chan = c->n_pat = 0;
	} else if (kind == REDIS_K_SUBSCRIBE || kind == REDIS_K_UNSUBSCRIBE) {
		c->n_chan = ok && c->n_pat >= 0 && n >= c->n_pat ? n - c->n_pat : -1;
	} else {
		c->n_pat = ok && c->n_chan >= 0 && n >= c->n_chan ? n - c->n_chan : -1;
	}
}

/* Subscriptions of the kind an argument-less *UNSUBSCRIBE drops; -1 unknown. */
static int32_t redis_kind_subs(const struct redis_conn *c, uint8_t kind)
{
	switch (kind) {
	case REDIS_K_UNSUBSCRIBE:
		return c->n_chan;
	case REDIS_K_PUNSUBSCRIBE:
		return c->n_pat;
	default:
		return c->n_shard;
	}
}

/* What a successful reply changes for the commands after it. */
static void redis_apply(struct redis_conn *c, const struct redis_cmd *cmd,
			const struct redis_reply *rep)
{
	if (rep->failed)
		return;
	if (rep->queued) {
		if (cmd->kind != REDIS_K_SELECT)
			return;
		c->tx_db = cmd->select_ok ? REDIS_TX_SET : REDIS_TX_UNKNOWN;
		memcpy(c->tx_db_name, cmd->select_db, sizeof(c->tx_db_name));
		return;
	}
	switch (cmd->kind) {
	case REDIS_K_SELECT:
		redis_set_db(c, cmd->select_ok ? cmd->select_db : NULL);
		break;
	case REDIS_K_HELLO:
		if (cmd->hello_proto)
			c->proto = cmd->hello_proto;
		break;
	case REDIS_K_MONITOR:
	case REDIS_K_PSYNC:
		/* A feed of events or a replication stream follows, not replies. */
		c->stopped = true;
		break;
	case REDIS_K_RESET:
		redis_set_db(c, "0");
		c->proto = 2;
		c->n_chan = c->n_pat = c->n_shard = 0;
		c->tx_db = REDIS_TX_NONE;
		break;
	case REDIS_K_EXEC:
		if (rep->rows >= 0 && c->tx_db != REDIS_TX_NONE)
			redis_set_db(c, c->tx_db == REDIS_TX_SET ? c->tx_db_name : NULL);
		c->tx_db = REDIS_TX_NONE;
		break;
	case REDIS_K_MULTI:
	case REDIS_K_DISCARD:
		c->tx_db = REDIS_TX_NONE;
		break;
	}
}

/* The head's one reply. Its record keeps the namespace it ran in: apply after emit. */
static void redis_answer(struct redis_conn *c, struct redis_cmd *head,
			 const struct redis_reply *rep, const struct zt_chunk_meta *m,
			 const struct zt_l7_sink *sink)
{
	head->has_response = true;
	head->resp_first = rep->first;
	head->resp_last = *m;
	head->resp_bytes = rep->bytes;
	redis_emit(c, head, rep, sink);
	redis_apply(c, head, rep);
	redis_pop(c);
	if (c->stopped)
		redis_drop_pending(c);
	redis_drain(c, sink);
}

/*
 * A gap cut the reply being parsed after its first line. Its end can be waited for if it
 * answers the one command in flight: a client waiting for it sends nothing more meanwhile.
 */
static bool redis_can_lose_end(const struct redis_conn *c)
{
	const struct redis_resp *r = &c->resp;
	const struct redis_reply *cur = &r->cur;
	const struct redis_cmd *head;

	if (!cur->started || !cur->type || cur->type == '>')
		return false;
	if (!r->depth && r->st != RESP_BLOB && r->st != RESP_BLOB_CR && r->st != RESP_BLOB_LF)
		return false;
	if (c->suspended || zt_fifo_count(&c->q) != 1 || c->pending_skip || c->req.st != REQ_START)
		return false;
	head = zt_fifo_at(&c->q, 0);
	if (head->skip || head->done_seq >= cur->seq || redis_sub_kind(head->kind))
		return false;
	/* Subscribed in RESP2, an array may be a message rather than the reply. */
	return cur->type != '*' || c->proto == 3 || !redis_maybe_subscribed(c);
}

/*
 * The client sent its next command, or closed: the reply whose end a gap hid was whole by
 * the last reply byte seen. Its command gets what the reply's head told (element count).
 */
static void redis_resp_end_lost(struct redis_conn *c, const struct zt_l7_sink *sink)
{
	struct redis_resp *r = &c->resp;
	struct redis_reply *cur = &r->cur;

	cur->bytes = r->pos - cur->start;
	cur->started = false;
	/* A blob error's text was lost, not that it is an error. */
	cur->failed = cur->type == '!';
	r->st = RESP_TYPE;
	r->depth = 0;
	/* Should the reply go on after all, its bytes do not parse as replies: hunt again. */
	r->tentative = true;
	zt_l7_stats.resyncs++;
	if (zt_fifo_count(&c->q))
		redis_answer(c, redis_slot(c, 0), cur, &r->lost_last, sink);
}

/*
 * One confirmation of a (P|S)(UN)SUBSCRIBE: one per channel named, or for one without
 * channels, one per subscription it drops (one with a null channel when there is none).
 */
static void redis_confirm(struct redis_conn *c, struct redis_cmd *head,
			  const struct redis_reply *rep, const struct zt_chunk_meta *m,
			  const struct zt_l7_sink *sink)
{
	bool done;

	redis_track_subs(c, head->kind, rep->count);
	if (!head->confirms++)
		head->resp_first = rep->first;
	head->has_response = true;
	head->resp_last = *m;
	head->resp_bytes += rep->bytes;
	if (head->nargs)
		done = head->confirms >= head->nargs;
	else
		done = rep->count == 0 || rep->chan_null || redis_kind_subs(c, head->kind) == 0;
	if (done) {
		redis_emit(c, head, NULL, sink);
		redis_pop(c);
		redis_drain(c, sink);
	}
}

/* A complete top-level value: a reply to pair, or pub/sub traffic to skip. */
static void redis_route(struct redis_conn *c, const struct redis_reply *rep,
			const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	uint8_t kind = redis_confirm_kind(rep);
	bool push = rep->type == '>';
	struct redis_cmd *head;

	if (!kind && push)
		return;		/* RESP3 messages, invalidations: never replies */
	if (!kind && c->proto != 3 && redis_maybe_subscribed(c) && redis_is_message(rep))
		return;
	if (c->suspended) {
		c->replies_since++;
		return;
	}
	for (;;) {
		redis_drain(c, sink);
		if (!zt_fifo_count(&c->q))
			return;	/* its command was not seen: the middle of a stream, or a gap */
		head = redis_slot(c, 0);
		if (head->skip) {
			head->skip--;
			return;
		}
		/* The server answers whole commands only. */
		if (head->done_seq >= rep->seq)
			return;
		if (redis_sub_kind(head->kind)) {
			if (kind == head->kind) {
				redis_confirm(c, head, rep, m, sink);
				return;
			}
			/* An UNSUBSCRIBE without channels ends at the next other reply. */
			if (head->confirms) {
				redis_emit(c, head, NULL, sink);
				redis_pop(c);
				continue;
			}
		}
		if (kind && (push || redis_maybe_subscribed(c))) {
			redis_track_subs(c, kind, rep->count);
			return;	/* pushed by the server on its own */
		}
		redis_answer(c, head, rep, m, sink);
		return;
	}
}

/* ---- replies: the value walker ---- */

static uint64_t redis_resp_at(const struct redis_resp *r, const uint8_t *p)
{
	return r->pos + (uint64_t)(p - r->chunk);
}

static void redis_keep(struct redis_resp *r, const uint8_t *p, size_t n)
{
	size_t room = sizeof(r->keep) - r->keep_len;

	if (r->keep_holed)
		return;
	if (n > room)
		n = room;
	memcpy(r->keep + r->keep_len, p, n);
	r->keep_len += (uint32_t)n;
}

/* A value's type byte, at the current depth. */
static void redis_value_start(struct redis_conn *c, uint8_t type, const struct zt_chunk_meta *m,
			      uint64_t pos)
{
	struct redis_resp *r = &c->resp;
	struct redis_reply *cur = &r->cur;

	if (!r->depth) {
		if (!cur->started) {
			memset(cur, 0, sizeof(*cur));
			cur->started = true;
			cur->first = *m;
			cur->seq = c->seq;
			cur->start = pos;
			cur->rows = -1;
		}
		if (type != '|')
			cur->type = type;
	}
	if (redis_resp3_type(type))
		cur->resp3 = true;
}

/* A top-level simple string or error: what the record shows of it. */
static void redis_top_scalar(struct redis_resp *r)
{
	struct redis_reply *cur = &r->cur;
	const char *s = r->keep;
	size_t n = r->keep_len, w = 0;

	if (r->type == '+') {
		cur->queued = r->val_len == 6 && !memcmp(s, "QUEUED", 6);
		return;
	}
	if (r->type != '-' && r->type != '!')
		return;
	/* "WRONGTYPE Operation against a key...": the prefix is the status. */
	cur->failed = true;
	while (w < n && s[w] != ' ')
		w++;
	zt_l7_copy_str(cur->status, sizeof(cur->status), s, w);
	while (w < n && s[w] == ' ')
		w++;
	zt_l7_copy_str(cur->error, sizeof(cur->error), s + w, n - w);
}

/* An element of the top-level aggregate: the first three tell pub/sub traffic apart. */
static void redis_elem(struct redis_resp *r, uint8_t elem, int64_t ival)
{
	struct redis_reply *cur = &r->cur;

	switch (cur->elems) {
	case 0:
		if (elem == ELEM_STRING && r->keep_len == r->val_len &&
		    r->val_len < sizeof(cur->word) && !memchr(r->keep, 0, r->keep_len)) {
			memcpy(cur->word, r->keep, r->keep_len);
			cur->word[r->keep_len] = '\0';
		}
		break;
	case 1:
		cur->chan_ok = elem == ELEM_STRING || elem == ELEM_NULL;
		cur->chan_null = elem == ELEM_NULL;
		break;
	case 2:
		cur->has_count = elem == ELEM_INT;
		cur->count = ival;
		break;
	}
}

static void redis_top_done(struct redis_conn *c, const struct zt_chunk_meta *m,
			   const struct zt_l7_sink *sink)
{
	struct redis_resp *r = &c->resp;
	struct redis_reply *cur = &r->cur;

	cur->bytes = r->at - cur->start;
	cur->started = false;
	if (r->tentative) {
		r->tentative = false;
		if (r->hunted) {
			zt_l7_stats.resyncs++;
			r->hunted = false;
		}
	}
	if (cur->resp3)
		c->proto = 3;
	redis_route(c, cur, m, sink);
}

/* A value is complete: so may be the aggregates around it, up to the top level. */
static void redis_value_done(struct redis_conn *c, const struct zt_chunk_meta *m,
			     const struct zt_l7_sink *sink)
{
	struct redis_resp *r = &c->resp;

	while (r->depth) {
		struct redis_frame *f = &r->stack[r->depth - 1];

		if (r->depth == 1 && f->type != '|')
			r->cur.elems++;
		if (--f->left)
			return;
		r->depth--;
		if (f->type == '|')
			return;	/* an attribute annotates the value after it: not a value itself */
	}
	redis_top_done(c, m, sink);
}

/* A value without children (elem: what it is, for pub/sub shapes). */
static void redis_scalar(struct redis_conn *c, uint8_t elem, int64_t ival,
			 const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct redis_resp *r = &c->resp;

	r->st = RESP_TYPE;
	if (!r->depth)
		redis_top_scalar(r);
	else if (r->depth == 1 && r->stack[0].type != '|')
		redis_elem(r, elem, ival);
	redis_value_done(c, m, sink);
}

static int redis_aggregate(struct redis_conn *c, uint64_t n, const struct zt_chunk_meta *m,
			   const struct zt_l7_sink *sink)
{
	struct redis_resp *r = &c->resp;
	uint8_t type = r->type;
	uint64_t left = type == '%' || type == '|' ? 2 * n : n;

	if (n > REDIS_COUNT_MAX)
		return -1;
	r->st = RESP_TYPE;
	if (!r->depth && type != '|')
		r->cur.rows = (int64_t)n;
	if (!left) {
		if (type != '|')
			redis_value_done(c, m, sink);
		return 0;
	}
	if (r->depth == REDIS_DEPTH_MAX)
		return -1;
	r->stack[r->depth].left = left;
	r->stack[r->depth].type = type;
	r->depth++;
	return 0;
}

/* SYNC's reply is an RDB file sent as "$<len>\r\n" and its bytes, without CRLF after them. */
static bool redis_sync_reply(const struct redis_conn *c)
{
	const struct redis_cmd *head = zt_fifo_count(&c->q) ? zt_fifo_at(&c->q, 0) : NULL;

	return !c->resp.depth && head && head->kind == REDIS_K_PSYNC && !c->suspended;
}

/* A line complete (text in keep, val_len long): a scalar, or the header of a blob or aggregate. */
static int redis_line_done(struct redis_conn *c, const struct zt_chunk_meta *m,
			   const struct zt_l7_sink *sink)
{
	struct redis_resp *r = &c->resp;
	const char *s = r->keep;
	size_t n = r->keep_len;
	int64_t v = 0;

	switch (r->type) {
	case '+':
		redis_scalar(c, ELEM_STRING, 0, m, sink);
		return 0;
	case '-':
		redis_scalar(c, ELEM_OTHER, 0, m, sink);
		return 0;
	case ',':
	case '(':
		if (!r->val_len)
			return -1;
		redis_scalar(c, ELEM_OTHER, 0, m, sink);
		return 0;
	case '#':
		if (r->val_len != 1 || (s[0] != 't' && s[0] != 'f'))
			return -1;
		redis_scalar(c, ELEM_OTHER, 0, m, sink);
		return 0;
	case '_':
		if (r->val_len)
			return -1;
		redis_scalar(c, ELEM_NULL, 0, m, sink);
		return 0;
	}
	if (n != r->val_len || !redis_parse_int(s, n, &v))
		return -1;
	if (r->type == ':') {
		redis_scalar(c, ELEM_INT, v, m, sink);
		return 0;
	}
	if (v == -1 && (r->type == '$' || r->type == '*')) {
		redis_scalar(c, ELEM_NULL, 0, m, sink);
		return 0;
	}
	if (v < 0)
		return -1;
	if (r->type == '$' && redis_sync_reply(c)) {
		redis_scalar(c, ELEM_STRING, 0, m, sink);
		return 0;
	}
	if (r->type == '$' || r->type == '!' || r->type == '=') {
		if ((uint64_t)v > REDIS_BULK_MAX)
			return -1;
		r->remaining = r->val_len = (uint64_t)v;
		r->keep_len = 0;
		r->keep_holed = false;
		r->st = v ? RESP_BLOB : RESP_BLOB_CR;
		return 0;
	}
	return redis_aggregate(c, (uint64_t)v, m, sink);
}

/* The rest of a line, up to CRLF. -1 leaves *pp where the line's bytes in this chunk began. */
static int redis_resp_line(struct redis_conn *c, const uint8_t **pp, const uint8_t *end,
			   const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct redis_resp *r = &c->resp;
	const uint8_t *p = *pp, *lf = memchr(p, '\n', (size_t)(end - p));
	size_t n = (size_t)((lf ? lf : end) - p);

	if (r->val_len + n > REDIS_LINE_MAX) {
		if (!r->tentative)
			zt_l7_stats.heads_too_large++;
		return -1;
	}
	redis_keep(r, p, n);
	r->val_len += n;
	if (n)
		r->line_last = p[n - 1];
	if (!lf) {
		*pp = end;
		return 0;
	}
	if (!r->val_len || r->line_last != '\r')
		return -1;
	r->val_len--;
	if (r->keep_len > r->val_len)
		r->keep_len = (uint32_t)r->val_len;
	*pp = lf + 1;
	r->at = redis_resp_at(r, lf + 1);
	return redis_line_done(c, m, sink);
}

/* Skip to the next type byte that starts a line (or follows a gap). */
static void redis_resp_hunt(struct redis_resp *r, const uint8_t **pp, const uint8_t *end)
{
	const uint8_t *p = *pp, *lf;

	while (p < end) {
		if (r->hunt_any || (redis_before(r->chunk, r->tail, p, 1) == '\n' &&
				    redis_before(r->chunk, r->tail, p, 2) == '\r')) {
			r->hunt_any = false;
			if (redis_type_byte(*p)) {
				r->st = RESP_TYPE;
				r->hunted = true;
				break;
			}
			p++;
			continue;
		}
		lf = memchr(p, '\n', (size_t)(end - p));
		p = lf ? lf + 1 : end;
	}
	*pp = p;
}

/* One state's worth of bytes. -1: not a reply; the failing byte is not consumed. */
static int redis_resp_step(struct redis_conn *c, const uint8_t **pp, const uint8_t *end,
			   const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct redis_resp *r = &c->resp;
	const uint8_t *p = *pp;
	uint64_t n;

	switch (r->st) {
	case RESP_TYPE:
		if (!redis_type_byte(*p))
			return -1;
		/* A reply begins (pushes are none): the command parked by a gap has ended. */
		if (c->req.parked && !r->depth && !r->cur.started && *p != '>' &&
		    redis_unpark(c, sink) < 0)
			return -1;
		redis_value_start(c, *p, m, redis_resp_at(r, p));
		r->type = *p;
		r->keep_len = 0;
		r->keep_holed = false;
		r->val_len = 0;
		r->line_last = 0;
		r->st = RESP_LINE;
		p++;
		break;
	case RESP_LINE:
		return redis_resp_line(c, pp, end, m, sink);
	case RESP_BLOB:
		n = (uint64_t)(end - p) < r->remaining ? (uint64_t)(end - p) : r->remaining;
		redis_keep(r, p, (size_t)n);
		p += n;
		r->remaining -= n;
		if (!r->remaining)
			r->st = RESP_BLOB_CR;
		break;
	case RESP_BLOB_CR:
		if (*p != '\r')
			return -1;
		r->st = RESP_BLOB_LF;
		p++;
		break;
	case RESP_BLOB_LF:
		if (*p != '\n')
			return -1;
		p++;
		r->at = redis_resp_at(r, p);
		redis_scalar(c, r->type == '!' ? ELEM_OTHER : ELEM_STRING, 0, m, sink);
		break;
	case RESP_HUNT:
		redis_resp_hunt(r, &p, end);
		break;
	}
	*pp = p;
	return 0;
}

static int redis_resp_data(struct redis_conn *c, const uint8_t *p, size_t len,
			   const struct zt_chunk_meta *m, const struct zt_l7_sink *sink)
{
	struct redis_resp *r = &c->resp;
	const uint8_t *end = p + len;

	if (r->st == RESP_LOST) {
		r->lost_last = *m;
		return 0;
	}
	while (p < end && !c->stopped) {
		if (!redis_resp_step(c, &p, end, m, sink))
			continue;
		if (!r->tentative)
			return -1;
		/* Not a reply's start: the middle of one, look for the next. */
		redis_desync(c);
		redis_forget(c, REDIS_K_RESET);
		redis_resp_hunt_start(r, false);
	}
	return 0;
}

static void redis_resp_gap(struct redis_conn *c, uint64_t len, const struct zt_chunk_meta *m)
{
	struct redis_resp *r = &c->resp;

	zt_l7_stats.gaps++;
	if (r->st == RESP_LOST) {
		r->lost_last = *m;
		return;
	}
	if (r->st == RESP_BLOB && len <= r->remaining) {
		if (r->keep_len < sizeof(r->keep))
			r->keep_holed = true;
		r->remaining -= len;
		if (!r->remaining)
			r->st = RESP_BLOB_CR;
		return;
	}
	if (r->st == RESP_HUNT) {
		r->hunt_any = true;
		return;
	}
	if (redis_can_lose_end(c)) {
		r->st = RESP_LOST;
		r->lost_last = *m;
		return;
	}
	/* Replies were lost: the commands waiting for them can no longer be paired. */
	redis_resp_hunt_start(r, true);
	redis_desync(c);
}

/* ---- detection ---- */

/* "*<digits>\r\n$", or an inline line that names a command and is not an HTTP request. */
static enum zt_detect redis_detect_command(const uint8_t *d, size_t len)
{
	static const char crlf_dollar[] = "\r\n$";
	const uint8_t *lf;
	size_t i, k, w, n;

	if (!len)
		return ZT_DETECT_MAYBE;
	if (d[0] == '*') {
		for (i = 1; i < len && redis_digit(d[i]); i++)
			if (i > 10)
				return ZT_DETECT_NO;
		if (i == len)
			return ZT_DETECT_MAYBE;
		if (i == 1)
			return ZT_DETECT_NO;
		for (k = 0; k < 3 && i + k < len; k++)
			if (d[i + k] != crlf_dollar[k])
				return ZT_DETECT_NO;
		return k == 3 ? ZT_DETECT_YES : ZT_DETECT_MAYBE;
	}
	for (w = 0; w < len && !redis_space((char)d[w]); w++)
		if (w >= REDIS_NAME_MAX)
			return ZT_DETECT_NO;
	if (w == len)
		return redis_name_prefix((const char *)d, w) ? ZT_DETECT_MAYBE : ZT_DETECT_NO;
	if (d[w] != ' ' && d[w] != '\r' && d[w] != '\n')
		return ZT_DETECT_NO;
	if (!redis_lookup((const char *)d, w))
		return ZT_DETECT_NO;
	lf = memchr(d, '\n', len);
	if (!lf)
		return len > REDIS_LINE_MAX ? ZT_DETECT_NO : ZT_DETECT_MAYBE;
	n = (size_t)(lf - d);
	if (n && d[n - 1] == '\r')
		n--;
	/* "GET /index.html HTTP/1.1" */
	if (n >= 9 && !memcmp(d + n - 9, " HTTP/1.", 8) && redis_digit(d[n - 1]))
		return ZT_DETECT_NO;
	return ZT_DETECT_YES;
}

/* Could s[0..n) be (the start of) the text of a line of this type? */
static bool redis_line_plausible(uint8_t type, const uint8_t *s, size_t n)
{
	size_t i = 0;

	switch (type) {
	case '+':
	case '-':
		for (; i < n; i++)
			if (s[i] < ' ' || s[i] == 0x7f)
				return false;
		return true;
	case '_':
		return !n;
	case '#':
		return !n || (n == 1 && (s[0] == 't' || s[0] == 'f'));
	case ',':
		for (; i < n; i++)
			if (!strchr("0123456789.+-eEinfa", s[i]) || !s[i])
				return false;
		return true;
	case '(':
		/* Big numbers have any number of digits. */
		if (n && s[0] == '-')
			i = 1;
		for (; i < n; i++)
			if (!redis_digit(s[i]))
				return false;
		return true;
	}
	if (n > REDIS_NUM_DIGITS + 1)
		return false;
	if (n && s[0] == '-')
		i = 1;
	for (; i < n; i++)
		if (!redis_digit(s[i]))
			return false;
	return true;
}

/* A type byte and a plausible line: the start of a reply. */
static enum zt_detect redis_detect_reply(const uint8_t *d, size_t len)
{
	const uint8_t *lf;
	size_t n;

	if (!len)
		return ZT_DETECT_MAYBE;
	if (!redis_type_byte(d[0]))
		return ZT_DETECT_NO;
	lf = memchr(d + 1, '\n', len - 1);
	n = (lf ? (size_t)(lf - d) : len) - 1;
	if (lf) {
		if (!n || d[n] != '\r')
			return ZT_DETECT_NO;
		n--;
	} else if (n && d[n] == '\r') {
		n--;	/* the LF is still to come */
	}
	if (n > REDIS_LINE_MAX || !redis_line_plausible(d[0], d + 1, n))
		return ZT_DETECT_NO;
	if (!lf)
		return ZT_DETECT_MAYBE;
	/* Complete lines: numbers need a digit, booleans a letter. */
	if (!strchr("+-_", d[0]) && (!n || (n == 1 && d[1] == '-')))
		return ZT_DETECT_NO;
	return ZT_DETECT_YES;
}

/* ---- zt_parser_ops ---- */

static enum zt_detect redis_detect(const uint8_t *data, size_t len, int dir)
{
	if (!data)
		return ZT_DETECT_NO;
	if (dir == ZT_L7_EGRESS)
		return redis_detect_command(data, len);
	if (dir == ZT_L7_INGRESS)
		return redis_detect_reply(data, len);
	return ZT_DETECT_NO;
}

static void *redis_create(void)
{
	struct redis_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->req.st = REQ_START;
	c->req.tentative = true;
	c->req.reply_mode = REDIS_REPLY_ON;
	c->resp.st = RESP_TYPE;
	c->resp.tentative = true;
	c->fresh = true;
	c->n_chan = c->n_pat = c->n_shard = -1;
	zt_fifo_init(&c->q, sizeof(struct redis_cmd), 4, REDIS_FIFO_MAX);
	return c;
}

static void redis_destroy(void *state)
{
	struct redis_conn *c = state;

	if (!c)
		return;
	for (uint32_t i = 0; i < zt_fifo_count(&c->q); i++)
		free(redis_slot(c, i)->query);
	zt_fifo_free(&c->q);
	free(c->req.ibuf);
	free(c);
}

static int redis_feed(void *state, int dir, const uint8_t *data, size_t len,
		      const struct zt_chunk_meta *meta, const struct zt_l7_sink *sink)
{
	static const struct zt_chunk_meta no_meta;
	struct redis_conn *c = state;
	struct redis_req *q = &c->req;
	struct redis_resp *r = &c->resp;
	int rc = 0;

	if (c->malformed)
		return -1;
	if (dir != ZT_L7_EGRESS && dir != ZT_L7_INGRESS)
		goto bad;
	if (c->stopped || !len)
		return 0;
	c->seq++;
	if (!meta)
		meta = &no_meta;
	if (dir == ZT_L7_EGRESS) {
		q->chunk = data;
		if (!data)
			redis_req_gap(c, len, sink);
		else
			rc = redis_req_data(c, data, len, meta, sink);
		redis_tail_update(q->tail, data, len);
		q->pos += len;
	} else {
		/*
		 * Replies before the first command: the connection is seen from its middle. A
		 * first command parked by a gap was seen from its start: its reply may come.
		 */
		if (c->fresh && !q->parked)
			redis_desync(c);
		r->chunk = data;
		if (!data)
			redis_resp_gap(c, len, meta);
		else
			rc = redis_resp_data(c, data, len, meta, sink);
		redis_tail_update(r->tail, data, len);
		r->pos += len;
	}
	if (rc < 0)
		goto bad;
	return 0;
bad:
	c->malformed = true;
	zt_l7_stats.malformed++;
	return -1;
}

/*
 * Closing ends a reply whose end a gap hid (its command is answered) and a command parked by
 * a gap. Commands still waiting are flushed without a response (an UNSUBSCRIBE that got some
 * confirmations keeps them). Nothing is emitted for a connection marked malformed.
 */
static void redis_close(void *state, const struct zt_chunk_meta *meta,
			const struct zt_l7_sink *sink)
{
	struct redis_conn *c = state;

	if (!c->malformed && !c->stopped) {
		if (c->resp.st == RESP_LOST)
			redis_resp_end_lost(c, sink);
		if (c->req.parked)
			redis_unpark(c, sink);
	}
	while (!c->malformed && !c->stopped && zt_fifo_count(&c->q)) {
		redis_emit(c, redis_slot(c, 0), NULL, sink);
		redis_pop(c);
	}
	redis_drop_pending(c);
	c->req.building = false;
	c->stopped = true;
}

const struct zt_parser_ops zt_redis_parser = {
	.name = "redis",
	.proto = ZT_L7_REDIS,
	.detect = redis_detect,
	.create = redis_create,
	.destroy = redis_destroy,
	.feed = redis_feed,
	.close = redis_close,
};
