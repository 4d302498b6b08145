//! Keys that arrive in a burst (a paste the terminal did not bracket, keys typed ahead): there Tab is a tab and Enter ends the line, and none of the burst is left unread.
//!
//! Reedline reads every key already waiting as one batch, parses the batch (one
//! [`EditMode::parse_event`] per key), and then asks for the mode ([`EditMode::edit_mode`])
//! before it acts on any of it: that first question marks where a batch ends. A key is in a
//! burst when it is not the first of its batch, or when more input was already waiting as
//! the batch before it ended (a paste goes on past each Enter it holds).

use crate::run;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use reedline::{EditCommand, EditMode, PromptEditMode, ReedlineEvent, ReedlineRawEvent};
use std::cell::Cell;
use std::time::Duration;

/// Key bindings (`inner`) that know a typed key from one in a burst.
///
/// In a burst a Tab inserts a tab, as a bracketed paste would, instead of opening the
/// completion menu (which would take the rest of the paste as a filter and its Enter as a
/// pick), and Enter first closes any menu, so that it ends the line.
pub struct BurstKeys<M> {
    inner: M,
    /// Whether input waits beyond the batch just parsed.
    waiting: fn() -> bool,
    /// A batch is being parsed (no `edit_mode` call since its first key).
    in_batch: Cell<bool>,
    /// Input was waiting when the last batch ended.
    after_burst: Cell<bool>,
}

impl<M: EditMode> BurstKeys<M> {
    /// Bindings that ask the terminal whether input waits ([`input_waiting`]).
    pub fn new(inner: M) -> Self {
        Self::with_probe(inner, input_waiting)
    }

    fn with_probe(inner: M, waiting: fn() -> bool) -> Self {
        BurstKeys {
            inner,
            waiting,
            in_batch: Cell::new(false),
            after_burst: Cell::new(false),
        }
    }
}

/// Whether keys wait that reedline has not taken yet: in the key reader's queue, or unread
/// in the terminal (which is then told to announce them, see
/// [`run::announce_unread_input`]).
fn input_waiting() -> bool {
    let unread = run::announce_unread_input();
    unread || crossterm::event::poll(Duration::ZERO).unwrap_or(false)
}

fn is_key(event: &Event, key: KeyCode) -> bool {
    matches!(event, Event::Key(KeyEvent { code, modifiers: KeyModifiers::NONE, .. }) if *code == key)
}

impl<M: EditMode> EditMode for BurstKeys<M> {
    fn parse_event(&mut self, event: ReedlineRawEvent) -> ReedlineEvent {
        let burst = self.in_batch.replace(true) || self.after_burst.get();
        if !burst {
            return self.inner.parse_event(event);
        }
        let event = Event::from(event);
        if is_key(&event, KeyCode::Tab) {
            return ReedlineEvent::Edit(vec![EditCommand::InsertChar('\t')]);
        }
        let enter = is_key(&event, KeyCode::Enter);
        let Ok(raw) = ReedlineRawEvent::try_from(event) else {
            return ReedlineEvent::None;
        };
        let parsed = self.inner.parse_event(raw);
        if enter {
            ReedlineEvent::Multiple(vec![ReedlineEvent::Esc, parsed])
        } else {
            parsed
        }
    }

    fn edit_mode(&self) -> PromptEditMode {
        if self.in_batch.replace(false) {
            self.after_burst.set((self.waiting)());
        }
        self.inner.edit_mode()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reedline::{default_emacs_keybindings, Emacs};
    use std::sync::atomic::{AtomicBool, Ordering};

    const TAB: &[u8] = b"\t";

    fn complete() -> ReedlineEvent {
        ReedlineEvent::Menu("completion_menu".into())
    }

    fn keys(waiting: fn() -> bool) -> BurstKeys<Emacs> {
        let mut bindings = default_emacs_keybindings();
        bindings.add_binding(KeyModifiers::NONE, KeyCode::Tab, complete());
        BurstKeys::with_probe(Emacs::new(bindings), waiting)
    }

    fn key(c: u8) -> ReedlineRawEvent {
        let code = match c {
            b'\t' => KeyCode::Tab,
            b'\r' => KeyCode::Enter,
            c => KeyCode::Char(c as char),
        };
        ReedlineRawEvent::try_from(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))).unwrap()
    }

    /// Parse one batch the way reedline does: every key, then the mode.
    fn batch(k: &mut BurstKeys<Emacs>, bytes: &[u8]) -> Vec<ReedlineEvent> {
        let out = bytes.iter().map(|&b| k.parse_event(key(b))).collect();
        let _ = k.edit_mode();
        out
    }

    fn never() -> bool {
        false
    }

    #[test]
    fn a_tab_alone_completes_and_a_tab_in_a_burst_is_text() {
        let mut k = keys(never);
        assert_eq!(batch(&mut k, TAB), vec![complete()]);
        let events = batch(&mut k, b"a\tb");
        assert_eq!(
            events[1],
            ReedlineEvent::Edit(vec![EditCommand::InsertChar('\t')])
        );
        // Batch over, nothing waiting: the next Tab typed completes again.
        assert_eq!(batch(&mut k, TAB), vec![complete()]);
    }

    #[test]
    fn enter_in_a_burst_closes_the_menu_first() {
        let mut k = keys(never);
        let alone = batch(&mut k, b"\r").remove(0);
        assert!(!matches!(alone, ReedlineEvent::Multiple(_)), "{alone:?}");
        let events = batch(&mut k, b"1;\r");
        assert_eq!(
            events[2],
            ReedlineEvent::Multiple(vec![ReedlineEvent::Esc, alone])
        );
    }

    static WAITING: AtomicBool = AtomicBool::new(false);

    fn probe() -> bool {
        WAITING.load(Ordering::SeqCst)
    }

    #[test]
    fn a_batch_after_one_that_left_input_waiting_is_still_the_burst() {
        let mut k = keys(probe);
        // A paste's first line ends a batch at its Enter with the rest still waiting.
        WAITING.store(true, Ordering::SeqCst);
        batch(&mut k, b"SELECT 1,\r");
        WAITING.store(false, Ordering::SeqCst);
        let events = batch(&mut k, b"\t2;\r");
        assert_eq!(
            events[0],
            ReedlineEvent::Edit(vec![EditCommand::InsertChar('\t')])
        );
        // The burst has ended: a Tab typed now completes.
        assert_eq!(batch(&mut k, TAB), vec![complete()]);
    }
}
