//! SORT and SORT_RO: the elements of a list, set or sorted set, ordered
//! numerically or (ALPHA) as strings, by themselves or by the values of
//! other keys (BY pattern, `*` replaced by the element, `key->field` for a
//! hash field), cut by LIMIT, with GET patterns (`#` is the element) in
//! place of the elements, and optionally stored as a list (STORE).
//!
//! As Redis 7.0: a BY pattern without `*` means no sorting (the list or
//! sorted set order; DESC and LIMIT still apply), except that a set stored
//! with STORE is then sorted as strings so the result is deterministic.
//! Numeric order reads values as strtod does (leading spaces, hex, `inf`;
//! the empty string is 0) and ties are broken by comparing the elements'
//! bytes; a missing BY value counts as 0 (numeric) or sorts first (ALPHA).
//! ALPHA compares as C's strcoll in the C locale (strcmp: bytes up to a NUL).

use std::cmp::Ordering;

use super::table::{
    Acl, Arg, ArgFlags, ArgType, Args, BeginSearch, CommandSpec, FindKeys, Flags, Group, KeyFlags,
    KeySpec, Keys, ARG, BASE,
};
use super::Ctx;
use crate::error::{err, CmdResult, NOT_INTEGER, SYNTAX, WRONGTYPE};
use crate::keyspace::db::Db;
use crate::keyspace::list::List;
use crate::keyspace::value::{IntBuf, Value};
use crate::server::notify;
use crate::util::numbers::{parse_f64, parse_i64};

/// The parsed options of one SORT call.
struct SortOptions<'a> {
    /// The BY pattern; None: sort by the elements.
    by: Option<&'a [u8]>,
    /// BY without `*`: keep the stored order.
    dontsort: bool,
    limit: Option<(i64, i64)>,
    gets: Vec<&'a [u8]>,
    desc: bool,
    alpha: bool,
    store: Option<&'a [u8]>,
}

fn parse_options<'a>(
    args: &Args<'a>,
    read_only: bool,
) -> Result<SortOptions<'a>, crate::error::CmdError> {
    let mut o = SortOptions {
        by: None,
        dontsort: false,
        limit: None,
        gets: Vec::new(),
        desc: false,
        alpha: false,
        store: None,
    };
    let mut i = 2;
    while i < args.len() {
        let left = args.len() - i - 1;
        if args.is(i, "asc") {
            o.desc = false;
        } else if args.is(i, "desc") {
            o.desc = true;
        } else if args.is(i, "alpha") {
            o.alpha = true;
        } else if args.is(i, "limit") && left >= 2 {
            let start =
                parse_i64(args.get(i + 1)).ok_or(crate::error::CmdError::from(NOT_INTEGER))?;
            let count =
                parse_i64(args.get(i + 2)).ok_or(crate::error::CmdError::from(NOT_INTEGER))?;
            o.limit = Some((start, count));
            i += 2;
        } else if args.is(i, "store") && left >= 1 && !read_only {
            o.store = Some(args.get(i + 1));
            i += 1;
        } else if args.is(i, "by") && left >= 1 {
            let p = args.get(i + 1);
            o.by = Some(p);
            o.dontsort = !p.contains(&b'*');
            i += 1;
        } else if args.is(i, "get") && left >= 1 {
            o.gets.push(args.get(i + 1));
            i += 1;
        } else {
            return err(SYNTAX);
        }
        i += 1;
    }
    Ok(o)
}

/// Looks a pattern up for one element: `#` is the element itself; else the
/// first `*` is replaced by it, and `->field` after it reads a hash field.
/// None for a missing key or field, a wrong type, or no `*`.
fn lookup(db: &mut Db, pattern: &[u8], elem: &[u8], now: i64) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(elem.to_vec());
    }
    let star = pattern.iter().position(|&b| b == b'*')?;
    let arrow = pattern[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|p| p + star + 1)
        .filter(|&p| p + 2 < pattern.len());
    let key_end = arrow.unwrap_or(pattern.len());
    let mut key = Vec::with_capacity(key_end + elem.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(&pattern[star + 1..key_end]);
    let id = db.lookup_read(&key, now)?;
    let mut tmp: IntBuf = [0; 24];
    match (db.value(id), arrow) {
        (Value::Hash(h), Some(a)) => h.get(&pattern[a + 2..]).map(|v| v.to_vec()),
        (v, None) => v.as_bytes(&mut tmp).map(<[u8]>::to_vec),
        _ => None,
    }
}

/// The number strtod reads from the whole of `s` as a C string (up to its
/// first NUL; the empty string is 0), or None where SORT refuses it.
fn sort_number(s: &[u8]) -> Option<f64> {
    let s = &s[..s.iter().position(|&c| c == 0).unwrap_or(s.len())];
    if s.is_empty() {
        return Some(0.0);
    }
    let start = s
        .iter()
        .position(|c| !(c.is_ascii_whitespace() || *c == 0x0b))?;
    parse_f64(&s[start..])
}

/// strcmp: bytes compared up to the first NUL of either.
fn c_strcmp(a: &[u8], b: &[u8]) -> Ordering {
    let cut = |s: &[u8]| s.iter().position(|&c| c == 0).map_or(s.len(), |n| n);
    a[..cut(a)].cmp(&b[..cut(b)])
}

/// One element to sort and what it is compared by.
struct Item {
    elem: Vec<u8>,
    score: f64,
    by: Option<Vec<u8>>,
}

/// The elements of a sorted value, in stored order.
#[derive(Default)]
struct Elements {
    items: Vec<Vec<u8>>,
    /// A set (hash order, unless an intset).
    is_set: bool,
    /// A list or sorted set: DESC without sorting reverses it.
    ordered: bool,
}

/// The elements of the value at `key` (empty when missing).
fn elements(db: &mut Db, key: &[u8], now: i64) -> Result<Elements, crate::error::CmdError> {
    let Some(id) = db.lookup_read(key, now) else {
        return Ok(Elements::default());
    };
    // Redis converts a sorted set it sorts to its large encoding first
    // (OBJECT ENCODING shows skiplist afterwards), whatever happens next.
    if let Value::Zset(z) = db.value_mut_same_content(id) {
        z.convert_to_skiplist();
    }
    let mut items = Vec::new();
    let (is_set, ordered) = match db.value(id) {
        Value::List(l) => {
            l.for_each(|e| items.push(e.to_vec()));
            (false, true)
        }
        Value::Set(s) => {
            s.for_each(|e| items.push(e.to_vec()));
            (true, false)
        }
        Value::Zset(z) => {
            z.for_each(|m, _| items.push(m.to_vec()));
            (false, true)
        }
        _ => return err(WRONGTYPE),
    };
    Ok(Elements {
        items,
        is_set,
        ordered,
    })
}

fn sort_generic(ctx: &mut Ctx, args: &Args, read_only: bool) -> CmdResult {
    let mut o = parse_options(args, read_only)?;
    let now = ctx.now;
    let db = ctx.db();
    let Elements {
        items: elems,
        is_set,
        ordered,
    } = elements(db, args.get(1), now)?;
    // A set stored unsorted would be in hash order: sort it as strings.
    if o.dontsort && is_set && o.store.is_some() {
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    let mut items: Vec<Item> = Vec::with_capacity(elems.len());
    for e in elems {
        let mut it = Item {
            elem: e,
            score: 0.0,
            by: None,
        };
        if !o.dontsort {
            let by = match o.by {
                Some(p) => lookup(db, p, &it.elem, now),
                None => None,
            };
            if !o.alpha {
                let src = if o.by.is_some() {
                    by.as_deref()
                } else {
                    Some(&it.elem[..])
                };
                if let Some(s) = src {
                    match sort_number(s) {
                        Some(v) => it.score = v,
                        None => {
                            return err("ERR One or more scores can't be converted into double")
                        }
                    }
                }
            }
            it.by = by;
        }
        items.push(it);
    }
    let n = items.len() as i64;
    if !o.dontsort {
        let by_pattern = o.by.is_some();
        let alpha = o.alpha;
        let store = o.store.is_some();
        items.sort_by(|a, b| {
            let c = if !alpha {
                a.score
                    .partial_cmp(&b.score)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| a.elem.cmp(&b.elem))
            } else if by_pattern {
                match (&a.by, &b.by) {
                    (None, None) => Ordering::Equal,
                    (None, _) => Ordering::Less,
                    (_, None) => Ordering::Greater,
                    (Some(x), Some(y)) if store => x.cmp(y),
                    (Some(x), Some(y)) => c_strcmp(x, y),
                }
            } else if store {
                a.elem.cmp(&b.elem)
            } else {
                c_strcmp(&a.elem, &b.elem)
            };
            if o.desc {
                c.reverse()
            } else {
                c
            }
        });
    } else if o.desc && ordered {
        items.reverse();
    }
    // LIMIT, clamped as Redis does.
    let (mut start, mut end) = match o.limit {
        Some((s, c)) => {
            let s = s.max(0);
            let e = if c < 0 {
                n - 1
            } else {
                s.saturating_add(c).saturating_sub(1)
            };
            (s, e)
        }
        None => (0, n - 1),
    };
    if start >= n {
        start = n - 1;
        end = n - 2;
    }
    if end >= n {
        end = n - 1;
    }
    let picked: &[Item] = if end >= start && start >= 0 {
        &items[start as usize..=end as usize]
    } else {
        &[]
    };
    let db = ctx.db();
    let mut rows: Vec<Option<Vec<u8>>> = Vec::with_capacity(picked.len() * o.gets.len().max(1));
    for it in picked {
        if o.gets.is_empty() {
            rows.push(Some(it.elem.clone()));
        } else {
            for g in &o.gets {
                rows.push(lookup(db, g, &it.elem, now));
            }
        }
    }
    match o.store {
        None => {
            ctx.out.array(rows.len());
            for r in &rows {
                match r {
                    Some(v) => ctx.out.bulk(v),
                    None => ctx.out.null(),
                }
            }
        }
        Some(dst) => {
            let len = rows.len();
            let fill = ctx.srv.config.list_max_listpack_size;
            if len > 0 {
                let mut l = List::new();
                for r in &rows {
                    l.push_back(r.as_deref().unwrap_or(b""), fill);
                }
                ctx.db().set(dst, Value::List(Box::new(l)), false, now);
                ctx.notify(notify::LIST, "sortstore", dst);
                ctx.dirty += len as u64;
            } else if ctx.db().delete(dst, now) {
                ctx.notify(notify::GENERIC, "del", dst);
                ctx.dirty += 1;
            }
            ctx.out.int(len as i64);
        }
    }
    Ok(())
}

fn sort(ctx: &mut Ctx, args: &Args) -> CmdResult {
    sort_generic(ctx, args, false)
}

fn sort_ro(ctx: &mut Ctx, args: &Args) -> CmdResult {
    sort_generic(ctx, args, true)
}

/// SORT's keys: the sorted key, and the STORE destination wherever it is
/// (the last STORE wins, as Redis parses it).
fn sort_keys(args: &Args) -> Vec<(usize, KeyFlags)> {
    let mut keys = vec![(1, KeyFlags::RO.or(KeyFlags::ACCESS))];
    let mut store = None;
    let mut i = 2;
    while i < args.len() {
        let skip = if args.is(i, "limit") {
            2
        } else if args.is(i, "get") || args.is(i, "by") {
            1
        } else if args.is(i, "store") && i + 1 < args.len() {
            store = Some(i + 1);
            1
        } else {
            0
        };
        i += 1 + skip;
    }
    if let Some(s) = store {
        keys.push((s, KeyFlags::OW.or(KeyFlags::UPDATE)));
    }
    keys
}

fn sort_ro_keys(_args: &Args) -> Vec<(usize, KeyFlags)> {
    vec![(1, KeyFlags::RO.or(KeyFlags::ACCESS))]
}

const SORTED_KEY: KeySpec = KeySpec {
    notes: "",
    flags: KeyFlags::RO.or(KeyFlags::ACCESS),
    begin: BeginSearch::Index(1),
    find: FindKeys::Range {
        lastkey: 0,
        keystep: 1,
        limit: 0,
    },
};

// Redis's exact note texts: COMMAND INFO replies must match byte for byte.
const PATTERN_KEYS: KeySpec = KeySpec {
    notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort",
    flags: KeyFlags::RO.or(KeyFlags::ACCESS),
    begin: BeginSearch::Unknown,
    find: FindKeys::Unknown,
};

const STORE_KEY: KeySpec = KeySpec {
    notes: "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array",
    flags: KeyFlags::OW.or(KeyFlags::UPDATE),
    begin: BeginSearch::Unknown,
    find: FindKeys::Unknown,
};

const SORT_ARGS_HEAD: [Arg; 3] = [
    Arg {
        name: "key",
        kind: ArgType::Key(0),
        ..ARG
    },
    Arg {
        name: "pattern",
        kind: ArgType::Key(1),
        token: "BY",
        flags: ArgFlags::OPTIONAL,
        ..ARG
    },
    Arg {
        name: "offset_count",
        kind: ArgType::Block,
        token: "LIMIT",
        flags: ArgFlags::OPTIONAL,
        args: &[
            Arg {
                name: "offset",
                kind: ArgType::Integer,
                ..ARG
            },
            Arg {
                name: "count",
                kind: ArgType::Integer,
                ..ARG
            },
        ],
        ..ARG
    },
];

const SORT_ARGS_TAIL: [Arg; 3] = [
    Arg {
        name: "pattern",
        kind: ArgType::Key(1),
        token: "GET",
        flags: ArgFlags::OPTIONAL
            .or(ArgFlags::MULTIPLE)
            .or(ArgFlags::MULTIPLE_TOKEN),
        ..ARG
    },
    Arg {
        name: "order",
        kind: ArgType::OneOf,
        flags: ArgFlags::OPTIONAL,
        args: &[
            Arg {
                name: "asc",
                kind: ArgType::PureToken,
                token: "ASC",
                ..ARG
            },
            Arg {
                name: "desc",
                kind: ArgType::PureToken,
                token: "DESC",
                ..ARG
            },
        ],
        ..ARG
    },
    Arg {
        name: "sorting",
        kind: ArgType::PureToken,
        token: "ALPHA",
        flags: ArgFlags::OPTIONAL,
        ..ARG
    },
];

const SORT_ARGS: &[Arg] = &[
    SORT_ARGS_HEAD[0],
    SORT_ARGS_HEAD[1],
    SORT_ARGS_HEAD[2],
    SORT_ARGS_TAIL[0],
    SORT_ARGS_TAIL[1],
    SORT_ARGS_TAIL[2],
    Arg {
        name: "destination",
        kind: ArgType::Key(2),
        token: "STORE",
        flags: ArgFlags::OPTIONAL,
        ..ARG
    },
];

const SORT_RO_ARGS: &[Arg] = &[
    SORT_ARGS_HEAD[0],
    SORT_ARGS_HEAD[1],
    SORT_ARGS_HEAD[2],
    SORT_ARGS_TAIL[0],
    SORT_ARGS_TAIL[1],
    SORT_ARGS_TAIL[2],
];

const SORT_ACL: Acl = Acl::SET.or(Acl::SORTEDSET).or(Acl::LIST).or(Acl::DANGEROUS);

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "sort",
        arity: -2,
        flags: Flags::WRITE.or(Flags::DENYOOM),
        acl: SORT_ACL,
        keys: Keys::ONE,
        key_finder: Some(sort_keys),
        key_specs: &[SORTED_KEY, PATTERN_KEYS, STORE_KEY],
        group: Group::Generic,
        summary: "Sorts the elements of a list, set or sorted set, optionally storing the result.",
        complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
        arguments: SORT_ARGS,
        handler: sort,
        ..BASE
    },
    CommandSpec {
        name: "sort_ro",
        arity: -2,
        flags: Flags::READONLY,
        acl: SORT_ACL,
        keys: Keys::ONE,
        key_finder: Some(sort_ro_keys),
        key_specs: &[SORTED_KEY, PATTERN_KEYS],
        group: Group::Generic,
        since: "7.0.0",
        summary: "Sorts the elements of a list, set or sorted set, read-only.",
        complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
        arguments: SORT_RO_ARGS,
        handler: sort_ro,
        ..BASE
    },
];
