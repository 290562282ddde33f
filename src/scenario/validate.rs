//! From `ScenarioFile` to `Scenario`: resolves defaults, interns region names, checks
//! every cross-reference and range, and reports the first problem with its field path.

use super::file::*;
use super::types::*;
use super::ScenarioError;
use crate::engine::{fnv1a64, SimDuration, SimTime};

/// Invariant ids a scenario's `expect` may name.
pub const KNOWN_INVARIANTS: &[&str] = &[
    "single_writer",
    "fenced_writes",
    "acked_durability",
    "freshness",
    "domain",
    "exactly_once_effects",
    "session",
    "recovery",
    "no_lost_update",
    "linearizable",
    "append_integrity",
];

const REGIONS_MAX: usize = 16;
const KEYS_MAX: u32 = 1_000_000;
/// The longest a list may be allowed to grow (reads return the whole list).
pub const LIST_LENGTH_MAX: u32 = 1_024;
/// Bounds that keep every derived quantity (microseconds, balances summed over all
/// accounts) far from integer overflow in the model.
const SECONDS_MAX: f64 = 1e9;
const MS_MAX: f64 = SECONDS_MAX * 1e3;
const CLOCK_OFFSET_MS_MAX: f64 = 86_400_000.0;
const MONEY_MAX: i64 = 1_000_000_000_000;

/// Reads and validates the scenario at `path`.
pub fn load(path: &str) -> Result<Scenario, ScenarioError> {
    let bytes = std::fs::read(path)
        .map_err(|e| ScenarioError::Io { file: path.to_string(), reason: e.to_string() })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = 1 + e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count();
        ScenarioError::Io {
            file: path.to_string(),
            reason: format!(
                "not UTF-8 text (line {line}, byte {at}); scenario files are UTF-8 JSON"
            ),
        }
    })?;
    from_str(path, &text)
}

/// Parses and validates scenario text; `file` names it in errors.
pub fn from_str(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let source_hash = fnv1a64(text.as_bytes());
    // Some editors start UTF-8 files with a byte-order mark; it is not JSON, and not an error.
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    if body.trim().is_empty() {
        return Err(ScenarioError::Syntax {
            file: file.to_string(),
            line: 1,
            column: 1,
            msg: "the file is empty; a scenario is a JSON object: {\"version\": 1, \"name\": ..., \"regions\": [...]}".to_string(),
        });
    }
    if let Some(c) = body.trim_start().chars().next().filter(|c| *c != '{') {
        let found = match c {
            '[' => "an array",
            '"' => "a string",
            '0'..='9' | '-' => "a number",
            't' | 'f' => "a boolean",
            'n' => "null",
            _ => "something that is not JSON",
        };
        return Err(ScenarioError::Invalid {
            file: file.to_string(),
            path: "(top level)".to_string(),
            msg: format!("expected an object, got {found}; a scenario is a JSON object {{\"version\": 1, \"name\": ..., \"regions\": [...]}}"),
        });
    }
    let raw = parse(file, body)?;
    let mut v = Validator { file, source_hash };
    let s = v.scenario(raw)?;
    // Every variant must make a valid scenario too, or `compare` would fail late.
    for (i, var) in s.variants.iter().enumerate() {
        if let Err(e) = with_design(file, body, file, &var.design) {
            let (path, msg) = match e {
                ScenarioError::Invalid { path, msg, .. } => (path, msg),
                other => (String::new(), other.to_string()),
            };
            return Err(ScenarioError::Invalid {
                file: file.to_string(),
                path: format!("variants[{i}] ({}): {path}", var.name),
                msg,
            });
        }
    }
    Ok(s)
}

/// Faults one swarm schedule may hold at most.
pub const SWARM_FAULTS_MAX: u32 = 64;

/// `s` with `extra` faults (scenario fault objects, such as a swarm draws) added to
/// its fixed ones; each is validated as if it were in the file.
pub fn with_faults(s: &Scenario, extra: &[serde_json::Value]) -> Result<Scenario, ScenarioError> {
    let v = Validator { file: &s.source_path, source_hash: s.source_hash };
    let mut out = s.clone();
    for (i, f) in extra.iter().enumerate() {
        let path = format!("swarm schedule[{i}]");
        let ff: FaultFile =
            serde_json::from_value(f.clone()).map_err(|e| ScenarioError::Invalid {
                file: s.source_path.clone(),
                path: path.clone(),
                msg: e.to_string(),
            })?;
        out.faults.push(v.fault(&path, &ff, &s.regions, s.duration, &s.design)?);
    }
    out.faults.sort_by_key(|f| f.at);
    Ok(out)
}

/// RFC 7386 JSON merge patch: objects merge key by key, `null` removes a key, anything
/// else replaces.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    use serde_json::Value;
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let t = target.as_object_mut().expect("made an object above");
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// The scenario in `base_text` (from `base_file`) with its `design` patched by
/// `patch` and its variants dropped; `label` names the patch's file in errors. The
/// result keeps `base_file` as its source, so reports name the scenario that ran.
pub fn with_design(
    base_file: &str,
    base_text: &str,
    label: &str,
    patch: &serde_json::Value,
) -> Result<Scenario, ScenarioError> {
    let body = base_text.strip_prefix('\u{feff}').unwrap_or(base_text);
    let mut v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| syntax_error(base_file, &e))?;
    if !patch.is_object() {
        return Err(ScenarioError::Invalid {
            file: label.to_string(),
            path: "design".to_string(),
            msg: format!(
                "expected an object (a design, or the settings that differ), found {}",
                json_type(patch)
            ),
        });
    }
    if let Some(o) = v.as_object_mut() {
        o.remove("variants");
        merge_patch(o.entry("design").or_insert(serde_json::Value::Null), patch);
    }
    let mut s = from_str(label, &v.to_string()).map_err(|e| match e {
        // Positions refer to the patched text, not to the user's file: drop them.
        ScenarioError::Invalid { file, path, msg } => {
            let msg = match msg.rfind(" (line ") {
                Some(i) if msg.ends_with(')') => msg[..i].to_string(),
                _ => msg,
            };
            ScenarioError::Invalid { file, path, msg }
        }
        other => other,
    })?;
    s.source_path = base_file.to_string();
    Ok(s)
}

fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// JSON text to `ScenarioFile`, with serde's errors rewritten for people who write
/// scenarios rather than Rust: field paths, JSON type names, and what would be valid.
fn parse(file: &str, text: &str) -> Result<ScenarioFile, ScenarioError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let raw: ScenarioFile =
        serde_path_to_error::deserialize(&mut *de).map_err(|e| serde_error(file, text, &e))?;
    // Without this, anything after the closing brace would be silently ignored.
    de.end().map_err(|e| syntax_error(file, &e))?;
    Ok(raw)
}

fn syntax_error(file: &str, e: &serde_json::Error) -> ScenarioError {
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

/// The known name closest to a misspelt one, if it is close enough to be the likely intent.
fn closest<'k>(word: &str, known: impl IntoIterator<Item = &'k str>) -> Option<&'k str> {
    known
        .into_iter()
        .map(|k| (edit_distance(word, k), k))
        .filter(|&(d, k)| d > 0 && d <= (k.chars().count() / 3).max(1))
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

/// Edit distance counting a swap of two neighbours as one edit ("us-esat" is 1 from "us-east").
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Long inputs are never typos of a short name; keep the table small.
    if a.len() > 64 || b.len() > 64 {
        return usize::MAX;
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// A number as a user would write it: no float noise (0.7 + 0.2 prints 0.9), and
/// exponent notation for magnitudes no one types out in full.
fn num(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let a = x.abs();
    if a != 0.0 && !(1e-6..1e15).contains(&a) {
        return format!("{x:e}");
    }
    let s = format!("{x:.9}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

struct Validator<'a> {
    file: &'a str,
    source_hash: u64,
}

type R<T> = Result<T, ScenarioError>;

impl Validator<'_> {
    fn err<T>(&self, path: impl Into<String>, msg: impl Into<String>) -> R<T> {
        Err(ScenarioError::Invalid {
            file: self.file.to_string(),
            path: path.into(),
            msg: msg.into(),
        })
    }

    /// Checks a span given in `unit`s: positive (or, with `zero_ok`, zero or more) and
    /// at most `max`, so that it converts to microseconds without saturating.
    fn span(&self, path: &str, x: f64, unit: &str, zero_ok: bool, max: f64) -> R<()> {
        let low = if zero_ok { x < 0.0 } else { x <= 0.0 };
        if !x.is_finite() || low {
            let want = if zero_ok { "zero or more" } else { "a positive number of" };
            return self.err(path, format!("must be {want} {unit}, got {}", num(x)));
        }
        if x > max {
            return self.err(path, format!("must be at most {} {unit}, got {}", num(max), num(x)));
        }
        Ok(())
    }

    fn positive_ms(&self, path: &str, ms: f64) -> R<SimDuration> {
        self.span(path, ms, "milliseconds", false, MS_MAX)?;
        Ok(SimDuration::from_us((ms * 1e3).round().max(1.0) as u64))
    }

    fn nonneg_ms(&self, path: &str, ms: f64) -> R<SimDuration> {
        self.span(path, ms, "milliseconds", true, MS_MAX)?;
        Ok(SimDuration::from_us((ms * 1e3).round() as u64))
    }

    fn positive_s(&self, path: &str, s: f64) -> R<SimDuration> {
        self.span(path, s, "seconds", false, SECONDS_MAX)?;
        // A positive span never rounds down to nothing.
        Ok(SimDuration::from_secs_f64(s).max(SimDuration(1)))
    }

    fn region(&self, regions: &[RegionSpec], path: &str, name: &str) -> R<RegionId> {
        match regions.iter().position(|r| r.name == name) {
            Some(i) => Ok(RegionId(i as u8)),
            None => {
                let known: Vec<&str> = regions.iter().map(|r| r.name.as_str()).collect();
                let mut msg = format!("unknown region \"{name}\"; known: {}", known.join(", "));
                if let Some(close) = closest(name, known.iter().copied()) {
                    msg.push_str(&format!("; did you mean \"{close}\"?"));
                }
                self.err(path, msg)
            }
        }
    }

    fn scenario(&mut self, f: ScenarioFile) -> R<Scenario> {
        if f.version != 1 {
            return self.err(
                "version",
                format!("unsupported version {}; this gameday reads version 1", f.version),
            );
        }
        if f.name.trim().is_empty() {
            return self.err("name", "must not be empty");
        }
        let duration = self.positive_s("duration_s", f.duration_s)?;
        let regions = self.regions(&f.regions)?;
        let (rtt_us, jitter_mean_us) = self.network(&f.network, &regions)?;
        let design = self.design(&f.design, &regions)?;
        let mut workload = self.workload(&f.workload, &regions)?;
        if design.topology == Topology::ActiveActiveReads {
            // Every region serves reads: those the workload leaves unclassed go to the
            // nearest region whose lag is within the design's default bound.
            let bound =
                self.positive_ms("design.reads.default_bound_ms", f.design.reads.default_bound_ms)?;
            for kind in OpKind::ALL.into_iter().filter(|k| k.is_read()) {
                if !f.workload.read_classes.contains_key(kind.name()) {
                    workload.read_class[kind.idx()] = ReadClass::Bounded(bound);
                }
            }
        }
        self.reads_servable(&f.workload, &design, &workload)?;
        let faults = self.faults(&f.faults, &regions, duration, &design)?;
        let swarm = self.swarm(f.swarm, &regions, duration, &design)?;
        let (events_max, sim_time_max, convergence_max) = self.limits(&f.limits, duration)?;
        let rto_max = match f.limits.rto_max_s {
            Some(s) => self.positive_s("limits.rto_max_s", s)?,
            None => SimDuration::from_secs(30),
        };
        let expect = match f.expect {
            Some(e) => Some(self.expect(e)?),
            None => None,
        };
        Ok(Scenario {
            name: f.name,
            description: f.description,
            seed: f.seed,
            duration,
            source_hash: self.source_hash,
            source_path: self.file.to_string(),
            regions,
            rtt_us,
            jitter_mean_us,
            design,
            workload,
            faults,
            events_max,
            sim_time_max,
            convergence_max,
            rto_max,
            expect,
            variants: self.variants(f.variants)?,
            swarm,
        })
    }

    fn swarm(
        &self,
        sw: Option<crate::scenario::file::SwarmFile>,
        regions: &[RegionSpec],
        duration: SimDuration,
        design: &Design,
    ) -> R<Option<Swarm>> {
        let Some(sw) = sw else { return Ok(None) };
        let run_s = duration.as_secs_f64();
        if sw.faults.is_empty() {
            return self.err("swarm.faults", "list at least one fault kind to draw from");
        }
        let range =
            |path: &str, r: Option<crate::scenario::file::RangeFile>, d: (f64, f64), lo: f64| {
                let r = r.map_or(d, |r| (r.min, r.max));
                if !(r.0.is_finite() && r.1.is_finite()) || r.0 < lo || r.1 < r.0 {
                    return self.err(
                        path,
                        format!("needs {lo} <= min <= max, got min {} max {}", num(r.0), num(r.1)),
                    );
                }
                Ok(r)
            };
        let count = range("swarm.count", sw.count, (1.0, 4.0), 0.0)?;
        if count.1 > SWARM_FAULTS_MAX as f64 || count.0.fract() != 0.0 || count.1.fract() != 0.0 {
            return self.err(
                "swarm.count",
                format!("min and max are whole numbers of faults up to {SWARM_FAULTS_MAX}"),
            );
        }
        let at_s = range("swarm.at_s", sw.at_s, (0.0, run_s * 0.8), 0.0)?;
        if at_s.1 >= run_s {
            return self.err(
                "swarm.at_s.max",
                format!("faults must start before the run ends at {} s", num(run_s)),
            );
        }
        let for_s = range("swarm.for_s", sw.for_s, (1.0, (run_s / 4.0).max(1.0)), 0.001)?;
        let max_concurrent = sw.max_concurrent.unwrap_or(2);
        if max_concurrent == 0 {
            return self.err("swarm.max_concurrent", "must be at least 1");
        }
        let mut kinds = Vec::with_capacity(sw.faults.len());
        for (i, k) in sw.faults.iter().enumerate() {
            let path = format!("swarm.faults[{i}]");
            if !k.weight.is_finite() || k.weight <= 0.0 {
                return self.err(format!("{path}.weight"), "must be a positive number");
            }
            for reserved in ["kind", "at_s", "for_s", "region", "between"] {
                if k.with.contains_key(reserved) {
                    return self.err(
                        format!("{path}.with.{reserved}"),
                        "is drawn by the swarm; set the kind's other fields here (factor, latency_factor, ...)",
                    );
                }
            }
            let mut sk = SwarmKind {
                kind: fault_kind_name(k.kind),
                weight: k.weight,
                regions: Vec::new(),
                with: k.with.clone(),
            };
            // Every target a seed can draw must give a valid fault, so no seed draws an
            // invalid one: named targets must each be valid; the default (every region)
            // keeps those the kind can act on.
            let probe = |target: RegionId| -> R<()> {
                let json = sk.fault_json(regions, at_s.0, for_s.0, target);
                let ff: FaultFile =
                    serde_json::from_value(json).map_err(|e| ScenarioError::Invalid {
                        file: self.file.to_string(),
                        path: format!("{path}.with"),
                        msg: e.to_string(),
                    })?;
                self.fault(&format!("{path}.with"), &ff, regions, duration, design).map(|_| ())
            };
            let targets = match &k.regions {
                None => {
                    let mut ids = Vec::with_capacity(regions.len());
                    let mut first_err = None;
                    for r in 0..regions.len() {
                        match probe(RegionId(r as u8)) {
                            Ok(()) => ids.push(RegionId(r as u8)),
                            Err(e) => first_err = first_err.or(Some(e)),
                        }
                    }
                    match (ids.is_empty(), first_err) {
                        (true, Some(e)) => return Err(e),
                        _ => ids,
                    }
                }
                Some(names) => {
                    let mut ids = Vec::with_capacity(names.len());
                    for (j, n) in names.iter().enumerate() {
                        let Some(r) = regions.iter().position(|r| r.name == *n) else {
                            let known: Vec<&str> =
                                regions.iter().map(|r| r.name.as_str()).collect();
                            return self.err(
                                format!("{path}.regions[{j}]"),
                                format!("unknown region \"{n}\"; known: {}", known.join(", ")),
                            );
                        };
                        if let Err(ScenarioError::Invalid { msg, .. }) = probe(RegionId(r as u8)) {
                            return self.err(
                                format!("{path}.regions[{j}]"),
                                format!("is not a target {} can take: {msg}", sk.kind),
                            );
                        }
                        ids.push(RegionId(r as u8));
                    }
                    if ids.is_empty() {
                        return self.err(
                            format!("{path}.regions"),
                            "name at least one region, or leave it out for all",
                        );
                    }
                    ids
                }
            };
            sk.regions = targets;
            kinds.push(sk);
        }
        Ok(Some(Swarm {
            kinds,
            count: (count.0 as u32, count.1 as u32),
            max_concurrent,
            at_s,
            for_s,
            regions_down: sw.tolerance.and_then(|t| t.regions_down),
        }))
    }

    fn variants(&self, vs: Vec<crate::scenario::file::VariantFile>) -> R<Vec<Variant>> {
        let mut out: Vec<Variant> = Vec::with_capacity(vs.len());
        for (i, v) in vs.into_iter().enumerate() {
            if v.name.trim().is_empty() {
                return self.err(format!("variants[{i}].name"), "must not be empty");
            }
            if out.iter().any(|o| o.name == v.name) {
                return self.err(
                    format!("variants[{i}].name"),
                    format!("\"{}\" names two variants; each needs its own name", v.name),
                );
            }
            if !v.design.is_object() {
                return self.err(
                    format!("variants[{i}].design"),
                    format!(
                        "expected an object of design settings, found {}",
                        json_type(&v.design)
                    ),
                );
            }
            out.push(Variant { name: v.name, description: v.description, design: v.design });
        }
        Ok(out)
    }

    fn regions(&self, rs: &[RegionFile]) -> R<Vec<RegionSpec>> {
        if rs.is_empty() {
            return self.err("regions", "at least one region is needed");
        }
        if rs.len() > REGIONS_MAX {
            return self.err("regions", format!("at most {REGIONS_MAX} regions, got {}", rs.len()));
        }
        let mut out: Vec<RegionSpec> = Vec::with_capacity(rs.len());
        for (i, r) in rs.iter().enumerate() {
            let path = format!("regions[{i}]");
            if r.name.is_empty() || r.name.contains('/') || r.name.chars().any(char::is_whitespace)
            {
                return self.err(
                    format!("{path}.name"),
                    format!("\"{}\" is not a region name; use letters, digits and dashes", r.name),
                );
            }
            if out.iter().any(|o| o.name == r.name) {
                return self
                    .err(format!("{path}.name"), format!("region \"{}\" is named twice", r.name));
            }
            self.clock_offset(&format!("{path}.clock.offset_ms"), r.clock.offset_ms)?;
            self.drift(&format!("{path}.clock.drift_ppm"), r.clock.drift_ppm)?;
            let role = match r.role {
                RoleFile::Primary => Role::Primary,
                RoleFile::Standby => Role::Standby,
                RoleFile::ReadReplica => Role::ReadReplica,
            };
            out.push(RegionSpec {
                name: r.name.clone(),
                role,
                clock_offset_us: (r.clock.offset_ms * 1e3).round() as i64,
                drift_ppm: r.clock.drift_ppm,
            });
        }
        let mut primaries = out.iter().enumerate().filter(|(_, r)| r.role == Role::Primary);
        let Some((_, first)) = primaries.next() else {
            return self.err(
                "regions",
                "no region has role \"primary\"; an active-passive design needs exactly one",
            );
        };
        if let Some((i, second)) = primaries.next() {
            return self.err(
                format!("regions[{i}].role"),
                format!(
                    "\"{}\" is a second primary after \"{}\"; an active-passive design has exactly one (the others are \"standby\" or \"read-replica\")",
                    second.name, first.name
                ),
            );
        }
        Ok(out)
    }

    fn clock_offset(&self, path: &str, ms: f64) -> R<()> {
        if !ms.is_finite() || ms.abs() > CLOCK_OFFSET_MS_MAX {
            return self.err(
                path,
                format!(
                    "a clock offset is between -{0} and {0} milliseconds (one day), got {1}",
                    num(CLOCK_OFFSET_MS_MAX),
                    num(ms)
                ),
            );
        }
        Ok(())
    }

    fn drift(&self, path: &str, ppm: f64) -> R<()> {
        if !ppm.is_finite() || ppm.abs() >= 1e6 {
            return self.err(
                path,
                format!(
                    "a clock drift is strictly between -1000000 and 1000000 ppm, got {}",
                    num(ppm)
                ),
            );
        }
        Ok(())
    }

    fn network(&self, n: &NetworkFile, regions: &[RegionSpec]) -> R<(Vec<Vec<u64>>, u64)> {
        let default = self.positive_ms("network.default_rtt_ms", n.default_rtt_ms)?.as_us();
        let local = self.positive_ms("network.local_rtt_ms", n.local_rtt_ms)?.as_us();
        let jitter = self.nonneg_ms("network.jitter_ms", n.jitter_ms)?.as_us();
        let k = regions.len();
        let mut m = vec![vec![default; k]; k];
        for (i, row) in m.iter_mut().enumerate() {
            row[i] = local;
        }
        for (key, ms) in &n.rtt_ms {
            let path = format!("network.rtt_ms.\"{key}\"");
            let Some((a, b)) = key.split_once('/') else {
                return self.err(path, "keys name a pair of regions as \"a/b\"");
            };
            let a = self.region(regions, &path, a)?;
            let b = self.region(regions, &path, b)?;
            if a == b {
                return self.err(
                    path,
                    "a pair needs two different regions; set network.local_rtt_ms for one region",
                );
            }
            let us = self.positive_ms(&path, *ms)?.as_us();
            m[a.idx()][b.idx()] = us;
            m[b.idx()][a.idx()] = us;
        }
        Ok((m, jitter))
    }

    fn design(&self, d: &DesignFile, regions: &[RegionSpec]) -> R<Design> {
        let (topology, conflicts, propose_timeout) = self.topology(d)?;
        let r = &d.replication;
        let replicas = regions.len() as u32 - 1;
        for (i, bug) in d.planted_bugs.iter().enumerate() {
            if *bug == PlantedBugFile::IgnoreLease && !d.fencing {
                return self.err(
                    format!("design.planted_bugs[{i}]"),
                    "ignore-lease skips a fenced primary's lease check; it needs \"fencing\": true",
                );
            }
        }
        let replication = match r.mode {
            ReplicationModeFile::Async => ReplicationMode::Async,
            ReplicationModeFile::Sync => ReplicationMode::Sync,
            ReplicationModeFile::SemiSync => {
                if replicas == 0 {
                    return self.err(
                        "design.replication.mode",
                        "semi-sync needs a replica region to acknowledge writes; with one region use \"async\"",
                    );
                }
                if r.acks == 0 || r.acks > replicas {
                    return self.err(
                        "design.replication.acks",
                        format!(
                            "semi-sync waits for 1 to {replicas} replica acknowledgements (there are {replicas} replica regions), got {}",
                            r.acks
                        ),
                    );
                }
                ReplicationMode::SemiSync { acks: r.acks }
            }
        };
        if !r.apply_rate_per_s.is_finite() || r.apply_rate_per_s <= 0.0 {
            return self.err(
                "design.replication.apply_rate_per_s",
                format!("must be a positive rate, got {}", num(r.apply_rate_per_s)),
            );
        }
        let control_region = match &d.control_plane.region {
            Some(name) => self.region(regions, "design.control_plane.region", name)?,
            None => default_control_region(regions),
        };
        let lease = self.positive_ms("design.lease.duration_ms", d.lease.duration_ms)?;
        let lease_renew = self.positive_ms("design.lease.renew_ms", d.lease.renew_ms)?;
        if lease_renew >= lease {
            return self.err(
                "design.lease.renew_ms",
                format!(
                    "must be shorter than design.lease.duration_ms ({} ms), or the lease lapses between renewals",
                    num(d.lease.duration_ms)
                ),
            );
        }
        Ok(Design {
            topology,
            conflicts,
            propose_timeout,
            replication,
            apply_rate_per_s: r.apply_rate_per_s,
            repl_batch: self.positive_ms("design.replication.batch_ms", r.batch_ms)?,
            repl_retransmit: self
                .positive_ms("design.replication.retransmit_ms", r.retransmit_ms)?,
            reads_after_ack: r.reads_after_ack,
            fencing: d.fencing,
            lease,
            lease_renew,
            clock_uncertainty: self
                .nonneg_ms("design.lease.clock_uncertainty_ms", d.lease.clock_uncertainty_ms)?,
            automated_promotion: d.promotion.automated,
            runbook: self.runbook(&d.promotion.runbook)?,
            detect_after: self
                .positive_ms("design.promotion.detect_after_ms", d.promotion.detect_after_ms)?,
            heartbeat: self
                .positive_ms("design.promotion.heartbeat_ms", d.promotion.heartbeat_ms)?,
            control_region,
            routing_propagation: self
                .nonneg_ms("design.routing.propagation_ms", d.routing.propagation_ms)?,
            routing_refresh: self.positive_ms("design.routing.refresh_ms", d.routing.refresh_ms)?,
            replica_checks_staleness: d.reads.replica_checks_staleness,
            debit_check: match d.accounts.debit_check {
                DebitCheckFile::Writer => DebitCheck::Writer,
                DebitCheckFile::LocalRead => DebitCheck::LocalRead,
            },
            reserve_check: check_place(d.inventory.reserve_check),
            transition_check: check_place(d.workflow.transition_check),
            session_tokens: d.reads.session_tokens,
            strong_reads_local: d.reads.strong_from == StrongFromFile::NearestReplica,
            bugs: PlantedBugs {
                ignore_lease: d.planted_bugs.contains(&PlantedBugFile::IgnoreLease),
                reuse_epoch: d.planted_bugs.contains(&PlantedBugFile::ReuseEpoch),
            },
            idempotency_keys: d.idempotency.client_keys,
            idempotency_ttl: self
                .positive_s("design.idempotency.record_ttl_s", d.idempotency.record_ttl_s)?,
            records_replicated: d.idempotency.record == RecordPlaceFile::Datastore,
            stream: self.stream(&d.stream)?,
            capacity: match &d.capacity {
                None => None,
                Some(c) => Some(self.capacity(c)?),
            },
            identity: match &d.identity {
                None => None,
                Some(i) => Some(Identity {
                    region: match &i.region {
                        Some(n) => self.region(regions, "design.identity.region", n)?,
                        None => control_region,
                    },
                    cache_ttl: match i.cache_ttl_s {
                        Some(s) => Some(self.positive_s("design.identity.cache_ttl_s", s)?),
                        None => None,
                    },
                }),
            },
            breaker: match &d.breaker {
                None => None,
                Some(b) => {
                    if !(b.failure_rate > 0.0 && b.failure_rate <= 1.0) {
                        return self.err(
                            "design.breaker.failure_rate",
                            format!("a share above 0 and at most 1, got {}", num(b.failure_rate)),
                        );
                    }
                    if b.window == 0 || b.window > 10_000 || b.probes == 0 || b.probes > 1_000 {
                        return self.err(
                            "design.breaker",
                            "window is 1 to 10000 attempts, probes 1 to 1000",
                        );
                    }
                    Some(BreakerDesign {
                        failure_rate: b.failure_rate,
                        window: b.window,
                        open: self.positive_ms("design.breaker.open_ms", b.open_ms)?,
                        probes: b.probes,
                    })
                }
            },
            detection: match &d.brownout_detection {
                None => None,
                Some(b) => {
                    if !(b.error_rate > 0.0 && b.error_rate <= 1.0) {
                        return self.err(
                            "design.brownout_detection.error_rate",
                            format!("a share above 0 and at most 1, got {}", num(b.error_rate)),
                        );
                    }
                    Some(DetectionDesign {
                        latency_p99: self.positive_ms(
                            "design.brownout_detection.latency_p99_ms",
                            b.latency_p99_ms,
                        )?,
                        error_rate: b.error_rate,
                    })
                }
            },
            health: match &d.health_checks {
                None => None,
                Some(h) => {
                    if h.failure_threshold == 0 || h.failure_threshold > 1_000 {
                        return self.err(
                            "design.health_checks.failure_threshold",
                            format!("must be between 1 and 1000, got {}", h.failure_threshold),
                        );
                    }
                    Some(HealthDesign {
                        interval: self
                            .positive_ms("design.health_checks.interval_ms", h.interval_ms)?,
                        threshold: h.failure_threshold,
                    })
                }
            },
            emergency_successor: match &d.promotion.emergency_successor {
                None => None,
                Some(n) => {
                    let r = self.region(regions, "design.promotion.emergency_successor", n)?;
                    if regions[r.idx()].role != Role::Standby {
                        return self.err(
                            "design.promotion.emergency_successor",
                            "the emergency successor must be a standby region",
                        );
                    }
                    Some(r)
                }
            },
            emergency_quorum: match (d.promotion.emergency_quorum, &d.promotion.emergency_successor) {
                (true, None) => {
                    return self.err(
                        "design.promotion.emergency_quorum",
                        "a quorum for the emergency successor needs one: set design.promotion.emergency_successor, or remove emergency_quorum",
                    )
                }
                (q, _) => q,
            },
        })
    }

    fn topology(
        &self,
        d: &DesignFile,
    ) -> R<(Topology, [ConflictPolicy; KeyKind::COUNT], SimDuration)> {
        let topology = match d.topology {
            TopologyFile::ActivePassive => Topology::ActivePassive,
            TopologyFile::ActiveActiveReads => Topology::ActiveActiveReads,
            TopologyFile::ActiveActiveWrites => Topology::ActiveActiveWrites,
        };
        let Some(c) = &d.conflicts else {
            let mut out = [ConflictPolicy::Lww; KeyKind::COUNT];
            out[KeyKind::List as usize] = ConflictPolicy::Merge;
            return Ok((topology, out, SimDuration::from_secs(1)));
        };
        if topology != Topology::ActiveActiveWrites {
            return self.err("design.conflicts", "conflict policies apply to topology \"active-active-writes\" only; remove them or change design.topology");
        }
        let entities = [
            ("register", c.register),
            ("account", c.account),
            ("item", c.item),
            ("permission", c.permission),
            ("workflow", c.workflow),
            ("list", c.list),
        ];
        let mut out = [ConflictPolicy::Lww; KeyKind::COUNT];
        for (i, (name, p)) in entities.into_iter().enumerate() {
            if name == "list" {
                out[i] = match p {
                    // Appends apply as they arrive either way: there is no value to pick.
                    ConflictPolicyFile::Lww | ConflictPolicyFile::Merge => ConflictPolicy::Merge,
                    ConflictPolicyFile::HomeRegion => ConflictPolicy::HomeRegion,
                    ConflictPolicyFile::RejectConcurrent | ConflictPolicyFile::Escrow => {
                        return self.err(
                            "design.conflicts.list",
                            "lists take \"merge\" (each region appends in arrival order) or \"home-region\" (each list's home orders its appends)",
                        )
                    }
                };
                continue;
            }
            let counter = matches!(name, "account" | "item");
            out[i] = match p {
                ConflictPolicyFile::Lww => ConflictPolicy::Lww,
                ConflictPolicyFile::RejectConcurrent => ConflictPolicy::RejectConcurrent,
                ConflictPolicyFile::HomeRegion => ConflictPolicy::HomeRegion,
                ConflictPolicyFile::Merge if counter => ConflictPolicy::Merge,
                ConflictPolicyFile::Escrow if counter => ConflictPolicy::Escrow,
                ConflictPolicyFile::Merge | ConflictPolicyFile::Escrow => {
                    return self.err(
                        format!("design.conflicts.{name}"),
                        "merge and escrow apply to counters (account, item); use lww, reject-concurrent or home-region",
                    )
                }
            };
        }
        let propose_timeout =
            self.positive_ms("design.conflicts.propose_timeout_ms", c.propose_timeout_ms)?;
        Ok((topology, out, propose_timeout))
    }

    /// Every read class the workload asks for must be one the design can serve: with
    /// every region writing, a strong read needs one region that sees every write to
    /// its key, which only the home-region policy gives. Refused here rather than
    /// quietly served as something weaker.
    fn reads_servable(&self, wf: &WorkloadFile, d: &Design, w: &Workload) -> R<()> {
        if d.topology != Topology::ActiveActiveWrites {
            return Ok(());
        }
        for &(kind, _) in &w.mix {
            if !kind.is_read() || w.read_class[kind.idx()] != ReadClass::Strong {
                continue;
            }
            let entity = kind.entity();
            if d.conflicts[entity as usize] == ConflictPolicy::HomeRegion {
                continue;
            }
            let path = if wf.read_classes.contains_key(kind.name()) {
                format!("workload.read_classes.\"{}\"", kind.name())
            } else {
                format!("workload.mix.\"{}\"", kind.name())
            };
            return self.err(
                path,
                format!(
                    "{} is a strong read (the default class), but with design.topology \"active-active-writes\" and design.conflicts.{} not \"home-region\" no region sees every write to a key, so none can serve it; give it class \"eventual\", \"session\" or \"bounded\" in workload.read_classes, or set design.conflicts.{} to \"home-region\" (strong reads then go to each key's home)",
                    kind.name(),
                    entity.name(),
                    entity.name()
                ),
            );
        }
        Ok(())
    }

    fn capacity(&self, c: &CapacityFile) -> R<Capacity> {
        for (field, n, max) in [
            ("cells", c.cells, 1_000),
            ("servers", c.servers, 100_000),
            ("queue_max", c.queue_max, 10_000_000),
        ] {
            if n == 0 || n > max {
                return self.err(
                    format!("design.capacity.{field}"),
                    format!("must be between 1 and {max}, got {n}"),
                );
            }
        }
        let default = self.dist("design.capacity.service", &c.service)?;
        let mut service = [default; OpKind::COUNT];
        for (op, sf) in &c.service_by_op {
            let path = format!("design.capacity.service_by_op.\"{op}\"");
            let Some(kind) = OpKind::parse(op) else {
                let known: Vec<&str> = OpKind::ALL.iter().map(|k| k.name()).collect();
                return self.err(path, format!("unknown operation; known: {}", known.join(", ")));
            };
            service[kind.idx()] = self.dist(&path, sf)?;
        }
        let isolation = match c.isolation {
            IsolationFile::Shared => Isolation::Shared,
            IsolationFile::Cells => Isolation::Cells,
            IsolationFile::ShuffleShard => {
                if c.shard_size == 0 || c.shard_size > c.cells {
                    return self.err(
                        "design.capacity.shard_size",
                        format!(
                            "a shuffle shard takes between 1 and cells ({}) cells, got {}",
                            c.cells, c.shard_size
                        ),
                    );
                }
                Isolation::ShuffleShard { k: c.shard_size }
            }
        };
        let restart = self.positive_ms("design.capacity.restart_ms", c.restart_ms)?;
        let shed_after = match c.shed_after_ms {
            Some(ms) => Some(self.positive_ms("design.capacity.shed_after_ms", ms)?),
            None => None,
        };
        Ok(Capacity {
            cells: c.cells,
            servers: c.servers,
            queue_max: c.queue_max,
            service,
            deadline_propagation: c.deadline_propagation,
            isolation,
            restart,
            shed_after,
            rate_limit_per_s: match c.rate_limit_per_s {
                Some(r) if r.is_finite() && r > 0.0 && r <= 1e7 => Some(r),
                Some(r) => {
                    return self.err(
                        "design.capacity.rate_limit_per_s",
                        format!("must be a positive rate up to 10000000, got {}", num(r)),
                    )
                }
                None => None,
            },
        })
    }

    fn dist(&self, path: &str, f: &ServiceFile) -> R<Dist> {
        let mean = self.positive_ms(&format!("{path}.mean_ms"), f.mean_ms)?;
        match (f.dist, f.sigma) {
            (DistFile::Constant, None) => Ok(Dist::Constant { mean }),
            (DistFile::Exponential, None) => Ok(Dist::Exponential { mean }),
            (DistFile::Lognormal, s) => {
                let sigma = s.unwrap_or(0.5);
                if !sigma.is_finite() || sigma <= 0.0 || sigma > 5.0 {
                    return self.err(
                        format!("{path}.sigma"),
                        format!("a lognormal shape is above 0 and at most 5, got {}", num(sigma)),
                    );
                }
                Ok(Dist::Lognormal { mean, sigma })
            }
            (_, Some(_)) => {
                self.err(format!("{path}.sigma"), "only dist \"lognormal\" takes sigma")
            }
        }
    }

    fn stream(&self, s: &StreamFile) -> R<StreamDesign> {
        if !s.effects_per_s.is_finite() || s.effects_per_s <= 0.0 || s.effects_per_s > 10_000_000.0
        {
            return self.err(
                "design.stream.effects_per_s",
                format!("must be a positive rate up to 10000000, got {}", num(s.effects_per_s)),
            );
        }
        if s.offset_commit_every == 0 {
            return self.err(
                "design.stream.offset_commit_every",
                "must be at least 1 (commit after every event)",
            );
        }
        if s.dead_letter_after == 0 {
            return self.err("design.stream.dead_letter_after", "must be at least 1 attempt");
        }
        Ok(StreamDesign {
            side_effects: s.side_effects,
            effects_per_s: s.effects_per_s,
            tick: self.positive_ms("design.stream.tick_ms", s.tick_ms)?,
            offset_commit_every: s.offset_commit_every,
            worker_record: match s.worker_record {
                WorkerRecordFile::None => WorkerRecord::None,
                WorkerRecordFile::Datastore => WorkerRecord::Datastore,
                WorkerRecordFile::ProviderKey => WorkerRecord::ProviderKey,
            },
            poison: match s.poison {
                PoisonFile::RetryForever => PoisonPolicy::RetryForever,
                PoisonFile::DeadLetter => PoisonPolicy::DeadLetter { after: s.dead_letter_after },
                PoisonFile::Quarantine => PoisonPolicy::Quarantine,
            },
        })
    }

    fn runbook(&self, steps: &[RunbookStepFile]) -> R<Vec<RunbookStep>> {
        if steps.is_empty() {
            return self.err(
                "design.promotion.runbook",
                "an empty runbook would make every promotion do nothing; list its steps, e.g. stop_writes, declare_writer, invalidate_routing, resume_traffic",
            );
        }
        let mut out = Vec::with_capacity(steps.len());
        for (i, s) in steps.iter().enumerate() {
            let kind = match s.step {
                StepKindFile::StopWrites => StepKind::StopWrites,
                StepKindFile::DeclareWriter => StepKind::DeclareWriter,
                StepKindFile::InvalidateRouting => StepKind::InvalidateRouting,
                StepKindFile::ResumeTraffic => StepKind::ResumeTraffic,
                StepKindFile::DrainQueues => StepKind::DrainQueues,
                StepKindFile::Reconcile => StepKind::Reconcile,
                StepKindFile::QuarantineQueues => StepKind::QuarantineQueues,
            };
            let path = format!("design.promotion.runbook[{i}].duration_ms");
            out.push(RunbookStep { kind, duration: self.nonneg_ms(&path, s.duration_ms)? });
        }
        Ok(out)
    }

    fn workload(&self, w: &WorkloadFile, regions: &[RegionSpec]) -> R<Workload> {
        if !w.rate_per_s.is_finite() || w.rate_per_s <= 0.0 || w.rate_per_s > 10_000_000.0 {
            return self.err(
                "workload.rate_per_s",
                format!("must be a positive rate up to 10000000, got {}", num(w.rate_per_s)),
            );
        }
        let mix = self.mix(&w.mix)?;
        let client_regions = match &w.clients {
            None => (0..regions.len()).map(|i| RegionId(i as u8)).collect(),
            Some(names) => {
                if names.is_empty() {
                    return self.err(
                        "workload.clients",
                        "name at least one region, or leave the field out for all regions",
                    );
                }
                let mut ids = Vec::new();
                for (i, n) in names.iter().enumerate() {
                    ids.push(self.region(regions, &format!("workload.clients[{i}]"), n)?);
                }
                ids
            }
        };
        let counts = [
            ("registers", w.registers),
            ("accounts", w.accounts),
            ("items", w.items),
            ("permissions", w.permissions),
            ("workflows", w.workflows),
            ("lists", w.lists),
            ("sessions", w.sessions),
            ("customers", w.customers),
        ];
        for (field, n) in counts {
            if n == 0 || n > KEYS_MAX {
                return self.err(
                    format!("workload.{field}"),
                    format!("must be between 1 and {KEYS_MAX}, got {n}"),
                );
            }
        }
        if w.list_length_max == 0 || w.list_length_max > LIST_LENGTH_MAX {
            return self.err(
                "workload.list_length_max",
                format!("must be between 1 and {LIST_LENGTH_MAX}, got {}", w.list_length_max),
            );
        }
        if w.accounts < 2 && mix.iter().any(|(k, _)| *k == OpKind::AccountTransfer) {
            return self.err("workload.accounts", "account.transfer needs at least 2 accounts");
        }
        if !(0..=MONEY_MAX).contains(&w.initial_balance) {
            return self.err(
                "workload.initial_balance",
                format!("must be between 0 and {MONEY_MAX}, got {}", w.initial_balance),
            );
        }
        if !(1..=MONEY_MAX).contains(&w.amount_max) {
            return self.err(
                "workload.amount_max",
                format!("must be between 1 and {MONEY_MAX}, got {}", w.amount_max),
            );
        }
        if w.retry.attempts == 0 || w.retry.attempts > 100 {
            return self.err(
                "workload.retry.attempts",
                format!("must be between 1 and 100 (1 means no retry), got {}", w.retry.attempts),
            );
        }
        for (field, n) in [("stock", w.stock), ("qty_max", w.qty_max)] {
            if !(1..=MONEY_MAX).contains(&n) {
                return self.err(
                    format!("workload.{field}"),
                    format!("must be between 1 and {MONEY_MAX}, got {n}"),
                );
            }
        }
        let mut read_class = [ReadClass::Strong; OpKind::COUNT];
        for (key, rc) in &w.read_classes {
            let path = format!("workload.read_classes.\"{key}\"");
            let kind = match OpKind::parse(key) {
                Some(k) if k.is_read() => k,
                _ => {
                    return self.err(
                        path,
                        "read classes apply to read operations: register.read, account.read, permission.check, workflow.read, list.read",
                    )
                }
            };
            read_class[kind.idx()] = match (rc.class, rc.bound_ms) {
                (ReadClassKindFile::Strong, None) => ReadClass::Strong,
                (ReadClassKindFile::Eventual, None) => ReadClass::Eventual,
                (ReadClassKindFile::Session, None) => ReadClass::Session,
                (ReadClassKindFile::Bounded, Some(ms)) => {
                    ReadClass::Bounded(self.positive_ms(&format!("{path}.bound_ms"), ms)?)
                }
                (ReadClassKindFile::Bounded, None) => {
                    return self.err(format!("{path}.bound_ms"), "class \"bounded\" needs bound_ms")
                }
                (_, Some(_)) => {
                    return self
                        .err(format!("{path}.bound_ms"), "only class \"bounded\" takes bound_ms")
                }
            };
        }
        Ok(Workload {
            rate_per_s: w.rate_per_s,
            mix,
            client_regions,
            registers: w.registers,
            accounts: w.accounts,
            items: w.items,
            permissions: w.permissions,
            workflows: w.workflows,
            lists: w.lists,
            list_length_max: w.list_length_max,
            initial_balance: w.initial_balance,
            amount_max: w.amount_max,
            stock: w.stock,
            qty_max: w.qty_max,
            sessions: w.sessions,
            customers: w.customers,
            timeout: self.positive_ms("workload.timeout_ms", w.timeout_ms)?,
            attempts: w.retry.attempts,
            backoff: self.nonneg_ms("workload.retry.backoff_ms", w.retry.backoff_ms)?,
            backoff_max: self.nonneg_ms("workload.retry.backoff_max_ms", w.retry.backoff_max_ms)?,
            jitter: match w.retry.jitter {
                JitterFile::None => Jitter::None,
                JitterFile::Full => Jitter::Full,
                JitterFile::Equal => Jitter::Equal,
                JitterFile::Decorrelated => Jitter::Decorrelated,
            },
            budget: match &w.retry.budget {
                None => None,
                Some(b) => {
                    if !b.ratio.is_finite() || b.ratio <= 0.0 || b.ratio > 1.0 {
                        return self.err("workload.retry.budget.ratio", format!("the share of successes that may be retried is above 0 and at most 1, got {}", num(b.ratio)));
                    }
                    if !b.burst.is_finite() || b.burst < 1.0 || b.burst > 1e6 {
                        return self.err("workload.retry.budget.burst", format!("the retries that can be saved up are between 1 and 1000000, got {}", num(b.burst)));
                    }
                    Some(RetryBudget { ratio: b.ratio, burst: b.burst })
                }
            },
            read_class,
        })
    }

    fn mix(&self, mix: &std::collections::BTreeMap<String, f64>) -> R<Vec<(OpKind, u32)>> {
        if mix.is_empty() {
            return self.err("workload.mix", "name at least one operation");
        }
        let mut out = Vec::new();
        let mut sum = 0.0;
        let mut cumulative: u32 = 0;
        for (key, p) in mix {
            let path = format!("workload.mix.\"{key}\"");
            let Some(kind) = OpKind::parse(key) else {
                let known: Vec<&str> = OpKind::ALL.iter().map(|k| k.name()).collect();
                let mut msg = format!("unknown operation \"{key}\"; known: {}", known.join(", "));
                if let Some(close) = closest(key, known.iter().copied()) {
                    msg.push_str(&format!("; did you mean \"{close}\"?"));
                }
                return self.err(path, msg);
            };
            if !p.is_finite() || !(0.0..=1.0).contains(p) {
                return self.err(
                    path,
                    format!("a share is a probability between 0 and 1, got {}", num(*p)),
                );
            }
            sum += p;
            cumulative += (p * 1e6).round() as u32;
            if *p > 0.0 {
                out.push((kind, cumulative));
            }
        }
        if (sum - 1.0).abs() > 1e-6 {
            let shares: Vec<String> = mix.iter().map(|(k, p)| format!("{k} {}", num(*p))).collect();
            return self.err(
                "workload.mix",
                format!("shares must sum to 1, they sum to {} ({})", num(sum), shares.join(" + ")),
            );
        }
        // Rounding may leave the last bucket a few ppm short; the last entry closes the range.
        if let Some(last) = out.last_mut() {
            last.1 = 1_000_000;
        }
        Ok(out)
    }

    fn faults(
        &self,
        fs: &[FaultFile],
        regions: &[RegionSpec],
        duration: SimDuration,
        design: &Design,
    ) -> R<Vec<Fault>> {
        let mut out = Vec::with_capacity(fs.len());
        for (i, f) in fs.iter().enumerate() {
            out.push(self.fault(&format!("faults[{i}]"), f, regions, duration, design)?);
        }
        // A stable sort keeps file order among faults that start together.
        out.sort_by_key(|f: &Fault| f.at);
        Ok(out)
    }

    fn fault(
        &self,
        path: &str,
        f: &FaultFile,
        regions: &[RegionSpec],
        duration: SimDuration,
        design: &Design,
    ) -> R<Fault> {
        use FaultKindFile as K;
        let kind_name = fault_kind_name(f.kind);
        let run_s = num(duration.as_secs_f64());
        if !f.at_s.is_finite() || f.at_s < 0.0 {
            return self.err(
                format!("{path}.at_s"),
                format!(
                    "must be zero or more seconds, before the run ends at {run_s} s, got {}",
                    num(f.at_s)
                ),
            );
        }
        let at = SimTime::ZERO + SimDuration::from_secs_f64(f.at_s);
        if at >= SimTime::ZERO + duration {
            return self.err(
                format!("{path}.at_s"),
                format!(
                    "{} s is outside the run, which lasts {run_s} s (duration_s); a fault must start before the run ends",
                    num(f.at_s)
                ),
            );
        }
        let allowed: &[&str] = match f.kind {
            K::RegionOutage => &["region", "for_s"],
            K::Partition => &["between", "one_way", "for_s"],
            K::LinkLatency => &["between", "one_way", "factor", "for_s"],
            K::PacketLoss => &["between", "one_way", "loss", "for_s"],
            K::ReplicationStall => &["region", "apply_factor", "for_s"],
            K::ClockSkew => &["region", "offset_ms", "drift_ppm", "for_s"],
            K::OperatorPromote => &["region", "fenced"],
            K::WorkerCrash | K::PoisonMessage => &["region", "for_s"],
            K::QueueReplay => &["region", "events", "to_s"],
            K::DuplicateDelivery => &["region", "probability", "for_s"],
            K::RegionBrownout => {
                &["region", "latency_factor", "capacity_factor", "error_rate", "ramp_s", "for_s"]
            }
            K::TrafficSurge => &["region", "factor", "for_s"],
            K::PoisonCustomer => &["customer", "for_s"],
            K::ControlPlaneOutage | K::IdentityOutage => &["for_s"],
        };
        let present = [
            ("for_s", f.for_s.is_some()),
            ("region", f.region.is_some()),
            ("between", f.between.is_some()),
            ("one_way", f.one_way.is_some()),
            ("factor", f.factor.is_some()),
            ("loss", f.loss.is_some()),
            ("apply_factor", f.apply_factor.is_some()),
            ("offset_ms", f.offset_ms.is_some()),
            ("drift_ppm", f.drift_ppm.is_some()),
            ("fenced", f.fenced.is_some()),
            ("events", f.events.is_some()),
            ("to_s", f.to_s.is_some()),
            ("probability", f.probability.is_some()),
            ("latency_factor", f.latency_factor.is_some()),
            ("capacity_factor", f.capacity_factor.is_some()),
            ("error_rate", f.error_rate.is_some()),
            ("ramp_s", f.ramp_s.is_some()),
            ("customer", f.customer.is_some()),
        ];
        for (name, is) in present {
            if is && !allowed.contains(&name) {
                return self.err(
                    format!("{path}.{name}"),
                    format!(
                        "not a field of a fault of kind \"{kind_name}\", which takes: kind, at_s, {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
        let needs_window = !matches!(f.kind, K::OperatorPromote | K::ClockSkew | K::QueueReplay);
        let until = match f.for_s {
            Some(s) => {
                let d = self.positive_s(&format!("{path}.for_s"), s)?;
                let until = at + d;
                if until > SimTime::ZERO + duration {
                    return self.err(
                        format!("{path}.for_s"),
                        format!(
                            "the fault would end at {} s, after the run ends at {run_s} s; starting at {} s, it can last at most {} s",
                            num(f.at_s + s),
                            num(f.at_s),
                            num((SimTime::ZERO + duration).since(at).as_secs_f64())
                        ),
                    );
                }
                Some(until)
            }
            None if needs_window => {
                return self.err(
                    format!("{path}.for_s"),
                    format!(
                    "required for a fault of kind \"{kind_name}\": how long it lasts, in seconds"
                ),
                )
            }
            None => None,
        };
        let region = |v: &Self| -> R<RegionId> {
            match &f.region {
                Some(name) => v.region(regions, &format!("{path}.region"), name),
                None => v.err(
                    format!("{path}.region"),
                    format!(
                        "required for a fault of kind \"{kind_name}\": the region it targets; known: {}",
                        region_names(regions)
                    ),
                ),
            }
        };
        let kind = match f.kind {
            K::RegionOutage => FaultKind::RegionOutage { region: region(self)? },
            K::Partition => {
                let (from, to) = self.between(path, f, regions)?;
                FaultKind::Partition { from, to, one_way: f.one_way.unwrap_or(false) }
            }
            K::LinkLatency => {
                let (from, to) = self.between(path, f, regions)?;
                let factor = match f.factor {
                    Some(x) if (1.0..=10_000.0).contains(&x) => x,
                    Some(x) => {
                        return self.err(
                            format!("{path}.factor"),
                            format!("a latency factor is between 1 and 10000, got {}", num(x)),
                        )
                    }
                    None => {
                        return self.err(
                            format!("{path}.factor"),
                            "required for a fault of kind \"link_latency\": how many times slower the link gets (1 to 10000)",
                        )
                    }
                };
                FaultKind::LinkLatency { from, to, one_way: f.one_way.unwrap_or(false), factor }
            }
            K::PacketLoss => {
                let (from, to) = self.between(path, f, regions)?;
                let loss = match f.loss {
                    Some(x) if x > 0.0 && x <= 1.0 => x,
                    Some(x) => {
                        return self.err(
                            format!("{path}.loss"),
                            format!("a loss probability is above 0 and at most 1, got {}", num(x)),
                        )
                    }
                    None => {
                        return self.err(
                            format!("{path}.loss"),
                            "required for a fault of kind \"packet_loss\": the probability that a message is lost (above 0, at most 1)",
                        )
                    }
                };
                FaultKind::PacketLoss { from, to, one_way: f.one_way.unwrap_or(false), loss }
            }
            K::ReplicationStall => {
                let region = region(self)?;
                if regions[region.idx()].role == Role::Primary {
                    return self.err(
                        format!("{path}.region"),
                        "a replication stall targets a replica region, not the primary",
                    );
                }
                let apply_factor = f.apply_factor.unwrap_or(0.0);
                if !apply_factor.is_finite() || !(0.0..=1.0).contains(&apply_factor) {
                    return self.err(
                        format!("{path}.apply_factor"),
                        format!(
                            "must be between 0 (stalled) and 1 (full speed), got {}",
                            num(apply_factor)
                        ),
                    );
                }
                FaultKind::ReplicationStall { region, apply_factor }
            }
            K::ClockSkew => {
                let offset_ms = f.offset_ms.unwrap_or(0.0);
                let drift_ppm = f.drift_ppm.unwrap_or(0.0);
                self.clock_offset(&format!("{path}.offset_ms"), offset_ms)?;
                self.drift(&format!("{path}.drift_ppm"), drift_ppm)?;
                if offset_ms == 0.0 && drift_ppm == 0.0 {
                    return self.err(
                        path.to_string(),
                        "a fault of kind \"clock_skew\" needs a non-zero offset_ms (a jump), drift_ppm (a rate error), or both",
                    );
                }
                FaultKind::ClockSkew {
                    region: region(self)?,
                    offset_us: (offset_ms * 1e3).round() as i64,
                    drift_ppm,
                }
            }
            K::OperatorPromote => {
                let region = region(self)?;
                if regions[region.idx()].role == Role::ReadReplica {
                    return self.err(
                        format!("{path}.region"),
                        "a read-replica cannot be promoted; name a standby (or the primary)",
                    );
                }
                FaultKind::OperatorPromote { region, fenced: f.fenced.unwrap_or(design.fencing) }
            }
            K::WorkerCrash => FaultKind::WorkerCrash { region: region(self)? },
            K::PoisonMessage => FaultKind::PoisonMessage { region: region(self)? },
            K::QueueReplay => {
                let region = region(self)?;
                let to = match f.to_s {
                    Some(t) if t.is_finite() && t >= 0.0 && t <= f.at_s => {
                        Some(SimTime::ZERO + SimDuration::from_secs_f64(t))
                    }
                    Some(t) => {
                        return self.err(
                            format!("{path}.to_s"),
                            format!(
                                "a replay goes back to a time between 0 and its at_s ({}), got {}",
                                num(f.at_s),
                                num(t)
                            ),
                        )
                    }
                    None => None,
                };
                match (f.events, to) {
                    (Some(0), _) => return self.err(format!("{path}.events"), "must be at least 1"),
                    (Some(_), Some(_)) | (None, None) => {
                        return self.err(
                            path.to_string(),
                            "a queue_replay rewinds by events (a count) or to to_s (a time): give exactly one",
                        )
                    }
                    _ => {}
                }
                FaultKind::QueueReplay { region, events: f.events, to }
            }
            K::RegionBrownout => self.brownout(path, f, region(self)?)?,
            K::PoisonCustomer => FaultKind::PoisonCustomer { customer: f.customer.unwrap_or(0) },
            K::ControlPlaneOutage => FaultKind::ControlPlaneOutage,
            K::IdentityOutage => FaultKind::IdentityOutage,
            K::TrafficSurge => {
                let region = match &f.region {
                    Some(name) => Some(self.region(regions, &format!("{path}.region"), name)?),
                    None => None,
                };
                let factor = match f.factor {
                    Some(x) if (0.0..=1_000.0).contains(&x) && x > 0.0 => x,
                    Some(x) => return self.err(format!("{path}.factor"), format!("a surge multiplies arrivals by more than 0 and at most 1000, got {}", num(x))),
                    None => return self.err(format!("{path}.factor"), "required for a fault of kind \"traffic_surge\": how many times the arrival rate grows"),
                };
                FaultKind::TrafficSurge { region, factor }
            }
            K::DuplicateDelivery => {
                let region = region(self)?;
                let probability = match f.probability {
                    Some(p) if p > 0.0 && p <= 1.0 => p,
                    Some(p) => {
                        return self.err(
                            format!("{path}.probability"),
                            format!("a probability is above 0 and at most 1, got {}", num(p)),
                        )
                    }
                    None => {
                        return self.err(
                            format!("{path}.probability"),
                            "required for a fault of kind \"duplicate_delivery\": how often an event is delivered twice (above 0, at most 1)",
                        )
                    }
                };
                FaultKind::DuplicateDelivery { region, probability }
            }
        };
        Ok(Fault { at, until, kind })
    }

    fn brownout(&self, path: &str, f: &FaultFile, region: RegionId) -> R<FaultKind> {
        let latency_factor = f.latency_factor.unwrap_or(1.0);
        if !latency_factor.is_finite() || !(1.0..=10_000.0).contains(&latency_factor) {
            return self.err(
                format!("{path}.latency_factor"),
                format!("service gets 1 to 10000 times slower, got {}", num(latency_factor)),
            );
        }
        let capacity_factor = f.capacity_factor.unwrap_or(1.0);
        if !capacity_factor.is_finite() || !(0.0..=1.0).contains(&capacity_factor) {
            return self.err(
                format!("{path}.capacity_factor"),
                format!(
                    "the share of servers left is between 0 and 1, got {}",
                    num(capacity_factor)
                ),
            );
        }
        let error_rate = f.error_rate.unwrap_or(0.0);
        if !error_rate.is_finite() || !(0.0..=1.0).contains(&error_rate) {
            return self.err(
                format!("{path}.error_rate"),
                format!("a probability is between 0 and 1, got {}", num(error_rate)),
            );
        }
        if latency_factor == 1.0 && capacity_factor == 1.0 && error_rate == 0.0 {
            return self.err(path.to_string(), "a brownout needs latency_factor above 1, capacity_factor below 1, or error_rate above 0");
        }
        let ramp = match f.ramp_s {
            Some(s) => self.nonneg_ms(&format!("{path}.ramp_s"), s * 1e3)?,
            None => SimDuration::ZERO,
        };
        Ok(FaultKind::RegionBrownout { region, latency_factor, capacity_factor, error_rate, ramp })
    }

    fn between(
        &self,
        path: &str,
        f: &FaultFile,
        regions: &[RegionSpec],
    ) -> R<(Vec<RegionId>, Vec<RegionId>)> {
        let p = format!("{path}.between");
        let Some(b) = &f.between else {
            return self.err(
                p,
                format!(
                    "required for a fault of kind \"{}\": two sets of regions, as [[\"a\"], [\"b\", \"c\"]]",
                    fault_kind_name(f.kind)
                ),
            );
        };
        if b.len() != 2 || b[0].is_empty() || b[1].is_empty() {
            return self
                .err(p, "must be two non-empty sets of regions, as [[\"a\"], [\"b\", \"c\"]]");
        }
        let mut sides = [Vec::new(), Vec::new()];
        for (s, side) in b.iter().enumerate() {
            for (j, name) in side.iter().enumerate() {
                let id = self.region(regions, &format!("{p}[{s}][{j}]"), name)?;
                if sides[0].contains(&id) || sides[1].contains(&id) {
                    return self.err(format!("{p}[{s}][{j}]"), format!("region \"{name}\" is named twice; each region goes on at most one side"));
                }
                sides[s].push(id);
            }
        }
        let [from, to] = sides;
        Ok((from, to))
    }

    fn limits(&self, l: &LimitsFile, duration: SimDuration) -> R<(u64, SimDuration, SimDuration)> {
        let events_max = match l.events_max {
            Some(0) => return self.err("limits.events_max", "must be at least 1"),
            Some(n) => n,
            None => crate::engine::run::EVENTS_MAX,
        };
        let convergence_max = match l.convergence_max_s {
            Some(s) => self.positive_s("limits.convergence_max_s", s)?,
            None => SimDuration::from_secs(60),
        };
        let sim_time_max = match l.sim_time_max_s {
            Some(s) => {
                let d = self.positive_s("limits.sim_time_max_s", s)?;
                if d < duration {
                    return self.err(
                        "limits.sim_time_max_s",
                        format!("must be at least duration_s ({} s)", num(duration.as_secs_f64())),
                    );
                }
                d
            }
            None => {
                let d = SimDuration(crate::engine::run::SIM_TIME_MAX_US);
                if d < duration {
                    return self.err(
                        "duration_s",
                        format!(
                            "{} s is longer than the default limit on simulated time ({} s); raise limits.sim_time_max_s to run this long",
                            num(duration.as_secs_f64()),
                            num(d.as_secs_f64())
                        ),
                    );
                }
                d
            }
        };
        Ok((events_max, sim_time_max, convergence_max))
    }

    fn expect(&self, e: ExpectFile) -> R<Expect> {
        for (field, ids) in [("violated", &e.violated), ("hold", &e.hold)] {
            for (i, id) in ids.iter().enumerate() {
                if !KNOWN_INVARIANTS.contains(&id.as_str()) {
                    let mut msg = format!(
                        "unknown invariant \"{id}\"; known: {}",
                        KNOWN_INVARIANTS.join(", ")
                    );
                    if let Some(close) = closest(id, KNOWN_INVARIANTS.iter().copied()) {
                        msg.push_str(&format!("; did you mean \"{close}\"?"));
                    }
                    return self.err(format!("expect.{field}[{i}]"), msg);
                }
                if field == "hold" && e.violated.contains(id) {
                    return self.err(
                        format!("expect.hold[{i}]"),
                        format!("\"{id}\" is also expected to be violated"),
                    );
                }
            }
        }
        let mut metrics = Vec::new();
        for (path, b) in &e.metrics {
            let p = format!("expect.metrics.\"{path}\"");
            if path.is_empty() || path.split('.').any(str::is_empty) {
                return self.err(p, "name a metric by its dot path in the summary's metrics, as \"availability\" or \"blast_radius.customers\"");
            }
            match (b.min, b.max) {
                (None, None) => return self.err(p, "give min, max or both"),
                (Some(lo), Some(hi)) if lo > hi => {
                    return self.err(p, format!("min {} is above max {}", num(lo), num(hi)))
                }
                (lo, hi)
                    if lo.is_some_and(|x| !x.is_finite()) || hi.is_some_and(|x| !x.is_finite()) =>
                {
                    return self.err(p, "bounds must be finite numbers")
                }
                _ => {}
            }
            metrics.push((path.clone(), b.min, b.max));
        }
        Ok(Expect { violated: e.violated, hold: e.hold, metrics })
    }
}

/// The control plane defaults to the first standby: putting it beside the primary would
/// make one regional failure take out both the writer and whatever promotes a new one.
fn default_control_region(regions: &[RegionSpec]) -> RegionId {
    let i = regions.iter().position(|r| r.role == Role::Standby).unwrap_or(0);
    RegionId(i as u8)
}

fn check_place(c: DebitCheckFile) -> DebitCheck {
    match c {
        DebitCheckFile::Writer => DebitCheck::Writer,
        DebitCheckFile::LocalRead => DebitCheck::LocalRead,
    }
}

fn fault_kind_name(k: FaultKindFile) -> &'static str {
    match k {
        FaultKindFile::RegionOutage => "region_outage",
        FaultKindFile::Partition => "partition",
        FaultKindFile::LinkLatency => "link_latency",
        FaultKindFile::PacketLoss => "packet_loss",
        FaultKindFile::WorkerCrash => "worker_crash",
        FaultKindFile::QueueReplay => "queue_replay",
        FaultKindFile::DuplicateDelivery => "duplicate_delivery",
        FaultKindFile::PoisonMessage => "poison_message",
        FaultKindFile::RegionBrownout => "region_brownout",
        FaultKindFile::TrafficSurge => "traffic_surge",
        FaultKindFile::PoisonCustomer => "poison_customer",
        FaultKindFile::ControlPlaneOutage => "control_plane_outage",
        FaultKindFile::IdentityOutage => "identity_outage",
        FaultKindFile::ReplicationStall => "replication_stall",
        FaultKindFile::ClockSkew => "clock_skew",
        FaultKindFile::OperatorPromote => "operator_promote",
    }
}

fn region_names(regions: &[RegionSpec]) -> String {
    regions.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ")
}
