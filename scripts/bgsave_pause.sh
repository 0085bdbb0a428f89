#!/usr/bin/env bash
# bgsave_pause.sh - what a BGSAVE costs the clients and the memory of ferrodis
# (fork-less versioned snapshot) and of real redis-server (fork), in one run.
#
# What it does, for each server in turn
#   The server is started fresh (--save '' --appendonly no, 127.0.0.1, a free
#   port, --enable-debug-command local), pinned to core 0 as scripts/bench.sh
#   does; redis-benchmark and the probe run on core 1 (Redis's forked child
#   inherits core 0, as ferrodis's writer thread does). Then:
#     1. DEBUG POPULATE N (keys key:0..key:N-1, values value:0..); with
#        --overwrite instead SET key:%012d xxx for 0..N-1 through
#        redis-cli --pipe (the keys redis-benchmark -r N writes, as bench.sh
#        preloads them);
#     2. redis-benchmark -t set -P 16 -r N starts writing (bounded -n, and
#        killed when the measurement ends). Its keys are key:%012d, so after
#        DEBUG POPULATE its SETs add keys (up to N more: keys_at_save says how
#        many there were); with --overwrite every SET overwrites a key, the
#        case that makes Redis copy pages and ferrodis serialize entries
#        before the walk reaches them;
#     3. a baseline: scripts/latency_probe.py PINGs every 1 ms for 1 s;
#     4. BGSAVE, with the probe running again until the save ends, while this
#        script samples every ~10 ms: the server's VmRSS (/proc/PID/status)
#        and, for Redis, the forked child's Private_Dirty
#        (/proc/CHILD/smaps_rollup: the pages copied on write, which are the
#        child's real extra memory; its RSS is mostly shared with the parent);
#     5. INFO: latest_fork_usec, rdb_last_bgsave_status.
#   Every loop is bounded (--timeout for the save, timeout(1) around every
#   tool); only the pids this script started are stopped.
#
# Output (stdout; progress on stderr): one row per server
#   max_ping_ms    longest PING round trip while the save ran (the longest
#                  stall a client saw); baseline_ms: the same over 1 s before
#                  BGSAVE under the same write load
#   p99_ms         99th percentile round trip while the save ran
#   fork_usec      INFO stats latest_fork_usec (ferrodis: whatever it reports
#                  for starting its snapshot)
#   keys_at_save   DBSIZE just before BGSAVE
#   save_ms        BGSAVE sent -> INFO rdb_bgsave_in_progress:0 (10 ms steps)
#   rss0_mb        server VmRSS just before BGSAVE (under the write load)
#   rss_growth_mb  peak server VmRSS during the save minus rss0
#   child_mb       peak Private_Dirty of the forked child (Redis only)
#   total_mb       rss_growth_mb + child_mb: the extra memory the save needed
#
# Usage: scripts/bgsave_pause.sh [-n KEYS] [--10m] [--overwrite]
#        [--only ferrodis|redis] [--bench-n REQUESTS] [--timeout SEC] [--no-bench]
# Env:   FERRODIS_BIN (default target/release/ferrodis, rebuilt if stale, as
#        bench.sh), REDIS_BIN (default redis-server).
set -euo pipefail
SCRIPT_START=$SECONDS

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
PROBE="$REPO_ROOT/scripts/latency_probe.py"

usage() {
    cat <<'EOF'
Usage: scripts/bgsave_pause.sh [options]

Loads N keys into ferrodis and redis-server, runs BGSAVE under a
redis-benchmark SET load, and reports per server the longest PING stall
during the save, latest_fork_usec, the save duration and the extra memory
(server RSS growth, plus the forked child's dirty pages for Redis).

Options:
  -n KEYS         keys to load with DEBUG POPULATE (default 1000000)
  --10m           shorthand for -n 10000000
  --overwrite     preload key:%012d (redis-benchmark's keys) instead of
                  DEBUG POPULATE, so the write load overwrites existing keys
  --only SERVER   measure only ferrodis or only redis
  --bench-n N     redis-benchmark requests (default 50000000; it is killed
                  when the save ends, so this only bounds it)
  --no-bench      no write load during the save
  --timeout SEC   longest a save may take (default 600)
  -h, --help      this help

Environment:
  FERRODIS_BIN    ferrodis binary (default target/release/ferrodis, built with
                  cargo build --release when stale)
  REDIS_BIN       reference server (default redis-server)
EOF
}

KEYS=1000000
ONLY=""
BENCH_N=50000000
BENCH=1
SAVE_TIMEOUT=600
OVERWRITE=0
while (($# > 0)); do
    case "$1" in
        -n) KEYS=${2:?-n needs a value}; shift 2 ;;
        --10m) KEYS=10000000; shift ;;
        --overwrite) OVERWRITE=1; shift ;;
        --only) ONLY=${2:?--only needs ferrodis or redis}; shift 2 ;;
        --bench-n) BENCH_N=${2:?--bench-n needs a value}; shift 2 ;;
        --no-bench) BENCH=0; shift ;;
        --timeout) SAVE_TIMEOUT=${2:?--timeout needs a value}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done
is_uint() { [[ "$1" =~ ^[0-9]+$ ]] && (("$1" > 0)); }
is_uint "$KEYS" || die "-n must be a positive integer"
is_uint "$BENCH_N" || die "--bench-n must be a positive integer"
is_uint "$SAVE_TIMEOUT" || die "--timeout must be a positive integer"
case "$ONLY" in
    "") SERVERS=(ferrodis redis) ;;
    ferrodis | redis) SERVERS=("$ONLY") ;;
    *) die "--only takes ferrodis or redis, not $ONLY" ;;
esac
have python3 || die "python3 not found (needed by $PROBE)"
have redis-benchmark || die "redis-benchmark not found"

if [[ "$ONLY" == redis ]]; then
    REDIS_BIN=$(resolve_exe "${REDIS_BIN:-redis-server}") || die "REDIS_BIN not executable"
    FERRODIS_BIN="(not run)"
    have "$REDIS_CLI" || die "redis-cli not found"
else
    resolve_bins
fi

CORES=$(nproc_count)
if ((CORES >= 2)) && have taskset; then
    SERVER_CPUS=0
    CLIENT_PIN=(taskset -c 1)
    PIN_DESC="server (and Redis's child) pinned to core 0, benchmark and probe to core 1"
else
    SERVER_CPUS=""
    CLIENT_PIN=()
    PIN_DESC="NOT pinned ($CORES core(s) or no taskset)"
fi

make_work_dir
install_traps

# Background helpers we start (benchmark, probe): stopped on exit.
HELPER_PIDS=()
stop_helpers() {
    local p
    for p in "${HELPER_PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    HELPER_PIDS=()
}
trap 'stop_helpers; cleanup' EXIT

# child_of PID: first child process of PID (all threads), or empty.
child_of() {
    local f c
    for f in /proc/"$1"/task/*/children; do
        [[ -r "$f" ]] || continue
        read -r c _ <"$f" 2>/dev/null || true
        if [[ -n "${c:-}" ]]; then
            printf '%s\n' "$c"
            return 0
        fi
    done
    return 0
}

# private_dirty_kb PID: Private_Dirty from /proc/PID/smaps_rollup (0 if gone).
private_dirty_kb() {
    awk '/^Private_Dirty:/ { print $2; found = 1 } END { if (!found) print 0 }' \
        "/proc/$1/smaps_rollup" 2>/dev/null || printf '0\n'
}

now_ms() { date +%s%3N; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
field() { printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }

declare -A ROW NOTE
measure() {
    local srv=$1 bin pid port
    if [[ $srv == ferrodis ]]; then bin=$FERRODIS_BIN; else bin=$REDIS_BIN; fi
    log "# $srv: starting $bin"
    start_server "$srv" "$bin" "$SERVER_CPUS" --enable-debug-command local
    pid=$SERVER_PID port=$SERVER_PORT
    if ((OVERWRITE)); then
        log "# $srv: pid $pid port $port; SET key:%012d xxx for 0..$((KEYS - 1)) (redis-cli --pipe)"
        pipe_load "$port" 1800 gen_keyspace "$KEYS" >/dev/null
    else
        log "# $srv: pid $pid port $port; DEBUG POPULATE $KEYS"
        RCLI_TIMEOUT=1200 rcli "$port" DEBUG POPULATE "$KEYS" >/dev/null
    fi
    log "# $srv: dbsize $(rcli "$port" DBSIZE)"
    sleep 1
    local rss0 bench_pid=""
    if ((BENCH)); then
        timeout $((SAVE_TIMEOUT + 120)) "${CLIENT_PIN[@]}" redis-benchmark -h 127.0.0.1 -p "$port" \
            -t set -P 16 -c 50 -n "$BENCH_N" -r "$KEYS" -q >"$WORK_DIR/$srv.bench" 2>&1 &
        bench_pid=$!
        HELPER_PIDS+=("$bench_pid")
        sleep 1
    fi
    local base
    base=$(timeout 30 "${CLIENT_PIN[@]}" python3 "$PROBE" --port "$port" --duration 1)
    log "# $srv: baseline probe: $base"

    local stop="$WORK_DIR/$srv.stop" probe_out="$WORK_DIR/$srv.probe"
    rm -f "$stop"
    timeout $((SAVE_TIMEOUT + 60)) "${CLIENT_PIN[@]}" python3 "$PROBE" --port "$port" \
        --duration "$SAVE_TIMEOUT" --stop-file "$stop" >"$probe_out" 2>&1 &
    local probe_pid=$!
    HELPER_PIDS+=("$probe_pid")
    sleep 0.2

    rss0=$(rss_kb "$pid")
    local nkeys
    nkeys=$(rcli "$port" DBSIZE)
    local t0 t1 peak_rss=$rss0 peak_child=0 child="" r d i busy=1 reply
    t0=$(now_ms)
    reply=$(rcli "$port" BGSAVE)
    [[ "$reply" == "Background saving started" ]] || die "$srv: BGSAVE -> $reply"
    for ((i = 0; i < SAVE_TIMEOUT * 100; i++)); do
        r=$(rss_kb "$pid")
        ((r > peak_rss)) && peak_rss=$r
        [[ -n "$child" && -d /proc/$child ]] || child=$(child_of "$pid")
        if [[ -n "$child" ]]; then
            d=$(private_dirty_kb "$child")
            ((d > peak_child)) && peak_child=$d
        fi
        if ((i % 5 == 0)); then
            busy=$(info_field "$port" persistence rdb_bgsave_in_progress)
            [[ "$busy" == 0 ]] && break
        fi
        sleep 0.01
    done
    t1=$(now_ms)
    [[ "$busy" == 0 ]] || die "$srv: BGSAVE still running after ${SAVE_TIMEOUT}s"
    touch "$stop"
    wait "$probe_pid" 2>/dev/null || true
    local during
    during=$(tail -n 1 "$probe_out")
    log "# $srv: probe during the save: $during"
    if [[ -n "$bench_pid" ]]; then
        kill -TERM "$bench_pid" 2>/dev/null || true
        wait "$bench_pid" 2>/dev/null || true
    fi
    HELPER_PIDS=()
    local status fork
    status=$(info_field "$port" persistence rdb_last_bgsave_status)
    fork=$(info_field "$port" stats latest_fork_usec)
    log "# $srv: rdb_last_bgsave_status:$status latest_fork_usec:$fork save $((t1 - t0)) ms; rss0 ${rss0} kB peak ${peak_rss} kB child dirty ${peak_child} kB"
    # ferrodis logs how its snapshot walk was sliced (the longest slice is
    # the stall it caused itself; the probe's figure adds the machine's noise).
    NOTE[$srv]=$(grep -m1 -i -E 'slices' "$WORK_DIR/$srv.log" | sed 's/^[^*#]*[*#] //' || true)
    local growth=$((peak_rss - rss0))
    ROW[$srv]=$(printf '%-9s %12s %11s %11s %7s %10s %8s %8s %14s %9s %9s %7s' \
        "$srv" "$nkeys" "$(field "$during" max_rtt_ms)" "$(field "$base" max_rtt_ms)" \
        "$(field "$during" p99_rtt_ms)" "${fork:-n/a}" "$((t1 - t0))" "$(mb "$rss0")" \
        "$(mb "$growth")" "$(mb "$peak_child")" "$(mb $((growth + peak_child)))" "${status:-?}")
    stop_server "$pid"
}

for srv in "${SERVERS[@]}"; do
    measure "$srv"
done

BENCH_DESC="redis-benchmark -t set -P 16 -c 50 -r $KEYS writing during the save"
((BENCH)) || BENCH_DESC="no write load"
LOAD_DESC="DEBUG POPULATE $KEYS"
((OVERWRITE)) && LOAD_DESC="$KEYS keys key:%012d preloaded, SETs overwrite"
printf '# bgsave_pause | %s | %s | %s\n' "$LOAD_DESC" "$BENCH_DESC" "$PIN_DESC"
printf '%-9s %12s %11s %11s %7s %10s %8s %8s %14s %9s %9s %7s\n' server keys_at_save max_ping_ms \
    baseline_ms p99_ms fork_usec save_ms rss0_mb rss_growth_mb child_mb total_mb status
for srv in "${SERVERS[@]}"; do
    printf '%s\n' "${ROW[$srv]}"
done
for srv in "${SERVERS[@]}"; do
    [[ -z "${NOTE[$srv]:-}" ]] || printf '# %s: %s\n' "$srv" "${NOTE[$srv]}"
done
env_line
printf '# elapsed: %ss\n' "$((SECONDS - SCRIPT_START))"
