//! LZF compression, the format RDB files use for long strings.
//!
//! The stream is a sequence of items, each starting with a control byte:
//! - `000LLLLL`: a literal run of `L + 1` bytes (1..=32) that follow.
//! - `LLLooooo oooooooo`: a back reference of `L + 2` bytes (L in 1..=6) at
//!   distance `o + 1` (up to 8192) behind the output position.
//! - `111ooooo LLLLLLLL oooooooo`: the same with length `L + 9` (up to 264).
//!
//! A reference may overlap the bytes it produces (a run). Any LZF decoder
//! reads what `compress` writes; `decompress` reads what Redis (liblzf)
//! writes. The compressor is a greedy single-probe hash matcher like liblzf's,
//! so ratios are similar, though the bytes need not be identical.
//!
//! The hash table lives in a thread-local and is never cleared: a stale
//! entry is only a candidate, always checked against the input before use.

use std::cell::RefCell;

const HLOG: u32 = 14;
const MAX_LIT: usize = 32;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3); // 264

thread_local! {
    static TABLE: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

#[inline]
fn hash3(b: &[u8]) -> usize {
    let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
    (v.wrapping_mul(2_654_435_761) >> (32 - HLOG)) as usize
}

fn flush_literals(out: &mut Vec<u8>, lit: &[u8]) {
    for chunk in lit.chunks(MAX_LIT) {
        out.push((chunk.len() - 1) as u8);
        out.extend_from_slice(chunk);
    }
}

/// Appends the compressed form of `input` to `out` and returns true, or
/// returns false (leaving `out` as it was) when it would not be shorter than
/// the input.
pub fn compress(input: &[u8], out: &mut Vec<u8>) -> bool {
    let n = input.len();
    if n < 4 || n >= u32::MAX as usize {
        return false;
    }
    let start = out.len();
    let limit = start + n - 1; // the output must stay shorter than the input
    let ok = TABLE.with(|t| {
        let mut table = t.borrow_mut();
        if table.is_empty() {
            table.resize(1 << HLOG, 0);
        }
        let mut ip = 0usize;
        let mut lit = 0usize;
        while ip + 2 < n {
            let h = hash3(&input[ip..]);
            let cand = table[h] as usize;
            table[h] = (ip + 1) as u32;
            if cand > 0 {
                let r = cand - 1;
                if r < ip && ip - r <= MAX_OFF && input[r..r + 3] == input[ip..ip + 3] {
                    let max = (n - ip).min(MAX_REF);
                    let mut len = 3;
                    while len < max && input[r + len] == input[ip + len] {
                        len += 1;
                    }
                    flush_literals(out, &input[lit..ip]);
                    let off = ip - r - 1;
                    let l = len - 2;
                    if l < 7 {
                        out.push(((l << 5) | (off >> 8)) as u8);
                    } else {
                        out.push(((7 << 5) | (off >> 8)) as u8);
                        out.push((l - 7) as u8);
                    }
                    out.push((off & 0xff) as u8);
                    // Index the positions inside the match too (cheaply: the
                    // last two), so the next repeat finds a nearby candidate.
                    let end = ip + len;
                    for p in end.saturating_sub(2).max(ip + 1)..end {
                        if p + 2 < n {
                            table[hash3(&input[p..])] = (p + 1) as u32;
                        }
                    }
                    ip = end;
                    lit = ip;
                    if out.len() >= limit {
                        return false;
                    }
                    continue;
                }
            }
            ip += 1;
        }
        flush_literals(out, &input[lit..]);
        out.len() < limit + 1
    });
    if !ok {
        out.truncate(start);
    }
    ok
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
