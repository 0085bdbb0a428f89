//! The command table's types: one `CommandSpec` per command, declared next to its
//! handler in `commands/<group>.rs` and gathered into one lookup map at start.
//!
//! Everything the dispatcher checks before a handler runs comes from here (arity,
//! flags, key positions), so handlers never check arity themselves. COMMAND,
//! COMMAND INFO/DOCS/COUNT/LIST/GETKEYS answer from the same rows.

use crate::commands::Ctx;
use crate::error::CmdResult;

/// A command handler: parses its arguments (arity is already checked), runs the
/// operation and writes the reply. An `Err` is written as the error reply.
pub type Handler = fn(&mut Ctx, &Args) -> CmdResult;

/// Command flags, as COMMAND INFO names them. Meanings:
/// - WRITE: may modify the keyspace (refused on read-only replicas, propagated).
/// - READONLY: reads keys and never modifies them.
/// - DENYOOM: may grow memory; refused when over maxmemory.
/// - ADMIN: administrative (also @admin and @dangerous).
/// - PUBSUB: pub/sub related. NOSCRIPT: refused inside scripts.
/// - BLOCKING: may block the client. LOADING: allowed while loading the dataset.
/// - STALE: allowed on a replica with stale data. SKIP_MONITOR / SKIP_SLOWLOG: not
///   shown in MONITOR / SLOWLOG. FAST: O(1) or O(log n) (@fast, else @slow).
/// - NO_AUTH: allowed before AUTH. MAY_REPLICATE: may propagate though not a write.
/// - NO_MANDATORY_KEYS: key arguments may be absent. PROTECTED: needs
///   enable-*-command. NO_ASYNC_LOADING, NO_MULTI, ALLOW_BUSY: as Redis.
/// - MOVABLE_KEYS is not declared: it is derived from `key_finder`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flags(pub u32);

impl Flags {
    pub const NONE: Flags = Flags(0);
    pub const WRITE: Flags = Flags(1);
    pub const READONLY: Flags = Flags(1 << 1);
    pub const DENYOOM: Flags = Flags(1 << 2);
    pub const ADMIN: Flags = Flags(1 << 3);
    pub const PUBSUB: Flags = Flags(1 << 4);
    pub const NOSCRIPT: Flags = Flags(1 << 5);
    pub const BLOCKING: Flags = Flags(1 << 6);
    pub const LOADING: Flags = Flags(1 << 7);
    pub const STALE: Flags = Flags(1 << 8);
    pub const SKIP_MONITOR: Flags = Flags(1 << 9);
    pub const SKIP_SLOWLOG: Flags = Flags(1 << 10);
    pub const FAST: Flags = Flags(1 << 11);
    pub const NO_AUTH: Flags = Flags(1 << 12);
    pub const MAY_REPLICATE: Flags = Flags(1 << 13);
    pub const NO_MANDATORY_KEYS: Flags = Flags(1 << 14);
    pub const PROTECTED: Flags = Flags(1 << 15);
    pub const NO_ASYNC_LOADING: Flags = Flags(1 << 16);
    pub const NO_MULTI: Flags = Flags(1 << 17);
    pub const ALLOW_BUSY: Flags = Flags(1 << 18);
    pub const SENTINEL: Flags = Flags(1 << 19);

    /// Names in COMMAND INFO order.
    pub const NAMES: &'static [(Flags, &'static str)] = &[
        (Flags::WRITE, "write"),
        (Flags::READONLY, "readonly"),
        (Flags::DENYOOM, "denyoom"),
        (Flags::ADMIN, "admin"),
        (Flags::PUBSUB, "pubsub"),
        (Flags::NOSCRIPT, "noscript"),
        (Flags::BLOCKING, "blocking"),
        (Flags::LOADING, "loading"),
        (Flags::STALE, "stale"),
        (Flags::SKIP_MONITOR, "skip_monitor"),
        (Flags::SKIP_SLOWLOG, "skip_slowlog"),
        (Flags::FAST, "fast"),
        (Flags::NO_AUTH, "no_auth"),
        (Flags::MAY_REPLICATE, "may_replicate"),
        (Flags::SENTINEL, "sentinel"),
        (Flags::NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (Flags::PROTECTED, "protected"),
        (Flags::NO_ASYNC_LOADING, "no_async_loading"),
        (Flags::NO_MULTI, "no_multi"),
        (Flags::ALLOW_BUSY, "allow_busy"),
    ];

    pub const fn or(self, o: Flags) -> Flags {
        Flags(self.0 | o.0)
    }

    pub const fn has(self, o: Flags) -> bool {
        self.0 & o.0 != 0
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, o: Flags) -> Flags {
        Flags(self.0 | o.0)
    }
}

/// ACL categories a command declares for its data type (`@string`, `@keyspace`...).
/// `@read`, `@write`, `@admin`, `@dangerous`, `@pubsub`, `@fast`, `@slow` and
/// `@blocking` are derived from the flags, as Redis does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acl(pub u32);

impl Acl {
    pub const NONE: Acl = Acl(0);
    pub const KEYSPACE: Acl = Acl(1);
    pub const READ: Acl = Acl(1 << 1);
    pub const WRITE: Acl = Acl(1 << 2);
    pub const SET: Acl = Acl(1 << 3);
    pub const SORTEDSET: Acl = Acl(1 << 4);
    pub const LIST: Acl = Acl(1 << 5);
    pub const HASH: Acl = Acl(1 << 6);
    pub const STRING: Acl = Acl(1 << 7);
    pub const BITMAP: Acl = Acl(1 << 8);
    pub const HYPERLOGLOG: Acl = Acl(1 << 9);
    pub const GEO: Acl = Acl(1 << 10);
    pub const STREAM: Acl = Acl(1 << 11);
    pub const PUBSUB: Acl = Acl(1 << 12);
    pub const ADMIN: Acl = Acl(1 << 13);
    pub const FAST: Acl = Acl(1 << 14);
    pub const SLOW: Acl = Acl(1 << 15);
    pub const BLOCKING: Acl = Acl(1 << 16);
    pub const DANGEROUS: Acl = Acl(1 << 17);
    pub const CONNECTION: Acl = Acl(1 << 18);
    pub const TRANSACTION: Acl = Acl(1 << 19);
    pub const SCRIPTING: Acl = Acl(1 << 20);

    /// Names in Redis's order (ACL CAT).
    pub const NAMES: &'static [(Acl, &'static str)] = &[
        (Acl::KEYSPACE, "keyspace"),
        (Acl::READ, "read"),
        (Acl::WRITE, "write"),
        (Acl::SET, "set"),
        (Acl::SORTEDSET, "sortedset"),
        (Acl::LIST, "list"),
        (Acl::HASH, "hash"),
        (Acl::STRING, "string"),
        (Acl::BITMAP, "bitmap"),
        (Acl::HYPERLOGLOG, "hyperloglog"),
        (Acl::GEO, "geo"),
        (Acl::STREAM, "stream"),
        (Acl::PUBSUB, "pubsub"),
        (Acl::ADMIN, "admin"),
        (Acl::FAST, "fast"),
        (Acl::SLOW, "slow"),
        (Acl::BLOCKING, "blocking"),
        (Acl::DANGEROUS, "dangerous"),
        (Acl::CONNECTION, "connection"),
        (Acl::TRANSACTION, "transaction"),
        (Acl::SCRIPTING, "scripting"),
    ];

    pub const fn or(self, o: Acl) -> Acl {
        Acl(self.0 | o.0)
    }

    pub const fn has(self, o: Acl) -> bool {
        self.0 & o.0 != 0
    }
}

impl std::ops::BitOr for Acl {
    type Output = Acl;
    fn bitor(self, o: Acl) -> Acl {
        Acl(self.0 | o.0)
    }
}

/// Where the keys of a command are: the legacy (first, last, step) triple of
/// COMMAND INFO, plus a finder for commands whose keys move (e.g. with a count).
#[derive(Clone, Copy, Debug)]
pub struct Keys {
    pub first: i32,
    pub last: i32,
    pub step: i32,
}

impl Keys {
    pub const NONE: Keys = Keys {
        first: 0,
        last: 0,
        step: 0,
    };
    pub const ONE: Keys = Keys {
        first: 1,
        last: 1,
        step: 1,
    };
    pub const ALL: Keys = Keys {
        first: 1,
        last: -1,
        step: 1,
    };
    pub const PAIRS: Keys = Keys {
        first: 1,
        last: -1,
        step: 2,
    };
    pub const TWO: Keys = Keys {
        first: 1,
        last: 2,
        step: 1,
    };
}

/// Finds key positions for commands whose keys cannot be told from the triple.
pub type KeyFinder = fn(&Args) -> Vec<usize>;

/// The command group, as COMMAND DOCS reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Generic,
    String,
    Connection,
    Server,
    List,
    Hash,
    Set,
    SortedSet,
    Pubsub,
    Transactions,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Generic => "generic",
            Group::String => "string",
            Group::Connection => "connection",
            Group::Server => "server",
            Group::List => "list",
            Group::Hash => "hash",
            Group::Set => "set",
            Group::SortedSet => "sorted-set",
            Group::Pubsub => "pubsub",
            Group::Transactions => "transactions",
        }
    }
}

/// One row of the command table.
pub struct CommandSpec {
    /// Lower-case name; for a subcommand, the part after the `|`.
    pub name: &'static str,
    /// Redis arity: N means exactly N arguments (name included), -N at least N.
    pub arity: i32,
    pub flags: Flags,
    pub acl: Acl,
    pub keys: Keys,
    /// For commands with movable keys (the `movablekeys` flag).
    pub key_finder: Option<KeyFinder>,
    pub group: Group,
    /// Redis version that introduced the command.
    pub since: &'static str,
    /// One line describing the command (our words, for COMMAND DOCS).
    pub summary: &'static str,
    pub complexity: &'static str,
    pub handler: Handler,
    /// Container commands (CONFIG, CLIENT, OBJECT...) list their subcommands;
    /// the container's own handler is then not used for dispatch.
    pub subcommands: &'static [CommandSpec],
}

/// A default row, to be completed with struct update syntax in the tables.
pub const BASE: CommandSpec = CommandSpec {
    name: "",
    arity: 0,
    flags: Flags::NONE,
    acl: Acl::NONE,
    keys: Keys::NONE,
    key_finder: None,
    group: Group::Generic,
    since: "1.0.0",
    summary: "",
    complexity: "O(1)",
    handler: |_, _| Ok(()),
    subcommands: &[],
};

/// The arguments of one command: byte ranges into the query buffer, so that no
/// argument is copied. `get(0)` is the command name.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    buf: &'a [u8],
    ranges: &'a [(usize, usize)],
}

impl<'a> Args<'a> {
    pub fn new(buf: &'a [u8], ranges: &'a [(usize, usize)]) -> Self {
        Args { buf, ranges }
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Argument `i`; panics if out of range (arity guarantees the fixed ones).
    pub fn get(&self, i: usize) -> &'a [u8] {
        let (a, b) = self.ranges[i];
        &self.buf[a..b]
    }

    /// Arguments from `i` on.
    pub fn iter_from(&self, i: usize) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        let buf = self.buf;
        self.ranges[i.min(self.ranges.len())..]
            .iter()
            .map(move |&(a, b)| &buf[a..b])
    }

    /// Whether argument `i` equals `word`, ignoring ASCII case.
    pub fn is(&self, i: usize, word: &str) -> bool {
        self.get(i).eq_ignore_ascii_case(word.as_bytes())
    }
}

/// The full set of ACL categories of a command: declared ones plus those Redis
/// derives from the flags.
pub fn acl_categories(spec: &CommandSpec) -> Acl {
    let mut acl = spec.acl;
    let f = spec.flags;
    if f.has(Flags::WRITE) {
        acl = acl | Acl::WRITE;
    }
    if f.has(Flags::READONLY) && !acl.has(Acl::SCRIPTING) {
        acl = acl | Acl::READ;
    }
    if f.has(Flags::ADMIN) {
        acl = acl | Acl::ADMIN | Acl::DANGEROUS;
    }
    if f.has(Flags::PUBSUB) {
        acl = acl | Acl::PUBSUB;
    }
    if f.has(Flags::FAST) {
        acl = acl | Acl::FAST;
    }
    if f.has(Flags::BLOCKING) {
        acl = acl | Acl::BLOCKING;
    }
    if !acl.has(Acl::FAST) {
        acl = acl | Acl::SLOW;
    }
    acl
}
