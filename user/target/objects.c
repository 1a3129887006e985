// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * objects.c - the session's object cache and maps snapshots: each file mapped
 * into a target is opened once and each part of it parsed once, whatever the
 * number of stages, processes and re-plans that ask; each target's
 * /proc/PID/maps is read here and only here.
 *
 * Owns: one struct hs_object per (device, inode), with its file descriptor
 * (opened through the target's /proc/PID/map_files, else inside its root, as
 * hs_proc_open_object does), its libelf handle, its ELF headers and symbols
 * (elf_object.c), its detached debug file (its .symtab merged into the
 * symbols) and the parts stages derive from it (an unwind table, the code the
 * ret-site finder reads), built by the stage's function on first ask; one
 * maps snapshot per target, replaced whole by hs_objects_refresh_maps; the
 * counters -v prints; the files a target named that were refused (a FIFO, a
 * device, a magic link, a huge file: proc.c), for the session's one-line note.
 * Does not own: how a part is built or what it means (unwind/, probe/), when
 * a snapshot is stale (the stage that finds an address it does not cover).
 *
 * Invariants: an object is never freed or moved before the session ends, so
 * stages keep pointers to it; its fd, libelf handle and debug file stay open
 * until then, so what was found while the target lived can be read after it
 * exits (source lines at the end).  A failed open is tried again on the next
 * ask (a target caught right after exec() may have changed its mappings);
 * what was parsed, or failed to parse, is never parsed again.
 */
#include "target/objects.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/array.h"
#include "target/proc.h"

void hs_objects_init(struct hs_objects *objs)
{
	memset(objs, 0, sizeof(*objs));
}

static void free_object(struct hs_object *obj)
{
	for (int i = 0; i < HS_PART_COUNT; i++) {
		if (obj->parts[i].data)
			obj->parts[i].free(obj->parts[i].data);
		free(obj->parts[i].data);
	}
	hs_elf_free(&obj->elf);
	if (obj->libelf)
		elf_end(obj->libelf);
	if (obj->fd >= 0)
		close(obj->fd);
	if (obj->debug_fd >= 0)
		close(obj->debug_fd);
	free(obj);
}

void hs_objects_free(struct hs_objects *objs)
{
	for (size_t i = 0; i < objs->object_count; i++)
		free_object(objs->objects[i]);
	for (size_t i = 0; i < objs->process_count; i++) {
		hs_maps_free(&objs->processes[i]->maps);
		free(objs->processes[i]);
	}
	free(objs->objects);
	free(objs->processes);
	memset(objs, 0, sizeof(*objs));
}

static struct hs_objects_process *find_process(const struct hs_objects *objs, pid_t pid)
{
	for (size_t i = 0; i < objs->process_count; i++)
		if (objs->processes[i]->pid == pid)
			return objs->processes[i];
	return NULL;
}

/*
 * Read PID's maps now and make them its snapshot, replacing the last one (whose
 * mappings must no longer be pointed to).  The one place /proc/PID/maps is read
 * for a session: on a failure the last snapshot stays.
 */
int hs_objects_refresh_maps(struct hs_objects *objs, pid_t pid, const struct hs_maps **maps)
{
	struct hs_objects_process *proc = find_process(objs, pid);
	struct hs_maps fresh;
	int err = hs_maps_read(pid, &fresh);

	objs->stats.maps_reads++;
	if (err)
		return err;
	if (!proc) {
		if (hs_array_reserve((void **)&objs->processes, &objs->process_capacity,
				     objs->process_count, sizeof(*objs->processes), 4) ||
		    !(proc = calloc(1, sizeof(*proc)))) {
			hs_maps_free(&fresh);
			return -ENOMEM;
		}
		proc->pid = pid;
		objs->processes[objs->process_count++] = proc;
		objs->stats.processes++;
	}
	hs_maps_free(&proc->maps);
	proc->maps = fresh;
	if (maps)
		*maps = &proc->maps;
	return 0;
}

/* PID's latest snapshot, kept after it exits; NULL when none was ever read. */
const struct hs_maps *hs_objects_maps(const struct hs_objects *objs, pid_t pid)
{
	const struct hs_objects_process *proc = find_process(objs, pid);

	return proc ? &proc->maps : NULL;
}

static struct hs_object *find_object(const struct hs_objects *objs, const struct hs_mapping *map)
{
	for (size_t i = 0; i < objs->object_count; i++) {
		struct hs_object *obj = objs->objects[i];

		if (obj->inode == map->inode && obj->dev_major == map->dev_major &&
		    obj->dev_minor == map->dev_minor)
			return obj;
	}
	return NULL;
}

static struct hs_object *new_object(struct hs_objects *objs, pid_t pid,
				    const struct hs_mapping *map)
{
	struct hs_object *obj;

	if (hs_array_reserve((void **)&objs->objects, &objs->object_capacity, objs->object_count,
			     sizeof(*objs->objects), 16))
		return NULL;
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return NULL;
	obj->inode = map->inode;
	obj->dev_major = map->dev_major;
	obj->dev_minor = map->dev_minor;
	snprintf(obj->path, sizeof(obj->path), "%s", map->path);
	obj->basename = strrchr(obj->path, '/') ? strrchr(obj->path, '/') + 1 : obj->path;
	obj->pid = pid;
	obj->fd = obj->debug_fd = -1;
	obj->load_error = -ENOENT;
	objs->objects[objs->object_count++] = obj;
	return obj;
}

/*
 * The object behind a file mapping of PID, its file open (*object is set even
 * when the open failed: its load_error says why).  -ENOMEM only.
 */
int hs_objects_get(struct hs_objects *objs, pid_t pid, const struct hs_mapping *map,
		   struct hs_object **object)
{
	struct hs_object *obj = find_object(objs, map);

	if (!obj && !(obj = new_object(objs, pid, map)))
		return -ENOMEM;
	if (obj->fd < 0) {
		obj->fd = hs_proc_open_object(pid, map);
		if (obj->fd >= 0) {
			obj->pid = pid;
			obj->load_error = 0;
			objs->stats.opened++;
		} else {
			obj->load_error = obj->fd;
			hs_objects_refuse(objs, pid, map->path, obj->fd);
		}
	}
	*object = obj;
	return 0;
}

static int libelf_ready(void)
{
	return elf_version(EV_CURRENT) != EV_NONE ? 0 : -ENOTSUP;
}

/* The object's file through libelf, begun once. */
int hs_object_libelf(struct hs_objects *objs, struct hs_object *obj, Elf **elf)
{
	int err;

	if (!obj->libelf && !obj->load_error) {
		err = libelf_ready();
		obj->libelf = err ? NULL : elf_begin(obj->fd, ELF_C_READ_MMAP, NULL);
		if (!obj->libelf || elf_kind(obj->libelf) != ELF_K_ELF)
			obj->load_error = err ? err : -ENOEXEC;
		else
			objs->stats.parsed++;
	}
	*elf = obj->libelf;
	return obj->load_error;
}

/* Its load segments, identity and symbols (those of its debug file once merged). */
int hs_object_read(struct hs_objects *objs, struct hs_object *obj,
		   const struct hs_elf_object **elf)
{
	Elf *libelf;

	if (!obj->elf_read && !hs_object_libelf(objs, obj, &libelf)) {
		obj->load_error = hs_elf_read(libelf, &obj->elf);
		obj->elf_read = !obj->load_error;
	}
	*elf = &obj->elf;
	return obj->load_error;
}

/* hs_elf_open_debug_file's report of a refused candidate, for the object's target. */
struct refusal_ctx {
	struct hs_objects *objs;
	pid_t pid;
};

static void refuse_debug_file(void *ctx, const char *path, int err)
{
	struct refusal_ctx *r = ctx;

	hs_objects_refuse(r->objs, r->pid, path, err);
}

/*
 * The object's detached debug file (by build-id or debuglink, checked by
 * build-id), looked for once inside the root of the target it was opened by,
 * never outside it: call while that target lives.  Its fd, kept open, or
 * -ENOENT.
 */
int hs_object_debug_file(struct hs_objects *objs, struct hs_object *obj)
{
	struct refusal_ctx refusals = { .objs = objs, .pid = obj->pid };
	const struct hs_elf_object *elf;
	int root_fd;

	if (obj->debug_searched)
		return obj->debug_fd >= 0 ? obj->debug_fd : -ENOENT;
	if (hs_object_read(objs, obj, &elf))
		return obj->load_error;
	obj->debug_searched = true;
	root_fd = hs_proc_open_root(obj->pid);
	if (root_fd < 0)
		return root_fd;
	obj->debug_fd = hs_elf_open_debug_file(elf, root_fd, obj->path, refuse_debug_file,
					       &refusals);
	close(root_fd);
	if (obj->debug_fd < 0)
		return obj->debug_fd;
	objs->stats.debug_files++;
	return obj->debug_fd;
}

/* When the object has no .symtab of its own, merge its debug file's into its symbols. */
int hs_object_read_debug_symbols(struct hs_objects *objs, struct hs_object *obj)
{
	const struct hs_elf_object *elf;
	int fd;

	if (hs_object_read(objs, obj, &elf))
		return obj->load_error;
	if (elf->has_symtab || obj->debug_symbols_merged)
		return elf->has_symtab ? 0 : -ENOENT;
	fd = hs_object_debug_file(objs, obj);
	if (fd < 0)
		return fd;
	obj->debug_symbols_merged = true;
	return hs_elf_read_debug_symbols(&obj->elf, fd);
}

/* The file that holds the object's DWARF, among those already open (none is looked
 * for now: the target may be gone); -ENOENT when none does. */
int hs_object_dwarf_fd(const struct hs_object *obj)
{
	if (obj->load_error || !obj->elf_read)
		return obj->load_error ? obj->load_error : -ENOENT;
	if (obj->elf.has_debug_info)
		return obj->fd;
	return obj->debug_fd >= 0 ? obj->debug_fd : -ENOENT;
}

/*
 * A part a stage derives from the object, built by ops on the first ask and
 * kept until the session ends; a failed build is not tried again (a failed
 * open is, on the next ask).
 */
int hs_object_part(struct hs_objects *objs, struct hs_object *obj, enum hs_object_part part,
		   const struct hs_object_part_ops *ops, void **data)
{
	struct hs_object_slot *slot = &obj->parts[part];
	Elf *elf;

	if (!slot->built) {
		slot->error = hs_object_libelf(objs, obj, &elf);
		slot->data = slot->error ? NULL : calloc(1, ops->size);
		if (!slot->error)
			slot->error = slot->data ? ops->build(elf, slot->data) : -ENOMEM;
		if (slot->error) {
			free(slot->data);
			slot->data = NULL;
		}
		slot->free = ops->free;
		slot->built = !slot->error || !obj->load_error;
		if (!slot->error)
			objs->stats.parts[part]++;
	}
	*data = slot->data;
	return slot->error;
}

/* -v: "7 opened, 7 parsed (symbols 7, debug files 1, unwind tables 4, code for ret sites 1);
 * /proc/PID/maps read 2 times for 2 processes". */
void hs_objects_describe(const struct hs_objects *objs, char *out, size_t len)
{
	const struct hs_objects_stats *st = &objs->stats;
	size_t symbols = 0;

	for (size_t i = 0; i < objs->object_count; i++)
		symbols += objs->objects[i]->elf_read;
	snprintf(out, len,
		 "%zu opened, %zu parsed (symbols %zu, debug files %zu, unwind tables %zu, code "
		 "for ret sites %zu); /proc/PID/maps read %zu times for %zu processes",
		 st->opened, st->parsed, symbols, st->debug_files, st->parts[HS_PART_UNWIND_TABLE],
		 st->parts[HS_PART_CODE], st->maps_reads, st->processes);
}

/*
 * Note that PID named PATH and it was refused with err, when err is a refusal
 * (hs_open_refusal) and this one is new: a failed open is tried again, and is
 * counted once.  Without openat2 one note stands for every path.
 */
void hs_objects_refuse(struct hs_objects *objs, pid_t pid, const char *path, int err)
{
	struct hs_objects_refusal *r;
	size_t kept = objs->refused_count < HS_REFUSED_KEPT ? objs->refused_count : HS_REFUSED_KEPT;

	if (!hs_open_refusal(err))
		return;
	if (err == -ENOSYS)
		path = "every path in a target's root";
	for (size_t i = 0; i < kept; i++) {
		r = &objs->refused[i];
		if (r->error == err && (err == -ENOSYS ||
					(r->pid == pid && strncmp(r->path, path, sizeof(r->path) - 1) == 0)))
			return;
	}
	if (objs->refused_count++ >= HS_REFUSED_KEPT)
		return;
	r = &objs->refused[kept];
	r->pid = pid;
	r->error = err;
	snprintf(r->path, sizeof(r->path), "%s", path);
}

/* PATH with control characters as \xNN: a path a target chose must not drive the terminal. */
static void escape_path(const char *path, char *out, size_t len)
{
	size_t at = 0;

	for (const unsigned char *c = (const unsigned char *)path; *c && at + 5 < len; c++) {
		if (*c < 0x20 || *c == 0x7f || *c == '\\')
			at += snprintf(out + at, len - at, "\\x%02x", *c);
		else
			out[at++] = (char)*c;
	}
	out[at] = '\0';
}

/* "/usr/lib/debug/.build-id/ab/cdef.debug of PID 42: not a regular file; ...; and 3
 * more", or "" when nothing was refused.  Paths are the target's: escaped like names. */
void hs_objects_describe_refused(const struct hs_objects *objs, char *out, size_t len)
{
	size_t kept = objs->refused_count < HS_REFUSED_KEPT ? objs->refused_count : HS_REFUSED_KEPT;
	size_t at = 0;

	out[0] = '\0';
	for (size_t i = 0; i < kept && at < len; i++) {
		const struct hs_objects_refusal *r = &objs->refused[i];
		char path[4 * sizeof(r->path)];

		escape_path(r->path, path, sizeof(path));
		at += snprintf(out + at, len - at, "%s%s of PID %d: %s", i ? "; " : "", path,
			       (int)r->pid, hs_open_refusal(r->error));
	}
	if (at < len && objs->refused_count > kept)
		snprintf(out + at, len - at, "; and %zu more", objs->refused_count - kept);
}
