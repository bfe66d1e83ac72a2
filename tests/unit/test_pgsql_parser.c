/*
 * PostgreSQL parser: real sessions captured from PostgreSQL 15 (psql, libpq, pgbench) fed
 * whole and split, extended protocol and pipelining, COPY, encryption requests, errors, gaps,
 * connections seen from the middle, limits and malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "zt_l7.h"

static const struct zt_parser_ops *ops = &zt_pgsql_parser;

#include "l7_harness.h"

/* One syscall's bytes, as captured on the client (psql, libpq, pgbench) by a logging proxy. */
struct chunk {
	int dir;
	const char *data;
	size_t len;
};

#define CHUNK(d, s) { d, s, sizeof(s) - 1 }
#define NCHUNKS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * psql 15 -f script.sql, sslmode=prefer, server without TLS: SSLRequest refused, then simple
 * queries (DDL, DML, an error, an empty query, a failed transaction, COPY in and out, NOTICE,
 * NOTIFY).
 */
static const struct chunk psql_session[] = {
	CHUNK(EG,
	     "\000\000\000\010\004\322\026/"),
	CHUNK(IN,
	     "N"),
	CHUNK(EG,
	     "\000\000\000:\000\003\000\000user\000postgres\000database\000appdb\000appli"
	     "cation_name\000zt\000\000"),
	CHUNK(IN,
	     "R\000\000\000\010\000\000\000\000S\000\000\000\030application_name\000zt\000"
	     "S\000\000\000\031client_encoding\000UTF8\000S\000\000\000\027DateStyle\000I"
	     "SO, MDY\000S\000\000\000&default_transaction_read_only\000off\000S\000\000\000"
	     "\027in_hot_standby\000off\000S\000\000\000\031integer_datetimes\000on\000S\000"
	     "\000\000\033IntervalStyle\000postgres\000S\000\000\000\024is_superuser\000o"
	     "n\000S\000\000\000\031server_encoding\000UTF8\000S\000\000\0002server_versi"
	     "on\00015.18 (Debian 15.18-0+deb12u1)\000S\000\000\000#session_authorization"
	     "\000postgres\000S\000\000\000#standard_conforming_strings\000on\000S\000\000"
	     "\000\025TimeZone\000Etc/UTC\000K\000\000\000\014\000\000$\202\236\177\276\324"
	     "Z\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\0004CREATE TABLE t (id int primary key, name text);\000"),
	CHUNK(IN,
	     "C\000\000\000\021CREATE TABLE\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000-INSERT INTO t VALUES (1, 'a'), (2, 'b');\000"),
	CHUNK(IN,
	     "C\000\000\000\017INSERT 0 2\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000#INSERT INTO t VALUES (3, 'c');\000"),
	CHUNK(IN,
	     "C\000\000\000\017INSERT 0 1\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000!SELECT * FROM t ORDER BY id;\000"),
	CHUNK(IN,
	     "T\000\000\0002\000\002id\000\000\000@\001\000\001\000\000\000\027\000\004\377"
	     "\377\377\377\000\000name\000\000\000@\001\000\002\000\000\000\031\377\377\377"
	     "\377\377\377\000\000D\000\000\000\020\000\002\000\000\000\0011\000\000\000\001"
	     "aD\000\000\000\020\000\002\000\000\000\0012\000\000\000\001bD\000\000\000\020"
	     "\000\002\000\000\000\0013\000\000\000\001cC\000\000\000\015SELECT 3\000Z\000"
	     "\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000*UPDATE t SET name = 'z' WHERE id < 3;\000"),
	CHUNK(IN,
	     "C\000\000\000\015UPDATE 2\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000 DELETE FROM t WHERE id = 3;\000"),
	CHUNK(IN,
	     "C\000\000\000\015DELETE 1\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000\032SELECT * FROM nosuch;\000"),
	CHUNK(IN,
	     "E\000\000\000iSERROR\000VERROR\000C42P01\000Mrelation \"nosuch\" does not e"
	     "xist\000P15\000Fparse_relation.c\000L1392\000RparserOpenTable\000\000"),
	CHUNK(IN,
	     "Z\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000\016SELECT 1;\000"),
	CHUNK(IN,
	     "T\000\000\000!\000\001?column?\000\000\000\000\000\000\000\000\000\000\027\000"
	     "\004\377\377\377\377\000\000D\000\000\000\013\000\001\000\000\000\0011C\000"
	     "\000\000\015SELECT 1\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000\021SELECT 2, 3;\000"),
	CHUNK(IN,
	     "T\000\000\000<\000\002?column?\000\000\000\000\000\000\000\000\000\000\027\000"
	     "\004\377\377\377\377\000\000?column?\000\000\000\000\000\000\000\000\000\000"
	     "\027\000\004\377\377\377\377\000\000D\000\000\000\020\000\002\000\000\000\001"
	     "2\000\000\000\0013C\000\000\000\015SELECT 1\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000\006;\000"),
	CHUNK(IN,
	     "I\000\000\000\004Z\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000\013BEGIN;\000"),
	CHUNK(IN,
	     "C\000\000\000\nBEGIN\000Z\000\000\000\005T"),
	CHUNK(EG,
	     "Q\000\000\000\020SELECT 1/0;\000"),
	CHUNK(IN,
	     "E\000\000\000ASERROR\000VERROR\000C22012\000Mdivision by zero\000Fint.c\000"
	     "L869\000Rint4div\000\000Z\000\000\000\005E"),
	CHUNK(EG,
	     "Q\000\000\000\016ROLLBACK;\000"),
	CHUNK(IN,
	     "C\000\000\000\015ROLLBACK\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000\027COPY t FROM STDIN;\000"),
	CHUNK(IN,
	     "G\000\000\000\013\000\000\002\000\000\000\000"),
	CHUNK(EG,
	     "d\000\000\000\02110\tx\n11\ty\n\\.\nc\000\000\000\004"),
	CHUNK(IN,
	     "C\000\000\000\013COPY 2\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000\026COPY t TO STDOUT;\000"),
	CHUNK(IN,
	     "H\000\000\000\013\000\000\002\000\000\000\000d\000\000\000\0101\tz\nd\000\000"
	     "\000\0102\tz\nd\000\000\000\t10\tx\nd\000\000\000\t11\ty\nc\000\000\000\004"
	     "C\000\000\000\013COPY 4\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000.DO $$ BEGIN RAISE NOTICE 'hello'; END $$;\000"),
	CHUNK(IN,
	     "N\000\000\000zSNOTICE\000VNOTICE\000C00000\000Mhello\000WPL/pgSQL function "
	     "inline_code_block line 1 at RAISE\000Fpl_exec.c\000L3891\000Rexec_stmt_rais"
	     "e\000\000C\000\000\000\007DO\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000\017LISTEN ch;\000"),
	CHUNK(IN,
	     "C\000\000\000\013LISTEN\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000\032NOTIFY ch, 'payload';\000"),
	CHUNK(IN,
	     "C\000\000\000\013NOTIFY\000A\000\000\000\023\000\000$\202ch\000payload\000Z"
	     "\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000\035SELECT * FROM t LIMIT 0;\000"),
	CHUNK(IN,
	     "T\000\000\0002\000\002id\000\000\000@\001\000\001\000\000\000\027\000\004\377"
	     "\377\377\377\000\000name\000\000\000@\001\000\002\000\000\000\031\377\377\377"
	     "\377\377\377\000\000C\000\000\000\015SELECT 0\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "X\000\000\000\004"),
};

/* psql -c with three statements: one Q, one ReadyForQuery */
static const struct chunk psql_multi[] = {
	CHUNK(EG,
	     "\000\000\000<\000\003\000\000user\000postgres\000database\000appdb\000appli"
	     "cation_name\000psql\000\000"),
	CHUNK(IN,
	     "R\000\000\000\010\000\000\000\000S\000\000\000\032application_name\000psql\000"
	     "S\000\000\000\031client_encoding\000UTF8\000S\000\000\000\027DateStyle\000I"
	     "SO, MDY\000S\000\000\000&default_transaction_read_only\000off\000S\000\000\000"
	     "\027in_hot_standby\000off\000S\000\000\000\031integer_datetimes\000on\000S\000"
	     "\000\000\033IntervalStyle\000postgres\000S\000\000\000\024is_superuser\000o"
	     "n\000S\000\000\000\031server_encoding\000UTF8\000S\000\000\0002server_versi"
	     "on\00015.18 (Debian 15.18-0+deb12u1)\000S\000\000\000#session_authorization"
	     "\000postgres\000S\000\000\000#standard_conforming_strings\000on\000S\000\000"
	     "\000\025TimeZone\000Etc/UTC\000K\000\000\000\014\000\000$\352\240^\250\305Z"
	     "\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000:SELECT 1; SELECT 2; UPDATE t SET name='q' WHERE id=20\000"),
	CHUNK(IN,
	     "T\000\000\000!\000\001?column?\000\000\000\000\000\000\000\000\000\000\027\000"
	     "\004\377\377\377\377\000\000D\000\000\000\013\000\001\000\000\000\0011C\000"
	     "\000\000\015SELECT 1\000T\000\000\000!\000\001?column?\000\000\000\000\000\000"
	     "\000\000\000\000\027\000\004\377\377\377\377\000\000D\000\000\000\013\000\001"
	     "\000\000\000\0012C\000\000\000\015SELECT 1\000C\000\000\000\015UPDATE 0\000"
	     "Z\000\000\000\005I"),
	CHUNK(EG,
	     "X\000\000\000\004"),
};

/*
 * libpq: PQexecParams (unnamed statement), PQprepare + PQexecPrepared twice (the second violates
 * the primary key), PQdescribePrepared, then pipeline mode: three queries (the second divides by
 * zero) + Sync, three more + Sync, all sent in one write; then DEALLOCATE.
 */
static const struct chunk libpq_client[] = {
	CHUNK(EG,
	     "\000\000\000&\000\003\000\000user\000postgres\000database\000appdb\000\000"),
	CHUNK(IN,
	     "R\000\000\000\010\000\000\000\000S\000\000\000\026application_name\000\000S"
	     "\000\000\000\031client_encoding\000UTF8\000S\000\000\000\027DateStyle\000IS"
	     "O, MDY\000S\000\000\000&default_transaction_read_only\000off\000S\000\000\000"
	     "\027in_hot_standby\000off\000S\000\000\000\031integer_datetimes\000on\000S\000"
	     "\000\000\033IntervalStyle\000postgres\000S\000\000\000\024is_superuser\000o"
	     "n\000S\000\000\000\031server_encoding\000UTF8\000S\000\000\0002server_versi"
	     "on\00015.18 (Debian 15.18-0+deb12u1)\000S\000\000\000#session_authorization"
	     "\000postgres\000S\000\000\000#standard_conforming_strings\000on\000S\000\000"
	     "\000\025TimeZone\000Etc/UTC\000K\000\000\000\014\000\000&\261\n*\304\363Z\000"
	     "\000\000\005I"),
	CHUNK(EG,
	     "P\000\000\000,\000SELECT id, name FROM t WHERE id > $1\000\000\000B\000\000"
	     "\000\023\000\000\000\000\000\001\000\000\000\0015\000\001\000\000D\000\000\000"
	     "\006P\000E\000\000\000\t\000\000\000\000\000S\000\000\000\004"),
	CHUNK(IN,
	     "1\000\000\000\0042\000\000\000\004T\000\000\0002\000\002id\000\000\000@\001"
	     "\000\001\000\000\000\027\000\004\377\377\377\377\000\000name\000\000\000@\001"
	     "\000\002\000\000\000\031\377\377\377\377\377\377\000\000D\000\000\000\021\000"
	     "\002\000\000\000\00210\000\000\000\001xD\000\000\000\021\000\002\000\000\000"
	     "\00211\000\000\000\001yC\000\000\000\015SELECT 2\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "P\000\000\000(ins\000INSERT INTO t VALUES ($1, $2)\000\000\000S\000\000\000"
	     "\004"),
	CHUNK(IN,
	     "1\000\000\000\004Z\000\000\000\005I"),
	CHUNK(EG,
	     "B\000\000\000\036\000ins\000\000\000\000\002\000\000\000\0015\000\000\000\004"
	     "five\000\001\000\000D\000\000\000\006P\000E\000\000\000\t\000\000\000\000\000"
	     "S\000\000\000\004"),
	CHUNK(IN,
	     "2\000\000\000\004n\000\000\000\004C\000\000\000\017INSERT 0 1\000Z\000\000\000"
	     "\005I"),
	CHUNK(EG,
	     "B\000\000\000\036\000ins\000\000\000\000\002\000\000\000\0015\000\000\000\004"
	     "five\000\001\000\000D\000\000\000\006P\000E\000\000\000\t\000\000\000\000\000"
	     "S\000\000\000\004"),
	CHUNK(IN,
	     "2\000\000\000\004n\000\000\000\004E\000\000\000\250SERROR\000VERROR\000C235"
	     "05\000Mduplicate key value violates unique constraint \"t_pkey\"\000DKey (i"
	     "d)=(5) already exists.\000spublic\000tt\000nt_pkey\000Fnbtinsert.c\000L664\000"
	     "R_bt_check_unique\000\000"),
	CHUNK(IN,
	     "Z\000\000\000\005I"),
	CHUNK(EG,
	     "D\000\000\000\tSins\000S\000\000\000\004"),
	CHUNK(IN,
	     "t\000\000\000\016\000\002\000\000\000\027\000\000\000\031n\000\000\000\004Z"
	     "\000\000\000\005I"),
	CHUNK(EG,
	     "P\000\000\000\032\000SELECT $1::int * 2\000\000\000B\000\000\000\023\000\000"
	     "\000\000\000\001\000\000\000\0011\000\001\000\000D\000\000\000\006P\000E\000"
	     "\000\000\t\000\000\000\000\000P\000\000\000\033\000SELECT 10 / $1::int\000\000"
	     "\000B\000\000\000\023\000\000\000\000\000\001\000\000\000\0010\000\001\000\000"
	     "D\000\000\000\006P\000E\000\000\000\t\000\000\000\000\000P\000\000\000\034\000"
	     "SELECT 'after error'\000\000\000B\000\000\000\016\000\000\000\000\000\000\000"
	     "\001\000\000D\000\000\000\006P\000E\000\000\000\t\000\000\000\000\000S\000\000"
	     "\000\004B\000\000\000\035\000ins\000\000\000\000\002\000\000\000\0016\000\000"
	     "\000\003six\000\001\000\000D\000\000\000\006P\000E\000\000\000\t\000\000\000"
	     "\000\000P\000\000\000,\000UPDATE t SET name = $1 WHERE id >= 5\000\000\000B"
	     "\000\000\000\023\000\000\000\000\000\001\000\000\000\001u\000\001\000\000D\000"
	     "\000\000\006P\000E\000\000\000\t\000\000\000\000\000P\000\000\000$\000SELEC"
	     "T generate_series(1, 4)\000\000\000B\000\000\000\016\000\000\000\000\000\000"
	     "\000\001\000\000D\000\000\000\006P\000E\000\000\000\t\000\000\000\000\000S\000"
	     "\000\000\004"),
	CHUNK(IN,
	     "1\000\000\000\0042\000\000\000\004T\000\000\000!\000\001?column?\000\000\000"
	     "\000\000\000\000\000\000\000\027\000\004\377\377\377\377\000\000D\000\000\000"
	     "\013\000\001\000\000\000\0012C\000\000\000\015SELECT 1\0001\000\000\000\004"
	     "E\000\000\000ASERROR\000VERROR\000C22012\000Mdivision by zero\000Fint.c\000"
	     "L869\000Rint4div\000\000Z\000\000\000\005I"),
	CHUNK(IN,
	     "2\000\000\000\004n\000\000\000\004C\000\000\000\017INSERT 0 1\0001\000\000\000"
	     "\0042\000\000\000\004n\000\000\000\004C\000\000\000\015UPDATE 4\0001\000\000"
	     "\000\0042\000\000\000\004T\000\000\000(\000\001generate_series\000\000\000\000"
	     "\000\000\000\000\000\000\027\000\004\377\377\377\377\000\000D\000\000\000\013"
	     "\000\001\000\000\000\0011D\000\000\000\013\000\001\000\000\000\0012D\000\000"
	     "\000\013\000\001\000\000\000\0013D\000\000\000\013\000\001\000\000\000\0014"
	     "C\000\000\000\015SELECT 4\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000\023DEALLOCATE ins\000"),
	CHUNK(IN,
	     "C\000\000\000\017DEALLOCATE\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "X\000\000\000\004"),
};

/*
 * pgbench -M prepared, a \startpipeline script: named statements prepared one batch each,
 * then two Bind/Describe/Execute in one Sync batch, twice.
 */
static const struct chunk pgbench_prepared[] = {
	CHUNK(EG,
	     "\000\000\000?\000\003\000\000user\000postgres\000database\000appdb\000appli"
	     "cation_name\000pgbench\000\000"),
	CHUNK(IN,
	     "R\000\000\000\010\000\000\000\000S\000\000\000\035application_name\000pgben"
	     "ch\000S\000\000\000\031client_encoding\000UTF8\000S\000\000\000\027DateStyl"
	     "e\000ISO, MDY\000S\000\000\000&default_transaction_read_only\000off\000S\000"
	     "\000\000\027in_hot_standby\000off\000S\000\000\000\031integer_datetimes\000"
	     "on\000S\000\000\000\033IntervalStyle\000postgres\000S\000\000\000\024is_sup"
	     "eruser\000on\000S\000\000\000\031server_encoding\000UTF8\000S\000\000\0002s"
	     "erver_version\00015.18 (Debian 15.18-0+deb12u1)\000S\000\000\000#session_au"
	     "thorization\000postgres\000S\000\000\000#standard_conforming_strings\000on\000"
	     "S\000\000\000\025TimeZone\000Etc/UTC\000K\000\000\000\014\000\000<M!\210j\314"
	     "Z\000\000\000\005I"),
	CHUNK(EG,
	     "P\000\000\000,P_0\000SELECT name FROM t WHERE id = $1;\000\000\000S\000\000"
	     "\000\004"),
	CHUNK(IN,
	     "1\000\000\000\004Z\000\000\000\005I"),
	CHUNK(EG,
	     "P\000\000\0001P_1\000UPDATE t SET name = 'p' WHERE id = $1;\000\000\000S\000"
	     "\000\000\004"),
	CHUNK(IN,
	     "1\000\000\000\004Z\000\000\000\005I"),
	CHUNK(EG,
	     "B\000\000\000\026\000P_0\000\000\000\000\001\000\000\000\0011\000\001\000\000"
	     "D\000\000\000\006P\000E\000\000\000\t\000\000\000\000\000B\000\000\000\026\000"
	     "P_1\000\000\000\000\001\000\000\000\0011\000\001\000\000D\000\000\000\006P\000"
	     "E\000\000\000\t\000\000\000\000\000S\000\000\000\004"),
	CHUNK(IN,
	     "2\000\000\000\004T\000\000\000\035\000\001name\000\000\000@\001\000\002\000"
	     "\000\000\031\377\377\377\377\377\377\000\000D\000\000\000\013\000\001\000\000"
	     "\000\001zC\000\000\000\015SELECT 1\0002\000\000\000\004n\000\000\000\004C\000"
	     "\000\000\015UPDATE 1\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "B\000\000\000\026\000P_0\000\000\000\000\001\000\000\000\0011\000\001\000\000"
	     "D\000\000\000\006P\000E\000\000\000\t\000\000\000\000\000B\000\000\000\026\000"
	     "P_1\000\000\000\000\001\000\000\000\0011\000\001\000\000D\000\000\000\006P\000"
	     "E\000\000\000\t\000\000\000\000\000S\000\000\000\004"),
	CHUNK(IN,
	     "2\000\000\000\004T\000\000\000\035\000\001name\000\000\000@\001\000\002\000"
	     "\000\000\031\377\377\377\377\377\377\000\000D\000\000\000\013\000\001\000\000"
	     "\000\001pC\000\000\000\015SELECT 1\0002\000\000\000\004n\000\000\000\004C\000"
	     "\000\000\015UPDATE 1\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "X\000\000\000\004"),
};

/* psql to a database that does not exist: FATAL during startup */
static const struct chunk startup_failure[] = {
	CHUNK(EG,
	     "\000\000\000?\000\003\000\000user\000postgres\000database\000nosuchdb\000ap"
	     "plication_name\000psql\000\000"),
	CHUNK(IN,
	     "R\000\000\000\010\000\000\000\000E\000\000\000]SFATAL\000VFATAL\000C3D000\000"
	     "Mdatabase \"nosuchdb\" does not exist\000Fpostinit.c\000L948\000RInitPostgr"
	     "es\000\000"),
};

/* psql: SELECT pg_sleep(5) ended by pg_terminate_backend() from another session */
static const struct chunk terminated[] = {
	CHUNK(EG,
	     "\000\000\000<\000\003\000\000user\000postgres\000database\000appdb\000appli"
	     "cation_name\000psql\000\000"),
	CHUNK(IN,
	     "R\000\000\000\010\000\000\000\000S\000\000\000\032application_name\000psql\000"
	     "S\000\000\000\031client_encoding\000UTF8\000S\000\000\000\027DateStyle\000I"
	     "SO, MDY\000S\000\000\000&default_transaction_read_only\000off\000S\000\000\000"
	     "\027in_hot_standby\000off\000S\000\000\000\031integer_datetimes\000on\000S\000"
	     "\000\000\033IntervalStyle\000postgres\000S\000\000\000\024is_superuser\000o"
	     "n\000S\000\000\000\031server_encoding\000UTF8\000S\000\000\0002server_versi"
	     "on\00015.18 (Debian 15.18-0+deb12u1)\000S\000\000\000#session_authorization"
	     "\000postgres\000S\000\000\000#standard_conforming_strings\000on\000S\000\000"
	     "\000\025TimeZone\000Etc/UTC\000K\000\000\000\014\000\000?`\223\313\2528Z\000"
	     "\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000\027SELECT pg_sleep(5)\000"),
	CHUNK(IN,
	     "T\000\000\000!\000\001pg_sleep\000\000\000\000\000\000\000\000\000\010\346\000"
	     "\004\377\377\377\377\000\000E\000\000\000tSFATAL\000VFATAL\000C57P01\000Mte"
	     "rminating connection due to administrator command\000Fpostgres.c\000L3211\000"
	     "RProcessInterrupts\000\000"),
};

/* psql sslmode=require against a server with TLS: SSLRequest, S, ClientHello... */
static const struct chunk ssl_accepted[] = {
	CHUNK(EG,
	     "\000\000\000\010\004\322\026/"),
	CHUNK(IN,
	     "S"),
	CHUNK(EG,
	     "\026\003\001\001 \001\000\001\034\003\003\271}s\344\363\344=J\333u/d\020\020"
	     "\302\023\332\027\2275\234\204)\013\303A\247\351+iNK \352\025\261\260C\241\374"
	     "o4\024R\251~k\024;\231w\364\3628b\225\0349\353\243\037\026a\253\340\000>\023"
	     "\002\023\003\023\001\300,\3000\000\237\314\251\314\250\314\252\300+\300/\000"
	     "\236\300$\300(\000k\300#\300'\000g\300\n\300\024\0009\300\t\300\023\0003\000"
	     "\235\000\234\000=\000<\0005\000/\000\377\001\000\000\225\000\013\000\004\003"
	     "\000\001\002\000\n\000\026\000\024\000\035\000\027\000\036\000\031\000\030\001"
	     "\000\001\001\001\002\001\003\001\004\000#\000\000\000\026\000\000\000\027\000"
	     "\000\000\015\000*\000(\004\003\005\003\006\003\010\007\010\010\010\t\010\n\010"
	     "\013\010\004\010\005\010\006\004\001\005\001\006\001\003\003\003\001\003\002"
	     "\004\002\005\002\006\002\000+\000\005\004\003\004\003\003\000-\000\002\001\001"
	     "\0003\000&\000$\000\035\000 \314\316\350\231MA\351\274\316\"\311\370\335\016"
	     "\244?\037jg_3\0005\371\367\213\263BC\255\2332"),
	CHUNK(IN,
	     "\026\003\003\000X\002\000\000T\003\003\317!\255t\345\232a\021\276\035\214\002"
	     "\036e\270\221\302\242\021\026z\273\214^\007\236\t\342\310\2503\234 \352\025"
	     "\261\260C\241\374o4\024R\251~k\024;\231w\364\3628b\225\0349\353\243\037\026"
	     "a\253\340\023\002\000\000\014\000+\000\002\003\004\0003\000\002\000\027\024"
	     "\003\003\000\001\001"),
};

/*
 * libpq: BEGIN, lo_creat() (a fastpath FunctionCall), ROLLBACK, COPY TO STDOUT and COPY FROM
 * STDIN through PQexecParams (extended protocol), PQprepare of a syntax error.
 */
static const struct chunk fastpath_copy[] = {
	CHUNK(EG,
	     "\000\000\000&\000\003\000\000user\000postgres\000database\000appdb\000\000"),
	CHUNK(IN,
	     "R\000\000\000\010\000\000\000\000S\000\000\000\026application_name\000\000S"
	     "\000\000\000\031client_encoding\000UTF8\000S\000\000\000\027DateStyle\000IS"
	     "O, MDY\000S\000\000\000&default_transaction_read_only\000off\000S\000\000\000"
	     "\027in_hot_standby\000off\000S\000\000\000\031integer_datetimes\000on\000S\000"
	     "\000\000\033IntervalStyle\000postgres\000S\000\000\000\024is_superuser\000o"
	     "n\000S\000\000\000\031server_encoding\000UTF8\000S\000\000\0002server_versi"
	     "on\00015.18 (Debian 15.18-0+deb12u1)\000S\000\000\000#session_authorization"
	     "\000postgres\000S\000\000\000#standard_conforming_strings\000on\000S\000\000"
	     "\000\025TimeZone\000Etc/UTC\000K\000\000\000\014\000\000L\017\243\271M\272Z"
	     "\000\000\000\005I"),
	CHUNK(EG,
	     "Q\000\000\000\nBEGIN\000"),
	CHUNK(IN,
	     "C\000\000\000\nBEGIN\000Z\000\000\000\005T"),
	CHUNK(EG,
	     "Q\000\000\001@select proname, oid from pg_catalog.pg_proc where proname in "
	     "('lo_open', 'lo_close', 'lo_creat', 'lo_create', 'lo_unlink', 'lo_lseek', '"
	     "lo_lseek64', 'lo_tell', 'lo_tell64', 'lo_truncate', 'lo_truncate64', 'lorea"
	     "d', 'lowrite') and pronamespace = (select oid from pg_catalog.pg_namespace "
	     "where nspname = 'pg_catalog')\000"),
	CHUNK(IN,
	     "T\000\000\0006\000\002proname\000\000\000\004\347\000\002\000\000\000\023\000"
	     "@\377\377\377\377\000\000oid\000\000\000\004\347\000\001\000\000\000\032\000"
	     "\004\377\377\377\377\000\000D\000\000\000\030\000\002\000\000\000\007lo_ope"
	     "n\000\000\000\003952D\000\000\000\031\000\002\000\000\000\010lo_close\000\000"
	     "\000\003953D\000\000\000\027\000\002\000\000\000\006loread\000\000\000\0039"
	     "54D\000\000\000\030\000\002\000\000\000\007lowrite\000\000\000\003955D\000\000"
	     "\000\031\000\002\000\000\000\010lo_lseek\000\000\000\003956D\000\000\000\034"
	     "\000\002\000\000\000\nlo_lseek64\000\000\000\0043170D\000\000\000\031\000\002"
	     "\000\000\000\010lo_creat\000\000\000\003957D\000\000\000\032\000\002\000\000"
	     "\000\tlo_create\000\000\000\003715D\000\000\000\030\000\002\000\000\000\007"
	     "lo_tell\000\000\000\003958D\000\000\000\033\000\002\000\000\000\tlo_tell64\000"
	     "\000\000\0043171D\000\000\000\035\000\002\000\000\000\013lo_truncate\000\000"
	     "\000\0041004D\000\000\000\037\000\002\000\000\000\015lo_truncate64\000\000\000"
	     "\0043172D\000\000\000\032\000\002\000\000\000\tlo_unlink\000\000\000\003964"
	     "C\000\000\000\016SELECT 13\000Z\000\000\000\005T"),
	CHUNK(EG,
	     "F\000\000\000\030\000\000\003\275\000\001\000\001\000\001\000\000\000\004\000"
	     "\006\000\000\000\001"),
	CHUNK(IN,
	     "V\000\000\000\014\000\000\000\004\000\000@\014Z\000\000\000\005T"),
	CHUNK(EG,
	     "Q\000\000\000\015ROLLBACK\000"),
	CHUNK(IN,
	     "C\000\000\000\015ROLLBACK\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "P\000\000\000=\000COPY (SELECT id FROM t ORDER BY id LIMIT 3) TO STDOUT\000"
	     "\000\000B\000\000\000\016\000\000\000\000\000\000\000\001\000\000D\000\000\000"
	     "\006P\000E\000\000\000\t\000\000\000\000\000S\000\000\000\004"),
	CHUNK(IN,
	     "1\000\000\000\0042\000\000\000\004n\000\000\000\004H\000\000\000\t\000\000\001"
	     "\000\000d\000\000\000\0061\nd\000\000\000\0062\nd\000\000\000\0065\nc\000\000"
	     "\000\004C\000\000\000\013COPY 3\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "P\000\000\000\031\000COPY t FROM STDIN\000\000\000B\000\000\000\016\000\000"
	     "\000\000\000\000\000\001\000\000D\000\000\000\006P\000E\000\000\000\t\000\000"
	     "\000\000\000S\000\000\000\004"),
	CHUNK(IN,
	     "1\000\000\000\0042\000\000\000\004n\000\000\000\004G\000\000\000\013\000\000"
	     "\002\000\000\000\000"),
	CHUNK(EG,
	     "d\000\000\000\020100\thundred\nd\000\000\000\015101\tmore\nc\000\000\000\004"
	     "S\000\000\000\004"),
	CHUNK(IN,
	     "C\000\000\000\013COPY 2\000Z\000\000\000\005I"),
	CHUNK(EG,
	     "P\000\000\000\022bad\000SELEC 1\000\000\000S\000\000\000\004"),
	CHUNK(IN,
	     "E\000\000\000]SERROR\000VERROR\000C42601\000Msyntax error at or near \"SELE"
	     "C\"\000P1\000Fscan.l\000L1188\000Rscanner_yyerror\000\000"),
	CHUNK(IN,
	     "Z\000\000\000\005I"),
	CHUNK(EG,
	     "X\000\000\000\004"),
};

/* psql: a 4228-byte query, answered by an error */
static const struct chunk long_query_answer[] = {
	CHUNK(IN,
	     "E\000\000\000kSERROR\000VERROR\000C42P01\000Mrelation \"nosuch\" does not e"
	     "xist\000P4216\000Fparse_relation.c\000L1392\000RparserOpenTable\000\000"),
	CHUNK(IN,
	     "Z\000\000\000\005I"),
};

/*
 * libpq: COPY FROM STDIN through PQexecParams failing on bad data, then one the client ends with
 * CopyFail, then a count. Each Execute went with a Sync the server ignores during the copy.
 */
static const struct chunk copy_failures[] = {
	CHUNK(EG,
	     "\000\000\000&\000\003\000\000user\000postgres\000database\000appdb\000\000"),
	CHUNK(IN,
	     "R\000\000\000\010\000\000\000\000S\000\000\000\026application_name\000\000S"
	     "\000\000\000\031client_encoding\000UTF8\000S\000\000\000\027DateStyle\000IS"
	     "O, MDY\000S\000\000\000&default_transaction_read_only\000off\000S\000\000\000"
	     "\027in_hot_standby\000off\000S\000\000\000\031integer_datetimes\000on\000S\000"
	     "\000\000\033IntervalStyle\000postgres\000S\000\000\000\024is_superuser\000o"
	     "n\000S\000\000\000\031server_encoding\000UTF8\000S\000\000\0002server_versi"
	     "on\00015.18 (Debian 15.18-0+deb12u1)\000S\000\000\000#session_authorization"
	     "\000postgres\000S\000\000\000#standard_conforming_strings\000on\000S\000\000"
	     "\000\025TimeZone\000Etc/UTC\000K\000\000\000\014\000\000\\\266lv+gZ\000\000"
	     "\000\005I"),
	CHUNK(EG,
	     "P\000\000\000\031\000COPY t FROM STDIN\000\000\000B\000\000\000\016\000\000"
	     "\000\000\000\000\000\001\000\000D\000\000\000\006P\000E\000\000\000\t\000\000"
	     "\000\000\000S\000\000\000\004"),
	CHUNK(IN,
	     "1\000\000\000\0042\000\000\000\004n\000\000\000\004G\000\000\000\013\000\000"
	     "\002\000\000\000\000"),
	CHUNK(EG,
	     "d\000\000\000\014abc\tbad\nc\000\000\000\004S\000\000\000\004"),
	CHUNK(IN,
	     "E\000\000\000\212SERROR\000VERROR\000C22P02\000Minvalid input syntax for ty"
	     "pe integer: \"abc\"\000WCOPY t, line 1, column id: \"abc\"\000Fnumutils.c\000"
	     "L232\000Rpg_strtoint32\000\000"),
	CHUNK(IN,
	     "Z\000\000\000\005I"),
	CHUNK(EG,
	     "P\000\000\000\031\000COPY t FROM STDIN\000\000\000B\000\000\000\016\000\000"
	     "\000\000\000\000\000\001\000\000D\000\000\000\006P\000E\000\000\000\t\000\000"
	     "\000\000\000S\000\000\000\004"),
	CHUNK(IN,
	     "1\000\000\000\0042\000\000\000\004n\000\000\000\004G\000\000\000\013\000\000"
	     "\002\000\000\000\000"),
	CHUNK(EG,
	     "d\000\000\000\013300\tok\nf\000\000\000\034client changed its mind\000S\000"
	     "\000\000\004"),
	CHUNK(IN,
	     "E\000\000\000~SERROR\000VERROR\000C57014\000MCOPY from stdin failed: client"
	     " changed its mind\000WCOPY t, line 2\000Fcopyfromparse.c\000L315\000RCopyGe"
	     "tData\000\000"),
	CHUNK(IN,
	     "Z\000\000\000\005I"),
	CHUNK(EG,
	     "P\000\000\000\036\000SELECT count(*) FROM t\000\000\000B\000\000\000\016\000"
	     "\000\000\000\000\000\000\001\000\000D\000\000\000\006P\000E\000\000\000\t\000"
	     "\000\000\000\000S\000\000\000\004"),
	CHUNK(IN,
	     "1\000\000\000\0042\000\000\000\004T\000\000\000\036\000\001count\000\000\000"
	     "\000\000\000\000\000\000\000\024\000\010\377\377\377\377\000\000D\000\000\000"
	     "\013\000\001\000\000\000\0018C\000\000\000\015SELECT 1\000Z\000\000\000\005"
	     "I"),
	CHUNK(EG,
	     "X\000\000\000\004"),
};

/* ---- feeding helpers ---- */

/* Feed chunks [from, to) whole, chunk k with tid k + 1. */
static void play(const struct chunk *c, size_t from, size_t to)
{
	for (size_t k = from; k < to; k++)
		assert_int_equal(feedn(c[k].dir, c[k].data, c[k].len, (uint32_t)k + 1), 0);
}

/* Feed every chunk in pieces of `step` bytes; the pieces of chunk k all get tid k + 1. */
static void play_split(const struct chunk *c, size_t n, size_t step)
{
	for (size_t k = 0; k < n; k++) {
		for (size_t off = 0; off < c[k].len; off += step) {
			size_t len = c[k].len - off < step ? c[k].len - off : step;

			assert_int_equal(feedn(c[k].dir, c[k].data + off, len, (uint32_t)k + 1), 0);
		}
	}
}

/* Messages built byte for byte the way libpq and the server write them. */
struct wire {
	char b[16384];
	size_t n;
};

static void put(struct wire *w, const void *p, size_t n)
{
	assert_true(w->n + n <= sizeof(w->b));
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void put16(struct wire *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(w, b, 2);
}

static void put32(struct wire *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	put(w, b, 4);
}

static void put_str(struct wire *w, const char *s)
{
	put(w, s, strlen(s) + 1);
}

/* Start a message; its length is patched by end_msg(). */
static size_t begin_msg(struct wire *w, char type)
{
	size_t at;

	if (type)
		put(w, &type, 1);
	at = w->n;
	put32(w, 0);
	return at;
}

static void end_msg(struct wire *w, size_t at)
{
	uint32_t len = (uint32_t)(w->n - at);
	uint8_t *p = (uint8_t *)w->b + at;

	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
}

static void empty_msg(struct wire *w, char type)
{
	end_msg(w, begin_msg(w, type));
}

static void str_msg(struct wire *w, char type, const char *s)
{
	size_t at = begin_msg(w, type);

	put_str(w, s);
	end_msg(w, at);
}

static void startup(struct wire *w, const char *user, const char *db)
{
	size_t at = begin_msg(w, 0);

	put32(w, 196608);
	put_str(w, "user");
	put_str(w, user);
	if (db) {
		put_str(w, "database");
		put_str(w, db);
	}
	put(w, "", 1);
	end_msg(w, at);
}

static void code_packet(struct wire *w, uint32_t code)
{
	size_t at = begin_msg(w, 0);

	put32(w, code);
	end_msg(w, at);
}

static void parse(struct wire *w, const char *name, const char *sql)
{
	size_t at = begin_msg(w, 'P');

	put_str(w, name);
	put_str(w, sql);
	put16(w, 0);
	end_msg(w, at);
}

/* No parameters, text results: what PQexecParams sends for a query without $n. */
static void bind(struct wire *w, const char *portal, const char *stmt)
{
	size_t at = begin_msg(w, 'B');

	put_str(w, portal);
	put_str(w, stmt);
	put16(w, 0);
	put16(w, 0);
	put16(w, 1);
	put16(w, 0);
	end_msg(w, at);
}

static void execute(struct wire *w, const char *portal, uint32_t max_rows)
{
	size_t at = begin_msg(w, 'E');

	put_str(w, portal);
	put32(w, max_rows);
	end_msg(w, at);
}

static void close_target(struct wire *w, char what, const char *name)
{
	size_t at = begin_msg(w, 'C');

	put(w, &what, 1);
	put_str(w, name);
	end_msg(w, at);
}

static void ready(struct wire *w)
{
	size_t at = begin_msg(w, 'Z');

	put(w, "I", 1);
	end_msg(w, at);
}

static void data_row(struct wire *w, const char *value)
{
	size_t at = begin_msg(w, 'D');

	put16(w, 1);
	put32(w, (uint32_t)strlen(value));
	put(w, value, strlen(value));
	end_msg(w, at);
}

static void error_msg(struct wire *w, const char *severity, const char *code, const char *text)
{
	size_t at = begin_msg(w, 'E');

	put(w, "S", 1);
	put_str(w, severity);
	put(w, "V", 1);
	put_str(w, severity);
	put(w, "C", 1);
	put_str(w, code);
	put(w, "M", 1);
	put_str(w, text);
	put(w, "", 1);
	end_msg(w, at);
}

static void send_wire(int dir, struct wire *w, uint32_t tid)
{
	assert_int_equal(feedn(dir, w->b, w->n, tid), 0);
	w->n = 0;
}

/* A connection past its startup, as psql opened it (database "appdb"). */
static void open_session(void)
{
	play(psql_session, 0, 4);
	assert_int_equal(nrec, 0);
}

/* ---- what a record should say ---- */

struct want {
	const char *query;
	const char *op;
	int64_t rows;
	const char *status;	/* SQLSTATE of a failure, NULL when the query succeeded */
	const char *error;
	uint32_t req_first, req_last, resp_first, resp_last;	/* tids: chunk index + 1 */
};

static void check(const struct zt_l7_record *r, const struct want *w)
{
	assert_int_equal(r->proto, ZT_L7_PGSQL);
	assert_int_equal(r->req_dir, ZT_L7_EGRESS);
	assert_string_equal(r->db_query, w->query);
	assert_false(r->db_query_truncated);
	assert_string_equal(r->db_operation, w->op);
	assert_int_equal(r->db_rows, w->rows);
	assert_true(r->has_response);
	assert_int_equal(r->db_failed, w->status != NULL);
	assert_string_equal(r->db_status, w->status ? w->status : "");
	assert_string_equal(r->db_error, w->error ? w->error : "");
	assert_string_equal(r->db_sqlstate, "");
	assert_string_equal(r->method, "");
	assert_int_equal(r->status, 0);
	assert_int_equal(r->req_first.tid, w->req_first);
	assert_int_equal(r->req_last.tid, w->req_last);
	assert_int_equal(r->resp_first.tid, w->resp_first);
	assert_int_equal(r->resp_last.tid, w->resp_last);
	/* Chunk metadata is copied whole. */
	assert_int_equal(r->req_first.ts_enter, w->req_first * 1000ull);
	assert_int_equal(r->resp_last.ts_exit, w->resp_last * 1000ull + 7);
}

static void check_all(const struct want *w, size_t n)
{
	assert_int_equal(nrec, (int)n);
	for (size_t i = 0; i < n; i++)
		check(&recs[i], &w[i]);
}

static const struct want psql_session_recs[] = {
	{ "CREATE TABLE t (id int primary key, name text);", "CREATE", -1, NULL, NULL, 5, 5, 6, 6 },
	{ "INSERT INTO t VALUES (1, 'a'), (2, 'b');", "INSERT", 2, NULL, NULL, 7, 7, 8, 8 },
	{ "INSERT INTO t VALUES (3, 'c');", "INSERT", 1, NULL, NULL, 9, 9, 10, 10 },
	{ "SELECT * FROM t ORDER BY id;", "SELECT", 3, NULL, NULL, 11, 11, 12, 12 },
	{ "UPDATE t SET name = 'z' WHERE id < 3;", "UPDATE", 2, NULL, NULL, 13, 13, 14, 14 },
	{ "DELETE FROM t WHERE id = 3;", "DELETE", 1, NULL, NULL, 15, 15, 16, 16 },
	{ "SELECT * FROM nosuch;", "", -1, "42P01", "relation \"nosuch\" does not exist",
	  17, 17, 18, 19 },
	{ "SELECT 1;", "SELECT", 1, NULL, NULL, 20, 20, 21, 21 },
	{ "SELECT 2, 3;", "SELECT", 1, NULL, NULL, 22, 22, 23, 23 },
	{ ";", "", -1, NULL, NULL, 24, 24, 25, 25 },	/* EmptyQueryResponse */
	{ "BEGIN;", "BEGIN", -1, NULL, NULL, 26, 26, 27, 27 },
	{ "SELECT 1/0;", "", -1, "22012", "division by zero", 28, 28, 29, 29 },
	{ "ROLLBACK;", "ROLLBACK", -1, NULL, NULL, 30, 30, 31, 31 },
	/* CopyInResponse, then the client's CopyData and CopyDone, then CommandComplete. */
	{ "COPY t FROM STDIN;", "COPY", 2, NULL, NULL, 32, 34, 33, 35 },
	{ "COPY t TO STDOUT;", "COPY", 4, NULL, NULL, 36, 36, 37, 37 },
	{ "DO $$ BEGIN RAISE NOTICE 'hello'; END $$;", "DO", -1, NULL, NULL, 38, 38, 39, 39 },
	{ "LISTEN ch;", "LISTEN", -1, NULL, NULL, 40, 40, 41, 41 },
	{ "NOTIFY ch, 'payload';", "NOTIFY", -1, NULL, NULL, 42, 42, 43, 43 },
	{ "SELECT * FROM t LIMIT 0;", "SELECT", 0, NULL, NULL, 44, 44, 45, 45 },
};

static void check_psql_session(void)
{
	check_all(psql_session_recs, NCHUNKS(psql_session_recs));
	for (int i = 0; i < nrec; i++)
		assert_string_equal(recs[i].db_namespace, "appdb");
	/* COPY data in both directions, DataRow bytes. */
	assert_int_equal(recs[13].req_body_bytes, 13);
	assert_int_equal(recs[14].resp_body_bytes, 18);
	assert_int_equal(recs[3].resp_body_bytes, 36);
	assert_int_equal(recs[0].req_pos, 8 + 58);
	assert_int_equal(recs[1].req_pos, 8 + 58 + 53);
	assert_int_equal(STAT(records), NCHUNKS(psql_session_recs));
	assert_int_equal(STAT(malformed), 0);
	assert_int_equal(STAT(encrypted), 0);
	assert_int_equal(STAT(unanswered), 0);
	assert_int_equal(STAT(resyncs), 0);
}

/* ---- detect ---- */

static enum zt_detect detect_chunk(const struct chunk *c)
{
	return ops->detect((const uint8_t *)c->data, c->len, c->dir);
}

static void test_detect(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		int dir;
		enum zt_detect want;
	} cases[] = {
#define D(s, dir, want) { s, sizeof(s) - 1, dir, want }
		D("\0\0\0\x08\x04\xd2\x16/", EG, ZT_DETECT_YES),	/* SSLRequest */
		D("\0\0\0\x08\x04\xd2\x16\x30", EG, ZT_DETECT_YES),	/* GSSENCRequest */
		D("\0\0\0\x10\x04\xd2\x16.\0\0\x26\xb1\x0a\x2a\xc4\xf3", EG, ZT_DETECT_YES),
		D("\0\0\0&\0\3\0\0user\0postgres\0database\0appdb\0\0", EG, ZT_DETECT_YES),
		D("Q\0\0\0\x0eSELECT 1;\0", EG, ZT_DETECT_YES),
		D("Q\0\0\0\x06;\0", EG, ZT_DETECT_YES),
		D("Q\0\0\x01\x40select proname, oid from pg_catalog.pg_proc", EG, ZT_DETECT_YES),
		D("P\0\0\0,P_0\0SELECT name FROM t WHERE id = $1;\0\0\0", EG, ZT_DETECT_YES),
		D("P\0\0\0\x1a\0SELECT $1::int * 2\0\0\0B\0\0\0\x13", EG, ZT_DETECT_YES),
		D("R\0\0\0\x08\0\0\0\0S\0\0\0\x18", IN, ZT_DETECT_YES),
		D("S\0\0\0\031client_encoding\0UTF8\0", IN, ZT_DETECT_YES),
		D("Z\0\0\0\x05I", IN, ZT_DETECT_YES),
		D("T\0\0\0!\0\1?column?\0", IN, ZT_DETECT_YES),
		D("D\0\0\0\x0b\0\1\0\0\0\1" "1", IN, ZT_DETECT_YES),
		D("C\0\0\0\rSELECT 1\0", IN, ZT_DETECT_YES),
		D("E\0\0\0]SFATAL\0VFATAL\0C3D000\0", IN, ZT_DETECT_YES),
		/* too short to tell */
		D("", EG, ZT_DETECT_MAYBE),
		D("\0\0", EG, ZT_DETECT_MAYBE),
		D("\0\0\0\x08\x04", EG, ZT_DETECT_MAYBE),
		D("Q", EG, ZT_DETECT_MAYBE),
		D("Q\0\0\0", EG, ZT_DETECT_MAYBE),
		D("Q\0\0\0\x40SELEC", EG, ZT_DETECT_MAYBE),
		D("Z\0\0\0\x05", IN, ZT_DETECT_MAYBE),
		D("S", IN, ZT_DETECT_MAYBE),
		/* other protocols, the wrong direction, implausible values */
		D("GET / HTTP/1.1\r\n", EG, ZT_DETECT_NO),
		D("POST /x HTTP/1.1\r\n", EG, ZT_DETECT_NO),
		D("HTTP/1.1 200 OK\r\n", IN, ZT_DETECT_NO),
		D("\x16\x03\x01\x01 \x01\0\x01\x1c\x03\x03", EG, ZT_DETECT_NO),	/* ClientHello */
		D("*1\r\n$4\r\nPING\r\n", EG, ZT_DETECT_NO),
		D("+PONG\r\n", IN, ZT_DETECT_NO),
		D("J\0\0\0\x0a" "8.0.36\0", IN, ZT_DETECT_NO),		/* MySQL greeting */
		D("Q\0\0\x01\x85\xa6\xff\x01\0\0\0\x01", EG, ZT_DETECT_NO),	/* not text */
		D("Q\0\0\0\x0eSEL\0CT 1;\0", EG, ZT_DETECT_NO),
		D("Q\0\0\0\x03", EG, ZT_DETECT_NO),
		D("Q\x7f\0\0\0", EG, ZT_DETECT_NO),
		D("B\0\0\0\x13\0\0\0\0\0\1\0\0\0\1" "5", EG, ZT_DETECT_NO),
		D("Z\0\0\0\x05I", EG, ZT_DETECT_NO),
		D("Q\0\0\0\x0eSELECT 1;\0", IN, ZT_DETECT_NO),
		D("\0\0\0&\0\3\0\0user\0postgres\0", IN, ZT_DETECT_NO),
		D("Z\0\0\0\x06I", IN, ZT_DETECT_NO),
		D("Z\0\0\0\x05X", IN, ZT_DETECT_NO),
		D("\0\0\0\x08\0\2\0\0", EG, ZT_DETECT_NO),	/* protocol 2 */
		D("\0\0\x30\0\0\3\0\0", EG, ZT_DETECT_NO),	/* startup over 10000 bytes */
#undef D
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum zt_detect got = ops->detect((const uint8_t *)cases[i].s, cases[i].len,
						 cases[i].dir);

		if (got != cases[i].want)
			fail_msg("case %zu: detect = %d, want %d", i, got, cases[i].want);
	}
	/* The first chunk of each captured direction. */
	assert_int_equal(detect_chunk(&psql_session[0]), ZT_DETECT_YES);
	assert_int_equal(detect_chunk(&psql_session[3]), ZT_DETECT_YES);
	assert_int_equal(detect_chunk(&libpq_client[2]), ZT_DETECT_YES);
	assert_int_equal(detect_chunk(&terminated[2]), ZT_DETECT_YES);
	assert_int_equal(detect_chunk(&ssl_accepted[2]), ZT_DETECT_NO);	/* ClientHello */
	assert_int_equal(ops->detect(NULL, 4, EG), ZT_DETECT_NO);
	assert_string_equal(ops->name, "pgsql");
	assert_int_equal(ops->proto, ZT_L7_PGSQL);
}

/* ---- simple query protocol ---- */

static void test_psql_session(void **state)
{
	(void)state;
	play(psql_session, 0, NCHUNKS(psql_session));
	check_psql_session();
	/* Each request was announced before its response. */
	assert_int_equal(nheads, NCHUNKS(psql_session_recs));
	close_conn(99);
	assert_int_equal(nrec, NCHUNKS(psql_session_recs));
}

/* Chunking never changes what is parsed: byte at a time, odd sizes. */
static void test_psql_session_split(void **state)
{
	static const size_t steps[] = { 1, 2, 3, 5, 7, 13, 64 };

	(void)state;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		reset();
		play_split(psql_session, NCHUNKS(psql_session), steps[i]);
		check_psql_session();
	}
}

/* One Q with three statements: one record, the last CommandComplete's operation and rows. */
static void test_multi_statement(void **state)
{
	static const struct want w = {
		"SELECT 1; SELECT 2; UPDATE t SET name='q' WHERE id=20", "UPDATE", 0, NULL, NULL,
		3, 3, 4, 4,
	};

	(void)state;
	play(psql_multi, 0, NCHUNKS(psql_multi));
	check_all(&w, 1);
	/* DataRows of the two SELECTs. */
	assert_int_equal(recs[0].resp_body_bytes, 14);
}

/* ---- extended query protocol ---- */

static const struct want libpq_client_recs[] = {
	{ "SELECT id, name FROM t WHERE id > $1", "SELECT", 2, NULL, NULL, 3, 3, 4, 4 },
	{ "INSERT INTO t VALUES ($1, $2)", "INSERT", 1, NULL, NULL, 7, 7, 8, 8 },
	{ "INSERT INTO t VALUES ($1, $2)", "", -1, "23505",
	  "duplicate key value violates unique constraint \"t_pkey\"", 9, 9, 10, 10 },
	/* Pipeline: the second query fails, the third is skipped by the server. */
	{ "SELECT $1::int * 2", "SELECT", 1, NULL, NULL, 14, 14, 15, 15 },
	{ "SELECT 10 / $1::int", "", -1, "22012", "division by zero", 14, 14, 15, 15 },
	{ "SELECT 'after error'", "", -1, "22012", "division by zero", 14, 14, 15, 15 },
	{ "INSERT INTO t VALUES ($1, $2)", "INSERT", 1, NULL, NULL, 14, 14, 16, 16 },
	{ "UPDATE t SET name = $1 WHERE id >= 5", "UPDATE", 4, NULL, NULL, 14, 14, 16, 16 },
	{ "SELECT generate_series(1, 4)", "SELECT", 4, NULL, NULL, 14, 14, 16, 16 },
	{ "DEALLOCATE ins", "DEALLOCATE", -1, NULL, NULL, 17, 17, 18, 18 },
};

/*
 * Unnamed and named statements, an error, a Parse+Sync and a Describe+Sync batch (no
 * record), pipelined batches with an error that aborts the rest of its batch.
 */
static void test_libpq_extended(void **state)
{
	(void)state;
	play(libpq_client, 0, NCHUNKS(libpq_client));
	check_all(libpq_client_recs, NCHUNKS(libpq_client_recs));
	assert_int_equal(recs[0].req_pos, 38);
	assert_int_equal(recs[8].resp_body_bytes, 28);
	assert_int_equal(STAT(partial_state), 0);
	assert_int_equal(STAT(malformed), 0);
	close_conn(99);
	assert_int_equal(STAT(unanswered), 0);
	assert_int_equal(nrec, NCHUNKS(libpq_client_recs));
}

static void test_libpq_extended_split(void **state)
{
	static const size_t steps[] = { 1, 4, 9, 100 };

	(void)state;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		reset();
		play_split(libpq_client, NCHUNKS(libpq_client), steps[i]);
		check_all(libpq_client_recs, NCHUNKS(libpq_client_recs));
	}
}

/* Named statements prepared in batches of their own, then Bind/Execute pairs per Sync. */
static void test_pgbench_prepared(void **state)
{
	static const struct want w[] = {
		{ "SELECT name FROM t WHERE id = $1;", "SELECT", 1, NULL, NULL, 7, 7, 8, 8 },
		{ "UPDATE t SET name = 'p' WHERE id = $1;", "UPDATE", 1, NULL, NULL, 7, 7, 8, 8 },
		{ "SELECT name FROM t WHERE id = $1;", "SELECT", 1, NULL, NULL, 9, 9, 10, 10 },
		{ "UPDATE t SET name = 'p' WHERE id = $1;", "UPDATE", 1, NULL, NULL, 9, 9, 10, 10 },
	};

	(void)state;
	play(pgbench_prepared, 0, NCHUNKS(pgbench_prepared));
	check_all(w, NCHUNKS(w));
	assert_int_equal(nheads, 4);
}

/* FunctionCall, COPY through Execute (the Sync sent before the copy is ignored by the server). */
static void test_fastpath_and_extended_copy(void **state)
{
	static const struct want w[] = {
		{ "BEGIN", "BEGIN", -1, NULL, NULL, 3, 3, 4, 4 },
		{ "select proname, oid from pg_catalog.pg_proc where proname in ('lo_open', "
		  "'lo_close', 'lo_creat', 'lo_create', 'lo_unlink', 'lo_lseek', 'lo_lseek64', "
		  "'lo_tell', 'lo_tell64', 'lo_truncate', 'lo_truncate64', 'loread', 'lowrite') "
		  "and pronamespace = (select oid from pg_catalog.pg_namespace where nspname = "
		  "'pg_catalog')", "SELECT", 13, NULL, NULL, 5, 5, 6, 6 },
		{ "", "FUNCTION CALL", -1, NULL, NULL, 7, 7, 8, 8 },
		{ "ROLLBACK", "ROLLBACK", -1, NULL, NULL, 9, 9, 10, 10 },
		{ "COPY (SELECT id FROM t ORDER BY id LIMIT 3) TO STDOUT", "COPY", 3, NULL, NULL,
		  11, 11, 12, 12 },
		{ "COPY t FROM STDIN", "COPY", 2, NULL, NULL, 13, 15, 14, 16 },
		{ "SELECT 1", "SELECT", 1, NULL, NULL, 20, 20, 21, 21 },
	};
	struct wire wr = { 0 };

	(void)state;
	/* Everything but Terminate; the failed PQprepare gives no record. */
	play(fastpath_copy, 0, NCHUNKS(fastpath_copy) - 1);
	assert_int_equal(nrec, 6);
	/* The next query still pairs with its own answer. */
	str_msg(&wr, 'Q', "SELECT 1");
	send_wire(EG, &wr, 20);
	play(psql_session, 20, 21);
	check_all(w, NCHUNKS(w));
	assert_int_equal(recs[5].req_body_bytes, 21);
	assert_int_equal(recs[4].resp_body_bytes, 6);
	assert_int_equal(STAT(partial_state), 0);
}

/* COPY failing on the server's side and on the client's: each ends its batch. */
static void test_extended_copy_failures(void **state)
{
	static const struct want w[] = {
		{ "COPY t FROM STDIN", "", -1, "22P02",
		  "invalid input syntax for type integer: \"abc\"", 3, 5, 4, 6 },
		{ "COPY t FROM STDIN", "", -1, "57014",
		  "COPY from stdin failed: client changed its mind", 8, 10, 9, 11 },
		{ "SELECT count(*) FROM t", "SELECT", 1, NULL, NULL, 13, 13, 14, 14 },
	};

	(void)state;
	play(copy_failures, 0, NCHUNKS(copy_failures));
	check_all(w, NCHUNKS(w));
	assert_int_equal(recs[0].req_body_bytes, 8);
	assert_int_equal(recs[1].req_body_bytes, 7);
	close_conn(99);
	assert_int_equal(nrec, NCHUNKS(w));
	assert_int_equal(STAT(unanswered), 0);
}

/* Syntax error on Parse: the batch's Execute carries it. */
static void test_parse_error_fails_execute(void **state)
{
	struct wire w = { 0 };

	(void)state;
	open_session();
	parse(&w, "", "SELEC 1");
	bind(&w, "", "");
	execute(&w, "", 0);
	empty_msg(&w, 'S');
	send_wire(EG, &w, 10);
	error_msg(&w, "ERROR", "42601", "syntax error at or near \"SELEC\"");
	ready(&w);
	send_wire(IN, &w, 11);
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].db_query, "SELEC 1");
	assert_true(recs[0].db_failed);
	assert_string_equal(recs[0].db_status, "42601");
	assert_string_equal(recs[0].db_error, "syntax error at or near \"SELEC\"");
	assert_int_equal(recs[0].resp_last.tid, 11);
}

/* Timings of an extended query written one message per syscall. */
static void test_extended_timings(void **state)
{
	struct wire w = { 0 };

	(void)state;
	open_session();
	parse(&w, "", "SELECT 1");
	send_wire(EG, &w, 10);
	bind(&w, "", "");
	send_wire(EG, &w, 11);
	empty_msg(&w, 'H');	/* Flush */
	send_wire(EG, &w, 12);
	execute(&w, "", 0);
	send_wire(EG, &w, 13);
	assert_int_equal(nheads, 1);	/* announced at Execute, before any answer */
	empty_msg(&w, 'S');
	send_wire(EG, &w, 14);
	empty_msg(&w, '1');
	send_wire(IN, &w, 15);
	empty_msg(&w, '2');
	data_row(&w, "1");
	send_wire(IN, &w, 16);
	str_msg(&w, 'C', "SELECT 1");
	send_wire(IN, &w, 17);
	assert_int_equal(nrec, 1);	/* complete at CommandComplete */
	ready(&w);
	send_wire(IN, &w, 18);
	assert_int_equal(nrec, 1);
	assert_int_equal(recs[0].req_first.tid, 10);
	assert_int_equal(recs[0].req_last.tid, 14);	/* the Sync that followed the Execute */
	assert_int_equal(recs[0].resp_first.tid, 15);
	assert_int_equal(recs[0].resp_last.tid, 17);
	assert_int_equal(recs[0].req_pos, psql_session[0].len + psql_session[2].len);
	assert_int_equal(recs[0].db_rows, 1);
}

/* A portal executed with a row limit: PortalSuspended ends each Execute. */
static void test_portal_suspended(void **state)
{
	struct wire w = { 0 };

	(void)state;
	open_session();
	parse(&w, "", "SELECT g FROM generate_series(1, 5) g");
	bind(&w, "c1", "");
	execute(&w, "c1", 2);
	execute(&w, "c1", 2);
	execute(&w, "c1", 2);
	empty_msg(&w, 'S');
	send_wire(EG, &w, 10);
	empty_msg(&w, '1');
	empty_msg(&w, '2');
	data_row(&w, "1");
	data_row(&w, "2");
	empty_msg(&w, 's');
	data_row(&w, "3");
	data_row(&w, "4");
	empty_msg(&w, 's');
	data_row(&w, "5");
	str_msg(&w, 'C', "SELECT 1");
	ready(&w);
	send_wire(IN, &w, 11);
	assert_int_equal(nrec, 3);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(recs[i].db_query, "SELECT g FROM generate_series(1, 5) g");
		assert_int_equal(recs[i].db_rows, i < 2 ? 2 : 1);
		assert_string_equal(recs[i].db_operation, i < 2 ? "" : "SELECT");
		assert_false(recs[i].db_failed);
	}
	assert_int_equal(STAT(partial_state), 0);
}

/* Close forgets a statement or portal; a later use has no text (counted). */
static void test_close_statement(void **state)
{
	struct wire w = { 0 };

	(void)state;
	open_session();
	parse(&w, "st", "SELECT 42");
	empty_msg(&w, 'S');
	close_target(&w, 'S', "st");
	empty_msg(&w, 'S');
	bind(&w, "", "st");
	execute(&w, "", 0);
	empty_msg(&w, 'S');
	send_wire(EG, &w, 10);
	empty_msg(&w, '1');
	ready(&w);
	empty_msg(&w, '3');
	ready(&w);
	error_msg(&w, "ERROR", "26000", "prepared statement \"st\" does not exist");
	ready(&w);
	send_wire(IN, &w, 11);
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].db_query, "");
	assert_string_equal(recs[0].db_status, "26000");
	assert_int_equal(STAT(partial_state), 1);
}

/* At most 256 named statements: the oldest is forgotten. */
static void test_statement_eviction(void **state)
{
	struct wire w = { 0 };
	char name[16], sql[64];

	(void)state;
	open_session();
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		parse(&w, name, sql);
		empty_msg(&w, 'S');
		send_wire(EG, &w, 10);
		empty_msg(&w, '1');
		ready(&w);
		send_wire(IN, &w, 11);
	}
	bind(&w, "", "s0");
	execute(&w, "", 0);
	bind(&w, "", "s299");
	execute(&w, "", 0);
	bind(&w, "", "s44");
	execute(&w, "", 0);
	bind(&w, "", "s43");
	execute(&w, "", 0);
	empty_msg(&w, 'S');
	send_wire(EG, &w, 12);
	assert_int_equal(nrec, 0);
	close_conn(13);
	assert_int_equal(nrec, 4);
	assert_string_equal(recs[0].db_query, "");
	assert_string_equal(recs[1].db_query, "SELECT 299");
	assert_string_equal(recs[2].db_query, "SELECT 44");
	assert_string_equal(recs[3].db_query, "");
	assert_int_equal(STAT(partial_state), 2);
	assert_int_equal(STAT(unanswered), 4);
}

/* Long statement texts are bounded in bytes too. */
static void test_statement_bytes_bounded(void **state)
{
	static char sql[4001];
	struct wire w = { 0 };
	char name[16];

	(void)state;
	open_session();
	memset(sql, 'x', sizeof(sql) - 1);
	for (int i = 0; i < 70; i++) {
		snprintf(name, sizeof(name), "big%d", i);
		parse(&w, name, sql);
		send_wire(EG, &w, 10);
	}
	bind(&w, "", "big0");
	execute(&w, "", 0);
	bind(&w, "", "big69");
	execute(&w, "", 0);
	send_wire(EG, &w, 11);
	close_conn(12);
	assert_int_equal(nrec, 2);
	assert_string_equal(recs[0].db_query, "");
	assert_int_equal(strlen(recs[1].db_query), 4000);
}

/* ---- startup and encryption ---- */

static void test_ssl_accepted_stops(void **state)
{
	(void)state;
	play(ssl_accepted, 0, NCHUNKS(ssl_accepted));
	assert_int_equal(STAT(encrypted), 1);
	/* Application data under TLS: ignored, never malformed. */
	play(psql_session, 4, 8);
	play(ssl_accepted, 2, 4);
	assert_int_equal(STAT(encrypted), 1);
	assert_int_equal(STAT(malformed), 0);
	close_conn(99);
	assert_int_equal(nrec, 0);
}

/* A ClientHello right after SSLRequest, before the answer was fed: encrypted too. */
static void test_clienthello_before_answer(void **state)
{
	(void)state;
	play(ssl_accepted, 0, 1);
	play(ssl_accepted, 2, 3);
	assert_int_equal(STAT(encrypted), 1);
	play(ssl_accepted, 1, 2);
	assert_int_equal(STAT(encrypted), 1);
	assert_int_equal(STAT(malformed), 0);
}

/* GSSENCRequest and SSLRequest refused; the startup has no database: the user names it. */
static void test_encryption_refused(void **state)
{
	struct wire w = { 0 };

	(void)state;
	code_packet(&w, 80877104);
	send_wire(EG, &w, 1);
	assert_int_equal(feeds(IN, "N", 2), 0);
	code_packet(&w, 80877103);
	send_wire(EG, &w, 3);
	assert_int_equal(feeds(IN, "N", 4), 0);
	startup(&w, "alice", NULL);
	send_wire(EG, &w, 5);
	play(psql_session, 3, 4);
	play(psql_session, 19, 21);
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].db_namespace, "alice");
	assert_string_equal(recs[0].db_query, "SELECT 1;");
	assert_int_equal(STAT(encrypted), 0);
}

/* FATAL during startup (unknown database): no record. */
static void test_startup_failure(void **state)
{
	(void)state;
	play(startup_failure, 0, NCHUNKS(startup_failure));
	close_conn(9);
	assert_int_equal(nrec, 0);
	assert_int_equal(STAT(malformed), 0);
	assert_int_equal(STAT(unanswered), 0);
}

/* A CancelRequest connection: nothing to record. */
static void test_cancel_request(void **state)
{
	struct wire w = { 0 };
	size_t at = begin_msg(&w, 0);

	(void)state;
	put32(&w, 80877102);
	put32(&w, 9346);
	put32(&w, 0x26b10a2a);
	end_msg(&w, at);
	send_wire(EG, &w, 1);
	close_conn(2);
	assert_int_equal(nrec, 0);
	assert_int_equal(STAT(malformed), 0);
}

/* pg_terminate_backend(): the query ends with FATAL 57P01 and no ReadyForQuery. */
static void test_terminated(void **state)
{
	(void)state;
	play(terminated, 0, NCHUNKS(terminated));
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].db_query, "SELECT pg_sleep(5)");
	assert_true(recs[0].has_response);
	assert_true(recs[0].db_failed);
	assert_string_equal(recs[0].db_status, "57P01");
	assert_string_equal(recs[0].db_error,
			    "terminating connection due to administrator command");
	assert_int_equal(recs[0].resp_first.tid, 4);
	close_conn(9);
	assert_int_equal(nrec, 1);
	assert_int_equal(STAT(unanswered), 0);
}

/* ---- limits ---- */

/* Query text over ZT_L7_DB_QUERY_MAX, as Q (captured) and as Parse. */
static void test_long_query_truncated(void **state)
{
	static char sql[4300];
	struct wire w = { 0 };

	(void)state;
	open_session();
	snprintf(sql, sizeof(sql), "SELECT '%0*d' FROM nosuch;", 4200, 0);
	memset(sql + 8, 'y', 4200);
	str_msg(&w, 'Q', sql);
	assert_int_equal(w.n, 4228);
	feed_split(EG, w.b, w.n, 1000, 4);
	w.n = 0;
	play(long_query_answer, 0, NCHUNKS(long_query_answer));
	assert_int_equal(nrec, 1);
	assert_true(recs[0].db_query_truncated);
	assert_int_equal(strlen(recs[0].db_query), ZT_L7_DB_QUERY_MAX - 1);
	assert_memory_equal(recs[0].db_query, sql, ZT_L7_DB_QUERY_MAX - 1);
	assert_string_equal(recs[0].db_status, "42P01");

	parse(&w, "long", sql);
	bind(&w, "", "long");
	execute(&w, "", 0);
	send_wire(EG, &w, 5);
	close_conn(6);
	assert_int_equal(nrec, 2);
	assert_true(recs[1].db_query_truncated);
	assert_memory_equal(recs[1].db_query, sql, ZT_L7_DB_QUERY_MAX - 1);
}

/* More than 64 requests waiting: the oldest are flushed unanswered, pairing stays right. */
static void test_pending_overflow(void **state)
{
	struct wire w = { 0 };
	char sql[32];

	(void)state;
	open_session();
	for (int i = 0; i < 70; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		str_msg(&w, 'Q', sql);
	}
	send_wire(EG, &w, 10);
	assert_int_equal(nrec, 6);
	assert_int_equal(STAT(unanswered), 6);
	for (int i = 0; i < 70; i++) {
		snprintf(sql, sizeof(sql), "%d", i);
		data_row(&w, sql);
		str_msg(&w, 'C', "SELECT 1");
		ready(&w);
	}
	send_wire(IN, &w, 11);
	assert_int_equal(nrec, 70);
	for (int i = 0; i < 70; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		assert_string_equal(recs[i].db_query, sql);
		assert_int_equal(recs[i].has_response, i >= 6);
		assert_int_equal(recs[i].resp_body_bytes, i >= 6 ? 7 + (i >= 10) : 0);
	}
}

/* A client that never reads: thousands of Syncs waiting is given up. */
static void test_queue_limit(void **state)
{
	struct wire w = { 0 };
	int rc = 0;

	(void)state;
	open_session();
	for (int i = 0; i < 5000 && !rc; i++) {
		empty_msg(&w, 'S');
		rc = feedn(EG, w.b, w.n, 10);
		w.n = 0;
	}
	assert_int_equal(rc, -1);
	assert_int_equal(STAT(malformed), 1);
}

/* ---- gaps and connections seen from the middle ---- */

/* A gap inside a DataRow is skipped; the response still pairs. */
static void test_gap_inside_body(void **state)
{
	const struct chunk *resp = &psql_session[11];

	(void)state;
	play(psql_session, 0, 11);
	assert_int_equal(feedn(IN, resp->data, 75, 12), 0);
	assert_int_equal(gap(IN, 6, 13), 0);
	assert_int_equal(feedn(IN, resp->data + 81, resp->len - 81, 14), 0);
	assert_int_equal(nrec, 4);
	check(&recs[3], &(struct want){ "SELECT * FROM t ORDER BY id;", "SELECT", 3, NULL, NULL,
					11, 11, 12, 14 });
	assert_int_equal(STAT(gaps), 1);
	assert_int_equal(STAT(resyncs), 0);
	/* Inside the query text: the record keeps what was seen. */
	assert_int_equal(feedn(EG, psql_session[12].data, 10, 15), 0);
	assert_int_equal(gap(EG, 5, 16), 0);
	assert_int_equal(feedn(EG, psql_session[12].data + 15, psql_session[12].len - 15, 17), 0);
	play(psql_session, 13, 14);
	assert_int_equal(nrec, 5);
	assert_string_equal(recs[4].db_query, "UPDAT");
	assert_true(recs[4].db_query_truncated);
	assert_int_equal(recs[4].db_rows, 2);
	assert_int_equal(STAT(malformed), 0);
}

/*
 * A gap hides a backend header: resync at ReadyForQuery, the request is flushed. The
 * CommandComplete right before it came whole after the gap: its tag gives the rows.
 */
static void test_gap_hides_backend_header(void **state)
{
	const struct chunk *resp = &psql_session[11];

	(void)state;
	play(psql_session, 0, 11);
	assert_int_equal(feedn(IN, resp->data, 70, 12), 0);
	assert_int_equal(gap(IN, 10, 13), 0);
	assert_int_equal(feedn(IN, resp->data + 80, resp->len - 80, 14), 0);
	assert_int_equal(nrec, 4);
	check(&recs[3], &(struct want){ "SELECT * FROM t ORDER BY id;", "SELECT", 3, NULL, NULL,
					11, 11, 12, 14 });
	assert_int_equal(STAT(resyncs), 1);
	play(psql_session, 12, 14);
	assert_int_equal(nrec, 5);
	check(&recs[4], &psql_session_recs[4]);
	assert_int_equal(STAT(malformed), 0);
	/* The gap also hides the CommandComplete's start: answered as far as it was seen. */
	reset();
	play(psql_session, 0, 11);
	assert_int_equal(feedn(IN, resp->data, 70, 12), 0);
	assert_int_equal(gap(IN, resp->len - 70 - 12, 13), 0);
	assert_int_equal(feedn(IN, resp->data + resp->len - 12, 12, 14), 0);
	assert_int_equal(nrec, 4);
	assert_string_equal(recs[3].db_query, "SELECT * FROM t ORDER BY id;");
	assert_true(recs[3].has_response);
	assert_int_equal(recs[3].db_rows, -1);
	assert_string_equal(recs[3].db_operation, "");
	assert_int_equal(recs[3].resp_last.tid, 12);
}

/* A gap hides a whole query: the frontend resyncs on the next one, its answer is ignored. */
static void test_gap_hides_query(void **state)
{
	(void)state;
	play(psql_session, 0, 10);
	assert_int_equal(gap(EG, psql_session[10].len, 11), 0);
	play(psql_session, 11, 14);
	assert_int_equal(nrec, 4);
	check(&recs[3], &psql_session_recs[4]);
	assert_int_equal(STAT(resyncs), 1);
	assert_int_equal(STAT(unanswered), 0);
}

/* Seen from the middle: statements prepared before are unknown, Executes still pair. */
static void test_mid_stream_statements(void **state)
{
	(void)state;
	play(pgbench_prepared, 6, 10);
	assert_int_equal(nrec, 4);
	for (int i = 0; i < 4; i++) {
		assert_string_equal(recs[i].db_query, "");
		assert_int_equal(recs[i].db_rows, 1);
		assert_true(recs[i].has_response);
	}
	assert_string_equal(recs[0].db_operation, "SELECT");
	assert_string_equal(recs[1].db_operation, "UPDATE");
	assert_int_equal(STAT(partial_state), 4);
	/* New statements are learnt. */
	play(libpq_client, 2, 4);
	assert_int_equal(nrec, 5);
	check(&recs[4], &libpq_client_recs[0]);
	assert_int_equal(STAT(malformed), 0);
}

/* Both directions start inside messages: skipped up to the next plausible start. */
static void test_mid_stream_bytes(void **state)
{
	(void)state;
	/* The tail of a query and of its response, then whole exchanges. */
	assert_int_equal(feedn(EG, psql_session[10].data + 9, psql_session[10].len - 9, 11), 0);
	assert_int_equal(feedn(IN, psql_session[11].data + 7, psql_session[11].len - 7, 12), 0);
	assert_int_equal(nrec, 0);
	play(psql_session, 12, 16);
	assert_int_equal(nrec, 2);
	check(&recs[0], &psql_session_recs[4]);
	check(&recs[1], &psql_session_recs[5]);
	assert_int_equal(STAT(resyncs), 2);
	assert_int_equal(STAT(malformed), 0);
	assert_string_equal(recs[0].db_namespace, "");	/* the startup was not seen */
}

/* ---- a big answer as the kernel sends it: head, gap, the chunk's last bytes ---- */

/* psycopg2 2.9 and PostgreSQL 15: SELECT g FROM generate_series(1, 50000) g, then SELECT 1. */
static const char big_query[] =
	"Q\000\000\000.SELECT g FROM generate_series(1, 50000) g\000";
#define BIG_ANSWER_LEN 788945	/* RowDescription, 50000 DataRows, CommandComplete, Ready */
/* The answer's first 100 bytes: RowDescription, six DataRows, the seventh's type byte. */
static const char big_head[] =
	"T\000\000\000\032\000\001g\000\000\000\000\000\000\000\000\000\000\027\000"
	"\004\377\377\377\377\000\000D\000\000\000\013\000\001\000\000\000\0011D\000"
	"\000\000\013\000\001\000\000\000\0012D\000\000\000\013\000\001\000\000\000"
	"\0013D\000\000\000\013\000\001\000\000\000\0014D\000\000\000\013\000\001"
	"\000\000\000\0015D\000\000\000\013\000\001\000\000\000\0016D";
/* Its last 256 bytes, from inside a DataRow's column length. */
static const char big_tail[] =
	"\000\000\00549986D\000\000\000\017\000\001\000\000\000\00549987D\000\000"
	"\000\017\000\001\000\000\000\00549988D\000\000\000\017\000\001\000\000\000"
	"\00549989D\000\000\000\017\000\001\000\000\000\00549990D\000\000\000\017"
	"\000\001\000\000\000\00549991D\000\000\000\017\000\001\000\000\000\00549992"
	"D\000\000\000\017\000\001\000\000\000\00549993D\000\000\000\017\000\001\000"
	"\000\000\00549994D\000\000\000\017\000\001\000\000\000\00549995D\000\000"
	"\000\017\000\001\000\000\000\00549996D\000\000\000\017\000\001\000\000\000"
	"\00549997D\000\000\000\017\000\001\000\000\000\00549998D\000\000\000\017"
	"\000\001\000\000\000\00549999D\000\000\000\017\000\001\000\000\000\00550000"
	"C\000\000\000\021SELECT 50000\000Z\000\000\000\005I";
static const char one_query[] = "Q\000\000\000\015SELECT 1\000";
static const char one_answer[] =
	"T\000\000\000!\000\001?column?\000\000\000\000\000\000\000\000\000\000\027"
	"\000\004\377\377\377\377\000\000D\000\000\000\013\000\001\000\000\000\0011C"
	"\000\000\000\015SELECT 1\000Z\000\000\000\005I";

/* The same client: an error after 49999 rows. */
static const char err_query[] =
	"Q\000\000\000<SELECT 1 / (50000 - g) FROM generate_series(1, 50000) g\000";
#define ERR_ANSWER_LEN 600094
static const char err_head[] =
	"T\000\000\000!\000\001?column?\000\000\000\000\000\000\000\000\000\000\027"
	"\000\004\377\377\377\377\000\000D\000\000\000\013\000\001\000\000\000\0010D"
	"\000\000\000\013\000\001\000\000\000\0010D\000";
static const char err_tail[] =
	"\000\000\0010D\000\000\000\013\000\001\000\000\000\0010D\000\000\000\013"
	"\000\001\000\000\000\0010D\000\000\000\013\000\001\000\000\000\0010D\000"
	"\000\000\013\000\001\000\000\000\0010D\000\000\000\013\000\001\000\000\000"
	"\0010D\000\000\000\013\000\001\000\000\000\0010D\000\000\000\013\000\001"
	"\000\000\000\0010D\000\000\000\013\000\001\000\000\000\0010D\000\000\000"
	"\013\000\001\000\000\000\0010D\000\000\000\013\000\001\000\000\000\0010D"
	"\000\000\000\013\000\001\000\000\000\0010D\000\000\000\013\000\001\000\000"
	"\000\0010D\000\000\000\013\000\001\000\000\000\0010D\000\000\000\013\000"
	"\001\000\000\000\0010D\000\000\000\013\000\001\000\000\000\0011E\000\000"
	"\000ASERROR\000VERROR\000C22012\000Mdivision by zero\000Fint.c\000L869\000R"
	"int4div\000\000Z\000\000\000\005I";

/* The big query as one extended batch (Parse, Bind, Describe, Execute, Sync). */
static const char big_batch[] =
	"P\000\000\0001\000SELECT g FROM generate_series(1, 50000) g\000\000\000B"
	"\000\000\000\016\000\000\000\000\000\000\000\001\000\000D\000\000\000\006P"
	"\000E\000\000\000\011\000\000\000\000\000S\000\000\000\004";
#define BATCH_ANSWER_LEN 788955	/* ParseComplete, BindComplete, then as above */
static const char batch_head[] =
	"1\000\000\000\0042\000\000\000\004T\000\000\000\032\000\001g\000\000\000"
	"\000\000\000\000\000\000\000\027\000\004\377\377\377\377\000\000D\000\000"
	"\000\013\000\001\000\000\000\0011D\000\000\000\013\000\001\000\000\000\0012"
	"D\000\000\000\013\000\001\000\000";

#define BIG_SQL "SELECT g FROM generate_series(1, 50000) g"

/*
 * An answer of `len` bytes to `query` (tid 5) as the kernel reports one big recv(): its
 * head (tid 6), a gap (tid 7), then its last bytes (tid 8 on, `step` bytes per feed).
 * Returns the tid of the last feed.
 */
static uint32_t answer_with_gap(const char *query, size_t qlen, const char *head, size_t hlen,
				size_t len, const char *tail, size_t tlen, size_t step)
{
	open_session();
	assert_int_equal(feedn(EG, query, qlen, 5), 0);
	assert_int_equal(feedn(IN, head, hlen, 6), 0);
	assert_int_equal(gap(IN, len - hlen - tlen, 7), 0);
	return feed_split(IN, tail, tlen, step, 8);
}

static uint32_t big_answer_with_gap(const char *tail, size_t tlen, size_t step)
{
	return answer_with_gap(big_query, sizeof(big_query) - 1, big_head, sizeof(big_head) - 1,
			       BIG_ANSWER_LEN, tail, tlen, step);
}

/* The tail's CommandComplete completes the answer: rows from its tag. The next query pairs. */
static void test_tail_completes_query(void **state)
{
	(void)state;
	big_answer_with_gap(big_tail, sizeof(big_tail) - 1, sizeof(big_tail) - 1);
	check_all(&(struct want){ BIG_SQL, "SELECT", 50000, NULL, NULL, 5, 5, 6, 8 }, 1);
	assert_int_equal(STAT(resyncs), 1);
	assert_int_equal(feedn(EG, one_query, sizeof(one_query) - 1, 9), 0);
	assert_int_equal(feedn(IN, one_answer, sizeof(one_answer) - 1, 10), 0);
	assert_int_equal(nrec, 2);
	check(&recs[1], &(struct want){ "SELECT 1", "SELECT", 1, NULL, NULL, 9, 9, 10, 10 });
	assert_int_equal(STAT(unanswered), 0);
	assert_int_equal(STAT(malformed), 0);
}

/* The tail in several feeds (the CommandComplete and ReadyForQuery split too): same record. */
static void test_tail_split(void **state)
{
	static const size_t steps[] = { 1, 2, 3, 5, 7, 23, 100, 250 };

	(void)state;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		uint32_t last;

		reset();
		last = big_answer_with_gap(big_tail, sizeof(big_tail) - 1, steps[i]);
		check_all(&(struct want){ BIG_SQL, "SELECT", 50000, NULL, NULL, 5, 5, 6, last }, 1);
	}
}

/*
 * The CommandComplete began before the gap: its bytes after it are not one, the answer
 * ends at ReadyForQuery as far as it was seen (rows unknown).
 */
static void test_tail_command_complete_cut(void **state)
{
	const char *tail = big_tail + sizeof(big_tail) - 1 - 20;

	(void)state;
	big_answer_with_gap(tail, 20, 20);
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].db_query, BIG_SQL);
	assert_true(recs[0].has_response);
	assert_int_equal(recs[0].db_rows, -1);
	assert_string_equal(recs[0].db_operation, "");
	assert_int_equal(recs[0].resp_first.tid, 6);
	assert_int_equal(recs[0].resp_last.tid, 6);
	assert_int_equal(STAT(resyncs), 1);
	assert_int_equal(feedn(EG, one_query, sizeof(one_query) - 1, 9), 0);
	assert_int_equal(feedn(IN, one_answer, sizeof(one_answer) - 1, 10), 0);
	check(&recs[1], &(struct want){ "SELECT 1", "SELECT", 1, NULL, NULL, 9, 9, 10, 10 });
}

/*
 * Two queries sent together: the tail ends the second one's answer, which of the two the
 * lost bytes answered last is unknown, so neither takes it.
 */
static void test_tail_two_pending(void **state)
{
	size_t qn = sizeof(big_query) - 1, an = sizeof(one_answer) - 1, tn = sizeof(big_tail) - 1;
	char both[128], tail[256];

	(void)state;
	memcpy(both, big_query, qn);
	memcpy(both + qn, one_query, sizeof(one_query) - 1);
	/* The stream's last 256 bytes: the big answer's end, then the small answer. */
	memcpy(tail, big_tail + an, tn - an);
	memcpy(tail + tn - an, one_answer, an);
	answer_with_gap(both, qn + sizeof(one_query) - 1, big_head, sizeof(big_head) - 1,
			BIG_ANSWER_LEN + an, tail, sizeof(tail), sizeof(tail));
	assert_int_equal(nrec, 2);
	assert_string_equal(recs[0].db_query, BIG_SQL);
	assert_true(recs[0].has_response);
	assert_int_equal(recs[0].db_rows, -1);
	assert_string_equal(recs[0].db_operation, "");
	assert_int_equal(recs[0].resp_last.tid, 6);
	assert_string_equal(recs[1].db_query, "SELECT 1");
	assert_false(recs[1].has_response);
	assert_int_equal(recs[1].db_rows, -1);
	assert_int_equal(STAT(unanswered), 1);
}

/* The answer failed after its rows: the tail's ErrorResponse fails the query. */
static void test_tail_error(void **state)
{
	static const struct want w = {
		"SELECT 1 / (50000 - g) FROM generate_series(1, 50000) g", "", -1, "22012",
		"division by zero", 5, 5, 6, 8,
	};

	(void)state;
	answer_with_gap(err_query, sizeof(err_query) - 1, err_head, sizeof(err_head) - 1,
			ERR_ANSWER_LEN, err_tail, sizeof(err_tail) - 1, sizeof(err_tail) - 1);
	check_all(&w, 1);
	reset();
	answer_with_gap(err_query, sizeof(err_query) - 1, err_head, sizeof(err_head) - 1,
			ERR_ANSWER_LEN, err_tail, sizeof(err_tail) - 1, 3);
	assert_int_equal(nrec, 1);
	assert_string_equal(recs[0].db_error, "division by zero");
}

/* One Execute and its Sync outstanding: the Execute takes the tail's CommandComplete. */
static void test_tail_extended(void **state)
{
	(void)state;
	answer_with_gap(big_batch, sizeof(big_batch) - 1, batch_head, sizeof(batch_head) - 1,
			BATCH_ANSWER_LEN, big_tail, sizeof(big_tail) - 1, 64);
	check_all(&(struct want){ BIG_SQL, "SELECT", 50000, NULL, NULL, 5, 5, 6, 11 }, 1);
	assert_int_equal(STAT(malformed), 0);
}

/* ---- the end of a connection and malformed input ---- */

static void test_close_flushes(void **state)
{
	struct wire w = { 0 };

	(void)state;
	open_session();
	str_msg(&w, 'Q', "SELECT pg_sleep(100)");
	send_wire(EG, &w, 10);
	parse(&w, "", "SELECT 2");
	bind(&w, "", "");
	execute(&w, "", 0);
	empty_msg(&w, 'S');
	send_wire(EG, &w, 11);
	close_conn(12);
	assert_int_equal(nrec, 2);
	assert_false(recs[0].has_response);
	assert_int_equal(recs[0].req_last.tid, 10);
	assert_int_equal(recs[0].resp_first.tid, 0);
	assert_int_equal(recs[0].db_rows, -1);
	assert_string_equal(recs[1].db_query, "SELECT 2");
	assert_false(recs[1].has_response);
	assert_int_equal(STAT(unanswered), 2);
	/* Closed: nothing more. */
	play(psql_session, 19, 21);
	assert_int_equal(nrec, 2);
}

/* CopyBothResponse (replication): given up, sticky. */
static void test_copy_both_gives_up(void **state)
{
	struct wire w = { 0 };
	size_t at;

	(void)state;
	open_session();
	str_msg(&w, 'Q', "START_REPLICATION SLOT s LOGICAL 0/0");
	send_wire(EG, &w, 10);
	at = begin_msg(&w, 'W');
	put(&w, "\0\0\0", 3);
	end_msg(&w, at);
	assert_int_equal(feedn(IN, w.b, w.n, 11), -1);
	assert_int_equal(STAT(malformed), 1);
	assert_int_equal(feedn(EG, psql_session[19].data, psql_session[19].len, 12), -1);
	assert_int_equal(gap(IN, 5, 13), -1);
	close_conn(14);
	assert_int_equal(nrec, 0);
	assert_int_equal(STAT(malformed), 1);
}

/* Once in sync, framing errors give the connection up. */
static void test_malformed(void **state)
{
	static const struct {
		int dir;
		const char *s;
		size_t len;
	} cases[] = {
#define M(dir, s) { dir, s, sizeof(s) - 1 }
		M(IN, "x\0\0\0\x04"),			/* unknown backend type */
		M(IN, "Z\0\0\0\x06II"),			/* ReadyForQuery is 5 bytes */
		M(IN, "Z\0\0\0\x05X"),			/* unknown transaction status */
		M(IN, "C\0\0\0\x08" "ABCD"),		/* tag not terminated */
		M(IN, "D\x40\0\0\x01"),			/* over 1 GiB */
		M(IN, "E\0\0\0\x08" "SERR"),		/* error field not terminated */
		M(EG, "Q\0\0\0\x02"),			/* length under 4 */
		M(EG, "Q\0\0\0\x08" "ab\0c"),		/* text after the terminator */
		M(EG, "S\0\0\0\x05x"),			/* Sync has no body */
		M(EG, "P\0\0\0\x0a" "\0x\0\0\0\1"),	/* parameter types missing */
		M(EG, "B\0\0\0\x0c" "\0\0\0\1\0\0\0\0"),	/* format codes missing */
		M(EG, "E\0\0\0\x0a" "\0\0\0\0\0\0"),	/* one byte too many */
		M(EG, "C\0\0\0\x06" "X\0"),		/* close what? */
		M(EG, "\x16\x03\x01\x02\0"),		/* TLS without asking */
#undef M
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reset();
		open_session();
		if (feedn(cases[i].dir, cases[i].s, cases[i].len, 10) != -1)
			fail_msg("case %zu was accepted", i);
		assert_int_equal(STAT(malformed), 1);
		assert_int_equal(feedn(!cases[i].dir, "Z\0\0\0\x05I", 6, 11), -1);
		assert_int_equal(feedn(EG, psql_session[19].data, psql_session[19].len, 12), -1);
	}
	reset();
	assert_int_equal(feedn(7, "Q", 1, 1), -1);
}

static void test_null_meta_and_sink(void **state)
{
	(void)state;
	for (size_t k = 0; k < NCHUNKS(psql_session); k++)
		assert_int_equal(ops->feed(conn, psql_session[k].dir,
					   (const uint8_t *)psql_session[k].data,
					   psql_session[k].len, NULL, NULL), 0);
	assert_int_equal(ops->feed(conn, EG, (const uint8_t *)psql_session[19].data,
				   psql_session[19].len, NULL, NULL), 0);
	ops->close(conn, NULL, NULL);
	assert_int_equal(STAT(records), NCHUNKS(psql_session_recs) + 1);
	assert_int_equal(STAT(malformed), 0);
	assert_int_equal(feedn(EG, "", 0, 1), 0);
	ops->destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_psql_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_psql_session_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multi_statement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_libpq_extended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_libpq_extended_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pgbench_prepared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fastpath_and_extended_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extended_copy_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_error_fails_execute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extended_timings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_portal_suspended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_statement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statement_eviction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statement_bytes_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ssl_accepted_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clienthello_before_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encryption_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_startup_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_terminated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_query_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_inside_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_hides_backend_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_hides_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mid_stream_statements, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mid_stream_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tail_completes_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tail_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tail_command_complete_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tail_two_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tail_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tail_extended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_flushes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_both_gives_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_null_meta_and_sink, setup, teardown),
	};

	return cmocka_run_group_tests_name("pgsql_parser", tests, NULL, NULL);
}
