//! The per-command clock.
//!
//! Every command reads the clock once: the reading is both the end of the
//! previous command (its duration goes to INFO commandstats, the latency
//! histograms and the slow log) and the time the next one runs at (`ctx.now`,
//! which expiry compares against). On a pipelined GET that read was about 7%
//! of the server's CPU through `clock_gettime` (32 ns here), so a `Tick` is a
//! raw reading of the CPU's time-stamp counter where that is safe (11 ns),
//! converted to time only when needed:
//!
//! - On x86_64 Linux, when the kernel itself keeps time with the TSC
//!   (`current_clocksource` is `tsc`, which it only chooses after checking
//!   that the counter is invariant and synchronized across cores), ticks are
//!   RDTSC values. Their rate is measured against the monotonic clock once at
//!   start (`init`, a 2 ms spin).
//! - Everywhere else ticks are nanoseconds of `Instant` since the start.
//!
//! `Clock` turns ticks into Unix time. It is re-anchored to the wall clock every
//! cron tick, so a change of the system time shows within 1/hz seconds, and an
//! error in the measured rate only accumulates for that long.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Once, OnceLock};
use std::time::Instant;

/// A reading of the per-command clock (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Tick(u64);

/// How ticks are read, decided once (by `init`, or the first reading): 0
/// not yet; `INSTANT`: ticks are nanoseconds since `ORIGIN`; else ticks are
/// TSC values and this is the nanoseconds per tick as a 32.32 fixed-point
/// number (at least 2^32/100, so never `INSTANT`). A plain static rather
/// than a lazily built one, so that reading the clock costs one load.
static MODE: AtomicU64 = AtomicU64::new(0);
const INSTANT: u64 = 1;
static ORIGIN: OnceLock<Instant> = OnceLock::new();
static INIT: Once = Once::new();

/// Chooses the tick source (and measures the TSC's rate). Called once at
/// start; the first `Tick::now` would otherwise do it.
pub fn init() {
    INIT.call_once(|| {
        origin();
        let mode = tsc_rate().unwrap_or(INSTANT);
        MODE.store(mode, Ordering::Relaxed);
    });
}

/// The decided mode.
#[inline]
fn mode() -> u64 {
    match MODE.load(Ordering::Relaxed) {
        0 => {
            init();
            MODE.load(Ordering::Relaxed)
        }
        m => m,
    }
}

fn origin() -> Instant {
    *ORIGIN.get_or_init(Instant::now)
}

/// Whether the kernel keeps time with the TSC.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn kernel_uses_tsc() -> bool {
    std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
        .map(|s| s.trim() == "tsc")
        .unwrap_or(false)
}

/// The TSC's nanoseconds per tick (32.32), when ticks can be TSC values.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn tsc_rate() -> Option<u64> {
    if !kernel_uses_tsc() {
        return None;
    }
    let t0 = Instant::now();
    let c0 = rdtsc();
    let mut t1 = t0;
    while t1.duration_since(t0) < std::time::Duration::from_millis(2) {
        t1 = Instant::now();
    }
    let c1 = rdtsc();
    let ticks = c1.checked_sub(c0).filter(|&d| d > 0)?;
    let ns = t1.duration_since(t0).as_nanos() as u64;
    // Below 100 MHz or above 100 GHz the measurement is not to be believed.
    let q32 = ((u128::from(ns) << 32) / u128::from(ticks)) as u64;
    ((1u64 << 32) / 100..=10u64 << 32)
        .contains(&q32)
        .then_some(q32)
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn tsc_rate() -> Option<u64> {
    None
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn rdtsc() -> u64 {
    // SAFETY: RDTSC has no preconditions; it only reads the counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn rdtsc() -> u64 {
    unreachable!("the TSC is only used on x86_64")
}

impl Tick {
    /// The current reading.
    #[inline]
    pub fn now() -> Tick {
        if mode() == INSTANT {
            Tick(origin().elapsed().as_nanos() as u64)
        } else {
            Tick(rdtsc())
        }
    }

    /// Nanoseconds from `earlier` to `self` (0 if `earlier` is later).
    #[inline]
    pub fn nanos_since(self, earlier: Tick) -> u64 {
        let d = self.0.saturating_sub(earlier.0);
        // A tick exists only once the mode is decided.
        match MODE.load(Ordering::Relaxed) {
            q32 if q32 > INSTANT => ((u128::from(d) * u128::from(q32)) >> 32) as u64,
            _ => d,
        }
    }

    /// Microseconds from `earlier` to `self` (0 if `earlier` is later).
    #[inline]
    pub fn micros_since(self, earlier: Tick) -> u64 {
        self.nanos_since(earlier) / 1000
    }
}

/// Unix time of ticks: a tick taken with the wall clock, as the reference.
pub struct Clock {
    anchor: Tick,
    anchor_unix_us: i64,
}

impl Clock {
    pub fn new() -> Clock {
        Clock {
            anchor: Tick::now(),
            anchor_unix_us: super::unix_us(),
        }
    }

    /// Takes the wall clock as the new reference.
    pub fn reanchor(&mut self) {
        *self = Clock::new();
    }

    /// Unix milliseconds at tick `t` (the anchor's, for a tick before it).
    pub fn unix_ms_at(&self, t: Tick) -> i64 {
        (self.anchor_unix_us + t.micros_since(self.anchor) as i64) / 1000
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Tick differences track the monotonic clock (within 2% plus 1 ms over
    /// a 50 ms sleep, which scheduling noise cannot exceed).
    #[test]
    fn ticks_measure_time() {
        init();
        let (t0, i0) = (Tick::now(), Instant::now());
        std::thread::sleep(Duration::from_millis(50));
        let (t1, i1) = (Tick::now(), Instant::now());
        let ticks = t1.nanos_since(t0) as i64;
        let mono = i1.duration_since(i0).as_nanos() as i64;
        assert!(
            (ticks - mono).abs() < mono / 50 + 1_000_000,
            "ticks {ticks} ns against {mono} ns"
        );
        assert_eq!(t0.nanos_since(t1), 0);
    }

    /// Unix time from ticks agrees with the wall clock.
    #[test]
    fn unix_time_of_ticks() {
        let c = Clock::new();
        std::thread::sleep(Duration::from_millis(20));
        let ms = c.unix_ms_at(Tick::now());
        let wall = super::super::unix_ms();
        assert!((ms - wall).abs() <= 5, "{ms} against {wall}");
    }
}
