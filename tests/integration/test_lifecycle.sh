#!/usr/bin/env bash
# Sessions that end badly: heapscope killed with SIGKILL, the target exiting,
# exec()ing another program, stopped with SIGSTOP, caught just after exec(), a zombie,
# its PID reused.
# heapscope must leave the target as it was, finish with a clear message, and
# write what it has.
. "$(dirname "$0")/../lib.sh"

# session_until_target_leaves NAME [ENV...]: profile a truth workload through its
# work phase, then release it and wait for heapscope to notice it is gone (exit,
# or exec with TRUTH_EXEC_AFTER).  Sets W, WPID, HRC; output in $OUT/NAME.*
session_until_target_leaves() {
	local name=$1; shift
	W=$OUT/$name
	start_workload truth_fp "$W" "$@"
	start_heapscope "$OUT/$name.err" -p "$WPID" -o "$OUT/$name.folded"
	run_phase "$W"
	touch "$W/exit"
	wait "$HPID"; HRC=$?
}

# start_held DIR: truth_fp in DIR, held by exec_stopped at its first instruction (only
# the program and ld.so mapped, no allocator yet) until DIR/resume.  Sets HOLDER, WPID.
start_held() {
	mkdir -p "$1"
	"$BIN/exec_stopped" "$1" "$BIN/truth_fp" "$1" > "$1/stdout" 2> "$1/stderr" &
	HOLDER=$!; PIDS_TO_KILL+=("$HOLDER")
	wait_for "$1/pid"; WPID=$(cat "$1/pid"); PIDS_TO_KILL+=("$WPID")
}

# held_session NAME: start_held $OUT/NAME (sets W, HOLDER, WPID), then heapscope -p on it
# in the background (HPID; $OUT/NAME.folded, .err), once it says it is waiting.
held_session() {
	W=$OUT/$1
	start_held "$W"
	"$HEAPSCOPE" -p "$WPID" -v -o "$OUT/$1.folded" 2> "$OUT/$1.err" &
	HPID=$!; PIDS_TO_KILL+=("$HPID")
	wait_for_text "$OUT/$1.err" "PID $WPID has no allocator mapped yet"
}

echo "# heapscope killed with SIGKILL mid-session"
W=$OUT/kill
start_workload truth_fp "$W"
start_heapscope "$OUT/kill.err" -p "$WPID" -v -o "$OUT/kill.folded"
kill -9 "$HPID"; wait "$HPID" 2>/dev/null
check "the target keeps running" kill -0 "$WPID"
check_eq "no breakpoint remains after SIGKILL" \
	"$(original_probe_bytes "$OUT/kill.err")" "$(probe_bytes "$WPID" "$OUT/kill.err")"
check "nothing is written by a killed session" [ ! -e "$OUT/kill.folded" ]
start_heapscope "$OUT/kill2.err" -p "$WPID" -o "$OUT/kill2.folded"
run_phase "$W"
stop_heapscope INT
check_eq "a new session attaches at once and exits 0" 0 "$HRC"
check_truth "$OUT/kill2.folded" "$W/truth"
release_workload "$W"

echo "# the target exits mid-session: what was collected is written"
session_until_target_leaves exit
check_eq "heapscope exits 0 when the target exits" 0 "$HRC"
check "it says the target exited" grep -q "PID $WPID exited; writing what was collected" "$OUT/exit.err"
check_truth "$OUT/exit.folded" "$W/truth"

echo "# the target exec()s another program"
session_until_target_leaves exec TRUTH_EXEC_AFTER=/bin/sleep
check_eq "heapscope exits 0 when the target execs" 0 "$HRC"
check "it says the target exec()ed" grep -q "PID $WPID exec()ed another program" "$OUT/exec.err"
check_truth "$OUT/exec.folded" "$W/truth"
check_eq "the new program runs in the same process" sleep "$(cat /proc/$WPID/comm 2>/dev/null)"
kill "$WPID"

echo "# the target is stopped (SIGSTOP) during attach"
W=$OUT/stopped
start_workload truth_fp "$W"
kill -STOP "$WPID"
"$HEAPSCOPE" -p "$WPID" -d 1 -o "$OUT/stopped.folded" 2> "$OUT/stopped.err"
check_eq "heapscope attaches to a stopped process and exits 0" 0 "$?"
check "it attached" grep -q "attached to PID $WPID" "$OUT/stopped.err"
check "the (empty) output is written" [ -e "$OUT/stopped.folded" ]
check_eq "the process is still stopped, as it was" T "$(awk '{print $3}' /proc/$WPID/stat)"
kill -CONT "$WPID"
run_phase "$W"
release_workload "$W"
check_eq "after SIGCONT the target runs to a clean exit" 0 "$WRC"

echo "# the target has just exec()ed (prog & heapscope -p \$!): heapscope waits for its libraries"
# Let go after 0.5 s, the target is attached and profiled exactly.
held_session just_execed
sleep 0.5
touch "$W/resume"
wait_for "$W/ready"
wait_for_text "$OUT/just_execed.err" "attached to PID $WPID"
run_phase "$W"
touch "$W/exit"
wait "$HPID"; HRC=$?
check_eq "heapscope exits 0" 0 "$HRC"
check_truth "$OUT/just_execed.folded" "$W/truth"
wait "$HOLDER"
check_eq "the target runs to a clean exit" 0 "$?"

echo "# ... held there longer than heapscope waits: one line, exit 1, the target unharmed"
W=$OUT/held
start_held "$W"
"$HEAPSCOPE" -p "$WPID" -o "$OUT/held.folded" 2> "$OUT/held.err"
check_eq "heapscope gives up with exit 1" 1 "$?"
check "it says why, in one line" [ "$(cat "$OUT/held.err")" = "heapscope: cannot attach to \
PID $WPID: no allocator found (its dynamic linker has mapped no library 2000 ms after attach \
began: held at exec()?)" ]
check "nothing is written" [ ! -e "$OUT/held.folded" ]
touch "$W/resume"
wait_for "$W/ready"
run_phase "$W"
touch "$W/exit"
wait "$HOLDER"
check_eq "let go, the target runs to a clean exit" 0 "$?"

echo "# ... killed while heapscope waits: one line, exit 1"
held_session killed_held
kill -9 "$WPID"
wait "$HPID"
check_eq "heapscope exits 1" 1 "$?"
check_eq "one line says it exited" "heapscope: cannot attach to PID $WPID: it exited before its \
allocator was mapped" "$(grep -v 'no allocator mapped yet' "$OUT/killed_held.err")"
check "nothing is written" [ ! -e "$OUT/killed_held.folded" ]
touch "$W/resume" # the holder then reaps it
wait "$HOLDER" 2>/dev/null

echo "# a static program with no allocator: refused at once, nothing to wait for"
"$BIN/no_allocator" &
static_pid=$!
PIDS_TO_KILL+=("$static_pid")
# runs_program PID PATH: PID has exec()ed PATH (not the shell forked to exec it, which
# maps libc).
runs_program() { [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$(readlink -f "$2")" ]; }
wait_until 10 "no_allocator to run" runs_program "$static_pid" "$BIN/no_allocator"
"$HEAPSCOPE" -p "$static_pid" -v -o "$OUT/static.folded" 2> "$OUT/static.err"
check_eq "heapscope refuses it with exit 1" 1 "$?"
check "it says why" grep -qx "heapscope: cannot attach to PID $static_pid: no allocator found \
(no mapped object defines malloc and free)" "$OUT/static.err"
check "it did not wait for a dynamic linker" bash -c "! grep -q 'trying again' '$OUT/static.err'"
check "nothing is written" [ ! -e "$OUT/static.folded" ]
kill "$static_pid"

echo "# the target is a zombie"
bash -c 'sleep 0 & exec sleep 20' &
parent=$!
PIDS_TO_KILL+=("$parent")
zombie=""
for _ in $(seq 100); do
	zombie=$(ps -o pid=,stat= --ppid "$parent" | awk '$2 ~ /^Z/ {print $1}')
	[ -n "$zombie" ] && break
	sleep 0.05
done
"$HEAPSCOPE" -p "$zombie" -o "$OUT/zombie.folded" 2> "$OUT/zombie.err"
check_eq "heapscope refuses a zombie with exit 1" 1 "$?"
check "it says why, in one line" \
	[ "$(cat "$OUT/zombie.err")" = "heapscope: cannot attach to PID $zombie: it is a zombie (it has exited; nothing is left to profile)" ]
check "nothing is written" [ ! -e "$OUT/zombie.folded" ]
kill "$parent"

echo "# the target exits and its PID is reused at once"
W=$OUT/reuse
start_workload truth_fp "$W"
old=$WPID
start_heapscope "$OUT/reuse.err" -p "$old" -o "$OUT/reuse.folded"
kill -9 "$old"; wait "$old" 2>/dev/null
# Ask the kernel to hand out the same PID to the next process.
echo $((old - 1)) > /proc/sys/kernel/ns_last_pid 2>/dev/null
sleep 30 &
reuser=$!
PIDS_TO_KILL+=("$reuser")
wait "$HPID"; HRC=$?
check_eq "heapscope ends its session when the target dies" 0 "$HRC"
check "it reports the exit, not the newcomer" grep -q "PID $old exited" "$OUT/reuse.err"
if [ "$reuser" = "$old" ]; then
	ok "the PID was reused ($reuser) and heapscope did not follow it"
else
	echo "  (the PID was not reused this time: $reuser != $old; exit detection still checked)"
fi
finish
