#!/usr/bin/env bash
# Frames without a file's symbols (issue 18).  JIT code: a workload copies code into
# executable anonymous memory and writes its own perf map (/tmp/perf-PID.map, with
# hostile lines heapscope must refuse); the named function gets its name, the unnamed
# regions names that never merge, and pprof names their mappings.  A stripped
# executable: heapscope says once which object has no symbols, its build-id and where
# a debug file is looked for.
. "$(dirname "$0")/../lib.sh"
export HOME=$OUT/home GOCACHE=$OUT/gocache # go tool pprof wants both

build_id() { readelf -n "$1" | sed -n 's/.*Build ID: //p'; }

# jit_session FORMAT OUTPUT: one session over the jit workload's calls; sets W.
jit_session() {
	W=$OUT/jit-$1
	start_workload jit "$W"
	start_heapscope "$OUT/jit-$1.err" -p "$WPID" -f "$1" -o "$2"
	run_phase "$W"
	stop_heapscope INT
	check_eq "jit ($1): heapscope exits 0" 0 "$HRC"
	touch "$W/exit"
	wait "$WPID"
}

echo "# JIT code named from the target's perf map"
jit_session json "$OUT/jit.json"
json_folded "$OUT/jit.json" > "$OUT/jit.folded"
check_truth "$OUT/jit.folded" "$W/truth" chains
# The unnamed regions: each its own name, region 1's 2 x 2000 bytes, region 2's 1 x 3000.
n=0
for bytes in 4000 3000; do
	n=$((n + 1))
	read -r start end < <(sed -n "$((n + 1))p" "$W/regions")
	# the mapping is the region: the pages around it are inaccessible
	name="[anon:$start-$end]+0x4c"
	check_eq "unnamed region $n: $name, its own bytes" "$bytes" \
		"$(awk -v n="$name" '{ w = $NF; $NF = ""; sub(/ $/, ""); k = split($0, f, ";");
			if (f[k] == n) s += w } END { print s + 0 }' "$OUT/jit.folded")"
done
check_eq "two unnamed regions, two names" 2 "$(grep -c '\[anon:[0-9a-f]*-[0-9a-f]*\]+0x4c ' \
	"$OUT/jit.folded")"
check "a perf map line naming libc's code is refused" \
	bash -c "! grep -q not_libc_malloc '$OUT/jit.folded'"
check "a line over 4096 bytes is refused" bash -c "! grep -q xxxx '$OUT/jit.folded'"
check "the workload's frames are whole (main;run_jit under each)" \
	[ "$(grep -c ';main;run_jit;' "$OUT/jit.folded")" = 3 ]

echo "# pprof: the JIT mappings have names"
jit_session pprof "$OUT/jit.pprof"
go tool pprof -top -sample_index=inuse_space -unit=B -nodefraction=0 "$OUT/jit.pprof" \
	> "$OUT/jit.top" 2> "$OUT/jit.top.err"
check "go tool pprof reads it" grep -q "jit_alloc_a" "$OUT/jit.top"
check "go tool pprof does not warn: Some binary filenames not available" \
	bash -c "! grep -q 'binary filenames not available' '$OUT/jit.top.err'"
check "the JIT mappings are named [anon:START-END]" \
	bash -c "go tool pprof -raw '$OUT/jit.pprof' 2>/dev/null | grep -q ' \[anon:[0-9a-f]*-[0-9a-f]*\] '"

echo "# a stripped executable: which object, its build-id, where its debug file would be"
W=$OUT/stripped
start_workload stripped "$W"
start_heapscope "$OUT/stripped.err" -p "$WPID" -o "$OUT/stripped.folded"
run_phase "$W"
stop_heapscope INT
release_workload "$W"
check_eq "heapscope exits 0" 0 "$HRC"
id=$(build_id "$BIN/stripped")
check "the stripped executable really has no .symtab" \
	bash -c "! readelf -S '$BIN/stripped' | grep -q '\.symtab'"
check_eq "one line names it, with its build-id" 1 \
	"$(grep -c "^heapscope: no symbols for $BIN/stripped (build-id $id): stripped" \
		"$OUT/stripped.err")"
check "... says how its frames are shown" \
	grep -q "frames are shown as stripped+0xADDRESS" "$OUT/stripped.err"
check "... and where a debug file is looked for" \
	grep -q "looked for at /usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug" "$OUT/stripped.err"
check "objects with symbols are not named" \
	bash -c "! grep -q 'no symbols for .*libtruth.so' '$OUT/stripped.err'"
check_eq "lib_keep (in libtruth.so, named) is exact" "$(awk '$1 == "lib_keep" { print $2 }' \
	"$W/truth")" "$(leaf_bytes "$OUT/stripped.folded" lib_keep)"
check "the executable's own frames are shown as stripped+0x..." \
	grep -q ';stripped+0x[0-9a-f]*;' "$OUT/stripped.folded"
finish
