// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_output.c - atomic output files (user/lib/output.c): a commit renames the
 * finished temporary file over the path, an abort leaves nothing (and leaves
 * an older file alone), a missing directory fails cleanly, and is caught by the
 * check made before a session starts; "-" is stdout.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "lib/output.h"

static char dir[] = "/tmp/heapscope-test-output.XXXXXX";

static size_t entries_in(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static char *contents(const char *path)
{
	static char text[256];
	FILE *f = fopen(path, "r");
	size_t len;

	if (!f)
		return NULL;
	len = fread(text, 1, sizeof(text) - 1, f);
	text[len] = '\0';
	fclose(f);
	return text;
}

static void in_dir(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static void test_commit_renames(void)
{
	struct hs_output out;
	char path[256];
	struct stat st;

	in_dir(path, sizeof(path), "heap.folded");
	CHECK_EQ(hs_output_open(&out, path), 0);
	fprintf(out.file, "main;leak 42\n");
	CHECK(access(path, F_OK) != 0); /* nothing at the path until the commit */
	CHECK_EQ(entries_in(dir), 1);	/* the temporary file */
	CHECK_EQ(hs_output_commit(&out), 0);
	CHECK(contents(path) && strcmp(contents(path), "main;leak 42\n") == 0);
	CHECK_EQ(entries_in(dir), 1); /* no temporary file left */
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);

	/* A second session replaces the file whole. */
	CHECK_EQ(hs_output_open(&out, path), 0);
	fprintf(out.file, "main;other 7\n");
	CHECK(strcmp(contents(path), "main;leak 42\n") == 0); /* readers still see the old one */
	CHECK_EQ(hs_output_commit(&out), 0);
	CHECK(strcmp(contents(path), "main;other 7\n") == 0);
	CHECK_EQ(entries_in(dir), 1);
	unlink(path);
}

static void test_abort_leaves_nothing(void)
{
	struct hs_output out;
	char path[256], old[256];

	in_dir(path, sizeof(path), "aborted.folded");
	CHECK_EQ(hs_output_open(&out, path), 0);
	fprintf(out.file, "half a profile");
	hs_output_abort(&out);
	CHECK(access(path, F_OK) != 0);
	CHECK_EQ(entries_in(dir), 0);
	CHECK(out.file == NULL && out.temp_path == NULL && out.final_path == NULL);

	/* An abort leaves an older file at the path as it was. */
	in_dir(old, sizeof(old), "old.folded");
	CHECK_EQ(hs_output_open(&out, old), 0);
	fprintf(out.file, "old 1\n");
	CHECK_EQ(hs_output_commit(&out), 0);
	CHECK_EQ(hs_output_open(&out, old), 0);
	fprintf(out.file, "new 2\n");
	hs_output_abort(&out);
	CHECK(strcmp(contents(old), "old 1\n") == 0);
	CHECK_EQ(entries_in(dir), 1);
	unlink(old);
}

static void test_missing_directory_fails_cleanly(void)
{
	struct hs_output out;
	char path[256], missing[256];

	in_dir(missing, sizeof(missing), "no-such-dir");
	in_dir(path, sizeof(path), "no-such-dir/heap.folded");
	CHECK_EQ(hs_output_open(&out, path), -ENOENT);
	CHECK(out.file == NULL && out.temp_path == NULL && out.final_path == NULL);
	CHECK(access(missing, F_OK) != 0);
	CHECK_EQ(entries_in(dir), 0);
}

/* The output's directory vanishing during the session: the commit fails and
 * reports it. */
static void test_commit_into_removed_directory_fails(void)
{
	struct hs_output out;
	char sub[256], path[300];

	in_dir(sub, sizeof(sub), "sub");
	snprintf(path, sizeof(path), "%s/heap.folded", sub);
	CHECK_EQ(mkdir(sub, 0755), 0);
	CHECK_EQ(hs_output_open(&out, path), 0);
	fprintf(out.file, "main 1\n");
	unlink(out.temp_path);
	CHECK_EQ(rmdir(sub), 0);
	CHECK_EQ(hs_output_commit(&out), -ENOENT);
	CHECK(out.file == NULL && out.temp_path == NULL);
	CHECK_EQ(entries_in(dir), 0);
}

/* Checked before a session starts, so a typo in -o does not cost the session. */
static void test_check_before_session(void)
{
	char path[256];

	in_dir(path, sizeof(path), "heap.folded");
	CHECK_EQ(hs_output_check(path), 0);
	in_dir(path, sizeof(path), "no-such-dir/heap.folded");
	CHECK_EQ(hs_output_check(path), -ENOENT);
	CHECK_EQ(hs_output_check("relative.folded"), 0); /* the current directory */
	CHECK_EQ(hs_output_check("-"), 0);
	CHECK_EQ(hs_output_check(NULL), 0);
	CHECK_EQ(entries_in(dir), 0); /* checking writes nothing */
}

static void test_stdout(void)
{
	struct hs_output out;

	CHECK_EQ(hs_output_open(&out, NULL), 0);
	CHECK(out.file == stdout && out.final_path == NULL);
	CHECK_EQ(hs_output_commit(&out), 0);
	CHECK_EQ(hs_output_open(&out, "-"), 0);
	CHECK(out.file == stdout);
	hs_output_abort(&out); /* must not close stdout */
	CHECK(fflush(stdout) == 0);
	CHECK_EQ(entries_in(dir), 0);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	TEST(test_commit_renames);
	TEST(test_abort_leaves_nothing);
	TEST(test_missing_directory_fails_cleanly);
	TEST(test_commit_into_removed_directory_fails);
	TEST(test_check_before_session);
	TEST(test_stdout);
	rmdir(dir);
	return check_summary();
}
