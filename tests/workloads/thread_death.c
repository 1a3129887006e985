// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * thread_death.c - a thread dies inside an allocator call, and the next thread
 * gets its TID.
 *
 * The executable defines valloc (a probed allocator entry point, bound here
 * before libc's), and a doomed thread calls it: valloc calls pthread_exit, so
 * the call's entry probe fired and its return never comes.  Then the workload
 * asks the kernel for that TID again (/proc/sys/kernel/ns_last_pid, retried:
 * other processes on the host take PIDs too) and starts a thread on the same
 * cached stack, which allocates from deeper down that stack than valloc's
 * entry.  Per-thread call state keyed by TID would take those allocations for
 * calls nested in the dead thread's open valloc and drop them; state that dies
 * with its thread does not.
 *
 * Truth: reborn's blocks are live; valloc never returned a block.  stdout says
 * "tid reused" when the second thread did get the dead thread's TID.
 */
#include <pthread.h>
#include <sys/syscall.h>

#include "workload.h"

#define REBORN_BLOCKS 16
#define REBORN_BYTES  48
#define DEPTH	      12 /* frames below the thread's start where reborn allocates */
#define ATTEMPTS      200

static __thread int dying;
static void *volatile kept[REBORN_BLOCKS];
static pid_t dead_tid;

/* Only the doomed thread calls it. */
void *valloc(size_t size)
{
	(void)size;
	if (dying)
		pthread_exit(NULL);
	return NULL;
}

NOINLINE static void doomed(void)
{
	workload_sink = valloc(4096);
}

static void *doomed_thread(void *arg)
{
	(void)arg;
	dead_tid = syscall(SYS_gettid);
	dying = 1;
	doomed();
	return NULL;
}

NOINLINE static void reborn_alloc(void)
{
	for (int i = 0; i < REBORN_BLOCKS; i++)
		kept[i] = malloc(REBORN_BYTES);
}

/* Deeper down the stack than doomed's valloc entry. */
NOINLINE static int descend(int depth)
{
	volatile char pad[64];

	pad[0] = (char)depth;
	if (depth == 0)
		reborn_alloc();
	else
		descend(depth - 1);
	return pad[0];
}

/* Allocates only with the dead thread's TID, so the truth is the same either way. */
static void *reborn_thread(void *arg)
{
	int *reused = arg;

	*reused = syscall(SYS_gettid) == dead_tid;
	if (*reused)
		descend(DEPTH);
	return NULL;
}

static void ask_for_tid(pid_t tid)
{
	char text[32];
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
	int len = snprintf(text, sizeof(text), "%d", tid - 1);

	if (fd < 0)
		return;
	if (write(fd, text, len) != len)
		perror("ns_last_pid");
	close(fd);
}

int main(int argc, char **argv)
{
	pthread_t thread;
	int reused = 0;

	workload_start(argc, argv);
	pthread_create(&thread, NULL, doomed_thread, NULL);
	pthread_join(thread, NULL);
	for (int i = 0; i < ATTEMPTS && !reused; i++) {
		ask_for_tid(dead_tid);
		pthread_create(&thread, NULL, reborn_thread, &reused);
		pthread_join(thread, NULL);
	}
	if (!reused) /* the host took the TID every time: the state still has to be right */
		descend(DEPTH);
	printf("tid %s\n", reused ? "reused" : "not reused");
	fflush(stdout);
	workload_expect("reborn_alloc", REBORN_BLOCKS * REBORN_BYTES, REBORN_BLOCKS, "");
	workload_expect("doomed", 0, 0, "");
	workload_finish();
	return 0;
}
