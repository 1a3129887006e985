/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_OUTPUT_H
#define HEAPSCOPE_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

/* An output file written whole or not at all. */
struct hs_output {
	FILE *file;
	char *final_path; /* NULL: stdout */
	char *temp_path;
	bool in_place; /* a device or FIFO, written directly and closed at commit */
};

int hs_output_check(const char *path);
int hs_output_open(struct hs_output *out, const char *path);
int hs_output_commit(struct hs_output *out);
void hs_output_abort(struct hs_output *out);

#endif
