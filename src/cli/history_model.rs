//! Which sequential model `history check` checks a file against: the one `--model`
//! names, or, without it, the one the file's operations fit. Each model takes its own
//! functions (register and cas-register: read, write, cas; kv: get, put, append;
//! multi-register: txn; mutex: acquire, release), so the functions a file calls pick
//! the model, except between register and cas-register, which differ only in the
//! initial value: a wrong guess there would report a correct history as not
//! linearizable, so gameday guesses only where the file says which it is (`--init`, or
//! the simulator's own header) and otherwise asks.

use crate::check::linearizability::Model;
use crate::history::{Func, History, Value};
use std::collections::BTreeSet;
use std::io::{BufRead, Read};
use std::path::Path;

/// `--model`: the models a history can be checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelArg {
    /// read/write/cas per key, initially absent (or --init)
    Register,
    /// read/write/cas per key, initially 0 (Knossos)
    #[value(alias = "knossos-cas-register-init0")]
    CasRegister,
    /// get/put/append on strings per key, initially empty
    #[value(alias = "kv-get-put-append")]
    Kv,
    /// txns of reads and writes over named registers, initially 0
    #[value(alias = "knossos-multi-register-x0y0")]
    MultiRegister,
    /// acquire/release of one lock, initially free
    #[value(alias = "knossos-mutex-unlocked")]
    Mutex,
}

impl ModelArg {
    /// The model's name, as `--model` takes it.
    pub fn name(self) -> &'static str {
        match self {
            ModelArg::Register => "register",
            ModelArg::CasRegister => "cas-register",
            ModelArg::Kv => "kv",
            ModelArg::MultiRegister => "multi-register",
            ModelArg::Mutex => "mutex",
        }
    }

    pub fn model(self) -> Model {
        Model::from_name(self.name()).expect("every --model value names a model")
    }
}

/// The header the simulator writes on its own `--history` files, whose registers start
/// absent.
const GAMEDAY_HEADER: &str = "; gameday history";

/// The model `path`'s history `h` is checked against without `--model`, with `init` as
/// its initial value when given; or why none can be chosen, for the user.
pub fn infer(path: &Path, h: &History, init: Option<&Value>) -> Result<Model, String> {
    let funcs: BTreeSet<Func> = h.ops().iter().map(|op| op.func).collect();
    let fits: Vec<ModelArg> =
        [ModelArg::Register, ModelArg::Kv, ModelArg::MultiRegister, ModelArg::Mutex]
            .into_iter()
            .filter(|m| funcs.iter().all(|f| m.model().funcs().contains(f)))
            .collect();
    let called = || funcs.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ");
    let model = match fits.as_slice() {
        // No operations: every model fits, and every one finds it linearizable.
        [ModelArg::Register, ..] if funcs.is_empty() => ModelArg::Register,
        [ModelArg::Register] if init.is_none() && !written_by_gameday(path) => {
            return Err(format!(
                "no --model given, and its operations ({}) fit two models that differ only in the register's initial value: register (initially absent) and cas-register (initially 0, as Knossos histories); choose one with --model, or give --init",
                called()
            ))
        }
        [one] => *one,
        _ => {
            return Err(format!(
                "no --model given, and no model fits its operations ({}): each model takes one kind (register and cas-register: read, write, cas; kv: get, put, append; multi-register: txn; mutex: acquire, release)",
                called()
            ))
        }
    };
    match init {
        None => Ok(model.model()),
        Some(v) => model.model().with_init(v.clone()).ok_or_else(|| {
            format!(
                "--init {v}: its operations ({}) fit model {}, which has no initial value to set; leave out --init",
                called(),
                model.name()
            )
        }),
    }
}

/// Whether the file starts with the simulator's history header.
fn written_by_gameday(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else { return false };
    let mut first = String::new();
    let read = std::io::BufReader::new(file).take(256).read_line(&mut first);
    read.is_ok() && first.trim_start_matches('\u{feff}').starts_with(GAMEDAY_HEADER)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn every_model_arg_is_a_model_and_every_model_an_arg() {
        let args: Vec<&str> = ModelArg::value_variants().iter().map(|m| m.name()).collect();
        let names: Vec<&str> = Model::NAMES.iter().map(|(n, _)| *n).collect();
        assert_eq!(args, names);
        for m in ModelArg::value_variants() {
            assert_eq!(m.to_possible_value().unwrap().get_name(), m.name());
            assert!(Model::from_name(m.name()).is_some());
        }
    }
}
