#!/bin/sh
# Integration tests: real kernel, real servers on loopback. Needs root.
if [ "$(id -u)" -ne 0 ]; then
	echo "integration: must run as root (loads BPF programs)" >&2
	exit 1
fi
# Debian's interpreter: the database and gRPC client modules come from apt
# (scripts/install-deps.sh) and tests start their Python fixtures with sys.executable.
cd "$(dirname "$0")" && exec /usr/bin/python3 runner.py "$@"
