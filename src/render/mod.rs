//! Values to text: the output formats (TSV, CSV, JSON lines, tables…) shared by batch mode and the shell.

pub mod tsv;
