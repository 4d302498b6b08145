//! Hand-built blocks for the render tests.

use crate::testutil::strs;
use crate::wire::{Block, Column, Data, TypeDesc};
use std::sync::Arc;

pub fn col(name: &str, type_name: &str, data: Data) -> Column {
    let rows = rows_of(&data);
    Column {
        name: name.into(),
        type_name: type_name.into(),
        ty: Arc::new(TypeDesc::parse(type_name).unwrap()),
        data,
        rows,
    }
}

fn rows_of(data: &Data) -> usize {
    match data {
        Data::Fixed { width, bytes } => bytes.len().checked_div(*width).unwrap_or(0),
        Data::Str { offsets, .. } => offsets.len() - 1,
        Data::Nullable { nulls, .. } => nulls.len(),
        _ => unimplemented!("test helper"),
    }
}

pub fn fixed(width: usize, values: &[&[u8]]) -> Data {
    Data::Fixed {
        width,
        bytes: values.concat(),
    }
}

pub fn u64_col(name: &str, values: &[u64]) -> Column {
    let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    col(name, "uint64", Data::Fixed { width: 8, bytes })
}

pub fn i8_col(name: &str, values: &[i8]) -> Column {
    let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    col(name, "int8", Data::Fixed { width: 1, bytes })
}

pub fn f64_col(name: &str, values: &[f64]) -> Column {
    let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    col(name, "float64", Data::Fixed { width: 8, bytes })
}

pub fn str_col(name: &str, values: &[&str]) -> Column {
    col(name, "string", strs(values))
}

pub fn nullable_str_col(name: &str, values: &[Option<&str>]) -> Column {
    let nulls = values.iter().map(|v| v.is_none() as u8).collect();
    let inner: Vec<&str> = values.iter().map(|v| v.unwrap_or("")).collect();
    col(
        name,
        "nullable(string)",
        Data::Nullable {
            nulls,
            inner: Box::new(strs(&inner)),
        },
    )
}

pub fn block(columns: Vec<Column>) -> Block {
    let rows = columns.first().map_or(0, |c| c.rows);
    Block { columns, rows }
}

pub fn text(out: &[u8]) -> String {
    String::from_utf8(out.to_vec()).unwrap()
}
