// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * file.c - whole files in, and files opened only when they are regular files.
 *
 * Owns: reading a file whole (procfs text, folded profiles) and opening a
 * path that someone else may control (a target's files) without blocking on
 * a FIFO or reading a device.  Does not own: what the text means.
 *
 * Invariant: every function returns 0 or an fd, else a negative errno, and
 * leaves nothing open or allocated on failure.
 */
#include "lib/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* A whole file, NUL-terminated (len excludes the NUL; NULL if not wanted). */
int hs_read_file(const char *path, char **text, size_t *text_len)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf) {
		int err = fd < 0 ? -errno : -ENOMEM;

		free(buf);
		if (fd >= 0)
			close(fd);
		return err;
	}
	for (;;) {
		ssize_t got;

		if (len + 1 >= cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = bigger;
			cap *= 2;
		}
		got = read(fd, buf + len, cap - len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int err = -errno;

			free(buf);
			close(fd);
			return err;
		}
		if (got == 0)
			break;
		len += got;
	}
	close(fd);
	buf[len] = '\0';
	*text = buf;
	if (text_len)
		*text_len = len;
	return 0;
}

/*
 * Open a regular file for reading; -errno on failure (-EINVAL: not a regular
 * file).  O_NONBLOCK: a FIFO planted where a target's file is expected opens
 * at once instead of waiting for a writer, and is then refused.
 */
int hs_open_regular_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}
