#!/usr/bin/env bash
# An allocator's own entry points, called directly by the program: jemalloc's
# mallocx/rallocx/xallocx/sdallocx/dallocx, tcmalloc's tc_*, mimalloc's mi_*.
# They are probed because the program imports them; sizes are the requested
# ones (xallocx: as far as the resize was granted), each block counts once even
# where one entry point calls another (mi_free_size -> mi_free).
. "$(dirname "$0")/../lib.sh"

for allocator in jemalloc tcmalloc mimalloc; do
	profile_truth "$allocator" "api_$allocator" LD_DEBUG=bindings
	check_bindings "$OUT/$allocator.stderr" "$OUT/$allocator/stderr"
	check "$allocator: its own API is a probed family" \
		grep -q "attached to PID .*: malloc, $allocator[;,]" "$OUT/$allocator.stderr"
	check "$allocator: every free was of a known block, once" \
		grep -q "unknown frees 0 " "$OUT/$allocator.stderr"
done
for function in mallocx rallocx xallocx sdallocx dallocx; do
	check "jemalloc: $function is probed" grep -q "probe $function " "$OUT/jemalloc.stderr"
done
finish
