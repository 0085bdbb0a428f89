//! Fast seeded hashing for keys and the server's internal maps.
//!
//! Every key of every database is hashed on each lookup, so the hash must be cheap
//! for the common short keys (5 to 20 bytes) while still spreading its low bits
//! well: the tables pick a bucket with `hash & mask`. SipHash (std's default) is
//! several times slower than needed here. `hash_bytes` instead reads the input
//! 8 bytes at a time and mixes with a folded multiply (the 128-bit product of two
//! 64-bit words, high half XOR low half), which scrambles every input bit into
//! every output bit in one multiplication.
//!
//! The seed is random per process (`process_seed`) so clients cannot precompute
//! keys that all collide. `FastHasher`/`FastBuildHasher` plug the same function
//! into std's `HashMap` for the server's other maps (ids, command names, ...).

use std::hash::{BuildHasherDefault, Hasher};
use std::io::Read;
use std::sync::OnceLock;

/// Odd 64-bit mixing constants: the fractional parts of the golden ratio, pi,
/// e and the square root of 2.
const K0: u64 = 0x9e37_79b9_7f4a_7c15;
const K1: u64 = 0x243f_6a88_85a3_08d3;
const K2: u64 = 0xb7e1_5162_8aed_2a6b;
const K3: u64 = 0x6a09_e667_f3bc_c909;

/// The 128-bit product of `a` and `b`, folded to 64 bits (high XOR low).
#[inline(always)]
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = (a as u128) * (b as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

/// Little-endian u64 at `at` (the caller guarantees 8 readable bytes).
#[inline(always)]
fn read_u64(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// Little-endian u32 at `at` (the caller guarantees 4 readable bytes).
#[inline(always)]
fn read_u32(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w) as u64
}

/// Hashes `bytes` with `seed`. Fast for short inputs, every output bit depends on
/// every input bit and on the seed; not cryptographic.
#[inline]
pub fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let len = bytes.len();
    // Two secrets derived from the seed: an input word can only cancel one of
    // them (zeroing a multiplication operand) by knowing the seed.
    let s0 = seed ^ K0;
    let s1 = seed.rotate_left(29) ^ K1;
    let mut acc = s0;
    let (a, b) = if len <= 16 {
        if len >= 8 {
            // 8..=16 bytes: two (possibly overlapping) words.
            (read_u64(bytes, 0), read_u64(bytes, len - 8))
        } else if len >= 4 {
            (read_u32(bytes, 0), read_u32(bytes, len - 4))
        } else if len > 0 {
            // 1..=3 bytes: first, middle and last byte (with the length, that
            // determines the input). In both operands, so no seed zeroes it out.
            let x =
                ((bytes[0] as u64) << 16) | ((bytes[len / 2] as u64) << 8) | bytes[len - 1] as u64;
            (x, x)
        } else {
            (0, 0)
        }
    } else {
        // 16 bytes per round, then the last 16 bytes (overlapping the rounds).
        let mut rest = bytes;
        while rest.len() > 16 {
            acc = fold_mul(read_u64(rest, 0) ^ s1, read_u64(rest, 8) ^ acc);
            rest = &rest[16..];
        }
        (read_u64(bytes, len - 16), read_u64(bytes, len - 8))
    };
    // The length enters after the data has been mixed, so it cannot cancel
    // against data bits (overlapping reads give equal words for some pairs of
    // inputs of different lengths).
    let x = fold_mul(a ^ s1, b ^ acc);
    fold_mul(x ^ K2 ^ len as u64, K3)
}

/// A random seed chosen once per process: 8 bytes of /dev/urandom, or the time
/// and pid when that cannot be read.
pub fn process_seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        let mut buf = [0u8; 8];
        let raw = match std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buf))
        {
            Ok(()) => u64::from_le_bytes(buf),
            Err(_) => {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(0);
                nanos ^ (std::process::id() as u64).rotate_left(32)
            }
        };
        // Spread a weak (time-based) value over all 64 bits.
        fold_mul(raw ^ K0, K1) ^ raw
    })
}

/// A `std::hash::Hasher` built on `hash_bytes`, for std `HashMap`s keyed by
/// integers or byte strings. Integers take a single folded multiply.
#[derive(Clone, Copy, Debug)]
pub struct FastHasher {
    state: u64,
}

impl FastHasher {
    /// A hasher with an explicit seed (tests, reproducible maps).
    pub fn with_seed(seed: u64) -> Self {
        FastHasher { state: seed }
    }

    #[inline(always)]
    fn mix_word(&mut self, n: u64) {
        self.state = fold_mul(self.state ^ n ^ K2, K0);
    }
}

impl Default for FastHasher {
    /// Seeded with `process_seed()`.
    #[inline]
    fn default() -> Self {
        FastHasher {
            state: process_seed(),
        }
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn finish(&self) -> u64 {
        // One more round: a single folded multiply of a slowly varying integer
        // leaves the low bits correlated for some seeds.
        fold_mul(self.state ^ K1, K3)
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.state = hash_bytes(self.state, bytes);
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.mix_word(n as u64);
    }

    #[inline]
    fn write_u16(&mut self, n: u16) {
        self.mix_word(n as u64);
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.mix_word(n as u64);
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.mix_word(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.mix_word(n as u64);
    }
}

/// `BuildHasher` for std collections: `HashMap<K, V, FastBuildHasher>`. Every
/// hasher it builds is seeded with `process_seed()`.
pub type FastBuildHasher = BuildHasherDefault<FastHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};
    use std::hash::{BuildHasher, Hash};

    #[test]
    fn deterministic_for_a_fixed_seed() {
        for len in 0..100 {
            let data: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(hash_bytes(42, &data), hash_bytes(42, &data));
        }
        assert_eq!(hash_bytes(7, b"key:1"), hash_bytes(7, b"key:1"));
    }

    #[test]
    fn seed_changes_the_hash() {
        for key in [
            &b""[..],
            b"a",
            b"abcd",
            b"key:12345",
            b"a somewhat longer key of 33 bytes",
        ] {
            let hashes: HashSet<u64> = (0..64u64).map(|s| hash_bytes(s, key)).collect();
            assert_eq!(hashes.len(), 64, "key {key:?}");
        }
    }

    #[test]
    fn every_length_and_content_distinct() {
        // Prefixes of one buffer, and buffers differing in a single byte: no
        // collisions (a weak length or tail handling would collide here).
        let buf: Vec<u8> = (0..200u32).map(|i| (i * 7 + 3) as u8).collect();
        let mut seen = HashSet::new();
        for len in 0..=buf.len() {
            assert!(seen.insert(hash_bytes(1, &buf[..len])), "prefix {len}");
        }
        let zeros = [0u8; 64];
        for len in 1..=64 {
            assert!(seen.insert(hash_bytes(1, &zeros[..len])), "zeros {len}");
            for pos in 0..len {
                let mut v = zeros[..len].to_vec();
                v[pos] = 1;
                assert!(seen.insert(hash_bytes(1, &v)), "len {len} pos {pos}");
            }
        }
    }

    #[test]
    fn low_bits_of_sequential_keys_are_uniform() {
        for seed in [0u64, 1, 0xdead_beef, process_seed()] {
            let mut buckets = vec![0u32; 1024];
            let n = 100_000;
            for i in 0..n {
                let key = format!("key:{i}");
                buckets[(hash_bytes(seed, key.as_bytes()) & 1023) as usize] += 1;
            }
            let mean = n as f64 / 1024.0;
            let max = *buckets.iter().max().unwrap() as f64;
            let min = *buckets.iter().min().unwrap() as f64;
            assert!(max < 2.0 * mean, "seed {seed}: max {max} mean {mean}");
            assert!(min > 0.5 * mean, "seed {seed}: min {min} mean {mean}");
        }
    }

    #[test]
    fn seeds_that_zero_a_secret_still_spread() {
        // Seeds for which one derived secret is 0: the inputs must still reach
        // both multiplication operands.
        for seed in [K0, K1.rotate_right(29), 0, u64::MAX] {
            let mut buckets = vec![0u32; 1024];
            for i in 0..100_000 {
                buckets[(hash_bytes(seed, format!("{i}").as_bytes()) & 1023) as usize] += 1;
            }
            let max = *buckets.iter().max().unwrap() as f64;
            assert!(max < 2.0 * 100_000.0 / 1024.0, "seed {seed:x}: {max}");
        }
    }

    #[test]
    fn high_bits_of_sequential_keys_are_uniform() {
        let mut buckets = vec![0u32; 1024];
        for i in 0..100_000 {
            buckets[(hash_bytes(3, format!("{i}").as_bytes()) >> 54) as usize] += 1;
        }
        let max = *buckets.iter().max().unwrap() as f64;
        assert!(max < 2.0 * 100_000.0 / 1024.0);
    }

    #[test]
    fn avalanche() {
        // Flipping any input bit flips each of the low 16 output bits about half
        // of the time.
        let mut rng = 0x1234_5678_9abc_def1u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for len in [3usize, 7, 12, 16, 24, 40] {
            let samples = 400;
            let mut flips = vec![0u32; len * 8 * 16];
            for _ in 0..samples {
                let key: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                let h = hash_bytes(99, &key);
                for bit in 0..len * 8 {
                    let mut k2 = key.clone();
                    k2[bit / 8] ^= 1 << (bit % 8);
                    let d = h ^ hash_bytes(99, &k2);
                    for out in 0..16 {
                        flips[bit * 16 + out] += ((d >> out) & 1) as u32;
                    }
                }
            }
            for (i, &f) in flips.iter().enumerate() {
                let p = f as f64 / samples as f64;
                assert!(
                    (0.35..0.65).contains(&p),
                    "len {len} in-bit {} out-bit {}: {p}",
                    i / 16,
                    i % 16
                );
            }
        }
    }

    #[test]
    fn process_seed_is_stable() {
        assert_eq!(process_seed(), process_seed());
    }

    #[test]
    fn fast_hasher_in_std_maps() {
        let mut m: HashMap<u32, u32, FastBuildHasher> = HashMap::default();
        for i in 0..10_000 {
            m.insert(i, i * 2);
        }
        for i in 0..10_000 {
            assert_eq!(m[&i], i * 2);
        }
        let mut m: HashMap<Vec<u8>, usize, FastBuildHasher> = HashMap::default();
        m.insert(b"get".to_vec(), 1);
        m.insert(b"set".to_vec(), 2);
        assert_eq!(m.get(&b"get"[..]), Some(&1));
        assert_eq!(m.get(&b"set"[..]), Some(&2));
        assert_eq!(m.get(&b"del"[..]), None);

        let bh = FastBuildHasher::default();
        assert_eq!(bh.hash_one(12345u64), bh.hash_one(12345u64));
        assert_ne!(bh.hash_one(1u64), bh.hash_one(2u64));
        // A fixed seed hashes reproducibly.
        let mut a = FastHasher::with_seed(5);
        let mut b = FastHasher::with_seed(5);
        "hello".hash(&mut a);
        "hello".hash(&mut b);
        assert_eq!(a.finish(), b.finish());
    }

    #[test]
    fn fast_hasher_integer_low_bits_uniform() {
        let bh = FastBuildHasher::default();
        let mut buckets = vec![0u32; 1024];
        for i in 0..100_000u64 {
            buckets[(bh.hash_one(i) & 1023) as usize] += 1;
        }
        let max = *buckets.iter().max().unwrap() as f64;
        assert!(max < 2.0 * 100_000.0 / 1024.0);
    }

    /// `cargo test --release -- --ignored --nocapture hash_speed`
    #[test]
    #[ignore]
    fn hash_speed() {
        use std::collections::hash_map::DefaultHasher;
        use std::hint::black_box;
        use std::time::Instant;
        let keys: Vec<String> = (0..1_000_000).map(|i| format!("key:{i}")).collect();
        let t = Instant::now();
        let mut x = 0u64;
        for k in &keys {
            x ^= hash_bytes(black_box(7), k.as_bytes());
        }
        let fast = t.elapsed();
        black_box(x);
        let t = Instant::now();
        for k in &keys {
            let mut h = DefaultHasher::new();
            h.write(k.as_bytes());
            x ^= h.finish();
        }
        let sip = t.elapsed();
        black_box(x);
        println!("1M short keys: hash_bytes {fast:?}, SipHash-1-3 {sip:?}");
    }
}
