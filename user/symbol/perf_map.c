// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * perf_map.c - names for JIT code, read from the target's /tmp/perf-PID.map the
 * way perf reads it: one "START SIZE name" line (hex, 0x optional) per function,
 * written by `node --perf-basic-prof`, CPython 3.12+ `-X perf`, JVM agents.
 *
 * Owns: one perf map per target, read incrementally (the file is only ever
 * appended to: each refresh reads from the end of the last complete line).
 * Does not own: which frames are looked up (symbolize.c), nor escaping names for
 * an output (the renderers escape every name alike).
 *
 * Invariants: the file is the target's, so hostile.  It is opened inside the
 * target's root (/proc/PID/root, symlinks resolved within it) under the PID the
 * target knows itself by (its namespace PID), only when it is a regular file
 * owned by root or the target's user (as perf checks); at most
 * HS_PERF_MAP_MAX_BYTES are read in all, lines over HS_PERF_MAP_MAX_LINE are
 * skipped whole, names are cut to HS_PERF_MAP_MAX_NAME, at most
 * HS_PERF_MAP_MAX_ENTRIES are kept, and an entry is kept only when it lies
 * inside one executable anonymous mapping of the target (JIT code): a map can
 * name nothing that has a file.  Everything refused is counted in skipped.
 */
#include "symbol/perf_map.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/array.h"
#include "target/proc.h"

/* Executable memory no file backs, the kind JIT compilers write code into ("[anon:NAME]"
 * is an anonymous mapping named with prctl); not [vdso], [vsyscall] nor [uprobes]. */
bool hs_mapping_is_jit(const struct hs_mapping *map)
{
	return map->executable && !hs_mapping_is_file(map) &&
	       (map->path[0] == '\0' || strncmp(map->path, "[anon:", 6) == 0);
}

/* 1 to 16 hex digits, "0x" allowed first; *text moves past them. */
static bool parse_hex(const char **text, const char *end, uint64_t *value)
{
	const char *p = *text;
	int digits = 0;

	if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (*value = 0; p < end && digits <= 16; p++, digits++) {
		int c = *p, v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = (c | 0x20) - 'a' + 10;
		else
			break;
		*value = *value << 4 | v;
	}
	*text = p;
	return digits >= 1 && digits <= 16;
}

static bool inside_jit_code(const struct hs_maps *maps, uint64_t start, uint64_t size)
{
	const struct hs_mapping *map = hs_maps_find(maps, start);

	return map && hs_mapping_is_jit(map) && size && start + size > start &&
	       start + size <= map->end;
}

/* One line, without its '\n': an entry, or a line skipped. */
static int parse_line(struct hs_perf_map *map, const char *p, const char *end,
		      const struct hs_maps *maps)
{
	struct hs_perf_symbol *symbol;
	uint64_t start, size;
	size_t name_len;

	if (end > p && end[-1] == '\r')
		end--;
	if (!parse_hex(&p, end, &start) || p >= end || *p++ != ' ' ||
	    !parse_hex(&p, end, &size) || p >= end || *p++ != ' ' || p == end ||
	    !inside_jit_code(maps, start, size) || map->count >= HS_PERF_MAP_MAX_ENTRIES) {
		map->skipped++;
		return 0;
	}
	name_len = end - p < HS_PERF_MAP_MAX_NAME ? (size_t)(end - p) : HS_PERF_MAP_MAX_NAME;
	if (hs_array_reserve((void **)&map->symbols, &map->capacity, map->count,
			     sizeof(*map->symbols), 64) ||
	    hs_array_reserve_n((void **)&map->names, &map->names_capacity,
			       map->names_len + name_len + 1, 1, 4096))
		return -ENOMEM;
	symbol = &map->symbols[map->count++];
	symbol->start = start;
	symbol->size = size;
	symbol->name_offset = map->names_len;
	symbol->line = map->lines;
	memcpy(map->names + map->names_len, p, name_len);
	map->names[map->names_len + name_len] = '\0';
	map->names_len += name_len + 1;
	return 0;
}

static int by_start_then_line(const void *a, const void *b)
{
	const struct hs_perf_symbol *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Sorted by start; of entries at one start, the latest line (a JIT reusing the memory). */
static void sort_entries(struct hs_perf_map *map)
{
	size_t kept = 0;

	qsort(map->symbols, map->count, sizeof(*map->symbols), by_start_then_line);
	for (size_t i = 0; i < map->count; i++) {
		if (kept && map->symbols[kept - 1].start == map->symbols[i].start)
			kept--;
		map->symbols[kept++] = map->symbols[i];
	}
	map->count = kept;
}

/*
 * The complete lines of text[0..len), the continuation of what was read before;
 * maps are the target's mappings now.  A line longer than HS_PERF_MAP_MAX_LINE is
 * skipped, also when its end is still to come.  Advances map->read_bytes past what
 * was used.
 */
int hs_perf_map_parse(struct hs_perf_map *map, const char *text, size_t len,
		      const struct hs_maps *maps)
{
	const char *p = text, *end = text + len;
	size_t added_from = map->count;
	int err = 0;

	while (!err && p < end) {
		const char *eol = memchr(p, '\n', end - p);

		if (map->in_long_line) { /* the rest of a line skipped already */
			map->in_long_line = !eol;
			p = eol ? eol + 1 : end;
			continue;
		}
		if (!eol && end - p <= HS_PERF_MAP_MAX_LINE)
			break; /* its end is still to come */
		if (!eol || eol - p > HS_PERF_MAP_MAX_LINE) {
			map->skipped++;
			map->in_long_line = !eol; /* its rest, to come, is skipped too */
			eol = eol ? eol : end - 1;
		} else {
			err = parse_line(map, p, eol, maps);
		}
		map->lines++;
		p = eol + 1;
	}
	map->read_bytes += p - text;
	if (map->count != added_from)
		sort_entries(map);
	return err;
}

/* The target's perf map, opened inside its root (target/proc.c: no symlink, no "..", no
 * magic link leaves the container; regular files only; a file past the bound is refused
 * unread); also owned by root or the target's user.  -errno when absent or not acceptable. */
static int open_perf_map(pid_t pid)
{
	char path[64];
	struct stat st, owner;
	int fd;

	snprintf(path, sizeof(path), "/tmp/perf-%d.map", hs_namespace_pid(pid));
	fd = hs_proc_open_in_root(pid, path, HS_PERF_MAP_MAX_BYTES);
	if (fd < 0)
		return fd;
	snprintf(path, sizeof(path), "/proc/%d", pid); /* owned by the target's user */
	if (fstat(fd, &st) || stat(path, &owner) || (st.st_uid != 0 && st.st_uid != owner.st_uid)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

#define CHUNK_BYTES (1u << 20) /* read at a time: heapscope's memory, not the file's size */

/* Read what the target appended to its perf map since the last call.  0 when there is
 * none (nothing to name), or -errno. */
int hs_perf_map_refresh(struct hs_perf_map *map, pid_t pid)
{
	struct hs_maps maps = { 0 };
	struct stat st;
	uint64_t size;
	char *text;
	int fd, err;

	if (map->read_bytes >= HS_PERF_MAP_MAX_BYTES)
		return 0;
	fd = open_perf_map(pid);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	map->found = true;
	if (fstat(fd, &st) || (uint64_t)st.st_size <= map->read_bytes) {
		close(fd);
		return 0;
	}
	size = (uint64_t)st.st_size < HS_PERF_MAP_MAX_BYTES ? (uint64_t)st.st_size
							    : HS_PERF_MAP_MAX_BYTES;
	text = malloc(CHUNK_BYTES);
	err = text ? hs_maps_read(pid, &maps) : -ENOMEM;
	while (!err && map->read_bytes < size) {
		uint64_t from = map->read_bytes, want = size - from;
		ssize_t got = pread(fd, text, want < CHUNK_BYTES ? want : CHUNK_BYTES, from);

		if (got <= 0)
			break; /* truncated meanwhile */
		err = hs_perf_map_parse(map, text, got, &maps);
		if (map->read_bytes == from)
			break; /* an unfinished last line: its end is still to come */
	}
	hs_maps_free(&maps);
	free(text);
	close(fd);
	return err;
}

static int compare_start(const void *key, const void *item)
{
	uint64_t addr = *(const uint64_t *)key;
	uint64_t start = ((const struct hs_perf_symbol *)item)->start;

	return addr < start ? -1 : addr > start;
}

/* The JIT function holding addr, or NULL. */
const char *hs_perf_map_lookup(const struct hs_perf_map *map, uint64_t addr)
{
	size_t at = hs_array_upper_bound(map->symbols, map->count, sizeof(*map->symbols), &addr,
					 compare_start);
	const struct hs_perf_symbol *symbol = at ? &map->symbols[at - 1] : NULL;

	return symbol && addr - symbol->start < symbol->size ? map->names + symbol->name_offset
							     : NULL;
}

void hs_perf_map_free(struct hs_perf_map *map)
{
	free(map->symbols);
	free(map->names);
	memset(map, 0, sizeof(*map));
}
