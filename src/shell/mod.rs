//! The interactive shell: the read loop, command dispatch, the session (connection slot, reconnect, settings), the prompt and the line editor.

mod dispatch;
mod editor;
mod prompt;
mod repl;
mod server_session;
mod session;
mod typeahead;

pub use repl::Repl;
pub use session::Session;
