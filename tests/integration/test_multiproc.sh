#!/usr/bin/env bash
# Many processes: three processes of one binary and one other process; -p A,B,
# --exe (by file identity: the other one is not attached), --follow for a process
# started after attach, --merge, and exact live bytes per process against each
# one's own truth (the folded root frame "COMM [PID]" splits the output).  Then
# churning processes attached one after another while the others allocate, one
# caught before its allocator was mapped, one leaving mid-session.
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

# begin_churn DIR: let a churn_truth workload go; wait until each of its threads went round.
begin_churn() {
	touch "$1/go"
	wait_for "$1/churning" 60
}

# end_churn DIR: stop a churn_truth workload's churn; wait until it wrote its truth.
end_churn() {
	touch "$1/stop"
	wait_for "$1/done" 60
}

# probes_of ERRFILE PID: how many probes heapscope's attach line says PID got.
probes_of() {
	sed -n "s/.*attached to PID $2 (.*, \([0-9]*\) probes.*/\1/p" "$1"
}

# bpf_keys_are PID MAP KEYS: MAP of process PID holds exactly KEYS (ascending, one space).
bpf_keys_are() {
	[ "$(bpf_map_keys "$1" "$2" | paste -sd' ')" = "$3" ]
}

# probe_fds_are PID N: process PID holds N probes.
probe_fds_are() {
	[ "$(probe_fds "$1")" = "$2" ]
}

echo "# --follow over churning processes: one attached later leaves the others' calls in flight"
# Every process is let go once attached, and keeps allocating (4 MiB reallocs: a call is
# nearly always in flight) while the next is attached.  The second one is held before
# its dynamic linker runs: --follow finds it with no allocator yet and looks again.
C=$OUT/churn
start_workload churn_truth "$C-0"; C0=$WPID
start_heapscope "$OUT/c.err" --exe "$BIN/churn_truth" --follow -v -f json -o "$OUT/c.json"
begin_churn "$C-0"
mkdir -p "$C-1"
"$BIN/exec_stopped" "$C-1" "$BIN/churn_truth" "$C-1" > "$C-1/stdout" 2> "$C-1/stderr" &
HOLDER=$!; PIDS_TO_KILL+=("$HOLDER")
wait_for "$C-1/pid"; C1=$(cat "$C-1/pid"); PIDS_TO_KILL+=("$C1")
wait_for_text "$OUT/c.err" "PID $C1 has no allocator mapped yet"
touch "$C-1/resume"
wait_for "$C-1/ready"
wait_for_text "$OUT/c.err" "attached to PID $C1"
begin_churn "$C-1"
start_workload churn_truth "$C-2"; C2=$WPID
wait_for_text "$OUT/c.err" "attached to PID $C2"
begin_churn "$C-2"
check_eq "three processes attached" 3 "$(grep -c "attached to PID" "$OUT/c.err")"

echo "# ... and one leaves mid-session: its map entries and probes go, its data stays"
end_churn "$C-1"
touch "$C-1/exit"
wait "$HOLDER"
check_eq "it exits cleanly" 0 "$?"
wait_for_text "$OUT/c.err" "PID $C1 (churn_truth) exited"
alive_keys=$(printf '%s\n' "$C0" "$C2" | sort -n | paste -sd' ')
check "BPF targets: only the processes still there ($alive_keys)" \
	wait_until 30 "PID $C1 out of targets" bpf_keys_are "$HPID" targets "$alive_keys"
check "BPF unwind mappings: only the processes still there" \
	wait_until 30 "PID $C1 out of unwind_processes" \
	bpf_keys_are "$HPID" unwind_processe "$alive_keys"
probes_left=$(($(probes_of "$OUT/c.err" "$C0") + $(probes_of "$OUT/c.err" "$C2")))
wait_until 30 "PID $C1's probes detached" probe_fds_are "$HPID" "$probes_left"
check_eq "uprobes: only those of the processes still there" "$probes_left" \
	"$(probe_fds "$HPID")"
check "the session goes on" kill -0 "$HPID"
end_churn "$C-0"
end_churn "$C-2"
stop_heapscope INT
check_eq "heapscope exits 0" 0 "$HRC"
check "no lost events" grep -q "lost events: 0" "$OUT/c.err"
json_folded "$OUT/c.json" > "$OUT/c.folded"
CP=("$C0" "$C1" "$C2")
for i in 0 1 2; do
	pid=${CP[$i]}
	process_folded "$OUT/c.folded" "churn_truth [$pid]" > "$OUT/c.folded.$pid"
	check_truth "$OUT/c.folded.$pid" "$C-$i/truth" chains
	read -r count bytes < "$C-$i/counts"
	check_eq "PID $pid: every block it was handed is counted" "$count $bytes" \
		"$(json_process_field "$OUT/c.json" "$pid" alloc_count) $(json_process_field \
		"$OUT/c.json" "$pid" alloc_bytes)"
done
check_eq "JSON: the one that left is marked exited" true \
	"$(json_process_field "$OUT/c.json" "$C1" exited)"
for d in "$C-0" "$C-2"; do touch "$d/exit"; done
wait "$C0" "$C2"
finish
