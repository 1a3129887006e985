// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * http.c - the smallest HTTP/1.x server that serves `GET /metrics` and survives its clients:
 * what `heapscope watch --listen` runs, in a thread of its own.
 *
 * Owns: the listening socket, the connections, the page being served (a reference-counted
 * copy of the last published body, with its response headers).
 * Does not own: what the page says (prometheus.c), when it changes (cli/cmd_watch.c).
 * Invariants:
 * - The readings never wait for a client: publishing swaps one pointer under a mutex held
 *   for no I/O; connections keep a reference to the page they are sending, so a slow reader
 *   costs at most one old page, never a copy per client.
 * - Every client is bounded: HS_HTTP_MAX_CONNECTIONS at once (when full, the oldest one still
 *   sending its request is dropped for the new one, so idle or slow connections cannot lock
 *   a scraper out), HS_HTTP_MAX_REQUEST_BYTES of request (read into a fixed buffer; more:
 *   431), HS_HTTP_HEADER_TIMEOUT_MS to send it and HS_HTTP_WRITE_TIMEOUT_MS to take the
 *   answer (a silent or slow client is dropped).  Memory is therefore bounded by the limits
 *   times the connection size plus two pages, whatever arrives.
 * - Only `GET /metrics` (optionally with a query) gets 200; any other method 405, any other
 *   path 404 (nothing is ever looked up by path: no file is served); malformed 400.  Every
 *   response closes the connection: no keep-alive state to bound.
 */
#include "watch/http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct page {
	unsigned refs; /* under server.lock */
	size_t len;
	char bytes[]; /* status line, headers, body */
};

enum conn_state { CONN_FREE = 0, CONN_READING, CONN_WRITING };

struct conn {
	enum conn_state state;
	int fd;
	uint64_t accepted_ms, deadline_ms;
	size_t in_len;
	struct page *page;   /* the 200 page being written, or NULL */
	const char *canned;  /* an error response being written, or NULL */
	size_t out_len, out_off;
	char in[HS_HTTP_MAX_REQUEST_BYTES];
};

struct hs_http_server {
	int listen_fd, wake_fd;
	pthread_t thread;
	pthread_mutex_t lock;
	struct page *page; /* the current page, NULL until the first publish */
	const char *content_type;
	struct conn conns[HS_HTTP_MAX_CONNECTIONS];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * What a request (the bytes received so far) gets.  Judged as soon as the request line is
 * complete when it is refused, so a client streaming endless headers behind a bad request
 * line is answered at once; a good one waits for the blank line ending the headers.
 */
enum hs_http_verdict hs_http_judge(const char *request, size_t len)
{
	const char *line_end = memchr(request, '\n', len), *sp1, *sp2, *target;
	size_t line_len, target_len, method_len;
	bool headers_done;

	if (!line_end)
		return len >= HS_HTTP_MAX_REQUEST_BYTES ? HS_HTTP_HEADERS_TOO_LARGE :
							  HS_HTTP_INCOMPLETE;
	line_len = (size_t)(line_end - request);
	if (line_len && request[line_len - 1] == '\r')
		line_len--;
	sp1 = memchr(request, ' ', line_len);
	if (!sp1)
		return HS_HTTP_BAD_REQUEST;
	target = sp1 + 1;
	sp2 = memchr(target, ' ', line_len - (size_t)(target - request));
	if (!sp2 || line_len - (size_t)(sp2 + 1 - request) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) ||
	    (sp2[8] != '0' && sp2[8] != '1'))
		return HS_HTTP_BAD_REQUEST;
	method_len = (size_t)(sp1 - request);
	for (size_t i = 0; i < method_len; i++)
		if (request[i] < 'A' || request[i] > 'Z')
			return HS_HTTP_BAD_REQUEST;
	if (method_len == 0)
		return HS_HTTP_BAD_REQUEST;
	if (method_len != 3 || memcmp(request, "GET", 3))
		return HS_HTTP_METHOD_NOT_ALLOWED;
	target_len = (size_t)(sp2 - target);
	if (!((target_len == 8 || (target_len > 8 && target[8] == '?')) &&
	      memcmp(target, "/metrics", 8) == 0))
		return HS_HTTP_NOT_FOUND;
	/* The headers end with an empty line: CRLF CRLF, or LF LF from lenient clients. */
	headers_done = memmem(request, len, "\r\n\r\n", 4) || memmem(request, len, "\n\n", 2);
	if (headers_done)
		return HS_HTTP_OK;
	return len >= HS_HTTP_MAX_REQUEST_BYTES ? HS_HTTP_HEADERS_TOO_LARGE : HS_HTTP_INCOMPLETE;
}

static const char *canned_response(enum hs_http_verdict verdict)
{
	switch (verdict) {
	case HS_HTTP_NOT_FOUND:
		return "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 28\r\n"
		       "Connection: close\r\n\r\nonly /metrics is served here\n";
	case HS_HTTP_METHOD_NOT_ALLOWED:
		return "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\nContent-Type: text/plain\r\n"
		       "Content-Length: 13\r\nConnection: close\r\n\r\nonly GET here\n";
	case HS_HTTP_HEADERS_TOO_LARGE:
		return "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n"
		       "Connection: close\r\n\r\n";
	case HS_HTTP_OK: /* before the first reading */
		return "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n"
		       "Connection: close\r\n\r\n";
	default:
		return "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	}
}

static void page_put(struct hs_http_server *s, struct page *page)
{
	bool last;

	if (!page)
		return;
	pthread_mutex_lock(&s->lock);
	last = --page->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last)
		free(page);
}

static struct page *page_get(struct hs_http_server *s)
{
	struct page *page;

	pthread_mutex_lock(&s->lock);
	page = s->page;
	if (page)
		page->refs++;
	pthread_mutex_unlock(&s->lock);
	return page;
}

/* The page, headers and all, built once per publish: serving it is only writing. */
int hs_http_publish(struct hs_http_server *s, const char *body, size_t len)
{
	char head[256];
	struct page *page, *old;
	int head_len;

	if (len > HS_HTTP_MAX_PAGE_BYTES)
		return -EFBIG;
	head_len = snprintf(head, sizeof(head),
			    "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			    "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
			    s->content_type, len);
	if (head_len < 0 || (size_t)head_len >= sizeof(head))
		return -EINVAL;
	page = malloc(sizeof(*page) + head_len + len);
	if (!page)
		return -ENOMEM;
	page->refs = 1;
	page->len = head_len + len;
	memcpy(page->bytes, head, head_len);
	memcpy(page->bytes + head_len, body, len);
	pthread_mutex_lock(&s->lock);
	old = s->page;
	s->page = page;
	pthread_mutex_unlock(&s->lock);
	page_put(s, old);
	return 0;
}

static void conn_close(struct hs_http_server *s, struct conn *c)
{
	if (c->state == CONN_FREE)
		return;
	close(c->fd);
	page_put(s, c->page);
	c->page = NULL;
	c->canned = NULL;
	c->state = CONN_FREE;
}

static void respond(struct hs_http_server *s, struct conn *c, enum hs_http_verdict verdict)
{
	c->state = CONN_WRITING;
	c->deadline_ms = now_ms() + HS_HTTP_WRITE_TIMEOUT_MS;
	c->out_off = 0;
	if (verdict == HS_HTTP_OK && (c->page = page_get(s))) {
		c->out_len = c->page->len;
		return;
	}
	c->canned = canned_response(verdict);
	c->out_len = strlen(c->canned);
}

/* A free slot; when there is none, the oldest connection still sending its request. */
static struct conn *slot_for_new(struct hs_http_server *s)
{
	struct conn *oldest = NULL;

	for (size_t i = 0; i < HS_HTTP_MAX_CONNECTIONS; i++) {
		struct conn *c = &s->conns[i];

		if (c->state == CONN_FREE)
			return c;
		if (c->state == CONN_READING && (!oldest || c->accepted_ms < oldest->accepted_ms))
			oldest = c;
	}
	if (oldest)
		conn_close(s, oldest);
	return oldest;
}

static void accept_all(struct hs_http_server *s)
{
	for (;;) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0)
			return; /* EAGAIN, or a client that went away: nothing to do either way */
		c = slot_for_new(s);
		if (!c) {
			close(fd); /* every slot is busy answering: the client retries */
			continue;
		}
		c->fd = fd;
		c->state = CONN_READING;
		c->in_len = 0;
		c->accepted_ms = now_ms();
		c->deadline_ms = c->accepted_ms + HS_HTTP_HEADER_TIMEOUT_MS;
	}
}

static void on_readable(struct hs_http_server *s, struct conn *c)
{
	enum hs_http_verdict verdict;
	ssize_t got = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);

	if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(s, c);
		return;
	}
	if (got < 0)
		return;
	c->in_len += (size_t)got;
	verdict = hs_http_judge(c->in, c->in_len);
	if (verdict != HS_HTTP_INCOMPLETE)
		respond(s, c, verdict);
}

static void on_writable(struct hs_http_server *s, struct conn *c)
{
	const char *bytes = c->page ? c->page->bytes : c->canned;
	ssize_t sent = send(c->fd, bytes + c->out_off, c->out_len - c->out_off,
			    MSG_NOSIGNAL | MSG_DONTWAIT);

	if (sent < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_close(s, c);
		return;
	}
	c->out_off += (size_t)sent;
	if (c->out_off == c->out_len) {
		/* Done: say so, so the client sees the end even if its request was cut short. */
		shutdown(c->fd, SHUT_WR);
		conn_close(s, c);
	}
}

static void *serve(void *arg)
{
	struct hs_http_server *s = arg;
	struct pollfd fds[HS_HTTP_MAX_CONNECTIONS + 2];
	struct conn *polled[HS_HTTP_MAX_CONNECTIONS];

	for (;;) {
		uint64_t now = now_ms(), next = now + 1000;
		size_t n = 2;

		fds[0] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
		for (size_t i = 0; i < HS_HTTP_MAX_CONNECTIONS; i++) {
			struct conn *c = &s->conns[i];

			if (c->state == CONN_FREE)
				continue;
			if (now >= c->deadline_ms) {
				conn_close(s, c); /* silent, slow, or not reading its answer */
				continue;
			}
			if (c->deadline_ms < next)
				next = c->deadline_ms;
			polled[n - 2] = c;
			fds[n++] = (struct pollfd){ .fd = c->fd, .events = c->state == CONN_READING ?
									 POLLIN : POLLOUT };
		}
		if (poll(fds, n, (int)(next - now)) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break;
		for (size_t i = 2; i < n; i++) {
			struct conn *c = polled[i - 2];

			if (c->state == CONN_FREE || c->fd != fds[i].fd || !fds[i].revents)
				continue;
			if (c->state == CONN_READING)
				on_readable(s, c);
			else
				on_writable(s, c);
		}
		if (fds[1].revents)
			accept_all(s);
	}
	for (size_t i = 0; i < HS_HTTP_MAX_CONNECTIONS; i++)
		conn_close(s, &s->conns[i]);
	return NULL;
}

/*
 * "ADDR:PORT", ADDR numeric: 127.0.0.1, 0.0.0.0, [::1]; "PORT" or ":PORT" mean 127.0.0.1:PORT
 * (the safe default: reaching further must be asked for by name).
 */
static int open_listener(const char *listen_addr, int *fd_out, char *bound, size_t bound_len)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM };
	char host[128], port[16], shost[NI_MAXHOST], sport[NI_MAXSERV];
	const char *colon = strrchr(listen_addr, ':');
	struct sockaddr_storage addr;
	socklen_t addr_len = sizeof(addr);
	struct addrinfo *ai;
	size_t host_len;
	int fd, one = 1, err;

	const char *port_text = colon ? colon + 1 : listen_addr;

	if (strlen(port_text) == 0 || strlen(port_text) >= sizeof(port))
		return -EINVAL;
	host_len = colon ? (size_t)(colon - listen_addr) : 0;
	if (listen_addr[0] == '[' && host_len >= 2 && listen_addr[host_len - 1] == ']')
		listen_addr++, host_len -= 2;
	if (host_len >= sizeof(host))
		return -EINVAL;
	memcpy(host, listen_addr, host_len);
	host[host_len] = '\0';
	if (!host_len)
		snprintf(host, sizeof(host), "127.0.0.1");
	snprintf(port, sizeof(port), "%s", port_text);
	if (getaddrinfo(host, port, &hints, &ai))
		return -EINVAL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	err = fd < 0 ? -errno : 0;
	if (!err && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		     bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)))
		err = -errno;
	freeaddrinfo(ai);
	if (!err && getsockname(fd, (struct sockaddr *)&addr, &addr_len))
		err = -errno;
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	if (getnameinfo((struct sockaddr *)&addr, addr_len, shost, sizeof(shost), sport,
			sizeof(sport), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(bound, bound_len, addr.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", shost,
			 sport);
	*fd_out = fd;
	return 0;
}

/* Listen on listen_addr and serve from a thread; bound gets the address (port 0 resolved). */
int hs_http_start(const char *listen_addr, const char *content_type, struct hs_http_server **out,
		  char *bound, size_t bound_len)
{
	struct hs_http_server *s = calloc(1, sizeof(*s));
	sigset_t all, old;
	int err;

	if (!s)
		return -ENOMEM;
	s->content_type = content_type;
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd < 0) {
		err = -errno;
		free(s);
		return err;
	}
	err = open_listener(listen_addr, &s->listen_fd, bound, bound_len);
	if (err) {
		close(s->wake_fd);
		free(s);
		return err;
	}
	pthread_mutex_init(&s->lock, NULL);
	/* Signals stay with the thread taking readings: it is the one that stops. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&s->thread, NULL, serve, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		close(s->listen_fd);
		close(s->wake_fd);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

void hs_http_stop(struct hs_http_server *s)
{
	uint64_t one = 1;

	if (!s)
		return;
	if (write(s->wake_fd, &one, sizeof(one)) != sizeof(one))
		pthread_cancel(s->thread); /* cannot happen with an eventfd; do not hang */
	pthread_join(s->thread, NULL);
	close(s->listen_fd);
	close(s->wake_fd);
	free(s->page);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
