#!/usr/bin/env bash
# Each file read once: with -v, heapscope says how many objects it opened and
# parsed and how often it read /proc/PID/maps.  Every stage (probe planning,
# unwind tables, ret sites, symbols) asks one object cache, so each file mapped
# with code is opened exactly once per session, however many processes map it,
# and each target's maps are read once when nothing new is mapped.
. "$(dirname "$0")/../lib.sh"

# mapped_files PID...: distinct files (device, inode) mapped with code into the PIDs.
mapped_files() {
	local pid
	for pid in "$@"; do
		awk '$2 ~ /x/ && $6 ~ /^\// { print $4, $5 }' "/proc/$pid/maps"
	done | sort -u | wc -l
}

# objects_field ERRFILE WHAT: the count before WHAT ("opened", "parsed") on the -v line.
objects_field() {
	sed -n "s/^heapscope: objects: .*\b\([0-9][0-9]*\) $2\b.*/\1/p" "$1"
}

# maps_reads ERRFILE: "/proc/PID/maps read N times for M processes" -> "N M".
maps_reads() {
	grep '^heapscope: objects: ' "$1" |
		sed 's/.*maps read \([0-9]*\) times for \([0-9]*\) processes$/\1 \2/'
}

echo "# -p: one process"
start_workload truth_fp "$OUT/one"
start_heapscope "$OUT/one.err" -p "$WPID" -v -o "$OUT/one.folded"
files=$(mapped_files "$WPID")
run_phase "$OUT/one"
stop_heapscope INT
check_eq "heapscope exits 0" 0 "$HRC"
check_eq "the -v line says what was read" 1 "$(grep -c '^heapscope: objects: ' "$OUT/one.err")"
check_eq "each file with code opened once" "$files" "$(objects_field "$OUT/one.err" opened)"
check_eq "each opened file parsed once" "$files" "$(objects_field "$OUT/one.err" parsed)"
check_eq "maps read once for the one target" "1 1" "$(maps_reads "$OUT/one.err")"
release_workload "$OUT/one"

echo "# --exe: three processes of one binary share every file"
PIDS=(); DIRS=()
for i in 1 2 3; do
	start_workload truth_fp "$OUT/exe$i"
	PIDS+=("$WPID"); DIRS+=("$OUT/exe$i")
done
start_heapscope "$OUT/exe.err" --exe "$BIN/truth_fp" -v -o "$OUT/exe.folded"
wait_for_text "$OUT/exe.err" "attached to PID ${PIDS[2]}"
files=$(mapped_files "${PIDS[@]}")
run_all "${DIRS[@]}"
stop_heapscope INT
check_eq "heapscope exits 0" 0 "$HRC"
check_eq "each file opened once for all three" "$files" "$(objects_field "$OUT/exe.err" opened)"
check_eq "each file parsed once for all three" "$files" "$(objects_field "$OUT/exe.err" parsed)"
check_eq "maps read once per target" "3 3" "$(maps_reads "$OUT/exe.err")"
for d in "${DIRS[@]}"; do touch "$d/exit"; done
wait "${PIDS[@]}" 2>/dev/null

echo "# a library dlopen'ed after attach: the maps are read again, the new file opened once"
start_workload dlopen_nofp "$OUT/dlopen"
start_heapscope "$OUT/dlopen.err" -p "$WPID" -v -o "$OUT/dlopen.folded"
touch "$OUT/dlopen/go"
wait_for "$OUT/dlopen/loaded"
wait_for_text "$OUT/dlopen.err" "unwind table .*/libtruth_nofp.so: [0-9]* functions"
touch "$OUT/dlopen/go2"
wait_for "$OUT/dlopen/done"
files=$(mapped_files "$WPID")
stop_heapscope INT
release_workload "$OUT/dlopen"
check_eq "heapscope exits 0" 0 "$HRC"
check_eq "each file opened once, the new one too" "$files" \
	"$(objects_field "$OUT/dlopen.err" opened)"
read -r reads processes <<< "$(maps_reads "$OUT/dlopen.err")"
check_eq "one target" 1 "$processes"
check "its maps were read again for the new library" [ "${reads:-0}" -ge 2 ]
finish
