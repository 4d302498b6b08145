//! Shared by the fuzz targets: render every decoded block in every text style.

use proton_shell::wire::{Block, DecodeLimits, Style};

/// The default limits with a 1 MiB allowance: the same checks, but an input cannot make
/// one execution render 32 MiB (which only slows the fuzzer down).
pub fn limits() -> DecodeLimits {
    DecodeLimits {
        allowance: 1 << 20,
        ..DecodeLimits::default()
    }
}

/// Render `block` through the TSV/CSV writer and every cell in every style; the output is dropped.
pub fn render(block: &Block) {
    let mut out = Vec::new();
    for style in [Style::Tsv, Style::Csv] {
        proton_shell::render::write_rows(block, style, &mut out);
        out.clear();
    }
    for col in &block.columns {
        for row in 0..block.rows {
            for style in [Style::Plain, Style::Json] {
                col.write_cell(row, style, &mut out);
            }
            let v = col.value(row);
            let _ = (
                v.is_null(),
                v.as_i128(),
                v.as_f64(),
                v.as_str(),
                v.array_items(),
            );
            out.clear();
        }
    }
}
