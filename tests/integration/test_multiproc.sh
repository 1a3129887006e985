#!/usr/bin/env bash
# Many processes: three processes of one binary and one other process; -p A,B,
# --exe (by file identity: the other one is not attached), --follow for a process
# started after attach, --merge, and exact live bytes per process against each
# one's own truth (the folded root frame "COMM [PID]" splits the output).
. "$(dirname "$0")/../lib.sh"

# start_three: three truth_fp workloads (PIDS[], DIRS[]) and one truth_nofp (OTHER).
start_three() {
	PIDS=(); DIRS=()
	for i in 1 2 3; do
		start_workload truth_fp "$OUT/$1$i"
		PIDS+=("$WPID"); DIRS+=("$OUT/$1$i")
	done
	start_workload truth_nofp "$OUT/$1-other"
	OTHER=$WPID; OTHER_DIR=$OUT/$1-other
}

# release_all DIR...: let the workloads exit and reap them.
release_all() {
	for d in "$@"; do touch "$d/exit"; done
	wait "${PIDS[@]}" "$OTHER" 2>/dev/null
}

# check_each FOLDED: every truth_fp process's stacks (under its root frame) match its truth.
check_each() {
	local i
	for i in 0 1 2; do
		process_folded "$1" "truth_fp [${PIDS[$i]}]" > "$1.${PIDS[$i]}"
		check "PID ${PIDS[$i]} has its own stacks" [ -s "$1.${PIDS[$i]}" ]
		check_truth "$1.${PIDS[$i]}" "${DIRS[$i]}/truth" chains
	done
}

echo "# -p A,B -p C: one session over three processes, root frame per process"
start_three p
start_heapscope "$OUT/p.err" -p "${PIDS[0]},${PIDS[1]}" -p "${PIDS[2]}" -o "$OUT/p.folded"
wait_for_text "$OUT/p.err" "attached to PID ${PIDS[2]}"
check_eq "one attach line per PID" 3 "$(grep -c "attached to PID" "$OUT/p.err")"
run_all "${DIRS[@]}" "$OTHER_DIR"
stop_heapscope INT
check_eq "heapscope exits 0" 0 "$HRC"
check_each "$OUT/p.folded"
check_eq "every stack has a process root frame" 0 \
	"$(grep -cv '^truth_fp \[[0-9]*\];' "$OUT/p.folded")"
check "no lost events" grep -q "lost events: 0" "$OUT/p.err"
release_all "${DIRS[@]}" "$OTHER_DIR"

echo "# --exe: every process of the binary, not the other one; one exits mid-session"
start_three e
start_heapscope "$OUT/e.err" --exe "$BIN/truth_fp" -f json -o "$OUT/e.json"
wait_for_text "$OUT/e.err" "attached to PID ${PIDS[2]}"
check_eq "the three processes of truth_fp are attached" 3 "$(grep -c "attached to PID" "$OUT/e.err")"
check "the other binary is not attached" [ "$(grep -c "attached to PID $OTHER " "$OUT/e.err")" = 0 ]
run_all "${DIRS[@]}" "$OTHER_DIR"
touch "${DIRS[0]}/exit"
wait_for_text "$OUT/e.err" "PID ${PIDS[0]} (truth_fp) exited"
check "the session goes on after one exits" kill -0 "$HPID"
stop_heapscope INT
check_eq "heapscope exits 0" 0 "$HRC"
json_folded "$OUT/e.json" > "$OUT/e.folded"
check_each "$OUT/e.folded"
for i in 0 1 2; do
	check_eq "JSON: PID ${PIDS[$i]} live bytes are the sum of its stacks" \
		"$(awk '{ s += $NF } END { print s + 0 }' "$OUT/e.folded.${PIDS[$i]}")" \
		"$(json_process_field "$OUT/e.json" "${PIDS[$i]}" live_bytes)"
done
check_eq "JSON: the first one is marked exited" true \
	"$(json_process_field "$OUT/e.json" "${PIDS[0]}" exited)"
check_eq "JSON: the second one is not" false \
	"$(json_process_field "$OUT/e.json" "${PIDS[1]}" exited)"
release_all "${DIRS[@]}" "$OTHER_DIR"

echo "# --exe --follow: a process started after attach is profiled; --merge adds them up"
start_workload truth_fp "$OUT/f1"; PIDS=("$WPID"); DIRS=("$OUT/f1")
start_heapscope "$OUT/f.err" --exe "$BIN/truth_fp" --follow --merge -o "$OUT/f.folded"
start_workload truth_fp "$OUT/f2"; PIDS+=("$WPID"); DIRS+=("$OUT/f2")
wait_for_text "$OUT/f.err" "attached to PID $WPID"
OTHER=$WPID
run_all "${DIRS[@]}"
stop_heapscope INT
check_eq "heapscope exits 0" 0 "$HRC"
check_eq "--merge: no process root frame" 0 "$(grep -c '^truth_fp \[' "$OUT/f.folded")"
merged=$OUT/f.truth
awk '{ b[$1] += $2; c[$1] += $3; ch[$1] = $4 } END { for (f in b) print f, b[f], c[f], ch[f] }' \
	"${DIRS[0]}/truth" "${DIRS[1]}/truth" > "$merged"
check_truth "$OUT/f.folded" "$merged" chains
release_all "${DIRS[@]}"
finish
