// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_maps.c - the /proc/PID/maps parser (user/target/maps.c) on sample text:
 * files, anonymous memory, [vdso], paths with spaces, deleted files,
 * malformed lines; lookups by address; and the real /proc/self/maps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "target/maps.h"

static const char sample[] =
	"555555554000-555555556000 r--p 00000000 fe:00 247134                     /usr/bin/cat\n"
	"555555556000-55555555b000 r-xp 00002000 fe:00 247134                     /usr/bin/cat\n"
	"7f5590d58000-7f5590e1c000 rw-p 00000000 00:00 0 \n"
	"7f5590ea2000-7f5590ff8000 r-xp 00026000 fe:00 332835                     "
	"/usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f5591051000-7f559105e000 rw-p 00000000 00:00 0\n"
	"7f5591100000-7f5591101000 r-xp 00001000 08:01 99                         "
	"/opt/My App/lib with spaces.so\n"
	"7f5591200000-7f5591201000 r-xp 00000000 08:01 100                        "
	"/tmp/libgone.so (deleted)\n"
	"7ffd5e5f0000-7ffd5e5f2000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]";

static const struct hs_mapping *find(const struct hs_maps *maps, uint64_t addr)
{
	return hs_maps_find(maps, addr);
}

static void test_parse_sample(void)
{
	struct hs_maps maps;
	const struct hs_mapping *m;

	CHECK_EQ(hs_maps_parse(sample, &maps), 0);
	CHECK_EQ(maps.count, 9);
	if (maps.count != 9)
		goto out;

	m = &maps.items[1];
	CHECK_EQ(m->start, 0x555555556000);
	CHECK_EQ(m->end, 0x55555555b000);
	CHECK_EQ(m->file_offset, 0x2000);
	CHECK_EQ(m->dev_major, 0xfe);
	CHECK_EQ(m->dev_minor, 0);
	CHECK_EQ(m->inode, 247134);
	CHECK(m->executable);
	CHECK(strcmp(m->path, "/usr/bin/cat") == 0);
	CHECK(hs_mapping_is_file(m));
	CHECK(!maps.items[0].executable);

	/* Anonymous memory, with and without the kernel's trailing space: no path,
	 * in particular not the next line's text. */
	CHECK(strcmp(maps.items[2].path, "") == 0);
	CHECK(strcmp(maps.items[4].path, "") == 0);
	CHECK(!hs_mapping_is_file(&maps.items[2]));

	CHECK(strcmp(maps.items[5].path, "/opt/My App/lib with spaces.so") == 0);
	CHECK_EQ(maps.items[5].dev_major, 8);
	CHECK_EQ(maps.items[5].dev_minor, 1);
	CHECK(hs_mapping_is_file(&maps.items[5]));

	/* A deleted file keeps the kernel's marker; it is still opened by its mapping. */
	CHECK(strcmp(maps.items[6].path, "/tmp/libgone.so (deleted)") == 0);
	CHECK(hs_mapping_is_file(&maps.items[6]));

	CHECK(strcmp(maps.items[7].path, "[vdso]") == 0);
	CHECK(maps.items[7].executable);
	CHECK(!hs_mapping_is_file(&maps.items[7]));
	CHECK(strcmp(maps.items[8].path, "[vsyscall]") == 0); /* last line, no newline */
out:
	hs_maps_free(&maps);
	CHECK(maps.items == NULL && maps.count == 0);
}

static void test_find(void)
{
	struct hs_maps maps;

	CHECK_EQ(hs_maps_parse(sample, &maps), 0);
	CHECK(find(&maps, 0x555555554000) == &maps.items[0]); /* first byte */
	CHECK(find(&maps, 0x555555555fff) == &maps.items[0]); /* last byte */
	CHECK(find(&maps, 0x555555556000) == &maps.items[1]); /* end is exclusive */
	CHECK(find(&maps, 0x7f5590ea2000 + 0x1234) == &maps.items[3]);
	CHECK(find(&maps, 0x7ffd5e5f1000) == &maps.items[7]);
	CHECK(find(&maps, 0xffffffffff600fff) == &maps.items[8]);
	CHECK(find(&maps, 0) == NULL);
	CHECK(find(&maps, 0x55555555b000) == NULL); /* gap */
	CHECK(find(&maps, 0x7f5591101000) == NULL);
	CHECK(find(&maps, ~0ULL) == NULL);
	hs_maps_free(&maps);
}

static void test_malformed_lines_skipped(void)
{
	static const char text[] =
		"\n"
		"garbage\n"
		"1000-2000\n"					    /* cut short */
		"2000-1000 r-xp 00000000 08:01 5 /lib/backwards.so\n" /* start >= end */
		"3000-3000 r-xp 00000000 08:01 5 /lib/empty.so\n"
		"zz00-4000 r-xp 00000000 08:01 5 /lib/nothex.so\n"
		"5000-6000 r-xp 00000000 08:01\n" /* no inode */
		"7000-8000 r-xp 00000000 08:01 6 /lib/good.so\n"
		"9000-a000 rwxp 00000000 08:01 7";
	struct hs_maps maps;

	CHECK_EQ(hs_maps_parse(text, &maps), 0);
	CHECK_EQ(maps.count, 2);
	if (maps.count == 2) {
		CHECK(strcmp(maps.items[0].path, "/lib/good.so") == 0);
		CHECK_EQ(maps.items[1].inode, 7);
		CHECK(strcmp(maps.items[1].path, "") == 0);
	}
	hs_maps_free(&maps);

	CHECK_EQ(hs_maps_parse("", &maps), 0);
	CHECK_EQ(maps.count, 0);
	CHECK(find(&maps, 0x1000) == NULL);
	hs_maps_free(&maps);
}

/* A path longer than HS_PATH_MAX is cut, not overflowed. */
static void test_long_path_truncated(void)
{
	size_t long_len = 3 * HS_PATH_MAX;
	char *text = malloc(long_len + 200);
	struct hs_maps maps;
	int at = sprintf(text, "1000-2000 r-xp 00000000 08:01 5 /");

	memset(text + at, 'a', long_len);
	strcpy(text + at + long_len, "\n3000-4000 r-xp 00000000 08:01 6 /lib/next.so\n");
	CHECK_EQ(hs_maps_parse(text, &maps), 0);
	CHECK_EQ(maps.count, 2);
	if (maps.count == 2) {
		CHECK_EQ(strlen(maps.items[0].path), HS_PATH_MAX - 1);
		CHECK(strcmp(maps.items[1].path, "/lib/next.so") == 0);
	}
	hs_maps_free(&maps);
	free(text);
}

/* More lines than the initial capacity. */
static void test_many_lines(void)
{
	enum { N = 1000 };
	char *text = malloc(N * 64), *at = text;
	struct hs_maps maps;
	size_t wrong = 0;

	for (int i = 0; i < N; i++)
		at += sprintf(at, "%x-%x r--p 00000000 00:00 0\n", (i + 1) * 0x1000, (i + 1) * 0x1000 + 0x800);
	CHECK_EQ(hs_maps_parse(text, &maps), 0);
	CHECK_EQ(maps.count, N);
	for (int i = 0; i < N && maps.count == N; i++) {
		wrong += find(&maps, (i + 1) * 0x1000 + 0x7ff) != &maps.items[i];
		wrong += find(&maps, (i + 1) * 0x1000 + 0x800) != NULL;
	}
	CHECK_EQ(wrong, 0);
	hs_maps_free(&maps);
	free(text);
}

/* The real thing: this process's code and an anonymous mapping of our own. */
static void test_read_self(void)
{
	struct hs_maps maps;
	void *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const struct hs_mapping *m;

	CHECK(anon != MAP_FAILED);
	CHECK_EQ(hs_maps_read(getpid(), &maps), 0);
	m = find(&maps, (uint64_t)(uintptr_t)&test_read_self);
	CHECK(m != NULL);
	if (m) {
		char exe[HS_PATH_MAX] = "";
		ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		CHECK(len > 0);
		CHECK(m->executable);
		CHECK(strcmp(m->path, exe) == 0);
		CHECK(hs_mapping_is_file(m));
	}
	m = find(&maps, (uint64_t)(uintptr_t)anon);
	CHECK(m != NULL);
	if (m)
		CHECK(!hs_mapping_is_file(m));
	hs_maps_free(&maps);
	CHECK_EQ(hs_maps_read(0x3fffffff, &maps), -ENOENT); /* no such process */
	munmap(anon, 4096);
}

int main(void)
{
	TEST(test_parse_sample);
	TEST(test_find);
	TEST(test_malformed_lines_skipped);
	TEST(test_long_path_truncated);
	TEST(test_many_lines);
	TEST(test_read_self);
	return check_summary();
}
