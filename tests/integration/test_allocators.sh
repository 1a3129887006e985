#!/usr/bin/env bash
# The allocator the process really uses: the truth workload under LD_PRELOAD of
# Debian's jemalloc, tcmalloc and mimalloc, and as a static executable.  Every
# function's live bytes equal the truth, and every probe sits in the object the
# dynamic linker bound the process's calls to (LD_DEBUG=bindings).
#
# What an allocator does not define resolves to libc, and is probed there:
# jemalloc has no reallocarray and no pvalloc, tcmalloc no reallocarray.
. "$(dirname "$0")/../lib.sh"

LIBDIR=/usr/lib/x86_64-linux-gnu
LIBC=$(readlink -f $LIBDIR/libc.so.6)

profile_truth jemalloc truth_fp LD_PRELOAD=$LIBDIR/libjemalloc.so.2 LD_DEBUG=bindings
check_bindings "$OUT/jemalloc.stderr" "$OUT/jemalloc/stderr"
check_attach_line jemalloc \
	"$(readlink -f $LIBDIR/libjemalloc.so.2): malloc; $LIBC: reallocarray pvalloc"

profile_truth tcmalloc truth_fp LD_PRELOAD=$LIBDIR/libtcmalloc_minimal.so.4 LD_DEBUG=bindings
check_bindings "$OUT/tcmalloc.stderr" "$OUT/tcmalloc/stderr"
check_attach_line tcmalloc "$(readlink -f $LIBDIR/libtcmalloc_minimal.so.4): malloc; $LIBC: reallocarray"

profile_truth mimalloc truth_fp LD_PRELOAD=$LIBDIR/libmimalloc.so.2 LD_DEBUG=bindings
check_bindings "$OUT/mimalloc.stderr" "$OUT/mimalloc/stderr"
check_attach_line mimalloc "$(readlink -f $LIBDIR/libmimalloc.so.2)"

# Static: no dynamic linker, the allocator is in the executable's .symtab.
profile_truth static truth_static
check_attach_line static "$BIN/truth_static"
check "static: symbols come from the executable" \
	grep -q "symbols resolved in the executable" "$OUT/static.stderr"
finish
