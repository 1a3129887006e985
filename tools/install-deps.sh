#!/usr/bin/env bash
# tools/install-deps.sh [--if-missing] - install the Debian packages heapscope
# builds with and its tests use.  With --if-missing, apt is only run when one of
# them is not installed yet (make demo, .ci/run).
set -euo pipefail

BUILD_PACKAGES=(
	make gcc clang llvm     # userspace (C11) and BPF (clang -target bpf, llvm-strip)
	bpftool                 # vmlinux.h from the kernel's BTF, BPF skeletons
	libbpf-dev              # loading BPF programs, uprobe links, ring buffer
	libelf-dev              # reading symbols, build-ids and load segments
	libdw-dev               # evaluating .eh_frame CFI for unwind tables
	zlib1g-dev              # gzip for pprof output
	libcapstone-dev         # decoding instructions to pick cheap probe sites
	help2man                # heapscope(1) from --help (make man, install, deb)
	dpkg-dev                # dpkg-shlibdeps: the .deb's Depends (make deb)
)
TEST_PACKAGES=(
	golang-go               # go tool pprof reads our pprof output in tests
	libc6-dbg               # glibc's debug file: source lines of libc frames in pprof tests
	jq                      # reads the JSON report in tests
	g++                     # the C++ test workload (stacks through operator new)
	chromium                # headless render check of the SVG flame graph
	libxml2-utils           # xmllint: the SVG flame graph is well-formed XML
	libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0  # other allocators under test
	redis-server redis-tools                           # a real jemalloc service
	libclang-rt-14-dev      # libFuzzer and sanitizers for make fuzz
	libcap2-bin             # capsh: a session with only the capabilities heapscope needs
	lintian                 # make deb-lint: no error in the .deb
	man-db                  # man -l renders heapscope(1) in tests
	prometheus              # scrapes heapscope watch in tests; promtool checks its page and rules
	valgrind                # --leak-check's truth, checked against memcheck's
	strace                  # a tracer already there (--leak-check must leave it alone); which
	                        # files heapscope opens for a hostile container (test_hostile_root)
)
PACKAGES=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}")

missing=()
for package in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$package")
done
if [ "${1:-}" = "--if-missing" ] && [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: need root to install: ${missing[*]:-${PACKAGES[*]}}" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]:-${PACKAGES[*]}}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
