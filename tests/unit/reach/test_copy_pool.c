// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_copy_pool.c - the freeze's parallel copy (user/reach/copy_pool.c), on this process's
 * own memory (process_vm_readv of itself): many jobs of every size land byte for byte where
 * they should, on however many workers there are (or the caller alone); a page that does not read is zeros and
 * counted; a deadline already past refuses every job; a pool runs batch after batch.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "reach/copy_pool.h"

#define SOURCE_BYTES (24u << 20)

static void test_jobs_copied_exactly(void)
{
	struct hs_copy_pool pool;
	unsigned char *source = malloc(SOURCE_BYTES), *copy = malloc(SOURCE_BYTES);
	struct hs_copy_job jobs[64];
	uint64_t seed = 11, at = 0;
	size_t count = 0;

	CHECK(source && copy);
	for (size_t i = 0; i < SOURCE_BYTES; i++)
		source[i] = (unsigned char)check_random(&seed);
	memset(copy, 0xAA, SOURCE_BYTES);
	/* Jobs of odd sizes and a few of HS_COPY_JOB_BYTES, covering the source once. */
	while (at < SOURCE_BYTES && count < 64) {
		uint64_t len = count % 5 == 0 ? HS_COPY_JOB_BYTES : 1 + check_random(&seed) % 700000;

		if (len > SOURCE_BYTES - at || count == 63)
			len = SOURCE_BYTES - at;
		jobs[count] = (struct hs_copy_job){ .remote = (uintptr_t)source + at,
						    .local = copy + at, .len = len, .tag = count };
		at += len;
		count++;
	}
	CHECK_EQ(hs_copy_pool_start(&pool), 0);
	for (int batch = 0; batch < 3; batch++) {
		memset(copy, 0xAA, SOURCE_BYTES);
		hs_copy_pool_run(&pool, getpid(), jobs, count, 0, batch != 1);
		for (size_t i = 0; i < count; i++) {
			CHECK_EQ(jobs[i].err, 0);
			CHECK_EQ(jobs[i].unreadable_bytes, 0);
			CHECK_EQ(jobs[i].tag, i);
		}
		CHECK(memcmp(source, copy, SOURCE_BYTES) == 0);
	}
	hs_copy_pool_stop(&pool);
	free(source);
	free(copy);
}

static void test_unreadable_page_is_zeros(void)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *source = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char copy[3 * 4096];
	struct hs_copy_job job;
	struct hs_copy_pool pool;

	CHECK(source != MAP_FAILED && page == 4096);
	memset(source, 0x5A, 3 * page);
	CHECK_EQ(mprotect(source + page, page, PROT_NONE), 0);
	memset(copy, 0xAA, sizeof(copy));
	job = (struct hs_copy_job){ .remote = (uintptr_t)source, .local = copy, .len = 3 * page };
	CHECK_EQ(hs_copy_pool_start(&pool), 0);
	hs_copy_pool_run(&pool, getpid(), &job, 1, 0, true);
	CHECK_EQ(job.err, 0);
	CHECK_EQ(job.unreadable_bytes, (uint64_t)page);
	CHECK_EQ(copy[0], 0x5A);
	CHECK_EQ(copy[page], 0);
	CHECK_EQ(copy[2 * page - 1], 0);
	CHECK_EQ(copy[2 * page], 0x5A);
	hs_copy_pool_stop(&pool);
	munmap(source, 3 * page);
}

static void test_deadline_passed(void)
{
	static unsigned char source[8192], copy[8192];
	struct hs_copy_job jobs[4];
	struct hs_copy_pool pool;

	for (int i = 0; i < 4; i++)
		jobs[i] = (struct hs_copy_job){ .remote = (uintptr_t)source + 2048 * i,
						.local = copy + 2048 * i, .len = 2048 };
	CHECK_EQ(hs_copy_pool_start(&pool), 0);
	hs_copy_pool_run(&pool, getpid(), jobs, 4, hs_copy_now_ms() - 1, true);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(jobs[i].err, -ETIMEDOUT);
	hs_copy_pool_stop(&pool);
}

int main(void)
{
	TEST(test_jobs_copied_exactly);
	TEST(test_unreadable_page_is_zeros);
	TEST(test_deadline_passed);
	return check_summary();
}
