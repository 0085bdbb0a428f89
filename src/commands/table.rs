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
/// - MOVABLE_KEYS is not declared: it is derived from `key_finder` and the
///   key specs (see `CommandSpec::movable_keys`).
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

/// Finds key positions (with their flags) for commands whose keys cannot be
/// told from the triple or the key specs (SORT: the STORE key can be anywhere).
pub type KeyFinder = fn(&Args) -> Vec<(usize, KeyFlags)>;

/// For key specs flagged `VARIABLE_FLAGS`: the flags the keys really get on
/// this command line (e.g. SET only overwrites its key unless GET is given).
pub type KeyFlagsFn = fn(&Args) -> KeyFlags;

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

/// Flags of a key spec (COMMAND INFO key specs, COMMAND GETKEYSANDFLAGS):
/// - RO / RW / OW / RM: the key's value is read only, read and written,
///   overwritten without being read, or removed.
/// - ACCESS: user data of the value is returned or used; UPDATE: data is
///   changed in place; INSERT: data is added; DELETE: data is removed.
/// - NOT_KEY: the argument is not a real key (only its slot matters);
///   INCOMPLETE: the spec may miss keys; VARIABLE_FLAGS: the flags depend on
///   other arguments.
///
/// `AUTO` (no bit set) is only meaningful in `CommandSpec::key_flags`: the flags
/// are then derived from the command flags (see `CommandSpec::key_specs_of`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyFlags(pub u16);

impl KeyFlags {
    pub const AUTO: KeyFlags = KeyFlags(0);
    pub const RO: KeyFlags = KeyFlags(1);
    pub const RW: KeyFlags = KeyFlags(1 << 1);
    pub const OW: KeyFlags = KeyFlags(1 << 2);
    pub const RM: KeyFlags = KeyFlags(1 << 3);
    pub const ACCESS: KeyFlags = KeyFlags(1 << 4);
    pub const UPDATE: KeyFlags = KeyFlags(1 << 5);
    pub const INSERT: KeyFlags = KeyFlags(1 << 6);
    pub const DELETE: KeyFlags = KeyFlags(1 << 7);
    pub const NOT_KEY: KeyFlags = KeyFlags(1 << 8);
    pub const INCOMPLETE: KeyFlags = KeyFlags(1 << 9);
    pub const VARIABLE_FLAGS: KeyFlags = KeyFlags(1 << 10);

    /// Names in the order Redis lists them.
    pub const NAMES: &'static [(KeyFlags, &'static str)] = &[
        (KeyFlags::RO, "RO"),
        (KeyFlags::RW, "RW"),
        (KeyFlags::OW, "OW"),
        (KeyFlags::RM, "RM"),
        (KeyFlags::ACCESS, "access"),
        (KeyFlags::UPDATE, "update"),
        (KeyFlags::INSERT, "insert"),
        (KeyFlags::DELETE, "delete"),
        (KeyFlags::NOT_KEY, "not_key"),
        (KeyFlags::INCOMPLETE, "incomplete"),
        (KeyFlags::VARIABLE_FLAGS, "variable_flags"),
    ];

    pub const fn or(self, o: KeyFlags) -> KeyFlags {
        KeyFlags(self.0 | o.0)
    }

    pub const fn has(self, o: KeyFlags) -> bool {
        self.0 & o.0 != 0
    }

    /// The names of the flags set, in Redis's order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        KeyFlags::NAMES
            .iter()
            .filter(move |(f, _)| self.has(*f))
            .map(|(_, n)| *n)
    }
}

/// Where the search for a key spec's keys starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeginSearch {
    /// At this argument index.
    Index(i32),
    /// After `keyword`, searched from argument `startfrom` (negative: from the
    /// end, backwards).
    Keyword {
        keyword: &'static str,
        startfrom: i32,
    },
    Unknown,
}

/// How the keys are found from the start of the search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindKeys {
    /// Keys up to `lastkey` (relative to the start; -1 the last argument, -2
    /// the one before...), every `keystep`; `limit` > 1 keeps 1/limit of the
    /// remaining arguments.
    Range {
        lastkey: i32,
        keystep: i32,
        limit: i32,
    },
    /// The argument at `keynumidx` (relative) holds the number of keys, which
    /// start at `firstkey` (relative) every `keystep`.
    Keynum {
        keynumidx: i32,
        firstkey: i32,
        keystep: i32,
    },
    Unknown,
}

/// One key spec, as COMMAND INFO reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySpec {
    /// Free text explaining the flags (our words), or empty.
    pub notes: &'static str,
    pub flags: KeyFlags,
    pub begin: BeginSearch,
    pub find: FindKeys,
}

/// A key spec for the single key at argument `index` (the common case of
/// the per-type tables).
pub const fn key_at(index: i32, flags: KeyFlags) -> KeySpec {
    KeySpec {
        notes: "",
        flags,
        begin: BeginSearch::Index(index),
        find: FindKeys::Range {
            lastkey: 0,
            keystep: 1,
            limit: 0,
        },
    }
}

/// COMMAND DOCS flags of a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DocFlags(pub u8);

impl DocFlags {
    pub const NONE: DocFlags = DocFlags(0);
    pub const DEPRECATED: DocFlags = DocFlags(1);
    pub const SYSCMD: DocFlags = DocFlags(1 << 1);

    pub const NAMES: &'static [(DocFlags, &'static str)] = &[
        (DocFlags::DEPRECATED, "deprecated"),
        (DocFlags::SYSCMD, "syscmd"),
    ];

    pub const fn or(self, o: DocFlags) -> DocFlags {
        DocFlags(self.0 | o.0)
    }

    pub const fn has(self, o: DocFlags) -> bool {
        self.0 & o.0 != 0
    }
}

/// The type of a documented argument (COMMAND DOCS `type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    String,
    Integer,
    Double,
    /// A key name; the index of the key spec it belongs to.
    Key(u32),
    Pattern,
    UnixTime,
    PureToken,
    /// Exactly one of the nested arguments.
    OneOf,
    /// The nested arguments in sequence.
    Block,
}

impl ArgType {
    pub fn name(self) -> &'static str {
        match self {
            ArgType::String => "string",
            ArgType::Integer => "integer",
            ArgType::Double => "double",
            ArgType::Key(_) => "key",
            ArgType::Pattern => "pattern",
            ArgType::UnixTime => "unix-time",
            ArgType::PureToken => "pure-token",
            ArgType::OneOf => "oneof",
            ArgType::Block => "block",
        }
    }
}

/// Flags of a documented argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgFlags(pub u8);

impl ArgFlags {
    pub const NONE: ArgFlags = ArgFlags(0);
    pub const OPTIONAL: ArgFlags = ArgFlags(1);
    pub const MULTIPLE: ArgFlags = ArgFlags(1 << 1);
    pub const MULTIPLE_TOKEN: ArgFlags = ArgFlags(1 << 2);

    pub const NAMES: &'static [(ArgFlags, &'static str)] = &[
        (ArgFlags::OPTIONAL, "optional"),
        (ArgFlags::MULTIPLE, "multiple"),
        (ArgFlags::MULTIPLE_TOKEN, "multiple_token"),
    ];

    pub const fn or(self, o: ArgFlags) -> ArgFlags {
        ArgFlags(self.0 | o.0)
    }

    pub const fn has(self, o: ArgFlags) -> bool {
        self.0 & o.0 != 0
    }
}

/// One documented argument (COMMAND DOCS `arguments`). Complete rows from
/// `ARG` with struct update syntax.
#[derive(Clone, Copy, Debug)]
pub struct Arg {
    pub name: &'static str,
    pub kind: ArgType,
    /// The literal word that introduces the argument (`EX`), or empty.
    pub token: &'static str,
    /// Version that added the argument, or empty.
    pub since: &'static str,
    pub deprecated_since: &'static str,
    pub flags: ArgFlags,
    /// Nested arguments of a `OneOf` or `Block`.
    pub args: &'static [Arg],
}

/// A default argument: a required string named "".
pub const ARG: Arg = Arg {
    name: "",
    kind: ArgType::String,
    token: "",
    since: "",
    deprecated_since: "",
    flags: ArgFlags::NONE,
    args: &[],
};

/// The `key` argument of the one-key commands (COMMAND DOCS).
pub const KEY_ARG: Arg = Arg {
    name: "key",
    kind: ArgType::Key(0),
    ..ARG
};

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
    /// the container's own handler is then not used for dispatch (except for
    /// a container called with no subcommand when its arity allows it, as
    /// bare COMMAND).
    pub subcommands: &'static [CommandSpec],
    /// Flags of the key spec derived from `keys` (when `key_specs` is empty);
    /// `KeyFlags::AUTO` derives them from the command flags.
    pub key_flags: KeyFlags,
    /// Resolves `VARIABLE_FLAGS` key specs for COMMAND GETKEYSANDFLAGS.
    pub key_flags_fn: Option<KeyFlagsFn>,
    /// Notes of the key spec derived from `keys` (our words), or empty.
    pub key_notes: &'static str,
    /// Explicit key specs, for commands whose keys a single range cannot
    /// describe (several keys with different flags, keywords, key counts).
    /// Empty: one spec is derived from `keys`, or none when it has no keys.
    pub key_specs: &'static [KeySpec],
    /// Command tips (`nondeterministic_output`, `request_policy:all_shards`...).
    pub tips: &'static [&'static str],
    pub doc_flags: DocFlags,
    /// For deprecated commands: since which version, and what replaces it.
    pub deprecated_since: &'static str,
    pub replaced_by: &'static str,
    /// (version, change) pairs, in our words.
    pub history: &'static [(&'static str, &'static str)],
    /// The documented arguments (COMMAND DOCS).
    pub arguments: &'static [Arg],
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
    key_flags: KeyFlags::AUTO,
    key_flags_fn: None,
    key_notes: "",
    key_specs: &[],
    tips: &[],
    doc_flags: DocFlags::NONE,
    deprecated_since: "",
    replaced_by: "",
    history: &[],
    arguments: &[],
};

impl CommandSpec {
    /// The key specs of the command: the explicit ones, else one derived from
    /// the legacy (first, last, step) triple: begin at index `first`, then a
    /// range to `last` (relative to `first`, or negative from the end) every
    /// `step`. Flags default to RO+ACCESS for read-only commands and
    /// RW+ACCESS+UPDATE for writing ones.
    pub fn key_specs_of(&self) -> KeySpecs {
        if !self.key_specs.is_empty() {
            return KeySpecs::Static(self.key_specs);
        }
        let k = self.keys;
        if k.first <= 0 {
            return KeySpecs::Static(&[]);
        }
        let flags = if self.key_flags != KeyFlags::AUTO {
            self.key_flags
        } else if self.flags.has(Flags::WRITE) {
            KeyFlags::RW.or(KeyFlags::ACCESS).or(KeyFlags::UPDATE)
        } else if self.flags.has(Flags::READONLY) {
            KeyFlags::RO.or(KeyFlags::ACCESS)
        } else {
            KeyFlags::AUTO
        };
        let lastkey = if k.last < 0 { k.last } else { k.last - k.first };
        KeySpecs::Derived(KeySpec {
            notes: self.key_notes,
            flags,
            begin: BeginSearch::Index(k.first),
            find: FindKeys::Range {
                lastkey,
                keystep: k.step.max(1),
                limit: 0,
            },
        })
    }

    /// Whether the command has the `movablekeys` flag: its keys are found by
    /// a finder, or a key spec starts at a keyword or counts its keys, so key
    /// positions depend on the other arguments.
    pub fn movable_keys(&self) -> bool {
        self.key_finder.is_some()
            || self.key_specs.iter().any(|k| {
                !matches!(k.begin, BeginSearch::Index(_))
                    || !matches!(k.find, FindKeys::Range { .. })
            })
    }
}

/// The key specs of one command (see `CommandSpec::key_specs_of`).
pub enum KeySpecs {
    Static(&'static [KeySpec]),
    Derived(KeySpec),
}

impl KeySpecs {
    pub fn as_slice(&self) -> &[KeySpec] {
        match self {
            KeySpecs::Static(s) => s,
            KeySpecs::Derived(k) => std::slice::from_ref(k),
        }
    }
}

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

    /// The arguments from `i` on, as a command line of their own (COMMAND
    /// GETKEYS looks at the command it is given this way).
    pub fn shifted(&self, i: usize) -> Args<'a> {
        Args {
            buf: self.buf,
            ranges: &self.ranges[i.min(self.ranges.len())..],
        }
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
