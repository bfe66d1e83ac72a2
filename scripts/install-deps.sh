#!/bin/sh
# Install every Debian package zerotrace needs to build, test and run its demo, and the npm
# packages of the Node test services (tests/integration/otel_sdk, tests/integration/grpc/node).
# Idempotent: packages already present are skipped; apt runs only when something is missing,
# npm only when tests/integration/otel_sdk/node_modules is not what its lock file says.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)

PKGS="make clang llvm gcc pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev
libcurl4-openssl-dev libprotobuf-c-dev protobuf-c-compiler libcmocka-dev libclang-rt-14-dev
curl nginx-light wrk python3 iproute2 procps psmisc
postgresql postgresql-contrib python3-psycopg2 mariadb-server mariadb-client python3-pymysql
redis-server redis-tools python3-redis libmariadb-dev
python3-grpcio python3-grpc-tools nghttp2-client nghttp2-server python3-h2"

# Node.js for the OpenTelemetry SDK tests: a node already on PATH is used as it is (it may come
# from outside Debian's packaging, with its own npm); Debian's nodejs and npm only without one.
if ! command -v node >/dev/null 2>&1; then
	PKGS="$PKGS nodejs npm"
elif ! command -v npm >/dev/null 2>&1; then
	PKGS="$PKGS npm"
fi

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

install_debian() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing packages:$missing; run as root (sudo make ...)" >&2
		exit 1
	fi

	echo "install-deps: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# nginx, PostgreSQL, MariaDB and Redis must not start system instances during install; tests
	# run their own on loopback.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

if [ -n "$missing" ]; then
	install_debian
fi

# npm packages of the Node test services, pinned by package-lock.json: the OpenTelemetry SDK
# tests (tests/integration/otel_sdk) and the @grpc/grpc-js server (tests/integration/grpc/node).
# A stamp in node_modules records the hash of package.json and the lock it was installed from.
# A failure (no registry) only warns: those tests then skip, saying why; the build goes on.
npm_install() {
	dir=$1
	stamp="$dir/node_modules/.zerotrace-installed"
	if [ -f "$dir/package-lock.json" ]; then
		want=$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)
		npm_cmd="ci"
	else
		want=$(sha256sum < "$dir/package.json" | cut -d' ' -f1)
		npm_cmd="install"
	fi
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		return 0
	fi
	echo "install-deps: npm $npm_cmd in ${dir#$ROOT/}" >&2
	if (cd "$dir" && npm "$npm_cmd" --no-audit --no-fund --loglevel=error \
		--fetch-retries=1 --fetch-timeout=60000 >/dev/null); then
		echo "$want" > "$stamp"
	else
		echo "install-deps: warning: npm $npm_cmd failed in $dir; the tests that need it" \
			"will skip" >&2
	fi
}

if command -v npm >/dev/null 2>&1; then
	for dir in "$ROOT/tests/integration/otel_sdk" "$ROOT/tests/integration/grpc/node"; do
		if [ -f "$dir/package.json" ]; then
			npm_install "$dir"
		fi
	done
fi
