// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * truth.c - allocations whose live bytes per function are known exactly.
 *
 * Every allocator entry point heapscope probes is used from its own function;
 * some functions keep their blocks, some free them all (including from another
 * thread), and some make calls that fail and must count nothing.  The truth
 * file says what each function holds at the end (see workload.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "workload.h"

size_t lib_keep(void **keep, size_t count, size_t size);

static void *kept[4096];
static size_t kept_count;

static void keep(void *p)
{
	kept[kept_count++] = p;
}

#define CHAIN(fn) "main;" #fn

NOINLINE static void keep_malloc(void)
{
	for (int i = 0; i < 1000; i++)
		keep(malloc(24));
	workload_expect("keep_malloc", 1000 * 24, 1000, CHAIN(keep_malloc));
}

NOINLINE static void keep_calloc(void)
{
	for (int i = 0; i < 100; i++)
		keep(calloc(7, 13));
	workload_expect("keep_calloc", 100 * 7 * 13, 100, CHAIN(keep_calloc));
}

/* Each block is reallocated twice: only the final size is live, under this function. */
NOINLINE static void grow_realloc(void)
{
	for (int i = 0; i < 50; i++) {
		char *p = malloc(10);
		p = realloc(p, 100);
		p = realloc(p, 1000);
		keep(p);
	}
	workload_expect("grow_realloc", 50 * 1000, 50, CHAIN(grow_realloc));
}

NOINLINE static void keep_aligned(void)
{
	unsigned long long bytes = 0, count = 0;
	void *p;

	for (int i = 0; i < 10; i++) {
		if (posix_memalign(&p, 64, 200) == 0)
			keep(p), bytes += 200, count++;
		keep(aligned_alloc(64, 256)), bytes += 256, count++;
		keep(memalign(128, 300)), bytes += 300, count++;
	}
	for (int i = 0; i < 5; i++)
		keep(valloc(5000)), bytes += 5000, count++;
	for (int i = 0; i < 3; i++)
		keep(pvalloc(100)), bytes += 100, count++;
	workload_expect("keep_aligned", bytes, count, CHAIN(keep_aligned));
}

NOINLINE static void keep_reallocarray(void)
{
	for (int i = 0; i < 20; i++)
		keep(reallocarray(NULL, 10, 30));
	workload_expect("keep_reallocarray", 20 * 10 * 30, 20, CHAIN(keep_reallocarray));
}

NOINLINE static void call_library(void)
{
	size_t bytes = lib_keep(kept + kept_count, 77, 333);

	kept_count += 77;
	workload_expect("lib_keep", bytes, 77, "main;call_library;lib_keep");
}

/*
 * Through a glibc helper: strdup calls malloc, so strdup is the leaf and
 * remember_name its caller.  glibc is built without frame pointers: a
 * frame-pointer walk from strdup skips remember_name; the CFI walk keeps it.
 * Called through a volatile pointer so the compiler cannot turn it into
 * malloc + memcpy.
 */
static char *(*volatile duplicate)(const char *) = strdup;

NOINLINE static void remember_name(void)
{
	unsigned long long bytes = 0;
	char name[64];

	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "name-%d-%.*s", i, i % 17, "abcdefghijklmnopq");
		keep(duplicate(name));
		bytes += strlen(name) + 1;
	}
	workload_expect("strdup", bytes, 40, CHAIN(remember_name) ";strdup");
}

/* Blocks allocated in one thread and freed in another: nothing stays live. */
static void *handoff[500];

NOINLINE static void *produce_for_other_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < 500; i++)
		handoff[i] = malloc(64);
	return NULL;
}

static void *free_handoff(void *arg)
{
	(void)arg;
	for (int i = 0; i < 500; i++)
		free(handoff[i]);
	return NULL;
}

NOINLINE static void cross_thread(void)
{
	pthread_t producer, consumer;

	pthread_create(&producer, NULL, produce_for_other_thread, NULL);
	pthread_join(producer, NULL);
	pthread_create(&consumer, NULL, free_handoff, NULL);
	pthread_join(consumer, NULL);
	workload_expect("produce_for_other_thread", 0, 0, "produce_for_other_thread");
}

NOINLINE static void churn_all_freed(void)
{
	for (int i = 0; i < 20000; i++) {
		workload_sink = malloc(16 + (i % 64) * 8);
		free(workload_sink);
	}
	workload_expect("churn_all_freed", 0, 0, CHAIN(churn_all_freed));
}

/* realloc(p, 0) frees p; free(NULL) is nothing. */
NOINLINE static void realloc_to_zero(void)
{
	for (int i = 0; i < 10; i++) {
		workload_sink = malloc(50);
		workload_sink = realloc(workload_sink, 0);
		free(NULL);
	}
	workload_expect("realloc_to_zero", 0, 0, CHAIN(realloc_to_zero));
}

/* Failed calls count nothing; a failed realloc leaves its block live. */
NOINLINE static void failed_calls(void)
{
	void *p;

	for (int i = 0; i < 5; i++) {
		char *block = malloc(40);

		workload_sink = malloc(SIZE_MAX / 2);
		workload_sink = calloc(SIZE_MAX / 4, 16);
		if (realloc(block, SIZE_MAX / 2) == NULL)
			keep(block);
		workload_sink = (void *)(uintptr_t)posix_memalign(&p, 64, SIZE_MAX / 2);
	}
	workload_expect("failed_calls", 5 * 40, 5, CHAIN(failed_calls));
}

/*
 * TRUTH_MAP_FILES=a:b:c maps each file executable before the session, as a
 * hostile container could: heapscope reads every mapped object and must not be
 * fooled or crash on one that is not a valid ELF.
 */
static void map_extra_files(void)
{
	char *list = getenv("TRUTH_MAP_FILES");

	for (char *path = list ? strtok(list, ":") : NULL; path; path = strtok(NULL, ":")) {
		int fd = open(path, O_RDONLY);

		if (fd < 0 || mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) == MAP_FAILED) {
			perror(path);
			exit(1);
		}
		close(fd);
	}
}

/* TRUTH_EXEC_AFTER=PROGRAM: once released, exec() it instead of exiting. */
static void exec_if_asked(void)
{
	char *program = getenv("TRUTH_EXEC_AFTER");

	if (program) {
		execl(program, program, "30", (char *)NULL);
		perror(program);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	map_extra_files();
	workload_start(argc, argv);
	keep_malloc();
	keep_calloc();
	grow_realloc();
	keep_aligned();
	keep_reallocarray();
	call_library();
	remember_name();
	cross_thread();
	churn_all_freed();
	realloc_to_zero();
	failed_calls();
	workload_finish();
	exec_if_asked();
	return 0;
}
