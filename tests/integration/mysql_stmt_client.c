/*
 * Server-side prepared statements through libmariadb (COM_STMT_PREPARE / EXECUTE / CLOSE),
 * which neither the mariadb CLI nor PyMySQL send.
 * usage: mysql_stmt_client PORT — prints the fetched names, exits non-zero on any error.
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(MYSQL *db, MYSQL_STMT *st)
{
	fprintf(stderr, "mysql_stmt_client: %s\n", st ? mysql_stmt_error(st) : mysql_error(db));
	exit(1);
}

static MYSQL_STMT *prepare(MYSQL *db, const char *sql)
{
	MYSQL_STMT *st = mysql_stmt_init(db);

	if (!st || mysql_stmt_prepare(st, sql, strlen(sql)))
		die(db, st);
	return st;
}

/* SELECT name FROM items WHERE id = ? for each id: one COM_STMT_EXECUTE per id. */
static void select_names(MYSQL *db)
{
	MYSQL_STMT *st = prepare(db, "SELECT name FROM items WHERE id = ?");
	MYSQL_BIND param = { 0 }, result = { 0 };
	char name[64];
	unsigned long name_len;
	int id;

	param.buffer_type = MYSQL_TYPE_LONG;
	param.buffer = &id;
	result.buffer_type = MYSQL_TYPE_STRING;
	result.buffer = name;
	result.buffer_length = sizeof(name) - 1;
	result.length = &name_len;
	for (id = 11; id <= 13; id++) {
		if (mysql_stmt_bind_param(st, &param) || mysql_stmt_execute(st) ||
		    mysql_stmt_bind_result(st, &result) || mysql_stmt_store_result(st))
			die(db, st);
		while (mysql_stmt_fetch(st) == 0) {
			name[name_len] = '\0';
			printf("%s\n", name);
		}
		mysql_stmt_free_result(st);
	}
	mysql_stmt_close(st);
}

int main(int argc, char **argv)
{
	MYSQL *db = mysql_init(NULL);
	MYSQL_STMT *st;

	if (argc != 2 || !db)
		return 2;
	if (!mysql_real_connect(db, "127.0.0.1", "root", "", "shop", (unsigned)atoi(argv[1]), NULL, 0))
		die(db, NULL);
	select_names(db);
	/* A statement that fails at execution: duplicate primary key. */
	st = prepare(db, "INSERT INTO items (id, name, price) VALUES (1, 'dup', 0)");
	if (mysql_stmt_execute(st) == 0) {
		fprintf(stderr, "mysql_stmt_client: duplicate insert succeeded\n");
		return 1;
	}
	mysql_stmt_close(st);
	mysql_close(db);
	return 0;
}
