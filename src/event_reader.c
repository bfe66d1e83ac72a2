/* Ring buffer → conn table / proc table. Runs on the main thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "zt_conn_table.h"
#include "zt_event_reader.h"
#include "zt_log.h"
#include "zt_proc_table.h"
#include "zt_span_builder.h"

struct zt_reader {
	struct ring_buffer *rb;
	struct zt_bpf *bpf;
	const struct zt_selection *sel;
	struct zt_reader_stats stats;
};

static void conn_action(uint32_t tgid, uint32_t fd, enum zt_conn_action what, void *ctx)
{
	if (what == ZT_CONN_OFF)
		zt_bpf_conn_off(ctx, tgid, fd);
	else
		zt_bpf_conn_no_headers(ctx, tgid, fd);
}

static void on_exec(struct zt_reader *r, const struct zt_proc_event *ev, size_t size)
{
	const char *argv0 = ev->args_len ? (const char *)ev->data : NULL;
	char first[256];

	if (argv0) {
		snprintf(first, sizeof(first), "%.*s", (int)strnlen(argv0, ev->args_len), argv0);
		argv0 = first;
	}
	/* The kernel says whether it was traced at exec: it may have exited since. */
	if (ev->flags & ZT_PROC_F_SELECTED ||
	    zt_selection_on_exec(r->sel, r->bpf, ev->hdr.tgid, argv0))
		zt_proc_on_exec(ev, size);
}

static int handle_proc(struct zt_reader *r, const struct zt_proc_event *ev, size_t size)
{
	if (size < offsetof(struct zt_proc_event, data))
		return -1;
	switch (ev->hdr.type) {
	case ZT_EV_PROC_EXEC:
		on_exec(r, ev, size);
		break;
	case ZT_EV_PROC_FORK:
		zt_proc_on_fork(ev->hdr.tgid, ev->ppid);
		break;
	case ZT_EV_PROC_EXIT:
		zt_conn_close_pid(ev->hdr.tgid);
		zt_proc_on_exit(ev->hdr.tgid);
		break;
	}
	return 0;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct zt_reader *r = ctx;
	const struct zt_event_hdr *hdr = data;

	r->stats.events++;
	if (size < sizeof(*hdr))
		goto bad;
	switch (hdr->type) {
	case ZT_EV_DATA: {
		const struct zt_data_event *ev = data;

		if (size < sizeof(*ev))
			goto bad;
		r->stats.data_events++;
		r->stats.bytes += ev->len;
		r->stats.captured += ev->captured;
		zt_conn_on_data(ev, size);
		break;
	}
	case ZT_EV_INJECT: {
		const struct zt_inject_event *ev = data;

		if (size < sizeof(*ev))
			goto bad;
		zt_span_builder_injected(ev->hdr.tgid, &ev->tuple, &ev->ctx, ev->stream_id);
		break;
	}
	case ZT_EV_FIONREAD: {
		int err = zt_bpf_unhash_socket(r->bpf, hdr->conn_id);

		if (err == 0)
			r->stats.unhashed++;
		zt_debug("FIONREAD on pid %u fd %u: unhash socket %llu: %s", hdr->tgid, hdr->fd,
			 (unsigned long long)hdr->conn_id, err ? strerror(-err) : "done");
		break;
	}
	case ZT_EV_CONN_OPEN:
	case ZT_EV_CONN_CLOSE:
		if (size < sizeof(struct zt_conn_event))
			goto bad;
		if (hdr->type == ZT_EV_CONN_OPEN)
			zt_conn_on_open(data);
		else
			zt_conn_on_close(data);
		break;
	default:
		if (handle_proc(r, data, size))
			goto bad;
	}
	return 0;
bad:
	r->stats.bad_events++;
	return 0;
}

int zt_reader_new(struct zt_reader **out, struct zt_bpf *bpf, const struct zt_selection *sel)
{
	struct zt_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->bpf = bpf;
	r->sel = sel;
	r->rb = ring_buffer__new(zt_bpf_ringbuf_fd(bpf), handle_event, r, NULL);
	if (!r->rb) {
		int err = -errno;

		zt_err("cannot open the ring buffer: %s", strerror(errno));
		free(r);
		return err;
	}
	zt_conn_table_init(conn_action, bpf);
	*out = r;
	return 0;
}

int zt_reader_poll(struct zt_reader *r, int timeout_ms)
{
	int n = ring_buffer__poll(r->rb, timeout_ms);

	/* The kernel skips wakeups for small batches: what is queued is read on the timeout. */
	if (n == 0)
		n = ring_buffer__consume(r->rb);
	return n == -EINTR ? 0 : n;
}

void zt_reader_drain(struct zt_reader *r)
{
	while (ring_buffer__consume(r->rb) > 0)
		;
}

void zt_reader_get_stats(struct zt_reader *r, struct zt_reader_stats *out)
{
	*out = r->stats;
}

void zt_reader_free(struct zt_reader *r)
{
	if (!r)
		return;
	ring_buffer__free(r->rb);
	free(r);
}
