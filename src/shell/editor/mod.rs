//! The line editor, one concern per file (after reedline): highlighting, completion, the catalog completion reads, history policy and persistence, and the rustyline helper that ties them together.

pub mod catalog;
pub mod complete;
pub mod helper;
pub mod highlight;
pub mod history;

pub use catalog::{Catalog, CatalogData};
pub use complete::SqlCompleter;
pub use helper::{make_editor, ShellHelper};
pub use highlight::SqlHighlighter;
