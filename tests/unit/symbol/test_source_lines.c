// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_source_lines.c - source lines (user/symbol/source_lines.c) of return addresses
 * in this very process: the fixture libsymbols_stripped.so has no DWARF of its
 * own, so its lines come from the debug file its .gnu_debuglink names, found
 * and kept open by the symbolizer (keep_files).  The expected lines are those
 * of the "marker:" comments in the fixture's source, read from the file the
 * DWARF names; the function's line is the one that defines it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "symbol/source_lines.h"

static struct hs_objects cache;
static struct hs_symbolizer sym;
static struct hs_source_lines lines;
static pid_t self;

/* The number of the first line of path containing text; 0 if none. */
static uint32_t line_with(const char *path, const char *text)
{
	FILE *f = fopen(path, "r");
	char buf[1024];
	uint32_t number = 0, found = 0;

	while (f && !found && fgets(buf, sizeof(buf), f)) {
		number++;
		if (strstr(buf, text))
			found = number;
	}
	if (f)
		fclose(f);
	return found;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t len = strlen(s), suffix_len = strlen(suffix);

	return len >= suffix_len && strcmp(s + len - suffix_len, suffix) == 0;
}

/* The line of the return address fn() returns: its call's, in function. */
static void check_call(void *lib, const char *fn, const char *marker, const char *definition)
{
	void *(*call)(void);
	struct hs_source_line src;

	*(void **)&call = dlsym(lib, fn);
	CHECK(call != NULL);
	if (!call)
		return;
	uint64_t return_address = (uint64_t)(uintptr_t)call();

	CHECK_EQ(hs_symbolizer_prepare(&sym, self, &return_address, 1), 0);
	CHECK_EQ(hs_source_lines_find(&lines, self, return_address, &src), 0);
	CHECK(ends_with(src.file, "/tests/unit/fixtures/symbols_lib.c"));
	CHECK(src.file[0] == '/'); /* made absolute with the compilation directory */
	CHECK_EQ(src.line, line_with(src.file, marker));
	CHECK(strcmp(src.function_file, src.file) == 0);
	CHECK_EQ(src.function_line, line_with(src.file, definition));
	CHECK(src.line != 0 && src.function_line != 0);
}

static void test_debuglink_file(void)
{
	char path[4200];
	void *lib;

	CHECK_EQ(check_fixture_path(path, sizeof(path), "libsymbols_stripped.so"), 0);
	lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	CHECK(lib != NULL);
	if (!lib)
		return;
	check_call(lib, "hs_fixture_call_site", "marker: direct call",
		   "void *hs_fixture_call_site(void)");
	/* Not the line inside the inlined body: that is another function's. */
	check_call(lib, "hs_fixture_inlined_call_site", "marker: inlined call",
		   "void *hs_fixture_inlined_call_site(void)");
	dlclose(lib);
}

/* Opening files directly: the object with DWARF, one without, one that is not ELF. */
static void test_files(void)
{
	struct hs_source_file src;
	struct hs_source_line line;
	char path[4200];
	int fd;

	CHECK_EQ(check_fixture_path(path, sizeof(path), "libsymbols_stripped.so"), 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(hs_source_file_open_fd(&src, fd), -ENOENT); /* no DWARF of its own */
	close(fd);

	CHECK_EQ(check_fixture_path(path, sizeof(path), "libsymbols.so"), 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK_EQ(hs_source_file_open_fd(&src, fd), 0);
	CHECK_EQ(hs_source_file_find(&src, 0, &line), -ENOENT); /* the ELF header: no code */
	CHECK_EQ(hs_source_file_find(&src, ~0ULL, &line), -ENOENT);
	CHECK(line.file[0] == '\0' && line.line == 0);
	hs_source_file_close(&src);
	close(fd);

	CHECK_EQ(hs_source_file_open_memory(&src, "not an ELF file", 15), -ENOENT);
	CHECK_EQ(hs_source_file_find(&src, 0x1000, &line), -ENOENT); /* closed: still safe */
}

/* Addresses no object's DWARF covers: no lines, and no error but that. */
static void test_unknown_addresses(void)
{
	struct hs_source_line src;
	uint64_t here = (uint64_t)(uintptr_t)test_unknown_addresses;
	uint64_t heap = (uint64_t)(uintptr_t)&src; /* the stack: no file */

	CHECK_EQ(hs_source_lines_find(&lines, self + 1, here + 1, &src), -ENOENT); /* unknown pid */
	CHECK_EQ(hs_source_lines_find(&lines, self, heap, &src), -ENOENT);
	CHECK(src.file[0] == '\0' && src.line == 0);
}

int main(void)
{
	self = getpid();
	hs_objects_init(&cache);
	hs_symbolizer_init(&sym, &cache);
	sym.keep_files = true;
	CHECK_EQ(hs_symbolizer_add_process(&sym, self), 0);
	hs_source_lines_init(&lines, &sym);
	TEST(test_debuglink_file);
	TEST(test_files);
	TEST(test_unknown_addresses);
	hs_source_lines_free(&lines);
	hs_symbolizer_free(&sym);
	hs_objects_free(&cache);
	return check_summary();
}
