# bench/lib.sh: what the bench/ scripts share. Sourced, not run, from the
# repository's root once $OUT exists: it builds the server, the load
# generator and the no-op baseline into $OUT (as $perch, $bench and
# $noop) and warns if $OUT is on tmpfs. Its helpers expect $DURATION,
# $WARMUP, $warm_s and $CONNS; $BENCH_ARGS (optional) adds arguments to
# every perch-bench run, such as --batch 1.

perch=$OUT/perch
bench=$OUT/perch-bench
noop=$OUT/noop
go build -o "$perch" ./cmd/perch
go build -o "$bench" ./cmd/perch-bench
go build -o "$noop" ./bench/noop

pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT

# start NAME READY-MESSAGE COMMAND ARGS...: runs COMMAND ARGS (a server:
# $perch serve ..., $noop ...) in the background and sets $endpoint and
# $pid once it logs READY-MESSAGE.
start() {
	local name=$1 ready=$2
	shift 2
	"$@" 2>"$OUT/$name.log" >"$OUT/$name.out" &
	pid=$!
	pids+=("$pid")
	for _ in $(seq 100); do
		endpoint=$(sed -n "s/.*msg=\"$ready\" endpoint=\([^ ]*\).*/\1/p" "$OUT/$name.log")
		[ -n "$endpoint" ] && return 0
		sleep 0.1
	done
	echo "$name did not start:" >&2
	cat "$OUT/$name.log" >&2
	exit 1
}

stop() {
	kill "$1"
	wait "$1" 2>/dev/null || true
}

# cpu PID: the process's user+system CPU time in clock ticks.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

load() { cut -d' ' -f1-3 /proc/loadavg; }

# warn_if_tmpfs DIR: say so when the stores would live in memory, where a
# sync costs nothing and the figures say nothing of a disk.
warn_if_tmpfs() {
	if [ "$(stat -f -c %T "$1")" = tmpfs ]; then
		echo "warning: $1 is on tmpfs: syncs cost nothing there; set OUT to a directory on the disk" >&2
	fi
}
warn_if_tmpfs "$OUT"

# record NAME TOOL JSON: one line of results.
record() { echo "$3" | jq -c --arg name "$1" --arg tool "$2" '. + {name: $name, tool: $tool}' >>"$OUT/results.jsonl"; }

# server_cpu_per_call PID TICKS0 CALLS: the server's CPU microseconds per
# call over the measured part of a run.
server_cpu_per_call() {
	local ticks=$(($(cpu "$1") - $2))
	jq -n --argjson t "$ticks" --argjson n "$3" --argjson hz "$(getconf CLK_TCK)" \
		'if $n > 0 then $t / $hz * 1e6 / $n else 0 end'
}

# loadgen NAME SERVER-PID ARGS...: perch-bench against $endpoint.
loadgen() {
	local name=$1 server=$2
	shift 2
	local l0 t0
	l0=$(load)
	"$bench" --endpoint "$endpoint" --duration "$DURATION" --warmup "$WARMUP" --concurrency "$CONNS" --json ${BENCH_ARGS:-} "$@" \
		>"$OUT/$name.json" 2>>"$OUT/$name.log" &
	local bench=$!
	sleep "$warm_s"
	t0=$(cpu "$server")
	wait "$bench"
	local per_call
	per_call=$(server_cpu_per_call "$server" "$t0" "$(jq .requests "$OUT/$name.json")")
	record "$name" "perch-bench" "$(jq -c --arg load "$l0" --argjson cpu "$per_call" '
		def bucket: "\(.above)-\(.upTo // "")";
		{
		rps: .requestsPerSecond, eps: .eventsPerSecond, ok: .ok, requests: .requests, errors: .errors,
		p50: .latencyMs.p50, p99: .latencyMs.p99, p999: .latencyMs.p999, late: .late, sentAfterP99: .sendDelayMs.p99,
		clientCores: .clientCpuCores, serverCpuUsPerCall: $cpu, load: $load,
		serverP99: (if .server then .server.p99Ms | bucket else null end),
		serverWithin10ms: .server.within10msPercent,
		storeWaitP99: (if .server.store then .server.store.waitForWriter.p99Ms | bucket else null end),
		storeCommitP99: (if .server.store then .server.store.groupCommit.p99Ms | bucket else null end)}' "$OUT/$name.json")"
}


# write_credentials FILE: the credentials file of perch serve --auth sigv4
# with the key perch-bench signs with by default.
write_credentials() {
	printf '[bench]\naws_access_key_id = perch-bench\naws_secret_access_key = perch-bench\naws_account_id = 000000000000\n' >"$1"
	chmod 600 "$1"
}
