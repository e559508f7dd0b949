#!/usr/bin/env bash
# bench/stored.sh checks that stored data does not slow perch down and
# that its memory stays bounded. It fills one store through the HTTP API
# at max throughput in MINUTES consecutive one-minute runs of perch-bench
# (sampling perch's RSS every 5 s), then times `perch records` for one
# user, then measures a fresh empty store for one minute, for the ratio.
# It is run by hand, never by CI.
#
#   bench/stored.sh                 # 10 minutes of filling: about 30 million events
#   MINUTES=3 bench/stored.sh
#
# Needs Go, jq, curl and bc. The store is in OUT (several GB for 10 minutes; removed
# at the end unless KEEP=1): watch df -h.
set -euo pipefail
cd "$(dirname "$0")/.."

MINUTES=${MINUTES:-10}
CONNS=${CONNS:-64}
DURATION=60s
WARMUP=0s
warm_s=0
OUT=${OUT:-$(mktemp -d /tmp/perch-stored.XXXXXX)}
mkdir -p "$OUT"
. bench/lib.sh # builds $perch, $bench and $noop

echo "perch bench/stored.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $CONNS connections"
: >"$OUT/results.jsonl"

rm -rf "$OUT/data"
start perch "perch ready" "$perch" serve --addr 127.0.0.1:0 --data "$OUT/data"
(while kill -0 "$pid" 2>/dev/null; do
	echo "$(date +%s) $(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null)"
	sleep 5
done) >"$OUT/rss.txt" &
for m in $(seq "$MINUTES"); do
	loadgen "minute-$m" "$pid" --setup
	jq -r --arg m "$m" '"minute \($m): \(.eps | round) events/s, p99 \(.p99) ms, server CPU \(.serverCpuUsPerCall | round) µs/call, load \(.load)"' \
		<(tail -1 "$OUT/results.jsonl")
done
stored=$(jq -s 'map(.ok * 10) | add' "$OUT/results.jsonl")
echo "stored: $stored events (ok calls x 10), store size $(du -sh "$OUT/data" | cut -f1)"
echo "perch RSS: max $(sort -k2 -n "$OUT/rss.txt" | tail -1 | awk '{print int($2 / 1024)}') MB over $(wc -l <"$OUT/rss.txt") samples"

group=$(sed -n 's/.*dataset group \([^ ,]*\).*/\1/p' "$OUT/minute-1.log" | head -1)
dataset=${group/dataset-group\//dataset/}/INTERACTIONS
# user-5000 has about a hundred events after 10 minutes; user-0, the head
# of the distribution, millions, so it is read up to --limit 1000. The read
# API is also timed on its own (curl; any signature passes without
# --auth), apart from the command's start-up.
for q in "user-5000" "user-0 1000"; do
	set -- $q
	limit=${2:-0}
	for try in 1 2 3; do
		t0=$(date +%s%N)
		n=$(AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench "$perch" records "$dataset" --endpoint "$endpoint" --user-id "$1" --limit "$limit" | wc -l)
		t1=$(date +%s%N)
		api=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/personalize/aws4_request, SignedHeaders=host, Signature=0" \
			"$endpoint/_perch/records?datasetArn=$dataset&userId=$1&limit=$limit")
		echo "perch records --user-id $1 --limit $limit: $n records in $(((t1 - t0) / 1000000)) ms; the read API alone: $(echo "$api * 1000" | bc) ms (try $try)"
	done
done
stop "$pid"
[ -n "${KEEP:-}" ] || rm -rf "$OUT/data"

rm -rf "$OUT/empty"
start empty "perch ready" "$perch" serve --addr 127.0.0.1:0 --data "$OUT/empty"
loadgen empty "$pid" --setup
stop "$pid"
rm -rf "$OUT/empty"
jq -r -s '(map(select(.name == "empty")) | .[0].eps) as $empty |
	map(select(.name | startswith("minute-"))) | last as $last |
	"last minute on the full store: \($last.eps | round) events/s; empty store: \($empty | round) events/s; ratio \($last.eps / $empty * 100 | round)%"' \
	"$OUT/results.jsonl"
echo "results and logs: $OUT"
