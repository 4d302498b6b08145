//! Harness for the demo-macro tests (fixture and live): run a macro with captured output and stop it when its output says so.
