//! `SmallBytes`: a 24-byte owned byte string, used for keys and for the
//! members of large hashes, sets and sorted sets.
//!
//! Most keys are short, and a `Vec<u8>` costs 24 bytes plus an allocation for
//! each. `SmallBytes` is 24 bytes (a table entry of key, value and links is 48
//! bytes) and keeps strings of up to `INLINE_CAP` (23) bytes inside itself
//! with no allocation at all. 23 rather than 15: keys such as
//! `key:000000012345` or `user:1234:session` and members such as
//! `element:000000012345` are then read from the table entry itself; a heap
//! key costs a third cache miss on every lookup that reaches it (the profile
//! of GET/HSET/SADD at -P 16 showed the three misses, bucket, entry, key
//! block, as a third to a half of the server's CPU time). Longer strings live on the heap behind one thin
//! pointer to a single block holding the length and then the bytes
//! (`HeapStr`), so reading a long key costs one memory access, not two (a
//! `Box<Box<[u8]>>` would first load the fat pointer, then the bytes: a
//! second cache miss on every lookup that reaches the key).
//!
//! The layout comes from the compiler's niche optimization: the inline
//! length is an enum with 24 values, so its remaining 232 byte values mark
//! the heap variant (and `None` in an `Option<SmallBytes>`, also 24 bytes).
//! The only unsafe code is `HeapStr`'s allocation, reads and free.
//! Equality, ordering and hashing follow the byte content (and `Hash` matches
//! `[u8]`'s, so `Borrow<[u8]>` lookups in std maps work).

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// Longest string stored inline.
pub const INLINE_CAP: usize = 23;

/// The length of an inline string. An enum rather than a `u8` so the compiler
/// can use the values 24..=255 of its byte as the discriminant of `Repr` (and of
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
    L16,
    L17,
    L18,
    L19,
    L20,
    L21,
    L22,
    L23,
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
    InlineLen::L16,
    InlineLen::L17,
    InlineLen::L18,
    InlineLen::L19,
    InlineLen::L20,
    InlineLen::L21,
    InlineLen::L22,
    InlineLen::L23,
];

#[derive(Clone)]
enum Repr {
    /// `data[..len]` is the string; the rest is zero.
    Inline {
        len: InlineLen,
        data: [u8; INLINE_CAP],
    },
    /// Strings longer than `INLINE_CAP`.
    Heap(HeapStr),
}

/// Bytes of the length header of a `HeapStr` block.
const HEAP_HEADER: usize = std::mem::size_of::<usize>();

/// An owned byte string in one heap block: `[len: usize][bytes]`, named by
/// a thin pointer.
struct HeapStr(std::ptr::NonNull<u8>);

// SAFETY: a HeapStr owns its block exclusively (like a Box<[u8]>).
unsafe impl Send for HeapStr {}
unsafe impl Sync for HeapStr {}

impl HeapStr {
    fn layout(len: usize) -> Layout {
        Layout::from_size_align(HEAP_HEADER + len, std::mem::align_of::<usize>())
            .unwrap_or_else(|_| panic!("HeapStr: {len} bytes is too long"))
    }

    fn new(s: &[u8]) -> HeapStr {
        let layout = HeapStr::layout(s.len());
        // SAFETY: the layout is non-zero-sized (it holds the header); the
        // header is written aligned and the bytes copied within the block.
        unsafe {
            let p = alloc(layout);
            let Some(p) = std::ptr::NonNull::new(p) else {
                handle_alloc_error(layout)
            };
            (p.as_ptr() as *mut usize).write(s.len());
            std::ptr::copy_nonoverlapping(s.as_ptr(), p.as_ptr().add(HEAP_HEADER), s.len());
            HeapStr(p)
        }
    }

    #[inline]
    fn len(&self) -> usize {
        // SAFETY: the block starts with the aligned length written by `new`.
        unsafe { (self.0.as_ptr() as *const usize).read() }
    }

    #[inline]
    fn as_slice(&self) -> &[u8] {
        // SAFETY: `len` bytes follow the header inside the block, which lives
        // as long as `self`.
        unsafe { std::slice::from_raw_parts(self.0.as_ptr().add(HEAP_HEADER), self.len()) }
    }
}

impl Drop for HeapStr {
    fn drop(&mut self) {
        // SAFETY: the block was allocated by `new` with this same layout.
        unsafe { dealloc(self.0.as_ptr(), HeapStr::layout(self.len())) }
    }
}

impl Clone for HeapStr {
    fn clone(&self) -> HeapStr {
        HeapStr::new(self.as_slice())
    }
}

/// An owned byte string of 24 bytes: inline up to 23 bytes, else on the heap.
#[derive(Clone)]
pub struct SmallBytes(Repr);

const _: () = assert!(std::mem::size_of::<SmallBytes>() == 24);
const _: () = assert!(std::mem::size_of::<Option<SmallBytes>>() == 24);

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
            SmallBytes(Repr::Heap(HeapStr::new(s)))
        }
    }

    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, data } => &data[..*len as usize],
            Repr::Heap(b) => b.as_slice(),
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
    /// length header plus the bytes.
    pub fn heap_size(&self) -> usize {
        match &self.0 {
            Repr::Inline { .. } => 0,
            Repr::Heap(b) => HEAP_HEADER + b.len(),
        }
    }

    /// The bytes as a `Vec` (a copy).
    pub fn into_vec(self) -> Vec<u8> {
        match self.0 {
            Repr::Inline { len, data } => data[..len as usize].to_vec(),
            Repr::Heap(b) => b.as_slice().to_vec(),
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
    /// A copy of the bytes (a long string gets its own exact block).
    fn from(v: Vec<u8>) -> Self {
        SmallBytes::from_slice(&v)
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
        assert_eq!(std::mem::size_of::<SmallBytes>(), 24);
        assert_eq!(std::mem::size_of::<Option<SmallBytes>>(), 24);
        assert_eq!(std::mem::size_of::<Option<(SmallBytes, SmallBytes)>>(), 48);
    }

    #[test]
    fn boundary_lengths() {
        for n in [0usize, 1, 14, 15, 16, 17, 22, 23, 24, 25, 100, 1000] {
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
                assert_eq!(s.heap_size(), 8 + n);
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
    fn long_strings_round_trip_through_one_block() {
        for n in [24, 25, 1000, 1 << 16] {
            let s = SmallBytes::from(bytes(n));
            assert!(!s.is_inline());
            let c = s.clone();
            assert_ne!(c.as_ptr(), s.as_ptr());
            assert_eq!(s.into_vec(), bytes(n));
            assert_eq!(c.as_slice(), &bytes(n)[..]);
        }
    }

    #[test]
    fn equality_and_order_follow_content() {
        // Inline and heap strings never hold equal content (the form is chosen
        // by length), but comparisons across forms still go by the bytes.
        let inline = SmallBytes::from_slice(b"abcdefghijklmno"); // 15: inline
        let heap = SmallBytes::from_slice(b"abcdefghijklmnopqrstuvwx"); // 24: heap
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
