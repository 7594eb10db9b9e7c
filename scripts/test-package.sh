#!/usr/bin/env bash
# test-package.sh - build the Debian package from this tree, install it, and check what it installed: the
# binary runs, the man page, unit, sysusers entry, logrotate file and completion are where Debian looks, the
# tlsaudit user exists, `systemd-analyze verify` accepts the unit, the completion completes. Needs root (it
# installs build dependencies and the package); CI runs it from .ci/run. Ends with "package: ok" or a FAIL line.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
[ "$(id -u)" -eq 0 ] || { echo "test-package.sh: needs root (installs the package)" >&2; exit 77; }
export DEBIAN_FRONTEND=noninteractive
need=(dpkg-dev debhelper fakeroot bash-completion logrotate meson ninja-build pkg-config libpcap-dev libndpi-dev libsqlite3-dev libssl-dev systemd)
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

fail() { echo "test-package.sh: FAIL: $*"; exit 1; }
work=$(mktemp -d /tmp/tlsaudit-pkg-XXXXXX)
trap 'rm -rf "$work"' EXIT
# the tree as it is (committed or not), without build directories
mkdir "$work/tlsaudit"
tar -C "$src" --exclude='./build*' --exclude='./.git' --exclude='*.db' -cf - . | tar -C "$work/tlsaudit" -xf -
cd "$work/tlsaudit"
start=$(date +%s)
DEB_BUILD_OPTIONS="nocheck parallel=2" nice -n 10 dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1 ||
	{ tail -n 40 "$work/build.log"; fail "dpkg-buildpackage"; }
deb=$(ls "$work"/tlsaudit_*.deb)
echo "test-package.sh: built $(basename "$deb") in $(($(date +%s) - start)) s"
dpkg-deb -c "$deb" | awk '{print $6}' | grep -v '/$' | sed 's/^\.//' >"$work/files"
cat "$work/files"
for f in /usr/bin/tlsaudit /usr/share/man/man1/tlsaudit.1.gz /lib/systemd/system/tlsaudit@.service \
	/usr/lib/sysusers.d/tlsaudit.conf /etc/logrotate.d/tlsaudit /usr/share/bash-completion/completions/tlsaudit \
	/usr/share/doc/tlsaudit/copyright /usr/share/tlsaudit/elastic/tlsaudit-index-template.json \
	/usr/share/tlsaudit/splunk/props.conf; do
	grep -qx "$f" "$work/files" || fail "the package lacks $f"
done
# meson install gives the same files (the package is meson install)
rm -rf "$work/inst"
meson setup "$work/mb" --prefix=/usr >/dev/null && DESTDIR="$work/inst" meson install -C "$work/mb" --quiet >/dev/null
(cd "$work/inst" && find . -type f | sed 's/^\.//' | sort) >"$work/meson-files"
for f in $(cat "$work/meson-files"); do
	grep -qx "$f" "$work/files" || grep -qx "$f.gz" "$work/files" || fail "meson install has $f, the package not"
done

dpkg -i "$deb" >/dev/null || fail "dpkg -i"
v=$(tlsaudit --version) || fail "tlsaudit --version"
[ "$v" = "tlsaudit $(dpkg-parsechangelog -l debian/changelog -S Version)" ] || fail "version '$v'"
echo "test-package.sh: installed: $v"
getent passwd tlsaudit >/dev/null || fail "no tlsaudit user after install"
man -w tlsaudit >/dev/null 2>&1 || [ -f /usr/share/man/man1/tlsaudit.1.gz ] || fail "man page"
out=$(systemd-analyze verify /lib/systemd/system/tlsaudit@.service 2>&1 | grep -v 'sys-subsystem-net-devices' || true)
[ -z "$out" ] || { echo "$out"; fail "systemd-analyze verify"; }
systemd-analyze verify tlsaudit@lo.service 2>&1 | grep -v -e 'sys-subsystem-net-devices' -e '^$' && fail "verify tlsaudit@lo.service" || true
logrotate -d /etc/logrotate.d/tlsaudit >/dev/null 2>&1 || fail "logrotate -d rejects the file"
comp=$(bash -c 'source /usr/share/bash-completion/completions/tlsaudit; COMP_WORDS=(tlsaudit export --fo); COMP_CWORD=2; _tlsaudit; echo "${COMPREPLY[*]}"')
[ "$comp" = "--format" ] || fail "completion of 'export --fo': '$comp'"
comp=$(bash -c 'source /usr/share/bash-completion/completions/tlsaudit; COMP_WORDS=(tlsaudit export --format ""); COMP_CWORD=3; _tlsaudit; echo "${COMPREPLY[*]}"')
[ "$comp" = "ndjson ecs zeek" ] || fail "completion of export --format: '$comp'"
# the installed binary reads a capture
tlsaudit read --db "$work/p.db" -q "$src/samples/tls11.pcap" || fail "installed tlsaudit read"
dpkg -r tlsaudit >/dev/null || fail "dpkg -r"
echo "test-package.sh: package: ok"
