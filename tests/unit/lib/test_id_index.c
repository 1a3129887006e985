// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_id_index.c - the id-by-hash index (user/lib/id_index.c): random keys,
 * many of them repeated, interned against a plain array searched one by one;
 * every key keeps its first id across growth, and keys whose hashes collide
 * (or are all the same) are told apart by the owner's equality alone.
 */
#include <stdlib.h>

#include "check.h"
#include "lib/hash.h"
#include "lib/id_index.h"

#define KEYS 5000

struct owner {
	uint64_t keys[KEYS]; /* by id */
	uint32_t count;
	uint64_t hash_mask; /* hashes are masked with it: 0 makes every hash collide */
};

static uint64_t key_hash(const struct owner *o, uint64_t key)
{
	return hs_hash64(key) & o->hash_mask;
}

static bool key_matches(const void *owner, uint32_t id, const void *key)
{
	return ((const struct owner *)owner)->keys[id] == *(const uint64_t *)key;
}

static uint64_t id_hash(const void *owner, uint32_t id)
{
	const struct owner *o = owner;

	return key_hash(o, o->keys[id]);
}

/* The id of key, interned on first sight, as an owner of the index does it. */
static uint32_t intern(struct hs_id_index *index, struct owner *o, uint64_t key)
{
	uint64_t hash = key_hash(o, key);
	uint32_t id;

	if (hs_id_index_find(index, hash, key_matches, o, &key, &id))
		return id;
	CHECK_EQ(hs_id_index_insert(index, hash, o->count, id_hash, o), 0);
	o->keys[o->count] = key;
	return o->count++;
}

/* The reference: the first id given to key, by a search of every id. */
static uint32_t first_id(const struct owner *o, uint64_t key, uint32_t before)
{
	for (uint32_t id = 0; id < before; id++)
		if (o->keys[id] == key)
			return id;
	return before;
}

static void check_against_model(uint64_t hash_mask, uint64_t key_range, size_t steps)
{
	struct owner *o = calloc(1, sizeof(*o));
	struct hs_id_index index = { 0 };
	uint64_t random = 42;

	o->hash_mask = hash_mask;
	for (size_t i = 0; i < steps && o->count < KEYS; i++) {
		uint64_t key = check_random(&random) % key_range;
		uint32_t before = o->count, id = intern(&index, o, key);

		CHECK_EQ(id, first_id(o, key, before));
		if (id != first_id(o, key, before))
			break;
	}
	CHECK_EQ(index.count, o->count);
	CHECK(index.count * 2 <= index.capacity);
	CHECK_EQ(hs_id_index_memory_bytes(&index), index.capacity * sizeof(uint32_t));
	/* every id is still found after the growth it went through */
	for (uint32_t id = 0; id < o->count; id++) {
		uint32_t found = UINT32_MAX;

		CHECK(hs_id_index_find(&index, key_hash(o, o->keys[id]), key_matches, o,
				       &o->keys[id], &found));
		CHECK_EQ(found, id);
	}
	hs_id_index_free(&index);
	CHECK_EQ(index.capacity, 0);
	free(o);
}

static void test_grows_and_keeps_ids(void)
{
	check_against_model(UINT64_MAX, 4000, 20000); /* past two doublings of 1024 slots */
}

static void test_colliding_hashes(void)
{
	check_against_model(0x7, 300, 3000); /* 8 home slots for 300 keys */
	check_against_model(0, 50, 500);     /* one home slot for all */
}

static void test_empty_index_finds_nothing(void)
{
	struct hs_id_index index = { 0 };
	struct owner o = { .hash_mask = UINT64_MAX };
	uint64_t key = 7;
	uint32_t id = 123;

	CHECK(!hs_id_index_find(&index, 7, key_matches, &o, &key, &id));
	CHECK_EQ(id, 123);
	hs_id_index_free(&index);
}

int main(void)
{
	TEST(test_grows_and_keeps_ids);
	TEST(test_colliding_hashes);
	TEST(test_empty_index_finds_nothing);
	return check_summary();
}
