/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fuzz.h - what the fuzz harnesses share.  Each tests/fuzz/fuzz_X.c defines
 * LLVMFuzzerTestOneInput for one parser of untrusted input; it is linked two
 * ways: with libFuzzer (clang, `make fuzz`) and with replay.c (the normal
 * compiler, `make test`), which runs it over the seed corpus and over every
 * input that once crashed it (tests/fuzz/regressions/X/).
 *
 * FUZZ_ASSERT states what must hold for any input; a violation aborts, which
 * both drivers report as a failure.
 */
#ifndef HEAPSCOPE_TEST_FUZZ_H
#define HEAPSCOPE_TEST_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                               \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: FUZZ_ASSERT(%s) failed\n", __FILE__, __LINE__, \
				#cond);                                                 \
			abort();                                                        \
		}                                                                       \
	} while (0)

/* A private copy of the input, exactly as long: libelf gets a writable image and any
 * read past its end is caught.  NULL when out of memory. */
static inline void *fuzz_image(const uint8_t *data, size_t size)
{
	void *image = malloc(size ? size : 1);

	if (image && size)
		memcpy(image, data, size);
	return image;
}

#endif
