//! Byte-string equality for the short strings lookups compare all the time
//! (keys, members, command names): up to 16 bytes in two overlapping word
//! comparisons, inline, where `==` on slices calls memcmp (about 50
//! instructions with its setup for a 6-byte key). Longer strings use `==`.

/// The `i`th to `i + 3`th bytes of `s` as a word.
#[inline(always)]
fn word4(s: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]])
}

/// The `i`th to `i + 7`th bytes of `s` as a word.
#[inline(always)]
fn word8(s: &[u8], i: usize) -> u64 {
    u64::from_le_bytes([
        s[i],
        s[i + 1],
        s[i + 2],
        s[i + 3],
        s[i + 4],
        s[i + 5],
        s[i + 6],
        s[i + 7],
    ])
}

/// Whether `a` and `b` hold the same bytes.
#[inline(always)]
pub fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    // Two words, the first from the start and the second ending at the end,
    // cover any length from one word to two.
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4),
        8..=16 => word8(a, 0) == word8(b, 0) && word8(a, n - 8) == word8(b, n - 8),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::same;

    #[test]
    fn same_is_slice_equality() {
        let mut rng = crate::util::rng::Rng::new(5);
        for _ in 0..100_000 {
            let (n, m) = (rng.below(24), rng.below(24));
            let a: Vec<u8> = (0..n).map(|_| b"ab"[rng.below(2)]).collect();
            let mut b: Vec<u8> = (0..m).map(|_| b"ab"[rng.below(2)]).collect();
            assert_eq!(same(&a, &b), a == b, "{a:?} {b:?}");
            // Equal but for one byte.
            b = a.clone();
            if !b.is_empty() {
                let i = rng.below(b.len());
                b[i] ^= 1;
                assert!(!same(&a, &b), "{a:?} {b:?}");
            }
            assert!(same(&a, &a.clone()));
        }
    }
}
