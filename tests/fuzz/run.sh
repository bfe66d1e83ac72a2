#!/bin/sh
# Run libFuzzer targets.
#   run.sh smoke BIN...   about 20 s in total, split across the targets
#   run.sh long BIN...    300 s per target
# Each target keeps its corpus in <bin dir>/corpus-NAME (seeded from tests/fuzz/seeds/NAME/)
# and its log in <bin dir>/NAME.log. Prints one line per target; exits 1 if any crashed.
set -u

usage() {
	echo "usage: $0 smoke|long BIN..." >&2
	exit 2
}

[ $# -ge 2 ] || usage
mode=$1
shift
case $mode in
smoke) per=$((20 / $#)); [ "$per" -ge 1 ] || per=1 ;;
long) per=300 ;;
*) usage ;;
esac

seeds_root=$(dirname "$0")/seeds
failed=0
for bin in "$@"; do
	name=$(basename "$bin")
	dir=$(dirname "$bin")
	corpus=$dir/corpus-$name
	log=$dir/$name.log
	mkdir -p "$corpus"
	if [ -d "$seeds_root/$name" ]; then
		cp -n "$seeds_root/$name"/* "$corpus"/ 2>/dev/null
	fi
	"$bin" -max_total_time="$per" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$dir/$name-" "$corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ $rc -eq 0 ]; then
		echo "$name: ok, ${execs:-?} execs in ${per}s, corpus $(ls "$corpus" | wc -l)"
	else
		artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		echo "$name: FAILED (exit $rc) ${artifact:+artifact $artifact, }log $log"
		failed=1
	fi
done
exit $failed
