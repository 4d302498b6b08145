//! The completion menu: reedline's columnar menu, except that a Tab which extends the word does not also move the highlight.
//!
//! With the menu open, reedline's Tab (`MenuNext`) first extends the word by what the
//! candidates share and then selects the next candidate. After `system.nu` Tab the line
//! showed `system.numbers` with `numbers_mt` highlighted, and Enter inserted `numbers_mt`.
//! Here a Tab does one of the two: it extends the word (the first candidate stays
//! highlighted, so the line and the highlight agree), or, when there is nothing to extend,
//! it moves to the next candidate.

use reedline::{
    ColumnarMenu, Completer, Editor, Menu, MenuEvent, MenuSettings, Painter, Suggestion,
};

/// [`ColumnarMenu`] whose `NextElement` is dropped right after a partial completion that
/// extended the word.
pub struct CompletionMenu {
    inner: ColumnarMenu,
    /// The last thing asked of the menu was a partial completion, and it extended the word.
    just_extended: bool,
}

impl CompletionMenu {
    pub fn new(inner: ColumnarMenu) -> Self {
        CompletionMenu {
            inner,
            just_extended: false,
        }
    }
}

impl Menu for CompletionMenu {
    fn settings(&self) -> &MenuSettings {
        self.inner.settings()
    }

    fn name(&self) -> &str {
        self.inner.name()
    }

    fn indicator(&self) -> &str {
        self.inner.indicator()
    }

    fn is_active(&self) -> bool {
        self.inner.is_active()
    }

    fn set_active(&mut self, active: bool) {
        self.inner.set_active(active)
    }

    fn clear_input(&mut self) {
        self.inner.clear_input()
    }

    fn on_activate(&mut self) {
        self.inner.on_activate()
    }

    fn on_deactivate(&mut self) {
        self.inner.on_deactivate()
    }

    fn handle_menu_event(&mut self, event: &MenuEvent) {
        self.inner.handle_menu_event(event)
    }

    fn menu_event(&mut self, event: MenuEvent) {
        let extended = std::mem::take(&mut self.just_extended);
        if extended && matches!(event, MenuEvent::NextElement) {
            return;
        }
        self.inner.menu_event(event)
    }

    fn can_quick_complete(&self) -> bool {
        self.inner.can_quick_complete()
    }

    fn can_partially_complete(
        &mut self,
        values_updated: bool,
        editor: &mut Editor,
        completer: &mut dyn Completer,
    ) -> bool {
        let extended = self
            .inner
            .can_partially_complete(values_updated, editor, completer);
        self.just_extended = extended;
        extended
    }

    fn update_values(&mut self, editor: &mut Editor, completer: &mut dyn Completer) {
        self.inner.update_values(editor, completer)
    }

    fn reset_position(&mut self) {
        self.inner.reset_position()
    }

    fn reload(&mut self, updated: bool, editor: &mut Editor, completer: &mut dyn Completer) {
        self.inner.reload(updated, editor, completer)
    }

    fn update_working_details(
        &mut self,
        editor: &mut Editor,
        completer: &mut dyn Completer,
        painter: &Painter,
    ) {
        self.inner
            .update_working_details(editor, completer, painter)
    }

    fn replace_in_buffer(&self, editor: &mut Editor) {
        self.inner.replace_in_buffer(editor)
    }

    fn menu_required_lines(&self, terminal_columns: u16) -> u16 {
        self.inner.menu_required_lines(terminal_columns)
    }

    fn menu_string(&self, available_lines: u16, use_ansi_coloring: bool) -> String {
        self.inner.menu_string(available_lines, use_ansi_coloring)
    }

    fn min_rows(&self) -> u16 {
        self.inner.min_rows()
    }

    fn get_values(&self) -> &[Suggestion] {
        self.inner.get_values()
    }

    fn results_are_provisional(&self) -> bool {
        self.inner.results_are_provisional()
    }

    fn is_awaiting_first_answer(&self) -> bool {
        self.inner.is_awaiting_first_answer()
    }

    fn is_visible(&self) -> bool {
        self.inner.is_visible()
    }

    fn set_cursor_pos(&mut self, pos: (u16, u16)) {
        self.inner.set_cursor_pos(pos)
    }
}
