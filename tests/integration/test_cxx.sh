#!/usr/bin/env bash
# C++: operator new and delete in every variant.  With libstdc++, new calls
# malloc and delete calls free; under tcmalloc, jemalloc and mimalloc they are
# the allocator's own entry points (new does not call malloc).  Either way each
# block counts once, under the function that said new, and each delete frees
# once: a second free of the same block would show as an unknown free.
. "$(dirname "$0")/../lib.sh"

LIBDIR=/usr/lib/x86_64-linux-gnu
LIBC=$(readlink -f $LIBDIR/libc.so.6)

# libstdc++'s new is probed at entry only (its malloc reports), so a std::bad_alloc
# it throws can be caught: the workload catches five.
profile_truth libstdcxx truth_newdelete TRUTH_BAD_ALLOC=1 LD_DEBUG=bindings
check_bindings "$OUT/libstdcxx.stderr" "$OUT/libstdcxx/stderr"
check_attach_line libstdcxx "$LIBC: malloc; $(readlink -f $LIBDIR/libstdc++.so.6): new/delete"

# The allocators' own operator new has no return probe (a std::bad_alloc could not
# unwind through one): probes on its ret instructions close it, and probes where
# exceptions start close one that threw.  Under tcmalloc and jemalloc the workload
# catches five std::bad_alloc and goes on; the truth stays exact, each probed byte
# holds int3 while attached and its original value after (profile_truth).  Debian's
# mimalloc aborts on a failed new by itself (no throw), so that run does not fail one.
for allocator in tcmalloc_minimal.so.4 jemalloc.so.2 mimalloc.so.2; do
	label=${allocator%%[._]*}
	throw=TRUTH_BAD_ALLOC=1
	[ "$label" = mimalloc ] && throw=TRUTH_BAD_ALLOC=0
	profile_truth "$label" truth_newdelete LD_PRELOAD=$LIBDIR/lib$allocator LD_DEBUG=bindings \
		"$throw"
	check_bindings "$OUT/$label.stderr" "$OUT/$label/stderr"
	check "$label: operator new is closed at its ret instructions, in the allocator" \
		grep -q "probe _Znwm .*lib$label.*(entry+rets)" "$OUT/$label.stderr"
	check "$label: ret instructions of operator new are probed" \
		grep -q "probe _Znwm .*lib$label.* (ret) .* ret, " "$OUT/$label.stderr"
	check "$label: no throwing new keeps a return probe" \
		[ -z "$(grep "keeps a return probe" "$OUT/$label.stderr")" ]
done
# A static C++ executable: libstdc++'s operator new, malloc and the exception
# runtime are the executable's own, so new is an entry point of its own too.
profile_truth static truth_newdelete_static TRUTH_BAD_ALLOC=1
check "static: operator new is closed at its ret instructions" \
	grep -q "probe _Znwm .*truth_newdelete_static.*(entry+rets)" "$OUT/static.stderr"
for label in tcmalloc jemalloc static; do
	check "$label: the five std::bad_alloc were seen, each closing its new" \
		grep -q "operator new threw 5 times" "$OUT/$label.stderr"
done
for label in libstdcxx tcmalloc jemalloc mimalloc; do
	check "$label: every delete freed a known block once" \
		grep -q "unknown frees 0 " "$OUT/$label.stderr"
done
finish
