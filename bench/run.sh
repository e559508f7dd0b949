#!/usr/bin/env bash
# bench/run.sh measures perch against the no-op baseline in one go and
# prints the table of BENCHMARKS.md. It is run by hand, never by CI.
#
#   bench/run.sh                 # fifteen runs of DURATION+WARMUP each: about 6 minutes
#   DURATION=10s bench/run.sh    # shorter, noisier
#   PROFILE=1 bench/run.sh       # also keep CPU and allocation profiles of perch
#
# Needs Go, wrk and jq (apt-get install wrk jq). Everything listens on
# 127.0.0.1 with ports the kernel picks; the store lives in a temporary
# directory. Results, logs and profiles are kept in OUT (printed at the end).
#
# Runs, in order, each with CONNS connections:
#   noop         bench/noop: reads the body, answers 200
#                  wrk, perch-bench (signed), perch-bench --sign=false, and
#                  perch-bench --sign=false --client net/http
#   noop-decode  the same server also decoding the body with encoding/json
#                  wrk, perch-bench (signed)
#   perch        perch serve on an empty store, durable acks, no auth
#                  perch-bench --setup (signed) at max throughput, then
#                  open loop at half the rate it measured, then wrk with one
#                  fixed body, then perch-bench --sign=false, then overload:
#                  open loop at twice the max rate over 16 times the
#                  connections, to see whether perch sheds load
#   noop-half, noop-durable
#                the floors of perch's half-rate run, at the same rate:
#                  the no-op server, and bench/noop --log (each body
#                  synced to a log before the 200, with group commit: the
#                  least a durable server does), also at max throughput
#   perch-sigv4  perch serve --auth sigv4 on an empty store: perch-bench
#                  --setup (signed) at max throughput
# Each figure is also given as a ratio to the no-op server's rate measured
# by the same tool in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-3s}
CONNS=${CONNS:-64}
PROFILE=${PROFILE:-}
OUT=${OUT:-$(mktemp -d /tmp/perch-bench.XXXXXX)}
mkdir -p "$OUT"

for tool in go wrk jq; do
	command -v "$tool" >/dev/null || { echo "bench/run.sh needs $tool (apt-get install wrk jq)" >&2; exit 1; }
done

seconds() { # 20s -> 20, 1m -> 60
	case $1 in
	*ms) echo 0 ;; *m) echo $((${1%m} * 60)) ;; *s) echo "${1%s}" ;; *) echo "$1" ;;
	esac
}
dur_s=$(seconds "$DURATION")
warm_s=$(seconds "$WARMUP")

. bench/lib.sh # builds $perch, $bench and $noop

# wrkrun NAME SERVER-PID BODY-FILE: wrk posting one fixed body to /events.
wrkrun() {
	local name=$1 server=$2 body=$3
	local l0 t0 t1
	l0=$(load)
	cat >"$OUT/post.lua" <<-EOF
		wrk.method = "POST"
		local f = io.open("$body", "rb")
		wrk.body = f:read("*a")
		f:close()
		wrk.headers["Content-Type"] = "application/json"
	EOF
	t0=$(cpu "$server")
	/usr/bin/env time -f "%U %S" -o "$OUT/$name.time" \
		wrk -t2 -c"$CONNS" -d"$((dur_s + warm_s))s" --latency -s "$OUT/post.lua" "$endpoint/events" >"$OUT/$name.txt"
	t1=$(cpu "$server")
	local rps requests non2xx p50 p99 clientCores per_call
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$OUT/$name.txt")
	requests=$(awk '/requests in/ {print $1}' "$OUT/$name.txt")
	non2xx=$(awk '/Non-2xx/ {print $NF}' "$OUT/$name.txt")
	p50=$(awk '$1 == "50%" {print $2}' "$OUT/$name.txt")
	p99=$(awk '$1 == "99%" {print $2}' "$OUT/$name.txt")
	clientCores=$(awk -v d="$((dur_s + warm_s))" '{print ($1 + $2) / d}' "$OUT/$name.time")
	per_call=$(jq -n --argjson t "$((t1 - t0))" --argjson n "$requests" --argjson hz "$(getconf CLK_TCK)" '$t / $hz * 1e6 / $n')
	record "$name" "wrk" "$(jq -n --arg load "$l0" --argjson rps "$rps" --argjson req "$requests" \
		--arg non2xx "${non2xx:-0}" --arg p50 "$p50" --arg p99 "$p99" --argjson cores "$clientCores" --argjson cpu "$per_call" \
		'{rps: $rps, eps: ($rps * 10), requests: $req, errors: {"non-2xx": ($non2xx | tonumber)},
		  p50: $p50, p99: $p99, clientCores: $cores, serverCpuUsPerCall: $cpu, load: $load}')"
}

{
	echo "perch bench/run.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(free -h | awk '/^Mem:/ {print $2}') memory, kernel $(uname -r), $(go version | cut -d' ' -f3)"
	echo "runs: $DURATION measured after $WARMUP of warmup, $CONNS connections; load average before: $(load)"
} | tee "$OUT/machine.txt"
: >"$OUT/results.jsonl"
"$bench" --print-body >"$OUT/noop-body.json"

echo "== noop"
start noop "noop ready" "$noop" --addr 127.0.0.1:0
wrkrun noop-wrk "$pid" "$OUT/noop-body.json"
loadgen noop-signed "$pid" --tracking-id any
loadgen noop-unsigned "$pid" --tracking-id any --sign=false
loadgen noop-nethttp-unsigned "$pid" --tracking-id any --sign=false --client net/http
stop "$pid"

echo "== noop-decode"
start noop-decode "noop ready" "$noop" --addr 127.0.0.1:0 --decode
wrkrun noop-decode-wrk "$pid" "$OUT/noop-body.json"
loadgen noop-decode-signed "$pid" --tracking-id any
stop "$pid"

echo "== perch"
serve_args=(serve --addr 127.0.0.1:0 --data "$OUT/data")
[ -n "$PROFILE" ] && serve_args+=(--pprof 127.0.0.1:0)
rm -rf "$OUT/data"
start perch "perch ready" "$perch" "${serve_args[@]}"
[ -n "$PROFILE" ] && pprof_endpoint=$(sed -n 's/.*msg="serving profiles" endpoint=\([^ ]*\).*/\1/p' "$OUT/perch.log")
if [ -n "$PROFILE" ]; then
	(sleep "$((warm_s + 1))" && curl -s -o "$OUT/perch.cpu.pprof" "${pprof_endpoint}profile?seconds=$((dur_s > 3 ? dur_s - 2 : 1))" &&
		curl -s -o "$OUT/perch.allocs.pprof" "${pprof_endpoint}allocs") &
fi
loadgen perch-max "$pid" --setup
rate=$(jq '.requestsPerSecond / 2 | floor' "$OUT/perch-max.json")
loadgen perch-half-open-loop "$pid" --setup --rate "$rate" --concurrency $((CONNS * 4))
tracking_id=$(sed -n 's/.*tracking id \([^ ]*\).*/\1/p' "$OUT/perch-max.log" | head -1)
"$bench" --print-body --tracking-id "$tracking_id" >"$OUT/perch-body.json"
wrkrun perch-wrk "$pid" "$OUT/perch-body.json"
loadgen perch-unsigned "$pid" --setup --sign=false
loadgen perch-overload "$pid" --setup --rate $((rate * 4)) --concurrency $((CONNS * 16)) --timeout 5s
rss=$(awk '/VmHWM/ {print $2 / 1024 " MB"}' "/proc/$pid/status")
stop "$pid"
echo "perch peak RSS (VmHWM): $rss" | tee -a "$OUT/machine.txt"

echo "== the floors at perch's half rate"
start noop-half "noop ready" "$noop" --addr 127.0.0.1:0
loadgen noop-half-open-loop "$pid" --tracking-id any --rate "$rate" --concurrency $((CONNS * 4))
stop "$pid"
mkdir -p "$OUT/noop-log"
start noop-durable "noop ready" "$noop" --addr 127.0.0.1:0 --log "$OUT/noop-log"
loadgen noop-durable-max "$pid" --tracking-id any
loadgen noop-durable-half-open-loop "$pid" --tracking-id any --rate "$rate" --concurrency $((CONNS * 4))
stop "$pid"
rm -rf "$OUT/noop-log"

echo "== perch --auth sigv4"
write_credentials "$OUT/credentials"
rm -rf "$OUT/data"
start perch-sigv4 "perch ready" "$perch" serve --addr 127.0.0.1:0 --data "$OUT/data" --auth sigv4 --credentials "$OUT/credentials"
loadgen perch-sigv4-max "$pid" --setup
stop "$pid"
rm -rf "$OUT/data"

echo
echo "| run | tool | calls/s | events/s | p50 ms | p99 ms | p99.9 ms | errors | ratio to noop | server CPU µs/call | client cores | load before |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
jq -r -s '
	(map(select(.name == "noop-wrk")) | .[0].rps) as $wrk |
	(map(select(.name == "noop-signed")) | .[0].rps) as $signed |
	(map(select(.name == "noop-unsigned")) | .[0].rps) as $unsigned |
	.[] |
	(if .tool == "wrk" then $wrk elif (.name | test("unsigned")) then $unsigned else $signed end) as $base |
	def n: if type == "number" then (. * 100 | round / 100) else . end;
	"| \(.name) | \(.tool) | \(.rps | round) | \(.eps | round) | \(.p50 | n) | \(.p99 | n) | \(.p999 // "" | n) | \(.errors | to_entries | map("\(.key): \(.value)") | join(", ")) | \(.rps / $base * 100 | round)% | \(.serverCpuUsPerCall | round) | \(.clientCores | n) | \(.load) |"
' "$OUT/results.jsonl" | tee "$OUT/table.md"
echo
echo "perch-overload offers twice the max: its calls wait for a free connection and that wait counts, as an"
echo "open loop's must, so its latencies run to seconds; what it shows is the errors (ThrottlingException,"
echo "ServiceUnavailable and no timeouts when load is shed) and the peak RSS above."
echo
echo "results, logs and profiles: $OUT"
