# shellcheck shell=bash
# Shared helpers for scripts/bench.sh and scripts/memory.sh (sourced, not run).
#
# Provides: logging (log/die), binary resolution (FERRODIS_BIN / REDIS_BIN,
# building ferrodis with `cargo build --release` if the default binary is
# missing), free-port picking, starting servers on 127.0.0.1 (optionally
# pinned with taskset) and stopping exactly the pids this script started
# (install `trap cleanup EXIT`), /proc readers (CPU ticks, VmRSS), RESP
# generation helpers for `redis-cli --pipe`, and a one-line environment
# summary (date, arch, cores, versions).

# Repository root: scripts/lib/ -> ../..
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

STARTED_PIDS=()        # pids of servers this script started (only these are killed)
WORK_DIR=""            # per-run temp dir (server cwd + logs), removed on exit
SERVER_PID=""          # set by start_server
SERVER_PORT=""         # set by start_server
REDIS_CLI=${REDIS_CLI:-redis-cli}

log() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

have() { command -v "$1" >/dev/null 2>&1; }

make_work_dir() {
    WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ferrodis-bench.XXXXXX")
}

# Stop every server we started: SIGTERM, wait up to ~5 s, then SIGKILL.
# Only pids recorded in STARTED_PIDS are touched.
cleanup() {
    local rc=$? pid i
    for pid in "${STARTED_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${STARTED_PIDS[@]}"; do
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    STARTED_PIDS=()
    if [[ -n "$WORK_DIR" && -d "$WORK_DIR" && -z "${KEEP_WORK_DIR:-}" ]]; then
        rm -rf -- "$WORK_DIR"
    fi
    return "$rc"
}

# Install traps: EXIT runs cleanup; INT/TERM turn into an exit (which runs it).
install_traps() {
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# resolve_bins: sets FERRODIS_BIN and REDIS_BIN to absolute, executable paths.
# The default ferrodis binary (target/release/ferrodis) is brought up to date
# with cargo build --release when cargo is there (a no-op when it is fresh;
# a stale binary would measure old code), else it must exist.
resolve_bins() {
    local default_fb="$REPO_ROOT/target/release/ferrodis"
    FERRODIS_BIN=${FERRODIS_BIN:-$default_fb}
    REDIS_BIN=${REDIS_BIN:-redis-server}
    if [[ "$FERRODIS_BIN" == "$default_fb" ]]; then
        if have cargo; then
            log "# cargo build --release (brings $default_fb up to date)"
            (cd "$REPO_ROOT" && cargo build --release >&2) || die "cargo build --release failed"
        elif [[ ! -x "$default_fb" ]]; then
            die "$default_fb is missing and cargo is not installed"
        fi
    fi
    local p
    p=$(resolve_exe "$FERRODIS_BIN") || die "FERRODIS_BIN not executable: $FERRODIS_BIN"
    FERRODIS_BIN=$p
    p=$(resolve_exe "$REDIS_BIN") || die "REDIS_BIN not executable: $REDIS_BIN"
    REDIS_BIN=$p
    have "$REDIS_CLI" || die "redis-cli not found"
}

# resolve_exe NAME_OR_PATH -> absolute path on stdout (fails if not executable)
resolve_exe() {
    local p=$1
    if [[ "$p" != */* ]]; then
        p=$(command -v -- "$p") || return 1
    fi
    [[ -x "$p" && -f "$p" ]] || return 1
    (cd "$(dirname "$p")" && printf '%s/%s\n' "$(pwd)" "$(basename "$p")")
}

# port_in_use PORT: true if something accepts connections on 127.0.0.1:PORT
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pick_port: set PICKED_PORT to a free TCP port (bounded number of random
# tries; never hands out the same port twice in one run).
PICKED_PORT=""
USED_PORTS=" "
pick_port() {
    local i p
    for ((i = 0; i < 100; i++)); do
        p=$((20000 + RANDOM % 40000))
        [[ "$USED_PORTS" == *" $p "* ]] && continue
        if ! port_in_use "$p"; then
            USED_PORTS+="$p "
            PICKED_PORT=$p
            return 0
        fi
    done
    die "could not find a free port"
}

# rcli PORT ARGS...: redis-cli against our server, bounded by a timeout
# (RCLI_TIMEOUT seconds, default 60).
rcli() {
    local port=$1; shift
    timeout "${RCLI_TIMEOUT:-60}" "$REDIS_CLI" -h 127.0.0.1 -p "$port" "$@"
}

# start_server NAME BIN CPU_LIST EXTRA_ARGS...
# Starts BIN on a free port on 127.0.0.1 (cwd = WORK_DIR/NAME, log in
# WORK_DIR/NAME.log), pinned with `taskset -c CPU_LIST` unless CPU_LIST is
# empty. Waits (bounded) until it answers PING. Sets SERVER_PID/SERVER_PORT.
start_server() {
    local name=$1 bin=$2 cpus=$3; shift 3
    local port dir logf pid i attempt
    dir="$WORK_DIR/$name"
    logf="$WORK_DIR/$name.log"
    mkdir -p "$dir"
    for ((attempt = 0; attempt < 3; attempt++)); do
        pick_port
        port=$PICKED_PORT
        local -a cmd=("$bin" --port "$port" --bind 127.0.0.1 --save '' --appendonly no "$@")
        if [[ -n "$cpus" ]]; then
            cmd=(taskset -c "$cpus" "${cmd[@]}")
        fi
        # taskset execs the server, so $! is the server's pid.
        (cd "$dir" && exec "${cmd[@]}") >>"$logf" 2>&1 &
        pid=$!
        STARTED_PIDS+=("$pid")
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            if [[ "$(rcli "$port" PING 2>/dev/null)" == "PONG" ]]; then
                # shellcheck disable=SC2034  # read by the calling script
                SERVER_PID=$pid SERVER_PORT=$port
                return 0
            fi
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$logf" >&2 || true
            die "$name ($bin) did not answer PING on port $port within 10 s"
        fi
        # Died (maybe lost a race for the port): retry on another port.
        wait "$pid" 2>/dev/null || true
        log "# $name exited during startup (attempt $((attempt + 1))); log tail:"
        tail -n 5 "$logf" >&2 || true
    done
    die "$name ($bin) failed to start; see log above"
}

# stop_server PID: stop one server we started (TERM, bounded wait, KILL).
stop_server() {
    local pid=$1 i p
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local -a keep=()
    for p in "${STARTED_PIDS[@]}"; do
        [[ "$p" == "$pid" ]] || keep+=("$p")
    done
    STARTED_PIDS=("${keep[@]}")
}

# cpu_ticks PID: utime+stime (fields 14+15 of /proc/PID/stat, all threads),
# in clock ticks. The comm field may contain spaces, so split after ')'.
cpu_ticks() {
    local stat rest
    stat=$(<"/proc/$1/stat")
    rest=${stat##*) }
    local -a f
    read -r -a f <<<"$rest"
    # f[0] is field 3 (state), so field N is f[N-3].
    printf '%s\n' "$((f[11] + f[12]))"
}

# rss_kb PID: VmRSS from /proc/PID/status, in kB.
rss_kb() {
    awk '/^VmRSS:/ { print $2; found = 1 } END { if (!found) print 0 }' "/proc/$1/status"
}

# info_field PORT SECTION FIELD: value of FIELD from INFO SECTION (empty if absent).
info_field() {
    rcli "$1" INFO "$2" 2>/dev/null | tr -d '\r' | awk -F: -v k="$3" '$1 == k { print $2; exit }'
}

# server_version BIN: first line of `BIN --version` (bounded), or "unknown".
server_version() {
    local v
    v=$(timeout 5 "$1" --version 2>/dev/null | head -n 1) || true
    printf '%s\n' "${v:-unknown}"
}

nproc_count() {
    if have nproc; then nproc; else getconf _NPROCESSORS_ONLN; fi
}

cpu_model() {
    awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true
}

git_rev() {
    git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || printf 'no-commit\n'
}

# env_line: one line describing where/what was measured.
env_line() {
    printf '# %s | %s | cores=%s | cpu=%s | ferrodis=%s (%s, git %s) | redis=%s (%s) | %s\n' \
        "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$(uname -m)" "$(nproc_count)" \
        "$(cpu_model)" \
        "$(server_version "$FERRODIS_BIN")" "$FERRODIS_BIN" "$(git_rev)" \
        "$(server_version "$REDIS_BIN")" "$REDIS_BIN" \
        "$(redis-benchmark --version 2>/dev/null | head -n 1 || printf 'redis-benchmark ?')"
}

# RESP generation -------------------------------------------------------------
# Run generator awk programs with LC_ALL=C so length() counts bytes.
# AWK_RESP is an awk function library: resp1(a), resp2(a,b), resp3(a,b,c)
# and respv(n, arr) (arr[1..n]) print one RESP-encoded command (ORS-free).
# Generators (see memory.sh) prepend it to their awk program and pipe the
# output into `redis-cli --pipe` via pipe_load.
# shellcheck disable=SC2016
AWK_RESP='
function bulk(s) { return "$" length(s) "\r\n" s "\r\n" }
function resp1(a) { printf "*1\r\n%s", bulk(a) }
function resp2(a, b) { printf "*2\r\n%s%s", bulk(a), bulk(b) }
function resp3(a, b, c) { printf "*3\r\n%s%s%s", bulk(a), bulk(b), bulk(c) }
function respv(n, arr,   i, s) {
    s = "*" n "\r\n"
    for (i = 1; i <= n; i++) s = s bulk(arr[i])
    printf "%s", s
}
'

# pipe_load PORT TIMEOUT_S GENERATOR [ARGS...]
# Streams the RESP produced by `GENERATOR ARGS...` into `redis-cli --pipe`,
# bounded by TIMEOUT_S; fails if redis-cli reports errors or times out.
# Prints the number of replies on stdout.
pipe_load() {
    local port=$1 tmo=$2; shift 2
    local out rc=0
    out=$("$@" | timeout "$tmo" "$REDIS_CLI" -h 127.0.0.1 -p "$port" --pipe 2>&1) || rc=$?
    if ((rc != 0)); then
        printf '%s\n' "$out" | tail -n 5 >&2
        die "redis-cli --pipe into port $port failed (rc=$rc; 124 = timeout after ${tmo}s)"
    fi
    local errors replies
    errors=$(printf '%s\n' "$out" | sed -n 's/.*errors: \([0-9]*\).*/\1/p' | tail -n 1)
    replies=$(printf '%s\n' "$out" | sed -n 's/.*replies: \([0-9]*\).*/\1/p' | tail -n 1)
    if [[ -z "$errors" || "$errors" != 0 ]]; then
        printf '%s\n' "$out" | tail -n 5 >&2
        die "redis-cli --pipe into port $port reported errors: ${errors:-unknown}"
    fi
    printf '%s\n' "${replies:-0}"
}

# gen_keyspace N: RESP for SET key:%012d xxx, for 0..N-1 (the exact keys
# redis-benchmark -r N uses for GET/SET/MSET, 3-byte value like its -d 3).
gen_keyspace() {
    LC_ALL=C awk -v n="$1" "$AWK_RESP"'
    BEGIN { for (i = 0; i < n; i++) resp3("SET", sprintf("key:%012d", i), "xxx") }'
}
