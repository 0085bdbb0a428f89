//! Pub/Sub commands: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBE
//! forms, PUBLISH, SPUBLISH and PUBSUB. The registry and the delivery of
//! messages live in `server::pubsub`; this file parses and replies.
//!
//! Replies to (un)subscribing are push messages (arrays in RESP2), one per
//! channel, each with the client's subscription count after it. A client
//! subscribed to anything is in Pub/Sub mode: in RESP2 it may then only
//! (un)subscribe, PING, QUIT and RESET (`dispatch` enforces it; `allowed_in_pubsub`).

use super::table::{
    Acl, Arg, ArgFlags, ArgType, Args, CommandSpec, Flags, Group, KeyFlags, Keys, ARG, BASE,
};
use super::Ctx;
use crate::error::{bad_subcommand, CmdError, CmdResult};
use crate::server::pubsub::Kind;

/// Commands a RESP2 client in Pub/Sub mode may still send.
pub fn allowed_in_pubsub(name: &str) -> bool {
    matches!(
        name,
        "subscribe"
            | "ssubscribe"
            | "psubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "punsubscribe"
            | "ping"
            | "quit"
            | "reset"
    )
}

/// The error for any other command in RESP2 Pub/Sub mode.
pub fn not_allowed_in_pubsub(full_name: &str) -> CmdError {
    CmdError::from(format!(
        "ERR Can't execute '{full_name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
    ))
}

/// `[verb, name, count]` as a push message (name nil for "nothing").
fn sub_reply(ctx: &mut Ctx, verb: &str, name: Option<&[u8]>, count: usize) {
    ctx.out.push(3);
    ctx.out.bulk(verb.as_bytes());
    match name {
        Some(n) => ctx.out.bulk(n),
        None => ctx.out.null(),
    }
    ctx.out.int(count as i64);
}

fn subscribe_kind(ctx: &mut Ctx, args: &Args, kind: Kind) -> CmdResult {
    let cid = ctx.cid;
    for name in args.iter_from(1) {
        let c = &mut ctx.clients[cid];
        ctx.srv.pubsub.subscribe(c, cid, kind, name);
        let count = c.subs.count(kind);
        sub_reply(ctx, kind.verbs().0, Some(name), count);
    }
    Ok(())
}

/// Unsubscribes from the names given, or from everything of the kind when
/// none is: one reply per name, or a single reply with a nil name when
/// there was nothing to leave.
fn unsubscribe_kind(ctx: &mut Ctx, args: &Args, kind: Kind) -> CmdResult {
    let cid = ctx.cid;
    let verb = kind.verbs().1;
    let names: Vec<Vec<u8>> = if args.len() > 1 {
        args.iter_from(1).map(<[u8]>::to_vec).collect()
    } else {
        ctx.clients[cid].subs.list(kind).clone()
    };
    if names.is_empty() {
        let count = ctx.clients[cid].subs.count(kind);
        sub_reply(ctx, verb, None, count);
        return Ok(());
    }
    for name in &names {
        let c = &mut ctx.clients[cid];
        ctx.srv.pubsub.unsubscribe(c, cid, kind, name);
        let count = c.subs.count(kind);
        sub_reply(ctx, verb, Some(name), count);
    }
    Ok(())
}

fn subscribe(ctx: &mut Ctx, args: &Args) -> CmdResult {
    subscribe_kind(ctx, args, Kind::Channel)
}

fn psubscribe(ctx: &mut Ctx, args: &Args) -> CmdResult {
    subscribe_kind(ctx, args, Kind::Pattern)
}

fn ssubscribe(ctx: &mut Ctx, args: &Args) -> CmdResult {
    subscribe_kind(ctx, args, Kind::Shard)
}

fn unsubscribe(ctx: &mut Ctx, args: &Args) -> CmdResult {
    unsubscribe_kind(ctx, args, Kind::Channel)
}

fn punsubscribe(ctx: &mut Ctx, args: &Args) -> CmdResult {
    unsubscribe_kind(ctx, args, Kind::Pattern)
}

fn sunsubscribe(ctx: &mut Ctx, args: &Args) -> CmdResult {
    unsubscribe_kind(ctx, args, Kind::Shard)
}

/// Publishes on a channel from within a command (PUBLISH, SPUBLISH, and
/// keyspace notifications later); returns the number of deliveries.
pub fn publish_message(ctx: &mut Ctx, shard: bool, channel: &[u8], msg: &[u8]) -> usize {
    ctx.srv
        .pubsub
        .publish(ctx.clients, (ctx.cid, &mut *ctx.out), shard, channel, msg)
}

fn publish(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let n = publish_message(ctx, false, args.get(1), args.get(2));
    ctx.out.int(n as i64);
    Ok(())
}

fn spublish(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let n = publish_message(ctx, true, args.get(1), args.get(2));
    ctx.out.int(n as i64);
    Ok(())
}

/// PUBSUB CHANNELS / SHARDCHANNELS take at most one pattern; more is
/// Redis's subcommand syntax error.
fn channels_reply(ctx: &mut Ctx, args: &Args, shard: bool) -> CmdResult {
    if args.len() > 3 {
        return Err(bad_subcommand("PUBSUB", args.get(1)));
    }
    let pattern = (args.len() == 3).then(|| args.get(2));
    let list = ctx.srv.pubsub.active(shard, pattern);
    ctx.out.array(list.len());
    for ch in list {
        ctx.out.bulk(ch);
    }
    Ok(())
}

fn pubsub_channels(ctx: &mut Ctx, args: &Args) -> CmdResult {
    channels_reply(ctx, args, false)
}

fn pubsub_shardchannels(ctx: &mut Ctx, args: &Args) -> CmdResult {
    channels_reply(ctx, args, true)
}

fn numsub_reply(ctx: &mut Ctx, args: &Args, shard: bool) -> CmdResult {
    // A flat array in RESP3 too, as Redis 7.0 sends it.
    ctx.out.array(2 * (args.len() - 2));
    for ch in args.iter_from(2) {
        let n = ctx.srv.pubsub.numsub(shard, ch);
        ctx.out.bulk(ch);
        ctx.out.int(n as i64);
    }
    Ok(())
}

fn pubsub_numsub(ctx: &mut Ctx, args: &Args) -> CmdResult {
    numsub_reply(ctx, args, false)
}

fn pubsub_shardnumsub(ctx: &mut Ctx, args: &Args) -> CmdResult {
    numsub_reply(ctx, args, true)
}

fn pubsub_numpat(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let n = ctx.srv.pubsub.numpat();
    ctx.out.int(n as i64);
    Ok(())
}

fn pubsub_help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    super::server::reply_help(
        ctx.out,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
    Ok(())
}

/// Flags of the (un)subscribe commands.
const SUB_FLAGS: Flags = Flags::PUBSUB
    .or(Flags::NOSCRIPT)
    .or(Flags::LOADING)
    .or(Flags::STALE);
/// Flags of PUBLISH, SPUBLISH.
const PUB_FLAGS: Flags = Flags::PUBSUB
    .or(Flags::LOADING)
    .or(Flags::STALE)
    .or(Flags::FAST);
/// Flags of the PUBSUB introspection subcommands.
const INTROSPECT: Flags = Flags::PUBSUB.or(Flags::LOADING).or(Flags::STALE);

const PUBSUB_CMD: CommandSpec = CommandSpec {
    group: Group::Pubsub,
    since: "2.0.0",
    ..BASE
};

const CHANNELS_ARG: &[Arg] = &[Arg {
    name: "channel",
    flags: ArgFlags::MULTIPLE,
    ..ARG
}];
const CHANNELS_OPT_ARG: &[Arg] = &[Arg {
    name: "channel",
    flags: ArgFlags::OPTIONAL.or(ArgFlags::MULTIPLE),
    ..ARG
}];
const PATTERNS_ARG: &[Arg] = &[Arg {
    name: "pattern",
    kind: ArgType::Pattern,
    flags: ArgFlags::MULTIPLE,
    ..ARG
}];
const PATTERNS_OPT_ARG: &[Arg] = &[Arg {
    name: "pattern",
    kind: ArgType::Pattern,
    flags: ArgFlags::OPTIONAL.or(ArgFlags::MULTIPLE),
    ..ARG
}];
const SHARD_ARG: &[Arg] = &[Arg {
    name: "shardchannel",
    flags: ArgFlags::MULTIPLE,
    ..ARG
}];
const SHARD_OPT_ARG: &[Arg] = &[Arg {
    name: "shardchannel",
    flags: ArgFlags::OPTIONAL.or(ArgFlags::MULTIPLE),
    ..ARG
}];
const PUBLISH_ARGS: &[Arg] = &[
    Arg {
        name: "channel",
        ..ARG
    },
    Arg {
        name: "message",
        ..ARG
    },
];
const SPUBLISH_ARGS: &[Arg] = &[
    Arg {
        name: "shardchannel",
        ..ARG
    },
    Arg {
        name: "message",
        ..ARG
    },
];
const OPT_PATTERN: &[Arg] = &[Arg {
    name: "pattern",
    kind: ArgType::Pattern,
    flags: ArgFlags::OPTIONAL,
    ..ARG
}];

const PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "channels",
        arity: -2,
        flags: INTROSPECT,
        since: "2.8.0",
        summary: "Lists the channels that have subscribers.",
        complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
        arguments: OPT_PATTERN,
        handler: pubsub_channels,
        ..PUBSUB_CMD
    },
    CommandSpec {
        name: "numpat",
        arity: 2,
        flags: INTROSPECT,
        since: "2.8.0",
        summary: "Counts the patterns that have subscribers.",
        handler: pubsub_numpat,
        ..PUBSUB_CMD
    },
    CommandSpec {
        name: "numsub",
        arity: -2,
        flags: INTROSPECT,
        since: "2.8.0",
        summary: "Counts the subscribers of channels.",
        complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
        arguments: CHANNELS_OPT_ARG,
        handler: pubsub_numsub,
        ..PUBSUB_CMD
    },
    CommandSpec {
        name: "shardchannels",
        arity: -2,
        flags: INTROSPECT,
        since: "7.0.0",
        summary: "Lists the shard channels that have subscribers.",
        complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
        arguments: OPT_PATTERN,
        handler: pubsub_shardchannels,
        ..PUBSUB_CMD
    },
    CommandSpec {
        name: "shardnumsub",
        arity: -2,
        flags: INTROSPECT,
        since: "7.0.0",
        summary: "Counts the subscribers of shard channels.",
        complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
        arguments: SHARD_OPT_ARG,
        handler: pubsub_shardnumsub,
        ..PUBSUB_CMD
    },
    CommandSpec {
        name: "help",
        arity: 2,
        flags: Flags::LOADING.or(Flags::STALE),
        since: "6.2.0",
        summary: "Shows what PUBSUB's subcommands do.",
        handler: pubsub_help,
        ..PUBSUB_CMD
    },
];

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "subscribe",
        arity: -2,
        flags: SUB_FLAGS,
        summary: "Listens for messages published to channels.",
        complexity: "O(N) where N is the number of channels to subscribe to.",
        arguments: CHANNELS_ARG,
        handler: subscribe,
        ..PUBSUB_CMD
    },
    CommandSpec {
        name: "unsubscribe",
        arity: -1,
        flags: SUB_FLAGS,
        summary: "Stops listening to messages posted to channels.",
        complexity: "O(N) where N is the number of clients already subscribed to a channel.",
        arguments: CHANNELS_OPT_ARG,
        handler: unsubscribe,
        ..PUBSUB_CMD
    },
    CommandSpec {
        name: "psubscribe",
        arity: -2,
        flags: SUB_FLAGS,
        summary: "Listens for messages published to channels that match patterns.",
        complexity: "O(N) where N is the number of patterns the client is already subscribed to.",
        arguments: PATTERNS_ARG,
        handler: psubscribe,
        ..PUBSUB_CMD
    },
    CommandSpec {
        name: "punsubscribe",
        arity: -1,
        flags: SUB_FLAGS,
        summary: "Stops listening to messages published to channels that match patterns.",
        complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
        arguments: PATTERNS_OPT_ARG,
        handler: punsubscribe,
        ..PUBSUB_CMD
    },
    CommandSpec {
        name: "ssubscribe",
        arity: -2,
        flags: SUB_FLAGS,
        keys: Keys::ALL,
        key_flags: KeyFlags::NOT_KEY,
        since: "7.0.0",
        summary: "Listens for messages published to shard channels.",
        complexity: "O(N) where N is the number of shard channels to subscribe to.",
        arguments: SHARD_ARG,
        handler: ssubscribe,
        ..PUBSUB_CMD
    },
    CommandSpec {
        name: "sunsubscribe",
        arity: -1,
        flags: SUB_FLAGS,
        keys: Keys::ALL,
        key_flags: KeyFlags::NOT_KEY,
        since: "7.0.0",
        summary: "Stops listening to messages posted to shard channels.",
        complexity: "O(N) where N is the number of clients already subscribed to a shard channel.",
        arguments: SHARD_OPT_ARG,
        handler: sunsubscribe,
        ..PUBSUB_CMD
    },
    CommandSpec {
        name: "publish",
        arity: 3,
        flags: PUB_FLAGS,
        summary: "Posts a message to a channel.",
        complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
        arguments: PUBLISH_ARGS,
        handler: publish,
        ..PUBSUB_CMD
    },
    CommandSpec {
        name: "spublish",
        arity: 3,
        flags: PUB_FLAGS,
        keys: Keys::ONE,
        key_flags: KeyFlags::NOT_KEY,
        since: "7.0.0",
        summary: "Posts a message to a shard channel.",
        complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
        arguments: SPUBLISH_ARGS,
        handler: spublish,
        ..PUBSUB_CMD
    },
    CommandSpec {
        name: "pubsub",
        arity: -2,
        flags: Flags::NONE,
        acl: Acl::NONE,
        since: "2.8.0",
        summary: "A container for Pub/Sub commands.",
        complexity: "Depends on subcommand.",
        subcommands: PUBSUB_SUBCOMMANDS,
        ..PUBSUB_CMD
    },
];
