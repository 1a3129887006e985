/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * check.h - the unit tests' harness: CHECK(cond) and CHECK_EQ(a, b) record a
 * failure with its line and go on; TEST(fn) runs one test function; each test
 * binary ends with check_summary(), which prints "N passed, N failed" for the
 * binary and returns its exit code.  Also: a fixed-seed random sequence and
 * the path of fixtures built beside the test binary.
 */
#ifndef HEAPSCOPE_TEST_CHECK_H
#define HEAPSCOPE_TEST_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int check_failures, checks_run, tests_passed, tests_failed;

#define CHECK(cond)                                                                  \
	do {                                                                         \
		checks_run++;                                                        \
		if (!(cond)) {                                                       \
			check_failures++;                                            \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, \
				#cond);                                              \
		}                                                                    \
	} while (0)

#define CHECK_EQ(actual, expected)                                                       \
	do {                                                                             \
		unsigned long long a_ = (unsigned long long)(actual);                    \
		unsigned long long e_ = (unsigned long long)(expected);                  \
		checks_run++;                                                            \
		if (a_ != e_) {                                                          \
			check_failures++;                                                \
			fprintf(stderr, "  %s:%d: %s == %llu, expected %s == %llu\n", __FILE__, \
				__LINE__, #actual, a_, #expected, e_);                    \
		}                                                                        \
	} while (0)

#define TEST(fn)                                                       \
	do {                                                           \
		int before_ = check_failures;                          \
		fn();                                                  \
		if (check_failures == before_) {                       \
			tests_passed++;                                \
		} else {                                               \
			tests_failed++;                                \
			fprintf(stderr, "  test %s failed\n", #fn);    \
		}                                                      \
	} while (0)

/* A fixed-seed pseudo-random sequence (64-bit LCG, high bits): random tests
 * are the same on every run. */
static inline uint64_t check_random(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return *state >> 33;
}

/* Path of a fixture built beside this test binary (tests/tests.mk). */
static inline int check_fixture_path(char *out, size_t len, const char *name)
{
	char exe[4096];
	ssize_t exe_len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (exe_len <= 0)
		return -1;
	exe[exe_len] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	return snprintf(out, len, "%s/%s", exe, name) < (int)len ? 0 : -1;
}

static inline int check_summary(void)
{
	printf("  %d checks; %d passed, %d failed\n", checks_run, tests_passed, tests_failed);
	return tests_failed ? 1 : 0;
}

#endif
