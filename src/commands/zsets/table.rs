//! The sorted set rows of the command table: flags, key specs (as Redis 7.0
//! reports them in COMMAND INFO) and the documented arguments of COMMAND
//! DOCS. Kept apart from the handlers (`super`) for length.

use super::*;
use crate::commands::table::key_at;
use crate::commands::table::{
    Acl, Arg, ArgFlags, ArgType, BeginSearch, CommandSpec, DocFlags, FindKeys, Flags, Group,
    KeyFlags, KeySpec, Keys, ARG, BASE,
};

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

const ZSET: Acl = Acl::SORTEDSET;
const W_DENYOOM_FAST: Flags = Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST);
const W_DENYOOM: Flags = Flags::WRITE.or(Flags::DENYOOM);
const W_FAST: Flags = Flags::WRITE.or(Flags::FAST);
const RO_FAST: Flags = Flags::READONLY.or(Flags::FAST);
const ZSET_CMD: CommandSpec = CommandSpec {
    acl: ZSET,
    keys: Keys::ONE,
    group: Group::SortedSet,
    ..BASE
};

const RO: KeyFlags = KeyFlags::RO;
const RO_ACCESS: KeyFlags = KeyFlags::RO.or(KeyFlags::ACCESS);
const RW_UPDATE: KeyFlags = KeyFlags::RW.or(KeyFlags::UPDATE);
const RW_ACCESS_UPDATE: KeyFlags = KeyFlags::RW.or(KeyFlags::ACCESS).or(KeyFlags::UPDATE);
const RW_DELETE: KeyFlags = KeyFlags::RW.or(KeyFlags::DELETE);
const RW_ACCESS_DELETE: KeyFlags = KeyFlags::RW.or(KeyFlags::ACCESS).or(KeyFlags::DELETE);
const OW_UPDATE: KeyFlags = KeyFlags::OW.or(KeyFlags::UPDATE);

/// Keys counted by the argument at `index`, following it.
const fn keys_counted_at(index: i32, flags: KeyFlags) -> KeySpec {
    KeySpec {
        notes: "",
        flags,
        begin: BeginSearch::Index(index),
        find: FindKeys::Keynum {
            keynumidx: 0,
            firstkey: 1,
            keystep: 1,
        },
    }
}

/// `numkeys key...` read-only inputs (ZUNION, ZINTER, ZDIFF, ZINTERCARD).
const COUNTED_INPUTS: &[KeySpec] = &[keys_counted_at(1, RO_ACCESS)];
/// `dst numkeys key...` (the *STORE forms).
const STORE_INPUTS: &[KeySpec] = &[key_at(1, OW_UPDATE), keys_counted_at(2, RO_ACCESS)];
/// Blocking pops: every key up to the timeout.
const BZPOP_KEYS: &[KeySpec] = &[KeySpec {
    notes: "",
    flags: RW_ACCESS_DELETE,
    begin: BeginSearch::Index(1),
    find: FindKeys::Range {
        lastkey: -2,
        keystep: 1,
        limit: 0,
    },
}];

// ---------------------------------------------------------------------------
// COMMAND DOCS arguments (names, types, tokens and flags as Redis 7.0
// documents them)
// ---------------------------------------------------------------------------

const fn arg(name: &'static str, kind: ArgType) -> Arg {
    Arg { name, kind, ..ARG }
}

const fn key(spec: u32) -> Arg {
    arg("key", ArgType::Key(spec))
}

const fn pure(name: &'static str, token: &'static str) -> Arg {
    Arg {
        token,
        ..arg(name, ArgType::PureToken)
    }
}

const fn token(a: Arg, token: &'static str) -> Arg {
    Arg { token, ..a }
}

const fn since(a: Arg, since: &'static str) -> Arg {
    Arg { since, ..a }
}

const fn opt(a: Arg) -> Arg {
    flagged(a, ArgFlags::OPTIONAL)
}

const fn flagged(a: Arg, flags: ArgFlags) -> Arg {
    Arg { flags, ..a }
}

const fn one_of(name: &'static str, args: &'static [Arg]) -> Arg {
    Arg {
        args,
        ..arg(name, ArgType::OneOf)
    }
}

const fn block(name: &'static str, args: &'static [Arg]) -> Arg {
    Arg {
        args,
        ..arg(name, ArgType::Block)
    }
}

const ZADD_ARGS: &[Arg] = &[
    key(0),
    opt(since(
        one_of("condition", &[pure("nx", "NX"), pure("xx", "XX")]),
        "3.0.2",
    )),
    opt(since(
        one_of("comparison", &[pure("gt", "GT"), pure("lt", "LT")]),
        "6.2.0",
    )),
    opt(since(pure("change", "CH"), "3.0.2")),
    opt(since(pure("increment", "INCR"), "3.0.2")),
    flagged(
        block(
            "score_member",
            &[
                arg("score", ArgType::Double),
                arg("member", ArgType::String),
            ],
        ),
        ArgFlags::MULTIPLE,
    ),
];
const ZCARD_ARGS: &[Arg] = &[key(0)];
const ZCOUNT_ARGS: &[Arg] = &[
    key(0),
    arg("min", ArgType::Double),
    arg("max", ArgType::Double),
];
const ZINCRBY_ARGS: &[Arg] = &[
    key(0),
    arg("increment", ArgType::Integer),
    arg("member", ArgType::String),
];
const ZSCORE_ARGS: &[Arg] = &[key(0), arg("member", ArgType::String)];
const ZMSCORE_ARGS: &[Arg] = &[
    key(0),
    flagged(arg("member", ArgType::String), ArgFlags::MULTIPLE),
];
const ZRANK_ARGS: &[Arg] = &[key(0), arg("member", ArgType::String)];
const ZREVRANK_ARGS: &[Arg] = &[key(0), arg("member", ArgType::String)];
const ZRANGE_ARGS: &[Arg] = &[
    key(0),
    arg("start", ArgType::String),
    arg("stop", ArgType::String),
    opt(since(
        one_of(
            "sortby",
            &[pure("byscore", "BYSCORE"), pure("bylex", "BYLEX")],
        ),
        "6.2.0",
    )),
    opt(since(pure("rev", "REV"), "6.2.0")),
    opt(since(
        token(
            block(
                "offset_count",
                &[
                    arg("offset", ArgType::Integer),
                    arg("count", ArgType::Integer),
                ],
            ),
            "LIMIT",
        ),
        "6.2.0",
    )),
    opt(pure("withscores", "WITHSCORES")),
];
const ZRANGEBYSCORE_ARGS: &[Arg] = &[
    key(0),
    arg("min", ArgType::Double),
    arg("max", ArgType::Double),
    opt(since(pure("withscores", "WITHSCORES"), "2.0.0")),
    opt(token(
        block(
            "offset_count",
            &[
                arg("offset", ArgType::Integer),
                arg("count", ArgType::Integer),
            ],
        ),
        "LIMIT",
    )),
];
const ZREVRANGEBYSCORE_ARGS: &[Arg] = &[
    key(0),
    arg("max", ArgType::Double),
    arg("min", ArgType::Double),
    opt(pure("withscores", "WITHSCORES")),
    opt(token(
        block(
            "offset_count",
            &[
                arg("offset", ArgType::Integer),
                arg("count", ArgType::Integer),
            ],
        ),
        "LIMIT",
    )),
];
const ZRANGEBYLEX_ARGS: &[Arg] = &[
    key(0),
    arg("min", ArgType::String),
    arg("max", ArgType::String),
    opt(token(
        block(
            "offset_count",
            &[
                arg("offset", ArgType::Integer),
                arg("count", ArgType::Integer),
            ],
        ),
        "LIMIT",
    )),
];
const ZREVRANGEBYLEX_ARGS: &[Arg] = &[
    key(0),
    arg("max", ArgType::String),
    arg("min", ArgType::String),
    opt(token(
        block(
            "offset_count",
            &[
                arg("offset", ArgType::Integer),
                arg("count", ArgType::Integer),
            ],
        ),
        "LIMIT",
    )),
];
const ZREVRANGE_ARGS: &[Arg] = &[
    key(0),
    arg("start", ArgType::Integer),
    arg("stop", ArgType::Integer),
    opt(pure("withscores", "WITHSCORES")),
];
const ZRANGESTORE_ARGS: &[Arg] = &[
    Arg {
        name: "dst",
        ..key(0)
    },
    Arg {
        name: "src",
        ..key(1)
    },
    arg("min", ArgType::String),
    arg("max", ArgType::String),
    opt(one_of(
        "sortby",
        &[pure("byscore", "BYSCORE"), pure("bylex", "BYLEX")],
    )),
    opt(pure("rev", "REV")),
    opt(token(
        block(
            "offset_count",
            &[
                arg("offset", ArgType::Integer),
                arg("count", ArgType::Integer),
            ],
        ),
        "LIMIT",
    )),
];
const ZLEXCOUNT_ARGS: &[Arg] = &[
    key(0),
    arg("min", ArgType::String),
    arg("max", ArgType::String),
];
const ZREM_ARGS: &[Arg] = &[
    key(0),
    flagged(arg("member", ArgType::String), ArgFlags::MULTIPLE),
];
const ZREMRANGEBYRANK_ARGS: &[Arg] = &[
    key(0),
    arg("start", ArgType::Integer),
    arg("stop", ArgType::Integer),
];
const ZREMRANGEBYSCORE_ARGS: &[Arg] = &[
    key(0),
    arg("min", ArgType::Double),
    arg("max", ArgType::Double),
];
const ZREMRANGEBYLEX_ARGS: &[Arg] = &[
    key(0),
    arg("min", ArgType::String),
    arg("max", ArgType::String),
];
const ZPOPMIN_ARGS: &[Arg] = &[key(0), opt(arg("count", ArgType::Integer))];
const ZPOPMAX_ARGS: &[Arg] = &[key(0), opt(arg("count", ArgType::Integer))];
const ZMPOP_ARGS: &[Arg] = &[
    arg("numkeys", ArgType::Integer),
    flagged(key(0), ArgFlags::MULTIPLE),
    one_of("where", &[pure("min", "MIN"), pure("max", "MAX")]),
    opt(token(arg("count", ArgType::Integer), "COUNT")),
];
const ZRANDMEMBER_ARGS: &[Arg] = &[
    key(0),
    opt(block(
        "options",
        &[
            arg("count", ArgType::Integer),
            opt(pure("withscores", "WITHSCORES")),
        ],
    )),
];
const ZSCAN_ARGS: &[Arg] = &[
    key(0),
    arg("cursor", ArgType::Integer),
    opt(token(arg("pattern", ArgType::Pattern), "MATCH")),
    opt(token(arg("count", ArgType::Integer), "COUNT")),
];
/// WEIGHTS and AGGREGATE, shared by ZUNION, ZINTER and their STORE forms.
const WEIGHTS_ARG: Arg = flagged(
    token(arg("weight", ArgType::Integer), "WEIGHTS"),
    ArgFlags::OPTIONAL.or(ArgFlags::MULTIPLE),
);
const AGGREGATE_ARG: Arg = opt(token(
    one_of(
        "aggregate",
        &[pure("sum", "SUM"), pure("min", "MIN"), pure("max", "MAX")],
    ),
    "AGGREGATE",
));
/// ZUNION and ZINTER take the same arguments.
const ZUNION_ARGS: &[Arg] = &[
    arg("numkeys", ArgType::Integer),
    flagged(key(0), ArgFlags::MULTIPLE),
    WEIGHTS_ARG,
    AGGREGATE_ARG,
    opt(pure("withscores", "WITHSCORES")),
];
const ZINTER_ARGS: &[Arg] = ZUNION_ARGS;
/// ZUNIONSTORE and ZINTERSTORE take the same arguments.
const ZUNIONSTORE_ARGS: &[Arg] = &[
    Arg {
        name: "destination",
        ..key(0)
    },
    arg("numkeys", ArgType::Integer),
    flagged(key(1), ArgFlags::MULTIPLE),
    WEIGHTS_ARG,
    AGGREGATE_ARG,
];
const ZINTERSTORE_ARGS: &[Arg] = ZUNIONSTORE_ARGS;
const ZINTERCARD_ARGS: &[Arg] = &[
    arg("numkeys", ArgType::Integer),
    flagged(key(0), ArgFlags::MULTIPLE),
    opt(token(arg("limit", ArgType::Integer), "LIMIT")),
];
const ZDIFF_ARGS: &[Arg] = &[
    arg("numkeys", ArgType::Integer),
    flagged(key(0), ArgFlags::MULTIPLE),
    opt(pure("withscores", "WITHSCORES")),
];
const ZDIFFSTORE_ARGS: &[Arg] = &[
    Arg {
        name: "destination",
        ..key(0)
    },
    arg("numkeys", ArgType::Integer),
    flagged(key(1), ArgFlags::MULTIPLE),
];
const BZPOPMIN_ARGS: &[Arg] = &[
    flagged(key(0), ArgFlags::MULTIPLE),
    arg("timeout", ArgType::Double),
];
const BZPOPMAX_ARGS: &[Arg] = &[
    flagged(key(0), ArgFlags::MULTIPLE),
    arg("timeout", ArgType::Double),
];
const BZMPOP_ARGS: &[Arg] = &[
    arg("timeout", ArgType::Double),
    arg("numkeys", ArgType::Integer),
    flagged(key(0), ArgFlags::MULTIPLE),
    one_of("where", &[pure("min", "MIN"), pure("max", "MAX")]),
    opt(token(arg("count", ArgType::Integer), "COUNT")),
];

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "zadd",
        arity: -4,
        flags: W_DENYOOM_FAST,
        summary: "Adds members to a sorted set, or updates their scores.",
        complexity: "O(log(N)) per member added",
        key_flags: RW_UPDATE,
        since: "1.2.0",
        history: &[
            ("2.4.0", "Several members per call."),
            ("3.0.2", "The XX, NX, CH and INCR options."),
            ("6.2.0", "The GT and LT options."),
        ],
        arguments: ZADD_ARGS,
        handler: zadd,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zcard",
        arity: 2,
        flags: RO_FAST,
        summary: "Returns the number of members of a sorted set.",
        key_flags: RO,
        since: "1.2.0",
        arguments: ZCARD_ARGS,
        handler: zcard,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zcount",
        arity: 4,
        flags: RO_FAST,
        summary: "Counts the members of a sorted set within a score range.",
        complexity: "O(log(N))",
        since: "2.0.0",
        arguments: ZCOUNT_ARGS,
        handler: zcount,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zincrby",
        arity: 4,
        flags: W_DENYOOM_FAST,
        summary: "Increments the score of a member of a sorted set.",
        complexity: "O(log(N))",
        key_flags: RW_ACCESS_UPDATE,
        since: "1.2.0",
        arguments: ZINCRBY_ARGS,
        handler: zincrby,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zscore",
        arity: 3,
        flags: RO_FAST,
        summary: "Returns the score of a member of a sorted set.",
        since: "1.2.0",
        arguments: ZSCORE_ARGS,
        handler: zscore,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zmscore",
        arity: -3,
        flags: RO_FAST,
        summary: "Returns the scores of members of a sorted set.",
        complexity: "O(N) for N members asked",
        since: "6.2.0",
        arguments: ZMSCORE_ARGS,
        handler: zmscore,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zrank",
        arity: 3,
        flags: RO_FAST,
        summary: "Returns the rank of a member, scores ascending.",
        complexity: "O(log(N))",
        since: "2.0.0",
        arguments: ZRANK_ARGS,
        handler: zrank,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zrevrank",
        arity: 3,
        flags: RO_FAST,
        summary: "Returns the rank of a member, scores descending.",
        complexity: "O(log(N))",
        since: "2.0.0",
        arguments: ZREVRANK_ARGS,
        handler: zrevrank,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zrange",
        arity: -4,
        flags: Flags::READONLY,
        summary: "Returns members of a sorted set in a range of ranks, scores or names.",
        complexity: "O(log(N)+M)",
        since: "1.2.0",
        history: &[("6.2.0", "The REV, BYSCORE, BYLEX and LIMIT options.")],
        arguments: ZRANGE_ARGS,
        handler: zrange,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zrangebyscore",
        arity: -4,
        flags: Flags::READONLY,
        summary: "Returns members of a sorted set in a range of scores.",
        complexity: "O(log(N)+M)",
        since: "1.0.5",
        doc_flags: DocFlags::DEPRECATED,
        deprecated_since: "6.2.0",
        replaced_by: "`ZRANGE` with the `BYSCORE` argument",
        history: &[("2.0.0", "The WITHSCORES option.")],
        arguments: ZRANGEBYSCORE_ARGS,
        handler: zrangebyscore,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zrevrangebyscore",
        arity: -4,
        flags: Flags::READONLY,
        summary: "Returns members of a sorted set in a range of scores, highest first.",
        complexity: "O(log(N)+M)",
        since: "2.2.0",
        doc_flags: DocFlags::DEPRECATED,
        deprecated_since: "6.2.0",
        replaced_by: "`ZRANGE` with the `REV` and `BYSCORE` arguments",
        history: &[("2.1.6", "Exclusive min and max bounds.")],
        arguments: ZREVRANGEBYSCORE_ARGS,
        handler: zrevrangebyscore,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zrangebylex",
        arity: -4,
        flags: Flags::READONLY,
        summary: "Returns members of a sorted set in a range of names.",
        complexity: "O(log(N)+M)",
        since: "2.8.9",
        doc_flags: DocFlags::DEPRECATED,
        deprecated_since: "6.2.0",
        replaced_by: "`ZRANGE` with the `BYLEX` argument",
        arguments: ZRANGEBYLEX_ARGS,
        handler: zrangebylex,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zrevrangebylex",
        arity: -4,
        flags: Flags::READONLY,
        summary: "Returns members of a sorted set in a range of names, highest first.",
        complexity: "O(log(N)+M)",
        since: "2.8.9",
        doc_flags: DocFlags::DEPRECATED,
        deprecated_since: "6.2.0",
        replaced_by: "`ZRANGE` with the `REV` and `BYLEX` arguments",
        arguments: ZREVRANGEBYLEX_ARGS,
        handler: zrevrangebylex,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zrevrange",
        arity: -4,
        flags: Flags::READONLY,
        summary: "Returns members of a sorted set in a range of ranks, highest first.",
        complexity: "O(log(N)+M)",
        since: "1.2.0",
        doc_flags: DocFlags::DEPRECATED,
        deprecated_since: "6.2.0",
        replaced_by: "`ZRANGE` with the `REV` argument",
        arguments: ZREVRANGE_ARGS,
        handler: zrevrange,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zrangestore",
        arity: -5,
        flags: W_DENYOOM,
        keys: Keys::TWO,
        summary: "Stores a range of a sorted set in another key.",
        complexity: "O(log(N)+M)",
        key_specs: &[key_at(1, OW_UPDATE), key_at(2, RO_ACCESS)],
        since: "6.2.0",
        arguments: ZRANGESTORE_ARGS,
        handler: zrangestore,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zlexcount",
        arity: 4,
        flags: RO_FAST,
        summary: "Counts the members of a sorted set within a range of names.",
        complexity: "O(log(N))",
        since: "2.8.9",
        arguments: ZLEXCOUNT_ARGS,
        handler: zlexcount,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zrem",
        arity: -3,
        flags: W_FAST,
        summary: "Removes members from a sorted set.",
        complexity: "O(M*log(N))",
        key_flags: RW_DELETE,
        since: "1.2.0",
        history: &[("2.4.0", "Several members per call.")],
        arguments: ZREM_ARGS,
        handler: zrem,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zremrangebyrank",
        arity: 4,
        flags: Flags::WRITE,
        summary: "Removes the members of a sorted set in a range of ranks.",
        complexity: "O(log(N)+M)",
        key_flags: RW_DELETE,
        since: "2.0.0",
        arguments: ZREMRANGEBYRANK_ARGS,
        handler: zremrangebyrank,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zremrangebyscore",
        arity: 4,
        flags: Flags::WRITE,
        summary: "Removes the members of a sorted set in a range of scores.",
        complexity: "O(log(N)+M)",
        key_flags: RW_DELETE,
        since: "1.2.0",
        arguments: ZREMRANGEBYSCORE_ARGS,
        handler: zremrangebyscore,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zremrangebylex",
        arity: 4,
        flags: Flags::WRITE,
        summary: "Removes the members of a sorted set in a range of names.",
        complexity: "O(log(N)+M)",
        key_flags: RW_DELETE,
        since: "2.8.9",
        arguments: ZREMRANGEBYLEX_ARGS,
        handler: zremrangebylex,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zpopmin",
        arity: -2,
        flags: W_FAST,
        summary: "Removes and returns the members with the lowest scores.",
        complexity: "O(log(N)*M)",
        key_flags: RW_ACCESS_DELETE,
        since: "5.0.0",
        arguments: ZPOPMIN_ARGS,
        handler: zpopmin,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zpopmax",
        arity: -2,
        flags: W_FAST,
        summary: "Removes and returns the members with the highest scores.",
        complexity: "O(log(N)*M)",
        key_flags: RW_ACCESS_DELETE,
        since: "5.0.0",
        arguments: ZPOPMAX_ARGS,
        handler: zpopmax,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zmpop",
        arity: -4,
        flags: Flags::WRITE,
        keys: Keys::NONE,
        summary: "Removes and returns members from the first non-empty sorted set.",
        complexity: "O(K) + O(M*log(N))",
        key_specs: &[keys_counted_at(1, RW_ACCESS_DELETE)],
        since: "7.0.0",
        arguments: ZMPOP_ARGS,
        handler: zmpop,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "bzpopmin",
        arity: -3,
        flags: Flags::WRITE
            .or(Flags::NOSCRIPT)
            .or(Flags::BLOCKING)
            .or(Flags::FAST),
        keys: Keys {
            first: 1,
            last: -2,
            step: 1,
        },
        summary:
            "Removes and returns the lowest member of the first non-empty sorted set, or blocks.",
        complexity: "O(log(N))",
        key_specs: BZPOP_KEYS,
        since: "5.0.0",
        history: &[("6.0.0", "The timeout is a double rather than an integer.")],
        arguments: BZPOPMIN_ARGS,
        handler: bzpopmin,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "bzpopmax",
        arity: -3,
        flags: Flags::WRITE
            .or(Flags::NOSCRIPT)
            .or(Flags::BLOCKING)
            .or(Flags::FAST),
        keys: Keys {
            first: 1,
            last: -2,
            step: 1,
        },
        summary:
            "Removes and returns the highest member of the first non-empty sorted set, or blocks.",
        complexity: "O(log(N))",
        key_specs: BZPOP_KEYS,
        since: "5.0.0",
        history: &[("6.0.0", "The timeout is a double rather than an integer.")],
        arguments: BZPOPMAX_ARGS,
        handler: bzpopmax,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "bzmpop",
        arity: -5,
        flags: Flags::WRITE.or(Flags::BLOCKING),
        keys: Keys::NONE,
        summary: "Removes and returns members from the first non-empty sorted set, or blocks.",
        complexity: "O(K) + O(M*log(N))",
        key_specs: &[keys_counted_at(2, RW_ACCESS_DELETE)],
        since: "7.0.0",
        arguments: BZMPOP_ARGS,
        handler: bzmpop,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zrandmember",
        arity: -2,
        flags: Flags::READONLY,
        summary: "Returns random members of a sorted set.",
        complexity: "O(N) for N members returned",
        tips: &["nondeterministic_output"],
        since: "6.2.0",
        arguments: ZRANDMEMBER_ARGS,
        handler: zrandmember,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zscan",
        arity: -3,
        flags: Flags::READONLY,
        summary: "Iterates over the members and scores of a sorted set.",
        complexity: "O(1) a call, O(N) for a full cycle",
        tips: &["nondeterministic_output"],
        since: "2.8.0",
        arguments: ZSCAN_ARGS,
        handler: zscan,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zunion",
        arity: -3,
        flags: Flags::READONLY,
        keys: Keys::NONE,
        summary: "Returns the union of sorted sets.",
        complexity: "O(N)+O(M*log(M))",
        key_specs: COUNTED_INPUTS,
        since: "6.2.0",
        arguments: ZUNION_ARGS,
        handler: zunion,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zunionstore",
        arity: -4,
        flags: W_DENYOOM,
        summary: "Stores the union of sorted sets in a key.",
        complexity: "O(N)+O(M log(M))",
        key_specs: STORE_INPUTS,
        since: "2.0.0",
        arguments: ZUNIONSTORE_ARGS,
        handler: zunionstore,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zinter",
        arity: -3,
        flags: Flags::READONLY,
        keys: Keys::NONE,
        summary: "Returns the intersection of sorted sets.",
        complexity: "O(N*K)+O(M*log(M))",
        key_specs: COUNTED_INPUTS,
        since: "6.2.0",
        arguments: ZINTER_ARGS,
        handler: zinter,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zinterstore",
        arity: -4,
        flags: W_DENYOOM,
        summary: "Stores the intersection of sorted sets in a key.",
        complexity: "O(N*K)+O(M*log(M))",
        key_specs: STORE_INPUTS,
        since: "2.0.0",
        arguments: ZINTERSTORE_ARGS,
        handler: zinterstore,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zintercard",
        arity: -3,
        flags: Flags::READONLY,
        keys: Keys::NONE,
        summary: "Returns the number of members in the intersection of sorted sets.",
        complexity: "O(N*K)",
        key_specs: COUNTED_INPUTS,
        since: "7.0.0",
        arguments: ZINTERCARD_ARGS,
        handler: zintercard,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zdiff",
        arity: -3,
        flags: Flags::READONLY,
        keys: Keys::NONE,
        summary: "Returns the difference of sorted sets.",
        complexity: "O(L + (N-K)log(N))",
        key_specs: COUNTED_INPUTS,
        since: "6.2.0",
        arguments: ZDIFF_ARGS,
        handler: zdiff,
        ..ZSET_CMD
    },
    CommandSpec {
        name: "zdiffstore",
        arity: -4,
        flags: W_DENYOOM,
        summary: "Stores the difference of sorted sets in a key.",
        complexity: "O(L + (N-K)log(N))",
        key_specs: STORE_INPUTS,
        since: "6.2.0",
        arguments: ZDIFFSTORE_ARGS,
        handler: zdiffstore,
        ..ZSET_CMD
    },
];
