#!/usr/bin/env bash
# bench/recommend.sh measures perch's runtime: how long a model of 1M
# interactions takes to train, how much memory the campaign's model takes
# once loaded, and GetRecommendations' latency at a fixed rate while the
# usual events load (perch-bench's PutEvents open loop, as in
# BENCHMARKS.md) runs beside it. It is run by hand, never by CI.
#
#   bench/recommend.sh                     # training (about a minute), then 2 x ROUNDS + 2 runs of DURATION+WARMUP:
#                                          # about 6 minutes, 10 when the calls back up (a run ends when its last call does)
#   ROUNDS=1 DURATION=10s bench/recommend.sh
#   INGEST_RATE=2000 bench/recommend.sh    # a lighter events load
#   PROFILE=1 bench/recommend.sh           # also CPU profiles of perch in the first round
#
# Needs Go, jq and curl. perch serve runs on an empty embedded store with
# --s3-root, everything listens on 127.0.0.1 with ports the kernel picks,
# and results, logs and profiles are kept in OUT (printed at the end).
#
#   prepare   perch-bench --prepare: USERS users, ITEMS items and
#               INTERACTIONS interactions of recipe.Synthetic, written as a
#               CSV and imported, a solution of aws-user-personalization-v2
#               trained (CreateSolutionVersion to ACTIVE, and the
#               version's trainingHours), a campaign
#   memory    perch restarted on the same store (training's garbage gone),
#               RSS and Go heap (after a forced GC) before and after one
#               GetRecommendations loads the campaign's model
#   rounds    ROUNDS times, in turn: DescribeCampaign (a control-plane read
#               that does no model work: the baseline) and GetRecommendations
#               (NUM_RESULTS results), each at RATE calls/s open loop on
#               RECOMMEND_CONNS connections, with the events load at
#               INGEST_RATE calls/s on INGEST_CONNS connections beside it
#   alone     each of the two calls once more without the events load
#
# Every run takes /tmp/perch-bench.lock (flock), which the other benchmarks
# of a shared machine take too.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-3s}
ROUNDS=${ROUNDS:-3}
RATE=${RATE:-1000}
RECOMMEND_CONNS=${RECOMMEND_CONNS:-64}
NUM_RESULTS=${NUM_RESULTS:-25}
INGEST_RATE=${INGEST_RATE:-4000}
INGEST_CONNS=${INGEST_CONNS:-256}
USERS=${USERS:-50000}
ITEMS=${ITEMS:-20000}
INTERACTIONS=${INTERACTIONS:-1000000}
PROFILE=${PROFILE:-}
LOCK=${LOCK:-/tmp/perch-bench.lock}
CONNS=$INGEST_CONNS # lib.sh's helpers
OUT=${OUT:-$(mktemp -d /tmp/perch-recommend.XXXXXX)}
mkdir -p "$OUT"

for tool in go jq curl flock; do
	command -v "$tool" >/dev/null || { echo "bench/recommend.sh needs $tool" >&2; exit 1; }
done

seconds() { # 20s -> 20, 1m -> 60
	case $1 in
	*ms) echo 0 ;; *m) echo $((${1%m} * 60)) ;; *s) echo "${1%s}" ;; *) echo "$1" ;;
	esac
}
dur_s=$(seconds "$DURATION")
warm_s=$(seconds "$WARMUP")

. bench/lib.sh # builds $perch and $bench

model=(--group recommend --s3-root "$OUT/s3" --model-users "$USERS" --model-items "$ITEMS" --model-interactions "$INTERACTIONS")

# serve NAME: perch serve on $OUT/data with metrics and profiles; sets
# $endpoint, $pid, $metrics and $pprof.
serve() {
	start "$1" "perch ready" "$perch" serve --addr 127.0.0.1:0 --data "$OUT/data" --s3-root "$OUT/s3" \
		--metrics 127.0.0.1:0 --pprof 127.0.0.1:0
	metrics=$(sed -n 's/.*msg="serving metrics" endpoint=\([^ ]*\).*/\1/p' "$OUT/$1.log")
	pprof=$(sed -n 's/.*msg="serving profiles" endpoint=\([^ ]*\).*/\1/p' "$OUT/$1.log")
}

# memory: perch's RSS and, after a forced GC, its Go heap, in MiB, as JSON.
memory() {
	curl -sf -o /dev/null "${pprof}heap?gc=1"
	curl -sf "$metrics" | awk -v hwm="$(awk '/VmHWM/ {print $2 * 1024}' "/proc/$pid/status")" '
		$1 == "process_resident_memory_bytes" {rss = $2}
		$1 == "go_memstats_heap_alloc_bytes" {heap = $2}
		$1 == "go_memstats_heap_inuse_bytes" {inuse = $2}
		$1 == "go_memstats_sys_bytes" {sys = $2}
		END {printf "{\"rssMiB\": %.1f, \"heapLiveMiB\": %.1f, \"heapInuseMiB\": %.1f, \"goSysMiB\": %.1f, \"peakRssMiB\": %.1f}\n",
			rss / 1048576, heap / 1048576, inuse / 1048576, sys / 1048576, hwm / 1048576}'
}

{
	echo "perch bench/recommend.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(free -h | awk '/^Mem:/ {print $2}') memory, kernel $(uname -r), $(go version | cut -d' ' -f3)"
	echo "model: $INTERACTIONS interactions of $USERS users and $ITEMS items; runs: $RATE calls/s on $RECOMMEND_CONNS connections beside" \
		"$INGEST_RATE PutEvents calls/s on $INGEST_CONNS, $DURATION measured after $WARMUP; load average before: $(load)"
} | tee "$OUT/machine.txt"
: >"$OUT/results.jsonl"

echo "== prepare"
rm -rf "$OUT/data" "$OUT/s3"
mkdir -p "$OUT/s3"
serve perch-train
flock "$LOCK" "$bench" --endpoint "$endpoint" --prepare "${model[@]}" --json >"$OUT/prepare.json" 2>>"$OUT/prepare.log"
campaign=$(jq -r .prepared.campaignArn "$OUT/prepare.json")
jq -r '.prepared | "import \(.importSeconds * 10 | round / 10) s; training \(.trainingSeconds * 10 | round / 10) s from CreateSolutionVersion to ACTIVE, trainingHours \(.trainingHours) (\(.trainingHours * 3600 * 10 | round / 10) s)"' \
	"$OUT/prepare.json" | tee -a "$OUT/machine.txt"
echo "perch peak RSS (VmHWM) of the import and training: $(awk '/VmHWM/ {print $2 / 1024 " MiB"}' "/proc/$pid/status")" | tee -a "$OUT/machine.txt"
stop "$pid"

echo "== memory"
serve perch
sleep 1
before=$(memory)
curl -sf -X POST -H 'Content-Type: application/json' -o "$OUT/first-recommendations.json" "$endpoint/recommendations" \
	-d "{\"campaignArn\":\"$campaign\",\"numResults\":$NUM_RESULTS,\"userId\":\"u00001\"}"
after=$(memory)
# The heap profile names what the model holds: recipe.Load's live bytes.
curl -sf -o "$OUT/heap.pprof" "${pprof}heap?gc=1"
loaded=$(go tool pprof -sample_index=inuse_space -top -cum -unit=MB "$perch" "$OUT/heap.pprof" 2>/dev/null |
	awk '$NF == "github.com/perchdev/perch/recipe.Load" {sub("MB", "", $4); print $4; exit}')
jq -n --argjson b "$before" --argjson a "$after" --arg loaded "${loaded:-}" \
	'{before: $b, after: $a, recipeLoadMB: ($loaded | tonumber? // null)}' >"$OUT/memory.json"
jq -r 'def d: . * 10 | round / 10 | if . >= 0 then "+\(.)" else "\(.)" end;
	"perch before the model is loaded: RSS \(.before.rssMiB) MiB, live heap \(.before.heapLiveMiB) MiB; after: RSS \(.after.rssMiB) MiB, live heap \(.after.heapLiveMiB) MiB",
	"the model: \(.after.heapLiveMiB - .before.heapLiveMiB | d) MiB of live heap (\(.after.rssMiB - .before.rssMiB | d) MiB RSS); recipe.Load holds \(.recipeLoadMB // "?") MB in the heap profile"' \
	"$OUT/memory.json" | tee -a "$OUT/machine.txt"

# measure NAME CALL EVENTS: one run of CALL at $RATE, with the events load
# when EVENTS is true, holding the lock; records a line of results.
measure() {
	local name=$1 call=$2 events=$3
	(
		flock 9
		local l0 t0 t1
		l0=$(load)
		if [ -n "$PROFILE" ] && [ "${name%-1}" != "$name" ]; then
			(sleep "$((warm_s + 1))" && curl -s -o "$OUT/$name.cpu.pprof" "${pprof}profile?seconds=$((dur_s > 3 ? dur_s - 2 : 1))") &
		fi
		"$bench" --endpoint "$endpoint" --prepare "${model[@]}" --campaign "$campaign" --json \
			--recommend-call "$call" --recommend-rate "$RATE" --recommend-concurrency "$RECOMMEND_CONNS" --num-results "$NUM_RESULTS" \
			--events="$events" --rate "$INGEST_RATE" --concurrency "$INGEST_CONNS" --duration "$DURATION" --warmup "$WARMUP" \
			>"$OUT/$name.json" 2>>"$OUT/$name.log" &
		local b=$!
		# --prepare and the users' names take a few seconds before the
		# warmup starts; the CPU is read over the measured part.
		while ! grep -qs "perch-bench: campaign" "$OUT/$name.log"; do
			kill -0 "$b" 2>/dev/null || { cat "$OUT/$name.log" >&2; exit 1; }
			sleep 0.1
		done
		sleep "$((warm_s + 2))"
		t0=$(cpu "$pid")
		local s0=$SECONDS
		wait "$b"
		t1=$(cpu "$pid")
		wait
		record "$name" "$call" "$(jq -c --arg load "$l0" --argjson ticks "$((t1 - t0))" --argjson s "$((SECONDS - s0))" \
			--argjson hz "$(getconf CLK_TCK)" --argjson events "$events" '
			def errs: (.errors // {}) | to_entries | map("\(.key): \(.value)") | join(", ");
			{rps: .runtime.requestsPerSecond, p50: .runtime.latencyMs.p50, p99: .runtime.latencyMs.p99, p999: .runtime.latencyMs.p999,
			 max: .runtime.latencyMs.max, errors: (.runtime | errs), late: .runtime.late, short: .runtime.shortAnswers,
			 ingest: $events, ingestRps: .events.requestsPerSecond, ingestP99: .events.latencyMs.p99, ingestErrors: (.events // {} | errs),
			 serverCores: (if $s > 0 then $ticks / $hz / $s else null end), load: $load}' "$OUT/$name.json")"
	) 9>"$LOCK"
}

serve_rounds() {
	for round in $(seq "$ROUNDS"); do
		echo "== round $round"
		measure "describe-$round" DescribeCampaign true
		measure "recommend-$round" GetRecommendations true
	done
	echo "== alone"
	measure describe-alone DescribeCampaign false
	measure recommend-alone GetRecommendations false
}
serve_rounds
rss=$(awk '/VmHWM/ {print $2 / 1024 " MiB"}' "/proc/$pid/status")
stop "$pid"
echo "perch peak RSS (VmHWM) over the runs: $rss" | tee -a "$OUT/machine.txt"

echo
echo "| run | call | calls/s | p50 ms | p99 ms | p99.9 ms | max ms | errors | sent late | ingest calls/s | ingest p99 ms | ingest errors | perch cores | load before |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- | ---: | --- |"
jq -r '
	def n: if type == "number" then (. * 100 | round / 100) else . end;
	"| \(.name) | \(.tool) | \(.rps | round) | \(.p50 | n) | \(.p99 | n) | \(.p999 | n) | \(.max | n) | \(.errors) | \(.late) | \(if .ingest then (.ingestRps | round) else "-" end) | \(if .ingest then (.ingestP99 | n) else "-" end) | \(.ingestErrors) | \(.serverCores | n) | \(.load) |"
' "$OUT/results.jsonl" | tee "$OUT/table.md"
echo
jq -r -s '
	def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def n: . * 100 | round / 100;
	(map(select(.ingest and .tool == "DescribeCampaign")) | map(.p99) | median) as $d |
	(map(select(.ingest and .tool == "GetRecommendations")) | map(.p99) | median) as $r |
	"with the events load, median p99 of \(map(select(.ingest)) | length / 2) rounds: GetRecommendations \($r | n) ms, DescribeCampaign (baseline) \($d | n) ms, ratio \($r / $d | n)"
' "$OUT/results.jsonl" | tee -a "$OUT/table.md"
echo
echo "results, logs and profiles: $OUT"
