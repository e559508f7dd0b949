#!/usr/bin/env bash
# bench/quality.sh measures recommendation quality: perch's
# aws-user-personalization(-v2) against its aws-popularity-count baseline
# and against Gorse (the self-hosted Go recommender), on one synthetic data
# set and AWS's holdout of it, every one trained on the same rows and
# scored by the same code (bench/quality, recipe.Holdout and recipe.Score).
# It prints a markdown table: NDCG@10, precision@10, MRR@25, coverage and
# training time of each, and the ratios of NDCG@10 and training time. It is
# run by hand, never by CI.
#
#   bench/quality.sh                       # 1M interactions: perch about a minute, Gorse 13-17 minutes on 2 cores
#   INTERACTIONS=300000 USERS=15000 ITEMS=6000 bench/quality.sh   # about 4 minutes
#   GORSE=0 bench/quality.sh               # perch only
#   SWEEP='hidden_dimension=32,128;regularization=2,12;num_iterations=5,20' bench/quality.sh
#
# Gorse is github.com/gorse-io/gorse@$GORSE_VERSION (v0.5.4; the module
# moved from github.com/zhenghaoz/gorse at v0.5), fetched through the Go
# module proxy, copied to $OUT and built there with its own go.mod (it is
# not a dependency of perch), then run as gorse-in-one on 127.0.0.1 with
# SQLite stores in $OUT; bench/quality/gorse.go says how it is configured
# and what its times measure. Needs Go and the module proxy (or a module
# cache holding Gorse). The Gorse build and the run take
# /tmp/perch-bench.lock so that no other benchmark runs alongside.
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=${USERS:-50000}
ITEMS=${ITEMS:-20000}
INTERACTIONS=${INTERACTIONS:-1000000}
SEED=${SEED:-1}
GORSE=${GORSE:-1}
GORSE_VERSION=${GORSE_VERSION:-v0.5.4}
GORSE_JOBS=${GORSE_JOBS:-$(nproc)}
SWEEP=${SWEEP:-}
LOCK=${LOCK:-/tmp/perch-bench.lock}
OUT=${OUT:-$(mktemp -d /tmp/perch-quality.XXXXXX)}
mkdir -p "$OUT"

args=(-users "$USERS" -items "$ITEMS" -interactions "$INTERACTIONS" -seed "$SEED" -sweep "$SWEEP")
if [ "$GORSE" = 1 ]; then
	gorse_bin=$OUT/gorse-in-one
	if [ ! -x "$gorse_bin" ]; then
		src=$(go mod download -json "github.com/gorse-io/gorse@$GORSE_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
		[ -n "$src" ] || { echo "gorse $GORSE_VERSION: not in the module proxy or cache" >&2; exit 1; }
		rm -rf "$OUT/gorse-src"
		cp -r "$src" "$OUT/gorse-src"
		chmod -R u+w "$OUT/gorse-src"
		echo "building gorse-in-one $GORSE_VERSION in $OUT/gorse-src" >&2
		# Gorse's go.mod has replace directives, which go install refuses.
		(cd "$OUT/gorse-src" && GOFLAGS=-mod=mod flock "$LOCK" go build -o "$gorse_bin" ./cmd/gorse-in-one)
	fi
	args+=(-gorse "$gorse_bin" -gorse-dir "$OUT/gorse" -gorse-jobs "$GORSE_JOBS")
	rm -rf "$OUT/gorse"
fi

go build -o "$OUT/quality" ./bench/quality
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores" >&2
flock "$LOCK" "$OUT/quality" "${args[@]}" | tee "$OUT/table.md"
echo "results and logs in $OUT" >&2
