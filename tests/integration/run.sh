#!/bin/sh
# Integration tests: real kernel, real servers on loopback. Needs root.
if [ "$(id -u)" -ne 0 ]; then
	echo "integration: must run as root (loads BPF programs)" >&2
	exit 1
fi
cd "$(dirname "$0")" && exec python3 runner.py "$@"
