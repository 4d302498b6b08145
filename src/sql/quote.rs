//! Quoting for SQL the shell writes itself: string literals, names, `SET` statements. The one place that escapes.

/// A single-quoted SQL string literal, with `\`, `'` and control characters escaped.
pub fn sql_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn is_plain(part: &str) -> bool {
    let mut chars = part.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn backquote(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('`');
    for c in name.chars() {
        match c {
            '`' => out.push_str("\\`"),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('`');
    out
}

/// One name (column, stream, database): as is when it is a plain identifier, else backquoted.
pub fn quote_ident(name: &str) -> String {
    if is_plain(name) {
        name.to_string()
    } else {
        backquote(name)
    }
}

/// A stream or view name that may be `db.`-qualified: as is when every part is plain
/// (`[A-Za-z_][A-Za-z0-9_]*`, at most `db.name`), else the whole name backquoted.
pub fn quote_name(name: &str) -> String {
    if name.split('.').count() <= 2 && name.split('.').all(is_plain) {
        name.to_owned()
    } else {
        backquote(name)
    }
}

/// `SET name = value`, the value as a number when it is one, else as a string literal.
pub fn set_statement(name: &str, value: &str) -> String {
    if value.parse::<f64>().is_ok() {
        format!("SET {name} = {value}")
    } else {
        format!("SET {name} = {}", sql_string(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings() {
        assert_eq!(sql_string(r#"a'b\c"#), r#"'a\'b\\c'"#);
        assert_eq!(sql_string("x\ny"), r"'x\ny'");
    }

    #[test]
    fn names() {
        assert_eq!(quote_ident("abc_1"), "abc_1");
        assert_eq!(quote_ident("my stream"), "`my stream`");
        assert_eq!(quote_ident("1st"), "`1st`");
        assert_eq!(quote_ident("a`b"), "`a\\`b`");
        assert_eq!(quote_ident("db.x"), "`db.x`");
        assert_eq!(quote_name("document"), "document");
        assert_eq!(quote_name("db.document"), "db.document");
        assert_eq!(quote_name("1x"), "`1x`");
        assert_eq!(quote_name("a`b"), "`a\\`b`");
    }

    #[test]
    fn set_statements_quote_non_numbers() {
        assert_eq!(set_statement("max_threads", "4"), "SET max_threads = 4");
        assert_eq!(
            set_statement("query_mode", "table"),
            "SET query_mode = 'table'"
        );
        assert_eq!(set_statement("x", "it's"), "SET x = 'it\\'s'");
    }
}
