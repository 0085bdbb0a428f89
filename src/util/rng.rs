//! A tiny xorshift64 generator for the server's non-cryptographic randomness
//! (random keys, run ids, LOLWUT pictures, DEBUG STRINGMATCH-TEST): one copy
//! instead of one per caller. Not for anything that must be unpredictable.

/// xorshift64 (13, 7, 17). The state must not be 0; `new` makes sure of it.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_in_range_and_never_sticks_at_zero() {
        let mut r = Rng::new(0);
        for n in [0usize, 1, 2, 7, 1000] {
            for _ in 0..100 {
                assert!(r.below(n) <= n.saturating_sub(1));
            }
        }
        assert_ne!(r.next_u64(), 0);
    }
}
