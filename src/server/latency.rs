//! Latency bookkeeping: the slow log, the latency monitor's event series and
//! the per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats).
//!
//! Nothing here knows about RESP; `commands/slowlog.rs` and
//! `commands/latency.rs` render these structures.
//!
//! The histograms reproduce the bucket layout Redis gets from its HDR
//! histogram (1 ns unit, 2 significant figures, values clamped to
//! 1024 ns..1 s), because both the reported bucket bounds and the percentile
//! values of INFO depend on that layout: a value `v` falls into sub-bucket
//! `v >> b << b` with `b = max(0, log2(v) - 7)`, i.e. 128 sub-buckets per power
//! of two. Recording is a few shifts and one increment in a fixed array; the
//! array of a command is allocated on its first call only.

use std::collections::VecDeque;

/// One slow log entry.
#[derive(Debug, Clone)]
pub struct SlowEntry {
    pub id: u64,
    /// Unix seconds when the command ended.
    pub time: i64,
    /// Duration in microseconds.
    pub duration: u64,
    /// The arguments, already truncated and redacted.
    pub argv: Vec<Vec<u8>>,
    /// `ip:port` of the client.
    pub addr: String,
    /// Client name (empty if none).
    pub name: Vec<u8>,
}

/// The slow log: newest entry first.
#[derive(Debug, Default)]
pub struct SlowLog {
    pub entries: VecDeque<SlowEntry>,
    /// Id of the next entry; not reset by SLOWLOG RESET, as in Redis.
    pub next_id: u64,
}

/// At most this many arguments are kept per entry (the last one then says
/// how many more there were).
pub const SLOWLOG_MAX_ARGC: usize = 32;
/// At most this many bytes are kept per argument.
pub const SLOWLOG_MAX_ARGLEN: usize = 128;

impl SlowLog {
    /// Adds an entry built from `args` (`redact(i)` says whether argument
    /// `i` is replaced by `(redacted)`), then trims to `max_len` entries.
    pub fn push<'a>(
        &mut self,
        args: impl ExactSizeIterator<Item = &'a [u8]>,
        redact: impl Fn(usize) -> bool,
        info: (i64, u64, String, Vec<u8>),
        max_len: usize,
    ) {
        let (time, duration, addr, name) = info;
        let argc = args.len();
        let keep = if argc > SLOWLOG_MAX_ARGC {
            SLOWLOG_MAX_ARGC - 1
        } else {
            argc
        };
        let mut argv = Vec::with_capacity(keep.min(SLOWLOG_MAX_ARGC) + 1);
        for (i, a) in args.take(keep).enumerate() {
            argv.push(truncated_arg(a, redact(i)));
        }
        if argc > keep {
            argv.push(format!("... ({} more arguments)", argc - keep).into_bytes());
        }
        let id = self.next_id;
        self.next_id += 1;
        self.entries.push_front(SlowEntry {
            id,
            time,
            duration,
            argv,
            addr,
            name,
        });
        self.entries.truncate(max_len);
    }

    pub fn reset(&mut self) {
        self.entries.clear();
    }
}

/// One argument as the slow log keeps it.
fn truncated_arg(a: &[u8], redacted: bool) -> Vec<u8> {
    if redacted {
        return b"(redacted)".to_vec();
    }
    if a.len() <= SLOWLOG_MAX_ARGLEN {
        return a.to_vec();
    }
    let mut v = a[..SLOWLOG_MAX_ARGLEN].to_vec();
    v.extend_from_slice(format!("... ({} more bytes)", a.len() - SLOWLOG_MAX_ARGLEN).as_bytes());
    v
}

/// Samples kept per latency event (one per second at most).
pub const LATENCY_TS_LEN: usize = 160;

/// The time series of one latency event.
#[derive(Debug, Clone)]
pub struct EventSeries {
    /// (unix seconds, latency ms); time 0 marks an unused slot.
    pub samples: [(i64, u64); LATENCY_TS_LEN],
    /// Next slot to write.
    pub idx: usize,
    /// Highest latency ever seen.
    pub max: u64,
}

impl EventSeries {
    fn new() -> Self {
        EventSeries {
            samples: [(0, 0); LATENCY_TS_LEN],
            idx: 0,
            max: 0,
        }
    }

    /// Used samples, oldest first.
    pub fn chronological(&self) -> impl Iterator<Item = (i64, u64)> + '_ {
        (0..LATENCY_TS_LEN)
            .map(move |j| self.samples[(self.idx + j) % LATENCY_TS_LEN])
            .filter(|s| s.0 != 0)
    }

    /// The most recent sample.
    pub fn latest(&self) -> (i64, u64) {
        self.samples[(self.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN]
    }
}

/// The latency monitor: events by name, in order of first occurrence.
#[derive(Debug, Default)]
pub struct LatencyMonitor {
    pub events: Vec<(String, EventSeries)>,
}

impl LatencyMonitor {
    /// Records `ms` for `event` at unix second `now` when it reaches the
    /// threshold (a threshold of 0 disables the monitor).
    pub fn add_if_needed(&mut self, event: &str, ms: u64, threshold: i64, now: i64) {
        if threshold > 0 && ms >= threshold as u64 {
            self.add(event, ms, now);
        }
    }

    /// Records a sample: one slot per second, keeping the highest value seen
    /// in that second.
    pub fn add(&mut self, event: &str, ms: u64, now: i64) {
        let pos = match self.events.iter().position(|(n, _)| n == event) {
            Some(p) => p,
            None => {
                self.events.push((event.to_string(), EventSeries::new()));
                self.events.len() - 1
            }
        };
        let ts = &mut self.events[pos].1;
        ts.max = ts.max.max(ms);
        let prev = (ts.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
        if ts.samples[prev].0 == now {
            ts.samples[prev].1 = ts.samples[prev].1.max(ms);
            return;
        }
        ts.samples[ts.idx] = (now, ms);
        ts.idx = (ts.idx + 1) % LATENCY_TS_LEN;
    }

    pub fn get(&self, event: &[u8]) -> Option<&EventSeries> {
        self.events
            .iter()
            .find(|(n, _)| n.as_bytes() == event)
            .map(|(_, s)| s)
    }

    /// Drops one event; whether it existed.
    pub fn reset_event(&mut self, event: &[u8]) -> bool {
        match self.events.iter().position(|(n, _)| n.as_bytes() == event) {
            Some(p) => {
                self.events.remove(p);
                true
            }
            None => false,
        }
    }

    /// Drops every event; how many there were.
    pub fn reset_all(&mut self) -> usize {
        let n = self.events.len();
        self.events.clear();
        n
    }
}

/// Lowest recorded value (ns); shorter durations count as this.
const HIST_MIN: u64 = 1024;
/// Highest recorded value (ns); longer durations count as this.
const HIST_MAX: u64 = 1_000_000_000;
/// log2 of the sub-buckets per power of two.
const SUB_BITS: u32 = 7;
/// Sub-buckets per power of two.
const SUB: usize = 1 << SUB_BITS;
/// First power of two kept (2^10 = HIST_MIN).
const FIRST_POW: u32 = 10;
/// Slots: powers of two 2^10 .. 2^29 (HIST_MAX < 2^30), SUB slots each.
const SLOTS: usize = 20 * SUB;

/// The shift (bucket) of a value: how many low bits its sub-bucket drops.
fn shift_of(v: u64) -> u32 {
    (63 - v.leading_zeros()).saturating_sub(SUB_BITS)
}

/// Slot of a value in [HIST_MIN, HIST_MAX].
fn slot_of(v: u64) -> usize {
    let b = shift_of(v);
    let sub = (v >> b) as usize; // in [SUB, 2 * SUB)
    let pow = (b + SUB_BITS - FIRST_POW) as usize;
    pow * SUB + (sub - SUB)
}

/// Lowest value of a slot.
fn slot_value(slot: usize) -> u64 {
    let pow = (slot / SUB) as u32;
    let sub = (slot % SUB + SUB) as u64;
    let b = pow + FIRST_POW - SUB_BITS;
    sub << b
}

/// Highest value equivalent to `v` (the top of its sub-bucket).
fn highest_equivalent(v: u64) -> u64 {
    let b = shift_of(v);
    ((v >> b) << b) + (1u64 << b) - 1
}

/// One command's latency histogram.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: [u64; SLOTS],
    pub total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: [0; SLOTS],
            total: 0,
        }
    }
}

impl Histogram {
    /// Records a duration in microseconds.
    pub fn record_usec(&mut self, usec: u64) {
        let ns = usec.saturating_mul(1000).clamp(HIST_MIN, HIST_MAX);
        self.counts[slot_of(ns)] += 1;
        self.total += 1;
    }

    /// Cumulative counts at powers of two from 1024 ns: (bucket bound in
    /// µs, values counted up to it), only where the count grew.
    pub fn log_buckets(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut cum = 0u64;
        let mut level = HIST_MIN;
        for (slot, &c) in self.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let v = slot_value(slot);
            if v > level {
                if cum > out.last().map_or(0, |l: &(u64, u64)| l.1) {
                    out.push((level_bound(level), cum));
                }
                while level < v {
                    level <<= 1;
                }
            }
            cum += c;
        }
        if cum > out.last().map_or(0, |l: &(u64, u64)| l.1) {
            out.push((level_bound(level), cum));
        }
        out
    }

    /// The value (µs) at percentile `p` (0..=100).
    pub fn percentile_usec(&self, p: f64) -> f64 {
        let p = p.clamp(0.0, 100.0);
        let want = (((p / 100.0) * self.total as f64) + 0.5) as u64;
        let want = want.max(1);
        let mut cum = 0u64;
        let mut last = 0;
        for (slot, &c) in self.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            last = slot;
            cum += c;
            if cum >= want {
                break;
            }
        }
        let v = slot_value(last);
        let v = if p == 0.0 { v } else { highest_equivalent(v) };
        v as f64 / 1000.0
    }
}

/// The bound reported for a power-of-two level: the top of the sub-bucket it
/// starts, in µs; the level past the last slot reports the last slot's top.
fn level_bound(level: u64) -> u64 {
    let top = if level >= 1u64 << (FIRST_POW + (SLOTS / SUB) as u32) {
        level - 1
    } else {
        highest_equivalent(level)
    };
    top / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_round_trip() {
        assert_eq!(slot_of(1024), 0);
        assert_eq!(slot_value(0), 1024);
        assert!(slot_of(HIST_MAX) < SLOTS);
        for v in [1024u64, 2000, 4000, 33000, 10_158_000, HIST_MAX] {
            let s = slot_of(v);
            assert!(slot_value(s) <= v && v <= highest_equivalent(slot_value(s)));
        }
    }

    #[test]
    fn buckets_as_redis() {
        let mut h = Histogram::default();
        h.record_usec(8);
        h.record_usec(16);
        h.record_usec(16);
        assert_eq!(h.log_buckets(), vec![(8, 1), (16, 3)]);
        let mut h = Histogram::default();
        h.record_usec(10_100);
        assert_eq!(h.log_buckets(), vec![(16908, 1)]);
        h.record_usec(1);
        assert_eq!(h.log_buckets(), vec![(1, 1), (16908, 2)]);
        assert_eq!(h.percentile_usec(50.0), 1.031);
    }

    #[test]
    fn long_durations_as_redis() {
        let mut h = Histogram::default();
        h.record_usec(300_000);
        h.record_usec(600_000);
        assert_eq!(h.log_buckets(), vec![(541065, 1), (1073741, 2)]);
        assert_eq!(format!("{:.3}", h.percentile_usec(50.0)), "301989.887");
        assert_eq!(format!("{:.3}", h.percentile_usec(99.0)), "603979.775");
        h.record_usec(u64::MAX);
        assert_eq!(h.total, 3);
    }

    #[test]
    fn percentiles_as_redis() {
        let mut h = Histogram::default();
        h.record_usec(4);
        assert_eq!(format!("{:.3}", h.percentile_usec(50.0)), "4.015");
        let mut h = Histogram::default();
        h.record_usec(10_100);
        assert_eq!(format!("{:.3}", h.percentile_usec(99.9)), "10158.079");
    }

    #[test]
    fn slowlog_truncates() {
        let mut log = SlowLog::default();
        let big = [b'x'; 130];
        let args: Vec<&[u8]> = (0..40).map(|_| &big[..]).collect();
        log.push(
            args.iter().copied(),
            |i| i == 1,
            (1, 2, "a:1".into(), vec![]),
            1,
        );
        let e = &log.entries[0];
        assert_eq!(e.argv.len(), 32);
        assert_eq!(e.argv[1], b"(redacted)");
        assert!(e.argv[0].ends_with(b"... (2 more bytes)"));
        assert_eq!(e.argv[31], b"... (9 more arguments)");
        log.push(
            [&b"a"[..]].into_iter(),
            |_| false,
            (1, 2, "".into(), vec![]),
            1,
        );
        assert_eq!(log.entries.len(), 1);
        assert_eq!(log.entries[0].id, 1);
    }

    #[test]
    fn events_one_sample_per_second() {
        let mut m = LatencyMonitor::default();
        m.add_if_needed("command", 5, 0, 100);
        assert!(m.events.is_empty());
        m.add_if_needed("command", 5, 1, 100);
        m.add_if_needed("command", 9, 1, 100);
        m.add_if_needed("command", 3, 1, 101);
        let s = m.get(b"command").unwrap();
        assert_eq!(
            s.chronological().collect::<Vec<_>>(),
            vec![(100, 9), (101, 3)]
        );
        assert_eq!(s.max, 9);
        assert_eq!(s.latest(), (101, 3));
    }
}
