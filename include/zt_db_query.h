/*
 * Database query text for span attributes (OpenTelemetry db.query.text, db.query.summary,
 * db.operation.name, db.collection.name): SQL with its literal values replaced by '?', the
 * statement's operation and table, and Redis commands with their values replaced.
 * Pure functions of their input; no allocation, no locale.
 */
#ifndef ZT_DB_QUERY_H
#define ZT_DB_QUERY_H

#include <stddef.h>

/* What a SQL statement does and to which table; strings are "" when unknown. */
struct zt_sql_summary {
	char operation[32];	/* first keyword, upper-cased; for WITH the main statement's */
	char collection[128];	/* the table, when the statement names exactly one */
	char summary[160];	/* db.query.summary: "{operation} {collection}" or "{operation}" */
};

/*
 * Write in[0..n) to out with every literal value (string, number, dollar-quoted body) replaced
 * by '?', comments removed, whitespace runs made one space, IN lists of '?' made "(?)" and
 * repeated identical VALUES rows made one. "..." is kept as an identifier (PostgreSQL), so a
 * MySQL double-quoted string is not hidden. Identifiers, keywords and placeholders ($1, ?,
 * :name, %s) stay. At most cap-1 bytes, never half a UTF-8 sequence, NUL-terminated when
 * cap > 0. Returns the length written.
 */
size_t zt_sql_sanitize(const char *in, size_t n, char *out, size_t cap);

/* Operation, table and summary of the first statement in in[0..n). */
void zt_sql_summary(const char *in, size_t n, struct zt_sql_summary *out);

/*
 * Redis command as the parser writes it (redis-cli quoting) with its values replaced:
 * the command upper-cased, its subcommand for container commands (CONFIG GET), the first key
 * as written, numkeys of EVAL/EVALSHA/FCALL, and '?' for every other argument:
 * "SET user:1 ?", "HSET h ? ? ? ?", "AUTH ? ?". Output as for zt_sql_sanitize.
 */
size_t zt_redis_sanitize(const char *in, size_t n, char *out, size_t cap);

#endif
