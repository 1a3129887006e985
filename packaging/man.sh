#!/usr/bin/env bash
# packaging/man.sh HEAPSCOPE INCLUDE VERSION OUT - write heapscope(1).
#
# help2man turns `heapscope --help` into NAME, SYNOPSIS, DESCRIPTION, OPTIONS and EXAMPLES;
# `heapscope diff|inspect|watch --help` become the SUBCOMMANDS section, verbatim; INCLUDE
# (docs/heapscope.h2m) adds what --help has no room for (output formats, exit status,
# safety, requirements, files, see also).  The options are written once, in
# user/cli/options.c; tests/integration/test_man.sh fails when the page and --help drift.
# The version is given (not asked of `heapscope --version`), so the page does not depend on
# the kernel it was built on.
set -euo pipefail
bin=$1 include=$2 version=$3 out=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# roff: a backslash is written \e, and a line may not begin with "." or "'".
roff_escape() {
	sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"
}

{
	cat "$include"
	printf '\n[SUBCOMMANDS]\n'
	subcommand() { # NAME ARGS SUMMARY: one subcommand, its --help verbatim
		printf '.TP\n.B heapscope %s %s\n%s\n' "$1" "$2" "$3"
		printf '.PP\n.nf\n.RS 4\n'
		"$bin" "$1" --help | roff_escape
		printf '.RE\n.fi\n'
	}
	subcommand diff "OLD.folded NEW.folded" \
		"What grew and shrank between two profiles; no target, no BPF, no privilege:"
	subcommand inspect "-p PID" \
		"The allocator's own state, read from outside with no probes and no ptrace:"
	subcommand watch "-p PID | --exe PATH" \
		"The allocator's state every interval, for Prometheus or a JSON-lines recording:"
} > "$tmp/include.h2m"

help2man --no-info --section=1 --source="heapscope $version" --manual="User Commands" \
	--version-string="$version" \
	--name="eBPF heap-allocation profiler for running processes" \
	--include="$tmp/include.h2m" --output="$tmp/heapscope.1" "$bin"
mv "$tmp/heapscope.1" "$out"
