/* Traced processes: what the resource of their spans says (service.name, pid, exe, args). */
#ifndef ZT_PROC_TABLE_H
#define ZT_PROC_TABLE_H

#include <stdint.h>

#include "zt_span.h"

struct zt_proc_event;

/* Resource for a process: from its exec event, else read from /proc; never NULL. */
struct zt_resource *zt_proc_resource(uint32_t tgid);
/* Exec: rebuild the resource from the event's argv/env (process image changed). */
void zt_proc_on_exec(const struct zt_proc_event *ev, size_t size);
/* Fork: the child starts with the parent's attributes and its own pid. */
void zt_proc_on_fork(uint32_t child, uint32_t parent);
void zt_proc_on_exit(uint32_t tgid);
void zt_proc_table_free(void);
/* readlink of /proc/PID/exe; "" when the process is gone or hidden. */
void zt_proc_exe_path(uint32_t tgid, char *out, size_t outlen);

/* service.name of a process from its environment or executable (exposed for tests). */
void zt_proc_service_name(const char *env, size_t env_len, const char *exe, char *out,
			  size_t outlen);

#endif
