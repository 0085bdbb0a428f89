//! `SmallBytes`: a 16-byte owned byte string, used for keys.
//!
//! Most keys are short, and a `Vec<u8>` costs 24 bytes plus an allocation for
//! each. `SmallBytes` is 16 bytes (so a table entry of key, value and links stays
//! at 40 bytes) and keeps strings of up to `INLINE_CAP` (15) bytes inside itself
//! with no allocation at all. Longer strings live on the heap behind one thin
//! pointer (`Box<Box<[u8]>>`).
//!
//! Safe Rust only: the layout comes from the compiler's niche optimization. The
//! inline length is an enum with 16 values, so its remaining 240 byte values mark
//! the heap variant (and `None` in an `Option<SmallBytes>`, also 16 bytes).
//! Equality, ordering and hashing follow the byte content (and `Hash` matches
//! `[u8]`'s, so `Borrow<[u8]>` lookups in std maps work).

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// Longest string stored inline.
pub const INLINE_CAP: usize = 15;

/// The length of an inline string. An enum rather than a `u8` so the compiler
/// can use the values 16..=255 of its byte as the discriminant of `Repr` (and of
/// `Option<SmallBytes>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum InlineLen {
    L0,
    L1,
    L2,
    L3,
    L4,
    L5,
    L6,
    L7,
    L8,
    L9,
    L10,
    L11,
    L12,
    L13,
    L14,
    L15,
}

const INLINE_LENS: [InlineLen; INLINE_CAP + 1] = [
    InlineLen::L0,
    InlineLen::L1,
    InlineLen::L2,
    InlineLen::L3,
    InlineLen::L4,
    InlineLen::L5,
    InlineLen::L6,
    InlineLen::L7,
    InlineLen::L8,
    InlineLen::L9,
    InlineLen::L10,
    InlineLen::L11,
    InlineLen::L12,
    InlineLen::L13,
    InlineLen::L14,
    InlineLen::L15,
];

#[derive(Clone)]
enum Repr {
    /// `data[..len]` is the string; the rest is zero.
    Inline {
        len: InlineLen,
        data: [u8; INLINE_CAP],
    },
    /// Strings longer than `INLINE_CAP`.
    Heap(Box<Box<[u8]>>),
}

/// An owned byte string of 16 bytes: inline up to 15 bytes, else on the heap.
#[derive(Clone)]
pub struct SmallBytes(Repr);

const _: () = assert!(std::mem::size_of::<SmallBytes>() == 16);
const _: () = assert!(std::mem::size_of::<Option<SmallBytes>>() == 16);

impl SmallBytes {
    /// The empty string.
    pub const fn new() -> Self {
        SmallBytes(Repr::Inline {
            len: InlineLen::L0,
            data: [0; INLINE_CAP],
        })
    }

    /// Copies `s`.
    pub fn from_slice(s: &[u8]) -> Self {
        if s.len() <= INLINE_CAP {
            let mut data = [0u8; INLINE_CAP];
            data[..s.len()].copy_from_slice(s);
            SmallBytes(Repr::Inline {
                len: INLINE_LENS[s.len()],
                data,
            })
        } else {
            SmallBytes(Repr::Heap(Box::new(Box::from(s))))
        }
    }

    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, data } => &data[..*len as usize],
            Repr::Heap(b) => b,
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Inline { len, .. } => *len as usize,
            Repr::Heap(b) => b.len(),
        }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when the string is stored inside the value (no allocation).
    #[inline]
    pub fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline { .. })
    }

    /// Bytes allocated on the heap for this string: 0 when inline, else the
    /// boxed slice header plus the bytes.
    pub fn heap_size(&self) -> usize {
        match &self.0 {
            Repr::Inline { .. } => 0,
            Repr::Heap(b) => std::mem::size_of::<Box<[u8]>>() + b.len(),
        }
    }

    /// The bytes as a `Vec`, reusing the heap buffer of a long string.
    pub fn into_vec(self) -> Vec<u8> {
        match self.0 {
            Repr::Inline { len, data } => data[..len as usize].to_vec(),
            Repr::Heap(b) => (*b).into_vec(),
        }
    }
}

impl Default for SmallBytes {
    fn default() -> Self {
        SmallBytes::new()
    }
}

impl From<&[u8]> for SmallBytes {
    fn from(s: &[u8]) -> Self {
        SmallBytes::from_slice(s)
    }
}

impl From<Vec<u8>> for SmallBytes {
    /// Short strings move inline (the vector is freed); long ones keep the
    /// vector's buffer (shrunk to its length if it had spare capacity).
    fn from(v: Vec<u8>) -> Self {
        if v.len() <= INLINE_CAP {
            SmallBytes::from_slice(&v)
        } else {
            SmallBytes(Repr::Heap(Box::new(v.into_boxed_slice())))
        }
    }
}

impl From<SmallBytes> for Vec<u8> {
    fn from(s: SmallBytes) -> Self {
        s.into_vec()
    }
}

impl Deref for SmallBytes {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for SmallBytes {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for SmallBytes {
    #[inline]
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for SmallBytes {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for SmallBytes {}

impl PartialEq<[u8]> for SmallBytes {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl PartialEq<&[u8]> for SmallBytes {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_slice() == *other
    }
}

impl PartialOrd for SmallBytes {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SmallBytes {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl Hash for SmallBytes {
    /// Hashes exactly as the `[u8]` it holds.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl fmt::Debug for SmallBytes {
    /// `b"..."` with non-printable bytes escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\"", self.as_slice().escape_ascii())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;
    use std::collections::{BTreeSet, HashMap};

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 + 7) as u8).collect()
    }

    fn hash_of<T: Hash + ?Sized>(t: &T) -> u64 {
        let mut h = DefaultHasher::new();
        t.hash(&mut h);
        h.finish()
    }

    #[test]
    fn sizes() {
        assert_eq!(std::mem::size_of::<SmallBytes>(), 16);
        assert_eq!(std::mem::size_of::<Option<SmallBytes>>(), 16);
        assert_eq!(std::mem::size_of::<Option<(SmallBytes, SmallBytes)>>(), 32);
    }

    #[test]
    fn boundary_lengths() {
        for n in [0usize, 1, 14, 15, 16, 17, 100, 1000] {
            let v = bytes(n);
            let s = SmallBytes::from_slice(&v);
            assert_eq!(s.as_slice(), &v[..]);
            assert_eq!(&*s, &v[..]);
            assert_eq!(s.as_ref(), &v[..]);
            assert_eq!(s.len(), n);
            assert_eq!(s.is_empty(), n == 0);
            assert_eq!(s.is_inline(), n <= INLINE_CAP, "len {n}");
            if n <= INLINE_CAP {
                assert_eq!(s.heap_size(), 0);
            } else {
                assert_eq!(s.heap_size(), 16 + n);
            }
            let c = s.clone();
            assert_eq!(c, s);
            assert_eq!(c.is_inline(), s.is_inline());
            assert_eq!(SmallBytes::from(v.clone()), s);
            assert_eq!(SmallBytes::from(&v[..]), s);
            assert_eq!(s.clone().into_vec(), v);
            assert_eq!(Vec::from(s.clone()), v);
            assert_eq!(hash_of(&s), hash_of(&v[..]));
            assert!(s == v[..]);
            assert!(s == v[..]);
        }
    }

    #[test]
    fn from_vec_reuses_long_buffers() {
        let v = bytes(1000);
        let ptr = v.as_ptr();
        let s = SmallBytes::from(v);
        assert!(!s.is_inline());
        assert_eq!(s.as_ptr(), ptr);
        let back = s.into_vec();
        assert_eq!(back.as_ptr(), ptr);
        assert_eq!(back, bytes(1000));
    }

    #[test]
    fn equality_and_order_follow_content() {
        // Inline and heap strings never hold equal content (the form is chosen
        // by length), but comparisons across forms still go by the bytes.
        let inline = SmallBytes::from_slice(b"abcdefghijklmno"); // 15: inline
        let heap = SmallBytes::from_slice(b"abcdefghijklmnop"); // 16: heap
        assert!(inline.is_inline() && !heap.is_inline());
        assert_ne!(inline, heap);
        assert!(inline < heap);
        assert_eq!(inline.cmp(&heap), inline.as_slice().cmp(heap.as_slice()));
        let z = SmallBytes::from_slice(b"z");
        assert!(heap < z);
        assert!(SmallBytes::new() < z);
        assert_eq!(SmallBytes::default(), SmallBytes::from_slice(b""));

        let mut set = BTreeSet::new();
        for w in [&b"b"[..], b"a", b"aaaaaaaaaaaaaaaaaaaa", b"", b"a"] {
            set.insert(SmallBytes::from_slice(w));
        }
        let sorted: Vec<&[u8]> = set.iter().map(|s| s.as_slice()).collect();
        assert_eq!(sorted, vec![&b""[..], b"a", b"aaaaaaaaaaaaaaaaaaaa", b"b"]);
    }

    #[test]
    fn usable_as_map_key_with_slice_lookup() {
        let mut m = HashMap::new();
        m.insert(SmallBytes::from_slice(b"short"), 1);
        m.insert(SmallBytes::from_slice(b"a key longer than fifteen"), 2);
        assert_eq!(m.get(&b"short"[..]), Some(&1));
        assert_eq!(m.get(&b"a key longer than fifteen"[..]), Some(&2));
        assert_eq!(m.get(&b"missing"[..]), None);
    }

    #[test]
    fn debug_escapes() {
        let s = SmallBytes::from_slice(b"a\"b\n\xff");
        assert_eq!(format!("{s:?}"), "b\"a\\\"b\\n\\xff\"");
    }

    #[test]
    fn option_niche() {
        let mut o: Option<SmallBytes> = None;
        assert!(o.is_none());
        o = Some(SmallBytes::from_slice(&bytes(15)));
        assert_eq!(o.as_deref(), Some(&bytes(15)[..]));
        o = Some(SmallBytes::from_slice(&bytes(40)));
        assert_eq!(o.as_deref(), Some(&bytes(40)[..]));
        assert_eq!(o.take().map(|s| s.len()), Some(40));
        assert!(o.is_none());
    }
}
