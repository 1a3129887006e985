// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * file.c - whole files in.
 *
 * Owns: reading a file whole (procfs text, folded profiles).  Does not own:
 * what the text means, nor opening a path a target names (a FIFO, a device or
 * a symlink out of its root planted there): that is target/proc.c's
 * hs_proc_open_in_root.
 *
 * Invariant: every function returns 0, else a negative errno, and leaves
 * nothing open or allocated on failure.
 */
#include "lib/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
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
