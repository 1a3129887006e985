// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * replay.c - run a fuzz harness without libFuzzer: `replay_fuzz_X PATH...`
 * calls the harness once per file (a directory: once per file in it), so
 * make test replays the seed corpus and every input that once crashed the
 * harness, built with the normal compiler (and with ASan+UBSan under
 * SANITIZE=1).  A missing path is skipped: a harness may have no
 * regressions yet.  Exits non-zero if no input was found at all.
 */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0, got;

	if (!f)
		return -1;
	do {
		if (len == cap) {
			uint8_t *bigger = realloc(data, cap = cap ? 2 * cap : 65536);

			if (!bigger) {
				free(data);
				fclose(f);
				return -1;
			}
			data = bigger;
		}
		got = fread(data + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int replay_path(const char *path, size_t *replayed)
{
	struct stat st;
	struct dirent *entry;
	DIR *dir;
	int err = 0;

	if (stat(path, &st))
		return 0;
	if (!S_ISDIR(st.st_mode)) {
		err = replay_file(path);
		*replayed += !err;
		return err;
	}
	dir = opendir(path);
	if (!dir)
		return -1;
	while (!err && (entry = readdir(dir))) {
		char child[4096];

		if (entry->d_name[0] == '.')
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, entry->d_name);
		err = replay_path(child, replayed);
	}
	closedir(dir);
	return err;
}

int main(int argc, char **argv)
{
	size_t replayed = 0;

	for (int i = 1; i < argc; i++) {
		if (replay_path(argv[i], &replayed)) {
			fprintf(stderr, "replay: cannot read %s\n", argv[i]);
			return 1;
		}
	}
	printf("  replayed %zu inputs\n", replayed);
	return replayed ? 0 : 1;
}
