// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * inspect_driver.c - reads a running process's glibc heap from outside and prints what
 * user/inspect found, one JSON object per line: the location, each arena, the totals.
 * A development tool and the seed of `heapscope inspect`.
 *
 *   inspect_driver -p PID [--no-debug-file] [--walk]
 *
 * --no-debug-file finds main_arena and mp_ by decoding libc's code only; --walk also walks
 * every in-use chunk through the callback and prints their count and usable bytes.
 * Exit: 0 when the state was read (even damaged: the reason is printed), 1 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inspect/glibc_heap.h"

struct walk_totals {
	uint64_t chunks, bytes, mmapped;
};

static int count_chunk(void *ctx, uint64_t user_addr, uint64_t usable_bytes, int arena)
{
	struct walk_totals *t = ctx;

	(void)user_addr;
	t->chunks++;
	t->bytes += usable_bytes;
	t->mmapped += arena < 0;
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void print_stats(const char *key, long index, const struct hs_glibc_arena_stats *s)
{
	printf("{\"%s\":%ld,\"addr\":\"0x%llx\",\"system_bytes\":%llu,\"in_use_bytes\":%llu,"
	       "\"top_bytes\":%llu,\"fastbin_chunks\":%llu,\"fastbin_bytes\":%llu,"
	       "\"bin_chunks\":%llu,\"bin_bytes\":%llu,\"bin_bytes_as_stored\":%llu,"
	       "\"tcache_chunks\":%llu,\"tcache_bytes\":%llu,\"tcaches\":%u,"
	       "\"trimmable_bytes\":%llu,\"free_resident_bytes\":%llu,\"in_use_chunks\":%llu,"
	       "\"heaps\":%u}\n",
	       key, index, (unsigned long long)s->addr, (unsigned long long)s->system_bytes,
	       (unsigned long long)s->in_use_bytes, (unsigned long long)s->top_bytes,
	       (unsigned long long)s->fastbin_chunks, (unsigned long long)s->fastbin_bytes,
	       (unsigned long long)s->bin_chunks, (unsigned long long)s->bin_bytes,
	       (unsigned long long)s->bin_bytes_as_stored, (unsigned long long)s->tcache_chunks,
	       (unsigned long long)s->tcache_bytes, s->tcaches,
	       (unsigned long long)s->trimmable_bytes, (unsigned long long)s->free_resident_bytes,
	       (unsigned long long)s->in_use_chunks, s->heaps);
}

int main(int argc, char **argv)
{
	struct hs_glibc_locate_options opt = { 0 };
	struct hs_target_memory tm;
	struct hs_glibc_location loc;
	struct hs_glibc_heap heap;
	struct walk_totals walk = { 0 };
	bool do_walk = false;
	char why[512];
	pid_t pid = 0;
	double t0, t_located, t_read, t_walked;
	int err;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
			pid = atoi(argv[++i]);
		else if (strcmp(argv[i], "--no-debug-file") == 0)
			opt.no_debug_file = true;
		else if (strcmp(argv[i], "--walk") == 0)
			do_walk = true;
		else {
			fprintf(stderr, "usage: inspect_driver -p PID [--no-debug-file] [--walk]\n");
			return 2;
		}
	}
	t0 = now_ms();
	err = hs_tm_open_pid(&tm, pid);
	if (err) {
		fprintf(stderr, "inspect_driver: cannot read PID %d: %s\n", pid, strerror(-err));
		return 1;
	}
	err = hs_glibc_locate(&tm, &opt, &loc, why, sizeof(why));
	if (err) {
		fprintf(stderr, "inspect_driver: PID %d: %s\n", pid, why);
		hs_tm_close(&tm);
		return 1;
	}
	t_located = now_ms();
	err = hs_glibc_heap_read(&tm, &loc, &heap);
	if (err) {
		fprintf(stderr, "inspect_driver: PID %d: cannot read the heap: %s\n", pid,
			strerror(-err));
		hs_tm_close(&tm);
		return 1;
	}
	t_read = now_ms();
	if (do_walk)
		hs_glibc_heap_for_each_in_use(&tm, &loc, &heap, count_chunk, &walk);
	t_walked = now_ms();
	printf("{\"allocator\":\"glibc\",\"version\":\"%s\",\"layout\":\"%s\",\"method\":\"%s\","
	       "\"detail\":\"%s\",\"main_arena\":\"0x%llx\",\"mp\":\"0x%llx\"}\n",
	       loc.version, loc.layout->versions,
	       loc.method == HS_GLIBC_BY_SYMBOLS ? "symbols" : "code", loc.detail,
	       (unsigned long long)loc.main_arena, (unsigned long long)loc.mp);
	for (size_t i = 0; i < heap.arena_count; i++)
		print_stats("arena", (long)i, &heap.arenas[i]);
	for (size_t i = 0; i < heap.tcache_count; i++)
		printf("{\"tcache\":\"0x%llx\",\"arena\":%u,\"chunks\":%llu,\"bytes\":%llu}\n",
		       (unsigned long long)heap.tcaches[i].addr, heap.tcaches[i].arena,
		       (unsigned long long)heap.tcaches[i].chunks,
		       (unsigned long long)heap.tcaches[i].bytes);
	print_stats("total", (long)heap.arena_count, &heap.total);
	printf("{\"arenas\":%zu,\"mmapped_chunks\":%llu,\"mmapped_bytes\":%llu,"
	       "\"mmapped_found_chunks\":%llu,\"mmapped_found_bytes\":%llu,\"tcaches\":%zu}\n",
	       heap.arena_count, (unsigned long long)heap.mmapped_chunks,
	       (unsigned long long)heap.mmapped_bytes,
	       (unsigned long long)heap.mmapped_found_chunks,
	       (unsigned long long)heap.mmapped_found_bytes, heap.tcache_count);
	if (do_walk)
		printf("{\"walk_in_use_chunks\":%llu,\"walk_usable_bytes\":%llu,"
		       "\"walk_mmapped\":%llu,\"walk_ms\":%.1f}\n",
		       (unsigned long long)walk.chunks, (unsigned long long)walk.bytes,
		       (unsigned long long)walk.mmapped, t_walked - t_read);
	printf("{\"attempts\":%u,\"consistent\":%s,\"damaged\":%s,\"partial\":%s,\"reason\":\"%s\","
	       "\"locate_ms\":%.1f,\"read_ms\":%.1f,\"syscalls\":%llu,\"bytes_read\":%llu}\n",
	       heap.attempts, heap.consistent ? "true" : "false", heap.damaged ? "true" : "false",
	       heap.partial ? "true" : "false", heap.reason, t_located - t0, t_read - t_located,
	       (unsigned long long)tm.syscalls, (unsigned long long)tm.bytes_read);
	hs_glibc_heap_free(&heap);
	hs_tm_close(&tm);
	return 0;
}
