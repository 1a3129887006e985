#!/usr/bin/env bash
# heapscope without root: a session run as an unprivileged user holding only the
# capabilities README.md documents (CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH)
# attaches to a root process and gives the exact truth; with any one of them dropped it
# fails in one line that names the missing one, and leaves the target untouched.
. "$(dirname "$0")/../lib.sh"

# In capability-number order, as capsh --decode lists them.
CAPS=(cap_dac_read_search cap_sys_ptrace cap_sys_admin)

# as_user CAPS COMMAND...: COMMAND as nobody, holding exactly CAPS (comma-separated) as
# ambient capabilities, which an exec()ed program keeps; capsh needs setuid, setgid and
# setpcap to get there, and drops them with the user change.  Run it in a subshell: it
# exec()s (so that in the background $! is heapscope itself, for the signal).
# Under make test SANITIZE=1, LeakSanitizer's exit check stops the process's threads with
# ptrace, which a process that changed its uid may not do without CAP_SYS_PTRACE: it is off
# here (every other test checks for leaks), so a refusal stays one line.
as_user() {
	local caps=$1; shift
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	exec capsh --caps="$caps+eip cap_setpcap,cap_setuid,cap_setgid+ep" --keep=1 --user=nobody \
		--addamb="$caps" -- -c 'exec "$@"' heapscope "$@"
}

joined() { local IFS=,; echo "$*"; }

# The caps heapscope ends up with are the ones given, no more.
check_eq "the session's effective set is the documented one" \
	"$(capsh --decode=0x$( (as_user "$(joined "${CAPS[@]}")" grep CapEff /proc/self/status) |
		awk '{print $2}') | sed 's/.*=//')" "$(joined "${CAPS[@]}")"

W=$OUT/work
start_workload truth_fp "$W"
: > "$OUT/stderr"
(as_user "$(joined "${CAPS[@]}")" "$HEAPSCOPE" -p "$WPID") > "$OUT/live.folded" 2> "$OUT/stderr" &
HPID=$!
PIDS_TO_KILL+=("$HPID")
wait_for_text "$OUT/stderr" "attached"
check_eq "heapscope runs as nobody" 65534 "$(awk '/^Uid:/ { print $2 }' /proc/$HPID/status)"
run_phase "$W"
stop_heapscope INT
check_eq "heapscope exits 0 on SIGINT" 0 "$HRC"
check_truth "$OUT/live.folded" "$W/truth" chains
check "no lost events" grep -q "lost events: 0" "$OUT/stderr"

for drop in "${CAPS[@]}"; do
	kept=()
	for cap in "${CAPS[@]}"; do [ "$cap" = "$drop" ] || kept+=("$cap"); done
	name=$(echo "$drop" | tr a-z A-Z)
	(as_user "$(joined "${kept[@]}")" "$HEAPSCOPE" -p "$WPID" -d 1) > "$OUT/$drop.out" \
		2> "$OUT/$drop.stderr"
	check_eq "without $name: exit 1" 1 "$?"
	check_eq "without $name: one line" 1 "$(wc -l < "$OUT/$drop.stderr")"
	check "without $name: it names $name as missing" \
		grep -q "permission denied: missing $name (" "$OUT/$drop.stderr"
done
check "target is still running" kill -0 "$WPID"
release_workload "$W"
check_eq "workload exits cleanly" 0 "$WRC"
finish
