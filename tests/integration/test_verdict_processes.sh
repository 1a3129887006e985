#!/usr/bin/env bash
# A verdict per process: one session over three scenario workloads at once (a
# leak, glibc retention, a cache that plateaus), read back from its JSON: each
# process's verdict, its top stack, its live bytes against its own truth, its
# own memory; the session's verdict and the process it comes from.  (How the
# report lays the same out is tests/unit/render/test_render.c's: a second session here
# would double the probes' cost on the workloads and start before the phase.)
. "$(dirname "$0")/../lib.sh"
PHASE_S=8
# Three severities (leak > retention > bounded).  Not quiet: its one step at the start is
# called stable only when the session starts right before it.
NAMES=(leak_churn retention cache_plateau)
VERDICTS=(leak retention bounded)
TOP_STACKS=(remember_client pin_heap_top cache_insert) # growing fastest / holding the most

PIDS=(); DIRS=()
for name in "${NAMES[@]}"; do
	start_workload "$name" "$OUT/$name" PHASE_S=$PHASE_S
	PIDS+=("$WPID"); DIRS+=("$OUT/$name")
done
TARGETS=$(IFS=,; echo "${PIDS[*]}")
J=$OUT/session.json

start_heapscope "$OUT/json.err" -p "$TARGETS" -q -i 0.25 -o "$J"
wait_for_text "$OUT/json.err" "attached to PID ${PIDS[2]}"
run_all "${DIRS[@]}"
stop_heapscope INT # with the phase: an idle tail would flatten the leak
check_eq "heapscope exits 0" 0 "$HRC"
for d in "${DIRS[@]}"; do touch "$d/exit"; done
wait "${PIDS[@]}"

check_eq "no lost events" 0 "$(jq .lost_events "$J")"
read -r before_kb after_kb < "$OUT/retention/retained"
check "glibc kept the dropped cache resident (workload saw ${before_kb} -> ${after_kb} kB)" \
	[ $((after_kb - before_kb)) -ge 12288 ]
json_folded "$J" > "$OUT/session.folded"

echo "each process, from the JSON:"
for i in 0 1 2; do
	pid=${PIDS[$i]} name=${NAMES[$i]} root="${NAMES[$i]} [${PIDS[$i]}]"
	check_eq "$name: its verdict" "${VERDICTS[$i]}" "$(json_process_field "$J" "$pid" verdict)"
	if [ "$name" = leak_churn ]; then
		top=$(jq -r --arg root "$root" '[.stacks[] | select(.frames[0] == $root)]
			| max_by(.growth_bytes_per_s // -1e300) | .frames[-1]' "$J")
	else
		top=$(jq -r --arg root "$root" \
			'[.stacks[] | select(.frames[0] == $root)][0].frames[-1]' "$J")
	fi
	check_eq "$name: its top stack" "${TOP_STACKS[$i]}" "$top"
	process_folded "$OUT/session.folded" "$root" > "$OUT/$name.folded"
	check_truth "$OUT/$name.folded" "$OUT/$name/truth" chains
	check "$name: its own memory at start and end" jq_true --argjson pid "$pid" \
		'.processes[] | select(.pid == $pid) | .rss_bytes_start > 0 and .rss_bytes_end > 0
			and .points >= 6 and (.explanation | length > 0)' "$J"
done
check "retention: its anonymous memory grew by 12 MiB or more" jq_true --argjson pid "${PIDS[1]}" \
	'.processes[] | select(.pid == $pid) | .anon_bytes_end - .anon_bytes_start >= 12582912' "$J"
check "cache_plateau: its live heap peaked at the full cache (2 MiB)" \
	jq_true --argjson pid "${PIDS[2]}" '.processes[] | select(.pid == $pid) | .live_peak_bytes >= 2097152' "$J"

echo "the session, from the JSON:"
check_eq "its verdict is the most severe" leak "$(jq -r .verdict "$J")"
check_eq "from the leaking process" "${PIDS[0]}" "$(jq .verdict_pid "$J")"
origin="PID ${PIDS[0]} (leak_churn), the most severe of 3 processes"
check_eq "the explanation says where it comes from" \
	"$origin (1 leak, 1 retention, 1 bounded)" "$(jq -r '.explanation | split(": ")[0]' "$J")"
check_eq "the first process is still the top-level pid" "${PIDS[0]}" "$(jq .pid "$J")"
check "live_bytes is the sum over the processes" \
	jq_true '.live_bytes == ([.processes[].live_bytes] | add)' "$J"

finish
