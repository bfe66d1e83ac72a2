#!/bin/sh
# Install every Debian package zerotrace needs to build, test and run its demo.
# Idempotent: packages already present are skipped; apt runs only when something is missing.
set -eu

PKGS="make clang llvm gcc pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev
libcurl4-openssl-dev libprotobuf-c-dev protobuf-c-compiler libcmocka-dev libclang-rt-14-dev
curl nginx-light wrk python3 iproute2 procps psmisc"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing; run as root (sudo make ...)" >&2
	exit 1
fi

echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# nginx must not start a system instance on port 80 during install; tests run their own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends $missing >/dev/null
