//! Packet layouts of the native protocol: client packets encoded, server packets decoded.

use super::column::{read_block_layout, Block, DecodeCtx, JsonLayout};
use super::compress::{compress_frame, FrameBuffers, FrameReader};
use super::error::{Error, Result, ServerException};
use super::io::{
    put_str, put_varint, read_exact_vec, read_i32_le, read_string_max, read_u8, read_varint,
};
use super::limits::{Budget, Counted, DecodeLimits};
use std::io::BufRead;

/// The revision we advertise first, and keep with every server that is not a Timeplus server
/// at 54461 or later (the Python driver's choice; see proton-protocol.md §A.13).
pub const CLIENT_REVISION: u64 = 54453;
/// The revision of Timeplus's newest Go driver, advertised (after a reconnect) only to a
/// Timeplus server whose Hello reports at least this revision (docs/protocol-3x.md §4).
pub const PROTON3_REVISION: u64 = 54461;

pub const REV_CLIENT_INFO: u64 = 54032;
pub const REV_SERVER_TIMEZONE: u64 = 54058;
pub const REV_QUOTA_KEY_IN_CLIENT_INFO: u64 = 54060;
pub const REV_SERVER_DISPLAY_NAME: u64 = 54372;
pub const REV_VERSION_PATCH: u64 = 54401;
pub const REV_CLIENT_WRITE_INFO: u64 = 54420;
pub const REV_SETTINGS_AS_STRINGS: u64 = 54429;
pub const REV_INTERSERVER_SECRET: u64 = 54441;
pub const REV_OPENTELEMETRY: u64 = 54442;
pub const REV_DISTRIBUTED_DEPTH: u64 = 54448;
pub const REV_QUERY_START_TIME: u64 = 54449;
pub const REV_PARALLEL_REPLICAS: u64 = 54453;
/// The client sends an addendum (the quota key) right after the server's Hello.
pub const REV_ADDENDUM: u64 = 54458;
/// A query-parameters list follows the query text.
pub const REV_PARAMETERS: u64 = 54459;
/// Progress carries the server's elapsed time (Timeplus numbering, not ClickHouse's).
pub const REV_PROGRESS_ELAPSED: u64 = 54460;
/// Data packets carry the (server-generated) query id (Timeplus numbering).
pub const REV_SERVER_QUERY_ID: u64 = 54461;

pub mod client {
    pub const HELLO: u64 = 0;
    pub const QUERY: u64 = 1;
    pub const DATA: u64 = 2;
    pub const CANCEL: u64 = 3;
    pub const PING: u64 = 4;
}

pub mod server {
    pub const HELLO: u64 = 0;
    pub const DATA: u64 = 1;
    pub const EXCEPTION: u64 = 2;
    pub const PROGRESS: u64 = 3;
    pub const PONG: u64 = 4;
    pub const END_OF_STREAM: u64 = 5;
    pub const PROFILE_INFO: u64 = 6;
    pub const TOTALS: u64 = 7;
    pub const EXTREMES: u64 = 8;
    pub const TABLES_STATUS: u64 = 9;
    pub const LOG: u64 = 10;
    pub const TABLE_COLUMNS: u64 = 11;
    pub const PART_UUIDS: u64 = 12;
    pub const READ_TASK_REQUEST: u64 = 13;
    pub const PROFILE_EVENTS: u64 = 14;
}

/// What the server said about itself in its Hello. `name` and `display_name` are shown (the
/// prompt, the welcome, `:settings`), so their control characters arrive escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    pub name: String,
    pub version_major: u64,
    pub version_minor: u64,
    pub version_patch: u64,
    /// The server's own protocol revision.
    pub revision: u64,
    pub timezone: String,
    pub display_name: String,
}

impl ServerInfo {
    pub fn version(&self) -> String {
        format!(
            "{}.{}.{}",
            self.version_major, self.version_minor, self.version_patch
        )
    }

    /// The revision everything after the handshake is encoded for: the lower of the server's
    /// and the one we advertise to this server.
    pub fn negotiated_revision(&self) -> u64 {
        self.revision.min(advertised_revision(self))
    }

    /// A Timeplus server (Proton or Timeplus Enterprise), by the name in its Hello.
    pub fn is_timeplus(&self) -> bool {
        let n = self.name.to_ascii_lowercase();
        n.contains("proton") || n.contains("timeplus")
    }

    /// Whose SQL the server speaks: what the shell teaches and how it reads a statement
    /// follow from it.
    pub fn flavour(&self) -> Flavour {
        if self.is_timeplus() {
            Flavour::Proton
        } else {
            Flavour::ClickHouse
        }
    }
}

/// The SQL a server speaks, by the name in its Hello.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Flavour {
    /// Timeplus's streaming SQL (Proton, Timeplus Enterprise): a plain `SELECT` on a stream
    /// runs until cancelled, functions are snake_case. The default: the shell is Proton's,
    /// and this is what it teaches while it does not know the server yet.
    #[default]
    Proton,
    /// ClickHouse (and any server that is not Timeplus's): queries end, functions are camelCase.
    ClickHouse,
}

/// The revision to advertise to the server that sent `info`: 54461 to a Timeplus server at
/// 54461 or later (its gates above 54460 are Timeplus's, not ClickHouse's), 54453 otherwise,
/// which keeps Proton 1.x and every ClickHouse byte for byte as before.
pub fn advertised_revision(info: &ServerInfo) -> u64 {
    if info.is_timeplus() && info.revision >= PROTON3_REVISION {
        PROTON3_REVISION
    } else {
        CLIENT_REVISION
    }
}

/// Rows and bytes processed. Packets carry increments; the client keeps the sums.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub rows: u64,
    pub bytes: u64,
    pub total_rows: u64,
    pub written_rows: u64,
    pub written_bytes: u64,
    /// The server's time spent on the query, in nanoseconds (revision 54460 on; 0 before).
    /// Kept as the largest value seen, which is right whether packets carry totals or increments
    /// that only grow.
    pub elapsed_ns: u64,
}

impl Progress {
    /// Add an increment; the counters come from the network, so they saturate instead of overflowing.
    pub fn add(&mut self, d: &Progress) {
        self.elapsed_ns = self.elapsed_ns.max(d.elapsed_ns);
        self.rows = self.rows.saturating_add(d.rows);
        self.bytes = self.bytes.saturating_add(d.bytes);
        self.total_rows = self.total_rows.saturating_add(d.total_rows);
        self.written_rows = self.written_rows.saturating_add(d.written_rows);
        self.written_bytes = self.written_bytes.saturating_add(d.written_bytes);
    }

    pub fn is_zero(&self) -> bool {
        *self == Progress::default()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProfileInfo {
    pub rows: u64,
    pub blocks: u64,
    pub bytes: u64,
    pub applied_limit: bool,
    pub rows_before_limit: u64,
    pub calculated_rows_before_limit: bool,
}

/// One packet from the server.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    Data(Block),
    Totals(Block),
    Extremes(Block),
    Log(Block),
    ProfileEvents(Block),
    Exception(ServerException),
    Progress(Progress),
    ProfileInfo(ProfileInfo),
    TableColumns {
        table: String,
        description: String,
    },
    /// Not a packet of its own: the query id a Data packet carried (revision 54461 on),
    /// passed on by the reader before that Data packet whenever it changes.
    QueryId(String),
    Pong,
    EndOfStream,
}

/// What the packet reader needs to know about the connection.
#[derive(Debug, Clone, Copy)]
pub struct ReadCtx {
    pub revision: u64,
    pub compression: bool,
    pub decode: DecodeCtx,
    /// What one block may cost to decode.
    pub limits: DecodeLimits,
}

/// Encode the client Hello advertising `revision`.
pub fn write_hello(out: &mut Vec<u8>, revision: u64, database: &str, user: &str, password: &str) {
    put_varint(out, client::HELLO);
    put_str(out, "proton-shell");
    put_varint(out, env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap_or(0));
    put_varint(out, env!("CARGO_PKG_VERSION_MINOR").parse().unwrap_or(0));
    put_varint(out, revision);
    put_str(out, database);
    put_str(out, user);
    put_str(out, password);
}

/// The addendum a client at 54458 or later sends right after the server's Hello: the quota key.
pub fn write_addendum(out: &mut Vec<u8>) {
    put_str(out, "");
}

/// Read the server's answer to Hello. Fields are gated on the revision *we* advertised
/// (`advertised`); every revision we advertise is above all three gates.
pub fn read_hello<R: BufRead>(r: &mut R, advertised: u64) -> Result<ServerInfo> {
    match read_varint(r)? {
        server::HELLO => {}
        server::EXCEPTION => return Err(Error::Server(read_exception(r)?)),
        other => {
            return Err(Error::Protocol(format!(
                "expected Hello, got packet type {other}"
            )))
        }
    }
    let name = read_string_max(r, MAX_NAME, "server name")?;
    let version_major = read_varint(r)?;
    let version_minor = read_varint(r)?;
    let revision = read_varint(r)?;
    let timezone = if advertised >= REV_SERVER_TIMEZONE {
        read_string_max(r, MAX_NAME, "server timezone")?
    } else {
        String::new()
    };
    let display_name = if advertised >= REV_SERVER_DISPLAY_NAME {
        read_string_max(r, MAX_NAME, "server display name")?
    } else {
        String::new()
    };
    let version_patch = if advertised >= REV_VERSION_PATCH {
        read_varint(r)?
    } else {
        0
    };
    Ok(ServerInfo {
        name: shown(name),
        version_major,
        version_minor,
        version_patch,
        revision,
        timezone,
        display_name: shown(display_name),
    })
}

/// A name the server gives itself, safe to show: control characters escaped as
/// `Style::Plain` shows a cell, so a server cannot drive the terminal through the prompt.
fn shown(name: String) -> String {
    if !name.contains(char::is_control) {
        return name;
    }
    let mut out = Vec::with_capacity(name.len() + 8);
    super::value::plain_escape_into(name.as_bytes(), &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Everything the Query packet carries besides the fixed fields.
pub struct QuerySpec<'a> {
    pub query_id: &'a str,
    pub sql: &'a str,
    pub settings: &'a [(String, String)],
    pub compression: bool,
    pub user: &'a str,
    /// The revision advertised in Hello (ClientInfo repeats it).
    pub advertised: u64,
}

/// Encode a Query packet followed by the empty Data block that ends external tables.
pub fn write_query(out: &mut Vec<u8>, rev: u64, q: &QuerySpec<'_>) {
    put_varint(out, client::QUERY);
    put_str(out, q.query_id);
    if rev >= REV_CLIENT_INFO {
        out.push(1); // query_kind INITIAL
        put_str(out, q.user); // initial_user
        put_str(out, q.query_id); // initial_query_id
        put_str(out, "0.0.0.0:0"); // initial_address
        if rev >= REV_QUERY_START_TIME {
            out.extend_from_slice(&0i64.to_le_bytes());
        }
        out.push(1); // interface TCP
        put_str(out, &std::env::var("USER").unwrap_or_default()); // os_user
        put_str(out, &hostname()); // client_hostname
        put_str(out, "proton-shell"); // client_name
        put_varint(out, env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap_or(0));
        put_varint(out, env!("CARGO_PKG_VERSION_MINOR").parse().unwrap_or(0));
        put_varint(out, q.advertised);
        if rev >= REV_QUOTA_KEY_IN_CLIENT_INFO {
            put_str(out, ""); // quota_key
        }
        if rev >= REV_DISTRIBUTED_DEPTH {
            put_varint(out, 0);
        }
        if rev >= REV_VERSION_PATCH {
            put_varint(out, env!("CARGO_PKG_VERSION_PATCH").parse().unwrap_or(0));
        }
        if rev >= REV_OPENTELEMETRY {
            out.push(0);
        }
        if rev >= REV_PARALLEL_REPLICAS {
            put_varint(out, 0); // collaborate_with_initiator
            put_varint(out, 0); // count_participating_replicas
            put_varint(out, 0); // number_of_current_replica
        }
    }
    // Settings. Below 54429 they use a legacy binary format we do not write: send none.
    if rev >= REV_SETTINGS_AS_STRINGS {
        for (name, value) in q.settings {
            put_str(out, name);
            put_varint(out, 0); // flags: not IMPORTANT, so unknown names are only warned about
            put_str(out, value);
        }
    }
    put_str(out, "");
    if rev >= REV_INTERSERVER_SECRET {
        put_str(out, "");
    }
    put_varint(out, 2); // stage Complete
    put_varint(out, q.compression as u64);
    put_str(out, q.sql);
    if rev >= REV_PARAMETERS {
        put_str(out, ""); // no query parameters: just the list's terminator
    }
    write_empty_data(out, q.compression);
}

pub fn write_empty_data(out: &mut Vec<u8>, compression: bool) {
    put_varint(out, client::DATA);
    put_str(out, "");
    let mut block = Vec::new();
    put_varint(&mut block, 1);
    block.push(0);
    put_varint(&mut block, 2);
    block.extend_from_slice(&(-1i32).to_le_bytes());
    put_varint(&mut block, 0);
    put_varint(&mut block, 0); // columns
    put_varint(&mut block, 0); // rows
    if compression {
        out.extend_from_slice(&compress_frame(&block));
    } else {
        out.extend_from_slice(&block);
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Longest name the server sends outside a block (its own name, timezone, display name, an
/// exception's class name, a table name): real ones are a few dozen bytes.
const MAX_NAME: u64 = 64 << 10;
/// Most text one exception may carry, nested exceptions and stack traces included: real
/// ones, even quoting a long query, stay well below.
const MAX_EXCEPTION_TEXT: u64 = 1 << 20;
/// Longest columns description a TableColumns packet may carry (one line per column, with
/// defaults and comments: a few MiB for the widest tables).
const MAX_COLUMNS_DESCRIPTION: u64 = 16 << 20;

pub fn read_exception<R: BufRead>(r: &mut R) -> Result<ServerException> {
    let mut chain = Vec::new();
    // What the chain may still hold: each string is refused past it, before being read.
    let mut left = MAX_EXCEPTION_TEXT;
    let mut text = |r: &mut R, max: u64| -> Result<String> {
        let n = read_varint(r)?;
        if n > max.min(left) {
            return Err(Error::Protocol(format!(
                "server exception longer than the {} MiB limit (a string of {n} bytes)",
                MAX_EXCEPTION_TEXT >> 20
            )));
        }
        left -= n;
        let b = read_exact_vec(r, n, "server exception")?;
        Ok(String::from_utf8_lossy(&b).into_owned())
    };
    loop {
        let code = read_i32_le(r)?;
        let name = text(r, MAX_NAME)?;
        let message = text(r, MAX_EXCEPTION_TEXT)?;
        let stack_trace = text(r, MAX_EXCEPTION_TEXT)?;
        let has_nested = read_u8(r)? != 0;
        chain.push(ServerException {
            code,
            name,
            message,
            stack_trace,
            nested: Vec::new(),
        });
        if !has_nested || chain.len() > 64 {
            break;
        }
    }
    let mut first = chain.remove(0);
    first.nested = chain;
    Ok(first)
}

/// Longest query id we accept from the server (it generates 36-character UUIDs).
const MAX_QUERY_ID: u64 = 4096;

/// How `json` columns are laid out on a connection: the 3.x object/string forms with a
/// Timeplus 3.x server (revision 54461, the only servers we negotiate it with), 1.x otherwise.
pub fn json_layout(revision: u64) -> JsonLayout {
    if revision >= REV_SERVER_QUERY_ID {
        JsonLayout::V3
    } else {
        JsonLayout::V1
    }
}

/// A Data-like packet's body: table name, the query id (Data packets only, from 54461), then
/// the block. Returns the block and the query id if there was one.
fn read_data_block<R: BufRead>(
    r: &mut R,
    ctx: &ReadCtx,
    compressed: bool,
    kind: u64,
    frames: &mut FrameBuffers,
) -> Result<(Block, Option<String>)> {
    let _table = read_string_max(r, MAX_NAME, "table name")?;
    // Outside the compressed frame, like the table name (proton-go-driver `readData`).
    let query_id = if kind == server::DATA && ctx.revision >= REV_SERVER_QUERY_ID {
        let n = read_varint(r)?;
        if n > MAX_QUERY_ID {
            return Err(Error::Protocol(format!(
                "query id of {n} bytes in a Data packet"
            )));
        }
        let b = read_exact_vec(r, n, "query id")?;
        Some(String::from_utf8_lossy(&b).into_owned())
    } else {
        None
    };
    let budget = Budget::new(ctx.limits);
    let mut r = Counted::new(r, &budget);
    let layout = json_layout(ctx.revision);
    let block = if compressed {
        let mut fr = FrameReader::with_budget(&mut r, &budget, std::mem::take(frames));
        let block = read_block_layout(&mut fr, &ctx.decode, &budget, layout)?;
        if !fr.is_drained() {
            return Err(Error::Protocol(
                "compressed frame holds more than one block".into(),
            ));
        }
        *frames = fr.into_buffers();
        block
    } else {
        read_block_layout(&mut r, &ctx.decode, &budget, layout)?
    };
    Ok((block, query_id))
}

/// Read one server packet.
pub fn read_packet<R: BufRead>(r: &mut R, ctx: &ReadCtx) -> Result<Packet> {
    read_packet_with_id(r, ctx, &mut FrameBuffers::default()).map(|(p, _)| p)
}

/// Read one server packet, with the query id a Data packet carries from revision 54461.
/// Compressed blocks are decompressed into `frames`, which the caller keeps for the next.
pub fn read_packet_with_id<R: BufRead>(
    r: &mut R,
    ctx: &ReadCtx,
    frames: &mut FrameBuffers,
) -> Result<(Packet, Option<String>)> {
    let kind = read_varint(r)?;
    let mut block = |r: &mut R, compressed: bool| read_data_block(r, ctx, compressed, kind, frames);
    Ok((
        match kind {
            server::DATA => {
                let (b, id) = block(r, ctx.compression)?;
                return Ok((Packet::Data(b), id));
            }
            server::TOTALS => Packet::Totals(block(r, ctx.compression)?.0),
            server::EXTREMES => Packet::Extremes(block(r, ctx.compression)?.0),
            // Logs and profile events are never compressed.
            server::LOG => Packet::Log(block(r, false)?.0),
            server::PROFILE_EVENTS => Packet::ProfileEvents(block(r, false)?.0),
            server::EXCEPTION => Packet::Exception(read_exception(r)?),
            server::PROGRESS => {
                let mut p = Progress {
                    rows: read_varint(r)?,
                    bytes: read_varint(r)?,
                    total_rows: read_varint(r)?,
                    ..Default::default()
                };
                if ctx.revision >= REV_CLIENT_WRITE_INFO {
                    p.written_rows = read_varint(r)?;
                    p.written_bytes = read_varint(r)?;
                }
                if ctx.revision >= REV_PROGRESS_ELAPSED {
                    p.elapsed_ns = read_varint(r)?;
                }
                Packet::Progress(p)
            }
            server::PROFILE_INFO => Packet::ProfileInfo(ProfileInfo {
                rows: read_varint(r)?,
                blocks: read_varint(r)?,
                bytes: read_varint(r)?,
                applied_limit: read_u8(r)? != 0,
                rows_before_limit: read_varint(r)?,
                calculated_rows_before_limit: read_u8(r)? != 0,
            }),
            server::TABLE_COLUMNS => Packet::TableColumns {
                table: read_string_max(r, MAX_NAME, "table name")?,
                description: read_string_max(r, MAX_COLUMNS_DESCRIPTION, "columns description")?,
            },
            server::PONG => Packet::Pong,
            server::END_OF_STREAM => Packet::EndOfStream,
            other => {
                return Err(Error::Protocol(format!(
                    "unexpected packet type {other} from the server"
                )))
            }
        },
        None,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::column::DecodeCtx;

    fn ctx(revision: u64) -> ReadCtx {
        ReadCtx {
            revision,
            compression: false,
            decode: DecodeCtx {
                server_tz: chrono_tz::Tz::UTC,
            },
            limits: DecodeLimits::default(),
        }
    }

    fn info(name: &str, revision: u64) -> ServerInfo {
        ServerInfo {
            name: name.into(),
            version_major: 3,
            version_minor: 0,
            version_patch: 3,
            revision,
            timezone: "UTC".into(),
            display_name: String::new(),
        }
    }

    #[test]
    fn hello_names_arrive_with_control_characters_escaped() {
        let mut hello = Vec::new();
        put_varint(&mut hello, server::HELLO);
        put_str(&mut hello, "proton\x1b]0;pwned\x07");
        for v in [3, 0, CLIENT_REVISION] {
            put_varint(&mut hello, v);
        }
        put_str(&mut hello, "UTC");
        put_str(&mut hello, "box\x1b[2J\u{9b}1m");
        put_varint(&mut hello, 3);
        let info = read_hello(&mut &hello[..], CLIENT_REVISION).unwrap();
        assert_eq!(info.name, "proton\\x1b]0;pwned\\x07");
        assert_eq!(info.display_name, "box\\x1b[2J\\x9b1m");
        assert!(info.is_timeplus());
        assert_eq!(info.flavour(), Flavour::Proton);
        assert_eq!(info.version(), "3.0.3");
    }

    #[test]
    fn the_flavour_follows_the_name_in_the_hello() {
        assert_eq!(info("ClickHouse", 54401).flavour(), Flavour::ClickHouse);
        assert_eq!(info("proton", 54459).flavour(), Flavour::Proton);
        assert_eq!(
            info("Timeplus Enterprise", 54470).flavour(),
            Flavour::Proton
        );
    }

    #[test]
    fn only_timeplus_servers_at_54461_get_54461() {
        assert_eq!(advertised_revision(&info("proton", 54461)), 54461);
        assert_eq!(
            advertised_revision(&info("Timeplus Enterprise", 54470)),
            54461
        );
        assert_eq!(info("timeplusd", 54470).negotiated_revision(), 54461);
        assert_eq!(advertised_revision(&info("proton", 54459)), 54453);
        assert_eq!(advertised_revision(&info("ClickHouse", 54470)), 54453);
        assert_eq!(info("ClickHouse", 54412).negotiated_revision(), 54412);
    }

    fn query(rev: u64, advertised: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_query(
            &mut out,
            rev,
            &QuerySpec {
                query_id: "",
                sql: "SELECT 1",
                settings: &[],
                compression: false,
                user: "default",
                advertised,
            },
        );
        out
    }

    #[test]
    fn the_parameters_list_follows_the_query_text_from_54459() {
        let at_53 = query(54453, 54453);
        let at_61 = query(54461, 54461);
        // The same packet plus one empty-list byte; the empty Data block ends both.
        let tail = |q: &[u8]| {
            let i = q.windows(8).position(|w| w == b"SELECT 1").unwrap() + 8;
            q[i..].to_vec()
        };
        assert_eq!(tail(&at_61), [&[0u8][..], &tail(&at_53)].concat());
        assert_eq!(at_61.len(), at_53.len() + 1);
    }

    fn progress_packet(fields: &[u64]) -> Vec<u8> {
        let mut p = Vec::new();
        put_varint(&mut p, server::PROGRESS);
        for f in fields {
            put_varint(&mut p, *f);
        }
        put_varint(&mut p, server::END_OF_STREAM);
        p
    }

    #[test]
    fn progress_reads_elapsed_from_54460_only() {
        let bytes = progress_packet(&[1, 2, 3, 4, 5, 6_000]);
        let mut r = bytes.as_slice();
        let Packet::Progress(p) = read_packet(&mut r, &ctx(54460)).unwrap() else {
            panic!()
        };
        assert_eq!((p.rows, p.written_bytes, p.elapsed_ns), (1, 5, 6_000));
        assert_eq!(
            read_packet(&mut r, &ctx(54460)).unwrap(),
            Packet::EndOfStream
        );
        let bytes = progress_packet(&[1, 2, 3, 4, 5]);
        let mut r = bytes.as_slice();
        let Packet::Progress(p) = read_packet(&mut r, &ctx(54453)).unwrap() else {
            panic!()
        };
        assert_eq!(p.elapsed_ns, 0);
        assert_eq!(
            read_packet(&mut r, &ctx(54453)).unwrap(),
            Packet::EndOfStream
        );
        let mut total = Progress::default();
        total.add(&Progress {
            elapsed_ns: 9,
            ..Progress::default()
        });
        total.add(&Progress {
            elapsed_ns: 4,
            ..Progress::default()
        });
        assert_eq!(total.elapsed_ns, 9);
    }

    fn empty_block() -> Vec<u8> {
        vec![1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0]
    }

    #[test]
    fn data_packets_carry_the_query_id_from_54461_and_others_do_not() {
        for kind in [server::DATA, server::TOTALS, server::EXTREMES, server::LOG] {
            let mut p = Vec::new();
            put_varint(&mut p, kind);
            put_str(&mut p, "");
            if kind == server::DATA {
                put_str(&mut p, "0f0e0d0c-0b0a-0908-0706-050403020100");
            }
            p.extend_from_slice(&empty_block());
            let mut r = p.as_slice();
            let (_, id) =
                read_packet_with_id(&mut r, &ctx(54461), &mut FrameBuffers::default()).unwrap();
            assert!(r.is_empty(), "kind {kind}");
            assert_eq!(id.is_some(), kind == server::DATA, "kind {kind}");
        }
        // Below 54461 the same Data bytes are a table name followed by a block.
        let mut p = Vec::new();
        put_varint(&mut p, server::DATA);
        put_str(&mut p, "");
        p.extend_from_slice(&empty_block());
        let (_, id) =
            read_packet_with_id(&mut p.as_slice(), &ctx(54459), &mut FrameBuffers::default())
                .unwrap();
        assert_eq!(id, None);
    }

    fn exception(message_lens: &[usize]) -> Vec<u8> {
        let mut p = Vec::new();
        put_varint(&mut p, server::EXCEPTION);
        for (i, &n) in message_lens.iter().enumerate() {
            p.extend_from_slice(&241i32.to_le_bytes());
            put_str(&mut p, "DB::Exception");
            put_varint(&mut p, n as u64);
            p.extend(std::iter::repeat_n(0xffu8, n)); // invalid UTF-8 grows when replaced
            put_str(&mut p, "");
            p.push(u8::from(i + 1 < message_lens.len()));
        }
        p
    }

    #[test]
    fn server_strings_outside_blocks_are_capped() {
        let read = |p: &[u8]| read_packet(&mut &p[..], &ctx(54453));
        let Packet::Exception(e) = read(&exception(&[1000, 1000])).unwrap() else {
            panic!()
        };
        assert_eq!((e.message.chars().count(), e.nested.len()), (1000, 1));
        // One message over the limit, or a chain over it together: refused, not kept.
        for lens in [&[(1 << 20) + 1][..], &[600_000, 600_000]] {
            let Err(err) = read(&exception(lens)) else {
                panic!("an exception of {lens:?} bytes was kept")
            };
            assert!(
                err.to_string()
                    .contains("exception longer than the 1 MiB limit"),
                "{err}"
            );
        }
        let mut hello = Vec::new();
        put_varint(&mut hello, server::HELLO);
        put_str(&mut hello, &"p".repeat(100_000));
        let Err(err) = read_hello(&mut hello.as_slice(), CLIENT_REVISION) else {
            panic!("a 100 000-byte server name was kept")
        };
        assert!(
            err.to_string().contains("server name of 100000 bytes"),
            "{err}"
        );
        let mut cols = Vec::new();
        put_varint(&mut cols, server::TABLE_COLUMNS);
        put_str(&mut cols, &"t".repeat(100_000));
        put_str(&mut cols, "columns format version: 1");
        let Err(err) = read(&cols) else {
            panic!("a 100 000-byte table name was kept")
        };
        assert!(
            err.to_string().contains("table name of 100000 bytes"),
            "{err}"
        );
    }

    #[test]
    fn an_oversized_query_id_is_refused_before_it_is_read() {
        let mut p = Vec::new();
        put_varint(&mut p, server::DATA);
        put_str(&mut p, "");
        put_varint(&mut p, u64::MAX >> 1);
        let err = read_packet(&mut p.as_slice(), &ctx(54461)).unwrap_err();
        assert!(err.to_string().contains("query id"), "{err}");
    }
}
