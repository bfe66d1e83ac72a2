/*
 * Thread-per-request HTTP/1.1 server for the parenting tests: each connection gets a
 * thread that reads one request, calls GET /leaf on the downstream port over a new
 * connection and answers with the downstream's body. Usage: pthread_proxy PORT DOWN_PORT
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int down_port;

static int read_head(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t r = read(fd, buf + n, size - 1 - n);

		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			return (int)n;
	}
	return -1;
}

static int call_downstream(char *body, size_t size)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(down_port) };
	const char req[] = "GET /leaf HTTP/1.1\r\nHost: down\r\nConnection: close\r\n\r\n";
	char resp[8192];
	size_t n = 0;
	ssize_t r;
	char *p;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) || write(fd, req, sizeof(req) - 1) < 0) {
		close(fd);
		return -1;
	}
	while (n + 1 < sizeof(resp) && (r = read(fd, resp + n, sizeof(resp) - 1 - n)) > 0)
		n += (size_t)r;
	resp[n] = '\0';
	close(fd);
	p = strstr(resp, "\r\n\r\n");
	snprintf(body, size, "%s", p ? p + 4 : "");
	return 0;
}

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	char head[8192], body[4096], out[8192];
	int len;

	if (read_head(fd, head, sizeof(head)) > 0 && call_downstream(body, sizeof(body)) == 0) {
		len = snprintf(out, sizeof(out),
			       "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
			       strlen(body), body);
		if (write(fd, out, (size_t)len) < 0)
			perror("write");
	}
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int one = 1, srv = socket(AF_INET, SOCK_STREAM, 0);

	if (argc != 3)
		return 2;
	down_port = atoi(argv[2]);
	a.sin_port = htons(atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(srv, (struct sockaddr *)&a, sizeof(a)) || listen(srv, 128))
		return 1;
	for (;;) {
		pthread_t t;
		int fd = accept(srv, NULL, NULL);

		if (fd < 0)
			continue;
		pthread_create(&t, NULL, serve, (void *)(long)fd);
		pthread_detach(t);
	}
}
