//! Every output format through the public `render` API, as the shell and batch mode drive it.

use proton_shell::render::{sink_for, Format, RenderOpts, Sink};
use proton_shell::wire::{Block, Column, Data, TypeDesc};
use std::sync::Arc;

fn column(name: &str, type_name: &str, data: Data, rows: usize) -> Column {
    Column {
        name: name.into(),
        type_name: type_name.into(),
        ty: Arc::new(TypeDesc::parse(type_name).unwrap()),
        data,
        rows,
    }
}

/// `id uint64, s nullable(string)` with the given rows.
fn rows(values: &[(u64, Option<&str>)]) -> Block {
    let n = values.len();
    let mut offsets = vec![0];
    let mut bytes = Vec::new();
    for (_, s) in values {
        bytes.extend_from_slice(s.unwrap_or("").as_bytes());
        offsets.push(bytes.len());
    }
    Block {
        rows: n,
        columns: vec![
            column(
                "id",
                "uint64",
                Data::Fixed {
                    width: 8,
                    bytes: values.iter().flat_map(|v| v.0.to_le_bytes()).collect(),
                },
                n,
            ),
            column(
                "s",
                "nullable(string)",
                Data::Nullable {
                    nulls: values.iter().map(|v| v.1.is_none() as u8).collect(),
                    inner: Box::new(Data::Str { offsets, bytes }),
                },
                n,
            ),
        ],
    }
}

fn run(format: Format, opts: &RenderOpts) -> (String, u64) {
    let mut sink: Box<dyn Sink> = sink_for(format, opts);
    let mut out = Vec::new();
    sink.header(&rows(&[]), &mut out);
    sink.block(&rows(&[(1, Some("a b")), (2, None)]), &mut out);
    sink.block(&rows(&[(3, Some("tab\there"))]), &mut out);
    sink.finish(&mut out);
    (String::from_utf8(out).unwrap(), sink.rows())
}

#[test]
fn every_format_counts_rows_and_prints_something() {
    let opts = RenderOpts::default();
    for &f in Format::ALL {
        let (text, n) = run(f, &opts);
        assert_eq!(n, 3, "{f}");
        if f == Format::Null {
            assert_eq!(text, "", "null shows nothing");
            continue;
        }
        assert!(text.ends_with('\n'), "{f}: {text:?}");
    }
}

#[test]
fn batch_formats_are_byte_exact() {
    let opts = RenderOpts::default();
    assert_eq!(run(Format::Tsv, &opts).0, "1\ta b\n2\t\\N\n3\ttab\\there\n");
    assert_eq!(
        run(Format::Csv, &opts).0,
        "1,\"a b\"\n2,\\N\n3,\"tab\there\"\n"
    );
    assert_eq!(run(Format::Raw, &opts).0, "1\ta b\n2\t\\N\n3\ttab\there\n");
    assert_eq!(
        run(Format::Json, &opts).0,
        "{\"id\":1,\"s\":\"a b\"}\n{\"id\":2,\"s\":null}\n{\"id\":3,\"s\":\"tab\\there\"}\n"
    );
}

#[test]
fn table_and_vertical_for_people() {
    let opts = RenderOpts {
        color: false,
        width: 80,
        is_tty: true,
        ..RenderOpts::default()
    };
    assert_eq!(
        run(Format::Table, &opts).0,
        // The wider value in the second block re-prints the header, grown with slack (a
        // quarter more, to a multiple of 4) so that the next small growth needs no new header.
        "id │ s\n───┼─────\n 1 │ a b\n 2 │ ᴺᵁᴸᴸ\n\
         id │ s\n───┼─────────────\n 3 │ tab\\there\n"
    );
    assert_eq!(
        run(Format::Vertical, &opts).0,
        "Row 1:\n──────\nid: 1\ns:  a b\n\nRow 2:\n──────\nid: 2\ns:  ᴺᵁᴸᴸ\n\n\
         Row 3:\n──────\nid: 3\ns:  tab\\there\n"
    );
}
