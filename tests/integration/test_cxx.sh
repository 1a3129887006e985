#!/usr/bin/env bash
# C++: operator new and delete in every variant.  With libstdc++, new calls
# malloc and delete calls free; under tcmalloc, jemalloc and mimalloc they are
# the allocator's own entry points (new does not call malloc).  Either way each
# block counts once, under the function that said new, and each delete frees
# once: a second free of the same block would show as an unknown free.
. "$(dirname "$0")/../lib.sh"

LIBDIR=/usr/lib/x86_64-linux-gnu
LIBC=$(readlink -f $LIBDIR/libc.so.6)

# libstdc++'s new is probed at entry only, so a std::bad_alloc it throws can be
# caught: the workload catches five.
profile_truth libstdcxx truth_newdelete TRUTH_BAD_ALLOC=1 LD_DEBUG=bindings
check_bindings "$OUT/libstdcxx.stderr" "$OUT/libstdcxx/stderr"
check_attach_line libstdcxx "$LIBC: malloc; $(readlink -f $LIBDIR/libstdc++.so.6): new/delete"

# The allocators' own operator new has a return probe: a std::bad_alloc thrown
# through it would terminate the process (README, Limits), so these runs do not
# throw; failing nothrow new is exercised.
for allocator in tcmalloc_minimal.so.4 jemalloc.so.2 mimalloc.so.2; do
	label=${allocator%%[._]*}
	profile_truth "$label" truth_newdelete LD_PRELOAD=$LIBDIR/lib$allocator LD_DEBUG=bindings
	check_bindings "$OUT/$label.stderr" "$OUT/$label/stderr"
	check "$label: operator new is probed in the allocator" \
		grep -q "probe _Znwm .*lib$label.*(entry+return)" "$OUT/$label.stderr"
done
for label in libstdcxx tcmalloc jemalloc mimalloc; do
	check "$label: every delete freed a known block once" \
		grep -q "unknown frees 0 " "$OUT/$label.stderr"
done
finish
