//! Concurrent operation histories, as the linearizability checker reads them: each
//! operation is a call by one process, invoked at one point of the history and completed
//! at a later one as `ok` (it happened), `fail` (it did not happen) or `info` (nobody
//! knows). Histories come from Jepsen/Knossos EDN files (`edn`), Jepsen's log lines
//! (`jepsen_log`) or a program that pushes invocations and completions one by one, as the
//! simulator does with its register history.
//!
//! This module only records what was observed; what an operation means is the model's
//! business (`check::linearizability`). It must never panic on bad input: every malformed
//! file gives a `ParseError` naming the line and what would have been valid.

pub mod edn;
pub mod jepsen_log;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// The most operations one history may hold: ids and event indices are `u32`.
pub const HISTORY_OPS_MAX: usize = 1 << 26;

/// An operation's position in `History::ops`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpId(pub u32);

impl OpId {
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

/// The client process (thread, connection, logical operation...) that issued an
/// operation. A process has at most one operation in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProcessId(pub u64);

impl fmt::Display for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A value in a history: register contents, keys, arguments and results. Shaped after
/// EDN's scalars and vectors, which is what Jepsen histories hold.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    /// EDN `nil`: no value. As a register's contents it means "absent".
    Nil,
    Bool(bool),
    Int(i64),
    Str(String),
    /// An EDN keyword, without its leading colon.
    Keyword(String),
    /// An EDN vector or list.
    List(Vec<Value>),
}

impl fmt::Display for Value {
    /// EDN notation: `nil`, `3`, `"a\"b"`, `:x`, `[1 2]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => write!(f, "nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Keyword(k) => write!(f, ":{k}"),
            Value::List(vs) => {
                write!(f, "[")?;
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        write!(f, " ")?;
                    }
                    write!(f, "{v}")?;
                }
                write!(f, "]")
            }
        }
    }
}

/// What an operation does. Which functions a model accepts is the model's business.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Func {
    /// Register read; the completion's output is the value read.
    Read,
    /// Register write of the invocation's value.
    Write,
    /// Register compare-and-set; the invocation's value is `[expected new]`.
    Cas,
    /// Key-value get; the output is the string read.
    Get,
    /// Key-value put of the invocation's value.
    Put,
    /// Key-value append of the invocation's value to the key's string.
    Append,
    /// Multi-register transaction: a list of `[:read name value]` / `[:write name value]`.
    Txn,
    /// Mutex acquire.
    Acquire,
    /// Mutex release.
    Release,
}

impl Func {
    /// Every function with its name, as written in EDN (without the colon).
    pub const ALL: [(Func, &'static str); 9] = [
        (Func::Read, "read"),
        (Func::Write, "write"),
        (Func::Cas, "cas"),
        (Func::Get, "get"),
        (Func::Put, "put"),
        (Func::Append, "append"),
        (Func::Txn, "txn"),
        (Func::Acquire, "acquire"),
        (Func::Release, "release"),
    ];

    pub fn name(self) -> &'static str {
        Func::ALL.iter().find(|(f, _)| *f == self).map_or("?", |(_, n)| n)
    }

    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    /// Functions that only observe, so an unconstrained or unknown one can be dropped.
    pub fn is_read_only(self) -> bool {
        matches!(self, Func::Read | Func::Get)
    }
}

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It took effect between its invocation and its completion.
    Ok,
    /// It did not take effect (Jepsen `:fail`).
    Fail,
    /// Nobody knows (Jepsen `:info`: timed out, crashed): it may take effect at any point
    /// after its invocation, even after the completion was recorded, or never.
    Info,
}

/// What a `nil` read result means. Knossos EDN histories write `nil` for a read whose
/// value nobody recorded; Jepsen's register logs and the simulator write `nil` for a
/// read that found the register absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NilRead {
    /// `nil` observed the absent value (the register was never written).
    Absent,
    /// `nil` says nothing: the read is unconstrained.
    Unconstrained,
}

/// Where in the history (and in its source file) an invocation or completion happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// Position of the event among all events of the history, from 0. Real-time order
    /// between operations is the order of these indices.
    pub index: u32,
    /// The source's own timestamp (EDN `:time`), if it had one; only for display.
    pub time: Option<i64>,
    /// Line in the source file, from 1; 0 for histories built by a program.
    pub line: u32,
}

/// An operation's end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    pub outcome: Outcome,
    pub at: Stamp,
}

/// One operation: an invocation and, usually, its completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    pub id: OpId,
    pub process: ProcessId,
    /// What the operation does (Jepsen's `:f`).
    pub func: Func,
    /// The object it works on (a register or key name), if the history names one.
    pub key: Option<Value>,
    /// The invocation's argument: the value written or appended, `[expected new]` for a
    /// cas, the transaction as invoked, `nil` for reads.
    pub value: Value,
    /// What an `ok` completion returned: the value read (reads, gets), the transaction
    /// with its reads filled in (txns). For a cas, `Some(Value::Bool(false))` says the
    /// compare was observed to fail (the register differed from `expected`, nothing
    /// changed); `None` or `Some(Bool(true))` says it swapped.
    pub output: Option<Value>,
    pub invoke: Stamp,
    /// `None` while pending; a history that ends with the operation still pending
    /// treats it like `info`.
    pub completion: Option<Completion>,
}

impl Op {
    /// `Info` for pending operations: their outcome is unknown.
    pub fn outcome(&self) -> Outcome {
        self.completion.map_or(Outcome::Info, |c| c.outcome)
    }

    /// A cas whose compare was observed to fail.
    pub fn is_failed_compare(&self) -> bool {
        self.func == Func::Cas && self.output == Some(Value::Bool(false))
    }

    /// Short human description: `p3 cas 1→4`, `p0 read → 3`, `p2 write[7] 5` with a key.
    pub fn describe(&self) -> String {
        let key = self.key.as_ref().map_or(String::new(), |k| format!("[{k}]"));
        let body = match (self.func, &self.output) {
            (Func::Read | Func::Get, Some(v)) if self.outcome() == Outcome::Ok => {
                format!("{}{key} → {v}", self.func.name())
            }
            (Func::Read | Func::Get, _) => format!("{}{key}", self.func.name()),
            (Func::Cas, _) => match &self.value {
                Value::List(v) if v.len() == 2 => {
                    let failed = if self.is_failed_compare() { " (compare failed)" } else { "" };
                    format!("cas{key} {}→{}{failed}", v[0], v[1])
                }
                v => format!("cas{key} {v}"),
            },
            (Func::Txn, Some(out)) if self.outcome() == Outcome::Ok => format!("txn {out}"),
            (Func::Acquire | Func::Release, _) => self.func.name().to_string(),
            (f, _) => format!("{}{key} {}", f.name(), self.value),
        };
        let outcome = match self.completion.map(|c| c.outcome) {
            None => " (pending)",
            Some(Outcome::Ok) => "",
            Some(Outcome::Fail) => " (fail)",
            Some(Outcome::Info) => " (info)",
        };
        format!("p{} {body}{outcome}", self.process)
    }
}

/// Building a history event by event went wrong: the events are not a history.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    #[error("process {process} invokes {func} while its {pending} from {pending_at} is still pending (a process runs one operation at a time)")]
    ProcessBusy {
        process: ProcessId,
        func: &'static str,
        pending: &'static str,
        pending_at: String,
    },
    #[error("process {process} completes an operation it never invoked")]
    NothingPending { process: ProcessId },
    #[error("process {process} completes :{got} but invoked :{invoked}")]
    FuncMismatch { process: ProcessId, got: &'static str, invoked: &'static str },
    #[error("history holds more than {HISTORY_OPS_MAX} operations")]
    TooLong,
}

/// A concurrent history: operations in invocation order, each with its completion.
///
/// Build one with `invoke` and `ok` / `fail` / `info` (or `complete`), one event at a
/// time in real-time order, or parse one with `parse` / `load`:
///
/// ```
/// use gameday::history::{Func, History, ProcessId, Value};
/// let mut h = History::new();
/// let p = ProcessId(1);
/// h.invoke(p, Func::Write, Some(Value::Int(7)), Value::Int(3)).unwrap();
/// h.ok(p, None).unwrap();
/// h.invoke(p, Func::Read, Some(Value::Int(7)), Value::Nil).unwrap();
/// h.ok(p, Some(Value::Int(3))).unwrap();
/// assert_eq!(h.ops().len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct History {
    ops: Vec<Op>,
    events: u32,
    /// Each process's operation in flight.
    open: BTreeMap<ProcessId, OpId>,
    /// What a `nil` read result means in this history (programs: `Absent`).
    pub nil_read: NilRead,
}

impl Default for History {
    fn default() -> Self {
        History::new()
    }
}

impl History {
    /// An empty history whose `nil` reads observe the absent value.
    pub fn new() -> History {
        History { ops: Vec::new(), events: 0, open: BTreeMap::new(), nil_read: NilRead::Absent }
    }

    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    pub fn op(&self, id: OpId) -> &Op {
        &self.ops[id.idx()]
    }

    /// Operations invoked and not yet completed.
    pub fn in_flight(&self) -> usize {
        self.open.len()
    }

    /// Number of events (invocations and completions) recorded.
    pub fn events(&self) -> u32 {
        self.events
    }

    /// Records that `process` invokes `f` on `key` with argument `value`.
    pub fn invoke(
        &mut self,
        process: ProcessId,
        f: Func,
        key: Option<Value>,
        value: Value,
    ) -> Result<OpId, HistoryError> {
        self.invoke_at(process, f, key, value, None, 0)
    }

    /// `invoke` with the source's timestamp and line, for parsers and for programs that
    /// want their own clock shown.
    pub fn invoke_at(
        &mut self,
        process: ProcessId,
        f: Func,
        key: Option<Value>,
        value: Value,
        time: Option<i64>,
        line: u32,
    ) -> Result<OpId, HistoryError> {
        if let Some(&pending) = self.open.get(&process) {
            let p = &self.ops[pending.idx()];
            let pending_at = if p.invoke.line > 0 {
                format!("line {}", p.invoke.line)
            } else {
                format!("event {}", p.invoke.index)
            };
            return Err(HistoryError::ProcessBusy {
                process,
                func: f.name(),
                pending: p.func.name(),
                pending_at,
            });
        }
        if self.ops.len() >= HISTORY_OPS_MAX {
            return Err(HistoryError::TooLong);
        }
        let id = OpId(self.ops.len() as u32);
        let invoke = Stamp { index: self.events, time, line };
        self.events += 1;
        self.ops.push(Op {
            id,
            process,
            func: f,
            key,
            value,
            output: None,
            invoke,
            completion: None,
        });
        self.open.insert(process, id);
        Ok(id)
    }

    /// Records that `process`'s pending operation took effect and returned `output`.
    pub fn ok(&mut self, process: ProcessId, output: Option<Value>) -> Result<OpId, HistoryError> {
        self.complete_at(process, None, Outcome::Ok, output, None, 0)
    }

    /// Records that `process`'s pending operation did not take effect.
    pub fn fail(&mut self, process: ProcessId) -> Result<OpId, HistoryError> {
        self.complete_at(process, None, Outcome::Fail, None, None, 0)
    }

    /// Records that `process` will never learn whether its pending operation happened.
    pub fn info(&mut self, process: ProcessId) -> Result<OpId, HistoryError> {
        self.complete_at(process, None, Outcome::Info, None, None, 0)
    }

    /// Records that `process`'s pending cas completed without swapping: the register
    /// held something other than the expected value.
    pub fn cas_compare_failed(&mut self, process: ProcessId) -> Result<OpId, HistoryError> {
        self.complete_at(process, Some(Func::Cas), Outcome::Ok, Some(Value::Bool(false)), None, 0)
    }

    /// Completes `process`'s pending operation. `f`, if given, must be the function it
    /// invoked. `time` and `line` are as in `invoke_at`.
    pub fn complete_at(
        &mut self,
        process: ProcessId,
        f: Option<Func>,
        outcome: Outcome,
        output: Option<Value>,
        time: Option<i64>,
        line: u32,
    ) -> Result<OpId, HistoryError> {
        let Some(&id) = self.open.get(&process) else {
            return Err(HistoryError::NothingPending { process });
        };
        let op = &mut self.ops[id.idx()];
        if let Some(f) = f {
            if f != op.func {
                return Err(HistoryError::FuncMismatch {
                    process,
                    got: f.name(),
                    invoked: op.func.name(),
                });
            }
        }
        self.open.remove(&process);
        op.output = if outcome == Outcome::Ok { output } else { None };
        op.completion = Some(Completion { outcome, at: Stamp { index: self.events, time, line } });
        self.events += 1;
        Ok(id)
    }
}

/// The file formats `parse` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Decide from the file name and the first meaningful character.
    Auto,
    /// Jepsen/Knossos EDN: a vector or list of op maps, or one op map after another.
    Edn,
    /// Jepsen's log lines: `INFO  jepsen.util - 3 :invoke :cas [1 4]`.
    JepsenLog,
}

impl Format {
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "auto" => Some(Format::Auto),
            "edn" => Some(Format::Edn),
            "jepsen-log" => Some(Format::JepsenLog),
            _ => None,
        }
    }

    /// `Auto` resolved: `.edn` is EDN, `.log` a Jepsen log; otherwise text whose first
    /// meaningful character opens an EDN form (`[`, `(`, `{`) is EDN.
    pub fn resolve(self, path: Option<&Path>, text: &str) -> Format {
        if self != Format::Auto {
            return self;
        }
        match path.and_then(|p| p.extension()).and_then(|e| e.to_str()) {
            Some("edn") => return Format::Edn,
            Some("log") => return Format::JepsenLog,
            _ => {}
        }
        for line in text.lines() {
            let t = line.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
            if t.is_empty() || t.starts_with(';') {
                continue;
            }
            return if t.starts_with(['[', '(', '{']) { Format::Edn } else { Format::JepsenLog };
        }
        Format::Edn
    }
}

/// How to read a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseOptions {
    pub format: Format,
    /// What a `nil` read result means; `None` takes the format's convention (EDN:
    /// unconstrained, as Knossos; Jepsen logs: absent).
    pub nil_read: Option<NilRead>,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions { format: Format::Auto, nil_read: None }
    }
}

/// Text that is not a history, with the line (from 1) where that shows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {msg}")]
pub struct ParseError {
    pub line: u32,
    pub msg: String,
}

impl ParseError {
    pub fn new(line: u32, msg: impl Into<String>) -> ParseError {
        ParseError { line, msg: msg.into() }
    }
}

/// A history file that could not be read or parsed, named.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: cannot read: {reason}")]
    Read { path: String, reason: String },
    /// The file is longer than the limit allows: exit 3, as for every limit.
    #[error("{path}: {reason}")]
    TooLarge { path: String, reason: String },
    #[error("{path}:{line}: {msg}")]
    Parse { path: String, line: u32, msg: String },
}

/// Parses a history from text. `path`, if known, helps `Format::Auto` decide.
pub fn parse(text: &str, path: Option<&Path>, opts: &ParseOptions) -> Result<History, ParseError> {
    // Some editors start UTF-8 files with a byte-order mark; it is not EDN, and not an
    // error.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match opts.format.resolve(path, text) {
        Format::Edn | Format::Auto => {
            edn::parse_history(text, opts.nil_read.unwrap_or(NilRead::Unconstrained))
        }
        Format::JepsenLog => {
            jepsen_log::parse_history(text, opts.nil_read.unwrap_or(NilRead::Absent))
        }
    }
}

/// The largest history file `load` reads (`history check --size-mb-max` sets its own).
pub const HISTORY_BYTES_MAX_DEFAULT: u64 = 1 << 30;

/// Reads and parses the history file at `path`, within `HISTORY_BYTES_MAX_DEFAULT`.
pub fn load(path: &Path, opts: &ParseOptions) -> Result<History, LoadError> {
    let limit = crate::input::Limit {
        name: "history_bytes_max",
        bytes_max: HISTORY_BYTES_MAX_DEFAULT,
        hint: "a history that large is not read",
    };
    load_within(path, opts, limit)
}

/// Reads and parses the history file at `path`, reading no more than `limit` allows
/// (a folder, a device or a file past the limit is refused before it is parsed).
pub fn load_within(
    path: &Path,
    opts: &ParseOptions,
    limit: crate::input::Limit,
) -> Result<History, LoadError> {
    use crate::input::{ReadError, TextError};
    let name = path.display().to_string();
    let text = crate::input::read_text(path, limit).map_err(|e| match e {
        TextError::Read(e @ ReadError::TooLarge { .. }) => {
            LoadError::TooLarge { path: name.clone(), reason: e.to_string() }
        }
        TextError::NotUtf8 { line, .. } => {
            LoadError::Parse { path: name.clone(), line: line as u32, msg: "not UTF-8 text".into() }
        }
        e => LoadError::Read { path: name.clone(), reason: e.to_string() },
    })?;
    parse(&text, Some(path), opts).map_err(|e| LoadError::Parse {
        path: name,
        line: e.line,
        msg: e.msg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_runs_one_operation_at_a_time() {
        let mut h = History::new();
        h.invoke(ProcessId(1), Func::Read, None, Value::Nil).unwrap();
        let e = h.invoke(ProcessId(1), Func::Write, None, Value::Int(1)).unwrap_err();
        assert!(matches!(e, HistoryError::ProcessBusy { .. }), "{e}");
        assert!(matches!(h.fail(ProcessId(2)), Err(HistoryError::NothingPending { .. })));
        h.ok(ProcessId(1), Some(Value::Int(0))).unwrap();
        assert_eq!(h.events(), 2);
        assert_eq!(h.ops()[0].output, Some(Value::Int(0)));
    }

    #[test]
    fn auto_format_looks_at_the_name_then_the_text() {
        assert_eq!(Format::Auto.resolve(Some(Path::new("a.log")), "[]"), Format::JepsenLog);
        assert_eq!(Format::Auto.resolve(None, "; c\n {:a 1}"), Format::Edn);
        assert_eq!(Format::Auto.resolve(None, "INFO jepsen.util - 1 :invoke"), Format::JepsenLog);
    }
}
