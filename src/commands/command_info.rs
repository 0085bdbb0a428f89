//! COMMAND and its subcommands (COUNT, INFO, DOCS, LIST, GETKEYS,
//! GETKEYSANDFLAGS, HELP): introspection of the command table.
//!
//! Everything is answered from the rows of `Registry` (every group file's
//! `COMMANDS`, with subcommands), so a command added to a table shows up here
//! with no further work. Reply shapes are Redis 7.0's: COMMAND INFO gives the
//! 10-element array per command (name, arity, flags, first/last/step, ACL
//! categories, tips, key specs, subcommands) with sets in RESP3; COMMAND DOCS a
//! map of name to documentation fields.
//!
//! Key extraction (`keys_of`) follows the key specs: where the search begins
//! (an index or after a keyword) and how keys are found from there (a range or
//! a key count). It knows nothing of replies, so dispatch-side users (ACL,
//! cluster slots, WATCH) can share it.

use super::table::{
    acl_categories, Acl, Arg, ArgFlags, ArgType, Args, BeginSearch, CommandSpec, DocFlags,
    FindKeys, Flags, Group, KeyFlags, KeySpec, ARG, BASE,
};
use super::{Ctx, Entry, Registry};
use crate::error::{err, CmdError, CmdResult, SYNTAX};
use crate::protocol::reply::ReplyBuf;
use crate::util::glob::glob_match;
use crate::util::numbers::parse_i64;

// ---------------------------------------------------------------------------
// Lookups and key extraction (no replies)
// ---------------------------------------------------------------------------

/// A command by the name COMMAND INFO/DOCS accept: `get`, or `config|get` for
/// a subcommand, any case.
pub fn find_by_full_name(reg: &Registry, name: &[u8]) -> Option<usize> {
    let mut parts = name.split(|&c| c == b'|');
    let top = reg.find(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(top),
        (Some(sub), None) => reg.find_sub(top, sub),
        _ => None,
    }
}

/// Whether a command can have key arguments at all (specs marked NOT_KEY,
/// such as shard channels, do not count).
pub fn has_keys(spec: &CommandSpec) -> bool {
    spec.key_finder.is_some()
        || spec
            .key_specs_of()
            .as_slice()
            .iter()
            .any(|ks| !ks.flags.has(KeyFlags::NOT_KEY))
}

/// Key positions in a command line, with the flags of each.
pub type FoundKeys = Vec<(usize, KeyFlags)>;

/// Why keys could not be extracted from a command line.
#[derive(Debug, PartialEq, Eq)]
pub enum KeysError {
    /// A key count is not a number, is negative or goes past the arguments.
    BadArguments,
}

/// Appends the (argument index, flags) of the keys one spec finds in `argv`.
fn keys_of_spec(ks: &KeySpec, argv: &[&[u8]], found: &mut FoundKeys) -> Result<(), KeysError> {
    let argc = argv.len() as i64;
    let start: i64 = match ks.begin {
        BeginSearch::Index(i) => i64::from(i),
        BeginSearch::Keyword { keyword, startfrom } => {
            let from = i64::from(startfrom);
            let hit = if from >= 0 {
                (from..argc).find(|&i| argv[i as usize].eq_ignore_ascii_case(keyword.as_bytes()))
            } else {
                (1..=(argc + from).min(argc - 1))
                    .rev()
                    .find(|&i| argv[i as usize].eq_ignore_ascii_case(keyword.as_bytes()))
            };
            match hit {
                Some(i) => i + 1,
                None => return Ok(()),
            }
        }
        BeginSearch::Unknown => return Ok(()),
    };
    if start <= 0 || start >= argc {
        return Ok(());
    }
    let (first, last, step) = match ks.find {
        FindKeys::Range {
            lastkey,
            keystep,
            limit,
        } => {
            let lastkey = i64::from(lastkey);
            let last = if lastkey >= 0 {
                start + lastkey
            } else if limit <= 1 {
                argc + lastkey
            } else {
                start + (argc - start) / i64::from(limit) + lastkey
            };
            (start, last, i64::from(keystep.max(1)))
        }
        FindKeys::Keynum {
            keynumidx,
            firstkey,
            keystep,
        } => {
            let idx = start + i64::from(keynumidx);
            if idx < 1 || idx >= argc {
                return Err(KeysError::BadArguments);
            }
            let n = match parse_i64(argv[idx as usize]) {
                Some(n) if n >= 0 => n,
                _ => return Err(KeysError::BadArguments),
            };
            if n == 0 {
                return Ok(());
            }
            let step = i64::from(keystep.max(1));
            let first = start + i64::from(firstkey);
            let last = first.saturating_add((n - 1).saturating_mul(step));
            if first < 1 || last >= argc {
                return Err(KeysError::BadArguments);
            }
            (first, last, step)
        }
        FindKeys::Unknown => return Ok(()),
    };
    let last = last.min(argc - 1);
    let mut i = first.max(1);
    while i <= last {
        found.push((i as usize, ks.flags));
        i += step;
    }
    Ok(())
}

/// The keys of a full command line (`argv[0]` is the command name), with the
/// flags of the key spec each comes from, in spec order.
pub fn keys_of(spec: &CommandSpec, argv: &[&[u8]]) -> Result<FoundKeys, KeysError> {
    let specs = spec.key_specs_of();
    let mut found = Vec::new();
    for ks in specs.as_slice() {
        keys_of_spec(ks, argv, &mut found)?;
    }
    Ok(found)
}

/// The keys of a command line (`args.get(0)` is the command name): a key
/// finder when the command has one, else the key specs. Specs flagged
/// `VARIABLE_FLAGS` take their flags from the command's `key_flags_fn`.
pub fn keys_of_args(spec: &CommandSpec, args: &Args) -> Result<FoundKeys, KeysError> {
    let mut keys = if let Some(finder) = spec.key_finder {
        finder(args)
    } else {
        let argv: Vec<&[u8]> = args.iter_from(0).collect();
        keys_of(spec, &argv)?
    };
    if let Some(resolve) = spec.key_flags_fn {
        for (_, flags) in keys.iter_mut() {
            if flags.has(KeyFlags::VARIABLE_FLAGS) {
                *flags = resolve(args);
            }
        }
    }
    Ok(keys)
}

// ---------------------------------------------------------------------------
// Reply writers
// ---------------------------------------------------------------------------

/// Flags COMMAND INFO does not show (internal to this server or to Redis).
const HIDDEN_FLAGS: Flags = Flags::SENTINEL.or(Flags::PROTECTED);

fn reply_flags(out: &mut ReplyBuf, spec: &CommandSpec) {
    let shown = Flags(spec.flags.0 & !HIDDEN_FLAGS.0);
    let names: Vec<&str> = Flags::NAMES
        .iter()
        .filter(|(f, _)| shown.has(*f))
        .map(|(_, n)| *n)
        .chain(spec.movable_keys().then_some("movablekeys"))
        .collect();
    out.set(names.len());
    for n in names {
        out.status(n);
    }
}

fn reply_acl(out: &mut ReplyBuf, spec: &CommandSpec) {
    let acl = acl_categories(spec);
    let names: Vec<&str> = Acl::NAMES
        .iter()
        .filter(|(a, _)| acl.has(*a))
        .map(|(_, n)| *n)
        .collect();
    out.set(names.len());
    for n in names {
        out.status(&format!("@{n}"));
    }
}

fn reply_key_spec(out: &mut ReplyBuf, ks: &KeySpec) {
    out.map(if ks.notes.is_empty() { 3 } else { 4 });
    if !ks.notes.is_empty() {
        out.bulk(b"notes");
        out.bulk(ks.notes.as_bytes());
    }
    out.bulk(b"flags");
    let names: Vec<&str> = ks.flags.names().collect();
    out.set(names.len());
    for n in names {
        out.status(n);
    }
    out.bulk(b"begin_search");
    out.map(2);
    out.bulk(b"type");
    match ks.begin {
        BeginSearch::Index(i) => {
            out.bulk(b"index");
            out.bulk(b"spec");
            out.map(1);
            out.bulk(b"index");
            out.int(i64::from(i));
        }
        BeginSearch::Keyword { keyword, startfrom } => {
            out.bulk(b"keyword");
            out.bulk(b"spec");
            out.map(2);
            out.bulk(b"keyword");
            out.bulk(keyword.as_bytes());
            out.bulk(b"startfrom");
            out.int(i64::from(startfrom));
        }
        BeginSearch::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
    out.bulk(b"find_keys");
    out.map(2);
    out.bulk(b"type");
    match ks.find {
        FindKeys::Range {
            lastkey,
            keystep,
            limit,
        } => {
            out.bulk(b"range");
            out.bulk(b"spec");
            out.map(3);
            out.bulk(b"lastkey");
            out.int(i64::from(lastkey));
            out.bulk(b"keystep");
            out.int(i64::from(keystep));
            out.bulk(b"limit");
            out.int(i64::from(limit));
        }
        FindKeys::Keynum {
            keynumidx,
            firstkey,
            keystep,
        } => {
            out.bulk(b"keynum");
            out.bulk(b"spec");
            out.map(3);
            out.bulk(b"keynumidx");
            out.int(i64::from(keynumidx));
            out.bulk(b"firstkey");
            out.int(i64::from(firstkey));
            out.bulk(b"keystep");
            out.int(i64::from(keystep));
        }
        FindKeys::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
}

/// One command's COMMAND INFO entry (with its subcommands, recursively).
fn reply_info(out: &mut ReplyBuf, reg: &Registry, idx: usize) {
    let entry: &Entry = &reg.all[idx];
    let spec = entry.spec;
    out.array(10);
    out.bulk(entry.full_name.as_bytes());
    out.int(i64::from(spec.arity));
    reply_flags(out, spec);
    out.int(i64::from(spec.keys.first));
    out.int(i64::from(spec.keys.last));
    out.int(i64::from(spec.keys.step));
    reply_acl(out, spec);
    out.set(spec.tips.len());
    for t in spec.tips {
        out.bulk(t.as_bytes());
    }
    let specs = spec.key_specs_of();
    out.set(specs.as_slice().len());
    for ks in specs.as_slice() {
        reply_key_spec(out, ks);
    }
    // Redis writes an empty set when there are no subcommands, but a plain
    // array when there are.
    let subs = sub_indexes(reg, idx);
    if subs.is_empty() {
        out.set(0);
    } else {
        out.array(subs.len());
    }
    for s in subs {
        reply_info(out, reg, s);
    }
}

/// The registry indexes of a container's subcommands, in table order.
fn sub_indexes(reg: &Registry, idx: usize) -> Vec<usize> {
    let entry = &reg.all[idx];
    entry
        .spec
        .subcommands
        .iter()
        .filter_map(|s| entry.subs.get(s.name.as_bytes()).copied())
        .collect()
}

fn reply_args(out: &mut ReplyBuf, args: &[Arg]) {
    out.array(args.len());
    for a in args {
        let fields = 2
            + usize::from(matches!(a.kind, ArgType::Key(_)))
            + usize::from(!a.token.is_empty())
            + usize::from(!a.since.is_empty())
            + usize::from(!a.deprecated_since.is_empty())
            + usize::from(a.flags != ArgFlags::NONE)
            + usize::from(!a.args.is_empty());
        out.map(fields);
        out.bulk(b"name");
        out.bulk(a.name.as_bytes());
        out.bulk(b"type");
        out.bulk(a.kind.name().as_bytes());
        if let ArgType::Key(i) = a.kind {
            out.bulk(b"key_spec_index");
            out.int(i64::from(i));
        }
        if !a.token.is_empty() {
            out.bulk(b"token");
            out.bulk(a.token.as_bytes());
        }
        if !a.since.is_empty() {
            out.bulk(b"since");
            out.bulk(a.since.as_bytes());
        }
        if !a.deprecated_since.is_empty() {
            out.bulk(b"deprecated_since");
            out.bulk(a.deprecated_since.as_bytes());
        }
        if a.flags != ArgFlags::NONE {
            out.bulk(b"flags");
            let names: Vec<&str> = ArgFlags::NAMES
                .iter()
                .filter(|(f, _)| a.flags.has(*f))
                .map(|(_, n)| *n)
                .collect();
            out.set(names.len());
            for n in names {
                out.status(n);
            }
        }
        if !a.args.is_empty() {
            out.bulk(b"arguments");
            reply_args(out, a.args);
        }
    }
}

/// One command's COMMAND DOCS entry: its name, then the map of fields.
fn reply_docs(out: &mut ReplyBuf, reg: &Registry, idx: usize) {
    let entry = &reg.all[idx];
    let spec = entry.spec;
    out.bulk(entry.full_name.as_bytes());
    let subs = sub_indexes(reg, idx);
    // Redis leaves complexity out where a command has none (MONITOR).
    let fields = 3
        + usize::from(!spec.complexity.is_empty())
        + usize::from(spec.doc_flags != DocFlags::NONE)
        + 2 * usize::from(!spec.deprecated_since.is_empty())
        + usize::from(!spec.history.is_empty())
        + usize::from(!spec.arguments.is_empty())
        + usize::from(!subs.is_empty());
    out.map(fields);
    out.bulk(b"summary");
    out.bulk(spec.summary.as_bytes());
    out.bulk(b"since");
    out.bulk(spec.since.as_bytes());
    out.bulk(b"group");
    out.bulk(spec.group.name().as_bytes());
    if !spec.complexity.is_empty() {
        out.bulk(b"complexity");
        out.bulk(spec.complexity.as_bytes());
    }
    if spec.doc_flags != DocFlags::NONE {
        out.bulk(b"doc_flags");
        let names: Vec<&str> = DocFlags::NAMES
            .iter()
            .filter(|(f, _)| spec.doc_flags.has(*f))
            .map(|(_, n)| *n)
            .collect();
        out.set(names.len());
        for n in names {
            out.status(n);
        }
    }
    if !spec.deprecated_since.is_empty() {
        out.bulk(b"deprecated_since");
        out.bulk(spec.deprecated_since.as_bytes());
        out.bulk(b"replaced_by");
        out.bulk(spec.replaced_by.as_bytes());
    }
    if !spec.history.is_empty() {
        out.bulk(b"history");
        out.set(spec.history.len());
        for (version, change) in spec.history {
            out.array(2);
            out.bulk(version.as_bytes());
            out.bulk(change.as_bytes());
        }
    }
    if !spec.arguments.is_empty() {
        out.bulk(b"arguments");
        reply_args(out, spec.arguments);
    }
    if !subs.is_empty() {
        out.bulk(b"subcommands");
        out.map(subs.len());
        for s in subs {
            reply_docs(out, reg, s);
        }
    }
}

// ---------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------

/// COMMAND with no subcommand, and COMMAND INFO with no names: every command.
fn command(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let reg = Registry::get();
    let tops: Vec<usize> = reg.top_level().map(|(i, _)| i).collect();
    ctx.out.array(tops.len());
    for i in tops {
        reply_info(ctx.out, reg, i);
    }
    Ok(())
}

fn command_count(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let n = Registry::get().top_level().count();
    ctx.out.int(n as i64);
    Ok(())
}

fn command_info(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() == 2 {
        return command(ctx, args);
    }
    let reg = Registry::get();
    ctx.out.array(args.len() - 2);
    for name in args.iter_from(2) {
        match find_by_full_name(reg, name) {
            Some(i) => reply_info(ctx.out, reg, i),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn command_docs(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let reg = Registry::get();
    let found: Vec<usize> = if args.len() == 2 {
        reg.top_level().map(|(i, _)| i).collect()
    } else {
        args.iter_from(2)
            .filter_map(|n| find_by_full_name(reg, n))
            .collect()
    };
    ctx.out.map(found.len());
    for i in found {
        reply_docs(ctx.out, reg, i);
    }
    Ok(())
}

/// COMMAND LIST's filter.
enum ListFilter<'a> {
    All,
    Module,
    AclCat(&'a [u8]),
    Pattern(&'a [u8]),
}

fn command_list(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let filter = match args.len() {
        2 => ListFilter::All,
        5 if args.is(2, "filterby") => {
            let value = args.get(4);
            if args.is(3, "module") {
                ListFilter::Module
            } else if args.is(3, "aclcat") {
                ListFilter::AclCat(value)
            } else if args.is(3, "pattern") {
                ListFilter::Pattern(value)
            } else {
                return err(SYNTAX);
            }
        }
        _ => return err(SYNTAX),
    };
    let reg = Registry::get();
    let cat = match filter {
        ListFilter::AclCat(name) => Acl::NAMES
            .iter()
            .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(name))
            .map(|(a, _)| *a),
        _ => None,
    };
    let names: Vec<&str> = reg
        .all
        .iter()
        .filter(|e| match filter {
            ListFilter::All => true,
            // No modules are loaded, so no command belongs to one.
            ListFilter::Module => false,
            ListFilter::AclCat(_) => cat.is_some_and(|c| acl_categories(e.spec).has(c)),
            ListFilter::Pattern(p) => glob_match(p, e.full_name.as_bytes(), true),
        })
        .map(|e| e.full_name.as_str())
        .collect();
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(n.as_bytes());
    }
    Ok(())
}

/// The command named by `args[2..]` (a container takes its subcommand from
/// `args[3]`) for GETKEYS, checked as Redis does, then its keys.
fn getkeys_common(args: &Args) -> Result<FoundKeys, CmdError> {
    let reg = Registry::get();
    let invalid = || CmdError::from("ERR Invalid command specified");
    let mut idx = reg.find(args.get(2)).ok_or_else(invalid)?;
    if !reg.all[idx].spec.subcommands.is_empty() {
        // Arity of GETKEYS (-4: two past COMMAND GETKEYS) guarantees args[3] exists.
        idx = reg.find_sub(idx, args.get(3)).ok_or_else(invalid)?;
    }
    let spec = reg.all[idx].spec;
    if !has_keys(spec) {
        return err("ERR The command has no key arguments");
    }
    let argc = (args.len() - 2) as i64;
    let arity = i64::from(spec.arity);
    if (arity > 0 && arity != argc) || argc < -arity {
        return err("ERR Invalid number of arguments specified for command");
    }
    // Without mandatory keys, finding none (or a bad key count) is no error.
    let optional = spec.flags.has(Flags::NO_MANDATORY_KEYS);
    match keys_of_args(spec, &args.shifted(2)) {
        Ok(keys) if keys.is_empty() && !optional => {
            err("ERR Invalid arguments specified for command")
        }
        Err(KeysError::BadArguments) if !optional => {
            err("ERR Invalid arguments specified for command")
        }
        Ok(keys) => Ok(keys),
        Err(KeysError::BadArguments) => Ok(Vec::new()),
    }
}

fn command_getkeys(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let keys = getkeys_common(args)?;
    ctx.out.array(keys.len());
    for (i, _) in keys {
        ctx.out.bulk(args.get(i + 2));
    }
    Ok(())
}

fn command_getkeysandflags(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let keys = getkeys_common(args)?;
    ctx.out.array(keys.len());
    for (i, flags) in keys {
        ctx.out.array(2);
        ctx.out.bulk(args.get(i + 2));
        let names: Vec<&str> = flags.names().collect();
        ctx.out.set(names.len());
        for n in names {
            ctx.out.status(n);
        }
    }
    Ok(())
}

fn command_help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    super::server::reply_help(
        ctx.out,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Describe every command of this server.",
            "COUNT",
            "    Give the number of commands of this server.",
            "LIST",
            "    Give the names of every command of this server.",
            "INFO [<command-name> ...]",
            "    Describe the given commands (nil for unknown names).",
            "    With no name, every command is described,",
            "    as with no subcommand.",
            "DOCS [<command-name> ...]",
            "    Give the documentation of the given commands.",
            "    With no name, the documentation of every",
            "    command is given.",
            "GETKEYS <full-command>",
            "    Give the key arguments of a complete command line.",
            "GETKEYSANDFLAGS <full-command>",
            "    Give the key arguments of a complete command line and how each is used.",
        ],
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

const INTROSPECTION: Flags = Flags::LOADING.or(Flags::STALE);
const OUTPUT_ORDER: &[&str] = &["nondeterministic_output_order"];
const OPTIONAL_NAMES: &[Arg] = &[Arg {
    name: "command-name",
    flags: ArgFlags::OPTIONAL.or(ArgFlags::MULTIPLE),
    ..ARG
}];

const COMMAND_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "getkeys",
        arity: -4,
        flags: INTROSPECTION,
        acl: Acl::CONNECTION,
        group: Group::Server,
        since: "2.8.13",
        summary: "Lists the key arguments of a complete command line.",
        complexity: "O(N) where N is the number of arguments to the command",
        handler: command_getkeys,
        ..BASE
    },
    CommandSpec {
        name: "getkeysandflags",
        arity: -4,
        flags: INTROSPECTION,
        acl: Acl::CONNECTION,
        group: Group::Server,
        since: "7.0.0",
        summary: "Lists the key arguments of a complete command line, with how each key is used.",
        complexity: "O(N) where N is the number of arguments to the command",
        handler: command_getkeysandflags,
        ..BASE
    },
    CommandSpec {
        name: "help",
        arity: 2,
        flags: INTROSPECTION,
        acl: Acl::CONNECTION,
        group: Group::Server,
        since: "5.0.0",
        summary: "Lists the COMMAND subcommands.",
        handler: command_help,
        ..BASE
    },
    CommandSpec {
        name: "info",
        arity: -2,
        flags: INTROSPECTION,
        acl: Acl::CONNECTION,
        group: Group::Server,
        since: "2.8.13",
        summary: "Describes the given commands, or every command when none is named.",
        complexity: "O(N) where N is the number of commands to look up",
        tips: OUTPUT_ORDER,
        history: &[(
            "7.0.0",
            "Names became optional: with none, every command is described.",
        )],
        arguments: OPTIONAL_NAMES,
        handler: command_info,
        ..BASE
    },
    CommandSpec {
        name: "count",
        arity: 2,
        flags: INTROSPECTION,
        acl: Acl::CONNECTION,
        group: Group::Server,
        since: "2.8.13",
        summary: "Returns how many commands the server has.",
        handler: command_count,
        ..BASE
    },
    CommandSpec {
        name: "docs",
        arity: -2,
        flags: INTROSPECTION,
        acl: Acl::CONNECTION,
        group: Group::Server,
        since: "7.0.0",
        summary: "Returns the documentation of the given commands, or of every command.",
        complexity: "O(N) where N is the number of commands to look up",
        tips: OUTPUT_ORDER,
        arguments: OPTIONAL_NAMES,
        handler: command_docs,
        ..BASE
    },
    CommandSpec {
        name: "list",
        arity: -2,
        flags: INTROSPECTION,
        acl: Acl::CONNECTION,
        group: Group::Server,
        since: "7.0.0",
        summary: "Returns the names of the commands, optionally filtered.",
        complexity: "O(N) where N is the total number of Redis commands",
        tips: OUTPUT_ORDER,
        arguments: &[Arg {
            name: "filterby",
            kind: ArgType::OneOf,
            token: "FILTERBY",
            flags: ArgFlags::OPTIONAL,
            args: &[
                Arg {
                    name: "module-name",
                    token: "MODULE",
                    ..ARG
                },
                Arg {
                    name: "category",
                    token: "ACLCAT",
                    ..ARG
                },
                Arg {
                    name: "pattern",
                    kind: ArgType::Pattern,
                    token: "PATTERN",
                    ..ARG
                },
            ],
            ..ARG
        }],
        handler: command_list,
        ..BASE
    },
];

pub const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "command",
    arity: -1,
    flags: INTROSPECTION,
    acl: Acl::CONNECTION,
    group: Group::Server,
    since: "2.8.13",
    summary: "Describes every command of the server.",
    complexity: "O(N) where N is the total number of Redis commands",
    tips: OUTPUT_ORDER,
    handler: command,
    subcommands: COMMAND_SUBCOMMANDS,
    ..BASE
}];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::table::Keys;

    fn keys(spec: &CommandSpec, line: &str) -> Result<Vec<usize>, KeysError> {
        let argv: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        keys_of(spec, &argv).map(|v| v.into_iter().map(|(i, _)| i).collect())
    }

    #[test]
    fn derived_key_spec_from_legacy_triple() {
        let one = CommandSpec {
            keys: Keys::ONE,
            flags: Flags::READONLY,
            ..BASE
        };
        let specs = one.key_specs_of();
        let ks = specs.as_slice()[0];
        assert_eq!(ks.begin, BeginSearch::Index(1));
        assert_eq!(
            ks.find,
            FindKeys::Range {
                lastkey: 0,
                keystep: 1,
                limit: 0
            }
        );
        assert_eq!(ks.flags, KeyFlags::RO.or(KeyFlags::ACCESS));
        assert_eq!(keys(&one, "get a").unwrap(), vec![1]);

        let pairs = CommandSpec {
            keys: Keys::PAIRS,
            flags: Flags::WRITE,
            key_flags: KeyFlags::OW.or(KeyFlags::UPDATE),
            ..BASE
        };
        assert!(!pairs.movable_keys());
        let specs = pairs.key_specs_of();
        assert_eq!(
            specs.as_slice()[0].find,
            FindKeys::Range {
                lastkey: -1,
                keystep: 2,
                limit: 0
            }
        );
        assert_eq!(keys(&pairs, "mset a 1 b 2").unwrap(), vec![1, 3]);
        assert_eq!(keys(&pairs, "mset a 1 b").unwrap(), vec![1, 3]);

        let two = CommandSpec {
            keys: Keys::TWO,
            ..BASE
        };
        assert_eq!(
            two.key_specs_of().as_slice()[0].find,
            FindKeys::Range {
                lastkey: 1,
                keystep: 1,
                limit: 0
            }
        );
        assert!(BASE.key_specs_of().as_slice().is_empty());
    }

    #[test]
    fn keyword_and_keynum_specs() {
        const XREAD: &[KeySpec] = &[KeySpec {
            notes: "",
            flags: KeyFlags::RO,
            begin: BeginSearch::Keyword {
                keyword: "STREAMS",
                startfrom: 1,
            },
            find: FindKeys::Range {
                lastkey: -1,
                keystep: 1,
                limit: 2,
            },
        }];
        let xread = CommandSpec {
            key_specs: XREAD,
            ..BASE
        };
        assert!(xread.movable_keys());
        assert_eq!(
            keys(&xread, "xread count 1 streams a b 0 0").unwrap(),
            vec![4, 5]
        );
        assert_eq!(keys(&xread, "xread count 1").unwrap(), Vec::<usize>::new());

        const EVAL: &[KeySpec] = &[KeySpec {
            notes: "",
            flags: KeyFlags::RW,
            begin: BeginSearch::Index(2),
            find: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                keystep: 1,
            },
        }];
        let eval = CommandSpec {
            key_specs: EVAL,
            ..BASE
        };
        assert_eq!(keys(&eval, "eval s 2 a b c").unwrap(), vec![3, 4]);
        assert_eq!(keys(&eval, "eval s 0").unwrap(), Vec::<usize>::new());
        assert_eq!(keys(&eval, "eval s 3 a b"), Err(KeysError::BadArguments));
        assert_eq!(keys(&eval, "eval s x"), Err(KeysError::BadArguments));
        assert_eq!(keys(&eval, "eval s -1"), Err(KeysError::BadArguments));

        // Odd specs (negative relative positions) never index out of bounds.
        const ODD: &[KeySpec] = &[KeySpec {
            notes: "",
            flags: KeyFlags::RW,
            begin: BeginSearch::Index(1),
            find: FindKeys::Keynum {
                keynumidx: -5,
                firstkey: -5,
                keystep: -1,
            },
        }];
        let odd = CommandSpec {
            key_specs: ODD,
            ..BASE
        };
        assert_eq!(keys(&odd, "x 1 a"), Err(KeysError::BadArguments));
        const BACK: &[KeySpec] = &[KeySpec {
            notes: "",
            flags: KeyFlags::RW,
            begin: BeginSearch::Keyword {
                keyword: "KEYS",
                startfrom: -100,
            },
            find: FindKeys::Range {
                lastkey: -100,
                keystep: 0,
                limit: 0,
            },
        }];
        let back = CommandSpec {
            key_specs: BACK,
            ..BASE
        };
        assert_eq!(keys(&back, "x KEYS a").unwrap(), Vec::<usize>::new());
        assert_eq!(keys(&back, "x").unwrap(), Vec::<usize>::new());
    }

    /// Builds `Args` over a space-separated line.
    fn with_args<R>(line: &str, f: impl FnOnce(&Args) -> R) -> R {
        let mut ranges = Vec::new();
        let mut at = 0;
        for w in line.split(' ') {
            ranges.push((at, at + w.len()));
            at += w.len() + 1;
        }
        f(&Args::new(line.as_bytes(), &ranges))
    }

    #[test]
    fn variable_key_flags_are_resolved_per_line() {
        let set = CommandSpec {
            keys: Keys::ONE,
            flags: Flags::WRITE,
            key_flags: KeyFlags::RW
                .or(KeyFlags::ACCESS)
                .or(KeyFlags::UPDATE)
                .or(KeyFlags::VARIABLE_FLAGS),
            key_flags_fn: Some(|args| {
                if args.iter_from(3).any(|a| a.eq_ignore_ascii_case(b"get")) {
                    KeyFlags::RW.or(KeyFlags::ACCESS).or(KeyFlags::UPDATE)
                } else {
                    KeyFlags::OW.or(KeyFlags::UPDATE)
                }
            }),
            ..BASE
        };
        let found = with_args("command getkeysandflags set k v", |a| {
            keys_of_args(&set, &a.shifted(2)).unwrap()
        });
        assert_eq!(found, vec![(1, KeyFlags::OW.or(KeyFlags::UPDATE))]);
        let found = with_args("command getkeysandflags set k v GET", |a| {
            keys_of_args(&set, &a.shifted(2)).unwrap()
        });
        assert_eq!(
            found,
            vec![(1, KeyFlags::RW.or(KeyFlags::ACCESS).or(KeyFlags::UPDATE))]
        );
    }

    #[test]
    fn key_finder_sees_the_shifted_line() {
        let finder = CommandSpec {
            key_finder: Some(|args| {
                (1..args.len())
                    .step_by(2)
                    .map(|i| (i, KeyFlags::AUTO))
                    .collect()
            }),
            ..BASE
        };
        assert!(finder.movable_keys());
        let found = with_args("command getkeys x a b c", |a| {
            keys_of_args(&finder, &a.shifted(2)).unwrap()
        });
        assert_eq!(found, vec![(1, KeyFlags::AUTO), (3, KeyFlags::AUTO)]);
    }

    #[test]
    fn full_names() {
        let reg = Registry::get();
        assert!(find_by_full_name(reg, b"COMMAND|Info").is_some());
        assert!(find_by_full_name(reg, b"command|info|x").is_none());
        assert!(find_by_full_name(reg, b"command|nope").is_none());
        assert!(find_by_full_name(reg, b"").is_none());
    }
}
