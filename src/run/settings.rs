//! Session settings (`:set`, the config file's `[settings]`): checked by the server before they are kept, then sent with every query, or as `SET` statements to servers before revision 54429, which cannot take settings per query. The shell and batch mode both go through here.

use crate::sql;
use crate::wire::protocol::REV_SETTINGS_AS_STRINGS;
use crate::wire::{self, Connection};

/// The session settings, in the order they were first set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionSettings {
    list: Vec<(String, String)>,
}

impl SessionSettings {
    /// Settings taken as they are (the config file's); [`SessionSettings::apply`] sends them
    /// to a server that needs `SET`s.
    pub fn new(list: Vec<(String, String)>) -> SessionSettings {
        let mut s = SessionSettings::default();
        for (name, value) in list {
            s.put(name, value);
        }
        s
    }

    /// What every query carries. Servers before 54429 ignore it (see [`SessionSettings::apply`]).
    pub fn per_query(&self) -> &[(String, String)] {
        &self.list
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Add or replace `name` once the server accepts the value: a `SELECT 1` carrying the
    /// settings with the new value, or on a server before 54429 the `SET` itself. A refused
    /// value is not kept, and the server's error is returned.
    pub async fn set(
        &mut self,
        conn: &mut Connection,
        name: &str,
        value: &str,
    ) -> Result<(), wire::Error> {
        let mut trial = self.clone();
        trial.put(name.to_string(), value.to_string());
        if needs_set_statements(conn) {
            conn.execute(&sql::set_statement(name, value), &[]).await?;
        } else {
            conn.execute("SELECT 1", trial.per_query()).await?;
        }
        *self = trial;
        Ok(())
    }

    /// Stop sending `name`; false if it was not set. A server before 54429 keeps the value it
    /// was sent until its session ends (it has no way to reset one setting).
    pub fn unset(&mut self, name: &str) -> bool {
        let before = self.list.len();
        self.list.retain(|(k, _)| k != name);
        self.list.len() != before
    }

    /// Bring a new server session up to date: a server before 54429 gets every setting as a
    /// `SET` statement (others take them with each query). Returns the settings it refused,
    /// with its errors; they stay set.
    pub async fn apply(&self, conn: &mut Connection) -> Vec<(String, wire::Error)> {
        let mut refused = Vec::new();
        if !needs_set_statements(conn) {
            return refused;
        }
        for (name, value) in &self.list {
            if let Err(e) = conn.execute(&sql::set_statement(name, value), &[]).await {
                refused.push((name.clone(), e));
            }
        }
        refused
    }

    fn put(&mut self, name: String, value: String) {
        match self.list.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => self.list.push((name, value)),
        }
    }
}

impl<'a> IntoIterator for &'a SessionSettings {
    type Item = &'a (String, String);
    type IntoIter = std::slice::Iter<'a, (String, String)>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

/// What the shell and batch mode say after the server's error when `:set` did not take.
pub fn not_set(name: &str, value: &str) -> String {
    format!("{name} is not set to `{value}`")
}

/// Servers before 54429 read per-query settings in a binary form we do not write.
fn needs_set_statements(conn: &Connection) -> bool {
    conn.revision() < REV_SETTINGS_AS_STRINGS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_values_replace_earlier_ones_in_place() {
        let mut s = SessionSettings::new(vec![
            ("a".into(), "1".into()),
            ("b".into(), "2".into()),
            ("a".into(), "3".into()),
        ]);
        assert_eq!(
            s.per_query(),
            [("a".into(), "3".into()), ("b".into(), "2".into())]
        );
        assert!(s.unset("a"));
        assert!(!s.unset("a"));
        assert_eq!(s.per_query(), [("b".into(), "2".into())]);
    }
}
