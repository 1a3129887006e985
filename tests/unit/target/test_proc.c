// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_proc.c - what user/target/proc.c reads about a process, on this very
 * process: it is a target, its name, its executable, its memory and auxiliary
 * vector, and the file behind one of its mappings; and the answers for a PID
 * that does not exist.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "check.h"
#include "target/proc.h"

#define NO_SUCH_PID 0x3fffffff

static void test_self(void)
{
	char comm[16];
	uint64_t inode, phdr;
	uint32_t major_id, minor_id;
	struct stat st;
	struct hs_proc_memory mem;

	CHECK_EQ(hs_proc_check_target(getpid()), 0);
	CHECK(hs_proc_alive(getpid()));
	CHECK_EQ(hs_proc_comm(getpid(), comm, sizeof(comm)), 0);
	CHECK(strcmp(comm, "test_proc") == 0);
	CHECK_EQ(hs_proc_exe_inode(getpid(), &inode, &major_id, &minor_id), 0);
	CHECK_EQ(stat("/proc/self/exe", &st), 0);
	CHECK(inode == st.st_ino && major_id == major(st.st_dev) && minor_id == minor(st.st_dev));
	CHECK_EQ(hs_proc_auxv_value(getpid(), AT_PHDR, &phdr), 0);
	CHECK(phdr == getauxval(AT_PHDR));
	CHECK_EQ(hs_proc_memory(getpid(), &mem), 0);
	CHECK(mem.valid && mem.rss_bytes > 0);
}

/* Memory reads: all the bytes asked for, or an error. */
static void test_read_memory(void)
{
	static const char text[] = "heapscope reads this";
	char copy[sizeof(text)];

	CHECK_EQ(hs_proc_read_memory(getpid(), (uint64_t)(uintptr_t)text, copy, sizeof(copy)), 0);
	CHECK(memcmp(copy, text, sizeof(text)) == 0);
	CHECK(hs_proc_read_memory(getpid(), 0, copy, sizeof(copy)) < 0);
}

/* The file behind this executable's code mapping is this executable. */
static void test_open_object(void)
{
	struct hs_maps maps;
	const struct hs_mapping *map;
	struct stat opened;
	int fd;

	CHECK_EQ(hs_maps_read(getpid(), &maps), 0);
	map = hs_maps_find(&maps, (uint64_t)(uintptr_t)test_open_object);
	CHECK(map != NULL);
	if (!map) {
		hs_maps_free(&maps);
		return;
	}
	fd = hs_proc_open_object(getpid(), map);
	CHECK(fd >= 0);
	CHECK(fd >= 0 && fstat(fd, &opened) == 0 && opened.st_ino == map->inode);
	if (fd >= 0)
		close(fd);
	CHECK(hs_proc_open_object(NO_SUCH_PID, map) < 0);
	hs_maps_free(&maps);
}

static void test_no_such_process(void)
{
	char comm[16];
	struct hs_proc_memory mem;

	CHECK_EQ(hs_proc_check_target(NO_SUCH_PID), -ESRCH);
	CHECK_EQ(hs_proc_check_target(0), -ESRCH);
	CHECK(!hs_proc_alive(NO_SUCH_PID));
	CHECK_EQ(hs_proc_comm(NO_SUCH_PID, comm, sizeof(comm)), -ENOENT);
	CHECK(hs_proc_memory(NO_SUCH_PID, &mem) < 0);
}

int main(void)
{
	TEST(test_self);
	TEST(test_read_memory);
	TEST(test_open_object);
	TEST(test_no_such_process);
	return check_summary();
}
