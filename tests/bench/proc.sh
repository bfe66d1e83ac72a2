# Helpers shared by the shell benchmarks (sourced). BENCH names the caller in logs; RES is
# the caller's results file (one line per run: MODE COLUMN...).

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

# Busy and total CPU ticks of the host so far: "busy total".
host_ticks() {
	awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}

# Percent of the host's CPU time busy during the next second (other load skews figures).
host_busy_over_1s() {
	ht=$(host_ticks)
	sleep 1
	ht2=$(host_ticks)
	awk -v b="$((${ht2% *} - ${ht% *}))" -v t="$((${ht2#* } - ${ht#* }))" \
		'BEGIN { printf "%.0f", (t > 0 ? 100 * b / t : 0) }'
}

# median COLUMN MODE: the median of COLUMN over the runs of MODE in $RES.
median() {
	awk -v m="$2" -v c="$1" '$1 == m { print $c }' "$RES" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
