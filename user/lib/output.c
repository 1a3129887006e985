// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * output.c - write results atomically: into a temporary file beside the
 * requested path, then rename over it.  A reader never sees half a profile,
 * and a failed write (full disk, missing directory) leaves nothing behind.
 * A path that exists and is not a regular file (/dev/null, a FIFO, a
 * terminal) is written in place: renaming over it would replace the device.
 */
#include "lib/output.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Can path be written at the end of a session?  Checked before attaching, so a
 * typo in -o does not cost a whole session. */
int hs_output_check(const char *path)
{
	char *dir;
	int err = 0;

	if (!path || strcmp(path, "-") == 0)
		return 0;
	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	if (access(dirname(dir), W_OK))
		err = -errno;
	free(dir);
	return err;
}

static bool is_special_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

int hs_output_open(struct hs_output *out, const char *path)
{
	int fd;

	memset(out, 0, sizeof(*out));
	if (!path || strcmp(path, "-") == 0) {
		out->file = stdout;
		return 0;
	}
	if (is_special_file(path)) {
		out->file = fopen(path, "w");
		out->in_place = out->file != NULL;
		return out->file ? 0 : -errno;
	}
	out->final_path = strdup(path);
	if (!out->final_path || asprintf(&out->temp_path, "%s.tmp.XXXXXX", path) < 0) {
		free(out->final_path);
		out->final_path = NULL;
		return -ENOMEM;
	}
	fd = mkstemp(out->temp_path);
	if (fd < 0) {
		int err = -errno;

		hs_output_abort(out);
		return err;
	}
	fchmod(fd, 0644);
	out->file = fdopen(fd, "w");
	if (!out->file) {
		int err = -errno;

		close(fd);
		hs_output_abort(out);
		return err;
	}
	return 0;
}

int hs_output_commit(struct hs_output *out)
{
	int err = 0;

	if (!out->final_path) {
		if (fflush(out->file))
			err = -errno;
		if (out->in_place && fclose(out->file) && !err)
			err = -errno;
		out->file = NULL;
		return err;
	}
	if (fflush(out->file) || fsync(fileno(out->file)))
		err = -errno;
	if (fclose(out->file) && !err)
		err = -errno;
	out->file = NULL;
	if (!err && rename(out->temp_path, out->final_path))
		err = -errno;
	if (err) {
		hs_output_abort(out);
		return err;
	}
	free(out->temp_path);
	free(out->final_path);
	memset(out, 0, sizeof(*out));
	return 0;
}

void hs_output_abort(struct hs_output *out)
{
	if (out->file && out->file != stdout)
		fclose(out->file);
	if (out->temp_path)
		unlink(out->temp_path);
	free(out->temp_path);
	free(out->final_path);
	memset(out, 0, sizeof(*out));
}
