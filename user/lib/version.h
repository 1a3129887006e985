/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_VERSION_H
#define HEAPSCOPE_VERSION_H

/* "0.1.0": the VERSION file the binary was built from (the Debian package's version). */
const char *hs_version_number(void);

/* "0.1.0 (git d9880d8)": the number, and what `git describe` said when it was built in a
 * git tree ("-dirty" when it had uncommitted changes).  What every output names itself
 * by: the JSON's "heapscope_version", the report's second line, pprof's first comment. */
const char *hs_version(void);

#endif
