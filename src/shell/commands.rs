//! The shell's `:commands`: one `Command` enum, and one registry that drives parsing, help and completion.
//!
//! To add a command: add a variant to [`Command`], add a row to [`COMMANDS`] with its parse
//! function, and handle the variant in `Shell::run_command` (the compiler points there).

use std::fmt;

/// A shell command, parsed from one input line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `:help [topic|command]`
    Help(Option<String>),
    /// `:quit`, `:q`, `exit`, `quit`, `\q`
    Quit,
    /// `:format [NAME]`: with no name, show the current format and the choices.
    Format(Option<String>),
    /// `:timing [on|off]`: with no argument, toggle.
    Timing(Option<bool>),
    /// `:hints [on|off]`: with no argument, toggle.
    Hints(Option<bool>),
    /// `:refresh`: reload the completion catalog.
    Refresh,
    /// `:connect host[:port]`
    Connect { host: String, port: Option<u16> },
    /// `:set name=value`: a session setting sent with every query.
    Set { name: String, value: String },
    /// `:unset name`
    Unset(String),
    /// `:settings`
    Settings,
    /// `:history [N]`: the last N entries (default 20).
    History(Option<usize>),
    /// The Ed-Fi demo macros and snippets, implemented in `crate::demos`.
    Demo(DemoCommand),
}

/// A demo or snippet command with its raw argument text; `crate::demos` parses the arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCommand {
    pub kind: DemoKind,
    /// Everything after the command name, trimmed.
    pub args: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoKind {
    SchoolCount,
    NewDocs,
    Validate,
    Run,
    Snippets,
    Save,
    Show,
    Edit,
    DemoLoad,
}

impl DemoKind {
    /// The command's name in the registry (without the colon).
    pub fn command_name(self) -> &'static str {
        match self {
            DemoKind::SchoolCount => "school-count",
            DemoKind::NewDocs => "new-docs",
            DemoKind::Validate => "validate",
            DemoKind::Run => "run",
            DemoKind::Snippets => "snippets",
            DemoKind::Save => "save",
            DemoKind::Show => "show",
            DemoKind::Edit => "edit",
            DemoKind::DemoLoad => "demo-load",
        }
    }
}

/// Where a command is listed in `:help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Shell,
    Session,
    Snippets,
    Demo,
}

impl Group {
    pub fn title(self) -> &'static str {
        match self {
            Group::Shell => "Shell",
            Group::Session => "Session",
            Group::Snippets => "Snippets",
            Group::Demo => "Ed-Fi demo",
        }
    }

    pub const ALL: [Group; 4] = [Group::Shell, Group::Session, Group::Snippets, Group::Demo];
}

/// One row of the registry: a command's name, usage and help text, and how to parse it.
pub struct CommandInfo {
    /// The name without the colon, e.g. `format`.
    pub name: &'static str,
    /// Other spellings (without the colon).
    pub aliases: &'static [&'static str],
    /// Argument synopsis for help, e.g. `NAME`.
    pub args: &'static str,
    /// One line for the `:help` table.
    pub summary: &'static str,
    /// More text for `:help <command>`; may be empty.
    pub detail: &'static str,
    pub group: Group,
    /// Build the command from the argument text (trimmed, possibly empty).
    pub parse: fn(&str) -> Result<Command, String>,
}

impl fmt::Debug for CommandInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommandInfo(:{})", self.name)
    }
}

impl CommandInfo {
    /// `:name ARGS`
    pub fn usage(&self) -> String {
        if self.args.is_empty() {
            format!(":{}", self.name)
        } else {
            format!(":{} {}", self.name, self.args)
        }
    }
}

fn no_args(cmd: Command) -> impl Fn(&str) -> Result<Command, String> {
    move |args: &str| {
        if args.is_empty() {
            Ok(cmd.clone())
        } else {
            Err(format!("takes no arguments (got `{args}`)"))
        }
    }
}

fn on_off(args: &str) -> Result<Option<bool>, String> {
    match args.to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "on" | "true" | "1" | "yes" => Ok(Some(true)),
        "off" | "false" | "0" | "no" => Ok(Some(false)),
        other => Err(format!("expected `on` or `off`, got `{other}`")),
    }
}

fn opt_word(args: &str) -> Option<String> {
    (!args.is_empty()).then(|| args.to_string())
}

fn demo(kind: DemoKind) -> impl Fn(&str) -> Result<Command, String> {
    move |args: &str| {
        Ok(Command::Demo(DemoCommand {
            kind,
            args: args.to_string(),
        }))
    }
}

fn needs_name(kind: DemoKind) -> impl Fn(&str) -> Result<Command, String> {
    move |args: &str| {
        if args.is_empty() {
            Err("needs a snippet name (`:snippets` lists them)".into())
        } else {
            demo(kind)(args)
        }
    }
}

/// Parse `host`, `host:port`, `[v6]:port` or `v6`.
pub fn parse_host_port(s: &str) -> Result<(String, Option<u16>), String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("needs host[:port], e.g. `:connect localhost:8463`".into());
    }
    let bad_port = |p: &str| format!("`{p}` is not a port number");
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("unclosed `[` in `{s}`"))?;
        return match after.strip_prefix(':') {
            Some(p) => Ok((host.to_string(), Some(p.parse().map_err(|_| bad_port(p))?))),
            None if after.is_empty() => Ok((host.to_string(), None)),
            None => Err(format!("unexpected `{after}` after `]`")),
        };
    }
    match s.rsplit_once(':') {
        // More than one colon and no brackets: a bare IPv6 address.
        Some((h, _)) if h.contains(':') => Ok((s.to_string(), None)),
        Some((h, p)) => Ok((h.to_string(), Some(p.parse().map_err(|_| bad_port(p))?))),
        None => Ok((s.to_string(), None)),
    }
}

/// Parse `name=value`, `name = value` or `name value`; quotes around the value are removed.
pub fn parse_setting(args: &str) -> Result<(String, String), String> {
    let (name, value) = match args.split_once('=') {
        Some((n, v)) => (n.trim(), v.trim()),
        None => match args.split_once(char::is_whitespace) {
            Some((n, v)) => (n.trim(), v.trim()),
            None => (args.trim(), ""),
        },
    };
    if name.is_empty() {
        return Err("needs name=value, e.g. `:set max_execution_time=30`".into());
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return Err(format!("`{name}` is not a setting name"));
    }
    if value.is_empty() {
        return Err(format!(
            "needs a value: `:set {name}=VALUE` (`:unset {name}` removes it)"
        ));
    }
    let unquoted = ['\'', '"']
        .iter()
        .find_map(|q| {
            value
                .strip_prefix(*q)
                .and_then(|v| v.strip_suffix(*q))
                .map(str::to_string)
        })
        .unwrap_or_else(|| value.to_string());
    Ok((name.to_string(), unquoted))
}

/// Every command, in `:help` order. The single source for parsing, help and completion.
pub static COMMANDS: &[CommandInfo] = &[
    CommandInfo {
        name: "help",
        aliases: &["h", "?"],
        args: "[TOPIC|COMMAND]",
        summary: "this list; `:help TOPIC` teaches a piece of Proton SQL",
        detail: "",
        group: Group::Shell,
        parse: |a| Ok(Command::Help(opt_word(a))),
    },
    CommandInfo {
        name: "quit",
        aliases: &["q", "exit"],
        args: "",
        summary: "leave the shell (also `exit`, `quit` or Ctrl-D)",
        detail: "",
        group: Group::Shell,
        parse: |a| no_args(Command::Quit)(a),
    },
    CommandInfo {
        name: "format",
        aliases: &["f"],
        args: "[NAME]",
        summary: "output format: table, vertical, json, csv, tsv, raw, live (or `auto`)",
        detail: "With no name, shows the current format. `auto` (the default) picks `table` on a \
                 terminal and `live` for a streaming aggregate without a window. A trailing `\\G` \
                 shows one statement vertically whatever the format.",
        group: Group::Shell,
        parse: |a| Ok(Command::Format(opt_word(a))),
    },
    CommandInfo {
        name: "timing",
        aliases: &[],
        args: "[on|off]",
        summary: "the `N rows in X s` line after each statement (toggles)",
        detail: "",
        group: Group::Shell,
        parse: |a| on_off(a).map(Command::Timing),
    },
    CommandInfo {
        name: "hints",
        aliases: &[],
        args: "[on|off]",
        summary: "teaching hints, e.g. that a SELECT over a stream never ends (toggles)",
        detail: "",
        group: Group::Shell,
        parse: |a| on_off(a).map(Command::Hints),
    },
    CommandInfo {
        name: "history",
        aliases: &[],
        args: "[N]",
        summary: "the last N statements (default 20); Ctrl-R searches them",
        detail: "",
        group: Group::Shell,
        parse: |a| {
            if a.is_empty() {
                Ok(Command::History(None))
            } else {
                a.parse()
                    .map(|n| Command::History(Some(n)))
                    .map_err(|_| format!("`{a}` is not a number"))
            }
        },
    },
    CommandInfo {
        name: "refresh",
        aliases: &[],
        args: "",
        summary: "reload streams, columns and functions for completion",
        detail: "",
        group: Group::Session,
        parse: |a| no_args(Command::Refresh)(a),
    },
    CommandInfo {
        name: "connect",
        aliases: &["c"],
        args: "HOST[:PORT]",
        summary: "connect to another server (same user and database)",
        detail: "",
        group: Group::Session,
        parse: |a| parse_host_port(a).map(|(host, port)| Command::Connect { host, port }),
    },
    CommandInfo {
        name: "set",
        aliases: &[],
        args: "NAME=VALUE",
        summary: "a session setting sent with every query, e.g. `:set max_execution_time=30`",
        detail: "The setting goes with every following query (and survives reconnects). \
                 `:unset NAME` removes it, `:settings` lists them. A `SETTINGS` clause in a \
                 query still wins for that query. Names starting with `demo.` configure the \
                 demo commands instead (demo.stream, demo.view, demo.brokers, demo.topic, \
                 demo.data_dir) and are not sent to the server.",
        group: Group::Session,
        parse: |a| {
            if a.is_empty() {
                Ok(Command::Settings)
            } else {
                parse_setting(a).map(|(name, value)| Command::Set { name, value })
            }
        },
    },
    CommandInfo {
        name: "unset",
        aliases: &[],
        args: "NAME",
        summary: "stop sending a session setting",
        detail: "",
        group: Group::Session,
        parse: |a| {
            if a.is_empty() {
                Err("needs a setting name".into())
            } else {
                Ok(Command::Unset(a.to_string()))
            }
        },
    },
    CommandInfo {
        name: "settings",
        aliases: &[],
        args: "",
        summary: "the session settings and shell options in effect",
        detail: "",
        group: Group::Session,
        parse: |a| no_args(Command::Settings)(a),
    },
    CommandInfo {
        name: "snippets",
        aliases: &[],
        args: "",
        summary: "list the saved SQL snippets",
        detail: "",
        group: Group::Snippets,
        parse: |a| demo(DemoKind::Snippets)(a),
    },
    CommandInfo {
        name: "run",
        aliases: &[],
        args: "NAME [ARGS…]",
        summary: "run a snippet, filling in its parameters",
        detail: "",
        group: Group::Snippets,
        parse: |a| needs_name(DemoKind::Run)(a),
    },
    CommandInfo {
        name: "show",
        aliases: &[],
        args: "NAME",
        summary: "print a snippet's SQL",
        detail: "",
        group: Group::Snippets,
        parse: |a| needs_name(DemoKind::Show)(a),
    },
    CommandInfo {
        name: "edit",
        aliases: &[],
        args: "NAME",
        summary: "put a snippet's SQL on the prompt to edit and run",
        detail: "",
        group: Group::Snippets,
        parse: |a| needs_name(DemoKind::Edit)(a),
    },
    CommandInfo {
        name: "save",
        aliases: &[],
        args: "NAME",
        summary: "save the last statement as a snippet",
        detail: "",
        group: Group::Snippets,
        parse: |a| needs_name(DemoKind::Save)(a),
    },
    CommandInfo {
        name: "school-count",
        aliases: &[],
        args: "[ARGS…]",
        summary: "live count of Ed-Fi School documents",
        detail: "",
        group: Group::Demo,
        parse: |a| demo(DemoKind::SchoolCount)(a),
    },
    CommandInfo {
        name: "new-docs",
        aliases: &[],
        args: "[ARGS…]",
        summary: "follow new Ed-Fi documents as they arrive",
        detail: "",
        group: Group::Demo,
        parse: |a| demo(DemoKind::NewDocs)(a),
    },
    CommandInfo {
        name: "validate",
        aliases: &[],
        args: "[ARGS…]",
        summary: "check School documents' categories as they stream",
        detail: "",
        group: Group::Demo,
        parse: |a| demo(DemoKind::Validate)(a),
    },
    CommandInfo {
        name: "demo-load",
        aliases: &[],
        args: "[ARGS…]",
        summary: "load the shipped Ed-Fi sample into a stream",
        detail: "",
        group: Group::Demo,
        parse: |a| demo(DemoKind::DemoLoad)(a),
    },
];

/// The registry row for a name or alias (without the colon, case-insensitive).
pub fn lookup(name: &str) -> Option<&'static CommandInfo> {
    let name = name.to_ascii_lowercase();
    COMMANDS
        .iter()
        .find(|c| c.name == name || c.aliases.contains(&name.as_str()))
}

/// Every spelling with its colon, for completion: `:help`, `:h`, `:format`, ….
pub fn completion_words() -> Vec<String> {
    COMMANDS
        .iter()
        .flat_map(|c| std::iter::once(c.name).chain(c.aliases.iter().copied()))
        .map(|n| format!(":{n}"))
        .collect()
}

/// An input line that is not SQL: a `:command`, or one of the exit/help words people type
/// out of habit. `None` means the line is SQL.
pub fn parse(line: &str) -> Option<Result<Command, String>> {
    let t = line.trim();
    let bare = t.trim_end_matches(';').trim();
    match bare.to_ascii_lowercase().as_str() {
        "exit" | "quit" | "logout" | "\\q" => return Some(Ok(Command::Quit)),
        "help" | "\\?" | "\\h" => return Some(Ok(Command::Help(None))),
        _ => {}
    }
    let rest = t.strip_prefix(':')?;
    let (name, args) = match rest.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (rest, ""),
    };
    Some(match lookup(name) {
        Some(info) => (info.parse)(args).map_err(|e| format!("{}: {e}", info.usage())),
        None => Err(unknown(name)),
    })
}

fn unknown(name: &str) -> String {
    let best = COMMANDS
        .iter()
        .map(|c| (edit_distance(name, c.name), c.name))
        .min()
        .filter(|(d, _)| *d <= 2);
    match best {
        Some((_, n)) => {
            format!("unknown command `:{name}`; did you mean `:{n}`? (`:help` lists all)")
        }
        None => format!("unknown command `:{name}` (`:help` lists all)"),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Command, String> {
        parse(s).expect("a command")
    }

    #[test]
    fn sql_is_not_a_command() {
        assert!(parse("SELECT 1;").is_none());
        assert!(parse("  select ':x'").is_none());
    }

    #[test]
    fn exit_words() {
        for s in ["exit", "quit", "QUIT;", ":q", ":quit", "\\q", " logout "] {
            assert_eq!(p(s), Ok(Command::Quit), "{s}");
        }
    }

    #[test]
    fn help_with_and_without_topic() {
        assert_eq!(p(":help"), Ok(Command::Help(None)));
        assert_eq!(
            p(":help windows"),
            Ok(Command::Help(Some("windows".into())))
        );
        assert_eq!(p("help"), Ok(Command::Help(None)));
    }

    #[test]
    fn toggles() {
        assert_eq!(p(":timing"), Ok(Command::Timing(None)));
        assert_eq!(p(":hints off"), Ok(Command::Hints(Some(false))));
        assert!(p(":hints maybe").unwrap_err().contains("on"));
    }

    #[test]
    fn settings() {
        assert_eq!(
            p(":set max_threads = 4"),
            Ok(Command::Set {
                name: "max_threads".into(),
                value: "4".into()
            })
        );
        assert_eq!(
            p(":set query_mode='table'"),
            Ok(Command::Set {
                name: "query_mode".into(),
                value: "table".into()
            })
        );
        assert_eq!(p(":set"), Ok(Command::Settings));
        assert!(p(":set x").is_err());
        assert!(p(":set a-b=1").is_err());
        assert_eq!(
            p(":set demo.brokers=redpanda:9092"),
            Ok(Command::Set {
                name: "demo.brokers".into(),
                value: "redpanda:9092".into()
            })
        );
    }

    #[test]
    fn connect_targets() {
        assert_eq!(parse_host_port("h").unwrap(), ("h".into(), None));
        assert_eq!(parse_host_port("h:9000").unwrap(), ("h".into(), Some(9000)));
        assert_eq!(
            parse_host_port("[::1]:8463").unwrap(),
            ("::1".into(), Some(8463))
        );
        assert_eq!(parse_host_port("::1").unwrap(), ("::1".into(), None));
        assert!(parse_host_port("h:x").is_err());
        assert!(p(":connect").is_err());
    }

    #[test]
    fn unknown_command_suggests() {
        assert!(p(":fromat csv").unwrap_err().contains(":format"));
        assert!(!p(":zzzzzz").unwrap_err().contains("did you mean"));
    }

    #[test]
    fn demo_commands_keep_their_arguments() {
        assert_eq!(
            p(":validate --resume"),
            Ok(Command::Demo(DemoCommand {
                kind: DemoKind::Validate,
                args: "--resume".into()
            }))
        );
        assert!(p(":run").is_err());
    }

    #[test]
    fn demo_kinds_match_their_registry_rows() {
        for kind in [
            DemoKind::SchoolCount,
            DemoKind::NewDocs,
            DemoKind::Validate,
            DemoKind::Run,
            DemoKind::Snippets,
            DemoKind::Save,
            DemoKind::Show,
            DemoKind::Edit,
            DemoKind::DemoLoad,
        ] {
            let line = format!(":{} x", kind.command_name());
            match p(&line) {
                Ok(Command::Demo(d)) => assert_eq!(d.kind, kind),
                other => panic!("{line}: {other:?}"),
            }
        }
    }

    #[test]
    fn registry_names_are_unique() {
        let words = completion_words();
        let mut sorted = words.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(words.len(), sorted.len());
    }
}
