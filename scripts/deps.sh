#!/usr/bin/env bash
# deps.sh - install the Debian 12 packages tlsaudit needs to build and test.
# Does nothing for packages already present; needs root (or sudo) to install.
set -euo pipefail

BUILD_PKGS=(build-essential pkg-config meson ninja-build libpcap-dev libndpi-dev libsqlite3-dev libssl-dev zlib1g-dev liblzma-dev libzstd-dev)
TEST_PKGS=(clang clang-format libclang-rt-14-dev python3 python3-jsonschema groff-base tshark tcpdump openssl gnutls-bin curl sqlite3 iproute2 tcpreplay chromium poppler-utils libndpi-bin time procps zstd xz-utils testssl.sh python3-seccomp)

want=("${BUILD_PKGS[@]}")
if [ "${1:-}" = "--test" ]; then
	want+=("${TEST_PKGS[@]}")
fi

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then SUDO=sudo; else
		echo "deps.sh: missing packages: ${missing[*]} (run as root to install them)" >&2
		exit 1
	fi
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no, non-interactively
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
