/* Userspace connection state: byte streams per direction fed to the protocol parsers. */
#ifndef ZT_CONN_TABLE_H
#define ZT_CONN_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "zt_events.h"

struct zt_conn_stats {
	uint64_t opened;	/* connections seen */
	uint64_t active;	/* connections in the table now */
	uint64_t parsed_off;	/* given up: unparseable or unknown protocol */
	uint64_t gap_bytes;	/* bytes missing between events (kernel drops/truncation) */
	uint64_t uncaptured;	/* bytes of events past their capture (fed to parsers as gaps) */
	uint64_t db_server_side;	/* database connections of a database server: not parsed */
};

/* What the kernel can stop doing for a connection. */
enum zt_conn_action {
	ZT_CONN_OFF,		/* userspace gave up on it: stop sending its data */
	ZT_CONN_NOT_HTTP,	/* a client connection of another protocol: no header injection */
};

/* Called once per connection and action, so the kernel does no work nobody uses. */
typedef void (*zt_conn_action_fn)(uint32_t tgid, uint32_t fd, enum zt_conn_action what,
				  void *ctx);

void zt_conn_table_init(zt_conn_action_fn fn, void *ctx);
void zt_conn_on_open(const struct zt_conn_event *ev);
void zt_conn_on_data(const struct zt_data_event *ev, size_t size);
void zt_conn_on_close(const struct zt_conn_event *ev);
/* The process is gone: close all its connections (flushes their parsers). */
void zt_conn_close_pid(uint32_t tgid);
/* Shutdown: close everything. */
void zt_conn_close_all(void);
void zt_conn_get_stats(struct zt_conn_stats *out);

#endif
