#!/usr/bin/env bash
# Complete stacks without frame pointers: workloads built -O2 -fomit-frame-pointer
# (PIE, non-PIE with a .debug_frame-only library, C++ through libstdc++'s
# operator new, a library dlopen'ed after attach) must have ALL of every
# function's live bytes under its complete chain main;...;function, walked with
# the unwind tables.  With frame pointers only, a glibc helper loses its caller.
. "$(dirname "$0")/../lib.sh"

# session NAME WORKLOAD HEAPSCOPE_ARGS...: attach, run the work phase, stop;
# leaves $OUT/NAME.folded, $OUT/NAME.err and the workload's files in $OUT/NAME/.
session() {
	local name=$1 workload=$2; shift 2
	start_workload "$workload" "$OUT/$name"
	start_heapscope "$OUT/$name.err" -p "$WPID" -o "$OUT/$name.folded" "$@"
	run_phase "$OUT/$name"
	stop_heapscope INT
	release_workload "$OUT/$name"
	check_eq "$name: heapscope exits 0" 0 "$HRC"
	check_eq "$name: workload exits cleanly" 0 "$WRC"
}

# cached_mostly ERRFILE: the walk searched the tables for under a quarter of the frames
# it found through them; the per-CPU row cache had the others (the same few call sites
# again and again).
cached_mostly() {
	sed -n 's/.*frames by table \([0-9]*\),.*rows searched \([0-9]*\) times.*/\1 \2/p' "$1" |
		awk '{ found = 1; ok = $1 > 0 && 4 * $2 < $1 } END { exit !(found && ok) }'
}

# check_walked_by_tables NAME: the summary says frames came from unwind tables, most of
# them with their row from the cache.
check_walked_by_tables() {
	check "$1: frames were found through unwind tables" \
		grep -q "frames by table [1-9]" "$OUT/$1.err"
	check "$1: rows mostly from the row cache ($(grep -o 'frames by table [0-9]*\|rows searched [0-9]*' \
		"$OUT/$1.err" | paste -sd' '))" cached_mostly "$OUT/$1.err"
	check "$1: no lost events" grep -q "lost events: 0" "$OUT/$1.err"
}

"$HEAPSCOPE" -p 1 --unwind frames 2> "$OUT/bad_mode.err"
check_eq "an unknown --unwind mode is a usage error" 2 "$?"
check "and says which modes exist" grep -q "expected auto, dwarf or fp" "$OUT/bad_mode.err"

elf_type() { readelf -h "$1" | sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p'; }
check_eq "truth_nofp is a PIE" DYN "$(elf_type "$BIN/truth_nofp")"
check_eq "truth_nofp_nopie is not" EXEC "$(elf_type "$BIN/truth_nofp_nopie")"

for workload in truth_nofp truth_nofp_nopie; do
	echo "  -- $workload"
	session "$workload" "$workload" --unwind dwarf
	check_truth "$OUT/$workload.folded" "$OUT/$workload/truth" chains
	check_walked_by_tables "$workload"
done

# C++, with a frame limit that cuts the libc start frames above main: the chain
# from main stays complete and every cut stack is counted.
echo "  -- truth_cxx"
session truth_cxx truth_cxx --unwind dwarf --max-frames 4
check_truth "$OUT/truth_cxx.folded" "$OUT/truth_cxx/truth" chains
check_walked_by_tables truth_cxx
check "truth_cxx: the 200 new stacks cut at 4 frames are counted" \
	[ "$(sed -n 's/.*truncated stacks \([0-9]*\).*/\1/p' "$OUT/truth_cxx.err")" -ge 200 ]

echo "  -- a library loaded after attach"
start_workload dlopen_nofp "$OUT/dlopen"
start_heapscope "$OUT/dlopen.err" -p "$WPID" -v --unwind dwarf -o "$OUT/dlopen.folded"
touch "$OUT/dlopen/go"
wait_for "$OUT/dlopen/loaded"
check "the new library gets a table" \
	wait_for_text "$OUT/dlopen.err" "unwind table .*/libtruth_nofp.so: [0-9]* functions"
touch "$OUT/dlopen/go2"
wait_for "$OUT/dlopen/done"
stop_heapscope INT
release_workload "$OUT/dlopen"
check_truth "$OUT/dlopen.folded" "$OUT/dlopen/truth" chains

echo "  -- frame pointers only"
session fp truth_fp --unwind fp
check "fp: the summary says frame pointers only" grep -q "unwind fp: frame pointers only" \
	"$OUT/fp.err"
check_eq "fp: keep_malloc's chain is complete (frame pointers)" \
	"$(awk '$1 == "keep_malloc" { print $2 }' "$OUT/fp/truth")" \
	"$(chain_bytes "$OUT/fp.folded" "main;keep_malloc")"
check_eq "fp: strdup (no frame pointer in glibc) loses remember_name" 0 \
	"$(chain_bytes "$OUT/fp.folded" "main;remember_name;strdup")"
finish
