//! Category checks of Ed-Fi School documents, the pure core of the `:validate` macro.
//!
//! The original demo (`validate_school_edOrgCategory.py`) prints
//! `❌ School <schoolId> has invalid category <descriptor>` for every
//! `educationOrganizationCategories[].educationOrganizationCategoryDescriptor`
//! that does not end in `#School`, and crashes on the first document it cannot
//! read. Here such a document is reported as [`SchoolCheck::Unreadable`], with
//! its id when one can be found, and validation goes on.
//!
//! Two entry points, one per way the macro reads documents:
//!
//! * [`check_school`] takes the School document itself: the text of
//!   `raw:edfidoc`, as the materialized view `schools` returns it.
//! * [`check_document`] takes a whole Kafka message value (the CDC JSON with
//!   `resourcename`, `__deleted`, `edfidoc`, ...), as `:validate --resume` reads
//!   it from the external stream.
//!
//! `schoolId` is shown as it appears in the document: a JSON number (the only
//! form in the sample and in Ed-Fi) prints as its digits, and a JSON string
//! prints as its text, without quotes.

use std::fmt;

use serde_json::{Map, Value};

use super::docs::one_line;

/// A category descriptor is valid for a School when it ends with this suffix
/// (case-sensitive, as in the original demo).
pub const SCHOOL_SUFFIX: &str = "#School";

/// The outcome of checking one School document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchoolCheck {
    /// Every category ends in `#School`. A School with an empty category list
    /// is valid too: it has no invalid category, as in the original demo.
    Valid { school_id: String },
    /// The descriptors that do not end in `#School`, in document order.
    Invalid { school_id: String, bad: Vec<String> },
    /// The document could not be checked: it is not valid JSON, not an object,
    /// or `schoolId` / `educationOrganizationCategories` is missing or of the
    /// wrong type. `id` is the document's `documentuuid` or `id` when found.
    Unreadable { id: Option<String>, reason: String },
}

impl SchoolCheck {
    /// The school id, unless the document was unreadable.
    pub fn school_id(&self) -> Option<&str> {
        match self {
            SchoolCheck::Valid { school_id } | SchoolCheck::Invalid { school_id, .. } => {
                Some(school_id)
            }
            SchoolCheck::Unreadable { .. } => None,
        }
    }

    /// The report lines for this document: one [`invalid_line`] per invalid
    /// category, one [`unreadable_line`] for an unreadable document, none for
    /// a valid one.
    pub fn report_lines(&self) -> Vec<String> {
        match self {
            SchoolCheck::Valid { .. } => Vec::new(),
            SchoolCheck::Invalid { school_id, bad } => {
                bad.iter().map(|d| invalid_line(school_id, d)).collect()
            }
            SchoolCheck::Unreadable { id, reason } => vec![unreadable_line(id.as_deref(), reason)],
        }
    }
}

/// `❌ School <schoolId> has invalid category <descriptor>`, the original demo's line.
/// The document's text is put on one line ([`one_line`]): a Kafka message must not be able
/// to drive the terminal.
pub fn invalid_line(school_id: &str, descriptor: &str) -> String {
    format!(
        "❌ School {} has invalid category {}",
        one_line(school_id),
        one_line(descriptor)
    )
}

/// The line reporting a School document that could not be checked (on one line, as
/// [`invalid_line`]: the id and the reason quote the document).
pub fn unreadable_line(id: Option<&str>, reason: &str) -> String {
    let reason = one_line(reason);
    match id {
        Some(id) => format!("⚠ School document {} is unreadable: {reason}", one_line(id)),
        None => format!("⚠ School document (no id found) is unreadable: {reason}"),
    }
}

/// Checks one School document given as JSON text (the value of `raw:edfidoc`).
///
/// A document that is a JSON string holding the document's JSON (the
/// pre-ExpandJSON CDC format) is unwrapped once.
pub fn check_school(edfidoc_json: &str) -> SchoolCheck {
    match parse_document_text(edfidoc_json) {
        Ok(doc) => check_school_value(&doc),
        Err((reason, inner)) => SchoolCheck::Unreadable {
            id: scan_string_field(inner.as_deref().unwrap_or(edfidoc_json), "id"),
            reason,
        },
    }
}

/// Checks one Kafka message value of topic `edfi.dms.document`.
///
/// Returns `None` when the message is not a School, or is a delete
/// (`"__deleted":"true"`): the same rows the demo's filter
/// `raw:resourcename='School' AND raw:__deleted='false'` keeps. A message that
/// is not valid JSON is reported as unreadable only when its text still shows
/// `"resourcename":"School"`; otherwise it cannot be told to be a School and
/// `None` is returned.
pub fn check_document(raw_message: &str) -> Option<SchoolCheck> {
    let message: Value = match serde_json::from_str(raw_message.trim()) {
        Ok(value) => value,
        Err(err) => {
            if scan_string_field(raw_message, "resourcename").as_deref() != Some("School") {
                return None;
            }
            return Some(SchoolCheck::Unreadable {
                id: scan_string_field(raw_message, "documentuuid")
                    .or_else(|| scan_string_field(raw_message, "id")),
                reason: format!("the message is not valid JSON ({err})"),
            });
        }
    };
    let fields = message.as_object()?;
    if fields.get("resourcename").and_then(Value::as_str) != Some("School") {
        return None;
    }
    if is_deleted(fields) {
        return None;
    }
    let document_uuid = fields
        .get("documentuuid")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let check = match fields.get("edfidoc") {
        None | Some(Value::Null) => SchoolCheck::Unreadable {
            id: None,
            reason: "the message has no edfidoc".to_owned(),
        },
        Some(Value::String(text)) => check_school(text),
        Some(doc) => check_school_value(doc),
    };
    Some(match check {
        SchoolCheck::Unreadable { id, reason } => SchoolCheck::Unreadable {
            id: document_uuid.or(id),
            reason,
        },
        other => other,
    })
}

/// Whether a CDC message is a delete. `__deleted` is the string `"true"` in
/// the Debezium format; a JSON boolean `true` is accepted too.
fn is_deleted(fields: &Map<String, Value>) -> bool {
    match fields.get("__deleted") {
        Some(Value::String(text)) => text == "true",
        Some(Value::Bool(flag)) => *flag,
        _ => false,
    }
}

/// Parses a document's JSON text, unwrapping one level of JSON string. The
/// error carries the reason and, for a JSON string, the unwrapped text.
fn parse_document_text(text: &str) -> Result<Value, (String, Option<String>)> {
    let text = text.trim();
    if text.is_empty() {
        return Err(("the document is empty".to_owned(), None));
    }
    let value: Value =
        serde_json::from_str(text).map_err(|err| (format!("not valid JSON ({err})"), None))?;
    match value {
        Value::String(inner) => serde_json::from_str(inner.trim()).map_err(|err| {
            (
                format!("a JSON string that does not hold valid JSON ({err})"),
                Some(inner),
            )
        }),
        other => Ok(other),
    }
}

/// Checks a parsed School document.
fn check_school_value(doc: &Value) -> SchoolCheck {
    let Some(fields) = doc.as_object() else {
        return SchoolCheck::Unreadable {
            id: None,
            reason: format!("expected a JSON object, found {}", kind_of(doc)),
        };
    };
    let id = fields.get("id").and_then(Value::as_str).map(str::to_owned);
    let unreadable = |reason: String| SchoolCheck::Unreadable {
        id: id.clone(),
        reason,
    };

    let school_id = match fields.get("schoolId") {
        None => return unreadable("no schoolId".to_owned()),
        Some(Value::Number(number)) => number.to_string(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => {
            return unreadable(format!("schoolId is {}, expected a number", kind_of(other)))
        }
    };
    let categories = match fields.get("educationOrganizationCategories") {
        None => {
            return unreadable(format!(
                "School {school_id} has no educationOrganizationCategories"
            ))
        }
        Some(Value::Array(items)) => items,
        Some(other) => {
            return unreadable(format!(
                "School {school_id}: educationOrganizationCategories is {}, expected an array",
                kind_of(other)
            ))
        }
    };

    let mut bad = Vec::new();
    for (index, category) in categories.iter().enumerate() {
        let descriptor = category
            .get("educationOrganizationCategoryDescriptor")
            .and_then(Value::as_str);
        match descriptor {
            Some(descriptor) => {
                if !descriptor.ends_with(SCHOOL_SUFFIX) {
                    bad.push(descriptor.to_owned());
                }
            }
            None => {
                return unreadable(format!(
                    "School {school_id}: category {} has no educationOrganizationCategoryDescriptor string",
                    index + 1
                ))
            }
        }
    }
    if bad.is_empty() {
        SchoolCheck::Valid { school_id }
    } else {
        SchoolCheck::Invalid { school_id, bad }
    }
}

/// A JSON value's kind, for error messages.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Finds `"key": "value"` in text that may not be valid JSON (for instance
/// truncated) and returns the first non-empty value, without unescaping.
/// Best effort, only used to name an unreadable document.
fn scan_string_field(text: &str, key: &str) -> Option<String> {
    let needle = format!("\"{key}\"");
    let mut rest = text;
    while let Some(at) = rest.find(&needle) {
        rest = &rest[at + needle.len()..];
        let Some(after_colon) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let Some(value) = after_colon.trim_start().strip_prefix('"') else {
            continue;
        };
        let mut end = None;
        let mut escaped = false;
        for (i, c) in value.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    end = Some(i);
                    break;
                }
                _ => escaped = false,
            }
        }
        if let Some(end) = end {
            if end > 0 {
                return Some(value[..end].to_owned());
            }
        }
    }
    None
}

/// Running totals of a validation, printed when it ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// School documents looked at, unreadable ones included.
    pub checked: u64,
    /// Invalid categories reported (a School can have more than one).
    pub invalid: u64,
    /// Documents that could not be checked.
    pub unreadable: u64,
}

impl Summary {
    /// Adds one checked document to the totals.
    pub fn record(&mut self, check: &SchoolCheck) {
        self.checked += 1;
        match check {
            SchoolCheck::Valid { .. } => {}
            SchoolCheck::Invalid { bad, .. } => self.invalid += bad.len() as u64,
            SchoolCheck::Unreadable { .. } => self.unreadable += 1,
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "checked {} schools: {} invalid categories, {} unreadable",
            self.checked, self.invalid, self.unreadable
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> impl Iterator<Item = &'static str> {
        super::super::sample_messages()
    }

    const INVALID_IN_SAMPLE: [(&str, &str); 6] = [
        ("255901004", "Local Education Agency"),
        ("255901005", "Other"),
        ("255901006", "Other"),
        ("255902008", "Local Education Agency"),
        ("255902009", "Other"),
        ("255902012", "Other"),
    ];

    fn expected_invalid_lines() -> Vec<String> {
        INVALID_IN_SAMPLE
            .iter()
            .map(|(id, code)| {
                invalid_line(
                    id,
                    &format!("uri://ed-fi.org/EducationOrganizationCategoryDescriptor#{code}"),
                )
            })
            .collect()
    }

    /// What `raw:edfidoc` gives for a message: an object as its JSON text, a
    /// string unquoted (Proton's json_value).
    fn edfidoc_text(message: &str) -> Option<String> {
        let value: Value = serde_json::from_str(message).ok()?;
        let fields = value.as_object()?;
        if fields.get("resourcename")?.as_str()? != "School"
            || fields.get("__deleted")?.as_str()? != "false"
        {
            return None;
        }
        match fields.get("edfidoc")? {
            Value::String(text) => Some(text.clone()),
            other => Some(other.to_string()),
        }
    }

    #[test]
    fn document_text_cannot_drive_the_terminal() {
        let osc52 = "\\u001b]52;c;aGk=\\u0007";
        let invalid = format!(
            r#"{{"resourcename":"School","__deleted":"false","edfidoc":{{"schoolId":"1{osc52}","educationOrganizationCategories":[{{"educationOrganizationCategoryDescriptor":"uri://x#Other{osc52}\r\u009b2J"}}]}}}}"#
        );
        let unreadable = format!(
            r#"{{"resourcename":"School","__deleted":"false","documentuuid":"u{osc52}","edfidoc":{{"schoolId":"2{osc52}"}}}}"#
        );
        for message in [invalid, unreadable] {
            let check = check_document(&message).expect("a School");
            let lines = check.report_lines();
            assert_eq!(lines.len(), 1, "{check:?}");
            assert!(!lines[0].contains(char::is_control), "{:?}", lines[0]);
            assert!(lines[0].contains("]52;c;aGk="), "{:?}", lines[0]);
        }
    }

    #[test]
    fn whole_sample_as_full_messages() {
        let mut summary = Summary::default();
        let mut lines = Vec::new();
        let mut unreadable_ids = Vec::new();
        for message in sample() {
            if let Some(check) = check_document(message) {
                summary.record(&check);
                lines.extend(
                    check
                        .report_lines()
                        .into_iter()
                        .filter(|l| l.starts_with('❌')),
                );
                if let SchoolCheck::Unreadable { id, .. } = &check {
                    unreadable_ids.push(id.clone());
                }
            }
        }
        assert_eq!(
            summary,
            Summary {
                checked: 19,
                invalid: 6,
                unreadable: 2
            }
        );
        assert_eq!(lines, expected_invalid_lines());
        assert_eq!(
            unreadable_ids,
            vec![
                Some("eb43bd5f-9f42-4494-89b3-62efc9dff524".to_owned()),
                Some("b40645e4-1358-4a72-97d3-5f3bcb0b6083".to_owned()),
            ]
        );
        assert_eq!(
            summary.to_string(),
            "checked 19 schools: 6 invalid categories, 2 unreadable"
        );
    }

    #[test]
    fn whole_sample_as_view_rows() {
        let mut summary = Summary::default();
        let mut lines = Vec::new();
        let mut unreadable_ids = Vec::new();
        for text in sample().filter_map(edfidoc_text) {
            let check = check_school(&text);
            summary.record(&check);
            if let SchoolCheck::Unreadable { id, .. } = &check {
                unreadable_ids.push(id.clone());
            } else {
                lines.extend(check.report_lines());
            }
        }
        assert_eq!(summary.checked, 19);
        assert_eq!(summary.invalid, 6);
        assert_eq!(summary.unreadable, 2);
        assert_eq!(lines, expected_invalid_lines());
        // The truncated document still gives its id away.
        assert_eq!(
            unreadable_ids,
            vec![
                Some("eb43bd5f-9f42-4494-89b3-62efc9dff524".to_owned()),
                Some("b40645e4-1358-4a72-97d3-5f3bcb0b6083".to_owned()),
            ]
        );
    }

    #[test]
    fn sample_details() {
        let checks: Vec<SchoolCheck> = sample().filter_map(check_document).collect();
        // 255901006 has School + Other: one report.
        assert!(checks.contains(&SchoolCheck::Invalid {
            school_id: "255901006".to_owned(),
            bad: vec!["uri://ed-fi.org/EducationOrganizationCategoryDescriptor#Other".to_owned()],
        }));
        // The unicode school passes; the deleted school is not checked.
        assert!(checks.contains(&SchoolCheck::Valid {
            school_id: "255903018".to_owned()
        }));
        let valid_14 = SchoolCheck::Valid {
            school_id: "255902014".to_owned(),
        };
        assert_eq!(checks.iter().filter(|c| **c == valid_14).count(), 1);
        // The update of 255902015 is checked again.
        let valid_15 = SchoolCheck::Valid {
            school_id: "255902015".to_owned(),
        };
        assert_eq!(checks.iter().filter(|c| **c == valid_15).count(), 2);
        match &checks
            .iter()
            .find(|c| matches!(c, SchoolCheck::Unreadable { .. }))
        {
            Some(SchoolCheck::Unreadable { reason, .. }) => {
                assert_eq!(
                    reason,
                    "School 255903016 has no educationOrganizationCategories"
                )
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn invalid_line_format() {
        assert_eq!(
            invalid_line("255901004", "uri://x#Other"),
            "❌ School 255901004 has invalid category uri://x#Other"
        );
    }

    #[test]
    fn school_id_as_it_appears() {
        let doc = r##"{"id":"u1","schoolId":"ABC-1","educationOrganizationCategories":[{"educationOrganizationCategoryDescriptor":"x#Other"}]}"##;
        assert_eq!(
            check_school(doc).report_lines(),
            vec!["❌ School ABC-1 has invalid category x#Other".to_owned()]
        );
        let doc = r##"{"schoolId":12,"educationOrganizationCategories":[]}"##;
        assert_eq!(
            check_school(doc),
            SchoolCheck::Valid {
                school_id: "12".to_owned()
            }
        );
    }

    #[test]
    fn suffix_is_case_sensitive() {
        let doc = r##"{"schoolId":1,"educationOrganizationCategories":[{"educationOrganizationCategoryDescriptor":"uri://ed-fi.org/X#school"}]}"##;
        assert!(matches!(check_school(doc), SchoolCheck::Invalid { .. }));
    }

    #[test]
    fn unreadable_documents() {
        let cases = [
            ("", None, "the document is empty"),
            ("not json", None, "not valid JSON"),
            ("[1,2]", None, "expected a JSON object, found an array"),
            (
                r#"{"id":"u2","educationOrganizationCategories":[]}"#,
                Some("u2"),
                "no schoolId",
            ),
            (
                r#"{"id":"u3","schoolId":true,"educationOrganizationCategories":[]}"#,
                Some("u3"),
                "schoolId is a boolean, expected a number",
            ),
            (
                r#"{"schoolId":5,"educationOrganizationCategories":{"a":1}}"#,
                None,
                "School 5: educationOrganizationCategories is an object, expected an array",
            ),
            (
                r#"{"schoolId":5,"educationOrganizationCategories":[{"x":1}]}"#,
                None,
                "School 5: category 1 has no educationOrganizationCategoryDescriptor string",
            ),
            (
                r#"{"schoolId":5,"educationOrganizationCategories":[{"educationOrganizationCategoryDescriptor":null}]}"#,
                None,
                "category 1 has no",
            ),
            (
                r#"{"id": "trunc-1", "schoolId": 7, "nameOfInstitution": "Trunc"#,
                Some("trunc-1"),
                "not valid JSON",
            ),
            (
                r#""{\"id\": \"s-1\", \"schoolId\": 7""#,
                Some("s-1"),
                "a JSON string that does not hold valid JSON",
            ),
        ];
        for (text, want_id, want_reason) in cases {
            match check_school(text) {
                SchoolCheck::Unreadable { id, reason } => {
                    assert_eq!(id.as_deref(), want_id, "{text}");
                    assert!(reason.contains(want_reason), "{text}: {reason}");
                }
                other => panic!("{text}: expected unreadable, got {other:?}"),
            }
        }
    }

    #[test]
    fn document_in_a_json_string_is_unwrapped() {
        let doc = r##""{\"schoolId\": 9, \"educationOrganizationCategories\": [{\"educationOrganizationCategoryDescriptor\": \"a#School\"}]}""##;
        assert_eq!(
            check_school(doc),
            SchoolCheck::Valid {
                school_id: "9".to_owned()
            }
        );
    }

    #[test]
    fn check_document_filters() {
        let school = |deleted: &str| {
            format!(
                r##"{{"documentuuid":"d-1","resourcename":"School","edfidoc":{{"id":"d-1","schoolId":3,"educationOrganizationCategories":[{{"educationOrganizationCategoryDescriptor":"a#School"}}]}},"__deleted":{deleted}}}"##
            )
        };
        assert_eq!(
            check_document(&school("\"false\"")),
            Some(SchoolCheck::Valid {
                school_id: "3".to_owned()
            })
        );
        assert_eq!(check_document(&school("\"true\"")), None);
        assert_eq!(check_document(&school("true")), None);
        assert!(check_document(&school("false")).is_some());
        assert_eq!(
            check_document(r#"{"resourcename":"Student","edfidoc":{}}"#),
            None
        );
        assert_eq!(check_document("garbage"), None);
        assert_eq!(check_document("[]"), None);
        assert_eq!(
            check_document(r#"{"documentuuid":"d-2","resourcename":"School","__deleted":"false"}"#),
            Some(SchoolCheck::Unreadable {
                id: Some("d-2".to_owned()),
                reason: "the message has no edfidoc".to_owned()
            })
        );
        match check_document(r#"{"documentuuid":"d-3","resourcename": "School","edfidoc":{"#) {
            Some(SchoolCheck::Unreadable { id, reason }) => {
                assert_eq!(id.as_deref(), Some("d-3"));
                assert!(
                    reason.starts_with("the message is not valid JSON"),
                    "{reason}"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn summary_counts_categories() {
        let mut summary = Summary::default();
        summary.record(&SchoolCheck::Invalid {
            school_id: "1".to_owned(),
            bad: vec!["a".to_owned(), "b".to_owned()],
        });
        summary.record(&SchoolCheck::Valid {
            school_id: "2".to_owned(),
        });
        summary.record(&SchoolCheck::Unreadable {
            id: None,
            reason: "x".to_owned(),
        });
        assert_eq!(
            summary.to_string(),
            "checked 3 schools: 2 invalid categories, 1 unreadable"
        );
    }

    #[test]
    fn unreadable_line_format() {
        assert_eq!(
            unreadable_line(Some("u"), "no schoolId"),
            "⚠ School document u is unreadable: no schoolId"
        );
        assert_eq!(
            unreadable_line(None, "r"),
            "⚠ School document (no id found) is unreadable: r"
        );
    }

    #[test]
    fn scan_handles_escapes_and_non_strings() {
        assert_eq!(
            scan_string_field(r#"{"id": 5, "x": {"id" : "a\"b"}}"#, "id").as_deref(),
            Some(r#"a\"b"#)
        );
        assert_eq!(scan_string_field(r#"{"id": ""}"#, "id"), None);
        assert_eq!(scan_string_field(r#"{"id": "unterminated"#, "id"), None);
    }
}
