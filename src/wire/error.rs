//! Errors of the native-protocol client: server exceptions, I/O, and malformed input.

use std::fmt;

/// An exception sent by the server (packet type 2). Code, name and message are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerException {
    pub code: i32,
    pub name: String,
    pub message: String,
    pub stack_trace: String,
    /// Nested exceptions, outermost first (Proton never sends any, ClickHouse may).
    pub nested: Vec<ServerException>,
}

impl ServerException {
    /// The message without ClickHouse's redundant `DB::Exception: ` prefix.
    pub fn short_message(&self) -> &str {
        let mut m = self.message.as_str();
        while let Some(rest) = m.strip_prefix("DB::Exception: ") {
            m = rest;
        }
        m
    }

    /// The character position the server reports for syntax errors ("failed at position N").
    pub fn position(&self) -> Option<usize> {
        let idx = self.message.find("at position ")?;
        let digits: String = self.message[idx + 12..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        digits.parse().ok()
    }
}

impl fmt::Display for ServerException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Code: {}. {}", self.code, self.short_message())
    }
}

/// Everything that can go wrong talking to the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },
    #[error("{0}")]
    Server(ServerException),
    #[error("connection to {addr} lost: {reason}")]
    ConnectionLost { addr: String, reason: String },
    #[error("protocol error: {0}")]
    Protocol(String),
    #[error("unknown or unsupported column type `{0}`")]
    UnknownType(String),
    #[error("compressed frame checksum mismatch (data corrupted in transit)")]
    Checksum,
    #[error("{0}")]
    Unsupported(String),
    #[error("the connection is busy with another query")]
    Busy,
    #[error("not connected")]
    NotConnected,
}

impl Error {
    /// True when the connection can no longer be used and must be re-established.
    pub fn is_fatal_for_connection(&self) -> bool {
        !matches!(self, Error::Server(_) | Error::Busy | Error::Unsupported(_))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
