//! Does a line carry a secret? The rule that keeps credentials out of the history file.
//!
//! A line is held to carry a secret when, outside comments:
//! - a name (setting, column, argument, keyword) contains `password`, `passwd`, `secret`,
//!   `credential` or `token`, or ends in `_key` (`secret_access_key`, `sasl_password`,
//!   `api_key`, `access_token` …);
//! - it says `IDENTIFIED` (`CREATE USER … IDENTIFIED BY …`);
//! - a string holds a URL with credentials (`scheme://user:pw@host`);
//! - it calls a function that takes credentials as arguments (`s3`, `s3Cluster`, `url`,
//!   `mysql`, `postgresql`, `remote`, `remoteSecure`, `mongodb`, `azureBlobStorage`) with
//!   three or more arguments;
//! - it has a `--password` flag (a command line).
//!
//! Text inside string literals does not count by itself, so `SELECT 'PASSWORD' AS p` is kept.
//! The rule errs towards not saving: a column named `sort_key` keeps a line out of the history.

use super::lexer::{tokenize, TokenKind};

const SECRET_WORDS: &[&str] = &["password", "passwd", "secret", "credential", "token"];

const CREDENTIAL_FUNCTIONS: &[&str] = &[
    "s3",
    "s3cluster",
    "url",
    "mysql",
    "postgresql",
    "remote",
    "remotesecure",
    "mongodb",
    "azureblobstorage",
];

fn secret_name(name: &str) -> bool {
    let lower = name
        .trim_matches(|c| c == '`' || c == '"')
        .to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| lower.contains(w)) || lower.ends_with("_key")
}

/// `scheme://user:pw@…` inside `text`.
fn url_with_credentials(text: &str) -> bool {
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let after = &rest[i + 3..];
        let authority_end = after
            .find(|c: char| c == '/' || c == '\'' || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        if let Some(at) = authority.rfind('@') {
            if authority[..at].contains(':') {
                return true;
            }
        }
        rest = after;
    }
    false
}

/// Whether `text` (SQL or a command line) carries a secret; see the module docs.
pub fn has_secret(text: &str) -> bool {
    if text.to_ascii_lowercase().contains("--password") {
        return true;
    }
    let tokens: Vec<_> = tokenize(text)
        .into_iter()
        .filter(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment))
        .collect();
    for (i, t) in tokens.iter().enumerate() {
        let word = t.text(text);
        match t.kind {
            TokenKind::Keyword if word.eq_ignore_ascii_case("identified") => return true,
            TokenKind::Keyword
            | TokenKind::Ident
            | TokenKind::QuotedIdent
            | TokenKind::JsonPath
                if secret_name(word) =>
            {
                return true
            }
            TokenKind::String if url_with_credentials(word) => return true,
            TokenKind::Ident
                if CREDENTIAL_FUNCTIONS.contains(&word.to_ascii_lowercase().as_str())
                    && tokens.get(i + 1).is_some_and(|n| n.text(text) == "(")
                    && arguments(text, &tokens[i + 1..]) >= 3 =>
            {
                return true
            }
            _ => {}
        }
    }
    false
}

/// The number of top-level arguments of the call whose `(` is `tokens[0]`.
fn arguments(text: &str, tokens: &[super::lexer::Token]) -> usize {
    let mut depth = 0usize;
    let mut args = 0usize;
    let mut empty = true;
    for t in tokens {
        match t.text(text) {
            "(" | "[" => {
                if depth > 0 {
                    empty = false;
                }
                depth += 1;
            }
            ")" | "]" => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return if empty { args } else { args + 1 };
                }
            }
            "," if depth == 1 => args += 1,
            _ => empty = false,
        }
    }
    if empty {
        args
    } else {
        args + 1
    }
}

#[cfg(test)]
mod tests {
    use super::has_secret;

    #[test]
    fn secrets_are_found() {
        for s in [
            "ALTER USER x IDENTIFIED BY 'p'",
            "create user bob identified with sha256_password by 'x'",
            "CREATE EXTERNAL STREAM k (raw string) SETTINGS type='kafka', username='u', password='p'",
            "CREATE EXTERNAL STREAM k (raw string) SETTINGS sasl_password='p'",
            "SELECT * FROM url('http://bob:PW@host/x', CSV)",
            "SELECT * FROM s3('https://b.s3/x.csv', 'AKIA', 'abc', 'CSV')",
            "CREATE EXTERNAL TABLE t SETTINGS secret_access_key='k'",
            "SET access_token = 'x'",
            "SELECT * FROM mysql('h:3306', 'db', 't', 'u', 'pw')",
            "SELECT * FROM remote('h', db.t, 'u', 'pw')",
            ":connect db1 --password hunter2",
            ":set demo.api_key=1",
        ] {
            assert!(has_secret(s), "{s}");
        }
    }

    #[test]
    fn harmless_lines_are_kept() {
        for s in [
            "SELECT 'PASSWORD' AS p",
            "SELECT 1 -- password",
            "SELECT 'password'",
            "SELECT * FROM users",
            "SELECT * FROM url('http://host/x', CSV)",
            "SELECT * FROM s3('https://public/x.csv')",
            "SELECT 'http://a@b/c'",
            "SELECT count() FROM document WHERE raw:resourcename='School'",
        ] {
            assert!(!has_secret(s), "{s}");
        }
    }
}
