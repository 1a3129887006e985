#!/usr/bin/env bash
# Attach/detach storm: heapscope attaches to and detaches from a process with
# two threads of checked allocation churn, again and again, ending sessions by
# SIGINT, SIGTERM and -d in turn.  The workload must never crash or see
# corrupted data, every session must end cleanly, and afterwards the probed
# instruction bytes must be the originals.
. "$(dirname "$0")/../lib.sh"
CYCLES=${STORM_CYCLES:-50}

W=$OUT/work
start_workload churn_checked "$W"
touch "$W/go"
clean_exits=0
for i in $(seq 1 "$CYCLES"); do
	# Each session must write its own output (possibly empty: under load the
	# workload may get no CPU in a 0.1 s session).
	rm -f "$OUT/storm.folded"
	case $((i % 3)) in
	0) start_heapscope "$OUT/stderr" -p "$WPID" -v -q -d 0.3 -o "$OUT/storm.folded"
	   wait "$HPID"; HRC=$? ;;
	1) start_heapscope "$OUT/stderr" -p "$WPID" -v -q -o "$OUT/storm.folded"
	   sleep 0.1; stop_heapscope INT ;;
	2) start_heapscope "$OUT/stderr" -p "$WPID" -v -q -o "$OUT/storm.folded"
	   sleep 0.1; stop_heapscope TERM ;;
	esac
	if [ "$HRC" -eq 0 ] && [ -e "$OUT/storm.folded" ]; then
		clean_exits=$((clean_exits + 1))
	else
		echo "  cycle $i: heapscope exited $HRC"; tail -3 "$OUT/stderr"
	fi
	kill -0 "$WPID" 2>/dev/null || break
done
check_eq "every session ended cleanly with output" "$CYCLES" "$clean_exits"
check "the workload survived $CYCLES attach/detach cycles" kill -0 "$WPID"
check_eq "probed bytes equal the original instructions after the last detach" \
	"$(original_probe_bytes "$OUT/stderr")" "$(probe_bytes "$WPID" "$OUT/stderr")"
release_workload "$W"
check_eq "workload exits 0 (no corrupted block)" 0 "$WRC"
read -r operations corruptions < "$W/result"
check_eq "corrupted blocks seen by the workload" 0 "$corruptions"
check "the workload kept working during the storm" [ "$operations" -gt 10000 ]
finish
