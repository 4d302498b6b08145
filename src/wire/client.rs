//! The connection: handshake, queries as event streams, Cancel with a drain deadline, reconnects.

use super::column::{Block, DecodeCtx};
use super::error::{Error, Result};
use super::io::put_varint;
use super::limits::DecodeLimits;
use super::protocol::client as cp;
use super::protocol::{
    advertised_revision, read_hello, read_packet_with_id, write_addendum, write_hello, write_query,
    Packet, ProfileInfo, Progress, QuerySpec, ReadCtx, ServerInfo, CLIENT_REVISION, REV_ADDENDUM,
};
use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Where and as whom to connect.
#[derive(Clone)]
pub struct ConnectOptions {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub database: String,
    /// One deadline for connecting and the whole handshake (not per read).
    pub connect_timeout: Duration,
    /// Ask for LZ4-compressed blocks (off by default: on loopback it only costs CPU).
    pub compression: bool,
    /// While a query (or ping) waits for the server, the longest silence allowed: any packet,
    /// Progress heartbeats included, resets the clock. `None` (or zero) waits forever.
    /// Like clickhouse-client's `receive_timeout`, 300 s by default.
    pub receive_timeout: Option<Duration>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            host: "localhost".into(),
            port: 8463,
            user: "default".into(),
            password: String::new(),
            database: String::new(),
            connect_timeout: Duration::from_secs(10),
            compression: false,
            receive_timeout: Some(Duration::from_secs(300)),
        }
    }
}

impl std::fmt::Debug for ConnectOptions {
    // Never print the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("database", &self.database)
            .field("connect_timeout", &self.connect_timeout)
            .field("receive_timeout", &self.receive_timeout)
            .finish_non_exhaustive()
    }
}

impl ConnectOptions {
    pub fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// One query's worth of server output, as the caller sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Column names and types, before any rows.
    Header(Block),
    Data(Block),
    /// Totals so far (the sum of every Progress packet of this query).
    Progress(Progress),
    ProfileInfo(ProfileInfo),
    /// Decoded, for callers that want them; shells usually ignore these.
    ProfileEvents(Block),
    Totals(Block),
    Extremes(Block),
    Log(Block),
    TableColumns {
        table: String,
        description: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    /// A query is running; only Cancel may be sent.
    InQuery,
    /// Cancel was sent; packets are still to be drained up to EndOfStream.
    Cancelling,
    Broken,
}

/// How a cancel ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// The server confirmed with EndOfStream; the connection is ready for the next query.
    Drained,
    /// The query had already finished.
    AlreadyDone,
    /// The deadline passed (or the link broke): the connection was dropped and will reconnect.
    Dropped,
}

struct Link {
    /// The revision this link advertised in its Hello.
    advertised: u64,
    writer: TcpStream,
    rx: mpsc::Receiver<Result<Packet>>,
    compression: Arc<AtomicBool>,
    limits: Arc<Mutex<DecodeLimits>>,
    watch: Arc<Watch>,
}

/// What the reader thread needs to know to apply the receive timeout.
struct Watch {
    /// Set while the caller waits for the server (a query, ping or drain).
    awaiting: AtomicBool,
    /// When the last byte arrived or the last request left, in ms since `epoch`.
    last_ms: AtomicU64,
    epoch: Instant,
    /// Set when a read gave up because of a timeout or deadline.
    timed_out: AtomicBool,
}

impl Watch {
    fn new() -> Self {
        Watch {
            awaiting: AtomicBool::new(false),
            last_ms: AtomicU64::new(0),
            epoch: Instant::now(),
            timed_out: AtomicBool::new(false),
        }
    }

    fn touch(&self) {
        let ms = self.epoch.elapsed().as_millis() as u64;
        self.last_ms.fetch_max(ms, Ordering::AcqRel);
    }

    fn since_last(&self) -> Duration {
        let now = self.epoch.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_ms.load(Ordering::Acquire)))
    }

    /// A request went out: the clock starts now.
    fn start_waiting(&self) {
        self.touch();
        self.awaiting.store(true, Ordering::Release);
    }

    fn stop_waiting(&self) {
        self.awaiting.store(false, Ordering::Release);
    }
}

/// The socket as the reader sees it: reads give up at the handshake deadline, or after
/// `receive_timeout` of silence while the caller is waiting for the server.
struct TimedStream {
    stream: TcpStream,
    watch: Arc<Watch>,
    /// During the handshake: one deadline for all of it.
    deadline: Option<Instant>,
    receive_timeout: Option<Duration>,
    /// The read timeout the socket has now (saves a syscall per read).
    current: Option<Option<Duration>>,
}

/// While idle, re-check this often, so a query started while a read is already blocked
/// gets its full timeout and no more.
const IDLE_POLL: Duration = Duration::from_secs(1);

impl TimedStream {
    fn set_timeout(&mut self, t: Option<Duration>) -> std::io::Result<()> {
        // A zero timeout means "none" to the OS API and is refused; round up.
        let t = t.map(|d| d.max(Duration::from_millis(1)));
        if self.current != Some(t) {
            self.stream.set_read_timeout(t)?;
            self.current = Some(t);
        }
        Ok(())
    }

    fn expired(&self) -> std::io::Error {
        self.watch.timed_out.store(true, Ordering::Release);
        std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "timed out waiting for the server",
        )
    }
}

impl Read for TimedStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let timeout = if let Some(deadline) = self.deadline {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(self.expired());
                }
                Some(left)
            } else if let Some(limit) = self.receive_timeout {
                if self.watch.awaiting.load(Ordering::Acquire) {
                    let left = limit.saturating_sub(self.watch.since_last());
                    if left.is_zero() {
                        return Err(self.expired());
                    }
                    Some(left)
                } else {
                    Some(IDLE_POLL)
                }
            } else {
                None
            };
            self.set_timeout(timeout)?;
            match self.stream.read(buf) {
                Ok(n) => {
                    if n > 0 {
                        self.watch.touch();
                    }
                    return Ok(n);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        // Unblocks the reader thread; the server sees the close and cancels any running query.
        let _ = self.writer.shutdown(Shutdown::Both);
    }
}

/// A native-protocol connection to Proton (or ClickHouse).
pub struct Connection {
    opts: ConnectOptions,
    info: ServerInfo,
    /// The revision the current link advertised; reconnects advertise it first.
    advertised: u64,
    /// The query id the server reported for the current or last query.
    server_query_id: Option<String>,
    link: Option<Link>,
    state: State,
    reconnects: u64,
    /// Server sessions this connection started after its first: one per new link, quiet
    /// resyncs included.
    new_sessions: u64,
    /// A result with a column type we cannot read cannot be skipped: the link was dropped;
    /// reconnect quietly before the next query.
    resync: bool,
    /// ClickHouse before 54420 reads the empty external-tables block we send after a query
    /// only once it got as far as running it: behind an early exception (a syntax error) the
    /// block is left unread, and the server then reads its bytes as packets it did not expect,
    /// answering each with an exception. A Ping before the next request flushes those and
    /// keeps the server session (with compression on, the server closes the link instead:
    /// the next request reconnects, in a new server session).
    stray_exception: bool,
    /// What one block may cost to decode; kept across reconnects.
    limits: DecodeLimits,
}

/// How long the Pong may take while flushing stray exceptions (see `stray_exception`): the
/// server answers at once, unless the bytes it was reading swallowed our Ping.
const STRAY_FLUSH_DEADLINE: Duration = Duration::from_secs(2);

/// Packets buffered between the reader thread and the caller; bounds memory on fast streams.
/// Two keep decoding and rendering overlapped (one block decoded ahead) as well as four
/// did, with 5-8 MB less held when the caller is the slower side (JSON, or a fast server).
const CHANNEL_DEPTH: usize = 2;

/// Stack of the reader thread: decoding recurses once per type level (at most
/// `MAX_TYPE_DEPTH`), a few KiB a level in a debug build; this leaves a wide margin.
const READER_STACK: usize = 16 << 20;

/// How long the Hello may go unanswered before we check whether the port speaks HTTP
/// (an HTTP server waits silently for the rest of a request it cannot parse).
const HTTP_PROBE_AFTER: Duration = Duration::from_millis(500);

fn http_port_error(got: &[u8]) -> String {
    let first = String::from_utf8_lossy(&got[..got.len().min(40)]);
    format!(
        "this port speaks HTTP, not the native protocol; Proton's native port is 8463 (got {:?})",
        first.lines().next().unwrap_or("")
    )
}

/// Ask `addr` for `GET /` on a second connection: `Some(reply)` if it answers like HTTP.
fn probe_http(addr: &SocketAddr, deadline: Instant) -> Option<Vec<u8>> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return None;
    }
    let wait = left.min(Duration::from_millis(700));
    let mut s = TcpStream::connect_timeout(addr, wait).ok()?;
    s.set_read_timeout(Some(wait)).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").ok()?;
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    while got.len() < 5 {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    let _ = s.shutdown(Shutdown::Both);
    got.starts_with(b"HTTP/").then_some(got)
}

/// Connect and handshake, advertising `advertise` first. A Timeplus server at 54461 or later
/// gets a second connection advertising 54461 (its Hello must be read before we know it, and a
/// server holds the client to the revision it advertised); any other server keeps 54453.
/// The revision that worked is what `advertise` should be for the next connection.
fn connect_sync(
    opts: &ConnectOptions,
    limits: DecodeLimits,
    advertise: u64,
) -> Result<(ServerInfo, Link)> {
    let (info, link) = connect_once(opts, limits, advertise)?;
    let wanted = advertised_revision(&info);
    if wanted == advertise {
        return Ok((info, link));
    }
    drop(link);
    let (info, link) = connect_once(opts, limits, wanted)?;
    if advertised_revision(&info) != wanted {
        return Err(Error::Connect {
            addr: opts.addr(),
            reason: format!(
                "the server changed its protocol revision between two handshakes ({} then {})",
                advertise, info.revision
            ),
        });
    }
    Ok((info, link))
}

fn connect_once(
    opts: &ConnectOptions,
    limits: DecodeLimits,
    advertise: u64,
) -> Result<(ServerInfo, Link)> {
    let addr = opts.addr();
    let deadline = Instant::now() + opts.connect_timeout;
    let fail = |reason: String| Error::Connect {
        addr: addr.clone(),
        reason,
    };
    let addrs: Vec<_> = (opts.host.as_str(), opts.port)
        .to_socket_addrs()
        .map_err(|e| fail(format!("cannot resolve host: {e}")))?
        .collect();
    let mut last = None;
    let mut stream = None;
    for a in &addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(a, left) {
            Ok(s) => {
                stream = Some((s, *a));
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let (stream, peer_addr) = match stream {
        Some(s) => s,
        None => {
            let reason = match last {
                Some(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    "connection refused (is the server running, and is this its native port?)"
                        .to_string()
                }
                Some(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                    format!("no answer within {:?}", opts.connect_timeout)
                }
                Some(e) => e.to_string(),
                None if addrs.is_empty() => "host resolved to no addresses".into(),
                None => format!("no answer within {:?}", opts.connect_timeout),
            };
            return Err(fail(reason));
        }
    };
    let _ = stream.set_nodelay(true);
    let mut writer = stream.try_clone().map_err(|e| fail(e.to_string()))?;
    let mut hello = Vec::new();
    write_hello(
        &mut hello,
        advertise,
        &opts.database,
        &opts.user,
        &opts.password,
    );
    writer
        .write_all(&hello)
        .map_err(|e| fail(format!("sending Hello: {e}")))?;
    let watch = Arc::new(Watch::new());
    let timed = TimedStream {
        stream,
        watch: watch.clone(),
        // First only until the HTTP probe, then to the end of the handshake.
        deadline: Some(deadline.min(Instant::now() + HTTP_PROBE_AFTER)),
        receive_timeout: opts.receive_timeout.filter(|t| !t.is_zero()),
        current: None,
    };
    let mut reader = BufReader::with_capacity(1 << 20, timed);
    let slow_hello = || {
        fail(format!(
            "no native-protocol Hello within {:?}; is {} the native TCP port (Proton: 8463), not HTTP (8123/3218)?",
            opts.connect_timeout, opts.port
        ))
    };
    let first = match std::io::BufRead::fill_buf(&mut reader) {
        Ok(b) => b.to_vec(),
        Err(_) if watch.timed_out.load(Ordering::Acquire) => {
            // Silence: an HTTP server waiting for the rest of its request, or a slow server.
            if let Some(reply) = probe_http(&peer_addr, deadline) {
                return Err(fail(http_port_error(&reply)));
            }
            watch.timed_out.store(false, Ordering::Release);
            reader.get_mut().deadline = Some(deadline);
            match std::io::BufRead::fill_buf(&mut reader) {
                Ok(b) => b.to_vec(),
                Err(_) if watch.timed_out.load(Ordering::Acquire) => return Err(slow_hello()),
                Err(e) => return Err(fail(format!("reading Hello: {e}"))),
            }
        }
        Err(e) => return Err(fail(format!("reading Hello: {e}"))),
    };
    reader.get_mut().deadline = Some(deadline);
    if first.is_empty() {
        return Err(fail(
            "the server closed the connection during the handshake".into(),
        ));
    }
    // A native server's first byte is Hello (0) or Exception (2); `H` can only be "HTTP/…".
    if first[0] == b'H' {
        return Err(fail(http_port_error(&first)));
    }
    let info = read_hello(&mut reader, advertise).map_err(|e| match e {
        Error::Server(ex) => Error::Server(ex),
        _ if watch.timed_out.load(Ordering::Acquire) => fail(format!(
            "the server did not complete the handshake within {:?}",
            opts.connect_timeout
        )),
        other => fail(format!("bad Hello: {other}")),
    })?;
    // From now on only the receive timeout applies, and only while a request waits.
    reader.get_mut().deadline = None;
    // The server expects the addendum whenever the revision we advertised asks for it, even if
    // we are about to reconnect at another revision. Only a link that stays sends it.
    let revision = info.revision.min(advertise);
    if advertise == advertised_revision(&info) && revision >= REV_ADDENDUM {
        let mut addendum = Vec::new();
        write_addendum(&mut addendum);
        writer
            .write_all(&addendum)
            .map_err(|e| fail(format!("sending the addendum: {e}")))?;
    }

    let tz = info.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let compression = Arc::new(AtomicBool::new(false));
    let shared_limits = Arc::new(Mutex::new(limits));
    let (tx, rx) = mpsc::channel(CHANNEL_DEPTH);
    let flag = compression.clone();
    let lim = shared_limits.clone();
    let peer = addr.clone();
    let w = watch.clone();
    let receive_timeout = opts.receive_timeout;
    std::thread::Builder::new()
        .name("proton-reader".into())
        .stack_size(READER_STACK)
        .spawn(move || {
            reader_loop(
                reader,
                tx,
                ReaderShared {
                    compression: flag,
                    limits: lim,
                    watch: w,
                    receive_timeout,
                },
                revision,
                DecodeCtx { server_tz: tz },
                peer,
            )
        })
        .map_err(|e| fail(format!("cannot start reader thread: {e}")))?;
    Ok((
        info,
        Link {
            advertised: advertise,
            writer,
            rx,
            compression,
            limits: shared_limits,
            watch,
        },
    ))
}

/// What the reader thread shares with its connection.
struct ReaderShared {
    compression: Arc<AtomicBool>,
    limits: Arc<Mutex<DecodeLimits>>,
    watch: Arc<Watch>,
    receive_timeout: Option<Duration>,
}

/// Decodes packets off the socket on its own thread, so decoding overlaps with rendering
/// and the caller's receive is cancel-safe.
fn reader_loop(
    mut r: BufReader<TimedStream>,
    tx: mpsc::Sender<Result<Packet>>,
    shared: ReaderShared,
    revision: u64,
    decode: DecodeCtx,
    addr: String,
) {
    let timed_out = |addr: &str| {
        Error::ConnectionLost {
        addr: addr.to_string(),
        reason: format!(
            "no data from the server for {:?} (receive timeout); the query may still be running there",
            shared.receive_timeout.unwrap_or_default()
        ),
    }
    };
    let mut last_query_id: Option<String> = None;
    let mut frames = super::compress::FrameBuffers::default();
    loop {
        // Distinguish a clean close between packets from one mid-packet.
        match std::io::BufRead::fill_buf(&mut r) {
            Ok([]) => {
                let _ = tx.blocking_send(Err(Error::ConnectionLost {
                    addr,
                    reason: "the server closed the connection".into(),
                }));
                return;
            }
            Ok(_) => {}
            Err(e) => {
                let err = if shared.watch.timed_out.load(Ordering::Acquire) {
                    timed_out(&addr)
                } else {
                    Error::ConnectionLost {
                        addr,
                        reason: e.to_string(),
                    }
                };
                let _ = tx.blocking_send(Err(err));
                return;
            }
        }
        let ctx = ReadCtx {
            revision,
            compression: shared.compression.load(Ordering::Acquire),
            decode,
            limits: shared
                .limits
                .lock()
                .map(|l| *l)
                .unwrap_or_else(|p| *p.into_inner()),
        };
        let packet = match read_packet_with_id(&mut r, &ctx, &mut frames) {
            Ok((p, Some(id))) => {
                // Every Data packet repeats the id; pass it on only when it changes.
                if last_query_id.as_deref() != Some(id.as_str()) {
                    last_query_id = Some(id.clone());
                    if tx.blocking_send(Ok(Packet::QueryId(id))).is_err() {
                        return;
                    }
                }
                Ok(p)
            }
            Ok((p, None)) => Ok(p),
            Err(e) => Err(e),
        };
        let fatal = packet.is_err();
        let packet = packet.map_err(|e| match e {
            _ if shared.watch.timed_out.load(Ordering::Acquire) => timed_out(&addr),
            Error::Protocol(reason)
                if reason.contains("connection closed") || reason.contains("reset") =>
            {
                Error::ConnectionLost {
                    addr: addr.clone(),
                    reason,
                }
            }
            other => other,
        });
        if tx.blocking_send(packet).is_err() || fatal {
            return;
        }
    }
}

impl Connection {
    /// Connect and handshake.
    pub async fn connect(opts: ConnectOptions) -> Result<Connection> {
        Self::connect_with_limits(opts, DecodeLimits::default()).await
    }

    /// Connect and handshake, decoding blocks within `limits`.
    pub async fn connect_with_limits(
        opts: ConnectOptions,
        limits: DecodeLimits,
    ) -> Result<Connection> {
        Self::connect_advertising(opts, limits, CLIENT_REVISION).await
    }

    async fn connect_advertising(
        opts: ConnectOptions,
        limits: DecodeLimits,
        advertise: u64,
    ) -> Result<Connection> {
        let o = opts.clone();
        let (info, link) = tokio::task::spawn_blocking(move || connect_sync(&o, limits, advertise))
            .await
            .map_err(|e| Error::Connect {
                addr: opts.addr(),
                reason: e.to_string(),
            })??;
        Ok(Connection {
            opts,
            advertised: link.advertised,
            info,
            link: Some(link),
            state: State::Idle,
            reconnects: 0,
            new_sessions: 0,
            resync: false,
            stray_exception: false,
            limits,
            server_query_id: None,
        })
    }

    /// The revision this connection advertised in its Hello (54453, or 54461 to a Timeplus
    /// server that reports 54461 or later); reconnects start from it.
    pub fn advertised_revision(&self) -> u64 {
        self.advertised
    }

    /// The query id the server reported in the last query's Data packets (revision 54461 on:
    /// the one it generated when we sent none). `None` before any, or from older servers.
    pub fn server_query_id(&self) -> Option<&str> {
        self.server_query_id.as_deref()
    }

    /// The limits blocks are decoded within.
    pub fn decode_limits(&self) -> DecodeLimits {
        self.limits
    }

    /// Change the decoding limits (from the next packet on, and for reconnects).
    pub fn set_decode_limits(&mut self, limits: DecodeLimits) {
        self.limits = limits;
        if let Some(link) = &self.link {
            if let Ok(mut l) = link.limits.lock() {
                *l = limits;
            }
        }
    }

    /// The caller has everything it asked for: silence is fine again.
    fn stop_waiting(&self) {
        if let Some(link) = &self.link {
            link.watch.stop_waiting();
        }
    }

    pub fn server_info(&self) -> &ServerInfo {
        &self.info
    }

    pub fn options(&self) -> &ConnectOptions {
        &self.opts
    }

    /// The revision everything after the handshake is encoded for.
    pub fn revision(&self) -> u64 {
        self.info.revision.min(self.advertised)
    }

    /// False once the link broke; the next query reconnects.
    pub fn is_connected(&self) -> bool {
        self.link.is_some() && self.state != State::Broken
    }

    /// The server left unread bytes behind an error (ClickHouse before 19.x), or a result had a
    /// column type we cannot decode: the next query reconnects quietly first. Not a lost
    /// connection.
    pub fn needs_resync(&self) -> bool {
        self.resync
    }

    /// How many times this connection re-established its link.
    pub fn reconnect_count(&self) -> u64 {
        self.reconnects
    }

    /// Which server session the link is in: 0 for the first, one more for every later link
    /// (reconnects and quiet resyncs alike). A new server session starts in the options'
    /// database, with none of the `SET`s and temporary tables of the one before.
    pub fn server_session(&self) -> u64 {
        self.new_sessions
    }

    /// The database later links start in (after `USE`); the current link is not touched.
    pub fn set_database(&mut self, database: &str) {
        self.opts.database = database.to_string();
    }

    pub fn set_compression(&mut self, on: bool) {
        self.opts.compression = on;
    }

    fn after_exception(&mut self) {
        self.state = State::Idle;
        self.stop_waiting();
        if self.revision() < super::protocol::REV_CLIENT_WRITE_INFO {
            self.stray_exception = true;
        }
    }

    fn break_link(&mut self) {
        self.link = None;
        self.state = State::Broken;
    }

    /// Make the link ready for the next request: flush a stray exception (see
    /// `stray_exception`), and re-establish the link if it broke. Returns true if it
    /// reconnected. A quiet resync (see `resync`) does not count as a reconnect.
    pub async fn ensure_connected(&mut self) -> Result<bool> {
        if self.stray_exception && self.state == State::Idle && self.is_connected() {
            // A failed flush leaves the link broken (or resyncing): reconnected below.
            let _ = self.ping().await;
        }
        let resync = self.resync && self.state == State::Idle;
        if !resync && self.is_connected() {
            return Ok(false);
        }
        self.link = None;
        let mut fresh =
            Connection::connect_advertising(self.opts.clone(), self.limits, self.advertised)
                .await?;
        self.info = fresh.info.clone();
        self.advertised = fresh.advertised;
        self.link = fresh.link.take();
        self.state = State::Idle;
        self.resync = false;
        self.stray_exception = false;
        self.new_sessions += 1;
        if !resync {
            self.reconnects += 1;
        }
        Ok(!resync)
    }

    /// Send Cancel for the running query; what follows must be drained to EndOfStream.
    fn send_cancel(&mut self) -> Result<()> {
        let mut b = Vec::new();
        put_varint(&mut b, cp::CANCEL);
        self.send(&b)?;
        self.state = State::Cancelling;
        Ok(())
    }

    fn send(&mut self, bytes: &[u8]) -> Result<()> {
        let addr = self.opts.addr();
        let link = self.link.as_mut().ok_or(Error::NotConnected)?;
        // Every request expects an answer: the receive timeout runs from here.
        link.watch.start_waiting();
        if let Err(e) = link.writer.write_all(bytes) {
            self.break_link();
            return Err(Error::ConnectionLost {
                addr,
                reason: e.to_string(),
            });
        }
        Ok(())
    }

    async fn recv(&mut self) -> Result<Packet> {
        let addr = self.opts.addr();
        let link = self.link.as_mut().ok_or(Error::NotConnected)?;
        match link.rx.recv().await {
            Some(Ok(p)) => Ok(p),
            Some(Err(e)) => {
                if let Error::UnknownType(_) = e {
                    // The server is fine; only this result cannot be read past. Drop the link
                    // (closing it cancels the query) and reconnect quietly before the next one.
                    self.link = None;
                    self.state = State::Idle;
                    self.resync = true;
                } else if e.is_fatal_for_connection() {
                    self.break_link();
                }
                Err(e)
            }
            None => {
                self.break_link();
                Err(Error::ConnectionLost {
                    addr,
                    reason: "reader stopped".into(),
                })
            }
        }
    }

    /// Finish a cancelled or abandoned query: read to EndOfStream, or drop the link at the deadline.
    pub async fn drain(&mut self, deadline: Duration) -> CancelOutcome {
        match self.state {
            State::Idle => return CancelOutcome::AlreadyDone,
            State::Broken => return CancelOutcome::Dropped,
            State::InQuery => {
                if self.send_cancel().is_err() {
                    return CancelOutcome::Dropped;
                }
            }
            State::Cancelling => {}
        }
        let until = Instant::now() + deadline;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.recv()).await {
                Ok(Ok(Packet::EndOfStream)) | Ok(Err(Error::Server(_))) => {
                    self.state = State::Idle;
                    self.stop_waiting();
                    return CancelOutcome::Drained;
                }
                Ok(Ok(_)) => {}
                Ok(Err(_)) | Err(_) => {
                    self.break_link();
                    return CancelOutcome::Dropped;
                }
            }
        }
    }

    /// Send `sql` and return its events. A previous unfinished query is cancelled first.
    pub async fn query(
        &mut self,
        sql: &str,
        settings: &[(String, String)],
        query_id: &str,
    ) -> Result<QueryStream<'_>> {
        if matches!(self.state, State::InQuery | State::Cancelling) {
            self.drain(Duration::from_secs(2)).await;
        }
        self.ensure_connected().await?;
        let compression = self.opts.compression;
        if let Some(link) = &self.link {
            link.compression.store(compression, Ordering::Release);
        }
        let mut buf = Vec::with_capacity(256 + sql.len());
        let spec = QuerySpec {
            query_id,
            sql,
            settings,
            compression,
            user: &self.opts.user,
            advertised: self.advertised,
        };
        self.server_query_id = None;
        write_query(&mut buf, self.revision(), &spec);
        self.send(&buf)?;
        self.state = State::InQuery;
        let is_insert = starts_with_keyword(sql, "insert");
        Ok(QueryStream {
            conn: self,
            progress: Progress::default(),
            header_seen: false,
            done: false,
            is_insert,
            insert_refused: false,
        })
    }

    /// Run a statement to completion and collect its data blocks (for DDL and small results).
    /// A result of more than [`EXECUTE_MAX_ROWS`] rows or [`EXECUTE_MAX_BYTES`] bytes is
    /// cancelled with an error rather than collected.
    pub async fn execute(
        &mut self,
        sql: &str,
        settings: &[(String, String)],
    ) -> Result<QueryResult> {
        let mut stream = self.query(sql, settings, "").await?;
        let mut result = QueryResult::default();
        let mut bytes = 0u64;
        while let Some(ev) = stream.next().await? {
            match ev {
                Event::Header(b) => result.header = Some(b),
                Event::Data(b) => {
                    result.rows = result.rows.saturating_add(b.rows);
                    bytes = bytes.saturating_add(b.size_bytes());
                    if result.rows > EXECUTE_MAX_ROWS || bytes > EXECUTE_MAX_BYTES {
                        stream.cancel_and_drain(EXECUTE_CANCEL_DEADLINE).await;
                        return Err(Error::Unsupported(format!(
                            "the result is larger than the {EXECUTE_MAX_ROWS} rows or {} MiB \
                             collected for an internal query; it was cancelled",
                            EXECUTE_MAX_BYTES >> 20
                        )));
                    }
                    result.blocks.push(b)
                }
                Event::Progress(p) => result.progress = p,
                _ => {}
            }
        }
        Ok(result)
    }

    /// Ping between queries (never during one: Proton drops the connection for that).
    /// Also flushes the stray exceptions an old server may still owe (see `stray_exception`).
    pub async fn ping(&mut self) -> Result<()> {
        if self.state != State::Idle {
            return Err(Error::Busy);
        }
        let mut b = Vec::new();
        put_varint(&mut b, cp::PING);
        self.send(&b)?;
        if !self.stray_exception {
            return self.await_pong(false).await;
        }
        match tokio::time::timeout(STRAY_FLUSH_DEADLINE, self.await_pong(true)).await {
            Ok(done) => done,
            Err(_) => {
                self.break_link();
                Err(Error::ConnectionLost {
                    addr: self.opts.addr(),
                    reason: "no Pong while flushing the errors left behind the last one".into(),
                })
            }
        }
    }

    /// Read up to the Pong. `stray`: skip the exceptions before it (see `stray_exception`).
    async fn await_pong(&mut self, stray: bool) -> Result<()> {
        loop {
            match self.recv().await? {
                Packet::Pong => {
                    self.stray_exception = false;
                    self.stop_waiting();
                    return Ok(());
                }
                // The server read the block left unread behind the last error as packets it
                // did not expect (a Data, then its bytes as Hellos and a bad Query); it answered
                // each with an exception, and the Pong comes after them.
                Packet::Exception(_) if stray => {}
                Packet::Progress(_) | Packet::ProfileEvents(_) | Packet::QueryId(_) => {}
                other => {
                    self.break_link();
                    return Err(Error::Protocol(format!("expected Pong, got {other:?}")));
                }
            }
        }
    }
}

/// Most rows [`Connection::execute`] collects: it serves DDL, settings checks and the
/// completion catalog, whose queries are limited well below this.
pub const EXECUTE_MAX_ROWS: usize = 1_000_000;
/// Most bytes of values [`Connection::execute`] collects (see [`Block::size_bytes`]).
pub const EXECUTE_MAX_BYTES: u64 = 256 << 20;
/// How long an over-limit `execute` waits for the server to confirm its cancel.
const EXECUTE_CANCEL_DEADLINE: Duration = Duration::from_secs(2);

/// Everything a finished query returned.
#[derive(Debug, Default)]
pub struct QueryResult {
    pub header: Option<Block>,
    pub blocks: Vec<Block>,
    pub rows: usize,
    pub progress: Progress,
}

/// The events of one running query. Dropping it mid-query leaves the query to be
/// cancelled and drained by the connection's next use.
pub struct QueryStream<'a> {
    conn: &'a mut Connection,
    progress: Progress,
    header_seen: bool,
    done: bool,
    is_insert: bool,
    /// The server asked for INSERT data as client blocks (older ClickHouse); we sent none.
    insert_refused: bool,
}

/// True if `sql`, after leading whitespace and comments, starts with `word` (case-insensitive).
fn starts_with_keyword(sql: &str, word: &str) -> bool {
    let mut s = sql.trim_start();
    loop {
        if let Some(rest) = s.strip_prefix("--") {
            s = rest
                .split_once('\n')
                .map(|x| x.1)
                .unwrap_or("")
                .trim_start();
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest
                .split_once("*/")
                .map(|x| x.1)
                .unwrap_or("")
                .trim_start();
        } else {
            break;
        }
    }
    s.get(..word.len())
        .is_some_and(|w| w.eq_ignore_ascii_case(word))
}

impl QueryStream<'_> {
    /// The next event; `None` after EndOfStream. Cancel-safe: a dropped call loses nothing.
    pub async fn next(&mut self) -> Result<Option<Event>> {
        loop {
            if self.done {
                return Ok(None);
            }
            let packet = match self.conn.recv().await {
                Ok(p) => p,
                Err(e) => {
                    self.done = true;
                    if let Error::Server(_) = e {
                        self.conn.after_exception();
                    }
                    return Err(e);
                }
            };
            return Ok(Some(match packet {
                Packet::Data(b) => {
                    if b.columns.is_empty() {
                        continue; // end-of-data marker
                    }
                    if !self.header_seen {
                        self.header_seen = true;
                        if self.is_insert && b.rows == 0 {
                            // The server wants the rows as client Data blocks (ClickHouse before
                            // inline VALUES over TCP). End the insert with no rows and say so.
                            let mut end = Vec::new();
                            super::protocol::write_empty_data(&mut end, self.conn.opts.compression);
                            self.conn.send(&end)?;
                            self.insert_refused = true;
                            continue;
                        }
                        if b.rows == 0 {
                            Event::Header(b)
                        } else {
                            // A server that skips the header: synthesize none, just deliver the rows.
                            Event::Data(b)
                        }
                    } else if b.rows == 0 {
                        continue; // streaming heartbeat
                    } else {
                        Event::Data(b)
                    }
                }
                Packet::Progress(p) => {
                    self.progress.add(&p);
                    Event::Progress(self.progress)
                }
                Packet::ProfileInfo(p) => Event::ProfileInfo(p),
                Packet::ProfileEvents(b) => Event::ProfileEvents(b),
                Packet::Totals(b) => Event::Totals(b),
                Packet::Extremes(b) => Event::Extremes(b),
                Packet::Log(b) => Event::Log(b),
                Packet::TableColumns { table, description } => {
                    Event::TableColumns { table, description }
                }
                Packet::Exception(e) => {
                    self.done = true;
                    self.conn.after_exception();
                    return Err(Error::Server(e));
                }
                Packet::EndOfStream => {
                    self.done = true;
                    self.conn.state = State::Idle;
                    self.conn.stop_waiting();
                    if self.insert_refused {
                        return Err(Error::Unsupported(
                            "this server wants INSERT rows sent as native blocks, which proton-shell does not send yet; \
                             inline VALUES work on Proton (and ClickHouse 20+); nothing was inserted"
                                .into(),
                        ));
                    }
                    return Ok(None);
                }
                Packet::QueryId(id) => {
                    self.conn.server_query_id = Some(id);
                    continue;
                }
                Packet::Pong => {
                    self.done = true;
                    self.conn.break_link();
                    return Err(Error::Protocol("unexpected Pong during a query".into()));
                }
            }));
        }
    }

    /// Progress totals so far.
    pub fn progress(&self) -> Progress {
        self.progress
    }

    /// The query id the server reported for this query so far (revision 54461 on).
    pub fn server_query_id(&self) -> Option<&str> {
        self.conn.server_query_id()
    }

    /// Send Cancel now and return at once; the connection drains the rest on its next use
    /// (or call [`Connection::drain`]).
    pub fn cancel(&mut self) -> Result<()> {
        if self.done || self.conn.state != State::InQuery {
            return Ok(());
        }
        self.done = true;
        self.conn.send_cancel()
    }

    /// Send Cancel and wait for the server to confirm, dropping the link at `deadline`.
    pub async fn cancel_and_drain(mut self, deadline: Duration) -> CancelOutcome {
        if self.done && self.conn.state == State::Idle {
            return CancelOutcome::AlreadyDone;
        }
        if self.cancel().is_err() {
            return CancelOutcome::Dropped;
        }
        self.conn.drain(deadline).await
    }
}
