#!/usr/bin/env bash
# bench_types.sh - the benchmark runs behind the data-type and Pub/Sub figures
# of the issues, in one place so they can be repeated exactly:
#   lists, sets, hashes: redis-benchmark's own tests;
#   sorted sets: ZADD, ZPOPMIN, ZRANGE of 100 from a 10,000-member set, ZRANK;
#   Pub/Sub: PUBLISH with 1 and with 50 subscribers.
# Each line is one scripts/bench.sh run (servers started fresh); extra
# arguments (e.g. -r 5, -P 1) are passed to every run.
#
# Usage: scripts/bench_types.sh [bench.sh options]
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-types.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

# A 10,000-member sorted set zbig (members m:0..m:9999, scores 0..9999).
awk 'BEGIN { printf "ZADD zbig"; for (i = 0; i < 10000; i++) printf " %d m:%d", i, i; print "" }' >"$tmp/zbig.txt"

"$here/bench.sh" -t lpush,rpush,lpop,rpop,sadd,spop,hset,lrange_100,lrange_600 "$@"
"$here/bench.sh" -t zadd,zpopmin --prepare "$tmp/zbig.txt" \
    --custom "zrange100:ZRANGE zbig 0 99" --custom "zrank:ZRANK zbig m:5000" "$@"
"$here/bench.sh" --subscribers news:1 --custom "publish1:PUBLISH news hello" "$@"
"$here/bench.sh" --subscribers news:50 --custom "publish50:PUBLISH news hello" "$@"
