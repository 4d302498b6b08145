//! Does a line carry a secret? The rule that keeps credentials out of the history file.
//!
//! A line is held to carry a secret when, outside comments:
//! - a name (setting, column, argument, keyword) contains `password`, `passwd`, `secret`,
//!   `credential`, `authorization`, `bearer` or `apikey`, ends in `token` or `_key`
//!   (`secret_access_key`, `sasl_password`, `api_key`, `access_token` …), or starts with
//!   `http_header_` (Timeplus's HTTP external stream headers, such as
//!   `http_header_Authorization='Bearer …'`);
//! - it says `IDENTIFIED` (`CREATE USER … IDENTIFIED BY …`);
//! - a string holds a URL with credentials (`scheme://user:pw@host`) or with a credential in
//!   its query string (`?access_token=…`, `&key=…`, `&sig=…`, `&X-Amz-Signature=…`);
//! - a string holds `Bearer <token>`;
//! - it calls a function that takes credentials as arguments (`s3`, `s3Cluster`, `url`,
//!   `mysql`, `postgresql`, `remote`, `remoteSecure`, `mongodb`, `azureBlobStorage`) with
//!   three or more arguments;
//! - it has a `--password` flag (a command line).
//!
//! Text inside string literals does not count by itself, so `SELECT 'PASSWORD' AS p` is kept.
//! The rule errs towards not saving: a column named `sort_key` keeps a line out of the history.
//! `token` counts only at the end of a name, so `token_count` or `tokenize(…)` is kept.

use super::lexer::{tokenize, TokenKind};

const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "credential",
    "authorization",
    "bearer",
    "apikey",
];

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
    SECRET_WORDS.iter().any(|w| lower.contains(w))
        || lower.ends_with("token")
        || lower.ends_with("_key")
        || lower.starts_with("http_header_")
}

/// A URL query parameter that carries a credential: a secret name, or one of the short names
/// signed and keyed URLs use (`key`, `sig`, `signature`, `X-Amz-Signature`, `x-api-key` …).
fn secret_parameter(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    secret_name(&lower)
        || matches!(lower.as_str(), "key" | "sig" | "auth" | "pwd" | "pass")
        || lower.ends_with("-key")
        || lower.contains("signature")
}

/// A URL inside `text` with credentials: `scheme://user:pw@…`, or a query string with a
/// parameter such as `access_token=…` (see [`secret_parameter`]).
fn url_with_credentials(text: &str) -> bool {
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let after = &rest[i + 3..];
        let authority_end = after
            .find(|c: char| c == '/' || c == '?' || c == '#' || c == '\'' || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        if let Some(at) = authority.rfind('@') {
            if authority[..at].contains(':') {
                return true;
            }
        }
        let url_end = after
            .find(|c: char| c == '\'' || c.is_whitespace())
            .unwrap_or(after.len());
        let url = &after[..url_end];
        if let Some(q) = url.find('?') {
            let query = &url[q + 1..];
            let query = &query[..query.find('#').unwrap_or(query.len())];
            let secret = query
                .split(['&', ';'])
                .filter_map(|pair| pair.split_once('='))
                .any(|(name, value)| !value.is_empty() && secret_parameter(name));
            if secret {
                return true;
            }
        }
        rest = after;
    }
    false
}

/// `Bearer <token>` inside `text` (an `Authorization` header value), in any case.
fn bearer_token(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.match_indices("bearer").any(|(i, w)| {
        let before_ok = !lower[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let after = &lower[i + w.len()..];
        let gap = after.len() - after.trim_start().len();
        before_ok
            && gap > 0
            && after[gap..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
    })
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
            TokenKind::String if url_with_credentials(word) || bearer_token(word) => return true,
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

    #[test]
    fn http_headers_bearer_tokens_and_api_keys_are_secrets() {
        for s in [
            "CREATE EXTERNAL STREAM h (raw string) SETTINGS type='http', \
             http_header_Authorization='Bearer eyJhbGciOi'",
            "CREATE EXTERNAL STREAM h (raw string) SETTINGS type='http', http_header_X-Api-Key='k'",
            "CREATE EXTERNAL STREAM h (raw string) SETTINGS authorization='Basic dTpw'",
            "SET apikey = 'k'",
            "SETTINGS bearer_auth = 'x'",
            "SELECT * FROM t SETTINGS accessToken='x'",
            "INSERT INTO calls (header) VALUES ('Authorization: Bearer eyJhbGciOi')",
        ] {
            assert!(has_secret(s), "{s}");
        }
    }

    #[test]
    fn credentials_in_url_query_strings_are_secrets() {
        for s in [
            "SELECT * FROM url('https://h/?access_token=abc', JSONEachRow)",
            "SELECT * FROM url('https://h/x?page=2&key=abc')",
            "SELECT * FROM url('https://acct.blob.core.windows.net/c/x.csv?sv=2022&sig=abc%3D')",
            "SELECT * FROM s3('https://b.s3.amazonaws.com/x?X-Amz-Signature=ab&X-Amz-Credential=c')",
            "SELECT * FROM url('http://h/api?user=u&password=p', CSV)",
            "SELECT * FROM url('https://h/x?token=abc#frag')",
            "SELECT * FROM url('https://h/x?api_key=abc')",
            "SELECT * FROM url('https://h/x?signature=abc')",
            "SELECT * FROM url('https://bob:pw@h?x=1')",
        ] {
            assert!(has_secret(s), "{s}");
        }
    }

    #[test]
    fn ordinary_keys_tokens_and_urls_are_kept() {
        for s in [
            "SELECT key FROM t",
            "SELECT key, value FROM kv WHERE key = 'token'",
            "SELECT token_count, sum(tokens) FROM usage GROUP BY token_count",
            "SELECT tokenize(s) FROM t",
            "CREATE STREAM s (id int, primary_name string) PRIMARY KEY id",
            "SELECT * FROM url('https://h/x?page=2&sort=key', CSV)",
            "SELECT * FROM url('https://h/search?q=token&monkey=1')",
            "SELECT * FROM url('https://h/x?key=', CSV)",
            "SELECT 'bearer'",
            "SELECT 'see https://h/x' AS note",
            "CREATE EXTERNAL STREAM k (raw string) SETTINGS type='kafka', sasl_mechanism='OAUTHBEARER'",
        ] {
            assert!(!has_secret(s), "{s}");
        }
    }
}
