// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_proc.c - what user/target/proc.c reads about a process, on this very
 * process: it is a target, its name, its executable, its memory and auxiliary
 * vector, and the file behind one of its mappings; and the answers for a PID
 * that does not exist.  Opening a path inside a root (hs_open_in_root) is
 * tried on a temporary directory standing for a container's root, holding what
 * a hostile container could plant: symlinks out of it, "..", a FIFO, a device,
 * a huge file.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
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

/* What fd holds (at most len - 1 bytes), as a string. */
static const char *read_back(int fd, char *out, size_t len)
{
	ssize_t got = fd >= 0 ? pread(fd, out, len - 1, 0) : -1;

	out[got > 0 ? got : 0] = '\0';
	return out;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	if (fd >= 0)
		close(fd);
}

static void plant(const char *root, const char *name, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	CHECK_EQ(symlink(target, path), 0);
}

/* Nothing a fake root holds makes hs_open_in_root open a file outside it. */
static void test_open_in_root(void)
{
	char root[] = "/tmp/heapscope-test-root.XXXXXX", host[] = "/tmp/heapscope-test-host.XXXXXX";
	char path[512], text[64];
	int root_fd, fd;

	CHECK(mkdtemp(root) != NULL && mkdtemp(host) != NULL);
	write_file(host, "secret", "host secret");
	write_file(root, "inside", "inside the root");
	root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(root_fd >= 0);

	/* A regular file inside, by absolute and relative path, and by ".." that stops at the root. */
	fd = hs_open_in_root(root_fd, "/inside", 1024);
	CHECK(strcmp(read_back(fd, text, sizeof(text)), "inside the root") == 0);
	close(fd);
	fd = hs_open_in_root(root_fd, "../../../inside", 1024);
	CHECK(strcmp(read_back(fd, text, sizeof(text)), "inside the root") == 0);
	close(fd);

	/* Absolute symlinks lead to the root's own files, never the host's. */
	plant(root, "to-inside", "/inside");
	fd = hs_open_in_root(root_fd, "/to-inside", 1024);
	CHECK(strcmp(read_back(fd, text, sizeof(text)), "inside the root") == 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/secret", host);
	plant(root, "absolute", path);
	CHECK_EQ(hs_open_in_root(root_fd, "/absolute", 1024), -ENOENT);
	snprintf(path, sizeof(path), "../../../../../../../../%s/secret", host);
	plant(root, "relative", path);
	CHECK_EQ(hs_open_in_root(root_fd, "/relative", 1024), -ENOENT);
	snprintf(path, sizeof(path), "/../../../%s/secret", host);
	CHECK_EQ(hs_open_in_root(root_fd, path, 1024), -ENOENT);
	plant(root, "loop", "/loop");
	CHECK_EQ(hs_open_in_root(root_fd, "/loop", 1024), -ELOOP);

	/* A FIFO is refused without blocking, a directory and a device too. */
	snprintf(path, sizeof(path), "%s/fifo", root);
	CHECK_EQ(mkfifo(path, 0600), 0);
	CHECK_EQ(hs_open_in_root(root_fd, "/fifo", 1024), -EINVAL);
	CHECK_EQ(hs_open_in_root(root_fd, "/", 1024), -EINVAL);
	snprintf(path, sizeof(path), "%s/null", root);
	if (mknod(path, S_IFCHR | 0666, makedev(1, 3)) == 0)
		CHECK_EQ(hs_open_in_root(root_fd, "/null", 1024), -EINVAL);
	else
		CHECK_EQ(errno, EPERM); /* not root: no device to plant */

	/* A file over the bound is refused; one at the bound is not. */
	snprintf(path, sizeof(path), "%s/huge", root);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK(fd >= 0 && ftruncate(fd, 4096) == 0);
	close(fd);
	CHECK_EQ(hs_open_in_root(root_fd, "/huge", 4095), -EFBIG);
	fd = hs_open_in_root(root_fd, "/huge", 4096);
	CHECK(fd >= 0);
	close(fd);

	/* Magic links (/proc/PID/root and the like) are refused, even in the real root. */
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/self/root%s/inside", root);
	CHECK_EQ(hs_open_in_root(fd, path, 1024), -ELOOP);
	close(fd);

	/* From a process's own root, the path is its own. */
	snprintf(path, sizeof(path), "%s/inside", root);
	fd = hs_proc_open_in_root(getpid(), path, 1024);
	CHECK(strcmp(read_back(fd, text, sizeof(text)), "inside the root") == 0);
	close(fd);
	CHECK_EQ(hs_proc_open_in_root(NO_SUCH_PID, path, 1024), -ESRCH);

	/* Refusals are told apart from files that are simply not there. */
	CHECK(hs_open_refusal(-EINVAL) && hs_open_refusal(-EFBIG) && hs_open_refusal(-ELOOP));
	CHECK(!hs_open_refusal(-ENOENT) && !hs_open_refusal(-EACCES));

	close(root_fd);
	static const char *const names[] = { "inside", "to-inside", "absolute", "relative", "loop",
					     "fifo", "null", "huge" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/secret", host);
	unlink(path);
	CHECK_EQ(rmdir(root), 0);
	CHECK_EQ(rmdir(host), 0);
}

/* Make openat2 fail with ENOSYS in this process, as on a kernel before 5.6 (x86-64 numbers). */
static int deny_openat2(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(filter) / sizeof(filter[0]), .filter = filter };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return -errno;
	return 0;
}

/* Without openat2 no path in a root is opened, but a mapped file still is, by map_files. */
static void test_without_openat2(void)
{
	int status = -1;
	pid_t child = fork();

	if (child == 0) {
		struct hs_maps maps;
		const struct hs_mapping *map;
		int fd;

		CHECK_EQ(deny_openat2(), 0);
		CHECK_EQ(hs_proc_open_in_root(getpid(), "/proc/self/exe", 1 << 30), -ENOSYS);
		CHECK(hs_open_refusal(-ENOSYS) != NULL);
		CHECK_EQ(hs_maps_read(getpid(), &maps), 0);
		map = hs_maps_find(&maps, (uint64_t)(uintptr_t)test_without_openat2);
		fd = map ? hs_proc_open_object(getpid(), map) : -1;
		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
		hs_maps_free(&maps);
		_exit(check_failures ? 1 : 0);
	}
	CHECK(child > 0 && waitpid(child, &status, 0) == child);
	CHECK_EQ(status, 0);
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
	TEST(test_open_in_root);
	TEST(test_without_openat2);
	TEST(test_no_such_process);
	return check_summary();
}
