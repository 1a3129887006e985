// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * allocator_api.c - an allocator's own entry points, called directly, with the
 * live bytes of each function known exactly.  Built once per allocator, linked
 * against Debian's shared library (no -dev package: the prototypes are here):
 *   -DAPI_JEMALLOC   mallocx, rallocx, xallocx, sdallocx, dallocx
 *   -DAPI_TCMALLOC   tc_malloc, tc_new, tc_delete_sized, ...
 *   -DAPI_MIMALLOC   mi_malloc, mi_zalloc, mi_reallocn, mi_free_size, ...
 * Sizes are the requested sizes, whatever the allocator rounds them to.
 */
#include <stdint.h>

#include "workload.h"

static void *kept[8192];
static size_t kept_count;

static void keep(void *p)
{
	kept[kept_count++] = p;
}

#define CHAIN(fn) "main;" #fn

#ifdef API_JEMALLOC
void *mallocx(size_t size, int flags);
void *rallocx(void *ptr, size_t size, int flags);
size_t xallocx(void *ptr, size_t size, size_t extra, int flags);
void sdallocx(void *ptr, size_t size, int flags);
void dallocx(void *ptr, int flags);
#define MALLOCX_LG_ALIGN(lg) ((int)(lg))
#define MALLOCX_ZERO ((int)0x40)

NOINLINE static void keep_mallocx(void)
{
	for (int i = 0; i < 100; i++) {
		keep(mallocx(50, 0));
		keep(mallocx(200, MALLOCX_LG_ALIGN(6) | MALLOCX_ZERO));
	}
	workload_expect("keep_mallocx", 100 * (50 + 200), 200, CHAIN(keep_mallocx));
}

NOINLINE static void grow_rallocx(void)
{
	for (int i = 0; i < 50; i++) {
		void *p = mallocx(10, 0);

		p = rallocx(p, 100, 0);
		keep(rallocx(p, 3000, 0));
	}
	workload_expect("grow_rallocx", 50 * 3000, 50, CHAIN(grow_rallocx));
}

/* What a block holds after xallocx: the request, as far as it was granted. */
static unsigned long long after_xallocx(size_t old, size_t size, size_t extra, size_t usable)
{
	if (usable < size)
		return old; /* not resized */
	return usable < size + extra ? usable : size + extra;
}

/* xallocx resizes in place: grown within its size class, grown too far (fails,
 * the block keeps its size), and grown with extra bytes. */
NOINLINE static void resize_xallocx(void)
{
	unsigned long long bytes = 0;

	for (int i = 0; i < 50; i++) {
		void *within = mallocx(100, 0), *too_far = mallocx(100, 0), *extra = mallocx(100, 0);

		bytes += after_xallocx(100, 104, 0, xallocx(within, 104, 0, 0));
		bytes += after_xallocx(100, 1 << 20, 0, xallocx(too_far, 1 << 20, 0, 0));
		bytes += after_xallocx(100, 100, 8, xallocx(extra, 100, 8, 0));
		keep(within);
		keep(too_far);
		keep(extra);
	}
	workload_expect("resize_xallocx", bytes, 150, CHAIN(resize_xallocx));
}

NOINLINE static void churn_dallocx(void)
{
	for (int i = 0; i < 2000; i++) {
		void *sized = mallocx(32 + i % 100, 0);

		sdallocx(sized, 32 + i % 100, 0);
		dallocx(mallocx(64, 0), 0);
		dallocx(rallocx(mallocx(8, 0), 4000, 0), 0);
	}
	workload_expect("churn_dallocx", 0, 0, CHAIN(churn_dallocx));
}

static void run_api(void)
{
	keep_mallocx();
	grow_rallocx();
	resize_xallocx();
	churn_dallocx();
}
#endif

#ifdef API_TCMALLOC
void *tc_malloc(size_t size);
void *tc_calloc(size_t n, size_t size);
void *tc_realloc(void *ptr, size_t size);
void tc_free(void *ptr);
void tc_free_sized(void *ptr, size_t size);
void *tc_memalign(size_t align, size_t size);
int tc_posix_memalign(void **out, size_t align, size_t size);
void *tc_valloc(size_t size);
void *tc_new(size_t size);
void *tc_newarray(size_t size);
void *tc_new_nothrow(size_t size, const void *nothrow);
void tc_delete(void *ptr);
void tc_delete_sized(void *ptr, size_t size);
void tc_deletearray(void *ptr);

static const char nothrow_tag; /* stands for the std::nothrow_t reference */

NOINLINE static void keep_tc(void)
{
	unsigned long long bytes = 0, count = 0;
	void *p;

	for (int i = 0; i < 100; i++) {
		keep(tc_malloc(24));
		keep(tc_calloc(3, 7));
		keep(tc_new(40));
		bytes += 24 + 21 + 40, count += 3;
	}
	for (int i = 0; i < 10; i++) {
		keep(tc_memalign(64, 100));
		if (tc_posix_memalign(&p, 64, 200) == 0)
			keep(p), bytes += 200, count++;
		keep(tc_valloc(5000));
		keep(tc_newarray(77));
		keep(tc_new_nothrow(33, &nothrow_tag));
		bytes += 100 + 5000 + 77 + 33, count += 4;
	}
	workload_expect("keep_tc", bytes, count, CHAIN(keep_tc));
}

NOINLINE static void grow_tc_realloc(void)
{
	for (int i = 0; i < 50; i++) {
		void *p = tc_malloc(10);

		p = tc_realloc(p, 100);
		keep(tc_realloc(p, 1000));
	}
	workload_expect("grow_tc_realloc", 50 * 1000, 50, CHAIN(grow_tc_realloc));
}

NOINLINE static void churn_tc(void)
{
	for (int i = 0; i < 2000; i++) {
		tc_free(tc_malloc(16));
		tc_free_sized(tc_malloc(48), 48);
		tc_delete(tc_new(24));
		tc_delete_sized(tc_new(56), 56);
		tc_deletearray(tc_newarray(100));
	}
	workload_expect("churn_tc", 0, 0, CHAIN(churn_tc));
}

static void run_api(void)
{
	keep_tc();
	grow_tc_realloc();
	churn_tc();
}
#endif

#ifdef API_MIMALLOC
void *mi_malloc(size_t size);
void *mi_zalloc(size_t size);
void *mi_calloc(size_t count, size_t size);
void *mi_mallocn(size_t count, size_t size);
void *mi_realloc(void *p, size_t newsize);
void *mi_reallocn(void *p, size_t count, size_t size);
void *mi_malloc_aligned(size_t size, size_t alignment);
void *mi_zalloc_aligned(size_t size, size_t alignment);
void *mi_calloc_aligned(size_t count, size_t size, size_t alignment);
void *mi_new(size_t size);
void *mi_new_n(size_t count, size_t size);
void mi_free(void *p);
void mi_free_size(void *p, size_t size);
void mi_free_aligned(void *p, size_t alignment);

NOINLINE static void keep_mi(void)
{
	for (int i = 0; i < 100; i++) {
		keep(mi_malloc(24));
		keep(mi_zalloc(16));
		keep(mi_calloc(3, 7));
		keep(mi_mallocn(4, 10));
	}
	for (int i = 0; i < 10; i++) {
		keep(mi_malloc_aligned(100, 64));
		keep(mi_zalloc_aligned(120, 64));
		keep(mi_calloc_aligned(2, 50, 64));
		keep(mi_new(40));
		keep(mi_new_n(3, 8));
	}
	workload_expect("keep_mi", 100 * (24 + 16 + 21 + 40) + 10 * (100 + 120 + 100 + 40 + 24),
			450, CHAIN(keep_mi));
}

NOINLINE static void grow_mi_realloc(void)
{
	for (int i = 0; i < 50; i++) {
		void *p = mi_malloc(10);

		p = mi_realloc(p, 100);
		keep(mi_reallocn(p, 10, 100));
	}
	workload_expect("grow_mi_realloc", 50 * 1000, 50, CHAIN(grow_mi_realloc));
}

NOINLINE static void churn_mi(void)
{
	for (int i = 0; i < 2000; i++) {
		mi_free(mi_malloc(16));
		mi_free_size(mi_malloc(48), 48);
		mi_free_aligned(mi_malloc_aligned(64, 64), 64);
	}
	workload_expect("churn_mi", 0, 0, CHAIN(churn_mi));
}

static void run_api(void)
{
	keep_mi();
	grow_mi_realloc();
	churn_mi();
}
#endif

int main(int argc, char **argv)
{
	workload_start(argc, argv);
	run_api();
	workload_finish();
	return 0;
}
