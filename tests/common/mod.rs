//! What the integration tests share: running the `gameday` binary as a user would.

use std::process::Command;

/// Runs `gameday ARGS...`; returns its exit code, stdout and stderr.
#[allow(dead_code)]
pub fn gameday(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gameday")).args(args).output().expect("binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Rust debug names in user-facing text: a type's name with a parenthesised or braced
/// payload (`SimDuration(2000000)`, `SemiSync { acks: 1 }`, `Some(3)`), or a CamelCase
/// variant name (`ActivePassive`). Returns each one found, with some context.
#[allow(dead_code)]
pub fn debug_names(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if !(starts_word && bytes[i].is_ascii_uppercase()) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
            j += 1;
        }
        let word = &text[i..j];
        let inner_capital = word[1..].chars().any(|c| c.is_ascii_uppercase())
            && word.chars().any(|c| c.is_ascii_lowercase());
        let rest = &text[j..];
        let payload = rest.starts_with('(') || rest.starts_with(" { ");
        let known = ["JUnit", "JavaScript", "GitHub", "GitLab", "TrueTime", "PostgreSQL", "MySQL"];
        if (inner_capital && !known.contains(&word)) || (payload && word.len() > 1) {
            let end = (j + 24).min(text.len());
            let end = (end..=text.len()).find(|&e| text.is_char_boundary(e)).unwrap_or(j);
            found.push(text[i..end].to_string());
        }
        i = j;
    }
    found
}
