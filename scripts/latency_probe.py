#!/usr/bin/env python3
"""latency_probe.py - the longest stall a client sees, by PINGing every 1 ms.

Sends PING on one connection, waits for +PONG, records the round trip, then
sleeps until the next 1 ms tick; repeats until --duration seconds have passed
or --stop-file exists (checked every 20 pings). Prints one line:

    pings=N max_rtt_ms=X p99_rtt_ms=X p999_rtt_ms=X max_gap_ms=X

max_rtt_ms is the longest single round trip (the longest stall the server
imposed on a client); max_gap_ms is the longest time between two replies
(round trip + the 1 ms pause + scheduling). Bounded: --duration caps the run
and every socket read times out after --timeout seconds (then prints what it
has, with timed_out=1). Used by scripts/bgsave_pause.sh.
"""

import argparse
import os
import socket
import sys
import time

PING = b"*1\r\n$4\r\nPING\r\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--duration", type=float, default=10.0, help="max seconds to run")
    ap.add_argument("--stop-file", default=None, help="stop when this file exists")
    ap.add_argument("--interval-ms", type=float, default=1.0)
    ap.add_argument("--timeout", type=float, default=60.0, help="socket read timeout (s)")
    a = ap.parse_args()

    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rtts = []
    max_gap = 0.0
    timed_out = 0
    start = time.perf_counter()
    last_reply = start
    next_tick = start
    interval = a.interval_ms / 1000.0
    n = 0
    while True:
        now = time.perf_counter()
        if now - start >= a.duration:
            break
        if a.stop_file and n % 20 == 0 and os.path.exists(a.stop_file):
            break
        t0 = time.perf_counter()
        try:
            s.sendall(PING)
            buf = b""
            while not buf.endswith(b"\r\n"):
                chunk = s.recv(64)
                if not chunk:
                    print("error: connection closed", file=sys.stderr)
                    return 1
                buf += chunk
        except socket.timeout:
            timed_out = 1
            rtts.append(time.perf_counter() - t0)
            break
        t1 = time.perf_counter()
        rtts.append(t1 - t0)
        max_gap = max(max_gap, t1 - last_reply)
        last_reply = t1
        n += 1
        next_tick += interval
        pause = next_tick - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        else:
            next_tick = time.perf_counter()
    s.close()
    if not rtts:
        print("pings=0 max_rtt_ms=0 p99_rtt_ms=0 p999_rtt_ms=0 max_gap_ms=0")
        return 0
    srt = sorted(rtts)

    def pct(p: float) -> float:
        return srt[min(len(srt) - 1, int(p * len(srt)))] * 1000.0

    print(
        "pings=%d max_rtt_ms=%.2f p99_rtt_ms=%.2f p999_rtt_ms=%.2f max_gap_ms=%.2f%s"
        % (
            len(rtts),
            srt[-1] * 1000.0,
            pct(0.99),
            pct(0.999),
            max_gap * 1000.0,
            " timed_out=1" if timed_out else "",
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
