//! The completion catalog: databases, streams, columns, functions and settings, loaded in the background on a second connection and read by completion without ever waiting.
//!
//! The shell's query connection is never used: a refresh opens its own connection, runs a few
//! small queries against `system.*` that work on Proton and on ClickHouse 18.16 alike, swaps
//! the new snapshot in, and closes. Errors are kept in [`CatalogData::last_error`] and
//! otherwise ignored: completion simply knows less. A keystroke only ever calls
//! [`Catalog::snapshot`], which uses `try_read` and gives up rather than wait.

use crate::wire::{Block, ConnectOptions, Connection};
use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Duration;

/// How long one refresh may take in total before it gives up.
const REFRESH_TIMEOUT: Duration = Duration::from_secs(30);

/// Most rows one catalog query reads (databases, streams, columns of all streams, functions,
/// settings): far above real catalogs' names, far below what `Connection::execute` refuses
/// to collect. Completion in a larger catalog offers part of it.
const CATALOG_LIMIT: usize = 100_000;

/// Proton refuses `system.*` to ordinary queries unless this setting is on; ClickHouse does not
/// know it (and refuses unknown settings), so it is sent only where it is needed.
const OPEN_SESAME: &str = "_tp_internal_system_open_sesame";

/// One snapshot of what the server has.
#[derive(Debug, Clone, Default)]
pub struct CatalogData {
    /// All database names.
    pub databases: Vec<String>,
    /// The database unqualified names resolve in.
    pub current_database: String,
    /// Streams, views and tables of the current database: `(name, engine)`; `.inner.*` left out.
    pub streams: Vec<(String, String)>,
    /// Every stream/table of every database: `(database, name, engine)`; for `db.` completion.
    pub all_streams: Vec<(String, String, String)>,
    /// Column names by stream: keyed by `name` (current database) and by `database.name`.
    pub columns: HashMap<String, Vec<String>>,
    /// Function names from `system.functions`.
    pub functions: Vec<String>,
    /// Table functions from `system.table_functions` (`table`, `tumble`, `numbers` …).
    pub table_functions: Vec<String>,
    /// Setting names from `system.settings` (and Proton's `system.stream_settings`).
    pub settings: Vec<String>,
    /// True once a refresh has completed (even partly).
    pub loaded: bool,
    /// The last refresh problem, if any (never shown while typing).
    pub last_error: Option<String>,
    /// Ticket of the refresh this snapshot came from; older refreshes never overwrite newer ones.
    pub generation: u64,
    /// Tickets handed out so far.
    pub requested: u64,
}

impl CatalogData {
    /// Leave out every name (and engine) with a control character: completion prints them in
    /// its menu, where such a name could drive the terminal, and nobody types one anyway.
    fn drop_unprintable(&mut self) {
        let ok = |s: &String| !s.contains(char::is_control);
        self.databases.retain(ok);
        self.streams.retain(|(n, e)| ok(n) && ok(e));
        self.all_streams.retain(|(d, n, e)| ok(d) && ok(n) && ok(e));
        self.columns.retain(|table, _| ok(table));
        for names in self.columns.values_mut() {
            names.retain(ok);
        }
        self.functions.retain(ok);
        self.table_functions.retain(ok);
        self.settings.retain(ok);
    }

    /// The columns of `table` as written in a statement (`s`, `db.s`, or a name in another
    /// database reached through `current_database`).
    pub fn columns_of(&self, table: &str) -> Option<&Vec<String>> {
        self.columns.get(table).or_else(|| {
            let (db, name) = table.split_once('.')?;
            if db == self.current_database {
                self.columns.get(name)
            } else {
                None
            }
        })
    }

    /// The engine of `table` as written (`s` or `db.s`), e.g. `Stream`, `ExternalStream`,
    /// `MaterializedView`, `MergeTree`: lets the shell refine `sql::analyze`'s streaming guess.
    #[cfg(test)]
    pub fn engine_of(&self, table: &str) -> Option<&str> {
        let (db, name) = match table.split_once('.') {
            Some((db, name)) => (db, name),
            None => (self.current_database.as_str(), table),
        };
        self.all_streams
            .iter()
            .find(|(d, n, _)| d == db && n == name)
            .map(|(_, _, e)| e.as_str())
    }
}

/// Shared, cheaply cloned handle to the catalog.
#[derive(Clone, Default)]
pub struct Catalog(Arc<RwLock<CatalogData>>);

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.snapshot() {
            Some(d) => f
                .debug_struct("Catalog")
                .field("loaded", &d.loaded)
                .field("streams", &d.streams.len())
                .field("functions", &d.functions.len())
                .finish_non_exhaustive(),
            None => f.write_str("Catalog(<busy>)"),
        }
    }
}

impl Catalog {
    /// An empty catalog (completion offers keywords only until a refresh lands).
    pub fn new() -> Self {
        Self::default()
    }

    /// A catalog filled by hand (tests, or a shell that already knows its data).
    #[cfg(test)]
    pub fn from_data(data: CatalogData) -> Self {
        Catalog(Arc::new(RwLock::new(data)))
    }

    /// The current snapshot, if it can be had without waiting (never blocks a keystroke).
    pub fn snapshot(&self) -> Option<RwLockReadGuard<'_, CatalogData>> {
        self.0.try_read().ok()
    }

    /// True once a refresh has completed.
    #[cfg(test)]
    pub fn is_loaded(&self) -> bool {
        self.snapshot().is_some_and(|d| d.loaded)
    }

    /// The last refresh error, if any.
    #[cfg(test)]
    pub fn last_error(&self) -> Option<String> {
        self.0.read().ok().and_then(|d| d.last_error.clone())
    }

    /// The write lock, held: for tests that check completion never waits on it.
    #[cfg(test)]
    pub(crate) fn write_lock_for_tests(&self) -> std::sync::RwLockWriteGuard<'_, CatalogData> {
        self.0.write().expect("catalog lock")
    }

    fn take_ticket(&self) -> u64 {
        match self.0.write() {
            Ok(mut d) => {
                d.requested += 1;
                d.requested
            }
            Err(_) => 0,
        }
    }

    fn store(&self, ticket: u64, result: Result<CatalogData, String>) {
        let Ok(mut d) = self.0.write() else { return };
        if ticket < d.generation {
            return; // a newer refresh already landed
        }
        match result {
            Ok(mut fresh) => {
                fresh.generation = ticket;
                fresh.requested = d.requested;
                fresh.loaded = true;
                *d = fresh;
            }
            Err(e) => d.last_error = Some(e),
        }
    }

    /// Reload everything on a new connection, in a background task; returns at once.
    /// Runs on the current tokio runtime when it is multi-threaded; otherwise (no runtime, or a
    /// current-thread runtime whose only thread may be sitting in `readline`) on a short-lived
    /// thread of its own.
    pub fn refresh_in_background(&self, opts: ConnectOptions) {
        let this = self.clone();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread {
                handle.spawn(async move {
                    let _ = this.refresh(opts).await;
                });
                return;
            }
        }
        let _ = std::thread::Builder::new()
            .name("catalog-refresh".into())
            .spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    let _ = rt.block_on(this.refresh(opts));
                }
            });
    }

    /// Reload everything now (awaitable, for tests and `:refresh`). Errors land in `last_error`;
    /// the returned value says whether the refresh succeeded.
    pub async fn refresh(&self, opts: ConnectOptions) -> Result<(), String> {
        let ticket = self.take_ticket();
        let result = match tokio::time::timeout(REFRESH_TIMEOUT, load(opts)).await {
            Ok(r) => r,
            Err(_) => Err("catalog refresh timed out".to_string()),
        };
        let outcome = result.as_ref().map(|_| ()).map_err(Clone::clone);
        self.store(ticket, result);
        outcome
    }
}

/// Runs the catalog queries, remembering whether `system.*` needs Proton's open-sesame setting.
struct Loader {
    conn: Connection,
    settings: Vec<(String, String)>,
}

impl Loader {
    /// Run `sql`; on a server error retry once with the other settings choice.
    async fn query(&mut self, sql: &str) -> crate::wire::Result<Vec<Block>> {
        match self.conn.execute(sql, &self.settings).await {
            Ok(r) => Ok(r.blocks),
            Err(crate::wire::Error::Server(first)) => {
                let other: Vec<(String, String)> = if self.settings.is_empty() {
                    vec![(OPEN_SESAME.into(), "true".into())]
                } else {
                    Vec::new()
                };
                match self.conn.execute(sql, &other).await {
                    Ok(r) => {
                        self.settings = other;
                        Ok(r.blocks)
                    }
                    Err(crate::wire::Error::Server(_)) => Err(crate::wire::Error::Server(first)),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Rows of string columns, in column order; at most [`CATALOG_LIMIT`].
    async fn rows(&mut self, sql: &str) -> crate::wire::Result<Vec<Vec<String>>> {
        let blocks = self.query(&format!("{sql} LIMIT {CATALOG_LIMIT}")).await?;
        let mut out = Vec::new();
        for b in &blocks {
            for row in 0..b.rows {
                out.push(
                    b.columns
                        .iter()
                        .map(|c| {
                            c.value(row)
                                .as_str()
                                .map(|s| s.into_owned())
                                .unwrap_or_default()
                        })
                        .collect(),
                );
            }
        }
        Ok(out)
    }

    async fn names(&mut self, sql: &str) -> crate::wire::Result<Vec<String>> {
        let mut v: Vec<String> = self
            .rows(sql)
            .await?
            .into_iter()
            .filter_map(|r| r.into_iter().next())
            .filter(|s| !s.is_empty())
            .collect();
        v.sort();
        v.dedup();
        Ok(v)
    }
}

fn is_internal(name: &str) -> bool {
    name.starts_with(".inner")
}

async fn load(opts: ConnectOptions) -> Result<CatalogData, String> {
    let configured_db = opts.database.clone();
    let conn = Connection::connect(opts)
        .await
        .map_err(|e| format!("catalog: {e}"))?;
    let settings = if conn.server_info().is_timeplus() {
        vec![(OPEN_SESAME.to_string(), "true".to_string())]
    } else {
        Vec::new()
    };
    let mut l = Loader { conn, settings };
    let mut data = CatalogData::default();
    let mut errors: Vec<String> = Vec::new();
    let mut note = |what: &str, e: crate::wire::Error| errors.push(format!("{what}: {e}"));

    data.current_database = if configured_db.is_empty() {
        let mut db = None;
        for sql in ["SELECT current_database()", "SELECT currentDatabase()"] {
            if let Ok(rows) = l.rows(sql).await {
                db = rows.into_iter().next().and_then(|r| r.into_iter().next());
                break;
            }
        }
        db.unwrap_or_else(|| "default".to_string())
    } else {
        configured_db
    };

    match l.names("SELECT name FROM system.databases").await {
        Ok(v) => data.databases = v,
        Err(e) => note("databases", e),
    }
    match l
        .rows("SELECT database, name, engine FROM system.tables")
        .await
    {
        Ok(rows) => {
            for r in rows {
                let [db, name, engine]: [String; 3] = match r.try_into() {
                    Ok(a) => a,
                    Err(_) => continue,
                };
                if is_internal(&name) {
                    continue;
                }
                if db == data.current_database {
                    data.streams.push((name.clone(), engine.clone()));
                }
                data.all_streams.push((db, name, engine));
            }
            data.streams.sort();
            data.all_streams.sort();
        }
        Err(e) => note("tables", e),
    }
    match l
        .rows("SELECT database, table, name FROM system.columns")
        .await
    {
        Ok(rows) => {
            for r in rows {
                let [db, table, name]: [String; 3] = match r.try_into() {
                    Ok(a) => a,
                    Err(_) => continue,
                };
                if is_internal(&table) {
                    continue;
                }
                if db == data.current_database {
                    data.columns
                        .entry(table.clone())
                        .or_default()
                        .push(name.clone());
                }
                data.columns
                    .entry(format!("{db}.{table}"))
                    .or_default()
                    .push(name);
            }
        }
        Err(e) => note("columns", e),
    }
    match l.names("SELECT name FROM system.functions").await {
        Ok(v) => data.functions = v,
        Err(e) => note("functions", e),
    }
    match l.names("SELECT name FROM system.table_functions").await {
        Ok(v) => data.table_functions = v,
        Err(e) => note("table functions", e),
    }
    match l.names("SELECT name FROM system.settings").await {
        Ok(v) => data.settings = v,
        Err(e) => note("settings", e),
    }
    // Proton only: external stream settings (type, brokers, topic, data_format …).
    if !l.settings.is_empty() {
        if let Ok(v) = l.names("SELECT name FROM system.stream_settings").await {
            data.settings.extend(v);
            data.settings.sort();
            data.settings.dedup();
        }
    }
    data.drop_unprintable();
    if !errors.is_empty() {
        data.last_error = Some(errors.join("; "));
    }
    if data.databases.is_empty() && data.streams.is_empty() && data.functions.is_empty() {
        return Err(data
            .last_error
            .unwrap_or_else(|| "catalog: nothing loaded".to_string()));
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_control_characters_are_left_out() {
        let evil = "t\x1b]52;c;aGk=\x07".to_string();
        let mut d = CatalogData {
            databases: vec!["default".into(), evil.clone()],
            streams: vec![
                ("s".into(), "Stream".into()),
                (evil.clone(), "Stream".into()),
            ],
            all_streams: vec![("default".into(), "s".into(), "Stream\x1b[2J".into())],
            columns: HashMap::from([
                ("s".into(), vec!["id".into(), evil.clone()]),
                (evil.clone(), vec!["id".into()]),
            ]),
            functions: vec!["abs".into(), evil.clone()],
            table_functions: vec![evil.clone()],
            settings: vec!["max_threads".into(), evil.clone()],
            ..CatalogData::default()
        };
        d.drop_unprintable();
        assert_eq!(d.databases, vec!["default"]);
        assert_eq!(d.streams, vec![("s".to_string(), "Stream".to_string())]);
        assert!(d.all_streams.is_empty());
        assert_eq!(
            d.columns,
            HashMap::from([("s".to_string(), vec!["id".to_string()])])
        );
        assert_eq!(d.functions, vec!["abs"]);
        assert!(d.table_functions.is_empty());
        assert_eq!(d.settings, vec!["max_threads"]);
    }

    #[test]
    fn snapshot_never_blocks_while_written() {
        let c = Catalog::new();
        assert!(!c.is_loaded());
        let guard = c.0.write().unwrap();
        assert!(
            c.snapshot().is_none(),
            "snapshot must not wait for a writer"
        );
        drop(guard);
        assert!(c.snapshot().is_some());
    }

    #[test]
    fn older_refresh_never_overwrites_newer() {
        let c = Catalog::new();
        let old = c.take_ticket();
        let new = c.take_ticket();
        let data = |db: &str| CatalogData {
            current_database: db.into(),
            ..Default::default()
        };
        c.store(new, Ok(data("new")));
        c.store(old, Ok(data("old")));
        let d = c.snapshot().unwrap();
        assert_eq!(d.current_database, "new");
        assert!(d.loaded);
        drop(d);
        // a failed refresh keeps the data and records the error
        let t = c.take_ticket();
        c.store(t, Err("boom".into()));
        assert_eq!(c.snapshot().unwrap().current_database, "new");
        assert_eq!(c.last_error().as_deref(), Some("boom"));
    }

    #[test]
    fn columns_by_plain_and_qualified_name() {
        let mut d = CatalogData {
            current_database: "default".into(),
            ..Default::default()
        };
        d.columns.insert("s".into(), vec!["a".into()]);
        d.columns.insert("default.s".into(), vec!["a".into()]);
        d.columns.insert("other.t".into(), vec!["b".into()]);
        assert_eq!(d.columns_of("s").unwrap(), &vec!["a".to_string()]);
        assert_eq!(d.columns_of("default.s").unwrap(), &vec!["a".to_string()]);
        assert_eq!(d.columns_of("other.t").unwrap(), &vec!["b".to_string()]);
        assert!(d.columns_of("t").is_none());
        d.all_streams = vec![
            ("default".into(), "s".into(), "Stream".into()),
            ("other".into(), "t".into(), "MergeTree".into()),
        ];
        assert_eq!(d.engine_of("s"), Some("Stream"));
        assert_eq!(d.engine_of("default.s"), Some("Stream"));
        assert_eq!(d.engine_of("other.t"), Some("MergeTree"));
        assert_eq!(d.engine_of("t"), None);
    }

    #[test]
    fn unreachable_server_is_silent() {
        let c = Catalog::new();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let opts = ConnectOptions {
            host: "127.0.0.1".into(),
            port: 1, // nothing listens there
            connect_timeout: Duration::from_millis(500),
            ..Default::default()
        };
        let r = rt.block_on(c.refresh(opts));
        assert!(r.is_err());
        assert!(!c.is_loaded());
        assert!(c.last_error().is_some());
    }

    fn live_opts(var: &str) -> Option<ConnectOptions> {
        let addr = std::env::var(var).ok()?;
        let (host, port) = addr.rsplit_once(':')?;
        Some(ConnectOptions {
            host: host.trim_matches(|c| c == '[' || c == ']').to_string(),
            port: port.parse().ok()?,
            ..Default::default()
        })
    }

    fn live_refresh(var: &str) {
        let Some(opts) = live_opts(var) else {
            panic!("{var} is not set: scripts/test.sh sets CLICKHOUSE_TEST_ADDR; PROTON_TEST_ADDR needs a Proton (docker compose up -d)");
        };
        let c = Catalog::new();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(c.refresh(opts)).expect("refresh");
        let d = c.snapshot().unwrap();
        assert!(d.loaded);
        assert!(
            d.databases.iter().any(|x| x == "system"),
            "{:?}",
            d.databases
        );
        assert!(!d.current_database.is_empty());
        assert!(d.functions.len() > 50, "{}", d.functions.len());
        assert!(d.settings.len() > 50, "{}", d.settings.len());
        assert!(
            d.columns_of("system.tables")
                .is_some_and(|c| c.iter().any(|x| x == "engine")),
            "no columns for system.tables"
        );
        assert!(d
            .all_streams
            .iter()
            .all(|(_, n, _)| !n.starts_with(".inner")));
    }

    #[test]
    fn live_clickhouse_refresh() {
        live_refresh("CLICKHOUSE_TEST_ADDR");
    }

    #[test]
    #[cfg_attr(
        not(proton_live),
        ignore = "needs PROTON_TEST_ADDR (docker compose up -d; see build.rs)"
    )]
    fn live_proton_refresh() {
        live_refresh("PROTON_TEST_ADDR");
    }
}
