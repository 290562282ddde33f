//! Jepsen's register log lines, as the early Jepsen tests printed them and Porcupine's
//! etcd corpus keeps them:
//!
//! ```text
//! INFO  jepsen.util - 3 :invoke :cas [1 4]
//! INFO  jepsen.util - 3 :fail :cas [1 4]
//! ```
//!
//! The original separates the fields with tabs; any whitespace will do. A line is an
//! operation event when, somewhere in it, a process number is followed by a type
//! (`:invoke :ok :fail :info`), a function (`:read :write :cas`) and a value (`nil`, an
//! integer, `[expected new]` or `:timed-out`); lines of any other shape are ignored. A malformed value on an event
//! line is an error, never a skipped line.
//!
//! Meaning: `:fail :cas` is a cas that ran and found the register differing from the
//! expected value; a `:timed-out` value or `:info` leaves the outcome unknown; any other
//! `:fail` did not happen.

use super::{Func, History, NilRead, Outcome, ParseError, ProcessId, Value};

/// Parses a Jepsen log. `nil_read` says what a `nil` read result means (Jepsen's register
/// logs: the register was absent).
pub fn parse_history(text: &str, nil_read: NilRead) -> Result<History, ParseError> {
    let mut h = History::new();
    h.nil_read = nil_read;
    let mut tokens: Vec<&str> = Vec::with_capacity(16);
    for (i, line) in text.lines().enumerate() {
        let line_no = (i + 1) as u32;
        tokens.clear();
        tokens.extend(line.split_whitespace());
        let Some(j) = event_at(&tokens) else { continue };
        add_event(&mut h, &tokens[j..], line_no)?;
    }
    Ok(h)
}

/// Where the event fields start: a process number, then a type, then a function.
fn event_at(tokens: &[&str]) -> Option<usize> {
    (0..tokens.len().saturating_sub(2)).find(|&j| {
        tokens[j].parse::<u64>().is_ok()
            && matches!(tokens[j + 1], ":invoke" | ":ok" | ":fail" | ":info")
            && matches!(tokens[j + 2], ":read" | ":write" | ":cas")
    })
}

fn add_event(h: &mut History, t: &[&str], line: u32) -> Result<(), ParseError> {
    let err = |msg: String| ParseError::new(line, msg);
    let process = ProcessId(t[0].parse::<u64>().expect("event_at checked the process"));
    let f = Func::from_name(&t[2][1..]).expect("event_at checked the function");
    let raw = t[3..].join(" ");
    let value = parse_value(&raw).ok_or_else(|| {
        err(format!(
            "bad value {raw:?} for {} {} (valid: nil, an integer, [expected new], :timed-out)",
            t[1], t[2]
        ))
    })?;
    let timed_out = matches!(value, Value::Keyword(_));
    let result = match t[1] {
        ":invoke" => {
            let fits = match f {
                Func::Cas => matches!(&value, Value::List(v) if v.len() == 2),
                _ => !timed_out,
            };
            if !fits {
                let want = if f == Func::Cas { "[expected new]" } else { "nil or an integer" };
                return Err(err(format!("bad value {raw:?} for :invoke {} (valid: {want})", t[2])));
            }
            h.invoke_at(process, f, None, value, None, line).map(|_| ())
        }
        ":ok" if timed_out => return Err(err(format!("an :ok {} cannot be :timed-out", t[2]))),
        ":ok" => {
            let output = if f == Func::Read { Some(value) } else { None };
            h.complete_at(process, Some(f), Outcome::Ok, output, None, line).map(|_| ())
        }
        ":info" => h.complete_at(process, Some(f), Outcome::Info, None, None, line).map(|_| ()),
        _ if timed_out => {
            h.complete_at(process, Some(f), Outcome::Info, None, None, line).map(|_| ())
        }
        _ if f == Func::Cas => {
            let output = Some(Value::Bool(false));
            h.complete_at(process, Some(f), Outcome::Ok, output, None, line).map(|_| ())
        }
        _ => h.complete_at(process, Some(f), Outcome::Fail, None, None, line).map(|_| ()),
    };
    result.map_err(|e| err(e.to_string()))
}

/// `nil`, an integer, `[a b]` of integers (or nil), or a keyword such as `:timed-out`.
fn parse_value(s: &str) -> Option<Value> {
    let scalar = |s: &str| -> Option<Value> {
        if s == "nil" {
            Some(Value::Nil)
        } else {
            s.parse::<i64>().ok().map(Value::Int)
        }
    };
    if let Some(inner) = s.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        let items: Option<Vec<Value>> = inner.split_whitespace().map(scalar).collect();
        return items.filter(|v| v.len() == 2).map(Value::List);
    }
    if let Some(k) = s.strip_prefix(':') {
        if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Some(Value::Keyword(k.to_string()));
        }
        return None;
    }
    scalar(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_spaces_and_other_lines() {
        let text = "INFO  jepsen.core - Worker 0 starting\n\
                    INFO  jepsen.util - 3\t:invoke\t:cas\t[1 4]\n\
                    INFO jepsen.util - 3 :fail :cas [1 4]\n\
                    INFO  jepsen.util - 0\t:invoke\t:read\tnil\n\
                    INFO  jepsen.util - 0\t:fail\t:read\t:timed-out\n\
                    garbage line\n";
        let h = parse_history(text, NilRead::Absent).unwrap();
        assert_eq!(h.ops().len(), 2);
        assert!(h.ops()[0].is_failed_compare());
        assert_eq!(h.ops()[0].invoke.line, 2);
        assert_eq!(h.ops()[1].outcome(), Outcome::Info);
    }

    #[test]
    fn a_bad_value_on_an_event_line_is_an_error() {
        let e =
            parse_history("INFO jepsen.util - 3 :invoke :cas [1\n", NilRead::Absent).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.msg.contains("bad value"), "{e}");
        let e =
            parse_history("x\nINFO jepsen.util - 3 :ok :read 1\n", NilRead::Absent).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.msg.contains("never invoked"), "{e}");
    }
}
