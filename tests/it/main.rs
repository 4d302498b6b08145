//! The one integration-test binary: shared harness in `support`, one module per area.

mod support;

mod batch_cli;
mod chart;
mod demos_fixture;
mod demos_live;
mod fixture_selftest;
mod flavour;
mod format_fidelity;
mod live_proton;
mod polish;
mod proton3;
mod redesign;
mod render_formats;
mod shell_input;
mod shell_pty;
mod snippets;
mod streaming_strip;
mod tee;
mod wire_clickhouse;
mod wire_fixture;
mod wire_hostile;
mod wire_vectors;
