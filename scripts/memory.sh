#!/usr/bin/env bash
# memory.sh - memory footprint of ferrodis vs real redis-server for the same
# dataset.
#
# What it measures
#   For each dataset (-d, default "populate"), both servers are started fresh
#   (127.0.0.1, free ports, --save '' --appendonly no
#   --enable-debug-command local), their RSS is read right after start
#   (baseline), the dataset is loaded into ferrodis and then into redis, we
#   wait until RSS stops changing (bounded), and then read for each server:
#     - RSS: VmRSS from /proc/<pid>/status
#     - used_memory from INFO memory (the allocator's view; "-" if absent)
#     - DBSIZE
#   and the servers are stopped. Datasets:
#     populate      DEBUG POPULATE N       (keys key:0..N-1, values value:0..)
#     strings-pipe  N x SET key:i value:i  streamed through redis-cli --pipe
#     hashes        N hashes of 10 short fields (listpack encoding)
#     intsets       N/10 sets of 100 integers (intset encoding)
#     zsets         N/1000 sorted sets of 1,000 members (skiplist encoding)
#     bigzset       one sorted set of N members
#   New datasets are one function each (see "datasets" below).
#
# How to read the output (stdout; progress goes to stderr)
#   dataset  server  dbsize  base_rss_MB  rss_MB  delta_MB  used_memory_MB  bytes/key  load_s
#   one row per server, then a "ratio" row = ferrodis / redis for each column
#   (< 1: ferrodis uses less). MB are MiB (2^20 bytes). delta = rss - base
#   (the memory the dataset cost); bytes/key = delta / dbsize. load_s is the
#   wall time of the load (DEBUG POPULATE or the pipe) for that server.
#   Lines starting with '#' are comments; the last ones give date, `uname -m`,
#   cores and versions.
#
# Usage: scripts/memory.sh [-n KEYS] [-d dataset[,dataset]] [--csv FILE]   (see --help)
# Env:   FERRODIS_BIN (default target/release/ferrodis, built if missing),
#        REDIS_BIN (default redis-server). FERRODIS_BIN=redis-server makes a
#        redis-vs-redis run (ratios should be ~1.0).
set -euo pipefail
SCRIPT_START=$SECONDS

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'EOF'
Usage: scripts/memory.sh [options]

Loads the same dataset into fresh ferrodis and redis-server instances and
compares RSS (baseline after start, after load, delta), INFO used_memory and
DBSIZE; prints one row per server and a ferrodis/redis ratio row per dataset.

Options:
  -n KEYS            number of keys (default 1000000)
  -d DATASET[,...]   datasets to measure, each on freshly started servers
                     (default populate). Available:
                       populate      DEBUG POPULATE KEYS
                       strings-pipe  KEYS x SET key:i value:i via redis-cli --pipe
                       hashes        KEYS hashes of 10 short fields (HSET)
                       intsets       KEYS/10 sets of 100 integers (SADD)
                       zsets         KEYS/1000 sorted sets of 1,000 members (ZADD)
                       bigzset       one sorted set of KEYS members (ZADD)
  --settle SEC       max seconds to wait for RSS to stop changing (default 10)
  --timeout SEC      limit for loading one dataset into one server (default 600)
  --csv FILE         also write the rows to FILE as CSV
  -h, --help         this help

Environment:
  FERRODIS_BIN       ferrodis binary (default target/release/ferrodis; built with
                     cargo build --release if missing); FERRODIS_BIN=redis-server
                     compares redis with itself
  REDIS_BIN          reference server (default redis-server)

Examples:
  scripts/memory.sh
  scripts/memory.sh -n 100000 -d populate,strings-pipe --csv /tmp/mem.csv
EOF
}

NKEYS=1000000
DATASETS="populate"
SETTLE=10
LOAD_TIMEOUT=600
CSV_OUT=""

while (($# > 0)); do
    case "$1" in
        -n) NKEYS=${2:?-n needs a value}; shift 2 ;;
        -d) DATASETS=${2:?-d needs a value}; shift 2 ;;
        --settle) SETTLE=${2:?--settle needs a value}; shift 2 ;;
        --timeout) LOAD_TIMEOUT=${2:?--timeout needs a value}; shift 2 ;;
        --csv) CSV_OUT=${2:?--csv needs a value}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done

if ! [[ "$NKEYS" =~ ^[0-9]+$ ]] || ((NKEYS == 0)); then die "-n must be a positive integer"; fi
[[ "$SETTLE" =~ ^[0-9]+$ ]] || die "--settle must be a non-negative integer"
if ! [[ "$LOAD_TIMEOUT" =~ ^[0-9]+$ ]] || ((LOAD_TIMEOUT == 0)); then die "--timeout must be a positive integer"; fi

# ---- datasets -----------------------------------------------------------------------
# A dataset NAME is a function dataset_NAME (with '-' written as '_') taking
# PORT and KEYS, loading the data into the server on PORT, bounded by
# LOAD_TIMEOUT. Data-generating datasets write RESP to stdout from an awk
# generator (using the AWK_RESP helpers: resp3, respv, ...) and feed it to
# pipe_load, which streams it through `redis-cli --pipe` and fails on errors.
#
# To add one: a gen_NAME awk generator and a dataset_NAME that pipe_loads it
# (see gen_hashes / dataset_hashes below), and a line in --help.

dataset_populate() {
    local port=$1 n=$2 out
    out=$(RCLI_TIMEOUT=$LOAD_TIMEOUT rcli "$port" DEBUG POPULATE "$n" 2>&1) \
        || die "DEBUG POPULATE failed on port $port: $out"
    [[ "$out" == "OK" ]] || die "DEBUG POPULATE on port $port replied: $out (needs --enable-debug-command local)"
}

# gen_strings N: RESP for SET key:i value:i, i = 0..N-1 (what DEBUG POPULATE
# creates, but through the normal command path).
gen_strings() {
    LC_ALL=C awk -v n="$1" "$AWK_RESP"'
    BEGIN { for (i = 0; i < n; i++) resp3("SET", sprintf("key:%d", i), sprintf("value:%d", i)) }'
}

dataset_strings_pipe() {
    local replies
    replies=$(pipe_load "$1" "$LOAD_TIMEOUT" gen_strings "$2")
    ((replies == $2)) || die "strings-pipe: expected $2 replies, got $replies"
}

# gen_hashes N: RESP for N hashes hash:i of 10 short fields (f0..f9 with
# values v<f>:<i>): the small-hash (listpack) case.
gen_hashes() {
    LC_ALL=C awk -v n="$1" "$AWK_RESP"'
    BEGIN { for (i = 0; i < n; i++) {
        a[1] = "HSET"; a[2] = sprintf("hash:%d", i); k = 2
        for (f = 0; f < 10; f++) { a[++k] = "f" f; a[++k] = sprintf("v%d:%d", f, i) }
        respv(k, a) } }'
}

dataset_hashes() {
    local replies
    replies=$(pipe_load "$1" "$LOAD_TIMEOUT" gen_hashes "$2")
    ((replies == $2)) || die "hashes: expected $2 replies, got $replies"
}

# gen_intsets N: RESP for N/10 sets set:i of 100 integers (i*100 .. i*100+99):
# the small-integer-set (intset) case; -n 1000000 gives 100k sets.
gen_intsets() {
    LC_ALL=C awk -v n="$1" "$AWK_RESP"'
    BEGIN { for (i = 0; i < n / 10; i++) {
        a[1] = "SADD"; a[2] = sprintf("set:%d", i); k = 2
        for (m = 0; m < 100; m++) a[++k] = sprintf("%d", i * 100 + m)
        respv(k, a) } }'
}

dataset_intsets() {
    local replies want=$(($2 / 10))
    replies=$(pipe_load "$1" "$LOAD_TIMEOUT" gen_intsets "$2")
    ((replies == want)) || die "intsets: expected $want replies, got $replies"
}

# gen_zsets N: RESP for N/1000 sorted sets zset:i of 1,000 members
# (m:<j>, score j*1.5), sent as ZADDs of 100 pairs: -n 100000000 gives the
# 100k x 1,000 case.
gen_zsets() {
    LC_ALL=C awk -v n="$1" "$AWK_RESP"'
    BEGIN { for (i = 0; i < n / 1000; i++) for (c = 0; c < 10; c++) {
        a[1] = "ZADD"; a[2] = sprintf("zset:%d", i); k = 2
        for (j = c * 100; j < c * 100 + 100; j++) { a[++k] = sprintf("%.1f", j * 1.5); a[++k] = sprintf("m:%d", j) }
        respv(k, a) } }'
}

dataset_zsets() {
    local replies want=$(($2 / 100))
    replies=$(pipe_load "$1" "$LOAD_TIMEOUT" gen_zsets "$2")
    ((replies == want)) || die "zsets: expected $want replies, got $replies"
}

# gen_bigzset N: RESP for one sorted set bigzset of N members (member:<i>,
# score i), as ZADDs of 1,000 pairs.
gen_bigzset() {
    LC_ALL=C awk -v n="$1" "$AWK_RESP"'
    BEGIN { for (i = 0; i < n; i += 1000) {
        a[1] = "ZADD"; a[2] = "bigzset"; k = 2
        for (j = i; j < i + 1000 && j < n; j++) { a[++k] = sprintf("%d", j); a[++k] = sprintf("member:%d", j) }
        respv(k, a) } }'
}

dataset_bigzset() {
    local replies want=$((($2 + 999) / 1000))
    replies=$(pipe_load "$1" "$LOAD_TIMEOUT" gen_bigzset "$2")
    ((replies == want)) || die "bigzset: expected $want replies, got $replies"
}

IFS=',' read -r -a DSLIST <<<"$DATASETS"
((${#DSLIST[@]} > 0)) || die "-d needs at least one dataset"
for ds in "${DSLIST[@]}"; do
    declare -F "dataset_${ds//-/_}" >/dev/null \
        || die "unknown dataset: $ds (available: $(declare -F | awk '$3 ~ /^dataset_/ { sub(/^dataset_/, "", $3); gsub(/_/, "-", $3); printf "%s ", $3 }'))"
done

# ---- measurement helpers ---------------------------------------------------------------
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
now_ns() { date +%s%N; }

# wait_rss_stable PID...: poll every 0.5 s until no pid's RSS changed by more
# than 0.5% over two consecutive samples, at most SETTLE seconds.
wait_rss_stable() {
    local -a prev=() cur=()
    local i j stable=0 pid
    for ((i = 0; i < SETTLE * 2; i++)); do
        cur=()
        for pid in "$@"; do cur+=("$(rss_kb "$pid")"); done
        if ((${#prev[@]} > 0)); then
            local same=1
            for ((j = 0; j < ${#cur[@]}; j++)); do
                if ! awk -v a="${cur[j]}" -v b="${prev[j]}" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.005 * b) }'; then
                    same=0
                fi
            done
            if ((same)); then stable=$((stable + 1)); else stable=0; fi
            ((stable >= 2)) && return 0
        fi
        prev=("${cur[@]}")
        sleep 0.5
    done
    log "# note: RSS still changing after ${SETTLE}s; measuring anyway"
}

# ---- main -------------------------------------------------------------------------------
resolve_bins
make_work_dir
install_traps

FMT='%-14s %-9s %9s %12s %9s %9s %15s %10s %7s\n'
CSV_ROWS=("dataset,server,dbsize,base_rss_mb,rss_mb,delta_mb,used_memory_mb,bytes_per_key,load_s")
printf '# ferrodis vs redis-server memory | keys %s | datasets %s\n' "$NKEYS" "${DSLIST[*]}"
# shellcheck disable=SC2059
printf "$FMT" dataset server dbsize base_rss_MB rss_MB delta_MB used_memory_MB bytes/key load_s

declare -A PID PORT BASE RSS USED DBSIZE LOADS
for ds in "${DSLIST[@]}"; do
    for srv in ferrodis redis; do
        if [[ "$srv" == ferrodis ]]; then bin=$FERRODIS_BIN; else bin=$REDIS_BIN; fi
        log "# [$ds] starting $srv: $bin"
        start_server "$srv-$ds" "$bin" "" --enable-debug-command local
        PID[$srv]=$SERVER_PID; PORT[$srv]=$SERVER_PORT
    done
    sleep 0.5
    for srv in ferrodis redis; do BASE[$srv]=$(rss_kb "${PID[$srv]}"); done

    for srv in ferrodis redis; do
        log "# [$ds] loading $NKEYS keys into $srv (port ${PORT[$srv]})"
        t0=$(now_ns)
        "dataset_${ds//-/_}" "${PORT[$srv]}" "$NKEYS"
        t1=$(now_ns)
        LOADS[$srv]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
        kill -0 "${PID[$srv]}" 2>/dev/null || die "$srv died while loading $ds"
    done
    wait_rss_stable "${PID[ferrodis]}" "${PID[redis]}"

    for srv in ferrodis redis; do
        RSS[$srv]=$(rss_kb "${PID[$srv]}")
        used=$(info_field "${PORT[$srv]}" memory used_memory)
        USED[$srv]=${used:-}
        DBSIZE[$srv]=$(rcli "${PORT[$srv]}" DBSIZE | tr -d '\r')
        [[ "${DBSIZE[$srv]}" =~ ^[0-9]+$ ]] || die "$srv: bad DBSIZE reply: ${DBSIZE[$srv]}"
    done

    for srv in ferrodis redis; do
        delta=$((RSS[$srv] - BASE[$srv]))
        if [[ -n "${USED[$srv]}" ]]; then
            used_mb=$(awk -v b="${USED[$srv]}" 'BEGIN { printf "%.1f", b / 1048576 }')
        else
            used_mb="-"
        fi
        if ((DBSIZE[$srv] > 0)); then
            bpk=$(awk -v d="$delta" -v n="${DBSIZE[$srv]}" 'BEGIN { printf "%.1f", d * 1024 / n }')
        else
            bpk="-"
        fi
        row=("$ds" "$srv" "${DBSIZE[$srv]}" "$(mb "${BASE[$srv]}")" "$(mb "${RSS[$srv]}")"
             "$(mb "$delta")" "$used_mb" "$bpk" "${LOADS[$srv]}")
        # shellcheck disable=SC2059
        printf "$FMT" "${row[@]}"
        CSV_ROWS+=("$(IFS=','; printf '%s' "${row[*]}")")
    done
    fd=$((RSS[ferrodis] - BASE[ferrodis])); rd=$((RSS[redis] - BASE[redis]))
    if [[ -n "${USED[ferrodis]}" && -n "${USED[redis]}" ]]; then
        used_ratio=$(ratio "${USED[ferrodis]}" "${USED[redis]}")
    else
        used_ratio="-"
    fi
    bpk_ratio=$(awk -v fd="$fd" -v rd="$rd" -v fn="${DBSIZE[ferrodis]}" -v rn="${DBSIZE[redis]}" \
        'BEGIN { if (fn > 0 && rn > 0 && rd > 0) printf "%.2f", (fd / fn) / (rd / rn); else printf "n/a" }')
    row=("$ds" ratio "$(ratio "${DBSIZE[ferrodis]}" "${DBSIZE[redis]}")"
         "$(ratio "${BASE[ferrodis]}" "${BASE[redis]}")" "$(ratio "${RSS[ferrodis]}" "${RSS[redis]}")"
         "$(ratio "$fd" "$rd")" "$used_ratio" "$bpk_ratio"
         "$(ratio "${LOADS[ferrodis]}" "${LOADS[redis]}")")
    # shellcheck disable=SC2059
    printf "$FMT" "${row[@]}"
    CSV_ROWS+=("$(IFS=','; printf '%s' "${row[*]}")")
    if [[ "${DBSIZE[ferrodis]}" != "${DBSIZE[redis]}" ]]; then
        printf '# WARNING [%s]: dbsize differs (ferrodis %s, redis %s)\n' "$ds" "${DBSIZE[ferrodis]}" "${DBSIZE[redis]}"
    fi

    stop_server "${PID[ferrodis]}"
    stop_server "${PID[redis]}"
done

env_line
printf '# elapsed: %ss\n' "$((SECONDS - SCRIPT_START))"
if [[ -n "$CSV_OUT" ]]; then
    printf '%s\n' "${CSV_ROWS[@]}" >"$CSV_OUT"
    log "# wrote $CSV_OUT"
fi
