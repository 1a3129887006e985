// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_diff.c - heapscope diff OLD NEW: what changed between two folded profiles,
 * as folded lines or a differential flame graph.  No target, no BPF: two files
 * in, one out.
 *
 * Owns: reading the two files, the warnings on lines that are not folded stacks,
 * writing the result.  Does not own: the comparison and its rendering
 * (render/diff.c), the options (options.c).
 *
 * Invariant: the output is written whole or not at all (lib/output.c); an
 * unreadable input ends the command before anything is written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/errors.h"
#include "cli/options.h"
#include "lib/output.h"
#include "render/diff.h"
#include "render/html.h"
#include "lib/file.h"

static void warn_malformed(const char *path, const struct hs_folded *folded)
{
	if (folded->malformed_lines)
		hs_fail("%s: %llu lines are not folded stacks and were skipped (the first: "
			"line %zu)", path, (unsigned long long)folded->malformed_lines,
			folded->first_malformed_line);
}

/* heapscope diff OLD NEW: no target, no BPF; two files in, one out. */
int cmd_diff(int argc, char **argv)
{
	struct hs_diff_options opts;
	char error[256], *old_text = NULL, *new_text = NULL;
	size_t old_len, new_len;
	struct hs_output out;
	struct hs_diff diff = { 0 };
	int err;

	if (hs_diff_options_parse(argc, argv, &opts, error, sizeof(error)))
		return hs_fail_usage("diff", error);
	if (opts.help) {
		hs_diff_usage(stdout);
		return 0;
	}
	err = hs_read_file(opts.old_path, &old_text, &old_len);
	if (err)
		hs_fail("cannot read %s: %s", opts.old_path, strerror(-err));
	if (!err && (err = hs_read_file(opts.new_path, &new_text, &new_len)))
		hs_fail("cannot read %s: %s", opts.new_path, strerror(-err));
	if (!err && (err = hs_diff_build(&diff, old_text, old_len, new_text, new_len)))
		hs_fail("cannot compare %s and %s: %s", opts.old_path, opts.new_path,
			strerror(-err));
	if (!err) {
		warn_malformed(opts.old_path, &diff.old);
		warn_malformed(opts.new_path, &diff.new);
		err = hs_output_open(&out, opts.output_path);
		if (!err) {
			if (opts.format == HS_FORMAT_HTML)
				err = hs_diff_write_html(out.file, &diff, opts.old_path, opts.new_path);
			else if (opts.format == HS_FORMAT_SVG)
				err = hs_diff_write_svg(out.file, &diff, opts.old_path, opts.new_path);
			else
				err = hs_diff_write_folded(out.file, &diff);
			if (!err)
				err = hs_output_commit(&out);
			else
				hs_output_abort(&out);
		}
		if (err)
			hs_fail_write(opts.output_path, err);
	}
	hs_diff_free(&diff);
	free(old_text);
	free(new_text);
	return err ? 1 : 0;
}

