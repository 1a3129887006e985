// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_errors.c - the error wording (user/cli/errors.c): every line is
 * "heapscope: WHAT: WHY", a process gone and missing privileges are said in the
 * user's words, a bad command line points at the right --help and gives exit
 * status 2, an output that cannot be written is named (stdout when no path).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli/errors.h"

static char said[512];

/* Run CALL with stderr going to a file, and keep what it wrote in said. */
#define STDERR_OF(call)                                                           \
	do {                                                                      \
		FILE *capture = tmpfile();                                        \
		int saved = dup(STDERR_FILENO);                                   \
		size_t len;                                                       \
									  \
		fflush(stderr);                                                   \
		dup2(fileno(capture), STDERR_FILENO);                             \
		call;                                                             \
		fflush(stderr);                                                   \
		dup2(saved, STDERR_FILENO);                                       \
		close(saved);                                                     \
		rewind(capture);                                                  \
		len = fread(said, 1, sizeof(said) - 1, capture);                  \
		said[len] = '\0';                                                 \
		fclose(capture);                                                  \
	} while (0)

static void test_fail_is_one_line(void)
{
	STDERR_OF(hs_fail("cannot attach to PID %d: %s", 4242, hs_reason(-ESRCH)));
	CHECK(strcmp(said, "heapscope: cannot attach to PID 4242: no such process\n") == 0);
}

static void test_reasons(void)
{
	CHECK(strcmp(hs_reason(-ESRCH), "no such process") == 0);
	/* The words depend on this process's capabilities (cli/privilege.c); they always
	 * start the same and name the set heapscope needs. */
	CHECK(strncmp(hs_reason(-EPERM), "permission denied", strlen("permission denied")) == 0);
	CHECK(strstr(hs_reason(-EPERM), "CAP_SYS_ADMIN") != NULL);
	CHECK(strcmp(hs_reason(-EACCES), hs_reason(-EPERM)) == 0);
	CHECK(strcmp(hs_reason(-ENOENT), strerror(ENOENT)) == 0);
}

static void test_usage_errors(void)
{
	int status = 0;

	STDERR_OF(status = hs_fail_usage(NULL, "unknown option '-x'"));
	CHECK_EQ(status, 2);
	CHECK(strcmp(said, "heapscope: unknown option '-x' (see heapscope --help)\n") == 0);
	STDERR_OF(status = hs_fail_usage("diff", "expected two folded files, OLD and NEW"));
	CHECK_EQ(status, 2);
	CHECK(strcmp(said, "heapscope: diff: expected two folded files, OLD and NEW (see heapscope "
			   "diff --help)\n") == 0);
}

static void test_write_errors(void)
{
	STDERR_OF(hs_fail_write("/x/heap.svg", -ENOENT));
	CHECK(strcmp(said, "heapscope: cannot write /x/heap.svg: No such file or "
			   "directory\n") == 0);
	STDERR_OF(hs_fail_write(NULL, -EPIPE));
	CHECK(strcmp(said, "heapscope: cannot write stdout: Broken pipe\n") == 0);
}

int main(void)
{
	TEST(test_fail_is_one_line);
	TEST(test_reasons);
	TEST(test_usage_errors);
	TEST(test_write_errors);
	return check_summary();
}
