# tests/lib.sh - what the integration tests share.  Each test is a user session:
# start a workload, attach heapscope, let the workload allocate, stop, compare
# with the truth the workload wrote.  Sourced by tests/integration/test_*.sh.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HEAPSCOPE=${HEAPSCOPE:-$ROOT/heapscope}
BIN=$ROOT/build/tests
OUT=${TEST_OUT:-$ROOT/tests/out}/$(basename "$0" .sh)
rm -rf "$OUT" && mkdir -p "$OUT"
FAILURES=0
CHECKS=0
PIDS_TO_KILL=()

cleanup() {
	for pid in "${PIDS_TO_KILL[@]}"; do kill -9 "$pid" 2>/dev/null; done
}
trap cleanup EXIT

ok() { CHECKS=$((CHECKS + 1)); echo "  ok   $*"; }
not_ok() { CHECKS=$((CHECKS + 1)); FAILURES=$((FAILURES + 1)); echo "  FAIL $*"; }
check() { # check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
check_eq() { # check_eq DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1 ($3)"; else not_ok "$1: expected '$2', got '$3'"; fi
}
finish() {
	echo "  $CHECKS checks, $FAILURES failed"
	[ "$FAILURES" -eq 0 ]
}

# wait_for FILE [SECONDS]: until FILE exists.
wait_for() {
	local deadline=$((SECONDS + ${2:-30}))
	while [ ! -e "$1" ]; do
		[ $SECONDS -ge $deadline ] && { echo "  timed out waiting for $1"; return 1; }
		sleep 0.02
	done
}

# wait_for_text FILE TEXT [SECONDS]
wait_for_text() {
	local deadline=$((SECONDS + ${3:-30}))
	until grep -q "$2" "$1" 2>/dev/null; do
		[ $SECONDS -ge $deadline ] && { echo "  timed out waiting for '$2' in $1"; cat "$1"; return 1; }
		sleep 0.02
	done
}

# start_workload NAME DIR [env...]: runs build/tests/NAME DIR, sets WPID.
start_workload() {
	local name=$1 dir=$2; shift 2
	mkdir -p "$dir"
	env "$@" "$BIN/$name" "$dir" > "$dir/stdout" 2> "$dir/stderr" &
	WPID=$!
	PIDS_TO_KILL+=("$WPID")
	wait_for "$dir/ready"
}

# start_heapscope ERRFILE ARGS...: runs heapscope in the background, sets HPID,
# returns once it says "attached".
start_heapscope() {
	local err=$1; shift
	"$HEAPSCOPE" "$@" 2> "$err" &
	HPID=$!
	PIDS_TO_KILL+=("$HPID")
	wait_for_text "$err" "attached"
}

# run_phase DIR: let the workload allocate and wait until it is done.
run_phase() {
	touch "$1/go"
	wait_for "$1/done" 60
}

# stop_heapscope [SIGNAL]: signal heapscope and wait for it; sets HRC.
stop_heapscope() {
	kill -"${1:-INT}" "$HPID" 2>/dev/null
	wait "$HPID"
	HRC=$?
}

# release_workload DIR: let the workload exit; sets WRC.
release_workload() {
	touch "$1/exit"
	wait "$WPID"
	WRC=$?
}

# leaf_bytes FOLDED FUNCTION: total weight of stacks whose leaf frame is FUNCTION.
leaf_bytes() {
	awk -v fn="$2" '{ w = $NF; $NF = ""; sub(/ $/, ""); n = split($0, f, ";");
		if (f[n] == fn) sum += w } END { print sum + 0 }' "$1"
}

# chain_bytes FOLDED CHAIN: total weight of stacks that end with the call chain CHAIN
# (the whole stack, or its tail after a ';').
chain_bytes() {
	awk -v chain="$2" '{ w = $NF; $NF = ""; sub(/ $/, "");
		if ($0 == chain || substr($0, length($0) - length(chain)) == ";" chain) sum += w }
		END { print sum + 0 }' "$1"
}

# check_truth FOLDED TRUTH [chains]: every function's live bytes equal the truth,
# by leaf; with "chains", also all of them under the complete chain.  The leaf is
# the chain's last frame (names with spaces, like C++'s "operator new(unsigned
# long)", cannot be the truth file's first column).
check_truth() {
	local folded=$1 truth=$2 chains=${3:-}
	local fn bytes count chain leaf
	while read -r fn bytes count chain; do
		leaf=${chain##*;}
		check_eq "$fn live bytes" "$bytes" "$(leaf_bytes "$folded" "${leaf:-$fn}")"
		if [ -n "$chains" ]; then
			check_eq "$fn bytes under $chain" "$bytes" "$(chain_bytes "$folded" "$chain")"
		fi
	done < "$truth"
}

# probe_sites ERRFILE: "object offset" of each probe heapscope -v reported.
probe_sites() {
	sed -n 's/^heapscope: probe [^ ]* *\(\/[^ ]*\)+\(0x[0-9a-f]*\) .*/\1 \2/p' "$1"
}

# probe_bytes PID ERRFILE: the target's bytes at every probed site, one line each.
probe_bytes() {
	local object offset
	probe_sites "$2" | while read -r object offset; do
		"$BIN/membytes" "$1" "$object" "$offset" 8
	done
}

# original_probe_bytes ERRFILE: the same bytes read from the files on disk: the
# instructions as they were before any probe.
original_probe_bytes() {
	local object offset
	probe_sites "$1" | while read -r object offset; do
		od -An -tx1 -j "$((offset))" -N 8 "$object" | tr -d ' \n'
		echo
	done
}
