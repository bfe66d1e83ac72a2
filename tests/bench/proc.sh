# Process helpers shared by the shell benchmarks (sourced). BENCH names the caller in logs.

# Is pid $1 still running (not gone, not a zombie)?
alive() {
	[ -n "$1" ] && [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# Send $2 to pid $1, wait up to $3 s for it to exit, then SIGKILL; reap it if it is our child.
stop_pid() {
	pid=$1
	alive "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }
	kill "-$2" "$pid" 2>/dev/null || true
	n=0
	while alive "$pid" && [ "$n" -lt $(($3 * 10)) ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if alive "$pid"; then
		echo "$BENCH: pid $pid did not exit on SIG$2 within $3 s: killed" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}
