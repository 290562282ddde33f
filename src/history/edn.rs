//! Jepsen/Knossos EDN histories: one vector or list of op maps, or op maps one after
//! another (one per line, as Porcupine's and the simulator's files have them).
//!
//! The reader handles the EDN a history can hold (nil, booleans, integers, floats,
//! strings with escapes, characters, keywords, symbols, vectors, lists, maps, sets,
//! tagged values, `;` comments, `#_` discards, commas as whitespace) and reports every
//! error with its line. Op maps use `:process`, `:type`, `:f`, `:value` and optionally
//! `:key` and `:time`; other keys are ignored, as are ops of `:process :nemesis`.

use super::{Func, History, NilRead, Outcome, ParseError, ProcessId, Value};
use std::borrow::Cow;

/// Nesting deeper than this is refused, so a hostile file cannot overflow the stack.
const NESTING_MAX: u32 = 128;

/// One EDN form, borrowing from the text where it can.
#[derive(Clone, Debug, PartialEq)]
pub enum Edn<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    Char(char),
    Keyword(&'a str),
    Symbol(&'a str),
    Vector(Vec<Edn<'a>>),
    List(Vec<Edn<'a>>),
    Set(Vec<Edn<'a>>),
    Map(Vec<(Edn<'a>, Edn<'a>)>),
    Tagged(&'a str, Box<Edn<'a>>),
}

impl Edn<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Edn::Nil => "nil",
            Edn::Bool(_) => "a boolean",
            Edn::Int(_) => "an integer",
            Edn::Float(_) => "a float",
            Edn::Str(_) => "a string",
            Edn::Char(_) => "a character",
            Edn::Keyword(_) => "a keyword",
            Edn::Symbol(_) => "a symbol",
            Edn::Vector(_) => "a vector",
            Edn::List(_) => "a list",
            Edn::Set(_) => "a set",
            Edn::Map(_) => "a map",
            Edn::Tagged(..) => "a tagged value",
        }
    }
}

/// A cursor over EDN text that knows its line.
pub struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: u32,
}

/// Bytes that end a token: whitespace, commas, brackets, quotes, comments.
const DELIMITERS: [bool; 256] = {
    let mut t = [false; 256];
    let ds = b" \t\n\r\x0c,[](){}\";";
    let mut i = 0;
    while i < ds.len() {
        t[ds[i] as usize] = true;
        i += 1;
    }
    t
};

#[inline]
fn is_delimiter(b: u8) -> bool {
    DELIMITERS[b as usize]
}

impl<'a> Reader<'a> {
    pub fn new(text: &'a str) -> Reader<'a> {
        Reader { text, bytes: text.as_bytes(), pos: 0, line: 1 }
    }

    pub fn line(&self) -> u32 {
        self.line
    }

    fn err(&self, msg: impl Into<String>) -> ParseError {
        ParseError::new(self.line, msg)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips whitespace, commas, comments and `#_` discarded forms.
    pub fn skip_ws(&mut self) -> Result<(), ParseError> {
        self.skip_ws_nested(0)
    }

    /// Most forms follow one space or none: that case returns at once.
    #[inline(always)]
    fn skip_ws_nested(&mut self, depth: u32) -> Result<(), ParseError> {
        match self.peek() {
            Some(b' ')
                if self.bytes.get(self.pos + 1).is_some_and(|&b| !is_delimiter(b) && b != b'#') =>
            {
                self.pos += 1;
                Ok(())
            }
            Some(b) if !is_delimiter(b) && b != b'#' => Ok(()),
            _ => self.skip_ws_slow(depth),
        }
    }

    #[inline(never)]
    fn skip_ws_slow(&mut self, depth: u32) -> Result<(), ParseError> {
        while let Some(b) = self.peek() {
            match b {
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' | b',' | 0x0c => self.pos += 1,
                b';' => {
                    while self.peek().is_some_and(|b| b != b'\n') {
                        self.pos += 1;
                    }
                }
                b'#' if self.bytes.get(self.pos + 1) == Some(&b'_') => {
                    // A discard reads the form it drops: `#_ #_ #_ ...` nests, so it
                    // counts against the same depth as brackets, before it recurses.
                    if depth >= NESTING_MAX {
                        return Err(self.err(format!("forms nested more than {NESTING_MAX} deep")));
                    }
                    self.pos += 2;
                    self.read(depth + 1)?;
                }
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// Reads one form; whitespace before it must already be skipped.
    pub fn read(&mut self, depth: u32) -> Result<Edn<'a>, ParseError> {
        if depth > NESTING_MAX {
            return Err(self.err(format!("forms nested more than {NESTING_MAX} deep")));
        }
        self.skip_ws_nested(depth)?;
        let Some(b) = self.peek() else {
            return Err(self.err("unexpected end of file: a form was expected"));
        };
        match b {
            b'[' => {
                self.pos += 1;
                Ok(Edn::Vector(self.read_seq(b']', depth)?))
            }
            b'(' => {
                self.pos += 1;
                Ok(Edn::List(self.read_seq(b')', depth)?))
            }
            b'{' => {
                self.pos += 1;
                self.read_map(depth)
            }
            b'"' => self.read_string(),
            b':' => {
                self.pos += 1;
                let t = self.token();
                if t.is_empty() {
                    return Err(self.err("a keyword needs a name after ':'"));
                }
                Ok(Edn::Keyword(t))
            }
            b'\\' => self.read_char(),
            b'#' => self.read_dispatch(depth),
            b']' | b')' | b'}' => Err(self.err(format!("unexpected '{}'", b as char))),
            _ => self.read_atom(),
        }
    }

    fn read_seq(&mut self, close: u8, depth: u32) -> Result<Vec<Edn<'a>>, ParseError> {
        let open_line = self.line;
        let mut items = Vec::new();
        loop {
            self.skip_ws_nested(depth)?;
            match self.peek() {
                None => {
                    return Err(self.err(format!(
                        "unexpected end of file: '{}' opened on line {open_line} is never closed",
                        open_of(close)
                    )))
                }
                Some(b) if b == close => {
                    self.pos += 1;
                    return Ok(items);
                }
                Some(_) => items.push(self.read(depth + 1)?),
            }
        }
    }

    fn read_map(&mut self, depth: u32) -> Result<Edn<'a>, ParseError> {
        let open_line = self.line;
        let items = self.read_seq(b'}', depth)?;
        if items.len() % 2 != 0 {
            return Err(ParseError::new(
                open_line,
                "a map needs an even number of forms (a value for every key)",
            ));
        }
        let mut pairs = Vec::with_capacity(items.len() / 2);
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            pairs.push((k, v));
        }
        Ok(Edn::Map(pairs))
    }

    /// Reads a token: the bytes up to the next delimiter.
    #[inline]
    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(|b| !is_delimiter(b)) {
            self.pos += 1;
        }
        // Delimiters are ASCII, so the cut falls on a character boundary.
        &self.text[start..self.pos]
    }

    fn read_string(&mut self) -> Result<Edn<'a>, ParseError> {
        let open_line = self.line;
        self.pos += 1;
        let start = self.pos;
        let mut owned: Option<String> = None;
        loop {
            let Some(b) = self.peek() else {
                return Err(ParseError::new(open_line, "string is never closed (missing '\"')"));
            };
            match b {
                b'"' => {
                    let s = match owned {
                        Some(s) => Cow::Owned(s),
                        None => Cow::Borrowed(&self.text[start..self.pos]),
                    };
                    self.pos += 1;
                    return Ok(Edn::Str(s));
                }
                b'\\' => {
                    let s = owned.get_or_insert_with(|| self.text[start..self.pos].to_string());
                    let esc = self.bytes.get(self.pos + 1).copied();
                    self.pos += 2;
                    match esc {
                        Some(b'n') => s.push('\n'),
                        Some(b't') => s.push('\t'),
                        Some(b'r') => s.push('\r'),
                        Some(b'"') => s.push('"'),
                        Some(b'\\') => s.push('\\'),
                        Some(b'u') => {
                            let hex = self.text.get(self.pos..self.pos + 4).unwrap_or("");
                            let c = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                            let Some(c) = c else {
                                return Err(self.err("bad \\u escape: four hex digits expected"));
                            };
                            s.push(c);
                            self.pos += 4;
                        }
                        _ => {
                            return Err(self.err(
                                "unknown string escape (valid: \\n \\t \\r \\\" \\\\ \\uXXXX)",
                            ))
                        }
                    }
                }
                _ => {
                    if b == b'\n' {
                        self.line += 1;
                    }
                    // Copy whole UTF-8 characters once the string is owned.
                    let len = utf8_len(b);
                    if let Some(s) = owned.as_mut() {
                        s.push_str(&self.text[self.pos..self.pos + len]);
                    }
                    self.pos += len;
                }
            }
        }
    }

    fn read_char(&mut self) -> Result<Edn<'a>, ParseError> {
        self.pos += 1;
        // A character literal is at least one character, even a delimiter: `\(`.
        let first = self.text[self.pos..].chars().next();
        let Some(first) = first else {
            return Err(self.err("unexpected end of file after '\\'"));
        };
        self.pos += first.len_utf8();
        let rest = self.token();
        let c = match (first, rest) {
            (c, "") => c,
            ('n', "ewline") => '\n',
            ('s', "pace") => ' ',
            ('t', "ab") => '\t',
            ('r', "eturn") => '\r',
            _ => return Err(self.err(format!("unknown character literal \\{first}{rest}"))),
        };
        Ok(Edn::Char(c))
    }

    fn read_dispatch(&mut self, depth: u32) -> Result<Edn<'a>, ParseError> {
        match self.bytes.get(self.pos + 1) {
            Some(b'{') => {
                self.pos += 2;
                Ok(Edn::Set(self.read_seq(b'}', depth)?))
            }
            Some(b) if b.is_ascii_alphabetic() => {
                self.pos += 1;
                let tag = self.token();
                let inner = self.read(depth + 1)?;
                Ok(Edn::Tagged(tag, Box::new(inner)))
            }
            _ => Err(self.err("unsupported '#' form (valid: #{set}, #_discard, #tag value)")),
        }
    }

    fn read_atom(&mut self) -> Result<Edn<'a>, ParseError> {
        let t = self.token();
        if t.is_empty() {
            return Err(self.err("unexpected character"));
        }
        let b = t.as_bytes();
        let numeric = b[0].is_ascii_digit()
            || (matches!(b[0], b'+' | b'-') && b.get(1).is_some_and(|c| c.is_ascii_digit()));
        if numeric {
            return self.number(t);
        }
        Ok(match t {
            "nil" => Edn::Nil,
            "true" => Edn::Bool(true),
            "false" => Edn::Bool(false),
            _ => Edn::Symbol(t),
        })
    }

    fn number(&self, t: &str) -> Result<Edn<'a>, ParseError> {
        let int = t.strip_suffix('N').unwrap_or(t);
        if let Ok(i) = int.parse::<i64>() {
            return Ok(Edn::Int(i));
        }
        if t.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'+' || b == b'N') {
            return Err(self.err(format!("integer {t} is out of range (64-bit integers only)")));
        }
        let float = t.strip_suffix('M').unwrap_or(t);
        match float.parse::<f64>() {
            Ok(f) => Ok(Edn::Float(f)),
            Err(_) => Err(self.err(format!("malformed number {t:?}"))),
        }
    }
}

fn open_of(close: u8) -> char {
    match close {
        b']' => '[',
        b')' => '(',
        _ => '{',
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Well-formed EDN that cannot be an operation's value or key (a map, a set, a float...).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error(
    "{kind} cannot be an operation's value or key (valid: nil, booleans, integers, strings, \
     keywords, and vectors or lists of them)"
)]
pub struct NotAValue {
    /// What the form is, with its article: "a map".
    pub kind: &'static str,
}

/// An EDN form as a history value: scalars, keywords and vectors or lists of them.
pub fn to_value(e: &Edn<'_>) -> Result<Value, NotAValue> {
    Ok(match e {
        Edn::Nil => Value::Nil,
        Edn::Bool(b) => Value::Bool(*b),
        Edn::Int(i) => Value::Int(*i),
        Edn::Str(s) => Value::Str(s.to_string()),
        Edn::Keyword(k) => Value::Keyword(k.to_string()),
        Edn::Symbol(s) => Value::Keyword(s.to_string()),
        Edn::Vector(xs) | Edn::List(xs) => {
            Value::List(xs.iter().map(to_value).collect::<Result<_, _>>()?)
        }
        other => return Err(NotAValue { kind: other.kind() }),
    })
}

/// Parses an EDN history. `nil_read` says what a `nil` read result means.
pub fn parse_history(text: &str, nil_read: NilRead) -> Result<History, ParseError> {
    let mut h = History::new();
    h.nil_read = nil_read;
    let mut r = Reader::new(text);
    r.skip_ws()?;
    match r.peek() {
        Some(open @ (b'[' | b'(')) => {
            let close = if open == b'[' { b']' } else { b')' };
            let open_line = r.line;
            r.pos += 1;
            loop {
                r.skip_ws()?;
                match r.peek() {
                    None => {
                        return Err(r.err(format!(
                            "unexpected end of file: the history's '{}' from line {open_line} \
                             is never closed",
                            open as char
                        )))
                    }
                    Some(b) if b == close => {
                        r.pos += 1;
                        break;
                    }
                    Some(_) => {
                        let line = r.line;
                        let fields = r.read_op(1)?;
                        add_op(&mut h, fields, line)?;
                    }
                }
            }
            r.skip_ws()?;
            if !r.at_end() {
                return Err(r.err("text after the end of the history's vector"));
            }
        }
        _ => loop {
            r.skip_ws()?;
            if r.at_end() {
                break;
            }
            let line = r.line;
            let fields = r.read_op(0)?;
            add_op(&mut h, fields, line)?;
        },
    }
    Ok(h)
}

/// The fields of an op map that a history uses, read straight from the text.
#[derive(Default)]
struct Fields<'a> {
    process: Option<Edn<'a>>,
    ty: Option<Edn<'a>>,
    f: Option<Edn<'a>>,
    key: Option<Result<Value, NotAValue>>,
    value: Option<Result<Value, NotAValue>>,
    time: Option<Edn<'a>>,
}

impl<'a> Reader<'a> {
    /// Reads an op map's fields, skipping the keys a history does not use, without
    /// building the map: histories are mostly op maps, and this is most of the parsing.
    fn read_op(&mut self, depth: u32) -> Result<Fields<'a>, ParseError> {
        self.skip_ws_nested(depth)?;
        if self.peek() != Some(b'{') {
            let line = self.line;
            let form = self.read(depth)?;
            return Err(ParseError::new(
                line,
                format!(
                    "expected an op map like {{:process 0, :type :invoke, :f :read, :value nil}}, \
                     found {}",
                    form.kind()
                ),
            ));
        }
        let open_line = self.line;
        self.pos += 1;
        let mut fl = Fields::default();
        loop {
            self.skip_ws_nested(depth + 1)?;
            match self.peek() {
                None => {
                    return Err(self.err(format!(
                        "unexpected end of file: '{{' opened on line {open_line} is never closed"
                    )))
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(fl);
                }
                Some(_) => {}
            }
            let key = self.read(depth + 1)?;
            self.skip_ws_nested(depth + 1)?;
            if matches!(self.peek(), None | Some(b'}')) {
                return Err(ParseError::new(
                    open_line,
                    "a map needs an even number of forms (a value for every key)",
                ));
            }
            match key {
                Edn::Keyword("value") => fl.value = Some(self.read_value(depth + 1)?),
                Edn::Keyword("key") => fl.key = Some(self.read_value(depth + 1)?),
                Edn::Keyword("process") => fl.process = Some(self.read(depth + 1)?),
                Edn::Keyword("type") => fl.ty = Some(self.read(depth + 1)?),
                Edn::Keyword("f") => fl.f = Some(self.read(depth + 1)?),
                Edn::Keyword("time") => fl.time = Some(self.read(depth + 1)?),
                _ => {
                    self.read(depth + 1)?;
                }
            }
        }
    }

    /// Reads a form as a history value: `Err` inside when it is well-formed EDN that
    /// cannot be one (a map, a set, a float...).
    fn read_value(&mut self, depth: u32) -> Result<Result<Value, NotAValue>, ParseError> {
        self.skip_ws_nested(depth)?;
        if depth > NESTING_MAX {
            return Err(self.err(format!("forms nested more than {NESTING_MAX} deep")));
        }
        let close = match self.peek() {
            Some(b'[') => b']',
            Some(b'(') => b')',
            _ => return Ok(to_value(&self.read(depth)?)),
        };
        let open_line = self.line;
        self.pos += 1;
        let mut items = Vec::new();
        let mut bad: Option<NotAValue> = None;
        loop {
            self.skip_ws_nested(depth + 1)?;
            match self.peek() {
                None => {
                    return Err(self.err(format!(
                        "unexpected end of file: '{}' opened on line {open_line} is never closed",
                        open_of(close)
                    )))
                }
                Some(b) if b == close => {
                    self.pos += 1;
                    return Ok(bad.map_or(Ok(Value::List(items)), Err));
                }
                Some(_) => match self.read_value(depth + 1)? {
                    Ok(v) => items.push(v),
                    Err(m) => bad = bad.or(Some(m)),
                },
            }
        }
    }
}

fn add_op(h: &mut History, fl: Fields<'_>, line: u32) -> Result<(), ParseError> {
    let err = |msg: String| ParseError::new(line, msg);
    let process = match &fl.process {
        Some(Edn::Keyword("nemesis")) => return Ok(()),
        Some(Edn::Int(p)) if *p >= 0 => ProcessId(*p as u64),
        Some(other) => {
            return Err(err(format!(
                ":process must be a non-negative integer or :nemesis, found {}",
                other.kind()
            )))
        }
        None => return Err(err("op map has no :process".into())),
    };
    let outcome = match &fl.ty {
        Some(Edn::Keyword("invoke")) => None,
        Some(Edn::Keyword("ok")) => Some(Outcome::Ok),
        Some(Edn::Keyword("fail")) => Some(Outcome::Fail),
        Some(Edn::Keyword("info")) => Some(Outcome::Info),
        Some(other) => {
            return Err(err(format!(
                "unknown :type {} (valid: :invoke :ok :fail :info)",
                show(other)
            )))
        }
        None => return Err(err("op map has no :type (valid: :invoke :ok :fail :info)".into())),
    };
    let f = match &fl.f {
        Some(Edn::Keyword(name)) => Func::from_name(name)
            .ok_or_else(|| err(format!("unknown :f :{name} (valid: {})", valid_funcs())))?,
        Some(other) => return Err(err(format!(":f must be a keyword, found {}", other.kind()))),
        None => return Err(err(format!("op map has no :f (valid: {})", valid_funcs()))),
    };
    let value = fl.value.transpose().map_err(|m| err(format!(":value: {m}")))?;
    let value = value.unwrap_or(Value::Nil);
    let time = match fl.time {
        Some(Edn::Int(t)) => Some(t),
        _ => None,
    };
    let result = match outcome {
        None => {
            let key = fl.key.transpose().map_err(|m| err(format!(":key: {m}")))?;
            h.invoke_at(process, f, key, value, time, line).map(|_| ())
        }
        Some(outcome) => {
            let output = match f {
                Func::Read | Func::Get | Func::Txn => Some(value),
                _ => None,
            };
            h.complete_at(process, Some(f), outcome, output, time, line).map(|_| ())
        }
    };
    result.map_err(|e| err(e.to_string()))
}

fn show(e: &Edn<'_>) -> String {
    match e {
        Edn::Keyword(k) => format!(":{k}"),
        other => other.kind().to_string(),
    }
}

fn valid_funcs() -> String {
    Func::ALL.iter().map(|(_, n)| format!(":{n}")).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_a_history_holds() {
        let text = r#"[1 -2 3N 1.5 "a\"b\u00e9" \c \newline :k sym nil true #{1} #inst "x" #_ 9 {:a [1 (2)]}]"#;
        let mut r = Reader::new(text);
        let Edn::Vector(xs) = r.read(0).unwrap() else { panic!() };
        assert_eq!(xs[0], Edn::Int(1));
        assert_eq!(xs[1], Edn::Int(-2));
        assert_eq!(xs[2], Edn::Int(3));
        assert_eq!(xs[3], Edn::Float(1.5));
        assert_eq!(xs[4], Edn::Str("a\"bé".into()));
        assert_eq!(xs[5], Edn::Char('c'));
        assert_eq!(xs[6], Edn::Char('\n'));
        assert_eq!(xs[7], Edn::Keyword("k"));
        assert_eq!(xs[8], Edn::Symbol("sym"));
        assert_eq!(xs[9], Edn::Nil);
        assert_eq!(xs[10], Edn::Bool(true));
        assert_eq!(xs.len(), 14, "#_ drops the 9");
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse_history(
            "[{:process 1 :type :invoke :f :read}\n {:process 1 :type :ok",
            NilRead::Absent,
        )
        .unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.msg.contains("never closed"), "{e}");
        let e =
            parse_history("{:process 1, :type :invoke, :f :frob}", NilRead::Absent).unwrap_err();
        assert!(e.msg.contains("unknown :f :frob (valid: :read"), "{e}");
        let e = parse_history("\n\n[1 2 3 ]]", NilRead::Absent).unwrap_err();
        assert_eq!(e.line, 3);
        let deep = "[".repeat(1000);
        assert!(parse_history(&deep, NilRead::Absent).unwrap_err().msg.contains("nested"));
        let e = parse_history(
            "{:process 1 :type :invoke :f :read :value 99999999999999999999}",
            NilRead::Absent,
        )
        .unwrap_err();
        assert!(e.msg.contains("out of range"), "{e}");
    }

    #[test]
    fn nemesis_ops_are_skipped_and_completions_carry_reads() {
        let h = parse_history(
            "({:process :nemesis :type :info :f :start}\n{:process 0 :type :invoke :f :read :value nil}\n{:process 0 :type :ok :f :read :value 3 :time 5})",
            NilRead::Unconstrained,
        )
        .unwrap();
        assert_eq!(h.ops().len(), 1);
        let op = &h.ops()[0];
        assert_eq!(op.output, Some(Value::Int(3)));
        assert_eq!(op.invoke.line, 2);
        assert_eq!(op.completion.unwrap().at.time, Some(5));
    }
}
