// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * membytes PID OBJECT FILE_OFFSET [COUNT] - print, in hex, the bytes the target
 * PID has in memory at FILE_OFFSET of the mapped file OBJECT.  Tests use it to
 * see the breakpoint a uprobe plants (0xcc) and that detaching restored the
 * original instruction bytes.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char path[64], line[4096], object[4096];
	unsigned long long start, end, offset, want, count = 16;
	unsigned char bytes[256];
	FILE *maps;
	int fd;

	if (argc < 4) {
		fprintf(stderr, "usage: membytes PID OBJECT FILE_OFFSET [COUNT]\n");
		return 2;
	}
	want = strtoull(argv[3], NULL, 0);
	if (argc > 4)
		count = strtoull(argv[4], NULL, 0);
	if (count > sizeof(bytes))
		count = sizeof(bytes);
	snprintf(path, sizeof(path), "/proc/%s/maps", argv[1]);
	maps = fopen(path, "r");
	if (!maps) {
		perror(path);
		return 1;
	}
	while (fgets(line, sizeof(line), maps)) {
		object[0] = '\0';
		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %4095s", &start, &end, &offset, object) < 3)
			continue;
		if (strcmp(object, argv[2]) || want < offset || want >= offset + (end - start))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/mem", argv[1]);
		fd = open(path, O_RDONLY);
		if (fd < 0 || pread(fd, bytes, count, start + want - offset) != (ssize_t)count) {
			perror(path);
			return 1;
		}
		for (unsigned long long i = 0; i < count; i++)
			printf("%02x", bytes[i]);
		printf("\n");
		return 0;
	}
	fprintf(stderr, "membytes: %s+%s is not mapped in PID %s\n", argv[2], argv[3], argv[1]);
	return 1;
}
