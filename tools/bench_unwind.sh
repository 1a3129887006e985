#!/usr/bin/env bash
# tools/bench_unwind.sh - what `make bench-unwind` runs: the cost per allocation of
# walking the stack with unwind tables (--unwind dwarf) against frame pointers
# (--unwind fp).  build/tools/unwind_loop makes malloc/free pairs at a fixed
# depth and times them with its own clock (probe traps included); the kernel's
# BPF statistics (switched on by build/tools/bpf_stats_on for as long as it runs,
# which the kernel undoes when it ends) give the time the return program, which walks the stack, runs per
# allocation.  Each mode runs RUNS times; medians count.  Needs root.  Figures
# only: nothing here passes or fails.
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-20000}
DEPTH=${DEPTH:-20}
RUNS=${RUNS:-3}
WORK=$(mktemp -d /tmp/heapscope-bench-unwind.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT
build/tools/bpf_stats_on > "$WORK/stats_on" &
pids+=("$!")

wait_for() { # FILE: until it exists (120 s at most)
	for _ in $(seq 6000); do [ -e "$1" ] && return 0; sleep 0.02; done
	echo "bench-unwind: timed out waiting for $1" >&2
	exit 1
}
for _ in $(seq 500); do grep -q on "$WORK/stats_on" && break; sleep 0.02; done

# bpf_ns_per_run HPID: mean run time of heapscope HPID's return program: site_return with
# uprobe_multi links, alloc_return with a link per probe (its program fds' fdinfo carry the
# id and the statistics).  unwind_loop's only return probes are its allocations'.
bpf_ns_per_run() {
	local fd info id name
	for fd in /proc/"$1"/fd/*; do
		[ "$(readlink "$fd")" = "anon_inode:bpf-prog" ] || continue
		info=/proc/$1/fdinfo/${fd##*/}
		id=$(awk '$1 == "prog_id:" { print $2 }' "$info")
		name=$(bpftool prog show id "$id" | awk 'NR == 1 { print $4 }')
		[ "$name" = site_return ] || [ "$name" = alloc_return ] || continue
		grep -q '^run_cnt:[[:space:]]*[1-9]' "$info" || continue
		awk '$1 == "run_time_ns:" { t = $2 } $1 == "run_cnt:" { n = $2 }
		     END { if (n) printf "%d\n", t / n }' "$info"
		return
	done
}

# one_run MODE: "TARGET_NS_PER_PAIR BPF_NS_PER_ALLOC"; MODE none runs without heapscope.
one_run() {
	local mode=$1 dir=$WORK/$1.$RANDOM hpid= bpf_ns=0
	mkdir -p "$dir"
	build/tools/unwind_loop "$dir" "$PAIRS" "$DEPTH" &
	local wpid=$!
	pids+=("$wpid")
	wait_for "$dir/ready"
	if [ "$mode" != none ]; then
		./heapscope -p "$wpid" -q --unwind "$mode" -o "$dir/out.folded" 2> "$dir/err" &
		hpid=$!
		pids+=("$hpid")
		until grep -q attached "$dir/err" 2>/dev/null; do sleep 0.02; done
	fi
	touch "$dir/go"
	wait_for "$dir/done"
	if [ -n "$hpid" ]; then
		bpf_ns=$(bpf_ns_per_run "$hpid")
		kill -INT "$hpid"
		wait "$hpid"
		cp "$dir/err" "$WORK/$mode.err"
	fi
	touch "$dir/exit"
	wait "$wpid"
	echo "$(cat "$dir/result") ${bpf_ns:-0}"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A target_ns bpf_ns
for mode in none fp dwarf; do
	for _ in $(seq "$RUNS"); do one_run "$mode"; done > "$WORK/$mode.runs"
	target_ns[$mode]=$(cut -d' ' -f1 "$WORK/$mode.runs" | median)
	bpf_ns[$mode]=$(cut -d' ' -f2 "$WORK/$mode.runs" | median)
done
echo "bench-unwind: $PAIRS malloc/free pairs at depth $DEPTH (+ main and libc's start"
echo "frames), median of $RUNS runs"
echo "  target's clock, ns per malloc/free pair (probe traps included):"
printf '    %-26s %8d\n' "without heapscope" "${target_ns[none]}"
for mode in fp dwarf; do
	printf '    %-26s %8d  (+%d)\n' "heapscope --unwind $mode" "${target_ns[$mode]}" \
		$((target_ns[$mode] - target_ns[none]))
done
echo "  BPF return program (walks the stack), ns per allocation:"
printf '    %-26s %8d\n' "--unwind fp" "${bpf_ns[fp]}" "--unwind dwarf" "${bpf_ns[dwarf]}"
echo "  dwarf unwinding costs $((bpf_ns[dwarf] - bpf_ns[fp])) ns more per allocation than frame" \
	"pointers in BPF ($((target_ns[dwarf] - target_ns[fp])) ns by the target's clock)"
sed -n 's/^heapscope: \(unwind dwarf: .*\)/  \1/p; s/^heapscope: .*\(attach [0-9]* ms\)/  \1/p' \
	"$WORK/dwarf.err"
