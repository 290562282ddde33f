//! The sequential models, compiled: each operation of one independent part of a history
//! becomes a `Step` over a state of fixed width (one `u64` word per register, key or
//! lock), with every value interned to a word, so the search can copy, hash and compare
//! states without allocating. Operations that cannot constrain anything (a `fail`, a read
//! whose result is unknown or unconstrained) are dropped here.

use super::hash::mix;
use super::{Model, ModelError};
use crate::history::{Func, History, NilRead, OpId, Outcome, Value};
use std::collections::BTreeMap;

/// The word of `Value::Nil` (absent), whatever else is interned.
const NIL: u64 = 0;

/// What one operation does to the state, or requires of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Step {
    /// The slot must hold `value`.
    Read {
        slot: u32,
        value: u64,
    },
    Write {
        slot: u32,
        value: u64,
    },
    /// Legal only when the slot holds `from`; then it holds `to`.
    Cas {
        slot: u32,
        from: u64,
        to: u64,
    },
    /// A cas whose compare failed: legal only when the slot does not hold `from`.
    CasFailed {
        slot: u32,
        from: u64,
    },
    /// The slot's string gets the string `arg` appended.
    Append {
        slot: u32,
        arg: u64,
    },
    /// Micro-operations `micro[start..start + len]`, in order, atomically.
    Txn {
        start: u32,
        len: u32,
    },
    /// Lock word 0 must be free (0); then it is held (1).
    Acquire,
    /// Lock word 0 must be held; then it is free.
    Release,
}

impl Step {
    /// Steps that change nothing: of unknown outcome, they constrain nothing either.
    pub fn is_read_only(self) -> bool {
        matches!(self, Step::Read { .. } | Step::CasFailed { .. })
    }
}

/// One read or write inside a transaction.
#[derive(Clone, Copy, Debug)]
pub(super) struct Micro {
    slot: u32,
    write: bool,
    value: u64,
}

/// A compiled operation: its step and where it sits in real time.
#[derive(Clone, Debug)]
pub(super) struct COp {
    pub id: OpId,
    pub step: Step,
    /// Event index of the invocation.
    pub call: u32,
    /// Event index of the completion; `None` when the outcome is unknown (it may take
    /// effect at any later point, or never).
    pub ret: Option<u32>,
}

/// Values interned to state words. Strings that appends make during the search get
/// words too (in `strings` only), the same word for the same contents whatever appends
/// made them.
struct Interner {
    ids: BTreeMap<Value, u64>,
    values: Vec<Value>,
    strings: Strings,
}

impl Interner {
    fn new() -> Interner {
        let mut i =
            Interner { ids: BTreeMap::new(), values: Vec::new(), strings: Strings::default() };
        let nil = i.intern(Value::Nil);
        debug_assert_eq!(nil, NIL);
        i
    }

    /// The word of `v`; only before the search starts.
    fn intern(&mut self, v: Value) -> u64 {
        if let Some(&id) = self.ids.get(&v) {
            return id;
        }
        assert_eq!(self.values.len(), self.strings.meta.len(), "interning after the search began");
        let id = self.values.len() as u64;
        self.strings.push_value(&v);
        self.values.push(v.clone());
        self.ids.insert(v, id);
        id
    }
}

/// The polynomial hash's base: a string's hash is the sum of (byte + 1) * P^position,
/// so the hash of a concatenation follows from its parts' hashes in O(1).
const P: u64 = 0x0000_0100_0000_01b3;
/// `StrMeta::len` of a word that is not a string.
const NOT_STRING: u32 = u32::MAX;
/// `StrMeta::left` of a string whose bytes are in the arena.
const LEAF: u32 = u32::MAX;

/// A string: bytes in the arena (a leaf), or the concatenation of two strings, so an
/// append costs O(1) whatever the length (the search makes many long strings).
#[derive(Clone, Copy)]
struct StrMeta {
    /// `LEAF`, or the word of the prefix.
    left: u32,
    /// For a concatenation, the word of the suffix.
    right: u32,
    /// For a leaf, where its bytes start in the arena.
    start: usize,
    /// Length in bytes; `NOT_STRING` for other values.
    len: u32,
    hash: u64,
    /// P to the power of the length.
    pow: u64,
}

/// String contents by word, with a table from contents to word: equal strings get
/// one word whatever appends made them.
#[derive(Default)]
struct Strings {
    bytes: Vec<u8>,
    meta: Vec<StrMeta>,
    /// (hash, word + 1) per slot (word 0: empty), placed by hash.
    table: Vec<(u64, u32)>,
    /// Scratch space for comparing contents.
    buf_a: Vec<u8>,
    buf_b: Vec<u8>,
}

impl Strings {
    fn len_of(&self, w: u64) -> usize {
        let m = self.meta[w as usize];
        if m.len == NOT_STRING {
            0
        } else {
            m.len as usize
        }
    }

    /// Appends the bytes of string `w` to `out` (nothing for other values).
    fn write(&self, w: u64, out: &mut Vec<u8>) {
        let mut stack = vec![w as u32];
        while let Some(x) = stack.pop() {
            let m = self.meta[x as usize];
            if m.len == NOT_STRING {
                continue;
            }
            if m.left == LEAF {
                out.extend_from_slice(&self.bytes[m.start..m.start + m.len as usize]);
            } else {
                stack.push(m.right);
                stack.push(m.left);
            }
        }
    }

    fn push_value(&mut self, v: &Value) {
        let Value::Str(text) = v else {
            let meta = StrMeta { left: LEAF, right: 0, start: 0, len: NOT_STRING, hash: 0, pow: 1 };
            self.meta.push(meta);
            return;
        };
        let (mut hash, mut pow) = (0u64, 1u64);
        for &b in text.as_bytes() {
            hash = hash.wrapping_mul(P).wrapping_add(b as u64 + 1);
            pow = pow.wrapping_mul(P);
        }
        let start = self.bytes.len();
        self.bytes.extend_from_slice(text.as_bytes());
        let len = text.len() as u32;
        self.meta.push(StrMeta { left: LEAF, right: 0, start, len, hash, pow });
        self.index(self.meta.len() as u64 - 1);
    }

    fn slot_of(&self, hash: u64) -> usize {
        (mix(hash) as usize) & (self.table.len() - 1)
    }

    /// Adds word `w` to the table.
    fn index(&mut self, w: u64) {
        if (self.meta.len() + 1) * 2 > self.table.len() {
            let n = (self.table.len() * 2).max(64);
            self.table = vec![(0, 0); n];
            for x in 0..self.meta.len() as u64 {
                if x != w && self.meta[x as usize].len != NOT_STRING {
                    self.place(x);
                }
            }
        }
        self.place(w);
    }

    fn place(&mut self, w: u64) {
        let mask = self.table.len() - 1;
        let hash = self.meta[w as usize].hash;
        let mut i = self.slot_of(hash);
        while self.table[i].1 != 0 {
            i = (i + 1) & mask;
        }
        self.table[i] = (hash, w as u32 + 1);
    }

    /// Whether string `w` is `a` followed by `b`, byte for byte.
    fn is_concat(&mut self, w: u64, a: u64, b: u64) -> bool {
        let (mut x, mut y) = (std::mem::take(&mut self.buf_a), std::mem::take(&mut self.buf_b));
        x.clear();
        y.clear();
        self.write(w, &mut x);
        self.write(a, &mut y);
        self.write(b, &mut y);
        let same = x == y;
        (self.buf_a, self.buf_b) = (x, y);
        same
    }

    /// The word of the string `a` followed by `b`, made if new.
    fn concat(&mut self, a: u64, b: u64) -> u64 {
        let (ma, mb) = (self.meta[a as usize], self.meta[b as usize]);
        let hash = ma.hash.wrapping_mul(mb.pow).wrapping_add(mb.hash);
        let len = self.len_of(a) + self.len_of(b);
        let mask = self.table.len() - 1;
        let mut i = self.slot_of(hash);
        while self.table[i].1 != 0 {
            let (h, w) = self.table[i];
            if h == hash {
                let w = w as u64 - 1;
                let m = self.meta[w as usize];
                // The same two parts make the same string; other candidates are
                // compared byte for byte.
                let same_parts = m.left == a as u32 && m.right == b as u32;
                if m.len as usize == len && (same_parts || self.is_concat(w, a, b)) {
                    return w;
                }
            }
            i = (i + 1) & mask;
        }
        let pow = ma.pow.wrapping_mul(mb.pow);
        let meta =
            StrMeta { left: a as u32, right: b as u32, start: 0, len: len as u32, hash, pow };
        self.meta.push(meta);
        let w = self.meta.len() as u64 - 1;
        self.index(w);
        w
    }
}

/// One independent part of a history, ready to search.
pub(super) struct Compiled {
    pub ops: Vec<COp>,
    pub init: Vec<u64>,
    micro: Vec<Micro>,
    values: Interner,
    /// Per operation: the last string it appended to, and the result.
    last_append: Vec<(u64, u64)>,
}

impl Compiled {
    pub fn width(&self) -> usize {
        self.init.len()
    }

    /// Applies `step` (op `k`'s) to `state` in place; false (state then unspecified) if the
    /// model forbids it in this state.
    #[inline]
    pub fn apply(&mut self, step: Step, k: usize, state: &mut [u64]) -> bool {
        match step {
            Step::Read { slot, value: v } => state[slot as usize] == v,
            Step::Write { slot, value: v } => {
                state[slot as usize] = v;
                true
            }
            Step::Cas { slot, from, to } => {
                let s = &mut state[slot as usize];
                if *s != from {
                    return false;
                }
                *s = to;
                true
            }
            Step::CasFailed { slot, from } => state[slot as usize] != from,
            Step::Append { slot, arg } => {
                let s = state[slot as usize];
                // The same append is tried from the same string again and again.
                let (from, to) = self.last_append[k];
                state[slot as usize] = if from == s {
                    to
                } else {
                    let to = self.append(s, arg);
                    self.last_append[k] = (s, to);
                    to
                };
                true
            }
            Step::Txn { start, len } => {
                for m in &self.micro[start as usize..(start + len) as usize] {
                    let s = &mut state[m.slot as usize];
                    if m.write {
                        *s = m.value;
                    } else if *s != m.value {
                        return false;
                    }
                }
                true
            }
            Step::Acquire => {
                if state[0] != 0 {
                    return false;
                }
                state[0] = 1;
                true
            }
            Step::Release => {
                if state[0] != 1 {
                    return false;
                }
                state[0] = 0;
                true
            }
        }
    }

    fn append(&mut self, s: u64, arg: u64) -> u64 {
        debug_assert!(s < 1 << 32 && arg < 1 << 32, "string words fit 32 bits");
        self.values.strings.concat(s, arg)
    }

    /// Memory the search made outside its memo table: strings and their index.
    pub fn extra_bytes(&self) -> usize {
        let st = &self.values.strings;
        st.bytes.capacity()
            + st.meta.capacity() * std::mem::size_of::<StrMeta>()
            + st.table.capacity() * 16
    }
}

/// Where an operation came from, for errors.
fn bad(h: &History, id: OpId, msg: String) -> ModelError {
    ModelError { line: h.op(id).invoke.line, op: id, msg }
}

/// Compiles the operations `ids` (in invocation order) of `h` under `model`: one state
/// slot per key (register, kv) or register name (multi-register) among them.
pub(super) fn compile(h: &History, model: &Model, ids: &[OpId]) -> Result<Compiled, ModelError> {
    let mut c = Compiled {
        ops: Vec::with_capacity(ids.len()),
        init: Vec::new(),
        micro: Vec::new(),
        values: Interner::new(),
        last_append: Vec::new(),
    };
    let mut slots: BTreeMap<Value, u32> = BTreeMap::new();
    let unconstrained = h.nil_read == NilRead::Unconstrained;
    for &id in ids {
        let op = h.op(id);
        check_func(h, model, id)?;
        if op.outcome() == Outcome::Fail {
            continue;
        }
        let known = op.outcome() == Outcome::Ok;
        let step = match model {
            Model::Register { .. } | Model::Kv => {
                let key = op.key.clone().unwrap_or(Value::Nil);
                if matches!(model, Model::Kv) && op.key.is_none() {
                    return Err(bad(h, id, "kv operations need a :key".into()));
                }
                let next = slots.len() as u32;
                let slot = *slots.entry(key).or_insert(next);
                match register_step(&mut c, h, id, slot, known, unconstrained)? {
                    Some(s) => s,
                    None => continue,
                }
            }
            Model::MultiRegister { .. } => {
                match txn_step(&mut c, h, id, &mut slots, known, unconstrained)? {
                    Some(s) => s,
                    None => continue,
                }
            }
            Model::Mutex => {
                if op.func == Func::Acquire {
                    Step::Acquire
                } else {
                    Step::Release
                }
            }
        };
        let ret = if known { op.completion.map(|c| c.at.index) } else { None };
        c.ops.push(COp { id, step, call: op.invoke.index, ret });
    }
    c.last_append = vec![(u64::MAX, 0); c.ops.len()];
    c.init = match model {
        Model::Register { init } | Model::MultiRegister { init } => {
            let w = c.values.intern(init.clone());
            vec![w; slots.len().max(1)]
        }
        Model::Kv => {
            let w = c.values.intern(Value::Str(String::new()));
            vec![w; slots.len().max(1)]
        }
        Model::Mutex => vec![0],
    };
    Ok(c)
}

fn check_func(h: &History, model: &Model, id: OpId) -> Result<(), ModelError> {
    let f = h.op(id).func;
    let valid = model.funcs();
    if valid.contains(&f) {
        return Ok(());
    }
    let names: Vec<String> = valid.iter().map(|f| format!(":{}", f.name())).collect();
    Err(bad(
        h,
        id,
        format!(
            ":{} is not an operation of model {} (valid: {})",
            f.name(),
            model.name(),
            names.join(" ")
        ),
    ))
}

/// A read, write, cas, get, put or append on `slot`; `None` if it constrains nothing.
fn register_step(
    c: &mut Compiled,
    h: &History,
    id: OpId,
    slot: u32,
    known: bool,
    unconstrained: bool,
) -> Result<Option<Step>, ModelError> {
    let op = h.op(id);
    let kv = matches!(op.func, Func::Get | Func::Put | Func::Append);
    Ok(Some(match op.func {
        Func::Read | Func::Get => {
            let Some(v) = op.output.clone().filter(|_| known) else { return Ok(None) };
            let v = match v {
                Value::Nil if unconstrained => return Ok(None),
                // A kv key nobody wrote holds the empty string.
                Value::Nil if kv => Value::Str(String::new()),
                v => v,
            };
            Step::Read { slot, value: c.values.intern(v) }
        }
        Func::Put if !matches!(op.value, Value::Str(_)) => {
            return Err(bad(h, id, format!("put needs a string, found {}", op.value)));
        }
        Func::Write | Func::Put => Step::Write { slot, value: c.values.intern(op.value.clone()) },
        Func::Cas => {
            let Value::List(pair) = &op.value else {
                return Err(bad(h, id, format!("a cas needs [expected new], found {}", op.value)));
            };
            let [from, to] = pair.as_slice() else {
                return Err(bad(h, id, format!("a cas needs [expected new], found {}", op.value)));
            };
            let from = c.values.intern(from.clone());
            if known && op.is_failed_compare() {
                Step::CasFailed { slot, from }
            } else {
                Step::Cas { slot, from, to: c.values.intern(to.clone()) }
            }
        }
        Func::Append => {
            if !matches!(op.value, Value::Str(_)) {
                return Err(bad(h, id, format!("append needs a string, found {}", op.value)));
            }
            let arg = c.values.intern(op.value.clone());
            if c.values.values.len() as u64 >= 1 << 31 {
                return Err(bad(h, id, "more than 2^32 distinct strings".into()));
            }
            Step::Append { slot, arg }
        }
        _ => unreachable!("check_func let only register and kv functions through"),
    }))
}

/// A transaction's micro-operations, e.g. `[[:read :x 0] [:write :y 2]]`, taken from
/// the completion when it is known (reads carry their results there) and from the
/// invocation otherwise (then only its writes matter).
fn txn_step(
    c: &mut Compiled,
    h: &History,
    id: OpId,
    slots: &mut BTreeMap<Value, u32>,
    known: bool,
    unconstrained: bool,
) -> Result<Option<Step>, ModelError> {
    let op = h.op(id);
    let src = if known { op.output.as_ref().unwrap_or(&op.value) } else { &op.value };
    let Value::List(micros) = src else {
        return Err(bad(
            h,
            id,
            format!("a txn needs a list of [:read k v] / [:write k v], found {src}"),
        ));
    };
    let start = c.micro.len() as u32;
    for m in micros {
        let (write, name, v) = match m {
            Value::List(t) if t.len() == 3 => match &t[0] {
                Value::Keyword(k) if k == "read" => (false, &t[1], &t[2]),
                Value::Keyword(k) if k == "write" => (true, &t[1], &t[2]),
                _ => return Err(bad(h, id, format!("unknown micro-op {m} (valid: :read :write)"))),
            },
            _ => {
                return Err(bad(
                    h,
                    id,
                    format!("a micro-op is [:read k v] or [:write k v], found {m}"),
                ))
            }
        };
        let next = slots.len() as u32;
        let slot = *slots.entry(name.clone()).or_insert(next);
        if !write && (!known || (*v == Value::Nil && unconstrained)) {
            continue;
        }
        c.micro.push(Micro { slot, write, value: c.values.intern(v.clone()) });
    }
    let len = c.micro.len() as u32 - start;
    Ok((len > 0).then_some(Step::Txn { start, len }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `f` on a thread of its own and fails if it takes over `secs` seconds: a
    /// probe loop that never finds its slot should fail a test, not hang the run.
    fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(f()).ok());
        rx.recv_timeout(std::time::Duration::from_secs(secs))
            .unwrap_or_else(|e| panic!("still running after {secs} s: {e}"))
    }

    /// Equal contents get one word, whether interned or made by appends (and the
    /// same appends made again).
    #[test]
    fn equal_strings_get_one_word_whatever_made_them() {
        within(20, || {
            let mut i = Interner::new();
            let s = |t: &str| Value::Str(t.to_string());
            let abc = i.intern(s("abc"));
            let (a, bc, ab, c) =
                (i.intern(s("a")), i.intern(s("bc")), i.intern(s("ab")), i.intern(s("c")));
            let x = i.strings.concat(a, bc);
            assert_eq!(x, abc, "a + bc is the interned abc");
            assert_eq!(i.strings.concat(ab, c), abc);
            let empty = i.intern(s(""));
            assert_eq!(i.strings.concat(empty, a), a);
            let abcc = i.strings.concat(x, c);
            let cc = i.strings.concat(c, c);
            assert_eq!(i.strings.concat(ab, cc), abcc);
            let mut out = Vec::new();
            i.strings.write(abcc, &mut out);
            assert_eq!(out, b"abcc");
            assert_ne!(i.strings.concat(c, ab), abcc);
        });
    }

    /// The string table grows as strings are made, and every lookup still finds the
    /// one word of its contents: thousands of strings, interned and made by appends,
    /// each get a word of their own, and the same contents always the same word.
    #[test]
    fn thousands_of_strings_keep_one_word_each_as_the_table_grows() {
        within(20, || {
            let mut i = Interner::new();
            let s = |t: String| Value::Str(t);
            let n = 2000;
            let parts: Vec<u64> = (0..n).map(|k| i.intern(s(format!("<{k}>")))).collect();
            // Every other pair is interned whole before the search makes it.
            let whole: Vec<Option<u64>> = (0..n)
                .map(|k| (k % 2 == 0).then(|| i.intern(s(format!("<{k}><{}>", (k + 1) % n)))))
                .collect();
            let mut seen = std::collections::BTreeSet::new();
            for k in 0..n {
                let w = i.strings.concat(parts[k], parts[(k + 1) % n]);
                if let Some(interned) = whole[k] {
                    assert_eq!(w, interned, "pair {k}");
                }
                assert_eq!(i.strings.concat(parts[k], parts[(k + 1) % n]), w, "pair {k} again");
                let mut out = Vec::new();
                i.strings.write(w, &mut out);
                assert_eq!(out, format!("<{k}><{}>", (k + 1) % n).as_bytes());
                assert!(seen.insert(w), "pair {k} shares a word with another pair");
            }
            assert!(parts.iter().all(|p| !seen.contains(p)));
        });
    }
}
