//! What each shell command does: one `match` over `commands::Command`, for the interactive shell.

use super::editor::{self, Answer};
use super::repl::{Flow, Repl};
use super::session::StmtOutcome;
use crate::commands::{help, ChartArg, Command, TeeArg};
use crate::demos::{self, DemoInvocation, DemoOut, TeeLines};
use crate::render::Format;
use crate::run::EchoOff;
use crate::snippets::{self, SnippetStore};
use crate::sql;
use crate::tee::Tee;
use reedline::{SearchDirection, SearchQuery};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The snippet store: the shipped snippets and the user's own (config dir's `snippets/`).
pub(super) fn snippet_store() -> SnippetStore {
    SnippetStore::new(crate::dirs::config_dir().map(|d| d.join("snippets")))
}

impl Repl<'_> {
    /// Run one command.
    pub(super) fn run_command(&mut self, cmd: Command) -> Flow {
        let s = &mut self.session;
        match cmd {
            Command::Quit => return Flow::Quit,
            Command::Help(topic) => {
                let width = crate::run::width().unwrap_or(80);
                match help::help_for(
                    topic.as_deref(),
                    s.term.out_color(),
                    s.proton_major(),
                    width,
                ) {
                    Ok(text) => println!("{}", text.trim_end()),
                    Err(msg) => s.error(&msg),
                }
            }
            Command::Format(None) => {
                let current = match s.format {
                    Some(f) => f.name().to_string(),
                    None => "auto (table on a terminal; live for streaming aggregates)".into(),
                };
                let all: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                println!("format: {current}\nchoices: auto, {}", all.join(", "));
            }
            Command::Format(Some(name)) => {
                if name.eq_ignore_ascii_case("auto") {
                    s.format = None;
                    s.note("format: auto");
                } else if let Some(f) = Format::parse(&name) {
                    if f == Format::Chart {
                        // `:format chart` is `:chart` with every column chosen automatically.
                        s.chart_on(Default::default());
                    } else {
                        s.format = Some(f);
                    }
                    s.note(&format!("format: {}", f.name()));
                } else {
                    let all: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                    s.error(&format!(
                        "unknown format `{name}`; choose auto, {}",
                        all.join(", ")
                    ));
                }
            }
            Command::Chart(ChartArg::Off) => {
                let what = if s.chart_off() {
                    "chart off"
                } else {
                    "chart was not on"
                };
                let format = s.format.map_or("auto", |f| f.name());
                s.note(&format!("{what}; format: {format}"));
            }
            Command::Chart(ChartArg::On(spec)) => {
                s.note(&format!(
                    "chart: {} (the following queries; `:chart off` stops)",
                    spec.describe()
                ));
                s.chart_on(spec);
            }
            Command::Timing(v) => {
                s.timing = v.unwrap_or(!s.timing);
                s.note(&format!("timing {}", on_off(s.timing)));
            }
            Command::Hints(v) => {
                s.hints = v.unwrap_or(!s.hints);
                s.note(&format!("hints {}", on_off(s.hints)));
            }
            Command::Status(v) => {
                s.status = v.unwrap_or(!s.status);
                s.note(&format!("status line {}", on_off(s.status)));
            }
            Command::Tee(None) => match &s.tee {
                Some(t) => s.note(&t.spec().describe()),
                None => s.note("no tee: `:tee FILE` writes the rows shown to a file too"),
            },
            Command::Tee(Some(TeeArg::Off)) => match s.tee.take() {
                Some(t) => s.note(&format!("tee off ({} kept)", t.current_path().display())),
                None => s.note("no tee was on"),
            },
            Command::Tee(Some(TeeArg::On(spec))) => match Tee::open(spec) {
                Ok(t) => {
                    let t = t.quoting_64bit(s.json_quote_64bit);
                    s.note(&t.spec().describe());
                    s.tee = Some(t);
                }
                Err(e) => s.error(&e),
            },
            Command::Refresh => {
                s.catalog_dirty = true;
                s.note("refreshing streams, columns and functions in the background");
            }
            Command::Connect { host, port } => {
                self.rt.block_on(s.reconnect_to(host, port));
            }
            Command::Set { name, value } if is_demo_setting(&name) => {
                if s.demo.apply_setting(&name, &value) {
                    s.note(&format!("{name} = {value} (for the demo commands)"));
                } else {
                    s.error(&format!(
                        "unknown demo setting `{name}`; known: {}",
                        demos::SETTING_KEYS.join(", ")
                    ));
                }
            }
            Command::Set { name, value } => {
                if self.rt.block_on(s.set_setting(name.clone(), value.clone())) {
                    s.note(&format!("{name} = {value} (sent with every query)"));
                } else {
                    s.note(&crate::run::not_set(&name, &value));
                }
            }
            Command::Unset(name) if is_demo_setting(&name) => {
                if s.demo.apply_setting(&name, "") {
                    s.note(&format!("{name} is back to its default"));
                } else {
                    s.error(&format!("unknown demo setting `{name}`"));
                }
            }
            Command::Unset(name) => {
                if !s.settings.unset(&name) {
                    s.error(&format!(
                        "`{name}` is not a session setting (see :settings)"
                    ));
                } else {
                    s.note(&format!("{name} is no longer sent"));
                }
            }
            Command::Settings => self.print_settings(),
            Command::History(n) => self.print_history(n.unwrap_or(20)),
            Command::Snippets => self.list_snippets(),
            Command::Show(name) => match snippet_store().for_server(s.proton_major()).source(&name)
            {
                Ok(src) => println!("{}", src.text.trim_end()),
                Err(e) => s.error(&e.to_string()),
            },
            Command::Save { name, force } => {
                let Some(sql) = s.last_sql.clone() else {
                    s.error("nothing to save yet: run a statement first");
                    return Flow::Continue;
                };
                match snippet_store().save(&name, &sql, force) {
                    Ok(path) => s.note(&format!("saved to {}", path.display())),
                    Err(e @ snippets::SnippetError::Exists { .. }) => s.error(&format!(
                        "{e}: kept it; `:save {name} --force` replaces it, or pick another name"
                    )),
                    Err(e @ snippets::SnippetError::Shadows { .. }) => s.error(&format!(
                        "{e}; pick another name, or `:save {name} --force` to use yours instead"
                    )),
                    Err(e) => s.error(&e.to_string()),
                }
                self.refresh_snippet_names();
            }
            Command::Edit(name) => match snippet_store().for_server(s.proton_major()).get(&name) {
                Ok(snippet) => {
                    s.pending_input = Some(snippet.body.trim().to_string());
                    s.note(&format!(
                        "{name} is on the prompt: edit it, Enter runs it, Ctrl-C drops it"
                    ));
                }
                Err(e) => s.error(&e.to_string()),
            },
            Command::Run { name, args } => return self.run_snippet(&name, &args),
            Command::Macro(invocation) => self.run_macro(&invocation),
        }
        Flow::Continue
    }

    /// The snippet store picking the variants for the connected server.
    fn snippets_for_server(&self) -> SnippetStore {
        snippet_store().for_server(self.session.proton_major())
    }

    fn run_macro(&mut self, invocation: &DemoInvocation) {
        let s = &mut self.session;
        let cfg = s.demo.clone();
        let term = s.term;
        let rt = self.rt;
        // A tee on: the macro's result lines go to the file too, for as long as it runs.
        let tee = TeeLines::lend(&mut s.tee, invocation.name());
        let result = rt.block_on(async {
            let (mut lease, interrupts) = s.lease().await?;
            // Keys typed while the macro runs are not echoed into its output (no `^C`).
            let _echo = term.stdin_tty.then(EchoOff::stdin);
            let mut out = io::stdout();
            let io =
                DemoOut::new(&mut out, term.stdout_tty, term.out_color()).with_tee(tee.clone());
            Some(demos::run(&mut lease, &cfg, invocation, io, interrupts).await)
        });
        TeeLines::give_back(tee, &mut s.tee);
        let _ = io::stdout().flush();
        if let Some(Err(e)) = result {
            s.error(&e.to_string());
        }
    }

    fn refresh_snippet_names(&mut self) {
        *self
            .session
            .names
            .snippets
            .write()
            .unwrap_or_else(|p| p.into_inner()) = snippet_store().names();
    }

    fn list_snippets(&mut self) {
        let store = snippet_store();
        for e in store.list() {
            let note = match (&e.error, e.shadows_shipped) {
                (Some(err), _) => format!("  (does not parse: {err})"),
                (None, true) => "  (yours, hides the shipped one)".into(),
                _ => String::new(),
            };
            println!("{:<22} {}{note}", e.name, e.title);
        }
        self.session
            .note("run one with `:run NAME key=value …`; `:show NAME` prints it, `:edit NAME` puts it on the prompt");
        self.refresh_snippet_names();
    }

    /// `:run NAME key=value …`: fill the parameters (asking for missing ones) and run each
    /// statement, echoed as a comment first. Ctrl-C at a question, or while a statement runs,
    /// cancels the rest.
    fn run_snippet(&mut self, name: &str, args: &[String]) -> Flow {
        self.fill_and_run_snippet(name, args)
            .unwrap_or_else(|message| {
                self.session.error(&message);
                Flow::Continue
            })
    }

    fn fill_and_run_snippet(&mut self, name: &str, args: &[String]) -> Result<Flow, String> {
        let snippet = self
            .snippets_for_server()
            .get(name)
            .map_err(|e| e.to_string())?;
        let s = &mut self.session;
        let mut values: BTreeMap<String, String> =
            snippets::parse_assignments(args.iter().map(String::as_str))
                .map_err(|e| e.to_string())?;
        for param in snippet.missing_params(&values) {
            let (param_name, ty) = (&param.name, &param.ty);
            if !s.term.stdin_tty {
                return Err(format!(
                    "missing parameter {param_name} ({ty}): pass {param_name}=VALUE"
                ));
            }
            // Each answer is checked as it comes, and asked again until it is a value.
            let value = loop {
                let answer = editor::ask(&format!("{param_name} ({ty}): "), s.term.out_color())
                    .map_err(|e| format!("cannot read input: {e}"))?;
                let line = match answer {
                    Answer::Line(line) => line,
                    Answer::Cancelled => {
                        s.note(&format!(":run {name} cancelled; nothing ran"));
                        return Ok(Flow::Cancelled);
                    }
                };
                let value = snippets::answer_value(&line);
                if value.is_empty() {
                    s.error(&format!("{param_name} needs a value (Ctrl-C cancels)"));
                    continue;
                }
                match param.render(value) {
                    Ok(_) => break value.to_string(),
                    Err(e) => s.error(&format!("{e} (Ctrl-C cancels)")),
                }
            };
            values.insert(param_name.clone(), value);
        }
        let text = snippet.render(&values).map_err(|e| e.to_string())?;
        for stmt in sql::split_statements(&text) {
            for line in stmt.sql.lines() {
                s.note(&format!("-- {line}"));
            }
            match self.rt.block_on(s.run_sql(&stmt)) {
                StmtOutcome::Ok => {}
                StmtOutcome::Failed => break,
                StmtOutcome::Cancelled => return Ok(Flow::Cancelled),
            }
        }
        Ok(Flow::Continue)
    }

    fn print_history(&self, n: usize) {
        let items = self
            .editor
            .history()
            .search(SearchQuery::everything(SearchDirection::Forward, None))
            .unwrap_or_default();
        let start = items.len().saturating_sub(n);
        for (i, item) in items.iter().enumerate().skip(start) {
            let text = item.command_line.replace('\n', "\n      ");
            println!("{:>5} {text}", i + 1);
        }
    }

    fn print_settings(&self) {
        let s = &self.session;
        let o = s.connect_options();
        let server = s
            .server_info()
            .map(|i| format!("{} {} (revision {})", i.name, i.version(), i.revision))
            .unwrap_or_else(|| "not connected".into());
        println!("server    {server} at {}", o.addr());
        println!("user      {}", o.user);
        println!("database  {}", s.database());
        match s.format {
            Some(Format::Chart) => println!("format    chart ({})", s.chart.describe()),
            f => println!("format    {}", f.map(|f| f.name()).unwrap_or("auto")),
        }
        println!("timing    {}", on_off(s.timing));
        println!("hints     {}", on_off(s.hints));
        println!("status    {}", on_off(s.status));
        println!(
            "history   {}",
            self.history_path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "(not saved)".into())
        );
        if s.settings.is_empty() {
            println!("session settings: none (`:set name=value` adds one)");
        } else {
            println!("session settings (sent with every query):");
            for (k, v) in &s.settings {
                println!("  {k} = {v}");
            }
        }
        println!("demo settings (`:set demo.NAME=VALUE`):");
        for (k, v) in s.demo.settings() {
            println!("  {k} = {v}");
        }
    }
}

fn is_demo_setting(name: &str) -> bool {
    name.to_ascii_lowercase().starts_with("demo.")
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}
