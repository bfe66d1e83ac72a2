/* Per-process resource cache, keyed by tgid. Event thread only. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zt_events.h"
#include "zt_proc_table.h"

#define PROC_BUCKETS 1024

struct proc_entry {
	uint32_t tgid;
	struct zt_resource *res;
	struct proc_entry *next;
};

static struct proc_entry *buckets[PROC_BUCKETS];
static char host_name[256];

static struct proc_entry **proc_slot(uint32_t tgid)
{
	struct proc_entry **pp = &buckets[tgid % PROC_BUCKETS];

	while (*pp && (*pp)->tgid != tgid)
		pp = &(*pp)->next;
	return pp;
}

static const char *env_lookup(const char *env, size_t len, const char *name)
{
	size_t nlen = strlen(name);

	for (size_t i = 0; i < len;) {
		const char *s = env + i;
		size_t slen = strnlen(s, len - i);

		if (slen > nlen && memcmp(s, name, nlen) == 0 && s[nlen] == '=')
			return s + nlen + 1;
		i += slen + 1;
	}
	return NULL;
}

void zt_proc_service_name(const char *env, size_t env_len, const char *exe, char *out,
			  size_t outlen)
{
	const char *v = env ? env_lookup(env, env_len, "OTEL_SERVICE_NAME") : NULL;
	const char *base;

	if (v && *v && strnlen(v, env + env_len - v) < env_len) {
		snprintf(out, outlen, "%.*s", (int)strnlen(v, env + env_len - v), v);
		return;
	}
	base = exe ? strrchr(exe, '/') : NULL;
	snprintf(out, outlen, "%s", base ? base + 1 : (exe && *exe ? exe : "unknown_service"));
}

/* NUL-separated argv → string array attribute; count elements. */
static void set_command_args(struct zt_resource *res, const char *args, size_t len)
{
	uint32_t count = 0;

	while (len && args[len - 1] == '\0')
		len--;
	if (!len)
		return;
	for (size_t i = 0; i < len; i++)
		count += args[i] == '\0';
	zt_attrs_set_str_array(res->attrs, &res->n_attrs, "process.command_args", args, len,
			       count + 1);
}

static const char *hostname(void)
{
	if (!host_name[0] && gethostname(host_name, sizeof(host_name) - 1))
		snprintf(host_name, sizeof(host_name), "localhost");
	return host_name;
}

static struct zt_resource *resource_build(uint32_t tgid, const char *exe, const char *args,
					  size_t args_len, const char *env, size_t env_len)
{
	struct zt_resource *res = zt_resource_new(tgid);
	char service[256];

	zt_proc_service_name(env, env_len, exe, service, sizeof(service));
	zt_resource_set_str(res, "service.name", service);
	zt_resource_set_int(res, "process.pid", tgid);
	if (exe && *exe)
		zt_resource_set_str(res, "process.executable.path", exe);
	set_command_args(res, args, args_len);
	zt_resource_set_str(res, "host.name", hostname());
	zt_resource_set_str(res, "telemetry.sdk.name", "zerotrace");
	zt_resource_set_str(res, "telemetry.sdk.language", "c");
	zt_resource_set_str(res, "telemetry.sdk.version", ZT_VERSION);
	return res;
}

static size_t read_proc_file(uint32_t tgid, const char *name, char *buf, size_t size)
{
	char path[64];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%u/%s", tgid, name);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	n = fread(buf, 1, size, fp);
	fclose(fp);
	return n;
}

void zt_proc_exe_path(uint32_t tgid, char *exe, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/exe", tgid);
	n = readlink(path, exe, size - 1);
	exe[n > 0 ? n : 0] = '\0';
}

static struct zt_resource *resource_from_proc(uint32_t tgid)
{
	static char args[ZT_EXEC_ARGS_MAX], env[ZT_EXEC_ENV_MAX * 4];
	char exe[PATH_MAX];
	size_t args_len = read_proc_file(tgid, "cmdline", args, sizeof(args));
	size_t env_len = read_proc_file(tgid, "environ", env, sizeof(env));

	zt_proc_exe_path(tgid, exe, sizeof(exe));
	if (!exe[0] && args_len)
		snprintf(exe, sizeof(exe), "%.*s", (int)strnlen(args, args_len), args);
	return resource_build(tgid, exe, args, args_len, env, env_len);
}

static void proc_set(uint32_t tgid, struct zt_resource *res)
{
	struct proc_entry **pp = proc_slot(tgid);

	if (!*pp) {
		*pp = calloc(1, sizeof(**pp));
		if (!*pp) {
			zt_resource_unref(res);
			return;
		}
		(*pp)->tgid = tgid;
	} else {
		zt_resource_unref((*pp)->res);
	}
	(*pp)->res = res;
}

struct zt_resource *zt_proc_resource(uint32_t tgid)
{
	struct proc_entry **pp = proc_slot(tgid);

	if (!*pp)
		proc_set(tgid, resource_from_proc(tgid));
	pp = proc_slot(tgid);
	return *pp ? (*pp)->res : NULL;
}

void zt_proc_on_exec(const struct zt_proc_event *ev, size_t size)
{
	size_t args_len = ev->args_len > ZT_EXEC_ARGS_MAX ? ZT_EXEC_ARGS_MAX : ev->args_len;
	size_t env_len = ev->env_len > ZT_EXEC_ENV_MAX ? ZT_EXEC_ENV_MAX : ev->env_len;
	const char *args = (const char *)ev->data;
	char exe[PATH_MAX];

	if (size < offsetof(struct zt_proc_event, data) + ZT_EXEC_ARGS_MAX + env_len)
		env_len = 0;
	zt_proc_exe_path(ev->hdr.tgid, exe, sizeof(exe));
	if (!exe[0])
		snprintf(exe, sizeof(exe), "%.*s", (int)strnlen(args, args_len), args);
	proc_set(ev->hdr.tgid, resource_build(ev->hdr.tgid, exe, args, args_len,
					      (const char *)ev->data + ZT_EXEC_ARGS_MAX, env_len));
}

/* Bytes of a NUL-separated string array of count elements. */
static size_t str_array_len(const char *s, uint32_t count)
{
	size_t len = 0;

	for (uint32_t i = 0; i < count; i++)
		len += strlen(s + len) + 1;
	return len ? len - 1 : 0;
}

/* A forked child runs its parent's image until it execs: same attributes, its own pid. */
static struct zt_resource *resource_clone(const struct zt_resource *pres, uint32_t child)
{
	struct zt_resource *res = zt_resource_new(child);

	for (int i = 0; i < pres->n_attrs; i++) {
		const struct zt_attr *a = &pres->attrs[i];

		if (a->type == ZT_ATTR_STR)
			zt_resource_set_str(res, a->key, a->s);
		else if (a->type == ZT_ATTR_STR_ARRAY)
			zt_attrs_set_str_array(res->attrs, &res->n_attrs, a->key, a->s,
					       str_array_len(a->s, a->n), a->n);
		else if (a->type == ZT_ATTR_INT)
			zt_resource_set_int(res, a->key, a->i);
	}
	zt_resource_set_int(res, "process.pid", child);
	return res;
}

void zt_proc_on_fork(uint32_t child, uint32_t parent)
{
	char path[64];
	struct zt_resource *pres;

	/* Before exec the child's /proc shows the parent's image with its own pid. */
	snprintf(path, sizeof(path), "/proc/%u/exe", child);
	if (access(path, F_OK) == 0) {
		proc_set(child, resource_from_proc(child));
		return;
	}
	pres = zt_proc_resource(parent);
	if (pres)
		proc_set(child, resource_clone(pres, child));
}

void zt_proc_on_exit(uint32_t tgid)
{
	struct proc_entry **pp = proc_slot(tgid), *e = *pp;

	if (!e)
		return;
	*pp = e->next;
	zt_resource_unref(e->res);
	free(e);
}

void zt_proc_table_free(void)
{
	for (int i = 0; i < PROC_BUCKETS; i++) {
		while (buckets[i]) {
			struct proc_entry *e = buckets[i];

			buckets[i] = e->next;
			zt_resource_unref(e->res);
			free(e);
		}
	}
}
