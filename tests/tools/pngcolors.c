// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pngcolors.c - what the SVG test needs to know about a screenshot:
 *   pngcolors FILE [X Y]
 * prints "colours N" (distinct RGB colours in the image) and, given X and Y,
 * "pixel rgb(R,G,B)" in the notation the SVG's fills use.  Reads the 8-bit
 * RGB or RGBA, non-interlaced PNGs that Chromium writes; anything else is an
 * error (exit 1), never a guess.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Undo the per-row filters in place; rows are 1 + stride bytes. */
static int unfilter(unsigned char *data, uint32_t height, size_t stride, int bpp)
{
	for (uint32_t y = 0; y < height; y++) {
		unsigned char *row = data + y * (stride + 1), *cur = row + 1;
		unsigned char *prev = y ? data + (y - 1) * (stride + 1) + 1 : NULL;

		for (size_t x = 0; x < stride; x++) {
			int a = x >= (size_t)bpp ? cur[x - bpp] : 0, b = prev ? prev[x] : 0;
			int c = prev && x >= (size_t)bpp ? prev[x - bpp] : 0;

			switch (row[0]) {
			case 0: break;
			case 1: cur[x] += a; break;
			case 2: cur[x] += b; break;
			case 3: cur[x] += (a + b) / 2; break;
			case 4: cur[x] += paeth(a, b, c); break;
			default: return -1;
			}
		}
	}
	return 0;
}

static int compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	unsigned char *file, *idat = NULL, *pixels;
	uint32_t width = 0, height = 0, *colours;
	size_t len, idat_len = 0, stride, distinct = 0;
	int bpp = 0;
	FILE *f;

	if (argc != 2 && argc != 4)
		return fprintf(stderr, "usage: pngcolors FILE [X Y]\n"), 2;
	f = fopen(argv[1], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (long)(len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(file = malloc(len)) || fread(file, 1, len, f) != len)
		return fprintf(stderr, "pngcolors: cannot read %s\n", argv[1]), 1;
	fclose(f);
	if (len < 8 || memcmp(file, "\x89PNG\r\n\x1a\n", 8))
		return fprintf(stderr, "pngcolors: not a PNG\n"), 1;
	for (size_t at = 8; at + 12 <= len;) {
		uint32_t chunk_len = be32(file + at);
		const unsigned char *type = file + at + 4, *data = file + at + 8;

		if (chunk_len > len - at - 12)
			return fprintf(stderr, "pngcolors: truncated chunk\n"), 1;
		if (!memcmp(type, "IHDR", 4) && chunk_len >= 13) {
			width = be32(data);
			height = be32(data + 4);
			bpp = data[9] == 2 ? 3 : data[9] == 6 ? 4 : 0;
			if (data[8] != 8 || !bpp || data[12] != 0)
				return fprintf(stderr, "pngcolors: only 8-bit RGB(A), no interlace\n"), 1;
		} else if (!memcmp(type, "IDAT", 4)) {
			idat = realloc(idat, idat_len + chunk_len);
			memcpy(idat + idat_len, data, chunk_len);
			idat_len += chunk_len;
		}
		at += 12 + chunk_len;
	}
	if (!bpp || !width || !height || width > 100000 || height > 100000)
		return fprintf(stderr, "pngcolors: no usable header\n"), 1;
	stride = (size_t)width * bpp;
	uLongf raw_len = (stride + 1) * height;
	pixels = malloc(raw_len);
	if (!pixels || uncompress(pixels, &raw_len, idat, idat_len) != Z_OK ||
	    raw_len != (stride + 1) * height || unfilter(pixels, height, stride, bpp))
		return fprintf(stderr, "pngcolors: bad image data\n"), 1;
	colours = malloc((size_t)width * height * sizeof(*colours));
	for (uint32_t y = 0; y < height; y++)
		for (uint32_t x = 0; x < width; x++) {
			const unsigned char *p = pixels + y * (stride + 1) + 1 + x * bpp;

			colours[(size_t)y * width + x] = (uint32_t)p[0] << 16 | p[1] << 8 | p[2];
		}
	if (argc == 4) {
		uint32_t x = atoi(argv[2]), y = atoi(argv[3]);
		const unsigned char *p = pixels + y * (stride + 1) + 1 + x * bpp;

		if (x >= width || y >= height)
			return fprintf(stderr, "pngcolors: %u,%u is outside %ux%u\n", x, y, width,
				       height), 1;
		printf("pixel rgb(%d,%d,%d)\n", p[0], p[1], p[2]);
	}
	qsort(colours, (size_t)width * height, sizeof(*colours), compare_u32);
	for (size_t i = 0; i < (size_t)width * height; i++)
		distinct += !i || colours[i] != colours[i - 1];
	printf("colours %zu\n", distinct);
	return 0;
}
