// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_types.c - a block's C++ class from its first word (user/inspect/types.c): the address
 * point 16 bytes into a vtable symbol and anything further in name the class, the first 16
 * bytes and the end do not; names are demangled; duplicates of one vtable (.symtab and
 * .dynsym) are one; the cache answers the same as the search.
 */
#include <stdlib.h>

#include "check.h"
#include "inspect/types.h"

static void test_lookup(void)
{
	struct hs_types t;
	int widget;

	hs_types_init(&t);
	CHECK_EQ(hs_types_add(&t, 0x5000, 40, "_ZTV6Widget"), 0);
	CHECK_EQ(hs_types_add(&t, 0x5000, 40, "_ZTV6Widget"), 0); /* the same, from .dynsym */
	CHECK_EQ(hs_types_add(&t, 0x6000, 64, "_ZTVN3app7SessionE"), 0);
	CHECK_EQ(hs_types_add(&t, 0x7000, 8, "_ZTV5Small"), 0); /* no room for an address point */
	CHECK_EQ(hs_types_finish(&t), 0);
	CHECK_EQ(t.count, 2);
	widget = hs_types_lookup(&t, 0x5010);
	CHECK(widget >= 0);
	CHECK(hs_types_name(&t, widget) && strcmp(hs_types_name(&t, widget), "Widget") == 0);
	CHECK_EQ(hs_types_lookup(&t, 0x5000), -1); /* offset-to-top: not an object's word */
	CHECK_EQ(hs_types_lookup(&t, 0x5008), -1); /* typeinfo */
	CHECK_EQ(hs_types_lookup(&t, 0x5020), widget);
	CHECK_EQ(hs_types_lookup(&t, 0x5028), -1); /* the end */
	CHECK(strcmp(hs_types_name(&t, hs_types_lookup(&t, 0x6010)), "app::Session") == 0);
	CHECK_EQ(hs_types_lookup(&t, 0), -1);
	CHECK_EQ(hs_types_lookup(&t, 0x4fff), -1);
	for (int i = 0; i < 3; i++) /* from the cache, the same */
		CHECK_EQ(hs_types_lookup(&t, 0x5010), widget);
	CHECK(t.cache_hits >= 3);
	hs_types_free(&t);
}

int main(void)
{
	TEST(test_lookup);
	return check_summary();
}
