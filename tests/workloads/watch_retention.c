// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * watch_retention.c - a process whose heap grows, then frees most of what it holds while a
 * block on top of the heap pins the freed memory in place (glibc trims only from the top):
 * in-use bytes rise and fall back, free-but-resident bytes rise and stay.  Retention.
 *
 *   watch_retention DIR
 *
 * Handshake (files in DIR, see workload.h): writes "ready", waits for "grow"; allocates
 * GROW_BLOCKS blocks (about 40 MiB, all below the mmap threshold, every byte touched) and one
 * pinning block, writes "grown", waits for "free"; frees all blocks but every KEEP_EVERY-th,
 * writes "freed", waits for "exit".  Before each of "ready", "grown" and "freed" it writes
 * its own truth, read from glibc itself at that moment: malloc_info(0) to PHASE.xml and
 * mallinfo2() to PHASE.txt ("in_use_bytes N", "free_bytes N", "system_bytes N",
 * "fast_bytes N", "top_bytes N").  Nothing allocates between a truth and the next step: the
 * malloc_info streams are opened at start with static buffers and never closed, the rest is
 * written with write(2).
 */
#include <malloc.h>

#include "workload.h"

#define GROW_BLOCKS 20000
#define KEEP_EVERY  16

static void *volatile blocks[GROW_BLOCKS];
static void *volatile pin;
static char info_buffers[3][BUFSIZ];
static char text[512];

static FILE *open_info(const char *phase, char *buffer)
{
	char path[1100];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.xml", workload_dir, phase);
	f = fopen(path, "w");
	if (!f || setvbuf(f, buffer, _IOFBF, BUFSIZ)) {
		perror(path);
		exit(1);
	}
	return f;
}

static void truth(FILE *info, const char *phase)
{
	struct mallinfo2 mi = mallinfo2();
	char name[64];
	int len;

	malloc_info(0, info);
	fflush(info);
	len = snprintf(text, sizeof(text),
		       "in_use_bytes %zu\nfree_bytes %zu\nsystem_bytes %zu\nfast_bytes %zu\n"
		       "top_bytes %zu\n",
		       mi.uordblks, mi.fordblks, mi.arena, mi.fsmblks, mi.keepcost);
	snprintf(name, sizeof(name), "%s.txt", phase);
	workload_write(name, text, (size_t)len);
	workload_touch(phase);
}

int main(int argc, char **argv)
{
	FILE *info[3];

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	snprintf(workload_dir, sizeof(workload_dir), "%s", argv[1]);
	info[0] = open_info("ready", info_buffers[0]);
	info[1] = open_info("grown", info_buffers[1]);
	info[2] = open_info("freed", info_buffers[2]);
	truth(info[0], "ready");
	workload_wait("grow");
	for (int i = 0; i < GROW_BLOCKS; i++) {
		size_t bytes = 1000 + (size_t)(i % 5) * 500;

		blocks[i] = malloc(bytes);
		if (!blocks[i])
			return 1;
		memset(blocks[i], 0x5a, bytes);
	}
	pin = malloc(4096);
	memset(pin, 0x5a, 4096);
	truth(info[1], "grown");
	workload_wait("free");
	for (int i = 0; i < GROW_BLOCKS; i++) {
		if (i % KEEP_EVERY == 0)
			continue;
		free(blocks[i]);
		blocks[i] = NULL;
	}
	truth(info[2], "freed");
	workload_wait("exit");
	return 0;
}
