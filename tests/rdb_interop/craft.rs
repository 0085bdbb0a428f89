//! Writers for RDB files in the older layouts Redis 7.0 still loads (version
//! 9: linked lists, ziplists, zipmaps, quicklists of ziplists, sorted sets
//! with ASCII scores, EXPIRETIME in seconds), built from the formats' public
//! descriptions so the loaders can be compared on them.

/// An RDB length (6-bit, 14-bit or 32-bit form).
pub fn len(out: &mut Vec<u8>, n: usize) {
    if n < 64 {
        out.push(n as u8);
    } else if n < 16384 {
        out.push(0x40 | (n >> 8) as u8);
        out.push(n as u8);
    } else {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// A plain (length-prefixed) RDB string.
pub fn string(out: &mut Vec<u8>, s: &[u8]) {
    len(out, s.len());
    out.extend_from_slice(s);
}

/// A canonical decimal integer (as Redis's string-to-integer test accepts).
fn as_int(s: &[u8]) -> Option<i64> {
    let t = std::str::from_utf8(s).ok()?;
    let v: i64 = t.parse().ok()?;
    (v.to_string() == t).then_some(v)
}

/// One ziplist entry's encoding and data (integers in the smallest integer
/// encoding, the rest as strings).
fn zl_entry_body(e: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    match as_int(e).filter(|_| e.len() <= 32) {
        Some(v @ 0..=12) => b.push(0xf1 + v as u8),
        Some(v) if i8::try_from(v).is_ok() => {
            b.push(0xfe);
            b.push(v as i8 as u8);
        }
        Some(v) if i16::try_from(v).is_ok() => {
            b.push(0xc0);
            b.extend_from_slice(&(v as i16).to_le_bytes());
        }
        Some(v) if (-(1 << 23)..(1 << 23)).contains(&v) => {
            b.push(0xf0);
            b.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        }
        Some(v) if i32::try_from(v).is_ok() => {
            b.push(0xd0);
            b.extend_from_slice(&(v as i32).to_le_bytes());
        }
        Some(v) => {
            b.push(0xe0);
            b.extend_from_slice(&v.to_le_bytes());
        }
        None => {
            let n = e.len();
            if n < 64 {
                b.push(n as u8);
            } else if n < 16384 {
                b.push(0x40 | (n >> 8) as u8);
                b.push(n as u8);
            } else {
                b.push(0x80);
                b.extend_from_slice(&(n as u32).to_be_bytes());
            }
            b.extend_from_slice(e);
        }
    }
    b
}

/// A ziplist of `entries`.
pub fn ziplist(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut prev = 0usize;
    let mut tail = 10usize;
    for e in entries {
        let start = body.len();
        tail = 10 + start;
        if prev < 254 {
            body.push(prev as u8);
        } else {
            body.push(0xfe);
            body.extend_from_slice(&(prev as u32).to_le_bytes());
        }
        body.extend_from_slice(&zl_entry_body(e));
        prev = body.len() - start;
    }
    let total = 10 + body.len() + 1;
    let mut z = Vec::with_capacity(total);
    z.extend_from_slice(&(total as u32).to_le_bytes());
    z.extend_from_slice(&(tail as u32).to_le_bytes());
    z.extend_from_slice(&(entries.len().min(0xffff) as u16).to_le_bytes());
    z.extend_from_slice(&body);
    z.push(0xff);
    z
}

/// A zipmap of `pairs` (lengths under 254, no free bytes).
pub fn zipmap(pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut z = vec![pairs.len().min(254) as u8];
    for (k, v) in pairs {
        assert!(k.len() < 254 && v.len() < 254);
        z.push(k.len() as u8);
        z.extend_from_slice(k);
        z.push(v.len() as u8);
        z.push(0); // free
        z.extend_from_slice(v);
    }
    z.push(0xff);
    z
}

/// An intset of `values` with `width` bytes per element (2, 4 or 8).
pub fn intset(width: u32, values: &[i64]) -> Vec<u8> {
    let mut v = values.to_vec();
    v.sort_unstable();
    let mut z = Vec::new();
    z.extend_from_slice(&width.to_le_bytes());
    z.extend_from_slice(&(v.len() as u32).to_le_bytes());
    for x in v {
        z.extend_from_slice(&x.to_le_bytes()[..width as usize]);
    }
    z
}

/// A score as RDB_TYPE_ZSET (3) writes it: a length byte and ASCII, or 253
/// (nan), 254 (+inf), 255 (-inf).
pub fn old_double(out: &mut Vec<u8>, text: &str) {
    match text {
        "inf" => out.push(254),
        "-inf" => out.push(255),
        _ => {
            out.push(text.len() as u8);
            out.extend_from_slice(text.as_bytes());
        }
    }
}

/// An empty listpack (7 bytes: total size, count 0, end byte).
pub fn empty_listpack() -> Vec<u8> {
    vec![7, 0, 0, 0, 0, 0, 0xff]
}

/// A version 10 file with one string key "good" and then `records` (each a
/// type byte, key and value as written), with its checksum.
pub fn file_with(records: &[(u8, &str, Vec<u8>)]) -> Vec<u8> {
    let mut f = b"REDIS0010".to_vec();
    f.extend_from_slice(&[0xfe, 0x00]);
    f.push(0);
    string(&mut f, b"good");
    string(&mut f, b"ok");
    for (t, k, v) in records {
        f.push(*t);
        string(&mut f, k.as_bytes());
        f.extend_from_slice(v);
    }
    f.push(0xff);
    let crc = crate::crc64(&f);
    f.extend_from_slice(&crc.to_le_bytes());
    f
}
