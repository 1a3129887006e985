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
 * Owns nothing across calls: every function reads /proc at once and returns.
 * Does not own: the maps parser (maps.c), which file is open for the session
 * (objects.c).
 */
#include "target/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/file.h"

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
