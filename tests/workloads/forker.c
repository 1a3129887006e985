// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * forker.c - a server that forks a short-lived child per request, as postgres
 * does per connection under `pgbench -C`: the parent keeps its sessions table
 * (serve: 32 blocks of 2 KiB) and forks a child every 5 ms until its phase
 * (PHASE_S) ends; each child (libc mapped, never exec()ed) allocates a little
 * and exits 20 ms later, faster than --follow can attach it.  The truth is the
 * parent's.
 */
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include "workload.h"

#define SESSIONS      32
#define SESSION_BYTES 2048

/* volatile: blocks only stored are otherwise optimized away, malloc and all */
static void *volatile sessions[SESSIONS];

NOINLINE static void serve(int i)
{
	sessions[i] = malloc(SESSION_BYTES);
	memset(sessions[i], i, SESSION_BYTES);
}

NOINLINE static void handle_connection(void)
{
	char *buffer = malloc(4096);

	memset(buffer, 1, 4096);
	workload_sink = buffer;
	workload_nap_ms(20);
	_exit(0);
}

int main(int argc, char **argv)
{
	double start, phase;
	int forks = 0;

	signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
	workload_start(argc, argv);
	start = workload_now_s();
	phase = workload_phase_s();
	for (int i = 0; i < SESSIONS; i++)
		serve(i);
	while (workload_now_s() - start < phase) {
		pid_t child = fork();

		if (child == 0)
			handle_connection();
		forks += child > 0;
		workload_nap_ms(5);
	}
	workload_expect("serve", SESSIONS * SESSION_BYTES, SESSIONS, "main;serve");
	workload_finish();
	printf("%d\n", forks);
	return 0;
}
