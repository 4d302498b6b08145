//! One-line and pretty-JSON summaries of Kafka messages, for the `:new-docs` macro.
//!
//! [`summarize`] reads one message value of topic `edfi.dms.document` (the CDC
//! JSON described in `../shared/edfi-cdc-format.md`). Its `Display` is the
//! compact line `:new-docs` prints by default:
//!
//! ```text
//! School  90b3f4b1-52c8-4e39-b0f9-6bf318f2ae37
//! School  fb937fa1-4309-48a0-abd6-e954f37e8c58  DELETED
//! ```
//!
//! and [`DocLine::to_json_pretty`] is the `--json` rendering. A message that is
//! not a JSON object becomes `unreadable document: <reason> — <preview>`, the
//! preview cut to [`PREVIEW_CHARS`] characters.

use std::fmt;

use serde_json::Value;

/// The longest preview of an unreadable message, in characters.
pub const PREVIEW_CHARS: usize = 120;

/// The marker shown after a deleted document's id.
pub const DELETED_MARKER: &str = "DELETED";

/// What `:new-docs` shows for one message.
#[derive(Debug, Clone, PartialEq)]
pub enum DocLine {
    /// A message that parsed as a JSON object.
    Document {
        /// `resourcename`, e.g. `School`.
        resource: Option<String>,
        /// `documentuuid`, else `edfidoc.id`, else the numeric `id`.
        id: Option<String>,
        /// `__deleted` is `"true"` (or a JSON `true`).
        deleted: bool,
        /// The whole message, for `--json`.
        value: Value,
    },
    /// A message that is not a JSON object.
    Unreadable {
        reason: String,
        /// The start of the message, on one line, at most [`PREVIEW_CHARS`]
        /// characters.
        preview: String,
    },
}

/// Summarizes one Kafka message value.
pub fn summarize(raw_message: &str) -> DocLine {
    let text = raw_message.trim();
    if text.is_empty() {
        return DocLine::Unreadable {
            reason: "empty message (a Kafka tombstone?)".to_owned(),
            preview: String::new(),
        };
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(err) => {
            return DocLine::Unreadable {
                reason: format!("not valid JSON ({err})"),
                preview: preview(text, PREVIEW_CHARS),
            }
        }
    };
    let Some(fields) = value.as_object() else {
        return DocLine::Unreadable {
            reason: "not a JSON object".to_owned(),
            preview: preview(text, PREVIEW_CHARS),
        };
    };
    let resource = fields
        .get("resourcename")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let id = fields
        .get("documentuuid")
        .and_then(Value::as_str)
        .or_else(|| {
            fields
                .get("edfidoc")
                .and_then(|doc| doc.get("id"))
                .and_then(Value::as_str)
        })
        .map(str::to_owned)
        .or_else(|| match fields.get("id") {
            Some(Value::Number(number)) => Some(number.to_string()),
            Some(Value::String(text)) => Some(text.clone()),
            _ => None,
        });
    let deleted = match fields.get("__deleted") {
        Some(Value::String(text)) => text == "true",
        Some(Value::Bool(flag)) => *flag,
        _ => false,
    };
    DocLine::Document {
        resource,
        id,
        deleted,
        value,
    }
}

impl DocLine {
    /// The resource name, if the message has one.
    #[cfg(test)]
    pub fn resource(&self) -> Option<&str> {
        match self {
            DocLine::Document { resource, .. } => resource.as_deref(),
            DocLine::Unreadable { .. } => None,
        }
    }

    /// Whether the message is a delete.
    pub fn is_deleted(&self) -> bool {
        matches!(self, DocLine::Document { deleted: true, .. })
    }

    /// Whether the resource name is `wanted`, ignoring ASCII case (for
    /// `--resource school`). Unreadable messages never match.
    #[cfg(test)]
    pub fn matches_resource(&self, wanted: &str) -> bool {
        self.resource()
            .is_some_and(|resource| resource.eq_ignore_ascii_case(wanted.trim()))
    }

    /// The `--json` rendering: the whole message pretty-printed (keys in
    /// serde_json's order), or the unreadable line.
    pub fn to_json_pretty(&self) -> String {
        match self {
            DocLine::Document { value, .. } => {
                serde_json::to_string_pretty(value).unwrap_or_else(|err| {
                    format!("unreadable document: cannot print it as JSON ({err})")
                })
            }
            DocLine::Unreadable { .. } => self.to_string(),
        }
    }
}

/// The narrowest resource column of `:new-docs`: most DMS resource names fit
/// (`GradeLevelDescriptor` is 20 characters).
pub const RESOURCE_WIDTH: usize = 22;
/// The widest the resource column grows to; longer names overflow it.
pub const MAX_RESOURCE_WIDTH: usize = 48;

impl DocLine {
    /// The resource name as shown, if this is a document.
    fn resource_shown(&self) -> Option<String> {
        match self {
            DocLine::Document { resource, .. } => Some(
                resource
                    .as_deref()
                    .map_or_else(|| "(no resourcename)".to_owned(), one_line),
            ),
            DocLine::Unreadable { .. } => None,
        }
    }

    /// The one-line form with the resource name padded to `*width`
    /// characters; `*width` grows (up to [`MAX_RESOURCE_WIDTH`]) to the
    /// widest name seen, so the ids line up as the stream goes on.
    pub fn aligned(&self, width: &mut usize) -> String {
        let Some(resource) = self.resource_shown() else {
            return self.to_string();
        };
        let chars = resource.chars().count();
        *width = (*width).max(chars.min(MAX_RESOURCE_WIDTH));
        let pad = width.saturating_sub(chars);
        let plain = self.to_string();
        let rest = plain.get(resource.len()..).unwrap_or_default();
        format!("{resource}{}{rest}", " ".repeat(pad))
    }
}

impl fmt::Display for DocLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocLine::Document {
                resource,
                id,
                deleted,
                ..
            } => {
                let resource = resource
                    .as_deref()
                    .map_or_else(|| "(no resourcename)".to_owned(), one_line);
                let id = id.as_deref().map_or_else(|| "(no id)".to_owned(), one_line);
                write!(f, "{resource}  {id}")?;
                if *deleted {
                    write!(f, "  {DELETED_MARKER}")?;
                }
                Ok(())
            }
            DocLine::Unreadable { reason, preview } => {
                write!(f, "unreadable document: {}", one_line(reason))?;
                if !preview.is_empty() {
                    write!(f, " — {preview}")?;
                }
                Ok(())
            }
        }
    }
}

/// `text` on one line (control characters become spaces), cut to at most
/// `max_chars` characters, the last one then being `…`. Never splits a
/// UTF-8 character.
pub fn preview(text: &str, max_chars: usize) -> String {
    let flat = one_line(text);
    if flat.chars().count() <= max_chars {
        return flat;
    }
    if max_chars == 0 {
        return String::new();
    }
    let mut cut: String = flat.chars().take(max_chars - 1).collect();
    cut.push('…');
    cut
}

/// Replaces control characters (newlines, tabs, escapes) with spaces so a
/// value cannot break the line or drive the terminal.
pub(super) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_lines_pad_the_resource_to_the_widest_seen() {
        let doc = |resource: &str, deleted: bool| {
            summarize(&format!(
                r#"{{"resourcename":"{resource}","documentuuid":"u-{resource}","__deleted":"{deleted}"}}"#
            ))
        };
        let mut width = RESOURCE_WIDTH;
        assert_eq!(
            doc("School", false).aligned(&mut width),
            format!("School{}  u-School", " ".repeat(16))
        );
        assert_eq!(
            doc("School", true).aligned(&mut width),
            format!("School{}  u-School  DELETED", " ".repeat(16))
        );
        let long = "EducationOrganizationCategoryDescriptor";
        assert_eq!(
            doc(long, false).aligned(&mut width),
            format!("{long}  u-{long}")
        );
        assert_eq!(width, long.len());
        // Later short names line up with the widest seen so far.
        let school = doc("School", false).aligned(&mut width);
        assert_eq!(school.find("u-School"), Some(long.len() + 2), "{school}");
        // A huge name does not widen the column beyond the cap.
        let huge = "X".repeat(200);
        doc(&huge, false).aligned(&mut width);
        assert_eq!(width, MAX_RESOURCE_WIDTH);
        let unreadable = summarize("nope");
        assert_eq!(unreadable.aligned(&mut width), unreadable.to_string());
    }

    fn sample_line(id: u64) -> &'static str {
        let prefix = format!("{{\"id\":{id},");
        super::super::sample_messages()
            .find(|line| line.starts_with(&prefix))
            .expect("sample line")
    }

    #[test]
    fn insert_line() {
        let line = summarize(sample_line(31));
        assert_eq!(
            line.to_string(),
            "School  90b3f4b1-52c8-4e39-b0f9-6bf318f2ae37"
        );
        assert!(!line.is_deleted());
        assert!(line.matches_resource("School"));
        assert!(line.matches_resource("school"));
        assert!(!line.matches_resource("Student"));
    }

    #[test]
    fn delete_line() {
        let deleted = super::super::sample_messages()
            .find(|l| l.contains("\"__deleted\":\"true\""))
            .expect("delete in sample");
        let line = summarize(deleted);
        assert_eq!(
            line.to_string(),
            "School  fb937fa1-4309-48a0-abd6-e954f37e8c58  DELETED"
        );
        assert!(line.is_deleted());
    }

    #[test]
    fn whole_sample_summarizes() {
        let lines: Vec<DocLine> = super::super::sample_messages().map(summarize).collect();
        assert_eq!(lines.len(), 38);
        assert!(lines
            .iter()
            .all(|l| matches!(l, DocLine::Document { id: Some(_), .. })));
        assert_eq!(lines.iter().filter(|l| l.is_deleted()).count(), 1);
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.matches_resource("School"))
                .count(),
            20
        );
        assert_eq!(
            lines[0].to_string(),
            "GradeLevelDescriptor  c06c3e0c-9ddf-49ac-b3a2-cab7b775f775"
        );
    }

    #[test]
    fn pretty_json_round_trips() {
        let raw = sample_line(36);
        let line = summarize(raw);
        let pretty = line.to_json_pretty();
        assert!(pretty.contains('\n'));
        assert!(pretty.contains("Escuela Núñez 学校"));
        let reparsed: Value = serde_json::from_str(&pretty).expect("valid JSON");
        let original: Value = serde_json::from_str(raw).expect("valid JSON");
        assert_eq!(reparsed, original);
    }

    #[test]
    fn id_fallbacks() {
        let line = summarize(r#"{"resourcename":"X","edfidoc":{"id":"e-1"}}"#);
        assert_eq!(line.to_string(), "X  e-1");
        let line = summarize(r#"{"resourcename":"X","id":42}"#);
        assert_eq!(line.to_string(), "X  42");
        let line = summarize(r#"{"__deleted":true}"#);
        assert_eq!(line.to_string(), "(no resourcename)  (no id)  DELETED");
    }

    #[test]
    fn control_characters_stay_on_one_line() {
        let line = summarize("{\"resourcename\":\"A\\nB\",\"documentuuid\":\"x\\u001b[2J\"}");
        assert_eq!(line.to_string(), "A B  x [2J");
    }

    #[test]
    fn unreadable_messages() {
        let line = summarize("not json at all");
        let text = line.to_string();
        assert!(
            text.starts_with("unreadable document: not valid JSON ("),
            "{text}"
        );
        assert!(text.ends_with(" — not json at all"), "{text}");
        assert!(!line.matches_resource("School"));
        assert_eq!(line.to_json_pretty(), text);

        assert_eq!(
            summarize("[1,2]").to_string(),
            "unreadable document: not a JSON object — [1,2]"
        );
        assert_eq!(
            summarize("  ").to_string(),
            "unreadable document: empty message (a Kafka tombstone?)"
        );
    }

    #[test]
    fn long_unreadable_preview_is_cut_on_a_char_boundary() {
        let raw = format!("{{\"x\":\"{}", "é学".repeat(200));
        match summarize(&raw) {
            DocLine::Unreadable { preview, .. } => {
                assert_eq!(preview.chars().count(), PREVIEW_CHARS);
                assert!(preview.ends_with('…'));
                assert!(preview.starts_with("{\"x\":\"é学"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn preview_limits() {
        assert_eq!(preview("abc", 3), "abc");
        assert_eq!(preview("abcd", 3), "ab…");
        assert_eq!(preview("a\r\nb", 10), "a  b");
        assert_eq!(preview("abc", 0), "");
        assert_eq!(preview("ñññ", 2), "ñ…");
    }
}
