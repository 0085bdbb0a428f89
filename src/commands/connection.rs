//! Connection commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH and RESET (CLIENT
//! has its own file, `client.rs`).

use super::table::{Acl, Arg, ArgFlags, ArgType, Args, CommandSpec, Flags, Group, ARG, BASE};
use super::Ctx;
use crate::error::{err, CmdError, CmdResult, DB_INDEX_RANGE, NOT_INTEGER};
use crate::server::client::CloseReason;
use crate::util::numbers::parse_i64;

fn ping(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 2 {
        return Err(crate::error::wrong_arity("ping"));
    }
    // In RESP2 Pub/Sub mode PING answers as a message: ["pong", arg or ""].
    let c = ctx.client();
    if c.resp == 2 && c.subs.any() {
        ctx.out.array(2);
        ctx.out.bulk(b"pong");
        ctx.out
            .bulk(if args.len() == 2 { args.get(1) } else { b"" });
        return Ok(());
    }
    if args.len() == 2 {
        ctx.out.bulk(args.get(1));
    } else {
        ctx.out.status("PONG");
    }
    Ok(())
}

fn echo(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ctx.out.bulk(args.get(1));
    Ok(())
}

fn quit(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.out.ok();
    ctx.client().close = Some(CloseReason::AfterReply);
    Ok(())
}

fn select(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(n) = parse_i64(args.get(1)) else {
        return err(NOT_INTEGER);
    };
    if i32::try_from(n).is_err() {
        return err(INT_RANGE);
    }
    if n < 0 || n as usize >= ctx.srv.dbs.len() {
        return err(DB_INDEX_RANGE);
    }
    ctx.db = n as usize;
    ctx.client().db = n as usize;
    ctx.out.ok();
    Ok(())
}

/// A client name may not hold spaces, newlines or other special characters.
pub fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

/// Redis's reply to a database index outside the 32-bit range.
const INT_RANGE: &str = "ERR value is out of range, value must between -2147483648 and 2147483647";

const BAD_NAME: &str = "ERR Client names cannot contain spaces, newlines or special characters.";

/// Checks a password against requirepass (the default user's password).
fn check_password(ctx: &mut Ctx, user: Option<&[u8]>, pass: &[u8]) -> bool {
    let want = ctx.srv.config.requirepass.as_bytes();
    let user_ok = user.is_none_or(|u| u == b"default");
    // With no password the default user is `nopass`: any password is accepted.
    user_ok && (want.is_empty() || want == pass)
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

fn hello(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut proto = None;
    let mut i = 1;
    if args.len() >= 2 {
        let v = parse_i64(args.get(1)).ok_or(CmdError::from(
            "ERR Protocol version is not an integer or out of range",
        ))?;
        if !(2..=3).contains(&v) {
            return err("NOPROTO unsupported protocol version");
        }
        proto = Some(v as u8);
        i = 2;
    }
    // Options take effect in order, as in Redis: a SETNAME before a failing
    // AUTH stays, and an AUTH fails before a later bad option is seen.
    while i < args.len() {
        let more = args.len() - i - 1;
        if args.is(i, "auth") && more >= 2 {
            if !check_password(ctx, Some(args.get(i + 1)), args.get(i + 2)) {
                return err(WRONGPASS);
            }
            ctx.client().authenticated = true;
            i += 3;
        } else if args.is(i, "setname") && more >= 1 {
            let n = args.get(i + 1);
            if !valid_client_name(n) {
                return err(BAD_NAME);
            }
            ctx.client().name = (!n.is_empty()).then(|| n.to_vec());
            i += 2;
        } else {
            return Err(CmdError::quoting(
                "ERR Syntax error in HELLO option '",
                args.get(i),
                "'",
            ));
        }
    }
    if !ctx.client().authenticated {
        return err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
    }
    if let Some(p) = proto {
        ctx.client().resp = p;
        ctx.out.resp3 = p == 3;
    }
    let (id, resp) = {
        let c = ctx.client();
        (c.id, c.resp)
    };
    let out = &mut *ctx.out;
    out.map(7);
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(crate::REDIS_VERSION.as_bytes());
    out.bulk(b"proto");
    out.int(i64::from(resp));
    out.bulk(b"id");
    out.int(id as i64);
    out.bulk(b"mode");
    out.bulk(b"standalone");
    out.bulk(b"role");
    out.bulk(b"master");
    out.bulk(b"modules");
    out.array(0);
    Ok(())
}

fn auth(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return err(crate::error::SYNTAX);
    }
    let (user, pass) = if args.len() == 3 {
        (Some(args.get(1)), args.get(2))
    } else {
        (None, args.get(1))
    };
    if user.is_none() && ctx.srv.config.requirepass.is_empty() {
        return err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
    }
    if !check_password(ctx, user, pass) {
        return err(WRONGPASS);
    }
    ctx.client().authenticated = true;
    ctx.out.ok();
    Ok(())
}

fn reset(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    // Leaves MONITOR mode, CLIENT REPLY OFF/SKIP, every Pub/Sub
    // subscription, MULTI, WATCH and tracking, as Redis's RESET does.
    super::client::reset_modes(ctx);
    let cid = ctx.cid;
    ctx.srv.pubsub.forget_client(&mut ctx.clients[cid], cid);
    super::transactions::discard_state(ctx.srv, &mut ctx.clients[cid], cid);
    if ctx.clients[cid].tracking.on {
        ctx.srv.tracking.disable(&mut ctx.clients[cid]);
        ctx.srv.tracking_changed();
    }
    ctx.db = 0;
    let needs_auth = !ctx.srv.config.requirepass.is_empty();
    let c = ctx.client();
    c.db = 0;
    c.name = None;
    c.resp = 2;
    if needs_auth {
        c.authenticated = false;
    }
    ctx.out.resp3 = false;
    ctx.out.status("RESET");
    Ok(())
}

const CONN: Acl = Acl::CONNECTION;

/// Flags of the commands a client may send before authenticating (QUIT, AUTH,
/// HELLO, RESET): usable while loading, stale or busy, never from a script.
const HANDSHAKE: Flags = Flags::NOSCRIPT
    .or(Flags::LOADING)
    .or(Flags::STALE)
    .or(Flags::FAST)
    .or(Flags::NO_AUTH)
    .or(Flags::ALLOW_BUSY);

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "ping",
        arity: -1,
        flags: Flags::FAST.or(Flags::SENTINEL),
        acl: CONN,
        group: Group::Connection,
        summary: "Returns PONG, or the given message.",
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        arguments: &[Arg {
            name: "message",
            flags: ArgFlags::OPTIONAL,
            ..ARG
        }],
        handler: ping,
        ..BASE
    },
    CommandSpec {
        name: "echo",
        arity: 2,
        flags: Flags::LOADING.or(Flags::STALE).or(Flags::FAST),
        acl: CONN,
        group: Group::Connection,
        summary: "Returns the given string.",
        arguments: &[Arg {
            name: "message",
            ..ARG
        }],
        handler: echo,
        ..BASE
    },
    CommandSpec {
        name: "quit",
        arity: -1,
        flags: HANDSHAKE,
        acl: CONN,
        group: Group::Connection,
        summary: "Closes the connection.",
        handler: quit,
        ..BASE
    },
    CommandSpec {
        name: "select",
        arity: 2,
        flags: Flags::LOADING.or(Flags::STALE).or(Flags::FAST),
        acl: CONN,
        group: Group::Connection,
        summary: "Changes the selected database.",
        arguments: &[Arg {
            name: "index",
            kind: ArgType::Integer,
            ..ARG
        }],
        handler: select,
        ..BASE
    },
    CommandSpec {
        name: "hello",
        arity: -1,
        flags: HANDSHAKE.or(Flags::SENTINEL),
        acl: CONN,
        group: Group::Connection,
        since: "6.0.0",
        summary: "Handshakes with the server, choosing the protocol version.",
        complexity: "O(1)",
        history: &[("6.2.0", "The protocol version became optional.")],
        arguments: &[Arg {
            name: "arguments",
            kind: ArgType::Block,
            flags: ArgFlags::OPTIONAL,
            args: &[
                Arg {
                    name: "protover",
                    kind: ArgType::Integer,
                    ..ARG
                },
                Arg {
                    name: "username_password",
                    kind: ArgType::Block,
                    token: "AUTH",
                    flags: ArgFlags::OPTIONAL,
                    args: &[
                        Arg {
                            name: "username",
                            ..ARG
                        },
                        Arg {
                            name: "password",
                            ..ARG
                        },
                    ],
                    ..ARG
                },
                Arg {
                    name: "clientname",
                    token: "SETNAME",
                    flags: ArgFlags::OPTIONAL,
                    ..ARG
                },
            ],
            ..ARG
        }],
        handler: hello,
        ..BASE
    },
    CommandSpec {
        name: "auth",
        arity: -2,
        flags: HANDSHAKE.or(Flags::SENTINEL),
        acl: CONN,
        group: Group::Connection,
        summary: "Authenticates the connection.",
        complexity: "O(N) where N is the number of passwords defined for the user",
        history: &[("6.0.0", "Accepts a username (ACL style).")],
        arguments: &[
            Arg {
                name: "username",
                since: "6.0.0",
                flags: ArgFlags::OPTIONAL,
                ..ARG
            },
            Arg {
                name: "password",
                ..ARG
            },
        ],
        handler: auth,
        ..BASE
    },
    CommandSpec {
        name: "reset",
        arity: 1,
        flags: HANDSHAKE,
        acl: CONN,
        group: Group::Connection,
        since: "6.2.0",
        summary: "Resets the connection.",
        handler: reset,
        ..BASE
    },
];
