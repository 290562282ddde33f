//! JSON text to `ScenarioFile`, with serde's errors rewritten for people who write
//! scenarios rather than Rust: field paths, JSON type names, and what would be valid.

use super::super::file::ScenarioFile;
use super::super::ScenarioError;
use crate::field::closest;

/// JSON text to `ScenarioFile`, with serde's errors rewritten for people who write
/// scenarios rather than Rust: field paths, JSON type names, and what would be valid.
pub(super) fn parse(file: &str, text: &str) -> Result<ScenarioFile, ScenarioError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let raw: ScenarioFile =
        serde_path_to_error::deserialize(&mut *de).map_err(|e| serde_error(file, text, &e))?;
    // Without this, anything after the closing brace would be silently ignored.
    de.end().map_err(|e| syntax_error(file, &e))?;
    Ok(raw)
}

pub(super) fn syntax_error(file: &str, e: &serde_json::Error) -> ScenarioError {
    let raw = strip_position(&e.to_string());
    let msg = if let Some(what) = raw.strip_prefix("EOF while parsing ") {
        let what = if what == "a list" { "an array" } else { what };
        format!(
            "unexpected end of file while reading {what}; is the file cut short, or a bracket or quote left open?"
        )
    } else {
        match raw.as_str() {
            "trailing characters" => {
                "unexpected text after the scenario's closing brace; a file holds one JSON object"
                    .to_string()
            }
            "trailing comma" => {
                "trailing comma; JSON allows no comma after the last element".to_string()
            }
            "number out of range" => "number too large to represent".to_string(),
            _ => raw,
        }
    };
    ScenarioError::Syntax { file: file.to_string(), line: e.line(), column: e.column(), msg }
}

/// What is wrong with a document that was not read from text (a patched design): the
/// same messages as for a file, without positions.
pub(super) fn value_error(
    file: &str,
    e: &serde_path_to_error::Error<serde_json::Error>,
) -> ScenarioError {
    serde_error(file, "", e)
}

fn serde_error(
    file: &str,
    text: &str,
    e: &serde_path_to_error::Error<serde_json::Error>,
) -> ScenarioError {
    use serde_path_to_error::Segment;
    let inner = e.inner();
    let segments: Vec<Segment> = e.path().iter().cloned().collect();
    if inner.is_syntax() || inner.is_eof() {
        // serde_json reports a non-string where an enum belongs as a syntax error
        // ("expected value"), though the JSON is fine: tell the two apart.
        if !inner.is_syntax() || serde_json::from_str::<serde_json::Value>(text).is_err() {
            return syntax_error(file, inner);
        }
        let msg = match enum_expected(text, &segments) {
            Some((known, got)) => format!("expected a string, one of: {known}; got {got}"),
            None => "expected a string naming one of the allowed values".to_string(),
        };
        return ScenarioError::Invalid {
            file: file.to_string(),
            path: path_string(&segments),
            msg: format!("{msg} (line {}, column {})", inner.line(), inner.column()),
        };
    }
    let raw = strip_position(&inner.to_string());
    let mut segments = segments;
    // serde places a missing field at the end of its object, which misleads: the path
    // says where it belongs.
    let mut position = inner.line() > 0;
    let msg = if let Some(rest) = raw.strip_prefix("missing field ") {
        segments.push(Segment::Map { key: rest.trim_matches('`').to_string() });
        position = false;
        "required, but missing".to_string()
    } else if let Some(rest) = raw.strip_prefix("duplicate field ") {
        segments.push(Segment::Map { key: rest.trim_matches('`').to_string() });
        "given twice; keep one".to_string()
    } else if let Some((what, rest)) = raw
        .strip_prefix("unknown field ")
        .map(|r| ("field", r))
        .or_else(|| raw.strip_prefix("unknown variant ").map(|r| ("value", r)))
    {
        unknown_name(what, rest)
    } else if let Some(rest) =
        raw.strip_prefix("invalid type: ").or_else(|| raw.strip_prefix("invalid value: "))
    {
        match rest.rsplit_once(", expected ") {
            Some((got, expected)) => {
                format!("expected {}, got {}", json_expected(expected), json_got(got))
            }
            None => raw,
        }
    } else if let Some(rest) = raw.strip_prefix("invalid length ") {
        match rest.split_once(", expected ") {
            Some((_, expected)) => format!("expected {}, got an array", json_expected(expected)),
            None => raw,
        }
    } else {
        raw
    };
    let msg = if position {
        format!("{msg} (line {}, column {})", inner.line(), inner.column())
    } else {
        msg
    };
    ScenarioError::Invalid { file: file.to_string(), path: path_string(&segments), msg }
}

/// serde's "unknown field/variant `bad`, expected one of `a`, `b`" in plain words, with
/// the closest known name.
fn unknown_name(what: &str, rest: &str) -> String {
    // "`bad`, expected one of `a`, `b`": the bad name is the user's and may hold
    // anything, so split at the last ", expected ", after which only serde's names come.
    let (bad, known) = match rest.rsplit_once(", expected ") {
        Some((bad, known)) => (bad, backquoted(known)),
        None => (rest.split(", there are no ").next().unwrap_or(rest), Vec::new()),
    };
    let bad = bad.strip_prefix('`').and_then(|b| b.strip_suffix('`')).unwrap_or(bad);
    if known.is_empty() {
        format!("unknown {what} {bad:?}; nothing is allowed here")
    } else {
        let mut msg = format!("unknown {what} {bad:?}; known: {}", known.join(", "));
        if let Some(close) = closest(bad, known.iter().copied()) {
            msg.push_str(&format!("; did you mean {close:?}?"));
        }
        msg
    }
}

/// A field path as the validator writes it: `faults[1].region`, `workload.mix."account.read"`.
fn path_string(segments: &[serde_path_to_error::Segment]) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in segments {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    out.push_str(key);
                } else {
                    out.push_str(&format!("{key:?}"));
                }
            }
            Segment::Unknown => out.push_str(if out.is_empty() { "?" } else { ".?" }),
        }
    }
    if out.is_empty() {
        "(top level)".to_string()
    } else {
        out
    }
}

/// The names serde quotes in backticks: the bad one first, then the expected ones.
fn backquoted(msg: &str) -> Vec<&str> {
    msg.split('`').skip(1).step_by(2).collect()
}

/// Serde's and Rust's names for what was expected, as JSON names it.
fn json_expected(expected: &str) -> String {
    match expected {
        "u64" => "a whole number (0 or more)".to_string(),
        "u32" => format!("a whole number (0 to {})", u32::MAX),
        "i64" => "a whole number".to_string(),
        "f64" => "a number".to_string(),
        "a boolean" => "true or false".to_string(),
        "a sequence" => "an array".to_string(),
        "a map" => "an object".to_string(),
        "variant identifier" | "string or map" => "a string".to_string(),
        e if e.starts_with("struct ") => "an object".to_string(),
        e => e.to_string(),
    }
}

/// Serde's description of what was found, as JSON names it.
fn json_got(got: &str) -> String {
    match got {
        "sequence" => "an array".to_string(),
        "map" => "an object".to_string(),
        "unit value" => "null".to_string(),
        g => {
            for prefix in ["floating point ", "integer ", "boolean "] {
                if let Some(v) = g.strip_prefix(prefix) {
                    return v.trim_matches('`').to_string();
                }
            }
            g.strip_prefix("string ").unwrap_or(g).to_string()
        }
    }
}

/// For a non-string where an enum belongs: the allowed values, and what was found.
/// Puts an empty string at that path and lets serde say which values it would take.
fn enum_expected(
    text: &str,
    segments: &[serde_path_to_error::Segment],
) -> Option<(String, String)> {
    use serde_path_to_error::Segment;
    let mut value: serde_json::Value = serde_json::from_str(text).ok()?;
    let mut slot = &mut value;
    for seg in segments {
        slot = match seg {
            Segment::Seq { index } => slot.get_mut(*index)?,
            Segment::Map { key } => slot.get_mut(key.as_str())?,
            Segment::Enum { .. } | Segment::Unknown => return None,
        };
    }
    let got = match &*slot {
        serde_json::Value::Array(_) => "an array".to_string(),
        serde_json::Value::Object(_) => "an object".to_string(),
        v => v.to_string(),
    };
    *slot = serde_json::Value::String(String::new());
    let e = serde_path_to_error::deserialize::<_, ScenarioFile>(value).err()?;
    let same_place = e.path().iter().count() == segments.len()
        && e.path().iter().zip(segments).all(|(a, b)| a.to_string() == b.to_string());
    let msg = e.inner().to_string();
    if !same_place || !msg.starts_with("unknown variant ") {
        return None;
    }
    let known = msg.rsplit_once(", expected ").map(|(_, k)| backquoted(k).join(", "))?;
    Some((known, got))
}

/// serde_json appends " at line L column C"; syntax errors print the position up front.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

pub(super) fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
