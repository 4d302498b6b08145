//! The shared test harness: temp dirs, the hermetic command for the real binary, server addresses, output capture.

pub mod fixture;
