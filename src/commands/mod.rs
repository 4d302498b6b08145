//! The shell's commands, declared once: name, usage, arguments, parsing, help text; macros included. The only "is this line a command?" rule, and the one splitter of input into commands and SQL statements.
//!
//! To add a command: add a variant to [`Command`], a row to [`COMMANDS`], and handle the
//! variant where commands run (`shell::dispatch`; the compiler points there). `:help` and
//! completion are made from the rows, so they cannot drift. The demo macros' rows point
//! at their [`MacroSpec`](crate::demos::MacroSpec), which holds their options.

pub mod help;

use crate::demos::{self, DemoInvocation, MacroSpec};
use crate::render::Format;
use crate::sql::{self, Statement};

/// A shell command, parsed from one input line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `:help [topic|command]`
    Help(Option<String>),
    /// `:quit`, `:q`, `exit`, `quit`, `logout`, `\q`
    Quit,
    /// `:format [NAME]`: with no name, show the current format and the choices.
    Format(Option<String>),
    /// `:chart [x=COL] [y=COL[,COL]] [by=COL] [height=N]`, `:chart off`.
    Chart(ChartArg),
    /// `:timing [on|off]`: with no argument, toggle.
    Timing(Option<bool>),
    /// `:hints [on|off]`: with no argument, toggle.
    Hints(Option<bool>),
    /// `:status [on|off]`: the status line and streaming strip; with no argument, toggle.
    Status(Option<bool>),
    /// `:tee FILE [--format F] [--rotate R] [--keep N]`, `:tee off`, `:tee` (what is teed).
    Tee(Option<TeeArg>),
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
    /// `:snippets`
    Snippets,
    /// `:run NAME [key=value …]`: the arguments split as a shell splits them (quotes, `\`).
    Run { name: String, args: Vec<String> },
    /// `:show NAME`
    Show(String),
    /// `:edit NAME`
    Edit(String),
    /// `:save NAME [--force]`: `force` replaces an existing snippet of that name.
    Save { name: String, force: bool },
    /// A demo macro with its options.
    Macro(DemoInvocation),
}

impl Command {
    /// Whether the command makes sense without a terminal (batch input: `-q`, `-f`, stdin).
    pub fn works_in_batch(&self) -> bool {
        matches!(
            self,
            Command::Macro(_) | Command::Set { .. } | Command::Unset(_)
        )
    }
}

/// What `:chart` was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartArg {
    /// Back to the automatic format.
    Off,
    /// Chart the following statements, with these columns and height.
    On(crate::render::ChartSpec),
}

/// What `:tee` was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeeArg {
    Off,
    On(crate::tee::TeeSpec),
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

/// What completion offers after a command's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    Nothing,
    OnOff,
    Formats,
    /// Help topics and command names.
    Topics,
    /// Snippet names (the shell's list, refreshed as snippets change).
    Snippets,
    /// A macro's flags.
    Flags,
    /// Setting names: the server's (the completion catalog's, as after `SETTINGS`) and the
    /// demo's.
    Settings,
    /// The session settings set now (the shell's list, kept current as `:set` changes it).
    SetSettings,
    /// These words, anywhere after the name.
    Words(&'static [&'static str]),
}

/// A built-in command's text and parser.
struct Builtin {
    /// Argument synopsis for help, e.g. `NAME`.
    args: &'static str,
    /// One line for the `:help` table.
    summary: &'static str,
    /// More text for `:help <command>`; may be empty.
    detail: &'static str,
    /// Build the command from the argument text (trimmed, possibly empty).
    parse: fn(&str) -> Result<Command, String>,
}

enum Body {
    Builtin(Builtin),
    Macro(&'static MacroSpec),
}

/// One row of the registry.
pub struct CommandInfo {
    /// The name without the colon, e.g. `format`.
    pub name: &'static str,
    /// Other spellings (without the colon).
    pub aliases: &'static [&'static str],
    pub group: Group,
    pub completion: Completion,
    body: Body,
}

impl std::fmt::Debug for CommandInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CommandInfo(:{})", self.name)
    }
}

impl CommandInfo {
    /// `:name ARGS`
    pub fn usage(&self) -> String {
        match &self.body {
            Body::Builtin(b) if b.args.is_empty() => format!(":{}", self.name),
            Body::Builtin(b) => format!(":{} {}", self.name, b.args),
            Body::Macro(m) => m.usage(),
        }
    }

    /// The usage for the `:help` table: macros show `[OPTIONS]` (their options are in
    /// `:help NAME`).
    pub fn synopsis(&self) -> String {
        match &self.body {
            Body::Builtin(_) => self.usage(),
            Body::Macro(m) => format!(":{} [OPTIONS]", m.name),
        }
    }

    /// One line for the `:help` table.
    pub fn summary(&self) -> &'static str {
        match &self.body {
            Body::Builtin(b) => b.summary,
            Body::Macro(m) => m.summary,
        }
    }

    /// What `:help NAME` adds below the usage line.
    pub fn detail(&self) -> String {
        match &self.body {
            Body::Builtin(b) => b.detail.to_string(),
            Body::Macro(m) => m.help(),
        }
    }

    /// Words completion offers after the name (apart from snippet names, which change).
    pub fn argument_words(&self) -> Vec<String> {
        match self.completion {
            Completion::Nothing | Completion::Snippets | Completion::SetSettings => Vec::new(),
            Completion::Settings => demos::SETTING_KEYS.map(String::from).to_vec(),
            Completion::OnOff => vec!["on".into(), "off".into()],
            Completion::Formats => std::iter::once("auto")
                .chain(Format::ALL.iter().map(|f| f.name()))
                .map(String::from)
                .collect(),
            Completion::Topics => std::iter::once("commands")
                .chain(help::TOPICS.iter().map(|t| t.name))
                .chain(COMMANDS.iter().map(|c| c.name))
                .map(String::from)
                .collect(),
            Completion::Words(words) => words.iter().map(|w| w.to_string()).collect(),
            Completion::Flags => match &self.body {
                Body::Macro(m) => m.flags().map(String::from).collect(),
                Body::Builtin(_) => Vec::new(),
            },
        }
    }

    /// Parse the argument text (trimmed). `--help` on a macro asks for its help.
    fn parse(&self, args: &str) -> Result<Command, String> {
        match &self.body {
            Body::Builtin(b) => (b.parse)(args).map_err(|e| format!("{}: {e}", self.usage())),
            Body::Macro(m) => {
                let words = demos::split_args(args)?;
                if words.iter().any(|w| w == "--help" || w == "-h") {
                    return Ok(Command::Help(Some(m.name.to_string())));
                }
                m.parse(args).map(Command::Macro)
            }
        }
    }
}

#[allow(clippy::too_many_arguments)] // one row of the table, argument per column
const fn builtin(
    name: &'static str,
    aliases: &'static [&'static str],
    group: Group,
    completion: Completion,
    args: &'static str,
    summary: &'static str,
    detail: &'static str,
    parse: fn(&str) -> Result<Command, String>,
) -> CommandInfo {
    CommandInfo {
        name,
        aliases,
        group,
        completion,
        body: Body::Builtin(Builtin {
            args,
            summary,
            detail,
            parse,
        }),
    }
}

const fn macro_row(spec: &'static MacroSpec) -> CommandInfo {
    CommandInfo {
        name: spec.name,
        aliases: &[],
        group: Group::Demo,
        completion: Completion::Flags,
        body: Body::Macro(spec),
    }
}

fn no_args(args: &str, cmd: Command) -> Result<Command, String> {
    if args.is_empty() {
        Ok(cmd)
    } else {
        Err(format!("takes no arguments (got `{args}`)"))
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

fn snippet_name(args: &str) -> Result<String, String> {
    match args.split_whitespace().collect::<Vec<_>>()[..] {
        [] => Err("needs a snippet name (`:snippets` lists them)".into()),
        [name] => Ok(name.to_string()),
        _ => Err(format!("takes one snippet name (got `{args}`)")),
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
    builtin(
        "help",
        &["h", "?"],
        Group::Shell,
        Completion::Topics,
        "[TOPIC|COMMAND]",
        "this list; `:help TOPIC` teaches a piece of Proton SQL",
        "",
        |a| Ok(Command::Help(opt_word(a))),
    ),
    builtin(
        "quit",
        &["q", "exit"],
        Group::Shell,
        Completion::Nothing,
        "",
        "leave the shell (also `exit`, `quit`, `logout`, `\\q` or Ctrl-D)",
        "",
        |a| no_args(a, Command::Quit),
    ),
    builtin(
        "format",
        &["f"],
        Group::Shell,
        Completion::Formats,
        "[NAME]",
        "output format: table, vertical, json, csv, csvwithnames, tsv, tsvwithnames, raw, live, chart, null (or `auto`); a statement's own FORMAT clause wins",
        "With no name, shows the current format. `auto` (the default) picks `table` on a \
         terminal and `live` for a streaming aggregate without a window. A trailing `\\G` \
         shows one statement vertically whatever the format. `chart` is `:chart` with the \
         columns chosen automatically.",
        |a| Ok(Command::Format(opt_word(a))),
    ),
    builtin(
        "chart",
        &[],
        Group::Shell,
        Completion::Words(&["x=", "y=", "by=", "height=", "off"]),
        "[x=COL] [y=COL[,COL]] [by=COL] [height=N]|off",
        "draw the following queries as a live chart: lines over time, bars per key, one value",
        "Every following statement is drawn as a chart that redraws in place on each emit, \
         until `:chart off` (back to the format before) or `:format` picks another format; \
         Ctrl-C leaves the last frame \
         on screen. With a time column (window_end, window_start, _tp_time, or any date or \
         datetime) it is a line chart, one series per key (the string columns) and numeric \
         column; with keys but no time, bars of each key's latest value; with neither, the \
         value in big digits with a sparkline of its history. Name the columns to override \
         the choice: `x=` the time axis, `y=` the values (comma-separated), `by=` the series \
         key; `height=` the plot rows (default 12). Re-emitted aggregates update in place, \
         windows add points as they close, and EMIT CHANGELOG rows (`_tp_delta`) add or \
         retract. Try `:run docs-per-resource` after `:chart`.",
        |a| {
            if a.eq_ignore_ascii_case("off") {
                return Ok(Command::Chart(ChartArg::Off));
            }
            crate::render::ChartSpec::parse(a).map(|s| Command::Chart(ChartArg::On(s)))
        },
    ),
    builtin(
        "timing",
        &[],
        Group::Shell,
        Completion::OnOff,
        "[on|off]",
        "the `N rows in X s` line after each statement (toggles)",
        "",
        |a| on_off(a).map(Command::Timing),
    ),
    builtin(
        "hints",
        &[],
        Group::Shell,
        Completion::OnOff,
        "[on|off]",
        "teaching hints, e.g. that a SELECT over a stream never ends (toggles)",
        "",
        |a| on_off(a).map(Command::Hints),
    ),
    builtin(
        "status",
        &[],
        Group::Shell,
        Completion::OnOff,
        "[on|off]",
        "the status line while a query runs: what the server read, emits, why nothing prints",
        "For a streaming query the line explains it: events read per second, emits so far and \
         the time since the last, and why or when the next emit comes (a tumble window's next \
         close, or that a global aggregate emits only when rows arrive), then rows and bytes \
         read, rows out and the elapsed time. It is redrawn in place on stderr, on a terminal \
         only, and never mixes with the rows.",
        |a| on_off(a).map(Command::Status),
    ),
    builtin(
        "tee",
        &[],
        Group::Shell,
        Completion::Words(&["off", "--format", "--rotate", "--keep"]),
        "FILE [OPTIONS]|off",
        "also write every row shown to a file (JSON lines, CSV, TSV), rotated by size or time",
        "`:tee FILE [--format jsonl|csv|tsv] [--rotate 100MB|1h] [--keep N]`. Every row that \
         is shown is appended to FILE in that format (by default from its extension, else \
         JSON lines) and flushed per block, so after Ctrl-C or a lost connection the file holds \
         exactly the rows you saw and ends on a whole line. With --rotate the rows go to parts \
         FILE-0001.EXT, FILE-0002.EXT, … and --keep N deletes the oldest. `:tee off` stops; \
         `:tee` says what is teed. A write error (full disk) stops the tee, not the query.",
        |a| {
            if a.is_empty() {
                return Ok(Command::Tee(None));
            }
            if a.eq_ignore_ascii_case("off") {
                return Ok(Command::Tee(Some(TeeArg::Off)));
            }
            let words = demos::split_args(a)?;
            let refs: Vec<&str> = words.iter().map(String::as_str).collect();
            crate::tee::TeeSpec::parse(&refs).map(|s| Command::Tee(Some(TeeArg::On(s))))
        },
    ),
    builtin(
        "history",
        &[],
        Group::Shell,
        Completion::Nothing,
        "[N]",
        "the last N statements (default 20); Ctrl-R searches them",
        "",
        |a| {
            if a.is_empty() {
                Ok(Command::History(None))
            } else {
                a.parse()
                    .map(|n| Command::History(Some(n)))
                    .map_err(|_| format!("`{a}` is not a number"))
            }
        },
    ),
    builtin(
        "refresh",
        &[],
        Group::Session,
        Completion::Nothing,
        "",
        "reload streams, columns and functions for completion",
        "",
        |a| no_args(a, Command::Refresh),
    ),
    builtin(
        "connect",
        &["c"],
        Group::Session,
        Completion::Nothing,
        "HOST[:PORT]",
        "connect to another server (same user and database)",
        "",
        |a| parse_host_port(a).map(|(host, port)| Command::Connect { host, port }),
    ),
    builtin(
        "set",
        &[],
        Group::Session,
        Completion::Settings,
        "NAME=VALUE",
        "a session setting sent with every query, e.g. `:set max_execution_time=30`",
        "The setting goes with every following query (and survives reconnects). \
         `:unset NAME` removes it, `:settings` lists them. A `SETTINGS` clause in a \
         query still wins for that query. Names starting with `demo.` configure the \
         demo commands instead (demo.stream, demo.view, demo.brokers, demo.topic, \
         demo.data_dir) and are not sent to the server.",
        |a| {
            if a.is_empty() {
                Ok(Command::Settings)
            } else {
                parse_setting(a).map(|(name, value)| Command::Set { name, value })
            }
        },
    ),
    builtin(
        "unset",
        &[],
        Group::Session,
        Completion::SetSettings,
        "NAME",
        "stop sending a session setting",
        "",
        |a| {
            if a.is_empty() {
                Err("needs a setting name".into())
            } else {
                Ok(Command::Unset(a.to_string()))
            }
        },
    ),
    builtin(
        "settings",
        &[],
        Group::Session,
        Completion::Nothing,
        "",
        "the session settings and shell options in effect",
        "",
        |a| no_args(a, Command::Settings),
    ),
    builtin(
        "snippets",
        &[],
        Group::Snippets,
        Completion::Nothing,
        "",
        "list the saved SQL snippets",
        "",
        |a| no_args(a, Command::Snippets),
    ),
    builtin(
        "run",
        &[],
        Group::Snippets,
        Completion::Snippets,
        "NAME [key=value …]",
        "run a snippet, filling in its parameters",
        "Parameters are written `{name:Type}` in the snippet; give them as key=value, or \
         the shell asks for the missing ones, again until the answer is a value of its \
         type (Ctrl-C there cancels the run). Quote a value \
         with spaces as a shell would: t=\"2024-01-31 13:45:00\", name='a b' or a\\ b; \
         at a question the answer is taken as typed, less one pair of quotes around it. \
         Values are checked against their type: a Date is YYYY-MM-DD, a DateTime \
         YYYY-MM-DD hh:mm:ss[.fff], a UUID 8-4-4-4-12 hex digits. Each statement is echoed, \
         then run.",
        |a| {
            let mut words = demos::split_args(a)?.into_iter();
            let name = snippet_name(&words.next().unwrap_or_default())?;
            Ok(Command::Run {
                name,
                args: words.collect(),
            })
        },
    ),
    builtin(
        "show",
        &[],
        Group::Snippets,
        Completion::Snippets,
        "NAME",
        "print a snippet's SQL",
        "",
        |a| snippet_name(a).map(Command::Show),
    ),
    builtin(
        "edit",
        &[],
        Group::Snippets,
        Completion::Snippets,
        "NAME",
        "put a snippet's SQL on the prompt to edit and run",
        "The snippet's statements are placed on the prompt as if typed: edit them, then \
         Enter runs them (Ctrl-C drops them). Parameters `{name:Type}` are left for you to \
         fill in. To change the file itself, edit it under the config dir's snippets/ \
         (`:save NAME` writes the last statement there).",
        |a| snippet_name(a).map(Command::Edit),
    ),
    builtin(
        "save",
        &[],
        Group::Snippets,
        Completion::Snippets,
        "NAME [--force]",
        "save the last statement as a snippet",
        "Writes the last statement to NAME.sql under the config dir's snippets/. An existing \
         snippet of that name is kept unless you add --force, which replaces it.",
        |a| {
            let mut force = false;
            let mut names = Vec::new();
            for word in demos::split_args(a)? {
                match word.as_str() {
                    "--force" => force = true,
                    flag if flag.starts_with("--") => {
                        return Err(format!("unknown option {flag} (the option is --force)"))
                    }
                    _ => names.push(word),
                }
            }
            snippet_name(&names.join(" ")).map(|name| Command::Save { name, force })
        },
    ),
    macro_row(&demos::MACROS[0]),
    macro_row(&demos::MACROS[1]),
    macro_row(&demos::MACROS[2]),
    macro_row(&demos::MACROS[3]),
];

/// The registry row for a name or alias (without the colon, case-insensitive).
pub fn lookup(name: &str) -> Option<&'static CommandInfo> {
    let name = name.trim_start_matches(':').to_ascii_lowercase();
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

/// The words people type out of habit from other shells, and what they mean here.
type MakeCommand = fn() -> Command;

const BARE_WORDS: &[(&str, MakeCommand)] = &[
    ("exit", || Command::Quit),
    ("quit", || Command::Quit),
    ("logout", || Command::Quit),
    ("\\q", || Command::Quit),
    ("help", || Command::Help(None)),
    ("\\?", || Command::Help(None)),
    ("\\h", || Command::Help(None)),
];

/// Is this line a command rather than SQL? A `:command`, a `\` command, or one of the
/// bare words (`exit`, `quit`, `logout`, `help`), alone on the line (a `;` after it is
/// allowed). The one rule: the line editor, batch input and snippets all use it.
pub fn is_command(line: &str) -> bool {
    let t = line.trim();
    if t.starts_with(':') || t.starts_with('\\') {
        return true;
    }
    let bare = t.trim_end_matches(';').trim();
    BARE_WORDS.iter().any(|(w, _)| bare.eq_ignore_ascii_case(w))
}

/// Parse a command line. `None` means the line is SQL (see [`is_command`]). A `;` (and
/// whitespace) at the end of a command line is ignored.
pub fn parse(line: &str) -> Option<Result<Command, String>> {
    if !is_command(line) {
        return None;
    }
    let t = line.trim();
    let bare = t.trim_end_matches(';').trim();
    if let Some((_, make)) = BARE_WORDS
        .iter()
        .find(|(w, _)| bare.eq_ignore_ascii_case(w))
    {
        return Some(Ok(make()));
    }
    // A `;` out of SQL habit ends the line, not the arguments: `:set a=1;` sets `1`.
    let t = t.trim_end_matches(|c: char| c == ';' || c.is_whitespace());
    let Some(rest) = t.strip_prefix(':') else {
        return Some(Err(format!(
            "unknown command `{t}`; `\\q` leaves, `\\?` helps, and `:help` lists the commands"
        )));
    };
    let (name, args) = match rest.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (rest, ""),
    };
    Some(match lookup(name) {
        Some(info) => info.parse(args),
        None => Err(unknown(name)),
    })
}

/// One entry of input: a command line, or an SQL statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Command(String),
    Sql(Statement),
}

/// Split input (typed, pasted, `-q`, a file, stdin, a snippet) into commands and statements,
/// in order. A command is a whole line, recognised only where no statement is open (so
/// `SELECT ':x'` and a `:`-line inside a string stay SQL). Statements end at `;` or `\G`; a
/// last statement without one is kept.
pub fn split_input(text: &str) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    let rest = scan(text, |item| match item {
        Scanned::Sql(sql) => {
            entries.extend(sql::split_statements(&sql).into_iter().map(Entry::Sql))
        }
        Scanned::Command(c) => entries.push(Entry::Command(c)),
    });
    entries.extend(sql::split_statements(&rest).into_iter().map(Entry::Sql));
    entries
}

/// Whether input is ready to run: its last part is a command, or SQL that ends with `;`
/// or `\G` (outside quotes and comments), or nothing. The line editor's one rule for Enter.
pub fn is_complete(text: &str) -> bool {
    let rest = scan(text, |_| {});
    !sql::has_content(&rest) || sql::is_complete(&rest)
}

enum Scanned {
    Sql(String),
    Command(String),
}

/// Walk the lines of `text`, handing each complete piece of SQL and each command line to
/// `emit`; returns the SQL still open at the end.
fn scan(text: &str, mut emit: impl FnMut(Scanned)) -> String {
    let mut pending = String::new();
    let settled = |pending: &str| !sql::has_content(pending) || sql::is_complete(pending);
    for line in text.split_inclusive('\n') {
        // Only a line that looks like a command needs the (tokenizing) look at what is open.
        if is_command(line) && settled(&pending) {
            if sql::has_content(&pending) {
                emit(Scanned::Sql(std::mem::take(&mut pending)));
            }
            pending.clear();
            emit(Scanned::Command(line.trim().to_string()));
            continue;
        }
        pending.push_str(line);
    }
    pending
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
    fn a_trailing_semicolon_after_a_command_is_ignored() {
        let set = |v: &str| {
            Ok(Command::Set {
                name: "max_block_size".into(),
                value: v.into(),
            })
        };
        assert_eq!(p(":set max_block_size=7;"), set("7"));
        assert_eq!(p(":set max_block_size = 7 ; "), set("7"));
        assert_eq!(p(":set max_block_size='a;b';"), set("a;b"));
        assert_eq!(p(":timing off;"), Ok(Command::Timing(Some(false))));
        assert_eq!(p(":timing;"), Ok(Command::Timing(None)));
        assert_eq!(p(":chart off ;"), Ok(Command::Chart(ChartArg::Off)));
        assert_eq!(
            p(":unset max_threads;"),
            Ok(Command::Unset("max_threads".into()))
        );
        assert_eq!(p(":q;"), Ok(Command::Quit));
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
    fn macros_parse_their_options_and_help() {
        match p(":validate --resume") {
            Ok(Command::Macro(inv)) => {
                assert_eq!(
                    inv,
                    crate::demos::parse_args("validate", &["--resume"]).unwrap()
                )
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            p(":school-count --help"),
            Ok(Command::Help(Some("school-count".into())))
        );
        let err = p(":school-count --bogus").unwrap_err();
        assert!(err.contains("unknown option --bogus"), "{err}");
        assert!(err.contains("--distinct"), "{err}");
        assert!(p(":run").is_err());
        assert_eq!(p(":edit daily"), Ok(Command::Edit("daily".into())));
    }

    #[test]
    fn run_splits_its_arguments_like_a_shell() {
        assert_eq!(
            p(r#":run dt t="2024-01-01 00:00:00" name='a b' c=x\ y"#),
            Ok(Command::Run {
                name: "dt".into(),
                args: vec![
                    "t=2024-01-01 00:00:00".into(),
                    "name=a b".into(),
                    "c=x y".into()
                ],
            })
        );
        assert_eq!(
            p(":run daily"),
            Ok(Command::Run {
                name: "daily".into(),
                args: vec![]
            })
        );
        let unclosed = p(":run dt t=\"2024").unwrap_err();
        assert!(unclosed.contains("unclosed"), "{unclosed}");
        assert!(unclosed.starts_with(":run NAME"), "{unclosed}");
    }

    #[test]
    fn save_overwrites_only_with_force() {
        assert_eq!(
            p(":save mine"),
            Ok(Command::Save {
                name: "mine".into(),
                force: false
            })
        );
        for line in [":save mine --force", ":save --force mine"] {
            assert_eq!(
                p(line),
                Ok(Command::Save {
                    name: "mine".into(),
                    force: true
                }),
                "{line}"
            );
        }
        assert!(p(":save").is_err());
        assert!(p(":save a b").is_err());
        let bogus = p(":save mine --forse").unwrap_err();
        assert!(bogus.contains("--force"), "{bogus}");
        assert!(lookup("save").unwrap().usage().contains("--force"));
    }

    #[test]
    fn macro_rows_show_their_options() {
        let v = lookup("validate").unwrap();
        assert!(v.usage().contains("--resume"));
        assert!(v.detail().contains("--partitions N"));
        assert!(v.argument_words().contains(&"--reset".to_string()));
        assert_eq!(lookup("format").unwrap().completion, Completion::Formats);
        assert!(lookup("format")
            .unwrap()
            .argument_words()
            .contains(&"csv".into()));
    }

    #[test]
    fn bare_words_are_commands_on_their_own_line_only() {
        for s in ["help", "logout", "\\q", "exit;", " quit ", ":x", "\\x"] {
            assert!(is_command(s), "{s}");
        }
        for s in ["helper", "SELECT 1", "exit 1", "", "  "] {
            assert!(!is_command(s), "{s}");
        }
        assert!(p("\\x").is_err());
    }

    #[test]
    fn input_splits_into_commands_and_statements() {
        let e = split_input(
            "SELECT 1 AS a;\nSELECT 2 AS b;\n:format csv\nhelp\nSELECT ':x';\nSELECT 3\n",
        );
        let shown: Vec<String> = e
            .iter()
            .map(|e| match e {
                Entry::Command(c) => format!("cmd {c}"),
                Entry::Sql(s) => format!("sql {}", s.sql),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "sql SELECT 1 AS a",
                "sql SELECT 2 AS b",
                "cmd :format csv",
                "cmd help",
                "sql SELECT ':x'",
                "sql SELECT 3"
            ]
        );
        // a `:` line inside an open statement or string is SQL
        let e = split_input("SELECT 'a\n:help\n';\n");
        assert_eq!(e.len(), 1);
        let e = split_input("SELECT 1,\nhelp;\n");
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn completeness() {
        assert!(is_complete(""));
        assert!(is_complete("help"));
        assert!(is_complete("logout"));
        assert!(is_complete(":help"));
        assert!(is_complete("SELECT 1;"));
        assert!(is_complete("SELECT 1\\G"));
        assert!(is_complete("-- just a comment"));
        assert!(!is_complete("SELECT 1"));
        assert!(!is_complete("SELECT ';"));
        assert!(!is_complete("SELECT 1;\nSELECT 2"));
        assert!(is_complete("SELECT 1;\n:help"));
    }

    #[test]
    fn chart_takes_columns_and_off() {
        match p(":chart x=window_end y=cnt,avg by=resource height=8") {
            Ok(Command::Chart(ChartArg::On(spec))) => {
                assert_eq!(spec.x.as_deref(), Some("window_end"));
                assert_eq!(spec.y, ["cnt", "avg"]);
                assert_eq!(spec.by.as_deref(), Some("resource"));
                assert_eq!(spec.height(), 8);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            p(":chart"),
            Ok(Command::Chart(ChartArg::On(Default::default())))
        );
        assert_eq!(p(":chart OFF"), Ok(Command::Chart(ChartArg::Off)));
        assert!(p(":chart height=x").unwrap_err().contains(":chart"));
        assert!(lookup("chart")
            .unwrap()
            .argument_words()
            .contains(&"by=".to_string()));
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
