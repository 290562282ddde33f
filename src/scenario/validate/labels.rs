//! The workload's own names for operation kinds: `workload.labels` maps a name the
//! architect uses ("account.history") to the kind the model runs ("register.read").
//! A label stands for its kind wherever the file names an operation (the mix, read
//! classes, service times) and replaces the kind's name in every output.

use super::super::file::WorkloadFile;
use super::super::types::OpKind;
use super::{Validator, R};
use crate::field::closest;
use std::collections::BTreeMap;

/// The longest label: it appears in tables and plot legends.
const LABEL_CHARS_MAX: usize = 64;

impl Validator<'_> {
    /// The labels, checked: each names a known kind, is not itself a kind's name, is
    /// printable and short, and no kind has two (the model keeps figures per kind).
    pub(super) fn labels_of(&self, w: &WorkloadFile) -> R<BTreeMap<String, OpKind>> {
        let mut out = BTreeMap::new();
        let mut taken: BTreeMap<OpKind, &str> = BTreeMap::new();
        for (label, kind_name) in &w.labels {
            let path = format!("workload.labels.\"{label}\"");
            if label.trim().is_empty()
                || label.chars().count() > LABEL_CHARS_MAX
                || label.chars().any(char::is_control)
            {
                return self.err(
                    path,
                    format!("a label is 1 to {LABEL_CHARS_MAX} printable characters, as \"account.history\""),
                );
            }
            if OpKind::parse(label).is_some() {
                return self.err(
                    path,
                    format!("\"{label}\" is already an operation kind's name; a label is a name of your own for one, as \"account.history\": \"register.read\""),
                );
            }
            let Some(kind) = OpKind::parse(kind_name) else {
                let known: Vec<&str> = OpKind::ALL.iter().map(|k| k.name()).collect();
                let mut msg = format!(
                    "\"{kind_name}\" is not an operation kind; a label names one of: {}",
                    known.join(", ")
                );
                if let Some(close) = closest(kind_name, known.iter().copied()) {
                    msg.push_str(&format!("; did you mean \"{close}\"?"));
                }
                return self.err(path, msg);
            };
            if let Some(other) = taken.insert(kind, label) {
                return self.err(
                    path,
                    format!("{kind_name} already has the label \"{other}\"; a kind takes one label, because the model keeps its figures per kind"),
                );
            }
            out.insert(label.clone(), kind);
        }
        Ok(out)
    }

    /// The kind a key of the mix, the read classes or the service times names: a kind's
    /// own name or its label.
    pub(super) fn op_kind(&self, key: &str) -> Option<OpKind> {
        OpKind::parse(key).or_else(|| self.labels.get(key).copied())
    }

    /// The names a key may take, for an error: every kind's, and every label.
    pub(super) fn op_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = OpKind::ALL.iter().map(|k| k.name()).collect();
        names.extend(self.labels.keys().map(String::as_str));
        names
    }

    /// The key under which `map` names `kind` (its label or its own name), if it does.
    pub(super) fn file_key<V>(&self, map: &BTreeMap<String, V>, kind: OpKind) -> Option<String> {
        map.keys().find(|k| self.op_kind(k) == Some(kind)).cloned()
    }

    /// The key under which `map` names `kind`, or the kind's own name.
    pub(super) fn key_in<V>(&self, map: &BTreeMap<String, V>, kind: OpKind) -> String {
        self.file_key(map, kind).unwrap_or_else(|| kind.name().to_string())
    }

    /// An error for a key that names no operation, with the closest name.
    pub(super) fn unknown_op<T>(&self, path: String, key: &str) -> R<T> {
        let known = self.op_names();
        let mut msg = format!("unknown operation \"{key}\"; known: {}", known.join(", "));
        if let Some(close) = closest(key, known.iter().copied()) {
            msg.push_str(&format!("; did you mean \"{close}\"?"));
        }
        self.err(path, msg)
    }

    /// A kind named twice in one map (by its name and by its label) is an error.
    pub(super) fn once_each<V>(&self, field: &str, map: &BTreeMap<String, V>) -> R<()> {
        let mut seen: BTreeMap<OpKind, &str> = BTreeMap::new();
        for key in map.keys() {
            let Some(kind) = self.op_kind(key) else { continue };
            if let Some(first) = seen.insert(kind, key) {
                return self.err(
                    format!("{field}.\"{key}\""),
                    format!("names the same operation as \"{first}\" (one is the other's label); keep one"),
                );
            }
        }
        Ok(())
    }

    /// The labels by kind, as the validated workload keeps them.
    pub(super) fn labels_by_kind(&self) -> [Option<String>; OpKind::COUNT] {
        let mut out: [Option<String>; OpKind::COUNT] = Default::default();
        for (label, kind) in &self.labels {
            out[kind.idx()] = Some(label.clone());
        }
        out
    }
}
