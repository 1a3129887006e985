// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * procfs.c - what heapscope reads about a target from /proc: whether it is a
 * profilable process, its name, its memory mappings, and how to open the files
 * mapped into it.
 *
 * Files are opened through /proc/PID/map_files first, then /proc/PID/root:
 * both reach the object the target really mapped, in its own mount namespace,
 * even when the path was deleted or replaced on disk since.
 */
#include "target/procfs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* A whole file, NUL-terminated (len excludes the NUL; NULL if not wanted). */
int hs_read_file(const char *path, char **text, size_t *text_len)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf) {
		int err = fd < 0 ? -errno : -ENOMEM;

		free(buf);
		if (fd >= 0)
			close(fd);
		return err;
	}
	for (;;) {
		ssize_t got;

		if (len + 1 >= cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = bigger;
			cap *= 2;
		}
		got = read(fd, buf + len, cap - len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int err = -errno;

			free(buf);
			close(fd);
			return err;
		}
		if (got == 0)
			break;
		len += got;
	}
	close(fd);
	buf[len] = '\0';
	*text = buf;
	if (text_len)
		*text_len = len;
	return 0;
}

static int read_text_file(const char *path, char **text)
{
	return hs_read_file(path, text, NULL);
}

static const char *next_line(const char *line)
{
	const char *newline = strchr(line, '\n');

	return newline ? newline + 1 : "";
}

/*
 * "start-end perms offset major:minor inode   path", up to the end of the line.
 * Parsed from a bounded copy of the line: scanf's white space would otherwise
 * run on into the next line when this one has no path (anonymous memory).
 */
static int parse_line(const char *line, struct hs_mapping *map)
{
	char text[HS_PATH_MAX + 128], perms[8] = "";
	size_t len = strcspn(line, "\n");
	int path_at = 0;
	unsigned long long start, end, offset, inode;
	unsigned int major, minor;

	memset(map, 0, sizeof(*map));
	if (len >= sizeof(text))
		len = sizeof(text) - 1;
	memcpy(text, line, len);
	text[len] = '\0';
	if (sscanf(text, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &offset, &major,
		   &minor, &inode, &path_at) < 7 || start >= end)
		return -EINVAL;
	map->start = start;
	map->end = end;
	map->file_offset = offset;
	map->dev_major = major;
	map->dev_minor = minor;
	map->inode = inode;
	map->executable = perms[2] == 'x';
	if (path_at > 0)
		snprintf(map->path, sizeof(map->path), "%s", text + path_at);
	return 0;
}

int hs_maps_parse(const char *text, struct hs_maps *maps)
{
	size_t cap = 64;

	maps->count = 0;
	maps->items = calloc(cap, sizeof(*maps->items));
	if (!maps->items)
		return -ENOMEM;
	for (const char *line = text; *line; line = next_line(line)) {
		if (maps->count == cap) {
			struct hs_mapping *bigger = realloc(maps->items, 2 * cap * sizeof(*bigger));

			if (!bigger) {
				hs_maps_free(maps);
				return -ENOMEM;
			}
			maps->items = bigger;
			cap *= 2;
		}
		if (parse_line(line, &maps->items[maps->count]) == 0)
			maps->count++;
	}
	return 0;
}

int hs_maps_read(pid_t pid, struct hs_maps *maps)
{
	char path[64];
	char *text;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	err = read_text_file(path, &text);
	if (err)
		return err;
	err = hs_maps_parse(text, maps);
	free(text);
	return err;
}

void hs_maps_free(struct hs_maps *maps)
{
	free(maps->items);
	maps->items = NULL;
	maps->count = 0;
}

/* Mappings come sorted by address from the kernel: binary search. */
const struct hs_mapping *hs_maps_find(const struct hs_maps *maps, uint64_t addr)
{
	size_t lo = 0, hi = maps->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct hs_mapping *map = &maps->items[mid];

		if (addr < map->start)
			hi = mid;
		else if (addr >= map->end)
			lo = mid + 1;
		else
			return map;
	}
	return NULL;
}

bool hs_mapping_is_file(const struct hs_mapping *map)
{
	return map->inode != 0 && map->path[0] == '/';
}

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
	err = read_text_file(path, &stat);
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
	err = read_text_file(path, &text);
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
	if (read_text_file(path, &stat))
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
 * Open a regular file for reading; -errno on failure (-EINVAL: not a regular
 * file).  O_NONBLOCK: a FIFO planted where a target's file is expected opens
 * at once instead of waiting for a writer, and is then refused.
 */
int hs_open_regular_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/* Open the file behind a mapping as the target sees it; -errno on failure. */
int hs_proc_open_object(pid_t pid, const struct hs_mapping *map)
{
	char path[HS_PATH_MAX + 64];
	int fd;

	hs_proc_object_path(pid, map, path, sizeof(path));
	fd = hs_open_regular_file(path);
	if (fd >= 0)
		return fd;
	snprintf(path, sizeof(path), "/proc/%d/root%s", pid, map->path);
	return hs_open_regular_file(path);
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

/* Size of the [heap] line of maps text (the brk area glibc's main arena grows). */
uint64_t hs_maps_heap_bytes(const char *maps_text)
{
	for (const char *line = maps_text; *line; line = next_line(line)) {
		struct hs_mapping map;

		if (parse_line(line, &map) == 0 && strcmp(map.path, "[heap]") == 0)
			return map.end - map.start;
	}
	return 0;
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
	err = read_text_file(path, &text);
	if (!err) {
		hs_proc_field_bytes(text, "Rss", &mem->rss_bytes);
		hs_proc_field_bytes(text, "Anonymous", &mem->anon_bytes);
	} else {
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		err = read_text_file(path, &text);
		if (err)
			return err;
		hs_proc_field_bytes(text, "VmRSS", &mem->rss_bytes);
		hs_proc_field_bytes(text, "RssAnon", &mem->anon_bytes);
	}
	free(text);
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	err = read_text_file(path, &text);
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
