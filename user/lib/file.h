/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_FILE_H
#define HEAPSCOPE_FILE_H

#include <stddef.h>

int hs_read_file(const char *path, char **text, size_t *text_len);

#endif
