#!/usr/bin/env bash
# bench/batch.sh measures batch inference jobs: how many input lines a
# second a job answers, and whether perch's memory stays flat as the input
# grows from 100,000 lines to 1,000,000. The baseline is the same model
# asked the same questions through GetRecommendations in the same run. It
# is run by hand, never by CI.
#
#   bench/batch.sh                         # 15-40 minutes as the machine's load has it: training, 3 x DURATION+WARMUP, the jobs
#   LINES="10000 100000" bench/batch.sh    # smaller jobs
#   PROFILE=1 bench/batch.sh               # also a CPU profile of perch during the last job
#
# Needs Go, jq and curl. perch serve runs on an empty embedded store with
# --s3-root, everything listens on 127.0.0.1 with ports the kernel picks,
# and results, logs and profiles are kept in OUT (printed at the end).
#
#   prepare   perch-bench --prepare, as bench/recommend.sh: USERS users,
#               ITEMS items and INTERACTIONS interactions of
#               recipe.Synthetic imported, an aws-user-personalization-v2
#               version trained, a campaign; then perch restarted on the
#               same store, so that training's memory is gone
#   baseline  GetRecommendations (NUM_RESULTS results, 10% of the calls for
#               users the model has not seen) in a closed loop, on one
#               connection (one call at a time, as a job answers one line
#               at a time) and on RECOMMEND_CONNS, DURATION each after
#               WARMUP; the one-connection run again after the jobs
#   jobs      for each count of LINES, perch-bench --batch-lines: that
#               many userId lines (the same users, the same 10% unseen)
#               written under --s3-root, CreateBatchInferenceJob through
#               the Go SDK, polled to ACTIVE; the output read back (one
#               line per input line, in place, no errors, NUM_RESULTS
#               items each) and perch's RSS before the job, sampled at each
#               poll and its peak (VmHWM, reset as the job is created)
#
# perch's CPU time over each run is read from /proc, so that a line and a
# call can be compared by what they cost as well as by their rate. Every
# step takes /tmp/perch-bench.lock (flock), which the other benchmarks of a
# shared machine take too.
set -euo pipefail
cd "$(dirname "$0")/.."

LINES=${LINES:-100000 1000000}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-3s}
RECOMMEND_CONNS=${RECOMMEND_CONNS:-8}
NUM_RESULTS=${NUM_RESULTS:-25}
USERS=${USERS:-50000}
ITEMS=${ITEMS:-20000}
INTERACTIONS=${INTERACTIONS:-1000000}
PROFILE=${PROFILE:-}
LOCK=${LOCK:-/tmp/perch-bench.lock}
CONNS=$RECOMMEND_CONNS # lib.sh's helpers
OUT=${OUT:-$(mktemp -d /tmp/perch-batch.XXXXXX)}
mkdir -p "$OUT"

for tool in go jq curl flock; do
	command -v "$tool" >/dev/null || { echo "bench/batch.sh needs $tool" >&2; exit 1; }
done
warm_s=${WARMUP%s}

. bench/lib.sh # builds $perch and $bench

model=(--prepare --group batch --s3-root "$OUT/s3" --model-users "$USERS" --model-items "$ITEMS" --model-interactions "$INTERACTIONS"
	--num-results "$NUM_RESULTS" --json)

# serve NAME: perch serve on $OUT/data; sets $endpoint, $pid and $pprof.
serve() {
	start "$1" "perch ready" "$perch" serve --addr 127.0.0.1:0 --data "$OUT/data" --s3-root "$OUT/s3" --pprof 127.0.0.1:0
	pprof=$(sed -n 's/.*msg="serving profiles" endpoint=\([^ ]*\).*/\1/p' "$OUT/$1.log")
}

rss() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status"; }

{
	echo "perch bench/batch.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(free -h | awk '/^Mem:/ {print $2}') memory, kernel $(uname -r), $(go version | cut -d' ' -f3)"
	echo "model: $INTERACTIONS interactions of $USERS users and $ITEMS items; $NUM_RESULTS results a line or call; jobs of $LINES lines; load average before: $(load)"
} | tee "$OUT/machine.txt"
: >"$OUT/results.jsonl"

echo "== prepare"
rm -rf "$OUT/data" "$OUT/s3"
mkdir -p "$OUT/s3"
serve perch-train
flock "$LOCK" "$bench" --endpoint "$endpoint" "${model[@]}" >"$OUT/prepare.json" 2>>"$OUT/prepare.log"
jq -r '.prepared | "import \(.importSeconds * 10 | round / 10) s; training \(.trainingSeconds * 10 | round / 10) s"' "$OUT/prepare.json" | tee -a "$OUT/machine.txt"
stop "$pid"

serve perch
sleep 1
echo "perch RSS once started: $(rss) MiB" | tee -a "$OUT/machine.txt"

# step NAME ARGS...: perch-bench ARGS against perch, holding the lock, and
# a line of results with perch's CPU over the run.
step() {
	local name=$1 l0 t0 s0
	shift
	(
		flock 9
		l0=$(load)
		t0=$(cpu "$pid")
		s0=$(date +%s.%N)
		"$bench" --endpoint "$endpoint" "${model[@]}" "$@" >"$OUT/$name.json" 2>>"$OUT/$name.log"
		record "$name" "$1" "$(jq -c --arg load "$l0" --argjson ticks "$(($(cpu "$pid") - t0))" --argjson hz "$(getconf CLK_TCK)" \
			--argjson s "$(echo "$(date +%s.%N) - $s0" | bc)" '{load: $load, serverCpuSeconds: ($ticks / $hz), stepSeconds: $s} +
			(if .batch then .batch else {requests: .runtime.requests, ok: .runtime.ok, rps: .runtime.requestsPerSecond,
				seconds: .runtime.seconds, p50: .runtime.latencyMs.p50, p99: .runtime.latencyMs.p99,
				short: .runtime.shortAnswers, conns: .runtime.concurrency, errors: .runtime.errors} end)' "$OUT/$name.json")"
	) 9>"$LOCK"
}

# recommend NAME CONNS: GetRecommendations in a closed loop on CONNS
# connections, alone.
recommend() {
	echo "== $1"
	step "$1" --recommend-closed --recommend-concurrency "$2" --events=false --duration "$DURATION" --warmup "$WARMUP"
}

recommend recommend-1 1
recommend "recommend-$RECOMMEND_CONNS" "$RECOMMEND_CONNS"
echo "perch RSS with the model loaded: $(rss) MiB" | tee -a "$OUT/machine.txt"
set -- $LINES
for n in "$@"; do
	echo "== batch $n"
	if [ -n "$PROFILE" ] && [ "$n" = "${!#}" ]; then
		(sleep 20 && curl -s -o "$OUT/batch-$n.cpu.pprof" "${pprof}profile?seconds=30") &
		profiler=$!
	fi
	step "batch-$n" --batch-lines "$n" --server-pid "$pid"
	jq -r '.batch | "\(.lines) lines in \(.seconds * 10 | round / 10) s: \(.linesPerSecond | round) lines/s; output \(.outputLines) lines, \(.outputBytes) bytes, \(.errorLines) errors, \(.shortAnswers) short, \(.outOfPlace) out of place; RSS \(.memory.beforeMiB * 10 | round / 10) MiB before, peak \(.memory.peakMiB * 10 | round / 10) MiB"' \
		"$OUT/batch-$n.json" | tee -a "$OUT/machine.txt"
done
recommend recommend-1-after 1
[ -z "${profiler:-}" ] || wait "$profiler"

echo
echo "| run | lines or calls | seconds | per second | perch CPU ms each | RSS before MiB | peak RSS MiB | output | load before |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
jq -r --argjson warm "$warm_s" '
	def n: . * 10 | round / 10;
	if .lines then
		"| \(.name) | \(.lines) | \(.seconds | n) | \(.linesPerSecond | round) | \(.serverCpuSeconds * 1000 / .lines * 100 | round / 100) | \(.memory.beforeMiB | n) | \(.memory.peakMiB | n) | \(.outputLines) lines, \(.outputBytes) bytes, \(.errorLines) errors, \(.shortAnswers) short, \(.outOfPlace) out of place | \(.load) |"
	else
		"| \(.name) (\(.conns) conns) | \(.requests) | \(.seconds | n) | \(.rps | round) | \(.serverCpuSeconds * 1000 / (.requests + .rps * $warm) * 100 | round / 100) | - | - | \(.ok) ok, \(.short) short, p50 \(.p50) ms, p99 \(.p99) ms | \(.load) |"
	end' "$OUT/results.jsonl" | tee "$OUT/table.md"
echo
jq -r -s '
	(map(select(.lines)) | max_by(.lines)) as $b |
	(map(select(.name | startswith("recommend-1"))) | map(.rps) | add / length) as $one |
	(map(select(.conns and .conns > 1)) | .[0].rps) as $many |
	(map(select(.lines)) | min_by(.lines)) as $small |
	"the \($b.lines)-line job: \($b.linesPerSecond | round) lines/s, \($b.linesPerSecond / $one * 100 | round)% of GetRecommendations on one connection (\($one | round)/s, mean of the two runs), \($b.linesPerSecond / $many * 100 | round)% of it on several (\($many | round)/s); peak RSS \($b.memory.peakMiB * 10 | round / 10) MiB against \($small.memory.peakMiB * 10 | round / 10) MiB for \($small.lines) lines"
' "$OUT/results.jsonl" | tee -a "$OUT/table.md"
echo
echo "results, logs and profiles: $OUT"
