// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * retention.c - glibc keeps freed memory.  A session cache of 8192 small
 * blocks (16 MiB) is filled, one block is allocated after them (on top of the
 * heap), then the cache is dropped.  glibc returns memory to the system only
 * from the top of the heap (or in malloc_trim), so the freed 16 MiB stay
 * resident under the block on top while the live heap falls to that block.
 * Verdict: retention, pin_heap_top holding the live heap.
 *
 * The workload measures its own resident anonymous memory before filling
 * and after dropping and writes both (kB) to DIR/retained, so a test can tell
 * a glibc that behaves differently from a heapscope bug.  Right after the drop
 * it writes its own malloc_info() to DIR/malloc_info.xml: nothing allocates
 * after that (the FILE is opened, with a static buffer, before "ready", and is
 * never closed), so the allocator's state a session reads at its end, or
 * heapscope inspect at any later moment, must equal it exactly.
 */
#include <fcntl.h>
#include <malloc.h>

#include "workload.h"

#define BLOCKS	    8192
#define BLOCK_BYTES 2048
#define FILL_STEPS  10 /* the fill takes FILL_STEPS naps of 100 ms: a ramp, not a jump */
#define PIN_BYTES   4096

/* volatile: blocks only stored are otherwise optimized away, malloc and all */
static void *volatile blocks[BLOCKS];
static void *volatile pin;
static char status[8192];
static char info_buf[1 << 16]; /* malloc_info's output: no stdio buffer to allocate */

/* RssAnon of this process in kB, read without allocating. */
static long anon_kb(void)
{
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t len = fd >= 0 ? read(fd, status, sizeof(status) - 1) : -1;
	char *field;

	if (fd >= 0)
		close(fd);
	if (len <= 0)
		return -1;
	status[len] = '\0';
	field = strstr(status, "RssAnon:");
	return field ? atol(field + 8) : -1;
}

NOINLINE static void fill_session_cache(void)
{
	for (int step = 0; step < FILL_STEPS; step++) {
		for (int i = step * (BLOCKS / FILL_STEPS); i < (step + 1) * (BLOCKS / FILL_STEPS);
		     i++) {
			blocks[i] = malloc(BLOCK_BYTES);
			memset(blocks[i], 1, BLOCK_BYTES);
		}
		workload_nap_ms(100);
	}
}

NOINLINE static void pin_heap_top(void)
{
	pin = malloc(PIN_BYTES);
	memset(pin, 1, PIN_BYTES);
}

NOINLINE static void drop_session_cache(void)
{
	for (int i = 0; i < BLOCKS; i++)
		free(blocks[i]);
}

int main(int argc, char **argv)
{
	double start, phase;
	long before_kb, after_kb;
	char line[64];
	FILE *info;
	int fd;

	if (argc < 2)
		return 2;
	snprintf(status, sizeof(status), "%s/malloc_info.xml", argv[1]);
	info = fopen(status, "w"); /* before "ready": its FILE is the heap's first block */
	if (!info || setvbuf(info, info_buf, _IOFBF, sizeof(info_buf)))
		return 1;
	workload_start(argc, argv);
	start = workload_now_s();
	phase = workload_phase_s();
	workload_nap_ms(phase * 150); /* a baseline: 15% of the phase */
	before_kb = anon_kb();
	fill_session_cache();
	pin_heap_top();
	drop_session_cache();
	after_kb = anon_kb();
	malloc_info(0, info);
	fflush(info);
	while (workload_now_s() - start < phase)
		workload_nap_ms(10);
	workload_expect("pin_heap_top", PIN_BYTES, 1, "main;pin_heap_top");
	workload_expect("fill_session_cache", 0, 0, "main;fill_session_cache");
	snprintf(line, sizeof(line), "%ld %ld\n", before_kb, after_kb);
	snprintf(status, sizeof(status), "%s/retained", workload_dir);
	fd = open(status, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, line, strlen(line)) < 0)
		return 1;
	close(fd);
	workload_finish();
	return 0;
}
