//! The server session as the shell's statements left it (SQL `SET`s, temporary tables; the database lives in the connect options), and putting it back when a reconnect lands in a new one.

use crate::run::SessionSettings;
use crate::sql::SessionEffect;
use crate::wire::Connection;

/// What the user's statements put in the server session besides the database.
#[derive(Debug, Default)]
pub(super) struct ServerSession {
    /// SQL `SET` assignments that succeeded: the latest per setting, in the order run.
    sets: Vec<(String, String)>,
    /// Temporary tables created, and not dropped, in this server session.
    temp_tables: Vec<String>,
    /// The connection's `server_session()` this state is in. `None` until the first statement
    /// and after the connection was replaced (a new connection counts from 0 again).
    serial: Option<u64>,
}

impl ServerSession {
    /// Note what a statement that succeeded changed (`USE` is the caller's business).
    pub fn note(&mut self, effect: &SessionEffect) {
        match effect {
            SessionEffect::Use(_) => {}
            SessionEffect::Set(assignments) => {
                for (name, text) in assignments {
                    self.sets.retain(|(k, _)| k != name);
                    self.sets.push((name.clone(), text.clone()));
                }
            }
            SessionEffect::CreateTemporary(name) => {
                if !self.temp_tables.contains(name) {
                    self.temp_tables.push(name.clone());
                }
            }
            SessionEffect::DropTable(name) => self.temp_tables.retain(|t| t != name),
        }
    }

    /// The slot got another connection: its server session is a new one.
    pub fn replaced(&mut self) {
        self.serial = None;
    }

    /// Whether `conn` is in another server session than the one this state describes.
    pub fn is_new(&self, conn: &Connection) -> bool {
        self.serial != Some(conn.server_session())
    }

    /// Put back in `conn`'s new server session what can be: the `:set` settings (as `SET`s on
    /// servers that need them), then the SQL `SET`s, in order. Returns what could not be put
    /// back, each said once: refused `SET`s (forgotten) and temporary tables (gone).
    pub async fn restore(
        &mut self,
        conn: &mut Connection,
        settings: &SessionSettings,
    ) -> Vec<String> {
        let mut lost = Vec::new();
        for (name, e) in settings.apply(conn).await {
            lost.push(format!("the server refused `:set {name}` ({e})"));
        }
        let mut kept = Vec::new();
        for (name, text) in std::mem::take(&mut self.sets) {
            match conn.execute(&format!("SET {text}"), &[]).await {
                Ok(_) => kept.push((name, text)),
                Err(e) => lost.push(format!("the server refused `SET {name}` ({e})")),
            }
        }
        self.sets = kept;
        match self.temp_tables.len() {
            0 => {}
            1 => lost.push(format!("temporary table {} is gone", self.temp_tables[0])),
            _ => lost.push(format!(
                "temporary tables {} are gone",
                self.temp_tables.join(", ")
            )),
        }
        self.temp_tables.clear();
        self.serial = Some(conn.server_session());
        lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_keep_the_latest_set_per_setting_and_live_temporary_tables() {
        let mut s = ServerSession::default();
        let set = |n: &str, t: &str| SessionEffect::Set(vec![(n.into(), t.into())]);
        s.note(&set("a", "a = 1"));
        s.note(&set("b", "b = 2"));
        s.note(&set("a", "a = 3"));
        assert_eq!(
            s.sets,
            [("b".into(), "b = 2".into()), ("a".into(), "a = 3".into())]
        );
        s.note(&SessionEffect::CreateTemporary("t".into()));
        s.note(&SessionEffect::CreateTemporary("u".into()));
        s.note(&SessionEffect::CreateTemporary("t".into()));
        s.note(&SessionEffect::DropTable("u".into()));
        assert_eq!(s.temp_tables, ["t"]);
    }
}
