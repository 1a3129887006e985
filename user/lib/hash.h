/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_HASH_H
#define HEAPSCOPE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* splitmix64 finalizer: cheap, and spreads addresses that differ only in low bits. */
static inline uint64_t hs_hash64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static inline uint64_t hs_hash_words(uint64_t seed, const uint64_t *words, size_t count)
{
	uint64_t h = hs_hash64(seed);

	for (size_t i = 0; i < count; i++)
		h = hs_hash64(h ^ words[i]);
	return h;
}

/* FNV-1a over a C string, finalized: for interning names. */
static inline uint64_t hs_hash_string(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return hs_hash64(h);
}

#endif
