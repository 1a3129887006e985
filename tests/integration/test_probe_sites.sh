#!/usr/bin/env bash
# Probe sites: malloc's and free's probes sit on instructions the kernel emulates (with
# Debian 12's glibc: malloc's push %r12 at +0, free's je at +3, past test %rdi,%rdi), the
# breakpoint is really there, and the moved free probe sees every free and no free(NULL):
# the session's counts equal what the workload did, exactly.
. "$(dirname "$0")/../lib.sh"

W=$OUT/work
start_workload free_sites_fp "$W"
start_heapscope "$OUT/stderr" -p "$WPID" -v -o "$OUT/live.folded"

# site FUNCTION: "FUNCTION+N MNEMONIC, emulated|single-stepped" from heapscope -v.
site() {
	sed -n "s/^heapscope: probe $1 .* (entry[^)]*) \(.*\)/\1/p" "$OUT/stderr"
}
check "malloc's probe is on an emulated instruction ($(site malloc))" \
	grep -q "^heapscope: probe malloc .*, emulated$" "$OUT/stderr"
check "free's probe is on an emulated instruction ($(site free))" \
	grep -q "^heapscope: probe free .*, emulated$" "$OUT/stderr"
free_skip=$(site free | sed -n 's/^free+\([0-9]*\) .*/\1/p')
check "free's probe moved past free's first instruction" [ "${free_skip:-0}" -gt 0 ]
read -r object offset < <(grep "^heapscope: probe free " "$OUT/stderr" |
	sed 's/^heapscope: probe free *\(\/[^ ]*\)+\(0x[0-9a-f]*\) .*/\1 \2/')
check_eq "the breakpoint is at the moved site" cc \
	"$("$BIN/membytes" "$WPID" "$object" "$offset" 1)"
check_eq "free's entry is left as it was" \
	"$(od -An -tx1 -j "$((offset - free_skip))" -N 1 "$object" | tr -d ' \n')" \
	"$("$BIN/membytes" "$WPID" "$object" "$((offset - free_skip))" 1)"

run_phase "$W"
stop_heapscope INT
check_eq "heapscope exits 0" 0 "$HRC"
check_truth "$OUT/live.folded" "$W/truth" chains
read -r _ allocs _ frees < "$W/counts"
check_eq "every allocation and every non-NULL free is seen, no free(NULL)" \
	"$allocs allocs, $frees frees, 0 reallocs" \
	"$(grep -o '[0-9]* allocs, [0-9]* frees, [0-9]* reallocs' "$OUT/stderr")"
check "no unknown frees" grep -q "unknown frees 0 " "$OUT/stderr"
check "the summary reports no lost events" grep -q "lost events: 0" "$OUT/stderr"
release_workload "$W"
check_eq "workload exits cleanly" 0 "$WRC"
finish
