//! Enough of the RDB format to split a file into its header, AUX fields,
//! SELECTDB/RESIZEDB and per-key records, and the tests that compare
//! ferrodis's files with Redis's byte for byte on that basis.

use std::collections::BTreeMap;

use super::*;

/// An RDB file split into its parts (enough of the format to find every
/// record's bounds; streams and modules are not generated here).
#[derive(Debug, Default)]
pub struct Layout {
    pub header: Vec<u8>,
    /// AUX fields in file order.
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    /// Per SELECTDB: RESIZEDB (keys, keys with a TTL) if present.
    pub resize: BTreeMap<u64, (u64, u64)>,
    /// (db, key as stored) -> record.
    pub records: BTreeMap<(u64, Vec<u8>), Record>,
    /// The opcodes in order, one per record or field (AUX, SELECTDB, ...,
    /// "key" for a record), with consecutive records counted as one.
    pub shape: Vec<String>,
}

/// (expire opcode and its bytes and/or IDLE/FREQ markers, type byte, value
/// bytes).
pub type Record = (Vec<u8>, u8, Vec<u8>);

/// The bytes of a stored key (plain, not int- or LZF-encoded, as keys are).
pub fn stored_key(stored: &[u8]) -> &[u8] {
    let mut c = Cursor { b: stored, at: 0 };
    match c.len_or_enc() {
        Ok(_) => &stored[c.at..],
        Err(_) => stored,
    }
}

pub struct Cursor<'a> {
    pub b: &'a [u8],
    pub at: usize,
}

impl<'a> Cursor<'a> {
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        assert!(
            self.at + n <= self.b.len(),
            "RDB ends inside a field at {}",
            self.at
        );
        let s = &self.b[self.at..self.at + n];
        self.at += n;
        s
    }
    pub fn u8(&mut self) -> u8 {
        self.take(1)[0]
    }
    /// A length, or `Err(special)` for the string encodings 0..3.
    pub fn len_or_enc(&mut self) -> Result<u64, u8> {
        let b = self.u8();
        match b >> 6 {
            0 => Ok(u64::from(b & 0x3f)),
            1 => Ok(u64::from(b & 0x3f) << 8 | u64::from(self.u8())),
            2 if b == 0x80 => Ok(u64::from(u32::from_be_bytes(
                self.take(4).try_into().unwrap(),
            ))),
            2 if b == 0x81 => Ok(u64::from_be_bytes(self.take(8).try_into().unwrap())),
            3 => Err(b & 0x3f),
            _ => panic!("bad length byte {b:#x} at {}", self.at - 1),
        }
    }
    pub fn len(&mut self) -> u64 {
        self.len_or_enc().expect("a plain length")
    }
    /// A string as stored (its raw bytes, encoding included).
    pub fn string(&mut self) -> Vec<u8> {
        let start = self.at;
        match self.len_or_enc() {
            Ok(n) => {
                self.take(n as usize);
            }
            Err(0) => {
                self.take(1);
            }
            Err(1) => {
                self.take(2);
            }
            Err(2) => {
                self.take(4);
            }
            Err(3) => {
                let clen = self.len();
                self.len();
                self.take(clen as usize);
            }
            Err(e) => panic!("unknown string encoding {e} at {start}"),
        }
        self.b[start..self.at].to_vec()
    }
    /// Skips one value of RDB type `t`; returns its bytes.
    pub fn value(&mut self, t: u8) -> Vec<u8> {
        let start = self.at;
        match t {
            0 | 9..=13 | 16 | 17 => {
                self.string();
            }
            1 | 2 | 14 => {
                for _ in 0..self.len() {
                    self.string();
                }
            }
            4 => {
                for _ in 0..2 * self.len() {
                    self.string();
                }
            }
            3 => {
                for _ in 0..self.len() {
                    self.string();
                    let n = self.u8();
                    if n < 253 {
                        self.take(n as usize);
                    }
                }
            }
            5 => {
                for _ in 0..self.len() {
                    self.string();
                    self.take(8);
                }
            }
            18 => {
                for _ in 0..self.len() {
                    self.len();
                    self.string();
                }
            }
            _ => panic!(
                "type {t} not handled by this test's parser (at {})",
                start - 1
            ),
        }
        self.b[start..self.at].to_vec()
    }
}

pub fn layout(b: &[u8]) -> Layout {
    let mut l = Layout {
        header: b[..9].to_vec(),
        ..Layout::default()
    };
    let mut c = Cursor { b, at: 9 };
    let mut db = 0;
    // The opcodes before a record: expiry (with its bytes), IDLE, FREQ.
    let mut expire: Vec<u8> = Vec::new();
    loop {
        let op = c.u8();
        let name = match op {
            250 => {
                let k = c.string();
                let v = c.string();
                l.aux.push((k, v));
                "AUX".to_string()
            }
            251 => {
                let keys = c.len();
                let ttls = c.len();
                l.resize.insert(db, (keys, ttls));
                "RESIZEDB".to_string()
            }
            252 => {
                expire = [&[252][..], c.take(8)].concat();
                continue;
            }
            253 => {
                expire = [&[253][..], c.take(4)].concat();
                continue;
            }
            // IDLE and FREQ (LRU/LFU policies): kept as a marker without
            // their value, which depends on the time.
            248 => {
                c.len();
                expire.push(248);
                continue;
            }
            249 => {
                c.u8();
                expire.push(249);
                continue;
            }
            254 => {
                db = c.len();
                format!("SELECTDB {db}")
            }
            255 => {
                l.shape.push("EOF".to_string());
                break;
            }
            t if t < 245 => {
                let key = c.string();
                let value = c.value(t);
                l.records
                    .insert((db, key), (std::mem::take(&mut expire), t, value));
                "records".to_string()
            }
            other => format!("opcode {other}"),
        };
        if !(name == "records" && l.shape.last().map(String::as_str) == Some("records")) {
            l.shape.push(name);
        }
    }
    assert_eq!(
        c.at + 8,
        b.len(),
        "8 checksum bytes after EOF, then the end"
    );
    l
}

// ---------------------------------------------------------------------------
// File layout, byte for byte
// ---------------------------------------------------------------------------

fn stored_key_name(db: u64, stored: &[u8]) -> String {
    key_name(db as u32, stored_key(stored))
}

/// Where Redis's choices fix the bytes, ferrodis's file must be Redis's:
/// the same header, AUX fields (names in order; values that do not vary
/// from run to run), SELECTDB/RESIZEDB, and per key the same expiry, type
/// byte and value bytes (key order is each table's, so records are compared
/// by key; hashtable and skiplist values by type only: their element order
/// is the table's too).
fn assert_same_layout(ours: &[u8], theirs: &[u8]) {
    let a = layout(ours);
    let b = layout(theirs);
    let mut diffs = Vec::new();
    if a.header != b.header {
        diffs.push(format!(
            "header {:?} vs redis's {:?}",
            String::from_utf8_lossy(&a.header),
            String::from_utf8_lossy(&b.header)
        ));
    }
    let names = |l: &Layout| -> Vec<String> {
        l.aux
            .iter()
            .map(|(k, _)| String::from_utf8_lossy(&k[1..]).into_owned())
            .collect()
    };
    if names(&a) != names(&b) {
        diffs.push(format!(
            "AUX fields {:?} vs redis's {:?}",
            names(&a),
            names(&b)
        ));
    }
    for (k, v) in &a.aux {
        let fixed = [&b"redis-ver"[..], b"redis-bits", b"aof-base"];
        if fixed.contains(&&k[1..]) {
            if let Some((_, w)) = b.aux.iter().find(|(k2, _)| k2 == k) {
                if v != w {
                    diffs.push(format!(
                        "AUX {} = {v:02x?} vs redis's {w:02x?}",
                        String::from_utf8_lossy(&k[1..])
                    ));
                }
            }
        }
    }
    if a.shape != b.shape {
        diffs.push(format!(
            "opcode sequence {:?} vs redis's {:?}",
            a.shape, b.shape
        ));
    }
    if a.resize != b.resize {
        diffs.push(format!("RESIZEDB {:?} vs redis's {:?}", a.resize, b.resize));
    }
    for (key, (exp, t, v)) in &a.records {
        let name = stored_key_name(key.0, &key.1);
        let Some((exp2, t2, v2)) = b.records.get(key) else {
            diffs.push(format!("{name}: not in redis's file"));
            continue;
        };
        if exp != exp2 && stored_key(&key.1) != SOON_KEY.as_bytes() {
            diffs.push(format!("{name}: expiry {exp:02x?} vs redis's {exp2:02x?}"));
        }
        if t != t2 {
            diffs.push(format!("{name}: type {t} vs redis's {t2}"));
        } else if ![2, 4, 5].contains(t) && v != v2 {
            let at = v
                .iter()
                .zip(v2)
                .position(|(x, y)| x != y)
                .unwrap_or(v.len().min(v2.len()));
            let from = at.saturating_sub(8);
            diffs.push(format!(
                "{name} (type {t}): {} value bytes vs redis's {}, first difference at {at}:\n    ours:  {:02x?}\n    redis: {:02x?}",
                v.len(),
                v2.len(),
                &v[from..(at + 16).min(v.len())],
                &v2[from..(at + 16).min(v2.len())]
            ));
        }
    }
    for key in b.records.keys() {
        if !a.records.contains_key(key) {
            diffs.push(format!(
                "{}: only in redis's file",
                key_name(key.0 as u32, &key.1)
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "the file differs from redis's in {} place(s):\n  {}",
        diffs.len(),
        diffs.join("\n  ")
    );
}

#[test]
fn string_file_layout_matches_redis() {
    if !have_redis("string_file_layout_matches_redis") {
        return;
    }
    let (ours, theirs) = ferrodis_to_redis_only(strings_only, &[], &[], SaveBy::Save);
    assert_same_layout(&ours, &theirs);
}

#[test]
fn file_layout_matches_redis() {
    if !have_redis("file_layout_matches_redis") {
        return;
    }
    let (ours, theirs) = ferrodis_to_redis(&[], &[], SaveBy::Save);
    assert_same_layout(&ours, &theirs);
}

/// A file Redis wrote, loaded and saved again by ferrodis, is what Redis
/// writes after loading and saving it (nodes, listpacks, intsets kept).
#[test]
fn file_layout_after_load_and_save_matches_redis() {
    if !have_redis("file_layout_after_load_and_save_matches_redis") {
        return;
    }
    let tmp = TempDir::new("interop-resave");
    let src_dir = tmp.path().join("src");
    let src = redis(&src_dir, "dump.rdb", &[]);
    let mut c = src.conn();
    generate(&mut c);
    assert_eq!(c.cmd(&["SAVE"]), Reply::ok());
    let mut files = Vec::new();
    for (name, is_redis) in [("f", false), ("r", true)] {
        let dir = tmp.path().join(name);
        copy_to(&src_dir.join("dump.rdb"), &dir, "dump.rdb");
        let s = if is_redis {
            redis(&dir, "dump.rdb", &[])
        } else {
            ferrodis(&dir, "dump.rdb", &[])
        };
        assert_eq!(s.conn().cmd(&["SAVE"]), Reply::ok());
        files.push(read(&dir.join("dump.rdb")));
    }
    assert_same_layout(&files[0], &files[1]);
}

/// With an LRU or LFU policy, the IDLE / FREQ opcodes come where Redis
/// writes them.
#[test]
fn file_layout_with_lru_and_lfu_matches_redis() {
    if !have_redis("file_layout_with_lru_and_lfu_matches_redis") {
        return;
    }
    for policy in ["allkeys-lru", "allkeys-lfu"] {
        let args = ["--maxmemory-policy", policy];
        let (ours, theirs) = ferrodis_to_redis_only(strings_only, &args, &[], SaveBy::Save);
        assert_same_layout(&ours, &theirs);
    }
}
