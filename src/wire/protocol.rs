//! Packet layouts of the native protocol: client packets encoded, server packets decoded.

use super::column::{read_block_within, Block, DecodeCtx};
use super::compress::{compress_frame, FrameReader};
use super::error::{Error, Result, ServerException};
use super::io::{put_str, put_varint, read_i32_le, read_string, read_u8, read_varint};
use super::limits::{Budget, Counted, DecodeLimits};
use std::io::BufRead;

/// The revision we advertise (the official Proton drivers' choice; see proton-protocol.md §A.13).
pub const CLIENT_REVISION: u64 = 54453;

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

/// What the server said about itself in its Hello.
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

    /// The revision everything after the handshake is encoded for.
    pub fn negotiated_revision(&self) -> u64 {
        self.revision.min(CLIENT_REVISION)
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
}

impl Progress {
    /// Add an increment; the counters come from the network, so they saturate instead of overflowing.
    pub fn add(&mut self, d: &Progress) {
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
    TableColumns { table: String, description: String },
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

pub fn write_hello(out: &mut Vec<u8>, database: &str, user: &str, password: &str) {
    put_varint(out, client::HELLO);
    put_str(out, "proton-shell");
    put_varint(out, env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap_or(0));
    put_varint(out, env!("CARGO_PKG_VERSION_MINOR").parse().unwrap_or(0));
    put_varint(out, CLIENT_REVISION);
    put_str(out, database);
    put_str(out, user);
    put_str(out, password);
}

/// Read the server's answer to Hello. Fields are gated on the revision *we* advertised.
pub fn read_hello<R: BufRead>(r: &mut R) -> Result<ServerInfo> {
    match read_varint(r)? {
        server::HELLO => {}
        server::EXCEPTION => return Err(Error::Server(read_exception(r)?)),
        other => {
            return Err(Error::Protocol(format!(
                "expected Hello, got packet type {other}"
            )))
        }
    }
    let name = read_string(r)?;
    let version_major = read_varint(r)?;
    let version_minor = read_varint(r)?;
    let revision = read_varint(r)?;
    let timezone = if CLIENT_REVISION >= REV_SERVER_TIMEZONE {
        read_string(r)?
    } else {
        String::new()
    };
    let display_name = if CLIENT_REVISION >= REV_SERVER_DISPLAY_NAME {
        read_string(r)?
    } else {
        String::new()
    };
    let version_patch = if CLIENT_REVISION >= REV_VERSION_PATCH {
        read_varint(r)?
    } else {
        0
    };
    Ok(ServerInfo {
        name,
        version_major,
        version_minor,
        version_patch,
        revision,
        timezone,
        display_name,
    })
}

/// Everything the Query packet carries besides the fixed fields.
pub struct QuerySpec<'a> {
    pub query_id: &'a str,
    pub sql: &'a str,
    pub settings: &'a [(String, String)],
    pub compression: bool,
    pub user: &'a str,
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
        put_varint(out, CLIENT_REVISION);
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

pub fn read_exception<R: BufRead>(r: &mut R) -> Result<ServerException> {
    let mut chain = Vec::new();
    loop {
        let code = read_i32_le(r)?;
        let name = read_string(r)?;
        let message = read_string(r)?;
        let stack_trace = read_string(r)?;
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

fn read_data_block<R: BufRead>(r: &mut R, ctx: &ReadCtx, compressed: bool) -> Result<Block> {
    let _table = read_string(r)?;
    let budget = Budget::new(ctx.limits);
    let mut r = Counted::new(r, &budget);
    if compressed {
        let mut fr = FrameReader::with_budget(&mut r, &budget);
        let block = read_block_within(&mut fr, &ctx.decode, &budget)?;
        if !fr.is_drained() {
            return Err(Error::Protocol(
                "compressed frame holds more than one block".into(),
            ));
        }
        Ok(block)
    } else {
        read_block_within(&mut r, &ctx.decode, &budget)
    }
}

/// Read one server packet.
pub fn read_packet<R: BufRead>(r: &mut R, ctx: &ReadCtx) -> Result<Packet> {
    let kind = read_varint(r)?;
    Ok(match kind {
        server::DATA => Packet::Data(read_data_block(r, ctx, ctx.compression)?),
        server::TOTALS => Packet::Totals(read_data_block(r, ctx, ctx.compression)?),
        server::EXTREMES => Packet::Extremes(read_data_block(r, ctx, ctx.compression)?),
        // Logs and profile events are never compressed.
        server::LOG => Packet::Log(read_data_block(r, ctx, false)?),
        server::PROFILE_EVENTS => Packet::ProfileEvents(read_data_block(r, ctx, false)?),
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
            table: read_string(r)?,
            description: read_string(r)?,
        },
        server::PONG => Packet::Pong,
        server::END_OF_STREAM => Packet::EndOfStream,
        other => {
            return Err(Error::Protocol(format!(
                "unexpected packet type {other} from the server"
            )))
        }
    })
}
