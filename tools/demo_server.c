// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * demo_server.c - the bundled demo target: a toy media server whose memory
 * keeps climbing.
 *
 * Clients subscribe to streams and unsubscribe again, over and over.  Each
 * subscription allocates a session, its jitter buffers and a listener (with
 * its event queue) that is registered with the stream's event hub.
 * Unsubscribing frees the session and its buffers, but forgets to unregister
 * the listener: every cycle leaks the listener and its queue from
 * listener_create().  Most allocations are churn (packets, sessions, buffers
 * that come and go); the leak grows steadily under them.
 *
 * The listeners are still referenced (from event_hub): memory kept, not lost.  A second bug
 * loses memory for good: one packet in 32 is malformed, and that error path returns
 * without freeing the header header_decode() allocated, which nothing points to any more.
 * --leak-check tells the two apart: reachable growth, and a proven leak.
 *
 * Usage: demo_server [CYCLES_PER_SECOND]   (runs until killed)
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))
#define MAX_SESSIONS 64
#define JITTER_BUFFERS 4

struct listener {
	struct listener *next;
	int stream_id;
	void (*on_event)(int);
	char name[80];
	char *event_queue;
};

#define EVENT_QUEUE_BYTES 2048
#define JITTER_BUFFER_BYTES 4096

struct session {
	int stream_id;
	struct listener *listener;
	unsigned char *jitter[JITTER_BUFFERS];
};

static struct listener *event_hub; /* every listener ever registered */
static struct session *sessions[MAX_SESSIONS];

static void on_keyframe(int stream_id)
{
	(void)stream_id;
}

NOINLINE static struct listener *listener_create(int stream_id)
{
	struct listener *l = calloc(1, sizeof(*l));

	l->stream_id = stream_id;
	l->on_event = on_keyframe;
	strcpy(l->name, "keyframe-listener");
	l->event_queue = malloc(EVENT_QUEUE_BYTES);
	l->event_queue[0] = '\0';
	l->next = event_hub;
	event_hub = l;
	return l;
}

NOINLINE static unsigned char *jitter_buffer_alloc(size_t bytes)
{
	unsigned char *buffer = malloc(bytes);

	memset(buffer, 0, bytes);
	return buffer;
}

NOINLINE static struct session *stream_subscribe(int stream_id)
{
	struct session *s = malloc(sizeof(*s));

	s->stream_id = stream_id;
	for (int i = 0; i < JITTER_BUFFERS; i++)
		s->jitter[i] = jitter_buffer_alloc(JITTER_BUFFER_BYTES);
	s->listener = listener_create(stream_id);
	return s;
}

/* The bug: the listener stays registered in event_hub, and allocated. */
NOINLINE static void stream_unsubscribe(struct session *s)
{
	for (int i = 0; i < JITTER_BUFFERS; i++)
		free(s->jitter[i]);
	free(s);
}

struct packet_header {
	int stream_id;
	int length;
	char codec[24];
	unsigned char extensions[224];
};

NOINLINE static struct packet_header *header_decode(const char *packet)
{
	struct packet_header *h = malloc(sizeof(*h));

	memcpy(h->extensions, packet, sizeof(h->extensions));
	h->length = 1500;
	return h;
}

NOINLINE static void parse_packet(int n, unsigned long seq)
{
	char *packet = malloc(1500);
	struct packet_header *h;

	memset(packet, n, 1500);
	h = header_decode(packet);
	if (seq % 32 == 31) { /* malformed: the bug, h is lost */
		free(packet);
		return;
	}
	free(h);
	free(packet);
}

NOINLINE static void serve(int cycles_per_second)
{
	struct timespec pause = { 0, 1000000000L / cycles_per_second };

	for (unsigned long cycle = 0;; cycle++) {
		int slot = cycle % MAX_SESSIONS;

		if (sessions[slot])
			stream_unsubscribe(sessions[slot]);
		sessions[slot] = stream_subscribe((int)cycle);
		for (int i = 0; i < 8; i++)
			parse_packet(i, cycle * 8 + i);
		nanosleep(&pause, NULL);
	}
}

int main(int argc, char **argv)
{
	int rate = argc > 1 ? atoi(argv[1]) : 500;

	serve(rate > 0 ? rate : 500);
	return 0;
}
