#!/usr/bin/env bash
# packaging/deb.sh HEAPSCOPE MAN_PAGE VERSION BUILD_DIR - write BUILD_DIR/heapscope_VERSION_ARCH.deb.
#
# A binary package for production hosts, built with dpkg-deb alone (no debhelper, no
# source package): the stripped binary (the BPF object is inside it: the skeleton embeds
# it, CO-RE, so the one package runs on any kernel with BTF), heapscope(1), the bash
# completion, copyright and changelog.  Depends is what dpkg-shlibdeps finds the binary
# linked against: runtime libraries only.  Prints the package's path.
set -euo pipefail
bin=$1 man=$2 version=$3 build=$4
here=$(cd "$(dirname "$0")" && pwd)
arch=$(dpkg --print-architecture)
name=heapscope_${version}_$arch
work=$build/deb
stage=$work/$name
rm -rf "$work"
umask 022
install -d "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/share/man/man1" \
	"$stage/usr/share/bash-completion/completions" "$stage/usr/share/doc/heapscope"

# As dh_strip does: no debug sections, no .comment or .note (the build-id note stays).
install -m 0755 "$bin" "$stage/usr/bin/heapscope"
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	"$stage/usr/bin/heapscope"
gzip -9n < "$man" > "$stage/usr/share/man/man1/heapscope.1.gz"
install -m 0644 "$here/heapscope.bash-completion" \
	"$stage/usr/share/bash-completion/completions/heapscope"
install -m 0644 "$here/copyright" "$stage/usr/share/doc/heapscope/copyright"
# A native package: its changelog is changelog.gz, not changelog.Debian.gz.
gzip -9n < "$here/changelog" > "$stage/usr/share/doc/heapscope/changelog.gz"
chmod 0644 "$stage/usr/share/man/man1/heapscope.1.gz" "$stage/usr/share/doc/heapscope/changelog.gz"

# dpkg-shlibdeps wants to run in a source tree: give it the smallest one.
mkdir -p "$work/src/debian"
printf 'Source: heapscope\n\nPackage: heapscope\nArchitecture: any\n' > "$work/src/debian/control"
binary=$(realpath "$stage/usr/bin/heapscope")
depends=$(cd "$work/src" && dpkg-shlibdeps -O --warnings=0 -e"$binary" |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@DEPENDS@/$depends/" \
	-e "s/@INSTALLED_SIZE@/$(du -sk --exclude=DEBIAN "$stage" | cut -f1)/" \
	"$here/control" > "$stage/DEBIAN/control"
(cd "$stage" && find usr -type f -print0 | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$build/$name.deb" > /dev/null
echo "$build/$name.deb"
