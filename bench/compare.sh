#!/usr/bin/env bash
# bench/compare.sh measures builds or options of perch side by side. Each
# of ROUNDS rounds runs the no-op baseline, then every variant at max
# throughput on a fresh store, in turn, so that whatever else loads the
# machine falls on all of them alike. It prints each run with its ratio to
# the baseline of its round, and each variant's median ratio.
#
#   bench/compare.sh before=ae546af after=HEAD
#   bench/compare.sh none=HEAD 'sigv4=HEAD --auth sigv4 --credentials $OUT/credentials'
#   bench/compare.sh auto=HEAD 'off=HEAD --tune off'   # the machine's tuning against the defaults
#   RATE=half bench/compare.sh after=HEAD     # also open loop at half each variant's max
#   BENCH_ARGS='--batch 1' bench/compare.sh after=HEAD   # one event per call
#
# A variant is NAME=REV, then any extra arguments of perch serve (expanded
# by the shell, so $OUT works). $OUT/credentials holds the key perch-bench
# signs with by default (perch-bench/perch-bench, account 000000000000).
# Each variant's server is built from its revision; the load generator
# and the no-op baseline are the working tree's, the same for every one.
# Needs Go, git and jq. Everything listens on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-3s}
CONNS=${CONNS:-64}
ROUNDS=${ROUNDS:-3}
RATE=${RATE:-}
OUT=${OUT:-$(mktemp -d /tmp/perch-compare.XXXXXX)}
mkdir -p "$OUT"
[ $# -gt 0 ] || { sed -n '2,19s/^# \{0,1\}//p' "$0" >&2; exit 2; }
warm_s=${WARMUP%s}

. bench/lib.sh # builds $perch, $bench and $noop

write_credentials "$OUT/credentials"

names=()
declare -A bins args
for v in "$@"; do
	name=${v%%=*}
	spec=${v#*=}
	rev=${spec%% *}
	extra=""
	[ "$rev" != "$spec" ] && extra=${spec#* }
	names+=("$name")
	args[$name]=$extra
	src=$OUT/src-$name
	rm -rf "$src" && mkdir -p "$src"
	git archive "$(git rev-parse "$rev")" | tar -x -C "$src"
	(cd "$src" && go build -o "$OUT/perch-$name" ./cmd/perch)
	bins[$name]=$OUT/perch-$name
	echo "variant $name: $(git rev-parse --short "$rev") $extra"
done
echo "runs: $DURATION after $WARMUP of warmup, $CONNS connections, $ROUNDS rounds; load average before: $(load)"
: >"$OUT/results.jsonl"

for round in $(seq "$ROUNDS"); do
	start "noop-$round" "noop ready" "$noop" --addr 127.0.0.1:0
	loadgen "noop-$round" "$pid" --tracking-id any
	stop "$pid"
	for name in "${names[@]}"; do
		rm -rf "$OUT/data-$name"
		eval "extra=(${args[$name]})"
		start "$name-$round" "perch ready" "${bins[$name]}" serve --addr 127.0.0.1:0 --data "$OUT/data-$name" "${extra[@]}"
		loadgen "$name-$round" "$pid" --setup
		if [ -n "$RATE" ]; then
			rate=$(jq '.requestsPerSecond / 2 | floor' "$OUT/$name-$round.json")
			loadgen "$name-half-$round" "$pid" --setup --rate "$rate" --concurrency $((CONNS * 4))
		fi
		awk '/VmHWM/ {print $2}' "/proc/$pid/status" >"$OUT/$name-$round.rss"
		stop "$pid"
		rm -rf "$OUT/data-$name"
	done
done

echo
echo "| run | calls/s | events/s | p50 ms | p99 ms | p99.9 ms | errors | ratio to noop | server CPU µs/call | load before |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
jq -r -s '
	def n: if type == "number" then (. * 100 | round / 100) else . end;
	(map(select(.name | startswith("noop-"))) | map({key: (.name | ltrimstr("noop-")), value: .rps}) | from_entries) as $noop |
	.[] | (.name | split("-") | last) as $round |
	"| \(.name) | \(.rps | round) | \(.eps | round) | \(.p50 | n) | \(.p99 | n) | \(.p999 // "" | n) | \(.errors // {} | to_entries | map("\(.key): \(.value)") | join(", ")) | \(.rps / $noop[$round] * 100 | round)% | \(.serverCpuUsPerCall | round) | \(.load) |"
' "$OUT/results.jsonl" | tee "$OUT/table.md"
echo
echo "median ratio to noop, and median server CPU per call:"
jq -r -s '
	(map(select(.name | startswith("noop-"))) | map({key: (.name | ltrimstr("noop-")), value: .rps}) | from_entries) as $noop |
	def median: sort | .[length / 2 | floor];
	map(select(.name | startswith("noop-") | not) | . + {variant: (.name | sub("-[0-9]+$"; "")), ratio: (.rps / $noop[.name | split("-") | last] * 100)}) |
	group_by(.variant)[] | "\(.[0].variant): \(map(.ratio) | median | round)% of noop, \(map(.rps) | median | round) calls/s, \(map(.serverCpuUsPerCall) | median | round) µs/call" 
' "$OUT/results.jsonl" | tee -a "$OUT/table.md"
for name in "${names[@]}"; do
	echo "$name: peak RSS $(sort -n "$OUT/$name"-*.rss | tail -1 | awk '{print int($1 / 1024)}') MB"
done | tee -a "$OUT/table.md"
echo "results and logs: $OUT"
