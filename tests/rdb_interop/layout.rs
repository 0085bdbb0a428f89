//! Enough of the RDB format to split a file into its header, AUX fields,
//! SELECTDB/RESIZEDB and per-key records, for byte-level comparisons.

use std::collections::BTreeMap;

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

/// (expire opcode and its bytes, type byte, value bytes).
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
