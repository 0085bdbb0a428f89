//! LZF compression, the format RDB files use for long strings.
//!
//! The stream is a sequence of items, each starting with a control byte:
//! - `000LLLLL`: a literal run of `L + 1` bytes (1..=32) that follow.
//! - `LLLooooo oooooooo`: a back reference of `L + 2` bytes (L in 1..=6) at
//!   distance `o + 1` (up to 8192) behind the output position.
//! - `111ooooo LLLLLLLL oooooooo`: the same with length `L + 9` (up to 264).
//!
//! A reference may overlap the bytes it produces (a run). `decompress`
//! reads any valid stream.
//!
//! `compress` makes the choices liblzf makes as built into Redis (a 2^16
//! slot table hashed on the next three bytes, one probe, greedy matches,
//! the last two positions of a match hashed again, the same output-space
//! checks), so RDB files and DUMP payloads come out byte for byte as
//! Redis's. (Redis leaves its table uninitialized, so in rare cases a stale
//! slot left by an earlier string can give it a match ours, always starting
//! clean, does not take; the output is valid either way.)
//!
//! The table (256 KB, as Redis's) lives in a thread-local and is not
//! cleared per call: each entry holds a position plus the call's base, and
//! entries below the base are from earlier calls, so they read as empty.
//! It is cleared only when the base would pass 2^32 (every 4 GB of input).

use std::cell::RefCell;

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3); // 264

struct Table {
    slots: Vec<u32>,
    /// Added to positions of the current call; grows by each input's length.
    base: u32,
}

thread_local! {
    static TABLE: RefCell<Table> = const { RefCell::new(Table { slots: Vec::new(), base: 1 }) };
}

/// The slot of the three bytes `h` (big-endian in the low 24 bits), as
/// liblzf's "very fast" hash.
#[inline]
fn idx(h: u32) -> usize {
    ((h >> (24 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// Appends one literal byte to the current run, closing the run (its
/// control byte at `run_at`) and opening the next when it is full.
#[inline]
fn push_literal(out: &mut Vec<u8>, b: u8, lit: &mut usize, run_at: &mut usize) {
    *lit += 1;
    out.push(b);
    if *lit == MAX_LIT {
        out[*run_at] = (*lit - 1) as u8;
        *lit = 0;
        *run_at = out.len();
        out.push(0);
    }
}

/// Appends the compressed form of `input` to `out` and returns true, or
/// returns false (leaving `out` as it was) when it would not be shorter than
/// the input.
pub fn compress(input: &[u8], out: &mut Vec<u8>) -> bool {
    compress_within(input, input.len().saturating_sub(1), out)
}

/// Appends the compressed form of `input` to `out` if liblzf would fit it
/// in `out_len` bytes (with its conservative checks: Redis calls it with
/// `len - 4`); else returns false and leaves `out` as it was.
pub fn compress_within(input: &[u8], out_len: usize, out: &mut Vec<u8>) -> bool {
    let n = input.len();
    // Inputs are RDB strings (at most 512 MB); a longer one is stored plain.
    if n == 0 || out_len == 0 || n >= 1 << 31 {
        return false;
    }
    let start = out.len();
    let ok = TABLE.with(|t| {
        let mut t = t.borrow_mut();
        if t.slots.is_empty() {
            t.slots.resize(HSIZE, 0);
        }
        let next = u64::from(t.base) + n as u64 + 1;
        if next > u64::from(u32::MAX) {
            t.slots.iter_mut().for_each(|s| *s = 0);
            t.base = 1;
        }
        let base = t.base;
        t.base = base + n as u32 + 1;
        run(input, out_len, out, &mut t.slots, base)
    });
    if !ok {
        out.truncate(start);
    }
    ok
}

/// The compressor proper. `op` is the output length so far; `run_at` the
/// index of the control byte reserved for the literal run in progress.
fn run(input: &[u8], out_len: usize, out: &mut Vec<u8>, htab: &mut [u32], base: u32) -> bool {
    let n = input.len();
    let start = out.len();
    let op = |out: &Vec<u8>| out.len() - start;
    let mut lit = 0usize;
    let mut run_at = out.len();
    out.push(0); // reserved for the first run's control byte
    let mut ip = 0usize;
    let mut hval: u32 = if n >= 2 {
        (u32::from(input[0]) << 8) | u32::from(input[1])
    } else {
        0
    };
    while ip + 2 < n {
        hval = (hval << 8) | u32::from(input[ip + 2]);
        let slot = idx(hval);
        let stored = htab[slot];
        htab[slot] = base + ip as u32;
        let candidate = stored
            .checked_sub(base)
            .map(|r| r as usize)
            .filter(|&r| r > 0 && r < ip && ip - r - 1 < MAX_OFF);
        if let Some(r) = candidate.filter(|&r| input[r..r + 3] == input[ip..ip + 3]) {
            let off = ip - r - 1;
            let maxlen = (n - ip - 2).min(MAX_REF);
            if op(out) - usize::from(lit == 0) + 4 >= out_len {
                return false;
            }
            // Close the literal run (or drop its unused control byte).
            if lit > 0 {
                out[run_at] = (lit - 1) as u8;
            } else {
                out.pop();
            }
            // The match length, found as liblzf does: 16 unchecked-bound
            // steps when far from the end, then up to `maxlen`.
            let mut len = 2usize;
            let mut done = false;
            if maxlen > 16 {
                for _ in 0..16 {
                    len += 1;
                    if input[r + len] != input[ip + len] {
                        done = true;
                        break;
                    }
                }
            }
            if !done {
                loop {
                    len += 1;
                    if !(len < maxlen && input[r + len] == input[ip + len]) {
                        break;
                    }
                }
            }
            let l = len - 2;
            if l < 7 {
                out.push(((off >> 8) + (l << 5)) as u8);
            } else {
                out.push(((off >> 8) + (7 << 5)) as u8);
                out.push((l - 7) as u8);
            }
            out.push(off as u8);
            lit = 0;
            run_at = out.len();
            out.push(0);
            ip += len;
            if ip + 2 >= n {
                break;
            }
            // Hash the last two positions of the match.
            ip -= 2;
            hval = (u32::from(input[ip]) << 8) | u32::from(input[ip + 1]);
            for _ in 0..2 {
                hval = (hval << 8) | u32::from(input[ip + 2]);
                htab[idx(hval)] = base + ip as u32;
                ip += 1;
            }
        } else {
            if op(out) >= out_len {
                return false;
            }
            push_literal(out, input[ip], &mut lit, &mut run_at);
            ip += 1;
        }
    }
    if op(out) + 3 > out_len {
        return false;
    }
    while ip < n {
        push_literal(out, input[ip], &mut lit, &mut run_at);
        ip += 1;
    }
    if lit > 0 {
        out[run_at] = (lit - 1) as u8;
    } else {
        out.pop();
    }
    true
}

/// Decompresses `input`, which must expand to exactly `out_len` bytes.
/// None for any malformed stream (never reads or writes out of bounds).
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    // A stream expands at most ~132x (a 3-byte item gives 264 bytes); refuse
    // lengths no input could produce before allocating them.
    if out_len / 88 > input.len() + 1 {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            let len = ctrl + 1;
            let lit = input.get(ip..ip + len)?;
            if out.len() + len > out_len {
                return None;
            }
            out.extend_from_slice(lit);
            ip += len;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(ip)? as usize;
                ip += 1;
            }
            len += 2;
            let back = ((ctrl & 0x1f) << 8) + *input.get(ip)? as usize + 1;
            ip += 1;
            if back > out.len() || out.len() + len > out_len {
                return None;
            }
            let from = out.len() - back;
            if back >= len {
                out.extend_from_within(from..from + len);
            } else {
                for i in 0..len {
                    let b = out[from + i];
                    out.push(b);
                }
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) -> Option<usize> {
        let mut c = vec![0xAA]; // appends after what is there
        if !compress(data, &mut c) {
            assert_eq!(c, vec![0xAA]);
            return None;
        }
        assert!(c.len() - 1 < data.len());
        assert_eq!(decompress(&c[1..], data.len()).as_deref(), Some(data));
        Some(c.len() - 1)
    }

    #[test]
    fn round_trips() {
        assert_eq!(round_trip(b""), None);
        assert_eq!(round_trip(b"abc"), None);
        assert_eq!(round_trip(b"abcdefgh"), None);
        assert!(round_trip(&[b'a'; 100]).unwrap() < 10);
        assert!(round_trip(&[0u8; 100_000]).unwrap() < 1200);
        let text = b"the quick brown fox jumps over the lazy dog; ".repeat(50);
        assert!(round_trip(&text).unwrap() < text.len() / 5);
        // Pseudo-random bytes with some repeats, at every size up to 3000.
        let mut x = 0x1234_5678u32;
        let data: Vec<u8> = (0..20_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x % 6) as u8 + b'a'
            })
            .collect();
        for n in (0..3000).step_by(37) {
            round_trip(&data[..n]);
        }
        round_trip(&data);
    }

    #[test]
    fn same_bytes_as_redis() {
        // What redis-server 7.0.15 stores for "a" x 100 and for a repeated
        // sentence (DUMP payloads, LZF part).
        let mut c = Vec::new();
        assert!(compress_within(&[b'a'; 100], 96, &mut c));
        assert_eq!(c, b"\x01aa\xe0W\x00\x01aa");
        let text = b"the quick brown fox jumps over the lazy dog ".repeat(4);
        let mut c = Vec::new();
        assert!(compress_within(&text, text.len() - 4, &mut c));
        assert_eq!(
            c,
            b"\x1fthe quick brown fox jumps over t \x1e\x07lazy dog`\x0c\xe0u+\x01g ".to_vec()
        );
        // Too little room: refused, as liblzf refuses it.
        let mut c = vec![7];
        assert!(!compress_within(b"abcdefghijklmnopqrstuvwxyz", 22, &mut c));
        assert_eq!(c, [7]);
    }

    #[test]
    fn reads_redis_output() {
        // DUMP of a 100-byte "aaa..." string on redis-server 7.0.15:
        // LZF, compressed length 9, original length 100.
        let c = b"\x01aa\xe0W\x00\x01aa";
        assert_eq!(decompress(c, 100), Some(vec![b'a'; 100]));
    }

    #[test]
    fn malformed_is_none() {
        let c = b"\x01aa\xe0W\x00\x01aa";
        assert_eq!(decompress(c, 99), None);
        assert_eq!(decompress(c, 101), None);
        for n in 0..c.len() {
            assert_eq!(decompress(&c[..n], 100), None);
        }
        assert_eq!(decompress(b"\x20\x05", 3), None); // reference before start
        assert_eq!(decompress(b"\x05ab", 6), None); // literal runs past input
        assert_eq!(decompress(b"", 1 << 40), None);
    }
}
