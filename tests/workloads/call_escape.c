// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * call_escape.c - a probed allocator call that never returns: the program leaves
 * it with longjmp, so its entry probe fired and its return probe never will.  Then
 * the same function goes on calling malloc and free, at the very stack pointer
 * the abandoned call was entered at, and deeper down.
 *
 * The executable defines valloc (a probed entry point, bound here before libc's);
 * while `escaping` is set it longjmps back into its caller.  Per-thread call state
 * that took every later call at or below that stack pointer for one nested in the
 * open valloc would drop them all, since nothing ever closes it.  Each round's
 * first call after the escape differs: a free, a malloc, or a malloc one frame
 * deeper.  The kernel loses a return the same way when its return probe was not
 * prepared.
 *
 * Truth: escape_rounds' kept blocks and deeper's are live; prepare's blocks are all
 * freed after the escapes; the pairs leave nothing; valloc never returned a block.
 */
#include <setjmp.h>

#include "workload.h"

#define ROUNDS	     9
#define PAIR_BYTES   100
#define DEEPER_BYTES 64

static jmp_buf escape;
static volatile int escaping;
static void *volatile to_free[ROUNDS];
static void *volatile kept[ROUNDS];
static void *volatile kept_deeper[ROUNDS];

void *valloc(size_t size)
{
	(void)size;
	if (escaping)
		longjmp(escape, 1);
	return NULL;
}

NOINLINE static void prepare(void)
{
	for (int i = 0; i < ROUNDS; i++)
		to_free[i] = malloc(32);
}

NOINLINE static void deeper(int round)
{
	kept_deeper[round] = malloc(DEEPER_BYTES);
}

/* Every call here is made at the stack pointer valloc was entered at. */
NOINLINE static unsigned long long escape_rounds(void)
{
	volatile unsigned long long kept_bytes = 0;

	for (volatile int round = 0; round < ROUNDS; round++) {
		if (setjmp(escape) == 0) {
			escaping = 1;
			workload_sink = valloc(4096);
		}
		escaping = 0;
		if (round % 3 == 2)
			deeper(round);
		if (round % 3 == 0)
			free(to_free[round]);
		kept[round] = malloc(48 + round);
		kept_bytes += 48 + round;
		if (round % 3 != 0)
			free(to_free[round]);
		workload_sink = malloc(PAIR_BYTES);
		free(workload_sink);
		if (round % 3 != 2)
			deeper(round);
	}
	return kept_bytes;
}

int main(int argc, char **argv)
{
	unsigned long long kept_bytes;

	workload_start(argc, argv);
	prepare();
	kept_bytes = escape_rounds();
	workload_expect("escape_rounds", kept_bytes, ROUNDS, "");
	workload_expect("deeper", ROUNDS * DEEPER_BYTES, ROUNDS, "");
	workload_expect("prepare", 0, 0, "");
	workload_expect("valloc", 0, 0, "");
	workload_finish();
	return 0;
}
