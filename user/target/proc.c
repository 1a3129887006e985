// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * proc.c - what heapscope reads about a target from /proc, beyond its maps:
 * whether it is a profilable process, its name, its executable, its memory
 * counters and bytes, its auxiliary vector, and how to open the files mapped
 * into it.
 *
 * Files are opened through /proc/PID/map_files first, then /proc/PID/root:
 * both reach the object the target really mapped, in its own mount namespace,
 * even when the path was deleted or replaced on disk since.
 *
 * A target's files belong to whoever owns it, and heapscope runs as root: a
 * path under /proc/PID/root is walked by the kernel against heapscope's root,
 * so an absolute symlink planted in a container ("x.debug -> /etc/shadow")
 * or enough ".." would lead onto the host.  Every path a target names is
 * therefore opened by hs_open_in_root: openat2(RESOLVE_IN_ROOT) from its
 * root, so "/" and ".." stop at that root as they do for the target itself,
 * and RESOLVE_NO_MAGICLINKS, so no /proc/.../root or fd link jumps out.  Only
 * regular files are opened for reading, up to a size bound: the path is
 * opened O_PATH first and checked, so a FIFO or device is never opened at
 * all.  Without openat2 (Linux < 5.6) only map_files (the kernel's own link
 * to the mapped file) is used, and paths are refused with -ENOSYS.
 *
 * Owns nothing across calls: every function reads /proc at once and returns.
 * Does not own: the maps parser (maps.c), which file is open for the session
 * (objects.c).
 */
#include "target/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/file.h"

/* How often a path is walked again when a rename raced with its ".." (openat2's -EAGAIN). */
#define OPEN_IN_ROOT_ATTEMPTS 4

/*
 * 0 when PID is a live user-space process heapscope may profile; otherwise
 * -ESRCH (no such process), -ECHILD (a zombie: exited, not yet reaped),
 * -EPERM/-EACCES (not readable), or -EINVAL (a kernel thread: nothing to probe).
 */
int hs_proc_check_target(pid_t pid)
{
	char path[64], *stat, *state;
	int err;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	err = hs_read_file(path, &stat, NULL);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	state = strrchr(stat, ')');
	err = state && (state[2] == 'Z' || state[2] == 'X') ? -ECHILD : 0;
	free(stat);
	if (err)
		return err;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	/* AT_EACCESS: with our effective capabilities; access() drops them for a user other
	 * than root, so CAP_SYS_PTRACE given to heapscope (setcap, capsh) would not count. */
	if (faccessat(AT_FDCWD, path, F_OK, AT_EACCESS) != 0) {
		/* Kernel threads have no executable; a process we may not inspect says EACCES. */
		if (errno == ENOENT)
			return hs_proc_alive(pid) ? -EINVAL : -ESRCH;
		return -errno;
	}
	return 0;
}

int hs_proc_comm(pid_t pid, char *comm, size_t len)
{
	char path[64], *text;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	err = hs_read_file(path, &text, NULL);
	if (err)
		return err;
	text[strcspn(text, "\n")] = '\0';
	snprintf(comm, len, "%s", text);
	free(text);
	return 0;
}

/* Alive = exists and is not a zombie: a zombie's probes can never fire again. */
bool hs_proc_alive(pid_t pid)
{
	char path[64], *stat, *state;
	bool alive;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (hs_read_file(path, &stat, NULL))
		return false;
	state = strrchr(stat, ')');
	alive = state && state[1] && state[2] != 'Z' && state[2] != 'X';
	free(stat);
	return alive;
}

/*
 * A path, usable from here while the mapping exists, to the very file mapped:
 * /proc/PID/map_files/START-END.  Not the path in maps: that one is resolved
 * against heapscope's root, and for a target in a chroot or another mount
 * namespace it can name another file, or none, from here.
 */
void hs_proc_object_path(pid_t pid, const struct hs_mapping *map, char *out, size_t len)
{
	snprintf(out, len, "/proc/%d/map_files/%llx-%llx", pid, (unsigned long long)map->start,
		 (unsigned long long)map->end);
}

/*
 * Open for reading the file an O_PATH descriptor names, if it is a regular file of at
 * most max_bytes: through /proc/self/fd, which reopens that very inode, so what was
 * checked is what is opened.  The fd, -EINVAL (not a regular file), -EFBIG, or -errno.
 */
static int reopen_regular(int path_fd, uint64_t max_bytes)
{
	char self[64];
	struct stat st;
	int fd;

	if (fstat(path_fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > max_bytes)
		return -EFBIG;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", path_fd);
	fd = open(self, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* Again on the open file: it may have grown since the first look. */
	if (fstat(fd, &st) || (uint64_t)st.st_size > max_bytes) {
		close(fd);
		return -EFBIG;
	}
	return fd;
}

/*
 * Open PATH as seen from the directory root_fd taken as "/": absolute symlinks and ".."
 * never leave it, magic links (/proc/PID/root, /proc/PID/fd/N) are refused.  Relative
 * paths start at root_fd too.  A regular file of at most max_bytes, opened read-only:
 * its fd, or -ENOENT and the like, -ELOOP (a magic link, or a symlink loop), -EINVAL
 * (not a regular file: a FIFO, device or directory is never opened for reading),
 * -EFBIG (larger than max_bytes), -ENOSYS (the kernel has no openat2).
 */
int hs_open_in_root(int root_fd, const char *path, uint64_t max_bytes)
{
#ifdef SYS_openat2
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long path_fd = -1;
	int fd;

	for (int attempt = 0; attempt < OPEN_IN_ROOT_ATTEMPTS; attempt++) {
		path_fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
		if (path_fd >= 0 || errno != EAGAIN)
			break;
	}
	if (path_fd < 0)
		return -errno;
	fd = reopen_regular((int)path_fd, max_bytes);
	close((int)path_fd);
	return fd;
#else
	(void)root_fd;
	(void)path;
	(void)max_bytes;
	return -ENOSYS;
#endif
}

/* PID's root directory (O_PATH), to open paths in with hs_open_in_root; -errno. */
int hs_proc_open_root(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/*
 * Open PATH as the target PID sees it, never leaving its root: hs_open_in_root from
 * /proc/PID/root.  For anything a target names (a debug file, a perf map); the errors
 * are hs_open_in_root's, or -ESRCH when PID is gone.
 */
int hs_proc_open_in_root(pid_t pid, const char *path, uint64_t max_bytes)
{
	int root_fd = hs_proc_open_root(pid), fd;

	if (root_fd < 0)
		return root_fd == -ENOENT ? -ESRCH : root_fd;
	fd = hs_open_in_root(root_fd, path, max_bytes);
	close(root_fd);
	return fd;
}

/*
 * Why a file was refused, for the session's note, when err (from hs_open_in_root) is a
 * refusal rather than a file that is simply not there; NULL otherwise.
 */
const char *hs_open_refusal(int err)
{
	switch (err) {
	case -EINVAL:
		return "not a regular file";
	case -EFBIG:
		return "larger than heapscope reads (4 GiB for an ELF file)";
	case -ELOOP:
		return "a /proc magic link or a symlink loop";
	case -EXDEV:
		return "leads out of the target's root";
	case -ENOSYS:
		return "the kernel has no openat2: only /proc/PID/map_files is opened";
	default:
		return NULL;
	}
}

/*
 * Open the file behind a mapping as the target sees it: its map_files link (the
 * kernel's, to the very file mapped), else its path inside the target's root.  A
 * regular file of at most HS_TARGET_FILE_MAX_BYTES; -errno as hs_open_in_root.
 */
int hs_proc_open_object(pid_t pid, const struct hs_mapping *map)
{
	char path[96];
	int path_fd, fd;

	hs_proc_object_path(pid, map, path, sizeof(path));
	path_fd = open(path, O_PATH | O_CLOEXEC);
	if (path_fd >= 0) {
		/* What is mapped is the file: refused here, it is refused by any path. */
		fd = reopen_regular(path_fd, HS_TARGET_FILE_MAX_BYTES);
		close(path_fd);
		return fd;
	}
	return hs_proc_open_in_root(pid, map->path, HS_TARGET_FILE_MAX_BYTES);
}

int hs_proc_exe_inode(pid_t pid, uint64_t *inode, uint32_t *dev_major, uint32_t *dev_minor)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (stat(path, &st))
		return -errno;
	*inode = st.st_ino;
	*dev_major = major(st.st_dev);
	*dev_minor = minor(st.st_dev);
	return 0;
}

/* The line after this one, or "" at the end of the text. */
static const char *next_line(const char *line)
{
	const char *newline = strchr(line, '\n');

	return newline ? newline + 1 : "";
}

/* The value of "KEY:   1234 kB" in status-like text, in bytes; false when absent. */
bool hs_proc_field_bytes(const char *text, const char *key, uint64_t *bytes)
{
	size_t key_len = strlen(key);

	for (const char *line = text; *line; line = next_line(line)) {
		if (strncmp(line, key, key_len) == 0 && line[key_len] == ':') {
			*bytes = strtoull(line + key_len + 1, NULL, 10) * 1024;
			return true;
		}
	}
	return false;
}

/*
 * RSS and anonymous memory come from smaps_rollup, which walks the page
 * tables (exact, cost grows with the target's size); /proc/PID/status has the
 * same counters without the walk but, before Linux 6.16, only approximately
 * (per-CPU batches not summed), so it is the fallback for kernels without
 * smaps_rollup (< 4.14).  -errno when the process cannot be read.
 */
int hs_proc_memory(pid_t pid, struct hs_proc_memory *mem)
{
	char path[64], *text;
	int err;

	memset(mem, 0, sizeof(*mem));
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	err = hs_read_file(path, &text, NULL);
	if (!err) {
		hs_proc_field_bytes(text, "Rss", &mem->rss_bytes);
		hs_proc_field_bytes(text, "Anonymous", &mem->anon_bytes);
	} else {
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		err = hs_read_file(path, &text, NULL);
		if (err)
			return err;
		hs_proc_field_bytes(text, "VmRSS", &mem->rss_bytes);
		hs_proc_field_bytes(text, "RssAnon", &mem->anon_bytes);
	}
	free(text);
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	err = hs_read_file(path, &text, NULL);
	if (err)
		return err;
	mem->heap_bytes = hs_maps_heap_bytes(text);
	free(text);
	/* A zombie's files read as empty: that is not a measurement. */
	mem->valid = mem->rss_bytes > 0;
	return mem->valid ? 0 : -ESRCH;
}

/* pread() on /proc/PID/NAME: bytes read, or -errno. */
static ssize_t read_proc_at(pid_t pid, const char *name, uint64_t offset, void *buf, size_t len)
{
	char path[64];
	ssize_t got;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = pread(fd, buf, len, (off_t)offset);
	if (got < 0)
		got = -errno;
	close(fd);
	return got;
}

/* Read len bytes of the target's memory at addr: all of them, or -EIO / -errno. */
int hs_proc_read_memory(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	ssize_t got = read_proc_at(pid, "mem", addr, buf, len);

	if (got < 0)
		return (int)got;
	return (size_t)got == len ? 0 : -EIO;
}

/* One entry of the target's ELF auxiliary vector (AT_PHDR, AT_ENTRY, ...). */
int hs_proc_auxv_value(pid_t pid, uint64_t type, uint64_t *value)
{
	uint64_t pairs[2 * 64];
	ssize_t got = read_proc_at(pid, "auxv", 0, pairs, sizeof(pairs));

	if (got < 0)
		return (int)got;
	for (size_t i = 0; i + 1 < (size_t)got / sizeof(pairs[0]) && pairs[i]; i += 2) {
		if (pairs[i] == type) {
			*value = pairs[i + 1];
			return 0;
		}
	}
	return -ENOENT;
}

/* The last NSpid of /proc/PID/status: the PID in the process's own namespace. */
pid_t hs_namespace_pid(pid_t pid)
{
	char path[64], *text, *line;
	size_t len;
	pid_t ns_pid = pid;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (hs_read_file(path, &text, &len))
		return pid;
	line = strstr(text, "\nNSpid:");
	if (line) {
		char *p = line + strlen("\nNSpid:");

		while (*p && *p != '\n') {
			char *end;
			long value = strtol(p, &end, 10);

			if (end == p)
				break;
			ns_pid = (pid_t)value;
			p = end;
		}
	}
	free(text);
	return ns_pid;
}

/* Who traces PID (TracerPid in /proc/PID/status): 0 when nobody does. */
int hs_proc_tracer(pid_t pid, pid_t *tracer)
{
	char path[64], *text, *at;
	size_t len;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	err = hs_read_file(path, &text, &len);
	if (err)
		return err;
	at = strstr(text, "\nTracerPid:");
	*tracer = at ? (pid_t)strtol(at + 11, NULL, 10) : 0;
	free(text);
	return at ? 0 : -EINVAL;
}
