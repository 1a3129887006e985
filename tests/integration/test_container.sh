#!/usr/bin/env bash
# A target in its own mount and PID namespaces: its binary and libraries are private
# copies in a directory that becomes its root (bind mount + pivot_root), so every path
# in its maps either does not exist on the host or names a different file there.  heapscope must probe and
# symbolize through /proc/PID/root and /proc/PID/map_files, and report both PIDs.
. "$(dirname "$0")/../lib.sh"

R=$OUT/root
mkdir -p "$R/lib/x86_64-linux-gnu" "$R/lib64" "$R/work" "$R/old"
cp "$BIN/truth_fp" "$R/truth_fp"
ldd "$BIN/truth_fp" | awk '/=> \// { print $3 } /^\t\/lib64/ { print $1 }' | while read -r lib; do
	case $lib in
	*/ld-linux*) cp "$lib" "$R/lib64/" ;;
	*) cp "$lib" "$R/lib/x86_64-linux-gnu/" ;;
	esac
done

unshare --mount --pid --fork sh -c "mount --make-rprivate / && mount --bind '$R' '$R' &&
	cd '$R' && pivot_root . old && exec /truth_fp /work" > "$OUT/workload.out" 2>&1 &
UPID=$!
PIDS_TO_KILL+=("$UPID")
wait_for "$R/work/ready"
WPID=$(pgrep -P "$UPID" -x truth_fp)
check_eq "its maps name the private copy" /truth_fp \
	"$(awk '$6 ~ /truth_fp$/ { print $6; exit }' "/proc/$WPID/maps")"
check "the workload runs in the namespace" [ -n "$WPID" ]
PIDS_TO_KILL+=("$WPID")
check "its binary path does not exist on the host" [ ! -e /truth_fp ]
check "its libtruth.so is private" [ ! -e /lib/x86_64-linux-gnu/libtruth.so ]

start_heapscope "$OUT/json.err" -p "$WPID" -f json -o "$OUT/live.json"
check "the attach line gives both PIDs" \
	grep -q "attached to PID $WPID (/lib/x86_64-linux-gnu/libc.so.6, [0-9]* probes; PID 1 in its namespace)" \
	"$OUT/json.err"
run_phase "$R/work"
stop_heapscope INT
check_eq "heapscope exits 0" 0 "$HRC"
json_folded "$OUT/live.json" > "$OUT/live.folded"
check_truth "$OUT/live.folded" "$R/work/truth" chains
check_eq "JSON: host PID" "$WPID" "$(jq '.processes[0].pid' "$OUT/live.json")"
check_eq "JSON: namespace PID" 1 "$(jq '.processes[0].ns_pid' "$OUT/live.json")"

"$HEAPSCOPE" -p "$WPID" -d 0.5 -f report -o "$OUT/report.txt" 2> "$OUT/report.err"
check "the report's process row gives both PIDs" \
	grep -Eq "^ +$WPID +1 +truth_fp +running" "$OUT/report.txt"

touch "$R/work/exit"
wait "$UPID"
check_eq "workload exits cleanly" 0 "$?"
finish
