// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_folded.c - the folded-stack writer (user/render/folded.c) on a
 * hand-built profile: root first, ';'-joined, the chosen weight after a space,
 * heaviest first (equal weights by name), zero weights left out, and names that cannot be written as
 * they are (';', control characters) made safe.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "render/folded.h"

/* Add a sample whose frames are the given names, root first. */
static void add_sample(struct hs_profile *p, const char *const *frames, uint32_t frame_count,
		       uint64_t inuse_bytes, uint64_t inuse_count, uint64_t alloc_bytes,
		       uint64_t alloc_count)
{
	struct hs_profile_sample *s;

	p->samples = realloc(p->samples, (p->sample_count + 1) * sizeof(*p->samples));
	s = &p->samples[p->sample_count++];
	memset(s, 0, sizeof(*s));
	s->pid = 1;
	s->frame_count = frame_count;
	s->names = calloc(frame_count, sizeof(*s->names));
	s->addrs = calloc(frame_count, sizeof(*s->addrs));
	for (uint32_t i = 0; i < frame_count; i++)
		CHECK_EQ(hs_profile_intern_name(p, frames[i], &s->names[i]), 0);
	s->values[HS_WEIGHT_INUSE_BYTES] = inuse_bytes;
	s->values[HS_WEIGHT_INUSE_COUNT] = inuse_count;
	s->values[HS_WEIGHT_ALLOC_BYTES] = alloc_bytes;
	s->values[HS_WEIGHT_ALLOC_COUNT] = alloc_count;
}

#define SAMPLE(p, b, c, ab, ac, ...)                                                          \
	add_sample(p, (const char *const[]){ __VA_ARGS__ },                                   \
		   sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *), b, c, ab, \
		   ac)

/* Render into a string (caller frees). */
static char *render(const struct hs_profile *p, enum hs_weight weight)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	CHECK_EQ(hs_render_folded(out, p, weight), 0);
	fclose(out);
	return text;
}

static void check_text(char *text, const char *expected, int line)
{
	checks_run++;
	if (strcmp(text, expected) != 0) {
		check_failures++;
		fprintf(stderr, "  test_folded.c:%d: got\n%s  expected\n%s", line, text, expected);
	}
	free(text);
}

#define CHECK_TEXT(text, expected) check_text(text, expected, __LINE__)

static void build(struct hs_profile *p)
{
	memset(p, 0, sizeof(*p));
	SAMPLE(p, 100, 1, 100, 1, "main", "serve", "leak");
	SAMPLE(p, 0, 0, 5000, 50, "main", "churn"); /* all freed */
	SAMPLE(p, 300, 3, 300, 3, "main", "serve", "cache_put");
	SAMPLE(p, 7, 7, 900, 90, "start", "main", "std::map<int; int>::insert");
}

static void test_weights_and_order(void)
{
	struct hs_profile p;

	build(&p);
	CHECK_TEXT(render(&p, HS_WEIGHT_INUSE_BYTES),
		   "main;serve;cache_put 300\n"
		   "main;serve;leak 100\n"
		   "start;main;std::map<int: int>::insert 7\n");
	CHECK_TEXT(render(&p, HS_WEIGHT_INUSE_COUNT),
		   "start;main;std::map<int: int>::insert 7\n"
		   "main;serve;cache_put 3\n"
		   "main;serve;leak 1\n");
	CHECK_TEXT(render(&p, HS_WEIGHT_ALLOC_BYTES),
		   "main;churn 5000\n"
		   "start;main;std::map<int: int>::insert 900\n"
		   "main;serve;cache_put 300\n"
		   "main;serve;leak 100\n");
	CHECK_TEXT(render(&p, HS_WEIGHT_ALLOC_COUNT),
		   "start;main;std::map<int: int>::insert 90\n"
		   "main;churn 50\n"
		   "main;serve;cache_put 3\n"
		   "main;serve;leak 1\n");
	hs_profile_free(&p);
}

/* Equal weights come by frame names, whatever order the stacks were seen in. */
static void test_equal_weights_by_name(void)
{
	struct hs_profile p;

	memset(&p, 0, sizeof(p));
	SAMPLE(&p, 64, 1, 64, 1, "main", "zeta");
	SAMPLE(&p, 64, 1, 64, 1, "main", "alpha", "inner");
	SAMPLE(&p, 64, 1, 64, 1, "main", "alpha");
	SAMPLE(&p, 64, 1, 64, 1, "a_main", "zeta");
	CHECK_TEXT(render(&p, HS_WEIGHT_INUSE_BYTES),
		   "a_main;zeta 64\n"
		   "main;alpha 64\n"
		   "main;alpha;inner 64\n"
		   "main;zeta 64\n");
	hs_profile_free(&p);
}

static void test_empty_profile(void)
{
	struct hs_profile p;

	memset(&p, 0, sizeof(p));
	CHECK_TEXT(render(&p, HS_WEIGHT_INUSE_BYTES), "");
	SAMPLE(&p, 0, 0, 10, 1, "main", "freed");
	CHECK_TEXT(render(&p, HS_WEIGHT_INUSE_BYTES), "");
	hs_profile_free(&p);
}

static void test_frame_names_made_safe(void)
{
	char out[16];
	char long_name[3000];
	struct hs_profile p;
	char *text;

	hs_folded_frame_name("a;b;c", out, sizeof(out));
	CHECK(strcmp(out, "a:b:c") == 0);
	hs_folded_frame_name("tab\there\nnl\x7f", out, sizeof(out));
	CHECK(strcmp(out, "tab here nl ") == 0);
	hs_folded_frame_name("0123456789abcdefXYZ", out, sizeof(out)); /* cut to fit */
	CHECK(strcmp(out, "0123456789abcde") == 0);
	hs_folded_frame_name("", out, sizeof(out));
	CHECK(strcmp(out, "") == 0);

	/* A very long name is cut, and the line still ends with its weight. */
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	memset(&p, 0, sizeof(p));
	SAMPLE(&p, 12, 1, 12, 1, "main", long_name);
	text = render(&p, HS_WEIGHT_INUSE_BYTES);
	CHECK(strlen(text) < sizeof(long_name));
	CHECK(strncmp(text, "main;xxxx", 9) == 0);
	CHECK(strcmp(text + strlen(text) - 4, " 12\n") == 0);
	free(text);
	hs_profile_free(&p);
}

/* The same name interned twice is one name. */
static void test_names_interned(void)
{
	struct hs_profile p;
	uint32_t a, b, c;

	memset(&p, 0, sizeof(p));
	CHECK_EQ(hs_profile_intern_name(&p, "malloc_caller", &a), 0);
	CHECK_EQ(hs_profile_intern_name(&p, "other", &b), 0);
	CHECK_EQ(hs_profile_intern_name(&p, "malloc_caller", &c), 0);
	CHECK_EQ(a, c);
	CHECK(a != b);
	CHECK_EQ(p.name_count, 2);
	for (int i = 0; i < 5000; i++) { /* grow the index */
		char name[32];

		snprintf(name, sizeof(name), "fn%d", i);
		CHECK_EQ(hs_profile_intern_name(&p, name, &c), 0);
	}
	CHECK_EQ(hs_profile_intern_name(&p, "other", &c), 0);
	CHECK_EQ(c, b);
	CHECK_EQ(p.name_count, 5002);
	hs_profile_free(&p);
}

int main(void)
{
	TEST(test_weights_and_order);
	TEST(test_equal_weights_by_name);
	TEST(test_empty_profile);
	TEST(test_frame_names_made_safe);
	TEST(test_names_interned);
	return check_summary();
}
