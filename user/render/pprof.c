// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pprof.c - the profile as pprof's profile.proto, gzip-compressed: what
 * `go tool pprof`, Pyroscope and Parca read.
 *
 * Sample types follow Go's heap profiles: alloc_objects/count,
 * alloc_space/bytes, inuse_objects/count, inuse_space/bytes; the default
 * sample type is the session's -w weight (inuse_space unless told otherwise).
 * Every raw stack becomes one pprof sample with its four values and a "pid"
 * label (the profile's stack_samples: merging by names would keep one call
 * site's address per function).  Each distinct (pid, return address, name) is
 * one location in the mapping it was seen in, with one line: its function and,
 * when the object's DWARF says, the line of the call (source_lines.c).  A
 * function is a profile name with the file and line where it is defined, so
 * pprof and the folded output agree per function name by construction.
 *
 * Owns: the encoding.  Does not own: the wire format (protobuf.c), names
 * (profile.c) or lines (source_lines.c).  Invariant: string 0 is "", and
 * every id written is >= 1.
 */
#include "render/pprof.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/hash.h"
#include "lib/id_index.h"
#include "lib/protobuf.h"
#include "lib/version.h"
#include "render/wording.h"
#include "symbol/source_lines.h"

/* profile.proto field numbers */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10, PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13, PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3,
	LABEL_KEY = 1, LABEL_NUM = 3,
	MAPPING_ID = 1, MAPPING_MEMORY_START = 2, MAPPING_MEMORY_LIMIT = 3, MAPPING_FILE_OFFSET = 4,
	MAPPING_FILENAME = 5, MAPPING_BUILD_ID = 6, MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8, MAPPING_HAS_LINE_NUMBERS = 9,
	LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1, LINE_LINE = 2,
	FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4,
	FUNCTION_START_LINE = 5,
};

/* The order of values in every sample, as Go writes heap profiles. */
static const struct {
	const char *type, *unit;
	enum hs_weight weight;
} sample_types[HS_WEIGHT_COUNT] = {
	{ "alloc_objects", "count", HS_WEIGHT_ALLOC_COUNT },
	{ "alloc_space", "bytes", HS_WEIGHT_ALLOC_BYTES },
	{ "inuse_objects", "count", HS_WEIGHT_INUSE_COUNT },
	{ "inuse_space", "bytes", HS_WEIGHT_INUSE_BYTES },
	/* --leak-check only: the first HS_WEIGHT_BASIC_COUNT otherwise */
	{ "leaked_objects", "count", HS_WEIGHT_LEAKED_COUNT },
	{ "leaked_space", "bytes", HS_WEIGHT_LEAKED_BYTES },
};

#define GZIP_WINDOW_BITS (15 + 16) /* zlib: 32 KiB window, gzip header and trailer */
#define GZIP_CHUNK_BYTES 16384
#define GZIP_INPUT_STEP_BYTES (1u << 30) /* zlib counts input in 32 bits */

/* One location: a frame's (pid, return address, name), written once. */
struct location {
	uint64_t address;
	uint32_t pid;
	uint32_t name;	  /* the profile's name id */
	uint32_t mapping; /* id + 1 into the profile's mappings, 0: none */
	uint32_t line;	  /* of the call, in the function's file; 0: unknown */
	uint64_t function_id;
};

/*
 * Locations and functions are each interned by three numbers: a location by
 * (return address, pid, name), a function by (name, file, line): its name, the
 * file's string index (0: unknown) and the line it is defined at.
 */
struct triples {
	uint64_t (*keys)[3]; /* by id */
	size_t count;
	struct hs_id_index index;
};

/* A file name in the string table. */
struct file_name {
	char *text;	/* owned copy */
	uint64_t index; /* in the string table */
};

struct encoder {
	const struct hs_profile *profile;
	int value_count; /* sample types written: HS_WEIGHT_COUNT with --leak-check */
	const struct hs_profile_sample *samples; /* the profile's stack_samples, else its samples */
	size_t sample_count;
	struct hs_pb body;    /* Profile fields but the string table */
	struct hs_pb strings; /* Profile.string_table entries */
	struct hs_pb message, line; /* scratch for one nested message */
	uint64_t string_count;
	/* Each table has room for every frame: a frame adds at most one location, and a
	 * location at most one function and one file name.  Ids are index + 1. */
	struct triples location_keys;
	struct location *locations; /* by location id - 1, as location_keys */
	struct triples functions;
	struct file_name *files;
	size_t file_count;
	struct hs_id_index file_index;
	bool *mapping_has_lines; /* per profile mapping: some location in it got a line */
};

/* Append to the string table; returns the new string's index. */
static uint64_t add_string(struct encoder *e, const char *text)
{
	hs_pb_string(&e->strings, PROFILE_STRING_TABLE, text);
	return e->string_count++;
}

static bool file_matches(const void *owner, uint32_t id, const void *key)
{
	const struct encoder *e = owner;

	return strcmp(e->files[id].text, key) == 0;
}

static uint64_t file_hash(const void *owner, uint32_t id)
{
	const struct encoder *e = owner;

	return hs_hash_string(e->files[id].text);
}

/* A file name's index in the string table, added once. */
static uint64_t file_string(struct encoder *e, const char *text)
{
	uint64_t hash = hs_hash_string(text);
	char *copy;
	uint32_t id;

	if (hs_id_index_find(&e->file_index, hash, file_matches, e, text, &id))
		return e->files[id].index;
	copy = strdup(text);
	if (!copy || hs_id_index_insert(&e->file_index, hash, e->file_count, file_hash, e)) {
		free(copy);
		e->body.error = -ENOMEM;
		return 0;
	}
	e->files[e->file_count] = (struct file_name){ copy, add_string(e, text) };
	return e->files[e->file_count++].index;
}

/* Returns the index of type in the string table. */
static uint64_t add_value_type(struct encoder *e, uint32_t field, const char *type,
			       const char *unit)
{
	uint64_t type_index = add_string(e, type);

	e->message.len = 0;
	hs_pb_uint(&e->message, VALUE_TYPE_TYPE, type_index);
	hs_pb_uint(&e->message, VALUE_TYPE_UNIT, add_string(e, unit));
	hs_pb_message(&e->body, field, &e->message);
	return type_index;
}

static void add_header(struct encoder *e, const struct hs_render_input *input)
{
	const struct hs_summary *sum = input->summary;
	char comment[512], name[256];

	e->value_count = input->leaks && input->leaks->done ? HS_WEIGHT_COUNT : HS_WEIGHT_BASIC_COUNT;
	for (int i = 0; i < e->value_count; i++) {
		uint64_t type = add_value_type(e, PROFILE_SAMPLE_TYPE, sample_types[i].type,
					       sample_types[i].unit);

		if (sample_types[i].weight == input->weight)
			hs_pb_uint(&e->body, PROFILE_DEFAULT_SAMPLE_TYPE, type);
	}
	add_value_type(e, PROFILE_PERIOD_TYPE, "space", "bytes");
	hs_pb_uint(&e->body, PROFILE_PERIOD, 1); /* every allocation is recorded */
	if (!sum)
		return;
	hs_pb_uint(&e->body, PROFILE_TIME_NANOS, sum->started_unix_ns);
	hs_pb_uint(&e->body, PROFILE_DURATION_NANOS, (uint64_t)(sum->duration_s * 1e9));
	hs_render_session_name(sum, name, sizeof(name));
	snprintf(comment, sizeof(comment), "heapscope: %s, %.1f s, by heapscope %s", name,
		 sum->duration_s, hs_version());
	hs_pb_uint(&e->body, PROFILE_COMMENT, add_string(e, comment));
	if (input->analysis) {
		hs_render_verdict_source(input, name, sizeof(name));
		snprintf(comment, sizeof(comment), "heapscope: verdict %s%s%s",
			 hs_verdict_name(input->analysis->verdict.kind), name[0] ? " from " : "",
			 name);
		hs_pb_uint(&e->body, PROFILE_COMMENT, add_string(e, comment));
	}
	hs_render_cut_short(sum, name, sizeof(name));
	if (name[0]) {
		snprintf(comment, sizeof(comment), "heapscope: cut short: %s", name);
		hs_pb_uint(&e->body, PROFILE_COMMENT, add_string(e, comment));
	}
	if (sum->lost_events || sum->replaced_blocks || sum->stacks_not_kept) {
		snprintf(comment, sizeof(comment),
			 "heapscope: results may be incomplete: lost events %llu, frees never seen "
			 "%llu, stacks not kept %llu",
			 (unsigned long long)sum->lost_events,
			 (unsigned long long)sum->replaced_blocks,
			 (unsigned long long)sum->stacks_not_kept);
		hs_pb_uint(&e->body, PROFILE_COMMENT, add_string(e, comment));
	}
}

static void add_mapping(struct encoder *e, size_t i)
{
	const struct hs_profile_mapping *m = &e->profile->mappings[i];

	e->message.len = 0;
	hs_pb_uint(&e->message, MAPPING_ID, i + 1);
	hs_pb_uint(&e->message, MAPPING_MEMORY_START, m->start);
	hs_pb_uint(&e->message, MAPPING_MEMORY_LIMIT, m->limit);
	hs_pb_uint(&e->message, MAPPING_FILE_OFFSET, m->file_offset);
	hs_pb_uint(&e->message, MAPPING_FILENAME, add_string(e, m->path));
	hs_pb_uint(&e->message, MAPPING_BUILD_ID, add_string(e, m->build_id));
	hs_pb_bool(&e->message, MAPPING_HAS_FUNCTIONS, m->has_functions);
	hs_pb_bool(&e->message, MAPPING_HAS_FILENAMES, e->mapping_has_lines[i]);
	hs_pb_bool(&e->message, MAPPING_HAS_LINE_NUMBERS, e->mapping_has_lines[i]);
	hs_pb_message(&e->body, PROFILE_MAPPING, &e->message);
}

/*
 * pprof takes the first mapping for the main binary: that is the file mapped
 * lowest (executables load below their libraries, PIE or not).
 */
static void add_mappings(struct encoder *e)
{
	const struct hs_profile *profile = e->profile;
	size_t first = 0;

	for (size_t i = 1; i < profile->mapping_count; i++)
		if (profile->mappings[i].path[0] == '/' &&
		    (profile->mappings[first].path[0] != '/' ||
		     profile->mappings[i].start < profile->mappings[first].start))
			first = i;
	if (profile->mapping_count)
		add_mapping(e, first);
	for (size_t i = 0; i < profile->mapping_count; i++)
		if (i != first)
			add_mapping(e, i);
}

static bool triple_matches(const void *owner, uint32_t id, const void *key)
{
	return memcmp(((const struct triples *)owner)->keys[id], key, 3 * sizeof(uint64_t)) == 0;
}

static uint64_t triple_hash(const void *owner, uint32_t id)
{
	return hs_hash_words(0, ((const struct triples *)owner)->keys[id], 3);
}

/* Intern key (keys has room): 1 if it is new, 0 if it was there, -ENOMEM. */
static int intern_triple(struct triples *t, const uint64_t key[3], uint32_t *id)
{
	uint64_t hash = hs_hash_words(0, key, 3);

	if (hs_id_index_find(&t->index, hash, triple_matches, t, key, id))
		return 0;
	if (hs_id_index_insert(&t->index, hash, t->count, triple_hash, t))
		return -ENOMEM;
	memcpy(t->keys[t->count], key, sizeof(t->keys[t->count]));
	*id = t->count++;
	return 1;
}

static void free_triples(struct triples *t)
{
	free(t->keys);
	hs_id_index_free(&t->index);
}

/* The id of function (name, file, line), written on first sight. */
static uint64_t function_of(struct encoder *e, uint32_t name, const char *file, uint32_t line)
{
	uint64_t file_index = file ? file_string(e, file) : 0;
	uint64_t key[3] = { name, file_index, line }, name_index;
	uint32_t id;
	int added = intern_triple(&e->functions, key, &id);

	if (added < 0)
		e->body.error = added;
	if (added <= 0)
		return id + 1;
	name_index = add_string(e, e->profile->names[name]);
	e->message.len = 0;
	hs_pb_uint(&e->message, FUNCTION_ID, id + 1);
	hs_pb_uint(&e->message, FUNCTION_NAME, name_index);
	hs_pb_uint(&e->message, FUNCTION_SYSTEM_NAME, name_index);
	if (file_index)
		hs_pb_uint(&e->message, FUNCTION_FILENAME, file_index);
	if (line)
		hs_pb_uint(&e->message, FUNCTION_START_LINE, line);
	hs_pb_message(&e->body, PROFILE_FUNCTION, &e->message);
	return id + 1;
}

static int init_tables(struct encoder *e)
{
	const struct hs_profile *profile = e->profile;
	size_t frames = 0;

	e->samples = profile->stack_samples ? profile->stack_samples : profile->samples;
	e->sample_count = profile->stack_samples ? profile->stack_sample_count
						 : profile->sample_count;
	for (size_t i = 0; i < e->sample_count; i++)
		frames += e->samples[i].frame_count;
	e->locations = calloc(frames ? frames : 1, sizeof(*e->locations));
	e->location_keys.keys = calloc(frames ? frames : 1, sizeof(*e->location_keys.keys));
	e->functions.keys = calloc(frames ? frames : 1, sizeof(*e->functions.keys));
	e->files = calloc(frames ? frames : 1, sizeof(*e->files));
	e->mapping_has_lines = calloc(profile->mapping_count + 1, sizeof(*e->mapping_has_lines));
	return e->locations && e->location_keys.keys && e->functions.keys && e->files &&
			       e->mapping_has_lines
		       ? 0
		       : -ENOMEM;
}

static void free_tables(struct encoder *e)
{
	for (size_t i = 0; i < e->file_count; i++)
		free(e->files[i].text);
	free(e->files);
	hs_id_index_free(&e->file_index);
	free_triples(&e->functions);
	free_triples(&e->location_keys);
	free(e->locations);
	free(e->mapping_has_lines);
}

/* The location id of frame f of sample s; new ones are only collected here. */
static uint64_t location_of(struct encoder *e, const struct hs_profile_sample *s, uint32_t f)
{
	uint64_t key[3] = { s->addrs[f], s->pid, s->names[f] };
	uint32_t id;
	int added = intern_triple(&e->location_keys, key, &id);

	if (added < 0) {
		e->body.error = added;
		return 0;
	}
	if (added)
		e->locations[id] = (struct location){
			.address = s->addrs[f], .pid = s->pid, .name = s->names[f],
			.mapping = s->mappings[f],
		};
	return id + 1;
}

static void collect_locations(struct encoder *e)
{
	for (size_t i = 0; i < e->sample_count; i++)
		for (uint32_t f = 0; f < e->samples[i].frame_count; f++)
			location_of(e, &e->samples[i], f);
}

/*
 * Each location's line and function, looked up once per location at the end
 * of the session.  Without a symbolizer (or DWARF), functions are names alone.
 */
static void add_functions(struct encoder *e, struct hs_symbolizer *sym)
{
	struct hs_source_lines lines;

	hs_source_lines_init(&lines, sym);
	for (size_t i = 0; i < e->location_keys.count; i++) {
		struct location *loc = &e->locations[i];
		struct hs_source_line src;
		const char *file;

		if (sym && loc->address && loc->mapping &&
		    hs_source_lines_find(&lines, loc->pid, loc->address, &src) == 0) {
			loc->line = src.line;
			e->mapping_has_lines[loc->mapping - 1] = true;
		} else {
			src.file[0] = src.function_file[0] = '\0';
			src.function_line = 0;
		}
		/* No function DIE (assembly): the line's file is the function's. */
		file = src.function_file[0] ? src.function_file : src.file;
		loc->function_id = function_of(e, loc->name, file[0] ? file : NULL,
					       src.function_line);
	}
	hs_source_lines_free(&lines);
}

static void add_locations(struct encoder *e)
{
	for (size_t i = 0; i < e->location_keys.count; i++) {
		const struct location *loc = &e->locations[i];

		e->line.len = 0;
		hs_pb_uint(&e->line, LINE_FUNCTION_ID, loc->function_id);
		if (loc->line)
			hs_pb_uint(&e->line, LINE_LINE, loc->line);
		e->message.len = 0;
		hs_pb_uint(&e->message, LOCATION_ID, i + 1);
		if (loc->mapping)
			hs_pb_uint(&e->message, LOCATION_MAPPING_ID, loc->mapping);
		hs_pb_uint(&e->message, LOCATION_ADDRESS, loc->address);
		hs_pb_message(&e->message, LOCATION_LINE, &e->line);
		hs_pb_message(&e->body, PROFILE_LOCATION, &e->message);
	}
}

static int add_samples(struct encoder *e, uint64_t pid_key)
{
	uint64_t *location_ids = NULL;
	uint64_t values[HS_WEIGHT_COUNT];
	struct hs_pb sample = { 0 }, label = { 0 };
	int err = 0;

	for (size_t i = 0; i < e->sample_count && !err; i++) {
		const struct hs_profile_sample *s = &e->samples[i];
		uint64_t *bigger = realloc(location_ids, (s->frame_count + 1) * sizeof(*bigger));

		if (!bigger) {
			err = -ENOMEM;
			break;
		}
		location_ids = bigger;
		for (uint32_t f = 0; f < s->frame_count; f++) /* leaf first */
			location_ids[s->frame_count - 1 - f] = location_of(e, s, f);
		for (int v = 0; v < e->value_count; v++)
			values[v] = s->values[sample_types[v].weight];
		label.len = sample.len = 0;
		hs_pb_uint(&label, LABEL_KEY, pid_key);
		hs_pb_uint(&label, LABEL_NUM, s->pid);
		hs_pb_packed(&sample, SAMPLE_LOCATION_ID, location_ids, s->frame_count);
		hs_pb_packed(&sample, SAMPLE_VALUE, values, e->value_count);
		hs_pb_message(&sample, SAMPLE_LABEL, &label);
		hs_pb_message(&e->body, PROFILE_SAMPLE, &sample);
		err = e->body.error;
	}
	free(location_ids);
	hs_pb_free(&sample);
	hs_pb_free(&label);
	return err;
}

static int write_gzip(FILE *out, const uint8_t *data, size_t len)
{
	unsigned char chunk[GZIP_CHUNK_BYTES];
	int status = Z_OK, flush;
	z_stream z;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, GZIP_WINDOW_BITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	do {
		size_t step = len < GZIP_INPUT_STEP_BYTES ? len : GZIP_INPUT_STEP_BYTES;

		z.next_in = (Bytef *)data;
		z.avail_in = (uInt)step;
		data += step;
		len -= step;
		flush = len ? Z_NO_FLUSH : Z_FINISH;
		do {
			size_t have;

			z.next_out = chunk;
			z.avail_out = sizeof(chunk);
			status = deflate(&z, flush);
			have = sizeof(chunk) - z.avail_out;
			if (status == Z_STREAM_ERROR || fwrite(chunk, 1, have, out) != have) {
				deflateEnd(&z);
				return -EIO;
			}
		} while (z.avail_out == 0);
	} while (flush != Z_FINISH);
	deflateEnd(&z);
	return status == Z_STREAM_END && !ferror(out) ? 0 : -EIO;
}

int hs_render_pprof(FILE *out, const struct hs_render_input *input)
{
	struct encoder e = { .profile = input->profile };
	uint64_t pid_key;
	int err;

	add_string(&e, ""); /* string 0 */
	pid_key = add_string(&e, "pid");
	add_header(&e, input);
	err = init_tables(&e);
	if (!err) {
		collect_locations(&e);
		add_functions(&e, input->sym);
		add_mappings(&e);
		add_locations(&e);
		err = add_samples(&e, pid_key);
	}
	if (!err) {
		hs_pb_append(&e.body, &e.strings);
		err = e.body.error ? e.body.error : e.strings.error;
	}
	if (!err)
		err = write_gzip(out, e.body.data, e.body.len);
	free_tables(&e);
	hs_pb_free(&e.body);
	hs_pb_free(&e.strings);
	hs_pb_free(&e.message);
	hs_pb_free(&e.line);
	return err;
}
