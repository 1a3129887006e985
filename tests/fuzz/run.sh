#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS FUZZ_DIR - run every harness built in FUZZ_DIR for
# SECONDS, over a working corpus (FUZZ_DIR/corpus/NAME, kept between runs), the
# seeds in tests/fuzz/corpus/NAME and the regressions in tests/fuzz/regressions/NAME.
# A crash leaves its input in FUZZ_DIR/crashes/; fix the bug, then keep the input
# as tests/fuzz/regressions/NAME/<what it found> so make test replays it.
# Ends with "fuzz: N harnesses, S s each, N crashed".
cd "$(dirname "$0")/../.." || exit 2
seconds=${1:-30}
dir=${2:-build/fuzz}
harnesses=0
crashed=0
mkdir -p "$dir/crashes"
for harness in "$dir"/fuzz_*; do
	[ -x "$harness" ] || continue
	name=$(basename "$harness")
	corpus=$dir/corpus/$name
	mkdir -p "$corpus"
	# Real files as extra seeds, taken from this machine rather than committed.
	case $name in
	fuzz_elf_object | fuzz_unwind_table) cp /bin/true "$corpus/bin-true" ;;
	fuzz_maps) cat /proc/self/maps > "$corpus/proc-self-maps" ;;
	esac
	seeds=(tests/fuzz/corpus/"$name")
	[ -d "tests/fuzz/regressions/$name" ] && seeds+=("tests/fuzz/regressions/$name")
	harnesses=$((harnesses + 1))
	echo "== $name: $seconds s"
	if "$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$dir/crashes/$name-" -print_final_stats=1 \
		"$corpus" "${seeds[@]}" > "$dir/$name.log" 2>&1; then
		grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$dir/$name.log" | tail -2
	else
		crashed=$((crashed + 1))
		grep -E -A30 '^==[0-9]+==ERROR|FUZZ_ASSERT|SUMMARY|deadly signal|Test unit written' \
			"$dir/$name.log" | head -60
		echo "FAIL $name: see $dir/$name.log"
	fi
done
echo "fuzz: $harnesses harnesses, $seconds s each, $crashed crashed"
[ "$harnesses" -gt 0 ] && [ "$crashed" -eq 0 ]
