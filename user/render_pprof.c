// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * render_pprof.c - the profile as pprof's profile.proto, gzip-compressed: what
 * `go tool pprof`, Pyroscope and Parca read.
 *
 * Sample types follow Go's heap profiles: alloc_objects/count,
 * alloc_space/bytes, inuse_objects/count, inuse_space/bytes; the default
 * sample type is the session's -w weight (inuse_space unless told otherwise).
 * Every profile sample becomes one pprof sample with its four values and a
 * "pid" label.  Each distinct (pid, return address) is one location in the
 * mapping it was seen in, with one line naming its function; each frame name
 * of the profile is one function.  Names are the profile's, so pprof and the
 * folded output agree per function by construction.
 *
 * Owns: the encoding.  Does not own: the wire format (protobuf.c) or names
 * (profile.c).  Invariant: string 0 is "", and every id written is >= 1.
 */
#include "render_pprof.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "hash.h"
#include "protobuf.h"

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
	LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3,
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
};

#define GZIP_WINDOW_BITS (15 + 16) /* zlib: 32 KiB window, gzip header and trailer */
#define GZIP_CHUNK_BYTES 16384
#define GZIP_INPUT_STEP_BYTES (1u << 30) /* zlib counts input in 32 bits */

struct encoder {
	const struct hs_profile *profile;
	struct hs_pb body;    /* Profile fields but the string table */
	struct hs_pb strings; /* Profile.string_table entries */
	struct hs_pb message, line; /* scratch for one nested message */
	uint64_t string_count;
	struct location_slot *locations; /* open addressing on (pid, address) */
	size_t location_capacity;
	uint64_t location_count;
};

struct location_slot {
	uint64_t address;
	uint32_t pid;
	uint32_t id; /* 0: empty */
};

/* Append to the string table; returns the new string's index. */
static uint64_t add_string(struct encoder *e, const char *text)
{
	hs_pb_string(&e->strings, PROFILE_STRING_TABLE, text);
	return e->string_count++;
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

	for (int i = 0; i < HS_WEIGHT_COUNT; i++) {
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
	snprintf(comment, sizeof(comment), "heapscope: %s, %.1f s", name, sum->duration_s);
	hs_pb_uint(&e->body, PROFILE_COMMENT, add_string(e, comment));
	if (input->analysis) {
		hs_render_verdict_source(input, name, sizeof(name));
		snprintf(comment, sizeof(comment), "heapscope: verdict %s%s%s",
			 hs_verdict_name(input->analysis->verdict.kind), name[0] ? " from " : "",
			 name);
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

/* Function i + 1 is the profile's name i. */
static void add_functions(struct encoder *e)
{
	const struct hs_profile *profile = e->profile;

	for (size_t i = 0; i < profile->name_count; i++) {
		uint64_t name = add_string(e, profile->names[i]);

		e->message.len = 0;
		hs_pb_uint(&e->message, FUNCTION_ID, i + 1);
		hs_pb_uint(&e->message, FUNCTION_NAME, name);
		hs_pb_uint(&e->message, FUNCTION_SYSTEM_NAME, name);
		hs_pb_message(&e->body, PROFILE_FUNCTION, &e->message);
	}
}

static int init_locations(struct encoder *e)
{
	size_t frames = 0, capacity = 64;

	for (size_t i = 0; i < e->profile->sample_count; i++)
		frames += e->profile->samples[i].frame_count;
	while (capacity < frames * 2)
		capacity *= 2;
	e->locations = calloc(capacity, sizeof(*e->locations));
	e->location_capacity = capacity;
	return e->locations ? 0 : -ENOMEM;
}

/* The location id of frame f of sample s, written on first sight. */
static uint64_t location_of(struct encoder *e, const struct hs_profile_sample *s, uint32_t f)
{
	size_t mask = e->location_capacity - 1;
	size_t i = hs_hash64(s->addrs[f] ^ (uint64_t)s->pid << 48) & mask;

	for (; e->locations[i].id; i = (i + 1) & mask)
		if (e->locations[i].address == s->addrs[f] && e->locations[i].pid == s->pid)
			return e->locations[i].id;
	e->locations[i] = (struct location_slot){ s->addrs[f], s->pid, ++e->location_count };
	e->line.len = 0;
	hs_pb_uint(&e->line, LINE_FUNCTION_ID, s->names[f] + 1);
	e->message.len = 0;
	hs_pb_uint(&e->message, LOCATION_ID, e->location_count);
	if (s->mappings[f])
		hs_pb_uint(&e->message, LOCATION_MAPPING_ID, s->mappings[f]);
	hs_pb_uint(&e->message, LOCATION_ADDRESS, s->addrs[f]);
	hs_pb_message(&e->message, LOCATION_LINE, &e->line);
	hs_pb_message(&e->body, PROFILE_LOCATION, &e->message);
	return e->location_count;
}

static int add_samples(struct encoder *e, uint64_t pid_key)
{
	const struct hs_profile *profile = e->profile;
	uint64_t *location_ids = NULL;
	uint64_t values[HS_WEIGHT_COUNT];
	struct hs_pb sample = { 0 }, label = { 0 };
	int err = 0;

	for (size_t i = 0; i < profile->sample_count && !err; i++) {
		const struct hs_profile_sample *s = &profile->samples[i];
		uint64_t *bigger = realloc(location_ids, (s->frame_count + 1) * sizeof(*bigger));

		if (!bigger) {
			err = -ENOMEM;
			break;
		}
		location_ids = bigger;
		for (uint32_t f = 0; f < s->frame_count; f++) /* leaf first */
			location_ids[s->frame_count - 1 - f] = location_of(e, s, f);
		for (int v = 0; v < HS_WEIGHT_COUNT; v++)
			values[v] = s->values[sample_types[v].weight];
		label.len = sample.len = 0;
		hs_pb_uint(&label, LABEL_KEY, pid_key);
		hs_pb_uint(&label, LABEL_NUM, s->pid);
		hs_pb_packed(&sample, SAMPLE_LOCATION_ID, location_ids, s->frame_count);
		hs_pb_packed(&sample, SAMPLE_VALUE, values, HS_WEIGHT_COUNT);
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
	add_mappings(&e);
	add_functions(&e);
	err = init_locations(&e);
	if (!err)
		err = add_samples(&e, pid_key);
	if (!err) {
		hs_pb_append(&e.body, &e.strings);
		err = e.body.error;
	}
	if (!err)
		err = write_gzip(out, e.body.data, e.body.len);
	free(e.locations);
	hs_pb_free(&e.body);
	hs_pb_free(&e.strings);
	hs_pb_free(&e.message);
	hs_pb_free(&e.line);
	return err;
}
