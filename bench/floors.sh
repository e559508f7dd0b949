#!/usr/bin/env bash
# bench/floors.sh measures perch's open-loop latency beside its floors at
# one rate, in turn, ROUNDS times:
#   perch    perch serve on a fresh store, after MAX of max throughput so
#            that its engine has flushes and compactions in hand, as after
#            any busy spell; with --metrics, so that the report adds
#            perch's own view (the bucket of its p99, the share of calls
#            within 10 ms, from its handler's start to its return, and
#            the p99 of its store's wait for the writer and group commit)
#   noop     bench/noop: reads each body and answers 200 at once
#   durable  bench/noop --log: answers once the body is synced to a
#            log, with group commit: the least a durable server does
#   noop-fasthttp, durable-fasthttp
#            the same two on fasthttp (--http fasthttp), a lighter HTTP
#            server than perch's net/http: how much of a floor is HTTP's
# and prints each run and each server's medians. RATE=half takes, in each
# round, half of the rate perch reached in its MAX at max throughput: the
# rate of the half-rate target. The log and the stores live in OUT, which
# must be on the disk to be measured (not tmpfs).
#
#   bench/floors.sh                            # 3 rounds at 4,000 calls/s: about 10 minutes
#   RATE=half ROUNDS=4 bench/floors.sh         # at half of perch's max in each round
#   RATE=3000 ROUNDS=5 bench/floors.sh
#   OUT=/mnt/disk/floors bench/floors.sh       # another disk
#
# Needs Go and jq. Everything listens on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-3s}
MAX=${MAX:-20s}
RATE=${RATE:-4000}
CONNS=${CONNS:-256}
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-$(mktemp -d /tmp/perch-floors.XXXXXX)}
mkdir -p "$OUT"
warm_s=${WARMUP%s}

. bench/lib.sh # builds $perch, $bench and $noop

rate_text=$RATE
[ "$RATE" = half ] && rate_text="half of perch's max"
echo "runs: $rate_text calls/s open loop for $DURATION after $WARMUP of warmup, at most $CONNS in flight, $ROUNDS rounds; perch after $MAX at max; load average before: $(load)"
: >"$OUT/results.jsonl"
for round in $(seq "$ROUNDS"); do
	rm -rf "$OUT/data"
	start "perch-$round" "perch ready" "$perch" serve --addr 127.0.0.1:0 --data "$OUT/data" --metrics 127.0.0.1:0
	metrics=$(sed -n 's/.*msg="serving metrics" endpoint=\([^ ]*\).*/\1/p' "$OUT/perch-$round.log")
	"$bench" --endpoint "$endpoint" --setup --duration "$MAX" --warmup 1s --concurrency 64 --json >"$OUT/perch-$round-max.json" 2>"$OUT/perch-$round-max.err"
	rate=$RATE
	if [ "$RATE" = half ]; then
		rate=$(jq '.requestsPerSecond / 2 | round' "$OUT/perch-$round-max.json")
		echo "round $round: perch's max $(jq '.requestsPerSecond | round' "$OUT/perch-$round-max.json") calls/s, half $rate"
	fi
	loadgen "perch-$round" "$pid" --setup --rate "$rate" --server-metrics "$metrics"
	stop "$pid"
	rm -rf "$OUT/data"

	for http in net/http fasthttp; do
		suffix=""
		[ "$http" = fasthttp ] && suffix=-fasthttp
		start "noop$suffix-$round" "noop ready" "$noop" --addr 127.0.0.1:0 --http "$http"
		loadgen "noop$suffix-$round" "$pid" --tracking-id any --rate "$rate"
		stop "$pid"

		rm -rf "$OUT/log" && mkdir -p "$OUT/log"
		start "durable$suffix-$round" "noop ready" "$noop" --addr 127.0.0.1:0 --http "$http" --log "$OUT/log"
		loadgen "durable$suffix-$round" "$pid" --tracking-id any --rate "$rate"
		stop "$pid"
		rm -rf "$OUT/log"
	done
done

echo
echo "| run | calls/s | p50 ms | p99 ms | p99.9 ms | sent after, p99 ms | in the server: p99 ms, within 10 ms | in the store, p99 ms: wait for the writer, group commit | errors | server CPU µs/call | load before |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
jq -r -s '
	def n: if type == "number" then (. * 100 | round / 100) else . end;
	.[] | "| \(.name) | \(.rps | round) | \(.p50 | n) | \(.p99 | n) | \(.p999 | n) | \(.sentAfterP99 | n) | \(if .serverP99 then "\(.serverP99), \(.serverWithin10ms | n)%" else "-" end) | \(if .storeWaitP99 then "\(.storeWaitP99), \(.storeCommitP99)" else "-" end) | \(.errors // {} | to_entries | map("\(.key): \(.value)") | join(", ")) | \(.serverCpuUsPerCall | round) | \(.load) |"
' "$OUT/results.jsonl" | tee "$OUT/table.md"
echo
echo "medians:"
jq -r -s '
	def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def n: . * 100 | round / 100;
	map(. + {server: (.name | sub("-[0-9]+$"; ""))}) | group_by(.server) | sort_by(.[0].server | {noop: 0, "noop-fasthttp": 1, durable: 2, "durable-fasthttp": 3, perch: 4}[.])[] |
	"\(.[0].server): p50 \(map(.p50) | median | n) ms, p99 \(map(.p99) | median | n) ms (\(map(.p99 | n) | join(", "))), \(map(.serverCpuUsPerCall) | median | round) µs of server CPU per call\(
		if .[0].serverWithin10ms then "; in the server \(map(.serverWithin10ms) | median | n)% within 10 ms" else "" end)"
' "$OUT/results.jsonl"
echo
echo "results and logs: $OUT"
