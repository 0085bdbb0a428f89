//! The `ferrodis` binary: reads the configuration the way redis-server does
//! (`ferrodis [config-file] [--name value ...]`), sets up logging and runs the
//! event loop until SHUTDOWN or a signal.

use std::io::Write;
use std::process::ExitCode;

use ferrodis::commands::Registry;
use ferrodis::config::Config;
use ferrodis::server::event_loop::EventLoop;
use ferrodis::server::ServerState;

const USAGE: &str = "Usage: ./ferrodis [/path/to/redis.conf] [options] [-]
       ./ferrodis - (read config from stdin)
       ./ferrodis -v or --version
       ./ferrodis -h or --help

Examples:
       ./ferrodis (run the server with default conf)
       ./ferrodis /etc/redis/6379.conf
       ./ferrodis --port 7777
       ./ferrodis /etc/myredis.conf --loglevel verbose -
       ./ferrodis --port 7777 --save ''
";

/// Turns `--name v1 v2 --other v` arguments into config-file text, as Redis does.
fn args_to_config(args: &[String]) -> String {
    let mut text = String::new();
    let mut first = true;
    for a in args {
        if let Some(name) = a.strip_prefix("--") {
            if !first {
                text.push('\n');
            }
            text.push_str(name);
            first = false;
        } else {
            text.push(' ');
            text.push_str(&quote(a));
        }
    }
    text.push('\n');
    text
}

/// Quotes a value so the config line splitter gives it back unchanged.
fn quote(v: &str) -> String {
    let mut q = String::from("\"");
    for c in v.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            _ => q.push(c),
        }
    }
    q.push('"');
    q
}

fn init_logging(cfg: &Config) {
    let level = match cfg.loglevel.as_str() {
        "debug" => log::LevelFilter::Debug,
        "verbose" => log::LevelFilter::Info,
        "notice" => log::LevelFilter::Info,
        _ => log::LevelFilter::Warn,
    };
    let mut b = env_logger::Builder::new();
    b.filter_level(level);
    b.format(|f, rec| {
        let pid = std::process::id();
        let mark = match rec.level() {
            log::Level::Error | log::Level::Warn => '#',
            log::Level::Info => '*',
            _ => '.',
        };
        writeln!(f, "{pid}:M {} {mark} {}", f.timestamp_millis(), rec.args())
    });
    if !cfg.logfile.is_empty() {
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&cfg.logfile)
        {
            Ok(file) => {
                b.target(env_logger::Target::Pipe(Box::new(file)));
            }
            Err(e) => eprintln!("Can't open the log file: {e}"),
        }
    }
    let _ = b.try_init();
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut cfg = Config::default();
    let mut rest = &args[..];
    let mut config_file = None;
    if let Some(first) = rest.first() {
        match first.as_str() {
            "-v" | "--version" => {
                println!(
                    "ferrodis server v={} (Redis compatible) bits=64",
                    ferrodis::REDIS_VERSION
                );
                return ExitCode::SUCCESS;
            }
            "-h" | "--help" => {
                print!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            f if !f.starts_with("--") => {
                config_file = Some(f.to_string());
                rest = &rest[1..];
            }
            _ => {}
        }
    }
    let mut text = String::new();
    if let Some(path) = &config_file {
        if path == "-" {
            let _ = std::io::Read::read_to_string(&mut std::io::stdin(), &mut text);
        } else {
            match std::fs::read_to_string(path) {
                Ok(t) => text = t,
                Err(e) => {
                    eprintln!("Fatal error, can't open config file '{path}': {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    if rest.last().map(String::as_str) == Some("-") {
        let _ = std::io::Read::read_to_string(&mut std::io::stdin(), &mut text);
        rest = &rest[..rest.len() - 1];
    }
    text.push('\n');
    text.push_str(&args_to_config(rest));
    if let Err(e) = cfg.load_text(&text) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    init_logging(&cfg);
    let reg = Registry::get();
    // Picks the per-command clock (and measures the TSC) before anything reads it.
    ferrodis::server::clock::init();
    let mut state = ServerState::new(cfg, reg.all.len());
    state.config_file = config_file.clone();
    log::info!(
        "ferrodis {} (Redis {} compatible) starting, pid={}",
        env!("CARGO_PKG_VERSION"),
        ferrodis::REDIS_VERSION,
        std::process::id()
    );
    for (name, value) in &state.config.unknown {
        log::warn!("Unknown configuration directive '{name} {value}' ignored (not supported by ferrodis yet)");
    }
    if config_file.is_none() {
        log::warn!("Warning: no config file specified, using the default config. In order to specify a config file use ferrodis /path/to/redis.conf");
    }
    let mut el = match EventLoop::new(state) {
        Ok(el) => el,
        Err(e) => {
            log::error!("{e}");
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    log::info!("Ready to accept connections tcp on port {}", el.srv.port);
    match el.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("event loop failed: {e}");
            ExitCode::FAILURE
        }
    }
}
