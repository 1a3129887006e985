// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * target_memory.c - bounded reads of another process's memory, with no ptrace and no stop.
 *
 * Owns: the list of the target's readable ranges (from one read of /proc/PID/maps, or
 * given as image buffers), a small block cache for list walks, forward windows for linear
 * walks, and the pagemap lookup that says which pages are resident.
 * Does not own: what the bytes mean (glibc_heap.c), the mappings' objects (procfs.c).
 * Invariants: no read leaves a readable range: every request is checked against the ranges
 * first and refused with -EFAULT otherwise, so a pointer taken from the target (which may
 * be garbage, or hostile) can never make heapscope read outside what the target maps, nor
 * read past an image buffer.  The ranges are sorted, disjoint and adjacent ones merged, so
 * a read spanning two mappings with the same permissions works.  A live read that comes
 * back short (the target unmapped memory meanwhile) is -EIO, never a partial success.
 * Cost: linear walks read HS_TM_WINDOW_BYTES per system call (plus one pagemap read); small
 * reads are served from HS_TM_CACHE_BLOCKS cached blocks; the counters say how many calls an
 * inspect took.  Images are read in place: no cache, no window copies.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "inspect/target_memory.h"

#include "lib/file.h"

static int add_range(struct hs_target_memory *tm, uint64_t start, uint64_t end,
		     const unsigned char *image)
{
	struct hs_tm_range *last = tm->range_count ? &tm->ranges[tm->range_count - 1] : NULL;

	if (start >= end)
		return -EINVAL;
	if (last && start < last->end)
		return -EINVAL; /* ranges come in address order, never overlapping */
	/* Merge only live ranges: two image buffers are not one contiguous array. */
	if (last && !image && !last->image && last->end == start) {
		last->end = end;
		return 0;
	}
	if (tm->range_count == tm->range_cap) {
		size_t cap = tm->range_cap ? 2 * tm->range_cap : 64;
		struct hs_tm_range *bigger = realloc(tm->ranges, cap * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		tm->ranges = bigger;
		tm->range_cap = cap;
	}
	tm->ranges[tm->range_count++] = (struct hs_tm_range){ start, end, image };
	return 0;
}

/* The readable lines of a maps text, read once so that ranges and paths agree. */
static int add_readable_ranges(struct hs_target_memory *tm, const char *text)
{
	for (const char *line = text; *line;) {
		unsigned long long start, end;
		char perms[8];
		const char *nl = strchr(line, '\n');

		if (sscanf(line, "%llx-%llx %7s", &start, &end, perms) == 3 && perms[0] == 'r') {
			int err = add_range(tm, start, end, NULL);

			if (err)
				return err;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return 0;
}

void hs_tm_init_image(struct hs_target_memory *tm)
{
	memset(tm, 0, sizeof(*tm));
	tm->pagemap_fd = -1;
	tm->pages_all_present = true;
}

int hs_tm_open_pid(struct hs_target_memory *tm, pid_t pid)
{
	char path[64], *text;
	size_t len;
	int err;

	memset(tm, 0, sizeof(*tm));
	tm->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	tm->pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	err = hs_read_file(path, &text, &len);
	if (err)
		return err;
	err = hs_maps_parse(text, &tm->maps);
	if (!err)
		err = add_readable_ranges(tm, text);
	free(text);
	if (err)
		hs_tm_close(tm);
	return err;
}

/*
 * The target's mappings again: a running process moves its brk and maps new arenas, and a
 * read planned on the old list would call the new memory unreadable.  Live mode only.
 */
int hs_tm_refresh(struct hs_target_memory *tm)
{
	char path[64], *text;
	size_t len;
	int err;

	if (!tm->pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", tm->pid);
	err = hs_read_file(path, &text, &len);
	if (err)
		return err;
	hs_maps_free(&tm->maps);
	tm->range_count = 0;
	hs_tm_forget_cache(tm);
	err = hs_maps_parse(text, &tm->maps);
	if (!err)
		err = add_readable_ranges(tm, text);
	free(text);
	return err;
}

/* Image ranges must be added in address order; the buffer stays the caller's. */
int hs_tm_add_image(struct hs_target_memory *tm, uint64_t addr, const void *data, size_t len)
{
	if (!data || !len || addr + len < addr)
		return -EINVAL;
	return add_range(tm, addr, addr + len, data);
}

void hs_tm_close(struct hs_target_memory *tm)
{
	if (tm->pagemap_fd >= 0)
		close(tm->pagemap_fd);
	tm->pagemap_fd = -1;
	hs_maps_free(&tm->maps);
	free(tm->ranges);
	free(tm->cache);
	free(tm->scratch);
	tm->ranges = NULL;
	tm->cache = NULL;
	tm->scratch = NULL;
	tm->range_count = tm->range_cap = 0;
}

const struct hs_tm_range *hs_tm_range_at(const struct hs_target_memory *tm, uint64_t addr)
{
	size_t lo = 0, hi = tm->range_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < tm->ranges[mid].start)
			hi = mid;
		else if (addr >= tm->ranges[mid].end)
			lo = mid + 1;
		else
			return &tm->ranges[mid];
	}
	return NULL;
}

bool hs_tm_readable(const struct hs_target_memory *tm, uint64_t addr, uint64_t len)
{
	const struct hs_tm_range *range = hs_tm_range_at(tm, addr);

	return range && len <= range->end - addr;
}

#define PAGE_BYTES 4096ull
#define PAGES_PER_CALL HS_TM_PAGES_PER_CALL

/* A live read's working arrays: too big for the stack (40 KiB), allocated once per target. */
struct live_scratch {
	uint64_t entries[PAGES_PER_CALL];
	struct iovec local[PAGES_PER_CALL], remote[PAGES_PER_CALL];
};

/* A page of a file mapping that is not resident holds the file's bytes, not zeros. */
static bool maps_file_backed(const struct hs_target_memory *tm, uint64_t addr)
{
	const struct hs_mapping *map = hs_maps_find(&tm->maps, addr);

	return map && hs_mapping_is_file(map);
}

/*
 * Read [addr, addr + len) of a live target, skipping anonymous pages that hold no data: a
 * page that is neither resident nor swapped is all zeros (never written, or given back with
 * MADV_DONTNEED), and reading it would fault a page into the target -- on some kernels a
 * real one, so an inspect right after malloc_trim would undo the trim.  Such pages are
 * zero-filled here instead.  Without pagemap (not root), everything is read.
 */
static int read_live(struct hs_target_memory *tm, uint64_t addr, unsigned char *buf, size_t len)
{
	uint64_t first = addr / PAGE_BYTES, last = (addr + len - 1) / PAGE_BYTES;
	struct live_scratch *s = tm->scratch;

	if (!s) {
		s = malloc(sizeof(*s));
		if (!s)
			return -ENOMEM;
		tm->scratch = s;
	}
	for (uint64_t page = first; page <= last;) {
		uint64_t *entries = s->entries, n = last - page + 1, want = 0;
		struct iovec *local = s->local, *remote = s->remote;
		unsigned long iovs = 0;
		ssize_t got;

		if (n > PAGES_PER_CALL)
			n = PAGES_PER_CALL;
		if (tm->pagemap_fd < 0 ||
		    pread(tm->pagemap_fd, entries, n * 8, (off_t)(page * 8)) != (ssize_t)(n * 8))
			memset(entries, 0xff, n * 8); /* unknown: read it all */
		else
			tm->syscalls++;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t lo = (page + i) * PAGE_BYTES, hi = lo + PAGE_BYTES;
			bool data = entries[i] >> 62; /* present (63) or swapped (62) */

			lo = lo < addr ? addr : lo;
			hi = hi > addr + len ? addr + len : hi;
			if (!data && maps_file_backed(tm, lo))
				data = true; /* its bytes are the file's: read them (page cache) */
			if (!data) {
				memset(buf + (lo - addr), 0, hi - lo);
			} else if (iovs && (uint64_t)(uintptr_t)remote[iovs - 1].iov_base +
							remote[iovs - 1].iov_len == lo) {
				remote[iovs - 1].iov_len += hi - lo;
				local[iovs - 1].iov_len += hi - lo;
			} else {
				remote[iovs] = (struct iovec){ (void *)(uintptr_t)lo, hi - lo };
				local[iovs++] = (struct iovec){ buf + (lo - addr), hi - lo };
			}
			if (data)
				want += hi - lo;
		}
		if (iovs) {
			tm->syscalls++;
			got = process_vm_readv(tm->pid, local, iovs, remote, iovs, 0);
			if (got < 0)
				return -errno;
			tm->bytes_read += (uint64_t)got;
			if ((uint64_t)got != want)
				return -EIO;
		}
		page += n;
	}
	return 0;
}

/* Uncached: exactly one range, checked. */
int hs_tm_read(struct hs_target_memory *tm, uint64_t addr, void *buf, size_t len)
{
	const struct hs_tm_range *range = hs_tm_range_at(tm, addr);

	if (!range || len > range->end - addr)
		return -EFAULT;
	if (!len)
		return 0;
	if (range->image) {
		memcpy(buf, range->image + (addr - range->start), len);
		return 0;
	}
	return read_live(tm, addr, buf, len);
}

int hs_tm_read_u64(struct hs_target_memory *tm, uint64_t addr, uint64_t *value)
{
	return hs_tm_read_cached(tm, addr, value, sizeof(*value));
}

void hs_tm_forget_cache(struct hs_target_memory *tm)
{
	memset(tm->cache_tag, 0, sizeof(tm->cache_tag));
}

/* One cache block: the aligned block holding addr, clipped to its range. */
static int cache_block(struct hs_target_memory *tm, uint64_t addr, const unsigned char **block,
		       uint64_t *block_start, uint64_t *block_end)
{
	const struct hs_tm_range *range = hs_tm_range_at(tm, addr);
	uint64_t start = addr & ~(uint64_t)(HS_TM_CACHE_BLOCK_BYTES - 1);
	uint64_t end = start + HS_TM_CACHE_BLOCK_BYTES;
	size_t slot = (start / HS_TM_CACHE_BLOCK_BYTES) % HS_TM_CACHE_BLOCKS;
	unsigned char *dest;
	int err;

	if (!range)
		return -EFAULT;
	if (start < range->start)
		start = range->start;
	if (end > range->end)
		end = range->end;
	if (!tm->cache) {
		tm->cache = malloc((size_t)HS_TM_CACHE_BLOCKS * HS_TM_CACHE_BLOCK_BYTES);
		if (!tm->cache)
			return -ENOMEM;
	}
	dest = tm->cache + slot * HS_TM_CACHE_BLOCK_BYTES;
	/* The tag holds the clipped start: two ranges sharing a block never alias. */
	if (tm->cache_tag[slot] != start + 1) {
		tm->cache_tag[slot] = 0;
		err = hs_tm_read(tm, start, dest, end - start);
		if (err)
			return err;
		tm->cache_tag[slot] = start + 1;
	}
	*block = dest;
	*block_start = start;
	*block_end = end;
	return 0;
}

int hs_tm_read_cached(struct hs_target_memory *tm, uint64_t addr, void *buf, size_t len)
{
	const struct hs_tm_range *range = hs_tm_range_at(tm, addr);
	unsigned char *out = buf;

	if (!range || len > range->end - addr)
		return -EFAULT;
	/* An image is memory already: a cache would only copy it twice (and cost the fuzzer
	 * a 4 MiB allocation per input). */
	if (range->image)
		return hs_tm_read(tm, addr, buf, len);
	while (len) {
		const unsigned char *block;
		uint64_t start, end;
		size_t n;
		int err = cache_block(tm, addr, &block, &start, &end);

		if (err)
			return err;
		n = end - addr < len ? (size_t)(end - addr) : len;
		memcpy(out, block + (addr - start), n);
		out += n;
		addr += n;
		len -= n;
	}
	return 0;
}

int hs_tm_window_init(struct hs_tm_window *win, uint64_t start, uint64_t end)
{
	memset(win, 0, sizeof(*win));
	if (start > end)
		return -EINVAL;
	win->start = start;
	win->end = end;
	return 0;
}

void hs_tm_window_free(struct hs_tm_window *win)
{
	free(win->buf);
	win->buf = NULL;
	win->cap = win->have = 0;
}

/*
 * A window miss (hs_tm_window_at): len bytes at addr inside the span.  It refills from addr
 * forward with one read of up to HS_TM_WINDOW_BYTES (more when len asks), so a forward walk
 * over N bytes costs about N / HS_TM_WINDOW_BYTES system calls.
 */
int hs_tm_window_fill(struct hs_target_memory *tm, struct hs_tm_window *win, uint64_t addr,
		      size_t len, const unsigned char **bytes)
{
	const struct hs_tm_range *range;
	uint64_t fill_end;
	size_t want;
	int err;

	if (addr < win->start || addr > win->end || len > win->end - addr)
		return -EFAULT;
	if (win->have && addr >= win->base && addr - win->base + len <= win->have) {
		*bytes = win->view + (addr - win->base);
		return 0;
	}
	range = hs_tm_range_at(tm, addr);
	if (!range)
		return -EFAULT;
	want = len > HS_TM_WINDOW_BYTES ? len : HS_TM_WINDOW_BYTES;
	fill_end = win->end - addr < want ? win->end : addr + want;
	/* Never ask for more than the range holds: the tail is read on the next miss. */
	if (fill_end > range->end)
		fill_end = range->end;
	if (fill_end - addr < len)
		return -EFAULT;
	win->have = 0;
	if (range->image) {
		/* An image: the window is a view of the range's own bytes, nothing copied. */
		win->view = range->image + (addr - range->start);
	} else {
		if (win->cap < fill_end - addr) {
			unsigned char *bigger = realloc(win->buf, fill_end - addr);

			if (!bigger)
				return -ENOMEM;
			win->buf = bigger;
			win->cap = fill_end - addr;
		}
		err = hs_tm_read(tm, addr, win->buf, fill_end - addr);
		if (err)
			return err;
		win->view = win->buf;
	}
	win->base = addr;
	win->have = fill_end - addr;
	*bytes = win->view;
	return 0;
}

/*
 * The frame of the kernel's shared zero page.  Reading a never-written anonymous page
 * (as process_vm_readv does) maps the zero page there: pagemap then says "present" for
 * memory that costs no RAM.  Its frame tells such pages apart; 0 when frames are hidden
 * (not root), and then the exclusive bit (56) decides instead.
 */
static uint64_t zero_pfn(void)
{
	long page_size = sysconf(_SC_PAGESIZE);
	volatile char *page = mmap(NULL, page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t entry = 0;
	int fd;

	if (page == MAP_FAILED)
		return 0;
	(void)page[0];
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, &entry, sizeof(entry), (off_t)((uintptr_t)page / page_size * 8)) != 8)
			entry = 0;
		close(fd);
	}
	munmap((void *)page, page_size);
	return (entry >> 63) ? entry & ((1ull << 55) - 1) : 0;
}

/*
 * present[i] = 1 when page start + i * page size is resident RAM of the target (swapped
 * pages and the zero page are not).  Live: one pread of /proc/PID/pagemap per 64 Ki pages
 * (8 bytes a page); root sees the present bit and the frame.
 */
int hs_tm_present_pages(struct hs_target_memory *tm, uint64_t start, uint64_t pages,
			uint8_t *present)
{
	long page_size = sysconf(_SC_PAGESIZE);
	uint64_t chunk = 65536, *entries;
	char path[64];
	int fd, err = 0;

	if (tm->pid == 0) {
		memset(present, tm->pages_all_present ? 1 : 0, pages);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/%d/pagemap", tm->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!tm->zero_pfn)
		tm->zero_pfn = zero_pfn();
	entries = malloc(chunk * sizeof(*entries));
	if (!entries) {
		close(fd);
		return -ENOMEM;
	}
	for (uint64_t done = 0; done < pages && !err;) {
		uint64_t n = pages - done < chunk ? pages - done : chunk;
		off_t at = (off_t)((start / (uint64_t)page_size + done) * sizeof(*entries));
		ssize_t got = pread(fd, entries, n * sizeof(*entries), at);

		tm->syscalls++;
		if (got < 0) {
			err = -errno;
			break;
		}
		if ((size_t)got != n * sizeof(*entries)) {
			err = -EIO;
			break;
		}
		for (uint64_t i = 0; i < n; i++) {
			uint64_t pfn = entries[i] & ((1ull << 55) - 1);
			bool ram = (entries[i] >> 63) & 1;

			if (ram && tm->zero_pfn)
				ram = pfn != tm->zero_pfn;
			else if (ram && !pfn)
				ram = (entries[i] >> 56) & 1;
			present[done + i] = ram;
		}
		done += n;
	}
	free(entries);
	close(fd);
	return err;
}
