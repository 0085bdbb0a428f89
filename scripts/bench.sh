#!/usr/bin/env bash
# bench.sh - throughput and server CPU cost of ferrodis vs real redis-server,
# measured with redis-benchmark in the same run.
#
# What it measures
#   Both servers are started once each (fresh, --save '' --appendonly no, on
#   127.0.0.1, free ports) and the key space key:000000000000..key:N-1 (the
#   keys `redis-benchmark -r N` uses, N = --keyspace, default 100000) is
#   preloaded into both so every GET hits. Then, for each round, for each test
#   and pipeline depth P, redis-benchmark runs against ferrodis and against
#   redis (the order alternates between rounds). For each run we record
#     - throughput (rps column of redis-benchmark --csv), and
#     - server CPU time per request: utime+stime of the server process (all
#       threads; fields 14+15 of /proc/<pid>/stat, clock ticks / CLK_TCK)
#       read before and after the run, divided by the number of requests.
#   The best (highest) throughput and the best (lowest) CPU per request over
#   the rounds are reported.
#   With >= 2 cores the server under test is pinned to core 0 and
#   redis-benchmark to core 1 (taskset); with 1 core nothing is pinned.
#
# How to read the output (stdout; progress goes to stderr)
#   test  P  ferrodis_rps  redis_rps  ratio  ferrodis_us/req  redis_us/req  cpu_ratio
#     ratio     = ferrodis_rps / redis_rps            (> 1: ferrodis faster)
#     us/req    = server CPU microseconds per request (lower is better)
#     cpu_ratio = ferrodis_us/req / redis_us/req      (< 1: ferrodis cheaper)
#   At high pipeline depths on a 2-core box the single-threaded
#   redis-benchmark client is often the bottleneck, so rps ratios there tend
#   towards 1.0; cpu_ratio is then the more telling number. CPU time has a
#   resolution of one clock tick (usually 10 ms), so it is only meaningful
#   for runs that take a good fraction of a second (not with --quick).
#   Lines starting with '#' are comments: settings, then (with >1 round) the
#   round-to-round spread of throughput (best/worst - 1; a noise indicator:
#   when it is large, small ratio differences mean nothing - compare with a
#   FERRODIS_BIN=redis-server run) and the paired cpu_ratio (per test and P,
#   the median over the rounds of the ratio of that round's two back-to-back
#   runs, with its min and max: less swayed by one server's lucky run than
#   the best-of figures), then a line with the date, `uname -m`, cores, CPU
#   model and versions, and the elapsed time.
#
# Usage: scripts/bench.sh [options]        (see --help)
# Env:   FERRODIS_BIN (default target/release/ferrodis, rebuilt if stale),
#        REDIS_BIN (default redis-server). FERRODIS_BIN=redis-server gives a
#        redis-vs-redis run that validates the method (ratios should be ~1.0).
set -euo pipefail
SCRIPT_START=$SECONDS

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
    cat <<'EOF'
Usage: scripts/bench.sh [options]

Runs redis-benchmark against ferrodis and real redis-server in the same run
and prints, per test and pipeline depth, best-of-N throughput and server CPU
microseconds per request for both, plus their ratios.

Options:
  -t TESTS        comma-separated redis-benchmark tests (default get,set,incr,mset;
                  any redis-benchmark test name: ping_inline, ping_mbulk, set, get,
                  incr, lpush, rpush, lpop, rpop, sadd, hset, spop, zadd, zpopmin,
                  lrange_100, lrange_300, lrange_500, lrange_600, mset; the
                  groups "ping" and "lrange" expand to their members).
                  Tests run in the order given, with the state they leave behind
                  (e.g. put lpush before lpop, sadd before spop, zadd before zpopmin).
                  If --custom is given and -t is not, only the custom commands run.
  -P DEPTHS       comma-separated pipeline depths (default 1,16)
  -n REQUESTS     requests per run at P=1 (default 200000); a run at depth P
                  uses REQUESTS*min(P,10) (so 2000000 at P=16). Tests that are
                  slow or gain little from pipelining use fewer so that each
                  run still takes a couple of seconds: mset min(P,2), zadd
                  min(P,3), lrange_100 /2*min(P,2), lrange_300 /5, lrange_500 /8,
                  lrange_600 /10 (the last three do not scale with P). Custom
                  commands use the plain rule: pass a smaller -n for slow ones.
  -c CLIENTS      parallel connections (default 50)
  -r ROUNDS       rounds, best of N is reported (default 3)
  --keyspace N    redis-benchmark -r key space, preloaded into both servers
                  (default 100000)
  --custom "NAME:COMMAND ARGS"
                  also benchmark an arbitrary command, e.g.
                  --custom "zrange100:ZRANGE zbig 0 99" (repeatable; ARGS are
                  split like a shell would, quotes allowed; __rand_int__ is
                  replaced by redis-benchmark with a random key-space number)
  --subscribers CHANNEL:N
                  before benchmarking, start N `redis-cli SUBSCRIBE CHANNEL`
                  readers (output discarded, pinned with redis-benchmark) on each
                  server, so PUBLISH has N receivers, e.g.
                  --subscribers news:50 --custom "publish50:PUBLISH news hello"
  --prepare FILE  load FILE into both servers before benchmarking (repeatable):
                  a file of redis-cli commands, one per line (fed to redis-cli on
                  stdin), or, if it ends in .resp, raw RESP fed to redis-cli --pipe
  --csv FILE      also write the result rows to FILE as CSV
  --timeout SEC   limit for each redis-benchmark run (default 300)
  --quick         fast smoke run (n=2000 at P=1, 1 round, unless -n/-r are
                  given) to prove the script works; takes a few seconds
  -h, --help      this help

Environment:
  FERRODIS_BIN    ferrodis binary (default target/release/ferrodis; built with
                  cargo build --release when stale). FERRODIS_BIN=redis-server
                  benchmarks redis against itself (ratios should be ~1.0).
  REDIS_BIN       reference server (default redis-server)

Examples:
  scripts/bench.sh
  scripts/bench.sh --quick
  scripts/bench.sh -t get,set -P 1,16 -r 3 --csv /tmp/bench.csv
  scripts/bench.sh -t lpush,lpop,sadd,spop,lrange_100 -P 1
  scripts/bench.sh --prepare zbig.txt --custom "zrange100:ZRANGE zbig 0 99" -P 1,16
EOF
}

TESTS="get,set,incr,mset"
TESTS_GIVEN=0
DEPTHS="1,16"
BASE_N=200000
CLIENTS=50
ROUNDS=3
KEYSPACE=100000
RUN_TIMEOUT=300
CSV_OUT=""
QUICK=0
N_GIVEN=0
R_GIVEN=0
CUSTOMS=()
PREPARES=()
SUBSCRIBERS=""

while (($# > 0)); do
    case "$1" in
        -t) TESTS=${2:?-t needs a value}; TESTS_GIVEN=1; shift 2 ;;
        -P) DEPTHS=${2:?-P needs a value}; shift 2 ;;
        -n) BASE_N=${2:?-n needs a value}; N_GIVEN=1; shift 2 ;;
        -c) CLIENTS=${2:?-c needs a value}; shift 2 ;;
        -r) ROUNDS=${2:?-r needs a value}; R_GIVEN=1; shift 2 ;;
        --keyspace) KEYSPACE=${2:?--keyspace needs a value}; shift 2 ;;
        --custom) CUSTOMS+=("${2:?--custom needs a value}"); shift 2 ;;
        --prepare) PREPARES+=("${2:?--prepare needs a value}"); shift 2 ;;
        --subscribers) SUBSCRIBERS=${2:?--subscribers needs CHANNEL:N}; shift 2 ;;
        --csv) CSV_OUT=${2:?--csv needs a value}; shift 2 ;;
        --timeout) RUN_TIMEOUT=${2:?--timeout needs a value}; shift 2 ;;
        --quick) QUICK=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done

if ((QUICK)); then
    ((N_GIVEN)) || BASE_N=2000
    ((R_GIVEN)) || ROUNDS=1
fi

is_uint() { [[ "$1" =~ ^[0-9]+$ ]] && (("$1" > 0)); }
is_uint "$BASE_N" || die "-n must be a positive integer"
is_uint "$CLIENTS" || die "-c must be a positive integer"
is_uint "$ROUNDS" || die "-r must be a positive integer"
is_uint "$KEYSPACE" || die "--keyspace must be a positive integer"
is_uint "$RUN_TIMEOUT" || die "--timeout must be a positive integer"
IFS=',' read -r -a PS <<<"$DEPTHS"
((${#PS[@]} > 0)) || die "-P needs at least one depth"
for p in "${PS[@]}"; do is_uint "$p" || die "bad pipeline depth: $p"; done
for f in "${PREPARES[@]}"; do [[ -r "$f" ]] || die "--prepare file not readable: $f"; done
have redis-benchmark || die "redis-benchmark not found"

# ---- test list ----------------------------------------------------------------
# Each entry: NAME|KIND|ARGS where KIND is native (redis-benchmark -t NAME),
# lrange (LRANGE mylist 0 K-1 as a command, list topped up first, so the
# implicit "LPUSH (needed to benchmark LRANGE)" run does not pollute the CPU
# numbers) or custom (ARGS is the command line).
# split_args STRING: shell-like word splitting (quotes honoured, no expansion)
# into the array SPLIT; fails on bad quoting or an empty result.
SPLIT=()
split_args() {
    SPLIT=()
    local words
    words=$(printf '%s' "$1" | xargs printf '%s\036' 2>/dev/null) || return 1
    [[ -n "$words" ]] || return 1
    IFS=$'\036' read -r -a SPLIT <<<"$words"
    ((${#SPLIT[@]} > 0))
}

SPECS=()
if ((TESTS_GIVEN)) || ((${#CUSTOMS[@]} == 0)); then
    IFS=',' read -r -a TLIST <<<"$TESTS"
    for t in "${TLIST[@]}"; do
        t=$(printf '%s' "$t" | tr '[:upper:]' '[:lower:]' | tr -d '[:space:]')
        [[ -n "$t" ]] || continue
        case "$t" in
            ping) SPECS+=("ping_inline|native|" "ping_mbulk|native|") ;;
            lrange) SPECS+=("lrange_100|lrange|99" "lrange_300|lrange|299"
                            "lrange_500|lrange|449" "lrange_600|lrange|599") ;;
            lrange_100) SPECS+=("lrange_100|lrange|99") ;;
            lrange_300) SPECS+=("lrange_300|lrange|299") ;;
            lrange_500) SPECS+=("lrange_500|lrange|449") ;;   # redis-benchmark: first 450
            lrange_600) SPECS+=("lrange_600|lrange|599") ;;
            *[!a-z0-9_]*) die "bad test name: $t" ;;
            *) SPECS+=("$t|native|") ;;
        esac
    done
fi
for c in "${CUSTOMS[@]}"; do
    cname=${c%%:*}
    cargs=${c#*:}
    [[ "$c" == *:* && "$cname" =~ ^[A-Za-z0-9_.-]+$ ]] \
        || die "--custom wants \"NAME:COMMAND ARGS\" (NAME of [A-Za-z0-9_.-]), got: $c"
    split_args "$cargs" || die "--custom $cname: cannot parse command (unbalanced quotes?): $cargs"
    SPECS+=("$cname|custom|$cargs")
done
((${#SPECS[@]} > 0)) || die "nothing to benchmark"

# Requests for one run: BASE_N * min(P, CAP) / COST. COST is how much slower
# than GET a test is at P=1; CAP is roughly how much pipelining can speed it
# up. Both only keep each run at a couple of seconds; the same counts are
# used for both servers, and they are fixed (not measured), so runs of this
# script stay comparable with each other.
requests_for() {
    local name=$1 p=$2 n cost=1 cap=10
    case "$name" in
        mset) cap=2 ;;
        zadd) cap=3 ;;
        lrange_100) cost=2 cap=2 ;;
        lrange_300) cost=5 cap=1 ;;
        lrange_500) cost=8 cap=1 ;;
        lrange_600) cost=10 cap=1 ;;
    esac
    ((p > cap)) && p=$cap
    n=$((BASE_N * p / cost))
    ((n < 100)) && n=100
    printf '%s\n' "$n"
}

# ---- setup ----------------------------------------------------------------------
resolve_bins
CORES=$(nproc_count)
CLK_TCK=$(getconf CLK_TCK)
if ((CORES >= 2)) && have taskset; then
    SERVER_CPUS=0
    BENCH_PIN=(taskset -c 1)
    PIN_DESC="server pinned to core 0, redis-benchmark to core 1"
else
    SERVER_CPUS=""
    BENCH_PIN=()
    if ((CORES < 2)); then
        PIN_DESC="NOT pinned: only $CORES core (server and client share it)"
    else
        PIN_DESC="NOT pinned: taskset not found"
    fi
fi

make_work_dir
install_traps

declare -A PID PORT
log "# starting ferrodis: $FERRODIS_BIN"
start_server ferrodis "$FERRODIS_BIN" "$SERVER_CPUS"
PID[ferrodis]=$SERVER_PID; PORT[ferrodis]=$SERVER_PORT
log "# starting redis:    $REDIS_BIN"
start_server redis "$REDIS_BIN" "$SERVER_CPUS"
PID[redis]=$SERVER_PID; PORT[redis]=$SERVER_PORT
log "# ferrodis pid ${PID[ferrodis]} port ${PORT[ferrodis]}; redis pid ${PID[redis]} port ${PORT[redis]}"

for srv in ferrodis redis; do
    port=${PORT[$srv]}
    replies=$(pipe_load "$port" 300 gen_keyspace "$KEYSPACE")
    log "# $srv: preloaded $replies keys (key:%012d, 0..$((KEYSPACE - 1)))"
    for f in "${PREPARES[@]}"; do
        if [[ "$f" == *.resp ]]; then
            replies=$(pipe_load "$port" 600 cat "$f")
            log "# $srv: --prepare $f: $replies replies (redis-cli --pipe)"
        else
            out=$(timeout 600 "$REDIS_CLI" -h 127.0.0.1 -p "$port" <"$f" 2>&1) \
                || die "$srv: --prepare $f failed: $(printf '%s' "$out" | tail -n 3)"
            nerr=$(printf '%s\n' "$out" | grep -c -E '^(\(error\) )?(ERR|WRONGTYPE|NOSCRIPT)' || true)
            ((nerr == 0)) || log "# WARNING: $srv: --prepare $f: $nerr error replies, e.g.: $(printf '%s\n' "$out" | grep -m1 -E 'ERR|WRONGTYPE|NOSCRIPT')"
            log "# $srv: --prepare $f loaded ($(wc -l <"$f") lines)"
        fi
    done
    log "# $srv: dbsize $(rcli "$port" DBSIZE)"
    if [[ -n "$SUBSCRIBERS" ]]; then
        sub_ch=${SUBSCRIBERS%:*}
        sub_n=${SUBSCRIBERS##*:}
        [[ "$sub_n" =~ ^[0-9]+$ && -n "$sub_ch" ]] || die "--subscribers wants CHANNEL:N, got: $SUBSCRIBERS"
        for ((i = 0; i < sub_n; i++)); do
            "${BENCH_PIN[@]}" "$REDIS_CLI" -h 127.0.0.1 -p "$port" SUBSCRIBE "$sub_ch" >/dev/null 2>&1 &
            STARTED_PIDS+=($!)
        done
        for ((i = 0; i < 50; i++)); do
            got=$(rcli "$port" PUBSUB NUMSUB "$sub_ch" | tail -n 1)
            [[ "$got" == "$sub_n" ]] && break
            sleep 0.1
        done
        log "# $srv: $got subscriber(s) of $sub_ch"
    fi
done

# ---- one measurement --------------------------------------------------------------
# run_one SRV SPEC P -> sets RUN_RPS and RUN_US (server CPU us/request)
RUN_RPS=0
RUN_US=0
RUN_SECS=0
run_one() {
    local srv=$1 spec=$2 p=$3
    local name kind args n port pid t0 t1 out rc=0
    IFS='|' read -r name kind args <<<"$spec"
    port=${PORT[$srv]}
    pid=${PID[$srv]}
    n=$(requests_for "$name" "$p")
    local -a bench=(redis-benchmark -h 127.0.0.1 -p "$port" -c "$CLIENTS" -n "$n"
                    -P "$p" -r "$KEYSPACE" --csv)
    case "$kind" in
        native) bench+=(-t "$name") ;;
        lrange)
            # Keep >= 600 elements in mylist (what redis-benchmark's LPUSH does).
            if (($(rcli "$port" LLEN mylist) < 600)); then
                local -a pad=()
                local i
                for ((i = 0; i < 600; i++)); do pad+=(xxx); done
                rcli "$port" LPUSH mylist "${pad[@]}" >/dev/null
            fi
            bench+=(LRANGE mylist 0 "$args")
            ;;
        custom)
            split_args "$args" || die "cannot parse custom command: $args"
            bench+=("${SPLIT[@]}")
            ;;
    esac
    local w0 w1
    t0=$(cpu_ticks "$pid")
    w0=$(date +%s%N)
    out=$(timeout "$RUN_TIMEOUT" "${BENCH_PIN[@]}" "${bench[@]}" 2>"$WORK_DIR/bench.err") || rc=$?
    w1=$(date +%s%N)
    RUN_SECS=$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    t1=$(cpu_ticks "$pid") || die "$srv died during $name P=$p; log tail: $(tail -n 5 "$WORK_DIR/$srv.log")"
    if ((rc != 0)); then
        cat "$WORK_DIR/bench.err" >&2
        die "redis-benchmark failed for $srv $name P=$p (rc=$rc; 124 = timeout)"
    fi
    kill -0 "$pid" 2>/dev/null || die "$srv died during $name P=$p"
    # CSV rows: "TEST","rps","avg",...,"max" (8 columns). The test title may
    # contain commas (custom commands), so take rps as the 7th field from the
    # end of the last data row.
    RUN_RPS=$(printf '%s\n' "$out" | awk -F',' '
        NR > 1 && NF >= 8 { v = $(NF - 6); gsub(/"/, "", v); last = v; rows++ }
        END { if (rows) print last; else print "" }')
    if [[ -z "$RUN_RPS" || ! "$RUN_RPS" =~ ^[0-9.]+$ ]]; then
        printf '%s\n' "$out" >&2
        cat "$WORK_DIR/bench.err" >&2
        die "no result from redis-benchmark for $srv $name P=$p (unknown test name?)"
    fi
    RUN_US=$(awk -v d="$((t1 - t0))" -v hz="$CLK_TCK" -v n="$n" 'BEGIN { printf "%.4f", d / hz / n * 1e6 }')
}

# ---- rounds ----------------------------------------------------------------------------
declare -A BEST_RPS BEST_US WORST_RPS
# Per (test, P): this round's CPU per request of each server, and the list of
# per-round ferrodis/redis CPU ratios (the two runs of a round are back to
# back, so a ratio compares runs under the same machine conditions).
declare -A ROUND_US PAIRED
NS_DESC=""
for p in "${PS[@]}"; do NS_DESC+=" P$p=$(requests_for get "$p")"; done

log "# tests: $(printf '%s ' "${SPECS[@]%%|*}")| depths: ${PS[*]} | clients $CLIENTS | rounds $ROUNDS | requests${NS_DESC} | $PIN_DESC"
for ((round = 1; round <= ROUNDS; round++)); do
    if ((round % 2)); then order=(ferrodis redis); else order=(redis ferrodis); fi
    for spec in "${SPECS[@]}"; do
        name=${spec%%|*}
        for p in "${PS[@]}"; do
            for srv in "${order[@]}"; do
                run_one "$srv" "$spec" "$p"
                key="$srv|$name|$p"
                log "$(printf '# round %d/%d %-12s P=%-3s %-8s %12.0f rps %9.3f us/req %6ss' \
                    "$round" "$ROUNDS" "$name" "$p" "$srv" "$RUN_RPS" "$RUN_US" "$RUN_SECS")"
                if [[ -z "${BEST_RPS[$key]:-}" ]] || awk -v a="$RUN_RPS" -v b="${BEST_RPS[$key]}" 'BEGIN { exit !(a > b) }'; then
                    BEST_RPS[$key]=$RUN_RPS
                fi
                if [[ -z "${WORST_RPS[$key]:-}" ]] || awk -v a="$RUN_RPS" -v b="${WORST_RPS[$key]}" 'BEGIN { exit !(a < b) }'; then
                    WORST_RPS[$key]=$RUN_RPS
                fi
                if [[ -z "${BEST_US[$key]:-}" ]] || awk -v a="$RUN_US" -v b="${BEST_US[$key]}" 'BEGIN { exit !(a < b) }'; then
                    BEST_US[$key]=$RUN_US
                fi
                ROUND_US[$srv]=$RUN_US
            done
            PAIRED[$name|$p]+=" $(awk -v f="${ROUND_US[ferrodis]}" -v r="${ROUND_US[redis]}" 'BEGIN { if (r > 0) printf "%.4f", f / r; else printf "nan" }')"
        done
    done
done

# ---- report ------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }

FMT='%-14s %4s %13s %13s %6s %16s %13s %9s\n'
QUICK_NOTE=""
((QUICK)) && QUICK_NOTE=" | QUICK smoke run: numbers not meaningful"
printf '# ferrodis vs redis-server | redis-benchmark -c %s -r %s | best of %s round(s) | requests%s | %s%s\n' \
    "$CLIENTS" "$KEYSPACE" "$ROUNDS" "$NS_DESC" "$PIN_DESC" "$QUICK_NOTE"
# shellcheck disable=SC2059
printf "$FMT" test P ferrodis_rps redis_rps ratio ferrodis_us/req redis_us/req cpu_ratio
CSV_ROWS=("test,P,ferrodis_rps,redis_rps,ratio,ferrodis_us_per_req,redis_us_per_req,cpu_ratio")
for spec in "${SPECS[@]}"; do
    name=${spec%%|*}
    for p in "${PS[@]}"; do
        fr=${BEST_RPS[ferrodis|$name|$p]}; rr=${BEST_RPS[redis|$name|$p]}
        fu=${BEST_US[ferrodis|$name|$p]}; ru=${BEST_US[redis|$name|$p]}
        row=("$name" "$p" "$(printf '%.0f' "$fr")" "$(printf '%.0f' "$rr")" "$(ratio "$fr" "$rr")"
             "$(printf '%.3f' "$fu")" "$(printf '%.3f' "$ru")" "$(ratio "$fu" "$ru")")
        # shellcheck disable=SC2059
        printf "$FMT" "${row[@]}"
        CSV_ROWS+=("$(IFS=','; printf '%s' "${row[*]}")")
    done
done
if ((ROUNDS > 1)); then
    # Noise indicator: spread = best/worst rps - 1 over the rounds, per row
    # and server. Large spreads mean the box was noisy: distrust small ratios.
    NOISY=""
    MAXS=0
    MAXK=""
    for key in "${!BEST_RPS[@]}"; do
        sp=$(awk -v b="${BEST_RPS[$key]}" -v w="${WORST_RPS[$key]}" 'BEGIN { printf "%.0f", (w > 0 ? b / w - 1 : 0) * 100 }')
        if ((sp > MAXS)); then MAXS=$sp; MAXK=$key; fi
        if ((sp > 10)); then NOISY+=" ${key//|/ }:${sp}%"; fi
    done
    printf '# round-to-round spread (best/worst rps - 1): max %s%%%s; over 10%%:%s\n' \
        "$MAXS" "${MAXK:+ (${MAXK//|/ })}" "${NOISY:- none}"
    # A second estimate of cpu_ratio, less sensitive to a lucky run of one
    # server: the median over the rounds of the ratio of the round's two
    # back-to-back runs (and its range).
    MEDIANS=""
    for spec in "${SPECS[@]}"; do
        name=${spec%%|*}
        for p in "${PS[@]}"; do
            MEDIANS+=" $name P$p $(printf '%s\n' ${PAIRED[$name|$p]} | sort -g | awk '
                { v[NR] = $1 }
                END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                      printf "%.2f (%.2f-%.2f);", m, v[1], v[NR] }')"
        done
    done
    printf '# paired cpu_ratio, median of rounds (min-max):%s\n' "$MEDIANS"
fi
env_line
printf '# elapsed: %ss\n' "$((SECONDS - SCRIPT_START))"

if [[ -n "$CSV_OUT" ]]; then
    printf '%s\n' "${CSV_ROWS[@]}" >"$CSV_OUT"
    log "# wrote $CSV_OUT"
fi
