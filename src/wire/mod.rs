//! Proton's native TCP protocol: connect, query, stream typed blocks, cancel. No terminal code here.

pub mod client;
pub mod column;
pub mod compress;
pub mod error;
pub mod io;
pub mod limits;
pub mod protocol;
pub mod types;
pub mod value;

pub use client::{CancelOutcome, ConnectOptions, Connection, Event, QueryResult, QueryStream};
pub use column::{Block, Column, Data, DecodeCtx};
pub use error::{Error, Result, ServerException};
pub use limits::DecodeLimits;
pub use protocol::{Flavour, ProfileInfo, Progress, ServerInfo, CLIENT_REVISION};
pub use types::TypeDesc;
pub use value::{Style, Value};
