/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_INSPECT_TARGET_MEMORY_H
#define HEAPSCOPE_INSPECT_TARGET_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "target/proc.h"

/*
 * The memory of a process heapscope reads without stopping it: the readable ranges, and a
 * read that refuses anything not wholly inside them.  Two sources behind one API: a live
 * process (process_vm_readv, /proc/PID/pagemap) or an in-memory image (unit tests, fuzzing),
 * whose ranges point at caller-owned buffers.
 */

/* One readable stretch of the target's address space; adjacent ones are merged. */
struct hs_tm_range {
	uint64_t start;
	uint64_t end;
	const unsigned char *image; /* image mode: the bytes of [start, end); NULL when live */
};

/* Small reads (list walks) of a live target go through a few cached blocks so that
 * neighbouring chunks cost one system call, not one each.  Images need no cache. */
#define HS_TM_CACHE_BLOCKS 64
#define HS_TM_CACHE_BLOCK_BYTES (64 * 1024)

struct hs_target_memory {
	pid_t pid; /* 0 in image mode */
	struct hs_maps maps; /* live mode: the mappings with their paths; empty in image mode */
	struct hs_tm_range *ranges; /* sorted, disjoint, non-adjacent */
	size_t range_count, range_cap;
	unsigned char *cache; /* HS_TM_CACHE_BLOCKS blocks, allocated on first live small read */
	void *scratch;	      /* live reads' pagemap entries and iovecs, allocated on first use */
	uint64_t cache_tag[HS_TM_CACHE_BLOCKS]; /* block address + 1; 0 = empty */
	uint64_t syscalls;  /* reads issued to the kernel: the cost of an inspect */
	uint64_t bytes_read;
	bool pages_all_present; /* image mode: every page counts as resident */
	int pagemap_fd;		/* live: /proc/PID/pagemap, -1 when not readable */
	uint64_t zero_pfn;	/* the shared zero page's frame, 0 until known (see pagemap) */
};

int hs_tm_open_pid(struct hs_target_memory *tm, pid_t pid);
void hs_tm_init_image(struct hs_target_memory *tm);
int hs_tm_add_image(struct hs_target_memory *tm, uint64_t addr, const void *data, size_t len);
void hs_tm_close(struct hs_target_memory *tm);
int hs_tm_refresh(struct hs_target_memory *tm);

bool hs_tm_readable(const struct hs_target_memory *tm, uint64_t addr, uint64_t len);
const struct hs_tm_range *hs_tm_range_at(const struct hs_target_memory *tm, uint64_t addr);
int hs_tm_read(struct hs_target_memory *tm, uint64_t addr, void *buf, size_t len);
int hs_tm_read_cached(struct hs_target_memory *tm, uint64_t addr, void *buf, size_t len);
int hs_tm_read_u64(struct hs_target_memory *tm, uint64_t addr, uint64_t *value);
void hs_tm_forget_cache(struct hs_target_memory *tm);

/*
 * A window over [start, end) of the target, refilled in big reads as a walk moves forward:
 * hs_tm_window_at returns a pointer to len bytes at addr, valid until the next call.
 */
struct hs_tm_window {
	uint64_t start, end; /* what the walk may touch */
	uint64_t base;	     /* address of buf[0] */
	size_t have;	     /* bytes valid in buf */
	size_t cap;
	unsigned char *buf;
	const unsigned char *view; /* buf, or straight into an image: nothing copied */
};

/* One window refill = one pagemap read + one process_vm_readv (HS_TM_PAGES_PER_CALL pages). */
#define HS_TM_WINDOW_BYTES (4u << 20)
#define HS_TM_PAGES_PER_CALL 1024

int hs_tm_window_init(struct hs_tm_window *win, uint64_t start, uint64_t end);
int hs_tm_window_fill(struct hs_target_memory *tm, struct hs_tm_window *win, uint64_t addr,
		      size_t len, const unsigned char **bytes);

/*
 * Inline for a hit: a walk asks three times a chunk, a million chunks a GiB.  What the
 * window holds lies inside [start, end) by construction, so a hit needs no other check.
 */
static inline int hs_tm_window_at(struct hs_target_memory *tm, struct hs_tm_window *win,
				  uint64_t addr, size_t len, const unsigned char **bytes)
{
	if (win->have && addr >= win->base && addr - win->base <= win->have &&
	    len <= win->have - (addr - win->base)) {
		*bytes = win->view + (addr - win->base);
		return 0;
	}
	return hs_tm_window_fill(tm, win, addr, len, bytes);
}
void hs_tm_window_free(struct hs_tm_window *win);

int hs_tm_present_pages(struct hs_target_memory *tm, uint64_t start, uint64_t pages,
			uint8_t *present);

#endif
