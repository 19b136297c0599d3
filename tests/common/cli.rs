//! Running the `hoare` binary from integration tests (shared by several test
//! crates; each uses only some of these).
#![allow(dead_code)]

use std::process::{Command, Output};

/// Runs `hoare ARGS...` in the crate root.
pub fn hoare(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hoare"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the hoare binary runs")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output parsed as one JSON document.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}
