// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * arenas.c - a process whose glibc heap is known: the main arena and two thread arenas,
 * each with fragmented bins (every other block freed, small and large sizes), fastbins
 * (frees after the tcache of that size is full: 7 per size), tcache entries, and mmapped
 * blocks (>= 128 KiB, the default mmap threshold).  Its truth is its own malloc_info().
 *
 *   arenas INFO_FILE TRIM_FILE [--corrupt]
 *
 * Builds the heap, writes malloc_info(0) to INFO_FILE, prints "ready" and waits.  On
 * SIGUSR1 it calls malloc_trim(0) and writes "rss_before BYTES\nrss_after BYTES\n" (from
 * /proc/self/statm) to TRIM_FILE, then waits again; SIGTERM ends it.  --corrupt overwrites
 * the fd pointer of one of its own free small-bin chunks before "ready".
 * Nothing allocates between malloc_info and the wait: INFO_FILE's stdio buffer is static
 * and the file is never closed; "ready" and the trim file are written with write(2); the
 * threads park in sigwait with everything allocated up front.
 */
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCKS 64

static void *volatile sink;
static pthread_barrier_t built;

/* Keep the compiler from eliding the allocations. */
static void *alloc(size_t size)
{
	void *p = malloc(size);

	if (!p)
		abort();
	memset(p, 0x5a, size); /* resident: malloc_trim's madvise must show in RSS */
	sink = p;
	return p;
}

/* One arena's share: scale 1 for threads, 4 for main. */
static void build(int scale)
{
	static const size_t sizes[] = { 100, 200, 500, 900, 1500, 3000, 10000, 40000, 64000 };
	void *blocks[BLOCKS], *tc[7], *fast[10];

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		int n = BLOCKS / 2 * scale > BLOCKS ? BLOCKS : BLOCKS / 2 * scale;

		/* Fill this size's tcache first, so that the frees below reach the bins. */
		for (int i = 0; i < 7; i++)
			tc[i] = alloc(sizes[s]);
		for (int i = 0; i < n; i++)
			blocks[i] = alloc(sizes[s]);
		for (int i = 0; i < 7; i++)
			free(tc[i]);
		for (int i = 0; i < n; i += 2)
			free(blocks[i]); /* every other: the kept ones stop any merging */
	}
	/* A request nothing free fits: sorts the unsorted chunks into small and large bins. */
	sink = alloc(90000);
	/* A few more frees stay in the unsorted bin. */
	for (int i = 0; i < 3; i++) {
		void *a = alloc(2000);

		sink = alloc(16);
		free(a);
	}
	/* mmapped blocks: before the fastbins, as a large request consolidates them. */
	for (int i = 0; i < scale + 1; i++)
		sink = alloc(200 * 1024 + i * 64 * 1024);
	/* Fastbins: 7 of each size go to the tcache, the other 3 to the fastbin. */
	for (size_t size = 24; size <= 120; size += 32) {
		for (int i = 0; i < 10; i++)
			fast[i] = alloc(size);
		sink = alloc(16); /* the last fastbin chunk must not touch top */
		for (int i = 0; i < 10; i++)
			free(fast[i]);
	}
	/* Some tcache of small sizes, not full. */
	for (int i = 0; i < 3; i++)
		free(alloc(40 + 16 * i));
}

static void *thread_main(void *arg)
{
	sigset_t all;
	int sig;

	(void)arg;
	build(1);
	pthread_barrier_wait(&built);
	sigfillset(&all);
	for (;;)
		sigwait(&all, &sig); /* signals are blocked here: main takes them */
	return NULL;
}

static uint64_t rss_bytes(void)
{
	char text[128] = "";
	unsigned long long size = 0, resident = 0;
	int fd = open("/proc/self/statm", O_RDONLY);

	if (fd >= 0) {
		if (read(fd, text, sizeof(text) - 1) < 0)
			text[0] = '\0';
		close(fd);
	}
	sscanf(text, "%llu %llu", &size, &resident);
	return resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void write_text(int fd, const char *text)
{
	size_t len = strlen(text);

	while (len) {
		ssize_t n = write(fd, text, len);

		if (n <= 0)
			return;
		text += n;
		len -= (size_t)n;
	}
}

int main(int argc, char **argv)
{
	static char info_buf[1 << 16];
	pthread_t threads[2];
	sigset_t set;
	FILE *info;
	void *victim;
	uint64_t *volatile victim_fd; /* written after free on purpose: the damage to find */
	int sig;

	if (argc < 3) {
		fprintf(stderr, "usage: arenas INFO_FILE TRIM_FILE [--corrupt]\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	info = fopen(argv[1], "w");
	if (!info || setvbuf(info, info_buf, _IOFBF, sizeof(info_buf)))
		return 1;
	pthread_barrier_init(&built, NULL, 3);
	build(4);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&threads[i], NULL, thread_main, NULL))
			return 1;
	pthread_barrier_wait(&built);
	/* The last free: this chunk heads the unsorted bin, where --corrupt breaks it. */
	victim = alloc(2000);
	sink = alloc(16);
	victim_fd = victim;
	free(victim);
	malloc_info(0, info);
	fflush(info);
	if (argc > 3 && strcmp(argv[3], "--corrupt") == 0)
		*victim_fd = 0x4141414141414140ull; /* its fd: no longer a free chunk */
	write_text(1, "ready\n");
	for (;;) {
		char line[128];
		uint64_t before, after;
		int fd;

		if (sigwait(&set, &sig) || sig != SIGUSR1)
			break;
		before = rss_bytes();
		malloc_trim(0);
		after = rss_bytes();
		snprintf(line, sizeof(line), "rss_before %llu\nrss_after %llu\n",
			 (unsigned long long)before, (unsigned long long)after);
		fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			write_text(fd, line);
			close(fd);
		}
	}
	return 0;
}
