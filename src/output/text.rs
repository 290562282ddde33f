//! Free text from the user's files (scenario, region and design names, descriptions,
//! file names) on its way out. A terminal obeys control characters (ESC starts a
//! command sequence, BEL rings), and XML forbids them outright, so such text never
//! leaves raw: on a terminal each shows as a `\u{..}` escape, in a file as the visible
//! Unicode "control picture" (U+2400 block) or the replacement character.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal raw: C0 controls other than newline and tab,
/// DEL, and the C1 controls (some terminals read U+009B as a command start).
fn unsafe_on_terminal(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || ('\u{80}'..='\u{9f}').contains(&c)
}

/// `s` with every control character but newline and tab written as `\u{1b}`.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_on_terminal) {
        return Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_on_terminal(c) {
            o.push_str(&c.escape_unicode().to_string());
        } else {
            o.push(c);
        }
    }
    Cow::Owned(o)
}

/// The character written to a file in place of `c`, when `c` may not appear there: C0
/// controls but newline and tab (XML 1.0 forbids them, even as references) become their
/// control picture, DEL too; C1 controls and noncharacters XML forbids become U+FFFD.
pub fn file_char(c: char) -> Option<char> {
    match c {
        '\n' | '\t' => None,
        '\0'..='\u{1f}' => char::from_u32(0x2400 + c as u32),
        '\u{7f}' => Some('\u{2421}'),
        '\u{80}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}' => Some('\u{fffd}'),
        _ => None,
    }
}

/// `s` with every character a file must not hold replaced (see `file_char`).
pub fn file(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| file_char(c).is_some()) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(|c| file_char(c).unwrap_or(c)).collect())
}

/// `s` for a single line of a file: like `file`, and newline and tab too become their
/// control pictures.
pub fn line(s: &str) -> Cow<'_, str> {
    let bad = |c: char| c == '\n' || c == '\t' || file_char(c).is_some();
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let pictured = |c: char| match c {
        '\n' | '\t' => char::from_u32(0x2400 + c as u32).unwrap_or(c),
        c => file_char(c).unwrap_or(c),
    };
    Cow::Owned(s.chars().map(pictured).collect())
}

/// `s` as one word of a POSIX shell command: as it is when it holds only characters
/// no shell treats specially, else in single quotes (a `'` inside written `'\''`). A
/// replay command gameday prints is pasted into a shell: a scenario path with a space,
/// a `;` or a newline must stay one argument, never become a second command.
pub fn shell_word(s: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(format!("'{}'", s.replace('\'', "'\\''")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_leave_raw() {
        let s = "a\u{1b}[31mb\u{7}\r\n\tc\u{9b}d\0";
        let t = terminal(s);
        assert_eq!(t, "a\\u{1b}[31mb\\u{7}\\u{d}\n\tc\\u{9b}d\\u{0}");
        let f = file(s);
        assert_eq!(f, "a\u{241b}[31mb\u{2407}\u{240d}\n\tc\u{fffd}d\u{2400}");
        assert!(matches!(terminal("plain text"), Cow::Borrowed(_)));
        assert!(matches!(file("plain text\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_path_stays_one_shell_word() {
        assert_eq!(shell_word("scenarios/a-b_c.json"), "scenarios/a-b_c.json");
        assert_eq!(shell_word("my drill.json"), "'my drill.json'");
        assert_eq!(shell_word("x;rm -rf ~\n.json"), "'x;rm -rf ~\n.json'");
        assert_eq!(shell_word("it's.json"), "'it'\\''s.json'");
        assert_eq!(shell_word(""), "''");
    }
}
