#!/usr/bin/env bash
# Installing heapscope where it is needed.  make install/uninstall with DESTDIR and
# PREFIX put exactly three files in place and take them away again.  The Debian package
# (what make deb runs: packaging/deb.sh; lintian checks it in .ci/run, make deb-lint,
# as it takes ~30 s) installs with dpkg -i; the installed
# /usr/bin/heapscope, with no build tree or BPF object beside it, says its version and
# profiles a workload exactly; its man page renders; dpkg -r leaves nothing behind.
. "$(dirname "$0")/../lib.sh"

VERSION=$(cat "$ROOT/VERSION")
SANITIZE=$([ "${BUILD_DIR:-build}" = build-san ] && echo 1)

echo "# make install, make uninstall"
DEST=$OUT/dest
make -s -C "$ROOT" install uninstall DESTDIR="$DEST" PREFIX=/opt/hs SANITIZE="$SANITIZE" \
	> /dev/null 2> "$OUT/make.stderr"
make -s -C "$ROOT" install DESTDIR="$DEST" PREFIX=/opt/hs SANITIZE="$SANITIZE" \
	> /dev/null 2>> "$OUT/make.stderr"
check_eq "make install puts the binary, the man page and the completion under PREFIX" \
	"/opt/hs/bin/heapscope /opt/hs/share/bash-completion/completions/heapscope /opt/hs/share/man/man1/heapscope.1" \
	"$(cd "$DEST" && find . -type f | sed 's/^\.//' | sort | paste -sd' ')"
check "the installed binary runs" "$DEST/opt/hs/bin/heapscope" --version
make -s -C "$ROOT" uninstall DESTDIR="$DEST" PREFIX=/opt/hs SANITIZE="$SANITIZE" > /dev/null
check_eq "make uninstall leaves no file" "" "$(find "$DEST" -type f)"

echo "# the Debian package"
if dpkg-query -W -f='${Status}' heapscope 2>/dev/null | grep -q "ok installed"; then
	not_ok "a heapscope package is installed already: this test would replace it"
	finish
	exit
fi
packaging/man.sh "$HEAPSCOPE" docs/heapscope.h2m "$VERSION" "$OUT/heapscope.1"
DEB=$(packaging/deb.sh "$HEAPSCOPE" "$OUT/heapscope.1" "$VERSION" "$OUT")
check_eq "the package is named heapscope_VERSION_ARCH.deb" \
	"heapscope_${VERSION}_$(dpkg --print-architecture).deb" "$(basename "$DEB")"
depends=$(dpkg-deb -f "$DEB" Depends)
check "Depends names libbpf1 and libc6" grep -q "libbpf1 .*libc6" <<< "$depends"
check "Depends names no -dev package and no compiler" \
	bash -c "! grep -qE -- '-dev|clang|gcc |llvm|bpftool' <<< '$depends'"
dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's/^\.//' | grep -v '/$' > "$OUT/files"
check "it ships copyright and changelog" \
	grep -qx /usr/share/doc/heapscope/copyright "$OUT/files"

# man-db rebuilds its whole index after every dpkg -i and -r that ships a page, ~20 s
# each on the test machine; man -l needs no index.  Its own switch turns that off for
# the test and back on after it, whatever happens.
MANDB_FLAG=/var/lib/man-db/auto-update
[ -e "$MANDB_FLAG" ] && mv "$MANDB_FLAG" "$OUT/mandb-auto-update"
trap 'cleanup; dpkg -r heapscope > /dev/null 2>&1
	[ -e "$OUT/mandb-auto-update" ] && mv "$OUT/mandb-auto-update" "$MANDB_FLAG"' EXIT
dpkg -i "$DEB" > "$OUT/dpkg-i.log" 2>&1
check_eq "dpkg -i installs it" 0 "$?"
check "/usr/bin/heapscope --version names VERSION" \
	grep -q "^heapscope $VERSION" <(/usr/bin/heapscope --version)

W=$OUT/work
start_workload truth_fp "$W"
HEAPSCOPE=/usr/bin/heapscope start_heapscope "$OUT/stderr" -p "$WPID" -o "$OUT/live.json"
run_phase "$W"
stop_heapscope INT
check_eq "the installed heapscope exits 0" 0 "$HRC"
json_folded "$OUT/live.json" > "$OUT/live.folded"
check_truth "$OUT/live.folded" "$W/truth"
check_eq "the JSON names the heapscope that wrote it" \
	"$(/usr/bin/heapscope --version | head -1 | sed 's/^heapscope //')" \
	"$(jq -r .heapscope_version "$OUT/live.json")"
release_workload "$W"

check "man -l renders the installed page" \
	grep -q "^SYNOPSIS" <(MANWIDTH=80 man -l /usr/share/man/man1/heapscope.1.gz 2>/dev/null | col -b)

dpkg -r heapscope > "$OUT/dpkg-r.log" 2>&1
check_eq "dpkg -r removes it" 0 "$?"
left=$(while read -r f; do [ -e "$f" ] && echo "$f"; done < "$OUT/files")
check_eq "nothing it installed is left" "" "$left"
check "not even its doc directory" [ ! -e /usr/share/doc/heapscope ]
check_eq "dpkg knows it as not installed" "" \
	"$(dpkg-query -W -f='${Status}' heapscope 2>/dev/null | grep -v not-installed)"
finish
