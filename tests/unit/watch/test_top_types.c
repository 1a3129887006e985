// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_top_types.c - the N largest C++ types of one heap reading (user/watch/top_types.c),
 * over chunks as the heap read's walk keeps them: bytes are usable sizes summed by the vtable
 * each block's first word points into; the N with the most bytes come out, most first, ties by
 * name; free chunks (tcache, fastbins), blocks the walk did not read (mmapped) and words that
 * point nowhere are not counted; a read that kept nothing gives no types; names longer than
 * the label bound are cut on a UTF-8 boundary and stay unique; equal names are one type.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "watch/watch.h"

#define VTABLE(i) (0x10000ull + 0x100ull * (i)) /* vtable i's symbol; objects point 16 in */

struct fixture {
	struct hs_types types;
	struct hs_glibc_heap heap;
	size_t cap;
};

/* One in-use chunk of chunk_bytes whose first word is word. */
static void chunk(struct fixture *f, uint64_t chunk_bytes, uint64_t word)
{
	uint64_t addr = 0x800000 + 0x1000 * f->heap.kept_count;

	if (f->heap.kept_count == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 64;
		f->heap.kept = realloc(f->heap.kept, f->cap * sizeof(*f->heap.kept));
	}
	f->heap.kept[f->heap.kept_count++] =
		(struct hs_glibc_kept){ addr, word, (uint32_t)(chunk_bytes / 16), 0 };
}

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	hs_types_init(&f->types);
	f->heap.kept_all = true;
}

static void fixture_free(struct fixture *f)
{
	hs_types_free(&f->types);
	free(f->heap.kept);
	free(f->heap.cached_chunks);
	free(f->heap.mmapped);
}

static void test_top_n(void)
{
	struct hs_watch_type out[HS_WATCH_MAX_TYPES];
	struct fixture f;
	size_t count = 99;
	char mangled[32];

	fixture_init(&f);
	/* Types T1..T12: Tk has k instances of 32-byte chunks (24 usable bytes each). */
	for (int k = 1; k <= 12; k++) {
		snprintf(mangled, sizeof(mangled), "_ZTV%d%s%d", k < 10 ? 2 : 3, "T", k);
		CHECK_EQ(hs_types_add(&f.types, VTABLE(k), 48, mangled), 0);
	}
	CHECK_EQ(hs_types_finish(&f.types), 0);
	for (int k = 1; k <= 12; k++)
		for (int i = 0; i < k; i++)
			chunk(&f, 32, VTABLE(k) + 16);
	chunk(&f, 64, 0x1234);		 /* points nowhere: not a type */
	chunk(&f, 64, VTABLE(3));	 /* offset-to-top, not an address point */
	chunk(&f, 16 * 1024, VTABLE(1) + 24); /* a secondary vtable of T1: T1 too */
	CHECK_EQ(hs_watch_top_types(NULL, &f.types, &f.heap, 10, out, &count), 0);
	CHECK_EQ(count, 10);
	CHECK(strcmp(out[0].name, "T1") == 0); /* 16 KiB - 8 + 24 */
	CHECK_EQ(out[0].bytes, 16 * 1024 - 8 + 24);
	CHECK_EQ(out[0].instances, 2);
	for (int i = 1; i < 10; i++) { /* then T12, T11, ... T4 */
		char name[8];

		snprintf(name, sizeof(name), "T%d", 13 - i);
		CHECK(strcmp(out[i].name, name) == 0);
		CHECK_EQ(out[i].instances, 13 - i);
		CHECK_EQ(out[i].bytes, 24 * (13 - i));
	}
	/* Fewer asked, fewer given; none asked, none. */
	CHECK_EQ(hs_watch_top_types(NULL, &f.types, &f.heap, 3, out, &count), 0);
	CHECK_EQ(count, 3);
	CHECK(strcmp(out[2].name, "T11") == 0);
	CHECK_EQ(hs_watch_top_types(NULL, &f.types, &f.heap, 0, out, &count), 0);
	CHECK_EQ(count, 0);
	fixture_free(&f);
}

/* Free chunks cached in tcache or fastbins look in use and still hold a stale vtable pointer;
 * mmapped blocks were not read by the walk; a read that kept nothing has no census. */
static void test_not_counted(void)
{
	struct hs_watch_type out[HS_WATCH_MAX_TYPES];
	struct fixture f;
	size_t count;

	fixture_init(&f);
	CHECK_EQ(hs_types_add(&f.types, VTABLE(1), 48, "_ZTV6Widget"), 0);
	CHECK_EQ(hs_types_finish(&f.types), 0);
	for (int i = 0; i < 5; i++)
		chunk(&f, 48, VTABLE(1) + 16);
	f.heap.cached_chunks = malloc(2 * sizeof(uint64_t));
	f.heap.cached_chunks[0] = f.heap.kept[1].chunk;
	f.heap.cached_chunks[1] = f.heap.kept[3].chunk;
	f.heap.cached_chunk_count = 2;
	f.heap.mmapped = malloc(2 * sizeof(uint64_t));
	f.heap.mmapped[0] = 0x7f0000000000;
	f.heap.mmapped[1] = 1 << 20;
	f.heap.mmapped_count = 2;
	CHECK_EQ(hs_watch_top_types(NULL, &f.types, &f.heap, 10, out, &count), 0);
	CHECK_EQ(count, 1);
	CHECK(strcmp(out[0].name, "Widget") == 0);
	CHECK_EQ(out[0].instances, 3);
	CHECK_EQ(out[0].bytes, 3 * 40);
	f.heap.kept_all = false; /* a heap past HS_GLIBC_MAX_KEPT chunks: not read again */
	count = 7;
	CHECK_EQ(hs_watch_top_types(NULL, &f.types, &f.heap, 10, out, &count), -E2BIG);
	CHECK_EQ(count, 0);
	fixture_free(&f);
}

static void test_names(void)
{
	char a[400], b[400], mangled[420], out_a[HS_WATCH_TYPE_NAME_BYTES],
		out_b[HS_WATCH_TYPE_NAME_BYTES], name[HS_WATCH_TYPE_NAME_BYTES];
	struct hs_watch_type out[HS_WATCH_MAX_TYPES];
	struct fixture f;
	size_t count;

	/* Short: as it is.  Exactly the bound minus its NUL: as it is. */
	hs_watch_type_name(name, "std::runtime_error");
	CHECK(strcmp(name, "std::runtime_error") == 0);
	memset(a, 'x', HS_WATCH_TYPE_NAME_BYTES - 1);
	a[HS_WATCH_TYPE_NAME_BYTES - 1] = '\0';
	hs_watch_type_name(name, a);
	CHECK(strcmp(name, a) == 0);
	/* Long: cut, with a hash of the whole name, so two names with one prefix stay two. */
	memset(a, 'L', 300);
	a[300] = '\0';
	memcpy(b, a, 301);
	b[299] = 'M';
	hs_watch_type_name(out_a, a);
	hs_watch_type_name(out_b, b);
	CHECK_EQ(strlen(out_a), HS_WATCH_TYPE_NAME_BYTES - 1);
	CHECK(strncmp(out_a, a, 100) == 0);
	CHECK(strstr(out_a, "...~") != NULL);
	CHECK(strcmp(out_a, out_b) != 0);
	/* A cut never splits a UTF-8 sequence: é (2 bytes) straddling the cut is left out whole. */
	memset(a, 'u', sizeof(a));
	for (size_t at = 100; at < 125; at++) {
		memset(a, 'u', 300);
		a[300] = '\0';
		memcpy(a + at, "\xc3\xa9\xe2\x82\xac", 5); /* é € */
		hs_watch_type_name(name, a);
		CHECK(strlen(name) < HS_WATCH_TYPE_NAME_BYTES);
		for (char *s = name; *s; s++) /* every lead byte has its continuation bytes */
			if ((unsigned char)*s >= 0xc0)
				CHECK(((unsigned char)s[1] & 0xc0) == 0x80);
		CHECK(strstr(name, "...~") != NULL);
	}

	/* In a census: the two long names are two types, each under 128 bytes. */
	fixture_init(&f);
	memset(a, 'L', 300);
	snprintf(mangled, sizeof(mangled), "_ZTV300%.300s", a);
	CHECK_EQ(hs_types_add(&f.types, VTABLE(1), 48, mangled), 0);
	mangled[sizeof("_ZTV300") - 1 + 299] = 'M';
	CHECK_EQ(hs_types_add(&f.types, VTABLE(2), 48, mangled), 0);
	/* One class's vtable in two objects (equal names): one type. */
	CHECK_EQ(hs_types_add(&f.types, VTABLE(3), 48, "_ZTV6Widget"), 0);
	CHECK_EQ(hs_types_add(&f.types, VTABLE(4), 48, "_ZTV6Widget"), 0);
	CHECK_EQ(hs_types_finish(&f.types), 0);
	chunk(&f, 32, VTABLE(1) + 16);
	chunk(&f, 32, VTABLE(2) + 16);
	chunk(&f, 32, VTABLE(2) + 16);
	chunk(&f, 48, VTABLE(3) + 16);
	chunk(&f, 48, VTABLE(4) + 16);
	CHECK_EQ(hs_watch_top_types(NULL, &f.types, &f.heap, 10, out, &count), 0);
	CHECK_EQ(count, 3);
	CHECK(strcmp(out[0].name, "Widget") == 0);
	CHECK_EQ(out[0].instances, 2);
	CHECK_EQ(out[0].bytes, 80);
	CHECK(strncmp(out[1].name, "LLLL", 4) == 0 && strlen(out[1].name) < sizeof(out[1].name));
	CHECK_EQ(out[1].instances, 2); /* the M one */
	CHECK_EQ(out[2].instances, 1);
	CHECK(strcmp(out[1].name, out[2].name) != 0);
	fixture_free(&f);
}

int main(void)
{
	TEST(test_top_n);
	TEST(test_not_counted);
	TEST(test_names);
	return check_summary();
}
