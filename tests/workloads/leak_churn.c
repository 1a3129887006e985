// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * leak_churn.c - a steady leak under churn.  A request loop (400 requests/s)
 * whose handler keeps a ring of recent buffers of varied sizes, freed as they
 * are replaced (churn: lots of allocation, a live total that wobbles but does
 * not grow), and remembers every client in a block nobody ever frees (the
 * leak: 256 bytes a request, 100 KiB/s).  Verdict: leak, remember_client
 * growing fastest.
 */
#include "workload.h"

#define REQUESTS_PER_S	    400
#define RING_SLOTS	    256
#define BUFFERS_PER_REQUEST 4
#define CLIENT_BYTES	    256
#define MAX_CLIENTS	    (REQUESTS_PER_S * 60)

/* volatile: blocks only stored are otherwise optimized away, malloc and all */
static void *volatile ring[RING_SLOTS];
static size_t ring_bytes[RING_SLOTS];
static void *volatile clients[MAX_CLIENTS];
static unsigned random_state = 1;

NOINLINE static void remember_client(size_t client)
{
	clients[client] = malloc(CLIENT_BYTES);
}

NOINLINE static void handle_request(size_t request)
{
	for (size_t k = 0; k < BUFFERS_PER_REQUEST; k++) {
		size_t slot = (request * BUFFERS_PER_REQUEST + k) % RING_SLOTS;

		random_state = random_state * 1103515245u + 12345u;
		free(ring[slot]);
		ring_bytes[slot] = 64 + (random_state >> 16) % 4032;
		ring[slot] = malloc(ring_bytes[slot]);
	}
}

NOINLINE static void serve(void)
{
	double start = workload_now_s(), elapsed, phase = workload_phase_s();
	unsigned long long ring_total = 0, ring_count = 0;
	size_t served = 0;

	while ((elapsed = workload_now_s() - start) < phase) {
		size_t due = elapsed * REQUESTS_PER_S;

		for (; served < due && served < MAX_CLIENTS; served++) {
			handle_request(served);
			remember_client(served);
		}
		workload_nap_ms(2);
	}
	for (size_t slot = 0; slot < RING_SLOTS; slot++)
		if (ring[slot])
			ring_total += ring_bytes[slot], ring_count++;
	workload_expect("remember_client", (unsigned long long)served * CLIENT_BYTES, served,
			"main;serve;remember_client");
	workload_expect("handle_request", ring_total, ring_count, "main;serve;handle_request");
}

int main(int argc, char **argv)
{
	workload_start(argc, argv);
	serve();
	workload_finish();
	return 0;
}
