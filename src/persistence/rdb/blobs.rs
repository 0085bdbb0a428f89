//! Redis's packed byte layouts, as they are stored inside RDB strings:
//! listpack (written and read), intset (written and read), and the older
//! ziplist and zipmap (read only; Redis 7.0 loads them from old files).
//!
//! Decoders walk the blob once and hand each element to a callback, so a
//! caller builds its value with no intermediate vector. Every length,
//! offset and count is checked against the blob: a corrupt blob is an
//! `RdbError` (its offset is inside the blob), never a panic or a read out
//! of bounds. A callback error stops the walk and is passed through.
//!
//! Layouts (all integers little endian unless noted):
//! - listpack: `u32 total bytes, u16 count (65535: unknown)`, entries, `0xFF`.
//!   An entry is an encoding byte (and data), then a back-length of 1..5
//!   bytes giving the size of encoding + data, 7 bits a byte, high bits
//!   first, every byte but the first with bit 7 set. Encodings: `0xxxxxxx`
//!   a 7-bit uint; `10xxxxxx` a string up to 63 bytes; `110xxxxx x` a 13-bit
//!   signed int; `1110xxxx x` a string up to 4095 bytes (length big end
//!   first); `0xF1/F2/F3/F4` 16/24/32/64-bit ints; `0xF0` + u32 a longer
//!   string. A string that is a canonical integer is written as an integer.
//! - ziplist: `u32 total bytes, u32 offset of the last entry, u16 count`,
//!   entries, `0xFF`. An entry is the previous entry's size (1 byte, or
//!   `0xFE` + u32), an encoding (`00` 6-bit, `01` 14-bit big-endian, `10` +
//!   u32 big-endian string lengths; `0xC0/D0/E0/F0/FE` int16/32/64/24/8;
//!   `0xF1..=0xFD` the immediate values 0..12), then the data.
//! - intset: `u32 width (2, 4 or 8), u32 count`, the values ascending.
//! - zipmap: `u8 count (254: unknown)`, then key length, key, value length,
//!   a free-space byte, value, free bytes; lengths are 1 byte, or `0xFE` +
//!   u32; `0xFF` ends it.

use super::codec::RdbError;
use crate::util::numbers::{int_digits, parse_i64};

/// One element of a packed layout: a string, or an integer stored as one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl<'a> Elem<'a> {
    /// The element's bytes (an integer as its decimal digits in `tmp`).
    pub fn bytes<'t>(self, tmp: &'t mut [u8; 24]) -> &'t [u8]
    where
        'a: 't,
    {
        match self {
            Elem::Str(s) => s,
            Elem::Int(v) => int_digits(v, tmp),
        }
    }

    /// The integer value if the element is one, or a string that is a
    /// canonical integer.
    pub fn as_i64(self) -> Option<i64> {
        match self {
            Elem::Int(v) => Some(v),
            Elem::Str(s) if s.len() <= 20 => parse_i64(s),
            Elem::Str(_) => None,
        }
    }

    /// Length of the element's string form.
    pub fn str_len(self) -> usize {
        match self {
            Elem::Str(s) => s.len(),
            Elem::Int(v) => crate::util::numbers::i64_len(v),
        }
    }
}

fn bad(offset: usize, what: &str) -> RdbError {
    RdbError {
        offset,
        msg: what.to_string(),
    }
}

fn le_bytes<const N: usize>(b: &[u8], at: usize, what: &str) -> Result<[u8; N], RdbError> {
    let s = b
        .get(at..at.saturating_add(N))
        .ok_or_else(|| bad(at, what))?;
    let mut a = [0u8; N];
    a.copy_from_slice(s);
    Ok(a)
}

// ---------------------------------------------------------------------------
// listpack

const LP_HDR: usize = 6;
const LP_EOF: u8 = 0xFF;
/// The count field's "unknown, walk to count" value.
const LP_COUNT_UNKNOWN: u16 = u16::MAX;

/// Size of the back-length of an entry of `l` bytes.
fn lp_backlen_size(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2_097_151 {
        3
    } else if l < 268_435_455 {
        4
    } else {
        5
    }
}

fn lp_write_backlen(out: &mut Vec<u8>, l: usize) {
    let n = lp_backlen_size(l);
    for i in (0..n).rev() {
        let b = ((l >> (7 * i)) & 127) as u8;
        out.push(if i == n - 1 { b } else { b | 128 });
    }
}

/// Builds a listpack at the end of a buffer. `finish` closes it.
pub struct ListpackWriter<'o> {
    out: &'o mut Vec<u8>,
    start: usize,
    count: usize,
}

impl<'o> ListpackWriter<'o> {
    pub fn new(out: &'o mut Vec<u8>) -> Self {
        let start = out.len();
        out.extend_from_slice(&[0; LP_HDR]);
        ListpackWriter {
            out,
            start,
            count: 0,
        }
    }

    /// Appends a string (as an integer when it is a canonical one).
    pub fn push_str(&mut self, s: &[u8]) {
        match Elem::Str(s).as_i64() {
            Some(v) => self.push_int(v),
            None => {
                let l = s.len();
                let before = self.out.len();
                if l < 64 {
                    self.out.push(0x80 | l as u8);
                } else if l < 4096 {
                    self.out.push(0xE0 | (l >> 8) as u8);
                    self.out.push(l as u8);
                } else {
                    self.out.push(0xF0);
                    self.out.extend_from_slice(&(l as u32).to_le_bytes());
                }
                self.out.extend_from_slice(s);
                let size = self.out.len() - before;
                lp_write_backlen(self.out, size);
                self.count += 1;
            }
        }
    }

    pub fn push_int(&mut self, v: i64) {
        let before = self.out.len();
        if (0..=127).contains(&v) {
            self.out.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u16) & 0x1fff;
            self.out.push(0xC0 | (u >> 8) as u8);
            self.out.push(u as u8);
        } else if let Ok(h) = i16::try_from(v) {
            self.out.push(0xF1);
            self.out.extend_from_slice(&h.to_le_bytes());
        } else if (-(1 << 23)..(1 << 23)).contains(&v) {
            self.out.push(0xF2);
            self.out.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if let Ok(w) = i32::try_from(v) {
            self.out.push(0xF3);
            self.out.extend_from_slice(&w.to_le_bytes());
        } else {
            self.out.push(0xF4);
            self.out.extend_from_slice(&v.to_le_bytes());
        }
        let size = self.out.len() - before;
        lp_write_backlen(self.out, size);
        self.count += 1;
    }

    pub fn push(&mut self, e: Elem) {
        match e {
            Elem::Str(s) => self.push_str(s),
            Elem::Int(v) => self.push_int(v),
        }
    }

    /// Number of elements pushed so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Writes the end byte and the header.
    pub fn finish(self) {
        self.out.push(LP_EOF);
        let total = (self.out.len() - self.start) as u32;
        let count = u16::try_from(self.count).unwrap_or(LP_COUNT_UNKNOWN);
        let h = &mut self.out[self.start..self.start + LP_HDR];
        h[..4].copy_from_slice(&total.to_le_bytes());
        h[4..].copy_from_slice(&count.to_le_bytes());
    }
}

/// Writes a whole listpack of `items` at the end of `out`.
pub fn listpack_encode<'a>(out: &mut Vec<u8>, items: impl IntoIterator<Item = Elem<'a>>) {
    let mut w = ListpackWriter::new(out);
    for e in items {
        w.push(e);
    }
    w.finish();
}

/// Walks a listpack, validating it all; returns the element count.
pub fn listpack_for_each<'a>(
    blob: &'a [u8],
    mut f: impl FnMut(Elem<'a>) -> Result<(), RdbError>,
) -> Result<usize, RdbError> {
    const W: &str = "invalid listpack";
    if blob.len() < LP_HDR + 1 {
        return Err(bad(0, "listpack too short"));
    }
    let total = u32::from_le_bytes(le_bytes(blob, 0, W)?) as usize;
    if total != blob.len() {
        return Err(bad(0, "listpack size does not match its header"));
    }
    let count = u16::from_le_bytes(le_bytes(blob, 4, W)?);
    let mut p = LP_HDR;
    let mut n = 0usize;
    loop {
        let b = *blob
            .get(p)
            .ok_or_else(|| bad(p, "listpack without end byte"))?;
        if b == LP_EOF {
            if p != blob.len() - 1 {
                return Err(bad(p, "listpack end byte before its end"));
            }
            break;
        }
        let (elem, size) = lp_entry(blob, p)?;
        let bl = lp_backlen_size(size);
        let back = blob
            .get(p + size..p + size + bl)
            .ok_or_else(|| bad(p, "listpack entry out of bounds"))?;
        let mut v = 0usize;
        for (i, &c) in back.iter().enumerate() {
            if (i == 0) != (c & 128 == 0) {
                return Err(bad(p + size, "invalid listpack back-length"));
            }
            v = (v << 7) | usize::from(c & 127);
        }
        if v != size {
            return Err(bad(p + size, "listpack back-length does not match entry"));
        }
        f(elem)?;
        n += 1;
        p += size + bl;
    }
    if count != LP_COUNT_UNKNOWN && usize::from(count) != n {
        return Err(bad(4, "listpack count does not match its entries"));
    }
    Ok(n)
}

/// Decodes the entry at `p`: the element and the size of encoding + data.
fn lp_entry(blob: &[u8], p: usize) -> Result<(Elem<'_>, usize), RdbError> {
    const W: &str = "listpack entry out of bounds";
    let b = blob[p];
    let byte = |i: usize| blob.get(p + i).copied().ok_or_else(|| bad(p, W));
    let string = |hdr: usize, len: usize| {
        let s = blob
            .get(p + hdr..(p + hdr).saturating_add(len))
            .ok_or_else(|| bad(p, W))?;
        Ok((Elem::Str(s), hdr + len))
    };
    if b & 0x80 == 0 {
        Ok((Elem::Int(i64::from(b)), 1))
    } else if b & 0xC0 == 0x80 {
        string(1, usize::from(b & 0x3f))
    } else if b & 0xE0 == 0xC0 {
        let u = (i64::from(b & 0x1f) << 8) | i64::from(byte(1)?);
        let v = if u >= 1 << 12 { u - (1 << 13) } else { u };
        Ok((Elem::Int(v), 2))
    } else if b & 0xF0 == 0xE0 {
        string(2, (usize::from(b & 0x0f) << 8) | usize::from(byte(1)?))
    } else {
        match b {
            0xF0 => {
                let l = u32::from_le_bytes(le_bytes(blob, p + 1, W)?) as usize;
                string(5, l)
            }
            0xF1 => Ok((
                Elem::Int(i64::from(i16::from_le_bytes(le_bytes(blob, p + 1, W)?))),
                3,
            )),
            0xF2 => {
                let a: [u8; 3] = le_bytes(blob, p + 1, W)?;
                let v = i32::from_le_bytes([0, a[0], a[1], a[2]]) >> 8;
                Ok((Elem::Int(i64::from(v)), 4))
            }
            0xF3 => Ok((
                Elem::Int(i64::from(i32::from_le_bytes(le_bytes(blob, p + 1, W)?))),
                5,
            )),
            0xF4 => Ok((Elem::Int(i64::from_le_bytes(le_bytes(blob, p + 1, W)?)), 9)),
            _ => Err(bad(p, "invalid listpack entry encoding")),
        }
    }
}

// ---------------------------------------------------------------------------
// ziplist (load only)

const ZL_HDR: usize = 10;

/// Walks a ziplist, validating it all; returns the element count.
pub fn ziplist_for_each<'a>(
    blob: &'a [u8],
    mut f: impl FnMut(Elem<'a>) -> Result<(), RdbError>,
) -> Result<usize, RdbError> {
    const W: &str = "ziplist entry out of bounds";
    if blob.len() < ZL_HDR + 1 {
        return Err(bad(0, "ziplist too short"));
    }
    let total = u32::from_le_bytes(le_bytes(blob, 0, W)?) as usize;
    if total != blob.len() {
        return Err(bad(0, "ziplist size does not match its header"));
    }
    let tail = u32::from_le_bytes(le_bytes(blob, 4, W)?) as usize;
    let count = u16::from_le_bytes(le_bytes(blob, 8, W)?);
    let mut p = ZL_HDR;
    let mut prev_size = 0usize;
    let mut last = ZL_HDR;
    let mut n = 0usize;
    loop {
        let b = *blob
            .get(p)
            .ok_or_else(|| bad(p, "ziplist without end byte"))?;
        if b == 0xFF {
            if p != blob.len() - 1 {
                return Err(bad(p, "ziplist end byte before its end"));
            }
            break;
        }
        let start = p;
        let prevlen = if b < 0xFE {
            p += 1;
            usize::from(b)
        } else if b == 0xFE {
            let v = u32::from_le_bytes(le_bytes(blob, p + 1, W)?) as usize;
            p += 5;
            v
        } else {
            return Err(bad(p, "invalid ziplist prevlen"));
        };
        if prevlen != prev_size {
            return Err(bad(start, "ziplist prevlen does not match"));
        }
        let e = *blob.get(p).ok_or_else(|| bad(p, W))?;
        let (elem, size) = match e >> 6 {
            0..=2 => {
                let (hdr, len) = match e >> 6 {
                    0 => (1, usize::from(e & 0x3f)),
                    1 => {
                        let lo = *blob.get(p + 1).ok_or_else(|| bad(p, W))?;
                        (2, (usize::from(e & 0x3f) << 8) | usize::from(lo))
                    }
                    _ => (5, u32::from_be_bytes(le_bytes(blob, p + 1, W)?) as usize),
                };
                let s = blob
                    .get(p + hdr..(p + hdr).saturating_add(len))
                    .ok_or_else(|| bad(p, W))?;
                (Elem::Str(s), hdr + len)
            }
            _ => match e {
                0xC0 => (
                    Elem::Int(i64::from(i16::from_le_bytes(le_bytes(blob, p + 1, W)?))),
                    3,
                ),
                0xD0 => (
                    Elem::Int(i64::from(i32::from_le_bytes(le_bytes(blob, p + 1, W)?))),
                    5,
                ),
                0xE0 => (Elem::Int(i64::from_le_bytes(le_bytes(blob, p + 1, W)?)), 9),
                0xF0 => {
                    let a: [u8; 3] = le_bytes(blob, p + 1, W)?;
                    let v = i32::from_le_bytes([0, a[0], a[1], a[2]]) >> 8;
                    (Elem::Int(i64::from(v)), 4)
                }
                0xFE => {
                    let a: [u8; 1] = le_bytes(blob, p + 1, W)?;
                    (Elem::Int(i64::from(a[0] as i8)), 2)
                }
                0xF1..=0xFD => (Elem::Int(i64::from(e & 0x0f) - 1), 1),
                _ => return Err(bad(p, "invalid ziplist entry encoding")),
            },
        };
        p += size;
        if p >= blob.len() {
            return Err(bad(start, W));
        }
        f(elem)?;
        n += 1;
        last = start;
        prev_size = p - start;
    }
    if tail != last {
        return Err(bad(4, "ziplist tail offset does not match"));
    }
    if count != u16::MAX && usize::from(count) != n {
        return Err(bad(8, "ziplist count does not match its entries"));
    }
    Ok(n)
}

// ---------------------------------------------------------------------------
// intset

/// Writes an intset of the `len` values of `items` (ascending, distinct,
/// from `min` to `max`) at the end of `out`, in the narrowest width that
/// holds them all, as Redis picks it.
pub fn intset_encode(
    out: &mut Vec<u8>,
    len: usize,
    min: i64,
    max: i64,
    items: impl IntoIterator<Item = i64>,
) {
    let fits16 = |v: i64| i16::try_from(v).is_ok();
    let fits32 = |v: i64| i32::try_from(v).is_ok();
    let width: usize = if fits16(min) && fits16(max) {
        2
    } else if fits32(min) && fits32(max) {
        4
    } else {
        8
    };
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.reserve(len * width);
    for v in items {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
}

/// Walks an intset, checking its size and that it is strictly ascending;
/// returns the element count.
pub fn intset_for_each(
    blob: &[u8],
    mut f: impl FnMut(i64) -> Result<(), RdbError>,
) -> Result<usize, RdbError> {
    const W: &str = "intset too short";
    let width = u32::from_le_bytes(le_bytes(blob, 0, W)?) as usize;
    let count = u32::from_le_bytes(le_bytes(blob, 4, W)?) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err(bad(0, "invalid intset encoding"));
    }
    if count.checked_mul(width).and_then(|s| s.checked_add(8)) != Some(blob.len()) {
        return Err(bad(4, "intset size does not match its header"));
    }
    let mut prev = None;
    for (i, c) in blob[8..].chunks_exact(width).enumerate() {
        let v = match width {
            2 => i64::from(i16::from_le_bytes([c[0], c[1]])),
            4 => i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            _ => i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
        };
        if prev.is_some_and(|p| p >= v) {
            return Err(bad(8 + i * width, "intset not sorted or has duplicates"));
        }
        prev = Some(v);
        f(v)?;
    }
    Ok(count)
}

// ---------------------------------------------------------------------------
// zipmap (load only)

/// Walks a zipmap, validating it all; returns the number of pairs.
pub fn zipmap_for_each<'a>(
    blob: &'a [u8],
    mut f: impl FnMut(&'a [u8], &'a [u8]) -> Result<(), RdbError>,
) -> Result<usize, RdbError> {
    const W: &str = "zipmap entry out of bounds";
    let count = *blob.first().ok_or_else(|| bad(0, "zipmap too short"))?;
    let mut p = 1usize;
    // A length, or None at the end marker.
    let read_len = |p: &mut usize| -> Result<Option<usize>, RdbError> {
        let b = *blob.get(*p).ok_or_else(|| bad(*p, W))?;
        match b {
            0xFF => Ok(None),
            0xFE => {
                let v = u32::from_le_bytes(le_bytes(blob, *p + 1, W)?) as usize;
                *p += 5;
                Ok(Some(v))
            }
            _ => {
                *p += 1;
                Ok(Some(usize::from(b)))
            }
        }
    };
    let take = |p: &mut usize, n: usize| -> Result<&'a [u8], RdbError> {
        let s = blob
            .get(*p..(*p).saturating_add(n))
            .ok_or_else(|| bad(*p, W))?;
        *p += n;
        Ok(s)
    };
    let mut n = 0usize;
    while let Some(klen) = read_len(&mut p)? {
        let key = take(&mut p, klen)?;
        let vlen = read_len(&mut p)?.ok_or_else(|| bad(p, "zipmap key without value"))?;
        let free = usize::from(take(&mut p, 1)?[0]);
        let val = take(&mut p, vlen)?;
        take(&mut p, free)?;
        f(key, val)?;
        n += 1;
    }
    if p != blob.len() - 1 {
        return Err(bad(p, "zipmap end byte before its end"));
    }
    if count < 254 && usize::from(count) != n {
        return Err(bad(0, "zipmap count does not match its entries"));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lp_items(blob: &[u8]) -> Result<Vec<Elem<'_>>, RdbError> {
        let mut v = Vec::new();
        listpack_for_each(blob, |e| {
            v.push(e);
            Ok(())
        })?;
        Ok(v)
    }

    fn zl_items(blob: &[u8]) -> Result<Vec<Elem<'_>>, RdbError> {
        let mut v = Vec::new();
        ziplist_for_each(blob, |e| {
            v.push(e);
            Ok(())
        })?;
        Ok(v)
    }

    #[test]
    fn listpack_round_trip_every_encoding() {
        let s63 = vec![b'x'; 63];
        let s64 = vec![b'y'; 64];
        let s4095 = vec![b'z'; 4095];
        let s4096 = vec![b'w'; 4096];
        let s20000 = vec![b'v'; 20000];
        let ints = [
            0,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -4097,
            32767,
            -32768,
            32768,
            8_388_607,
            -8_388_608,
            8_388_608,
            i32::MAX as i64,
            i32::MIN as i64,
            i32::MAX as i64 + 1,
            i64::MAX,
            i64::MIN,
        ];
        let mut items: Vec<Elem> = ints.iter().map(|&v| Elem::Int(v)).collect();
        for s in [
            &b""[..],
            b"a",
            &s63,
            &s64,
            &s4095,
            &s4096,
            &s20000,
            b"-0",
            b"01",
        ] {
            items.push(Elem::Str(s));
        }
        let mut blob = vec![0xAB];
        listpack_encode(&mut blob, items.iter().copied());
        let blob = &blob[1..];
        assert_eq!(lp_items(blob).unwrap(), items);
        // Canonical integers given as strings are stored as integers.
        let mut b2 = Vec::new();
        listpack_encode(&mut b2, [Elem::Str(b"123"), Elem::Str(b"-70000")]);
        assert_eq!(lp_items(&b2).unwrap(), [Elem::Int(123), Elem::Int(-70000)]);
        // Every truncation and a sample of byte flips fail cleanly.
        for cut in 0..blob.len().min(300) {
            assert!(lp_items(&blob[..cut]).is_err());
        }
    }

    #[test]
    fn listpack_from_redis() {
        // The listpack inside DUMP of HSET h a 1 b hello on redis-server
        // 7.0.15: total 22, count 4, "a" 1 "b" "hello".
        let blob = b"\x16\x00\x00\x00\x04\x00\x81a\x02\x01\x01\x81b\x02\x85hello\x06\xff";
        assert_eq!(
            lp_items(blob).unwrap(),
            [
                Elem::Str(b"a"),
                Elem::Int(1),
                Elem::Str(b"b"),
                Elem::Str(b"hello")
            ]
        );
        let mut ours = Vec::new();
        listpack_encode(&mut ours, lp_items(blob).unwrap());
        assert_eq!(ours, blob);
        // A wrong count, a wrong back-length.
        let mut b = blob.to_vec();
        b[4] = 3;
        assert!(lp_items(&b).is_err());
        let mut b = blob.to_vec();
        b[8] = 3;
        assert!(lp_items(&b).is_err());
    }

    #[test]
    fn ziplist_from_redis_layout() {
        // A ziplist of "a", 1, "hello", 300, 5000000, -5, 12, 13
        // built by hand after Redis's layout.
        let mut z = vec![0u8; 10];
        let mut prev = 0usize;
        let mut last = 10;
        let entries: [&[u8]; 8] = [
            b"\x01a",
            b"\xf2",
            b"\x05hello",
            b"\xc0\x2c\x01",
            b"\xf0\x40\x4b\x4c",
            b"\xfe\xfb",
            b"\xfd",
            b"\xfe\x0d",
        ];
        for e in entries {
            last = z.len();
            z.push(prev as u8);
            z.extend_from_slice(e);
            prev = 1 + e.len();
        }
        z.push(0xFF);
        let len = z.len() as u32;
        z[0..4].copy_from_slice(&len.to_le_bytes());
        z[4..8].copy_from_slice(&(last as u32).to_le_bytes());
        z[8..10].copy_from_slice(&8u16.to_le_bytes());
        assert_eq!(
            zl_items(&z).unwrap(),
            [
                Elem::Str(b"a"),
                Elem::Int(1),
                Elem::Str(b"hello"),
                Elem::Int(300),
                Elem::Int(5_000_000),
                Elem::Int(-5),
                Elem::Int(12),
                Elem::Int(13)
            ]
        );
        for cut in 0..z.len() {
            assert!(zl_items(&z[..cut]).is_err());
        }
        let mut bad_tail = z.clone();
        bad_tail[4] ^= 1;
        assert!(zl_items(&bad_tail).is_err());
        let mut bad_prev = z.clone();
        bad_prev[13] = 9;
        assert!(zl_items(&bad_prev).is_err());
    }

    #[test]
    fn intset_widths_as_redis() {
        let enc = |v: &[i64]| {
            let mut o = Vec::new();
            let (lo, hi) = (v.first().copied(), v.last().copied());
            intset_encode(
                &mut o,
                v.len(),
                lo.unwrap_or(0),
                hi.unwrap_or(0),
                v.iter().copied(),
            );
            o
        };
        // DUMP of SADD s 1 2 3 on redis-server 7.0.15 holds this intset.
        assert_eq!(
            enc(&[1, 2, 3]),
            b"\x02\x00\x00\x00\x03\x00\x00\x00\x01\x00\x02\x00\x03\x00"
        );
        assert_eq!(enc(&[-40000, 1])[0], 4);
        assert_eq!(enc(&[1, 1 << 40])[0], 8);
        for vals in [&[][..], &[5], &[-32768, 32767], &[i64::MIN, 0, i64::MAX]] {
            let b = enc(vals);
            let mut got = Vec::new();
            assert_eq!(
                intset_for_each(&b, |v| {
                    got.push(v);
                    Ok(())
                })
                .unwrap(),
                vals.len()
            );
            assert_eq!(got, vals);
            for cut in 0..b.len() {
                assert!(intset_for_each(&b[..cut], |_| Ok(())).is_err());
            }
        }
        assert!(intset_for_each(&enc(&[2, 1]), |_| Ok(())).is_err());
        assert!(intset_for_each(&enc(&[1, 1]), |_| Ok(())).is_err());
        assert!(intset_for_each(b"\x03\0\0\0\0\0\0\0", |_| Ok(())).is_err());
    }

    #[test]
    fn zipmap_layout() {
        // {"foo": "bar", "k": "v"} with 2 free bytes after "bar".
        let z = b"\x02\x03foo\x03\x02bar\x00\x00\x01k\x01\x00v\xff";
        let mut got = Vec::new();
        assert_eq!(
            zipmap_for_each(z, |k, v| {
                got.push((k.to_vec(), v.to_vec()));
                Ok(())
            })
            .unwrap(),
            2
        );
        assert_eq!(
            got,
            [
                (b"foo".to_vec(), b"bar".to_vec()),
                (b"k".to_vec(), b"v".to_vec())
            ]
        );
        for cut in 0..z.len() {
            assert!(zipmap_for_each(&z[..cut], |_, _| Ok(())).is_err());
        }
        let mut wrong = z.to_vec();
        wrong[0] = 3;
        assert!(zipmap_for_each(&wrong, |_, _| Ok(())).is_err());
    }
}
