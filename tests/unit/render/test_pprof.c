// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_pprof.c - the pprof writer, read back: gunzip, then a small protobuf
 * decoder written here checks profile.proto's rules (string 0 is "", ids are
 * non-zero, one value per sample type, locations leaf first) and the values of
 * a profile built by hand.  go tool pprof reads real sessions in
 * tests/integration/test_outputs.sh.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "lib/protobuf.h"
#include "render/pprof.h"

#define MAX_ITEMS 64

struct field {
	uint32_t number;
	uint64_t value; /* varint fields */
	const uint8_t *data; /* length-delimited fields */
	size_t len;
};

static int read_varint(const uint8_t **at, const uint8_t *end, uint64_t *value)
{
	*value = 0;
	for (int shift = 0; shift < 64 && *at < end; shift += 7) {
		uint8_t byte = *(*at)++;

		*value |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return 0;
	}
	return -EINVAL;
}

/* The next field of a message in [*at, end); 1 when there is one. */
static int next_field(const uint8_t **at, const uint8_t *end, struct field *f)
{
	uint64_t key;

	memset(f, 0, sizeof(*f));
	if (*at >= end || read_varint(at, end, &key))
		return 0;
	f->number = key >> 3;
	if ((key & 7) == 0)
		return read_varint(at, end, &f->value) == 0;
	if ((key & 7) != 2 || read_varint(at, end, &f->value) || f->value > (uint64_t)(end - *at))
		return 0;
	f->data = *at;
	f->len = f->value;
	*at += f->len;
	return 1;
}

/* Varint field `number` of the message, or 0. */
static uint64_t varint_of(const uint8_t *data, size_t len, uint32_t number)
{
	const uint8_t *at = data;
	struct field f;

	while (next_field(&at, data + len, &f))
		if (f.number == number)
			return f.value;
	return 0;
}

/* Packed varints of field `number`; returns how many. */
static size_t packed_of(const uint8_t *data, size_t len, uint32_t number, uint64_t *out)
{
	const uint8_t *at = data;
	struct field f;
	size_t n = 0;

	while (next_field(&at, data + len, &f)) {
		if (f.number != number || !f.data)
			continue;
		for (const uint8_t *p = f.data, *stop = f.data + f.len; p < stop && n < MAX_ITEMS;)
			if (read_varint(&p, stop, &out[n++]))
				return 0;
	}
	return n;
}

struct message {
	const uint8_t *data;
	size_t len;
};

struct decoded {
	uint8_t *raw;
	size_t raw_len;
	char *strings[MAX_ITEMS * 4];
	size_t string_count;
	struct message sample_types[MAX_ITEMS], samples[MAX_ITEMS], mappings[MAX_ITEMS],
		locations[MAX_ITEMS], functions[MAX_ITEMS];
	size_t sample_type_count, sample_count, mapping_count, location_count, function_count;
	uint64_t comments[MAX_ITEMS];
	size_t comment_count;
	uint64_t default_sample_type, time_nanos, duration_nanos;
};

static void add(struct message *list, size_t *count, const struct field *f)
{
	if (*count < MAX_ITEMS)
		list[(*count)++] = (struct message){ f->data, f->len };
}

static int decode(const char *gz, size_t gz_len, struct decoded *d)
{
	z_stream z = { 0 };
	size_t capacity = 1 << 20;
	const uint8_t *at;
	struct field f;

	memset(d, 0, sizeof(*d));
	d->raw = malloc(capacity);
	if (!d->raw || inflateInit2(&z, 15 + 16) != Z_OK)
		return -1;
	z.next_in = (Bytef *)gz;
	z.avail_in = gz_len;
	z.next_out = d->raw;
	z.avail_out = capacity;
	if (inflate(&z, Z_FINISH) != Z_STREAM_END)
		return -1;
	d->raw_len = capacity - z.avail_out;
	inflateEnd(&z);
	for (at = d->raw; next_field(&at, d->raw + d->raw_len, &f);) {
		switch (f.number) {
		case 1: add(d->sample_types, &d->sample_type_count, &f); break;
		case 2: add(d->samples, &d->sample_count, &f); break;
		case 3: add(d->mappings, &d->mapping_count, &f); break;
		case 4: add(d->locations, &d->location_count, &f); break;
		case 5: add(d->functions, &d->function_count, &f); break;
		case 6: d->strings[d->string_count++] = strndup((const char *)f.data, f.len); break;
		case 9: d->time_nanos = f.value; break;
		case 10: d->duration_nanos = f.value; break;
		case 13: d->comments[d->comment_count++] = f.value; break;
		case 14: d->default_sample_type = f.value; break;
		}
	}
	return at == d->raw + d->raw_len ? 0 : -1;
}

static void decoded_free(struct decoded *d)
{
	for (size_t i = 0; i < d->string_count; i++)
		free(d->strings[i]);
	free(d->raw);
}

static const char *string_at(const struct decoded *d, uint64_t index)
{
	return index < d->string_count ? d->strings[index] : "<bad index>";
}

static void test_varints(void)
{
	const uint64_t values[] = { 0, 1, 127, 128, 300, 1ull << 35, UINT64_MAX };
	struct hs_pb pb = { 0 };
	const uint8_t *at;

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		hs_pb_varint(&pb, values[i]);
	CHECK_EQ(pb.error, 0);
	CHECK_EQ(pb.len, 1 + 1 + 1 + 2 + 2 + 6 + 10);
	at = pb.data;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		uint64_t value = 0;

		CHECK_EQ(read_varint(&at, pb.data + pb.len, &value), 0);
		CHECK_EQ(value, values[i]);
	}
	CHECK(pb.data[3] == 0x80 && pb.data[4] == 0x01); /* 128 */
	hs_pb_free(&pb);
}

/* A sample of frames (root first) named by names[], at addrs[], in mapping 1. */
static void add_sample(struct hs_profile *p, const char *const *names, const uint64_t *addrs,
		       uint32_t count, uint64_t inuse_bytes, uint64_t alloc_bytes)
{
	struct hs_profile_sample *s = &p->samples[p->sample_count++];

	s->pid = 42;
	s->frame_count = count;
	s->names = calloc(count, sizeof(*s->names));
	s->addrs = calloc(count, sizeof(*s->addrs));
	s->mappings = calloc(count, sizeof(*s->mappings));
	for (uint32_t i = 0; i < count; i++) {
		hs_profile_intern_name(p, names[i], &s->names[i]);
		s->addrs[i] = addrs[i];
		s->mappings[i] = 1;
	}
	s->values[HS_WEIGHT_INUSE_BYTES] = inuse_bytes;
	s->values[HS_WEIGHT_INUSE_COUNT] = inuse_bytes / 8;
	s->values[HS_WEIGHT_ALLOC_BYTES] = alloc_bytes;
	s->values[HS_WEIGHT_ALLOC_COUNT] = alloc_bytes / 8;
}

static void build_profile(struct hs_profile *p)
{
	const char *leak[] = { "main", "serve", "listener_create" };
	const char *other[] = { "main", "parse<&>" };
	const uint64_t leak_addrs[] = { 0x401000, 0x401100, 0x401200 };
	const uint64_t other_addrs[] = { 0x401000, 0x401300 };

	memset(p, 0, sizeof(*p));
	p->samples = calloc(2, sizeof(*p->samples));
	add_sample(p, leak, leak_addrs, 3, 800, 1600);
	add_sample(p, other, other_addrs, 2, 0, 64);
	p->mappings = calloc(1, sizeof(*p->mappings));
	p->mappings[0] = (struct hs_profile_mapping){ .pid = 42, .start = 0x400000,
						      .limit = 0x402000, .file_offset = 0,
						      .path = strdup("/usr/bin/server"),
						      .build_id = "abcd01", .has_functions = true };
	p->mapping_count = 1;
}

static char *render(const struct hs_render_input *input, size_t *len)
{
	char *text = NULL;
	FILE *out = open_memstream(&text, len);

	CHECK_EQ(hs_render_pprof(out, input), 0);
	fclose(out);
	return text;
}

/* The function name at location id `id`. */
static const char *location_name(const struct decoded *d, uint64_t id)
{
	for (size_t i = 0; i < d->location_count; i++) {
		const struct message *loc = &d->locations[i];
		const uint8_t *at = loc->data;
		struct field f;

		if (varint_of(loc->data, loc->len, 1) != id)
			continue;
		while (next_field(&at, loc->data + loc->len, &f)) {
			if (f.number != 4)
				continue;
			uint64_t function_id = varint_of(f.data, f.len, 1);

			for (size_t j = 0; j < d->function_count; j++)
				if (varint_of(d->functions[j].data, d->functions[j].len, 1) ==
				    function_id)
					return string_at(d, varint_of(d->functions[j].data,
								      d->functions[j].len, 2));
		}
	}
	return "<none>";
}

static void test_profile_read_back(void)
{
	struct hs_profile profile;
	struct hs_summary summary = { .pid = 42, .comm = "server", .duration_s = 2.5,
				      .started_unix_ns = 1700000000123456789ull };
	struct hs_render_input input = { &profile, &summary, HS_WEIGHT_INUSE_BYTES };
	const char *types[] = { "alloc_objects", "alloc_space", "inuse_objects", "inuse_space" };
	uint64_t values[MAX_ITEMS], ids[MAX_ITEMS];
	struct decoded d;
	size_t len;
	char *gz;

	build_profile(&profile);
	gz = render(&input, &len);
	CHECK_EQ(decode(gz, len, &d), 0);
	CHECK(d.string_count > 0 && strcmp(d.strings[0], "") == 0);
	CHECK_EQ(d.sample_type_count, 4);
	for (size_t i = 0; i < d.sample_type_count && i < 4; i++)
		CHECK(strcmp(string_at(&d, varint_of(d.sample_types[i].data,
						     d.sample_types[i].len, 1)), types[i]) == 0);
	CHECK(strcmp(string_at(&d, d.default_sample_type), "inuse_space") == 0);
	CHECK_EQ(d.time_nanos, 1700000000123456789ull);
	CHECK_EQ(d.duration_nanos, 2500000000ull);
	CHECK_EQ(d.comment_count, 1); /* no losses: no warning comment */
	CHECK_EQ(d.sample_count, 2);
	CHECK_EQ(packed_of(d.samples[0].data, d.samples[0].len, 2, values), 4);
	CHECK(values[0] == 200 && values[1] == 1600 && values[2] == 100 && values[3] == 800);
	CHECK_EQ(packed_of(d.samples[0].data, d.samples[0].len, 1, ids), 3);
	CHECK(strcmp(location_name(&d, ids[0]), "listener_create") == 0); /* leaf first */
	CHECK(strcmp(location_name(&d, ids[2]), "main") == 0);
	CHECK_EQ(packed_of(d.samples[1].data, d.samples[1].len, 1, values), 2);
	CHECK_EQ(values[1], ids[2]); /* main's address is one location, shared */
	CHECK(strcmp(location_name(&d, values[0]), "parse<&>") == 0);
	CHECK_EQ(d.location_count, 4);
	CHECK_EQ(d.function_count, 4);
	CHECK_EQ(d.mapping_count, 1);
	CHECK(strcmp(string_at(&d, varint_of(d.mappings[0].data, d.mappings[0].len, 5)),
		     "/usr/bin/server") == 0);
	CHECK(strcmp(string_at(&d, varint_of(d.mappings[0].data, d.mappings[0].len, 6)),
		     "abcd01") == 0);
	CHECK_EQ(varint_of(d.mappings[0].data, d.mappings[0].len, 7), 1);
	/* No symbolizer, so no lines: the mapping does not claim them, functions have no file. */
	CHECK_EQ(varint_of(d.mappings[0].data, d.mappings[0].len, 8), 0);
	CHECK_EQ(varint_of(d.mappings[0].data, d.mappings[0].len, 9), 0);
	for (size_t i = 0; i < d.function_count; i++)
		CHECK_EQ(varint_of(d.functions[i].data, d.functions[i].len, 4), 0);
	decoded_free(&d);
	free(gz);

	/* Another weight is another default; losses are said in a comment. */
	input.weight = HS_WEIGHT_ALLOC_COUNT;
	summary.lost_events = 3;
	gz = render(&input, &len);
	CHECK_EQ(decode(gz, len, &d), 0);
	CHECK(strcmp(string_at(&d, d.default_sample_type), "alloc_objects") == 0);
	CHECK_EQ(d.comment_count, 2);
	CHECK(d.comment_count == 2 &&
	      strstr(string_at(&d, d.comments[1]), "lost events 3") != NULL);
	decoded_free(&d);
	free(gz);
	hs_profile_free(&profile);
}

/* With the samples before merging kept, each is a pprof sample: a second call site of
 * listener_create (merged away by names) is its own location of the same function. */
static void test_stack_samples(void)
{
	const char *leak[] = { "main", "serve", "listener_create" };
	const uint64_t other_site[] = { 0x401000, 0x401100, 0x401280 };
	struct hs_profile profile;
	struct hs_render_input input = { &profile, NULL, HS_WEIGHT_INUSE_BYTES };
	uint64_t ids[MAX_ITEMS], values[MAX_ITEMS];
	struct decoded d;
	size_t len;
	char *gz;

	build_profile(&profile);
	profile.samples = realloc(profile.samples, 3 * sizeof(*profile.samples));
	add_sample(&profile, leak, other_site, 3, 48, 48);
	profile.stack_samples = malloc(3 * sizeof(*profile.stack_samples));
	memcpy(profile.stack_samples, profile.samples, 3 * sizeof(*profile.samples));
	profile.stack_sample_count = 3;
	profile.sample_count = 2; /* merged: the third went into the first */
	gz = render(&input, &len);
	CHECK_EQ(decode(gz, len, &d), 0);
	CHECK_EQ(d.sample_count, 3);
	CHECK_EQ(packed_of(d.samples[2].data, d.samples[2].len, 1, ids), 3);
	CHECK(strcmp(location_name(&d, ids[0]), "listener_create") == 0);
	CHECK_EQ(ids[0], 5); /* a new location */
	CHECK_EQ(packed_of(d.samples[2].data, d.samples[2].len, 2, values), 4);
	CHECK_EQ(values[3], 48);
	CHECK_EQ(d.location_count, 5);
	CHECK_EQ(d.function_count, 4); /* the same function */
	decoded_free(&d);
	free(gz);
	hs_profile_free(&profile);
}

int main(void)
{
	TEST(test_varints);
	TEST(test_profile_read_back);
	TEST(test_stack_samples);
	return check_summary();
}
