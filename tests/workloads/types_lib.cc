// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * types_lib.cc - a polymorphic class defined in a shared object, so its vtable (the
 * _ZTV symbol heapscope names it by) lives in libtypes.so, not in the executable.
 */
#include "types_lib.h"

Gamma::~Gamma() = default;
int Gamma::kind() const { return 3; }

Gamma *make_gamma(int value)
{
	return new Gamma(value);
}
