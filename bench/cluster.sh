#!/usr/bin/env bash
# bench/cluster.sh measures perch on PostgreSQL against the database's own
# ceiling, with one and several perch nodes, in one run so that the
# ratios are taken side by side on a shared machine. Each of ROUNDS rounds
# runs, in turn, for each N of NODES (default 1 2 3):
#   ceiling-N  bench/pgceiling --stores N: the postgres package's
#              Store.Commit driven straight by CONNS committers of one
#              call's events each, from one process, dealt to N stores
#              (N writers, as N nodes have): the database's own rate,
#              without HTTP or perch
#   pg-N       N perch serve --store nodes on one database, loaded
#              together by one perch-bench over CONNS connections dealt
#              round-robin (--endpoint URL,URL,...)
# then
#   pebble     perch serve --data, the embedded store, for reference
# each closed loop, 10 events a call, DURATION after WARMUP, every
# PostgreSQL run on a fresh database, after a CHECKPOINT. For each run it
# records calls/s, events/s, p50/p99 and errors, and over the measured
# part the CPU of the PostgreSQL server (the postmaster and every
# backend) and of its busiest process (a writer's backend), of the perch
# nodes and of the generator (perch-bench, or pgceiling, whose own process
# holds the stores' writers), read from /proc,
# and the WAL's fsyncs and their time (pg_stat_wal). It prints each run
# with its ratios to its round's ceiling-1 (one node's ceiling, the
# target's) and ceiling-N, then the medians.
#
#   bench/cluster.sh                     # its own PostgreSQL cluster, 3 rounds: about 10 minutes
#   ROUNDS=5 NODES="1 3" bench/cluster.sh
#   PGURL=postgres://USER@HOST:PORT/postgres?sslmode=disable bench/cluster.sh
#
# Without PGURL it starts a private cluster in OUT (initdb, as the user
# postgres or nobody when run as root; fsync, synchronous_commit and
# track_wal_io_timing on, the rest PostgreSQL's defaults) and runs
# pgceiling for PRIME (10s) first, untimed, so that the first round does
# not pay for creating WAL segments the later ones recycle. PGURL names a
# server of yours instead: its user must create databases, and the
# database's CPU is read only when the server runs on this machine and
# this user may read its /proc entries. Needs Go, jq and PostgreSQL's
# programs (initdb, postgres, psql). Everything listens on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-3s}
CONNS=${CONNS:-64}
ROUNDS=${ROUNDS:-3}
NODES=${NODES:-1 2 3}
PRIME=${PRIME:-10s}
OUT=${OUT:-$(mktemp -d /tmp/perch-cluster.XXXXXX)}
mkdir -p "$OUT"
warm_s=${WARMUP%s}

. bench/lib.sh # builds $perch, $bench and $noop
ceiling=$OUT/pgceiling
go build -o "$ceiling" ./bench/pgceiling

pg_bin=$(dirname "$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
pgpid="" # the postmaster, when it runs on this machine

# stop_cluster stops the perch nodes, then their database, before
# cleanup waits for every child, the postmaster included.
stop_cluster() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	if [ -n "${own_cluster:-}" ] && [ -n "$pgpid" ]; then
		kill -INT "$pgpid" 2>/dev/null || true # fast shutdown
	fi
	cleanup
}
trap stop_cluster EXIT

if [ -n "${PGURL:-}" ]; then
	admin=$PGURL
else
	own_cluster=1
	pgdir=$OUT/pg
	rm -rf "$pgdir" && mkdir -p "$pgdir"
	as=()
	if [ "$(id -u)" = 0 ]; then
		# initdb refuses root.
		user=$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)
		chown "$user" "$pgdir"
		chmod o+x "$OUT"
		as=(setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups)
	fi
	"${as[@]}" "$pg_bin/initdb" -D "$pgdir/data" -U postgres --auth=trust --encoding=UTF8 --no-instructions >"$OUT/initdb.log"
	# A port nothing answers on.
	port=$((20000 + RANDOM % 30000))
	while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((20000 + RANDOM % 30000)); done
	# setpriv execs postgres itself, so $! is the postmaster.
	"${as[@]}" "$pg_bin/postgres" -D "$pgdir/data" -p "$port" -c listen_addresses=127.0.0.1 \
		-c unix_socket_directories="$pgdir" -c max_connections=300 -c fsync=on -c synchronous_commit=on \
		-c track_wal_io_timing=on >"$OUT/postgres.log" 2>&1 &
	pgpid=$!
	admin="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	for _ in $(seq 100); do
		psql "$admin" -Atqc 'select 1' >/dev/null 2>&1 && break
		sleep 0.1
	done
fi
sql() { psql "$admin" -Atqc "$1"; }
sql 'select 1' >/dev/null || { echo "cannot connect to $admin" >&2; exit 1; }
if [ -z "$pgpid" ]; then
	# A backend's parent is the postmaster, if the server is this machine's.
	backend=$(sql 'select pg_backend_pid()')
	pgpid=$(awk '{print $4}' "/proc/$backend/stat" 2>/dev/null || true)
	[ -r "/proc/$pgpid/stat" ] || pgpid=""
fi
has_wal_stats=$(sql "select count(*) from pg_catalog.pg_views where viewname = 'pg_stat_wal'")
wal_timing=$(sql 'show track_wal_io_timing')

# db_url NAME: the URL of database NAME on the server.
db_url() { echo "$admin" | sed -E "s#/[^/?]*(\?|\$)#/$1\1#"; }

# pg_cpu: CPU ticks of the PostgreSQL server: the postmaster, the children
# it reaped (cutime, cstime) and those alive; a backend that ends moves
# from the last to the second, so the sum counts each once.
pg_cpu() {
	[ -n "$pgpid" ] || { echo 0; return; }
	local total
	total=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pgpid/stat")
	for child in $(cat "/proc/$pgpid/task/$pgpid/children" 2>/dev/null); do
		total=$((total + $(awk '{print $14 + $15}' "/proc/$child/stat" 2>/dev/null || echo 0)))
	done
	echo "$total"
}

# cpu_of PIDS...: the processes' CPU ticks together.
cpu_of() {
	local total=0
	for p in "$@"; do total=$((total + $(cpu "$p"))); done
	echo "$total"
}

# reaped: CPU ticks of this shell's children that it has waited for; a
# generator's total is the change across its wait, since /proc has none
# of it once it has exited.
reaped() { awk '{print $16 + $17}' "/proc/$$/stat"; }

# backends: "PID TICKS" of each of the postmaster's children alive.
backends() {
	[ -n "$pgpid" ] || return 0
	for child in $(cat "/proc/$pgpid/task/$pgpid/children" 2>/dev/null); do
		awk -v p="$child" '{print p, $14 + $15}' "/proc/$child/stat" 2>/dev/null || true
	done
}

# busiest BEFORE AFTER: the most ticks one process, alive at both, used
# in between: the writer's backend, whose single thread bounds a node.
busiest() {
	awk 'NR == FNR {t0[$1] = $2; next} ($1 in t0) && $2 - t0[$1] > max {max = $2 - t0[$1]} END {print max + 0}' \
		<(echo "$1") <(echo "$2")
}

wal() {
	if [ "$has_wal_stats" = 1 ]; then
		sql "select json_build_object('syncs', wal_sync, 'syncMs', wal_sync_time, 'writes', wal_write, 'bytes', wal_bytes, 'fpi', wal_fpi) from pg_stat_wal"
	else
		echo '{}'
	fi
}

# measure NAME KIND NODES 'PERCH-PIDS' READY END COMMAND...: runs the
# generator COMMAND and records its report with what the processes used
# over the measured part: from the end of its warmup, WARMUP after it
# logs READY (its setup done), to its exit or, if END is set, to when it
# logs END (pgceiling --hold: its report is written and its connections,
# with their backends, still open) and then stops it.
measure() {
	local name=$1 kind=$2 nodes=$3 perch_pids=$4 ready=$5 end=$6
	shift 6
	local l0 r0 t0 t1 db0 db1 p0 p1 g0 g1 r1 w0 w1 b0 b1 gen_ticks
	l0=$(load)
	: >"$OUT/$name.log"
	"$@" >"$OUT/$name.json" 2>>"$OUT/$name.log" &
	local gen=$!
	until grep -q "$ready" "$OUT/$name.log"; do
		kill -0 "$gen" 2>/dev/null || { echo "$name ended before its run:" >&2; cat "$OUT/$name.log" >&2; exit 1; }
		sleep 0.02
	done
	sleep "$warm_s"
	t0=$(date +%s.%N)
	db0=$(pg_cpu)
	b0=$(backends)
	p0=$(cpu_of $perch_pids)
	g0=$(cpu "$gen")
	w0=$(wal)
	if [ -n "$end" ]; then
		until grep -q "$end" "$OUT/$name.log"; do
			kill -0 "$gen" 2>/dev/null || { echo "$name ended before its end:" >&2; cat "$OUT/$name.log" >&2; exit 1; }
			sleep 0.02
		done
		g1=$(cpu "$gen")
		t1=$(date +%s.%N)
		gen_ticks=$((g1 - g0))
	else
		r0=$(reaped)
		wait "$gen"
		r1=$(reaped)
		t1=$(date +%s.%N)
		gen_ticks=$((r1 - r0 - g0))
	fi
	db1=$(pg_cpu)
	b1=$(backends)
	p1=$(cpu_of $perch_pids)
	w1=$(wal)
	if [ -n "$end" ]; then
		kill "$gen"
		wait "$gen" || true
	fi
	record "$name" "$kind" "$(jq -c --arg load "$l0" --arg nodes "$nodes" --argjson hz "$(getconf CLK_TCK)" \
		--argjson wall "$(echo "$t1 - $t0" | bc)" --argjson db "$((db1 - db0))" --argjson perch "$((p1 - p0))" \
		--argjson gen "$gen_ticks" --argjson busiest "$(busiest "$b0" "$b1")" --argjson w0 "$w0" --argjson w1 "$w1" '{
		nodes: ($nodes | tonumber), rps: .requestsPerSecond, eps: .eventsPerSecond, ok: .ok, requests: .requests,
		errors: .errors, p50: .latencyMs.p50, p99: .latencyMs.p99, load: $load, wall: $wall,
		dbCores: ($db / $hz / $wall), perchCores: ($perch / $hz / $wall), genCores: ($gen / $hz / $wall),
		busiestBackendCores: ($busiest / $hz / $wall),
		callsPerGroup: .batchesPerGroup,
		walSyncs: (if $w0.syncs then $w1.syncs - $w0.syncs else null end),
		walSyncMs: (if $w0.syncMs then $w1.syncMs - $w0.syncMs else null end),
		walBytes: (if $w0.bytes then ($w1.bytes | tonumber) - ($w0.bytes | tonumber) else null end)}' "$OUT/$name.json")"
}

# fresh_db NAME: creates database NAME anew, then checkpoints, so that no
# run starts with another's dirty pages to write.
fresh_db() {
	sql "drop database if exists $1 with (force)"
	sql "create database $1"
	sql 'checkpoint'
}

bench_args=(--duration "$DURATION" --warmup "$WARMUP" --concurrency "$CONNS" --batch 10 --json ${BENCH_ARGS:-})
ceiling_args=(--duration "$DURATION" --warmup "$WARMUP" --committers "$CONNS" --json)

echo "PostgreSQL $(sql 'show server_version') at $(echo "$admin" | sed -E 's#//[^@]*@#//#'); server CPU $([ -n "$pgpid" ] && echo "from /proc/$pgpid" || echo unknown);" \
	"WAL stats $([ "$has_wal_stats" = 1 ] && echo "on, timing $wal_timing" || echo none)"
echo "runs: $DURATION after $WARMUP of warmup, $CONNS connections, 10 events a call, nodes: $NODES, $ROUNDS rounds; load average before: $(load)"
: >"$OUT/results.jsonl"

if [ -n "${own_cluster:-}" ] && [ "$PRIME" != 0 ] && [ "$PRIME" != 0s ]; then
	fresh_db perch_prime
	"$ceiling" --store "$(db_url perch_prime)" --duration "$PRIME" --warmup 0s --committers "$CONNS" >"$OUT/prime.out" 2>&1
	sql 'drop database perch_prime with (force)'
fi

for round in $(seq "$ROUNDS"); do
	for n in $NODES; do
		fresh_db perch_ceiling
		measure "ceiling-$n-$round" ceiling "$n" "" committing "pgceiling: measured" \
			"$ceiling" --store "$(db_url perch_ceiling)" --stores "$n" --hold "${ceiling_args[@]}"
		sql 'drop database perch_ceiling with (force)'

		fresh_db "perch_pg$n"
		eps=() ps=()
		for i in $(seq "$n"); do
			start "pg-$n-$round-node$i" "perch ready" "$perch" serve --addr 127.0.0.1:0 --store "$(db_url "perch_pg$n")"
			eps+=("$endpoint") ps+=("$pid")
		done
		measure "pg-$n-$round" pg "$n" "${ps[*]}" "tracking id" "" "$bench" --endpoint "$(IFS=,; echo "${eps[*]}")" --setup "${bench_args[@]}"
		for p in "${ps[@]}"; do stop "$p"; done
		sql "drop database perch_pg$n with (force)"
	done

	rm -rf "$OUT/data-pebble"
	start "pebble-$round" "perch ready" "$perch" serve --addr 127.0.0.1:0 --data "$OUT/data-pebble"
	measure "pebble-$round" pebble 1 "$pid" "tracking id" "" "$bench" --endpoint "$endpoint" --setup "${bench_args[@]}"
	stop "$pid"
	rm -rf "$OUT/data-pebble"
done

echo
echo "| run | calls/s | events/s | p50 ms | p99 ms | errors | of ceiling-1 | of ceiling-N | database cores | busiest backend | perch cores | generator cores | WAL fsyncs/s | ms/fsync | calls/fsync | load before |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
# $ceil["N-ROUND"]: the calls/s of ceiling-N in round ROUND.
ceilings='(map(select(.tool == "ceiling")) | map({key: "\(.nodes)-\(.name | split("-") | last)", value: .rps}) | from_entries) as $ceil |
	def round_of: .name | split("-") | last;
	def of_ceiling($n): if .tool == "ceiling" and $n == .nodes then null else $ceil["\($n)-\(round_of)"] as $c | if $c then .rps / $c * 100 else null end end;
	def pct: if . then "\(round)%" else "" end;'
jq -r -s "$ceilings"'
	def n: if type == "number" then (. * 100 | round / 100) else "" end;
	def db: .tool != "pebble";
	.[] |
	"| \(.name) | \(.rps | round) | \(.eps | round) | \(.p50 | n) | \(.p99 | n) | \(.errors // {} | to_entries | map("\(.key): \(.value)") | join(", ")) | " +
	"\(of_ceiling(1) | pct) | \(if .tool == "pg" then of_ceiling(.nodes) | pct else "" end) | \(.dbCores | n) | \(if db then .busiestBackendCores | n else "" end) | " +
	"\(.perchCores | n) | \(.genCores | n) | " +
	"\(if db and .walSyncs then (.walSyncs / .wall | round) else "" end) | \(if db and .walSyncs and .walSyncs > 0 then (.walSyncMs / .walSyncs | n) else "" end) | " +
	"\(if db and .walSyncs and .walSyncs > 0 then (.rps * .wall / .walSyncs | n) else "" end) | \(.load) |"
' "$OUT/results.jsonl" | tee "$OUT/table.md"
echo
echo "medians over the rounds (ratios to each round's ceilings; cores over the measured part):"
jq -r -s "$ceilings"'
	def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def r: . * 100 | round / 100;
	map(. + {variant: (.name | sub("-[0-9]+$"; "")), of1: of_ceiling(1), ofN: (if .tool == "pg" then of_ceiling(.nodes) else null end)}) |
	group_by(.variant) | sort_by(.[0].tool == "pebble", .[0].nodes, .[0].tool != "ceiling")[] |
	"\(.[0].variant): \(map(.rps) | median | round) calls/s, \(map(.eps) | median | round) events/s" +
	"\(if .[0].of1 then ", \(map(.of1) | median | round)% of ceiling-1" else "" end)" +
	"\(if .[0].ofN and .[0].nodes > 1 then ", \(map(.ofN) | median | round)% of ceiling-\(.[0].nodes)" else "" end)" +
	", p99 \(map(.p99) | median | r) ms; database \(map(.dbCores) | median | r) (busiest backend \(map(.busiestBackendCores) | median | r)), perch \(map(.perchCores) | median | r), generator \(map(.genCores) | median | r) cores" +
	"\(if .[0].tool != "pebble" and .[0].walSyncs then ", \(map(.walSyncs / .wall) | median | round) WAL fsyncs/s of \(map(.walSyncMs / .walSyncs) | median | r) ms" else "" end)"
' "$OUT/results.jsonl" | tee -a "$OUT/table.md"
echo "results and logs: $OUT"
