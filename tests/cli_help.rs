//! What a user meets first: help that describes every argument and offers only the
//! flags a command takes, shell completions that offer flag values, `history check`
//! choosing its model, and `new` writing a scenario whose `$schema` resolves.

mod common;
use common::gameday;

/// Every subcommand, as its help is asked for.
const COMMANDS: &[&[&str]] = &[
    &["run"],
    &["compare"],
    &["check"],
    &["sweep"],
    &["shrink"],
    &["merge"],
    &["new"],
    &["schema"],
    &["completions"],
    &["validate"],
    &["history", "check"],
];

/// The lines of the help's `Arguments:` section, each argument with its description
/// (on its line, or indented on the next).
fn positionals(help: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut inside = false;
    for line in help.lines() {
        if line == "Arguments:" {
            inside = true;
            continue;
        }
        if inside && !line.starts_with(' ') {
            break;
        }
        let t = line.trim();
        if !inside || t.is_empty() {
            continue;
        }
        if t.starts_with('<') || t.starts_with('[') {
            let end = t.find(char::is_whitespace).unwrap_or(t.len());
            out.push((t[..end].to_string(), t[end..].trim().to_string()));
        } else if let Some(last) = out.last_mut() {
            if last.1.is_empty() {
                last.1 = t.to_string();
            }
        }
    }
    out
}

#[test]
fn every_positional_argument_is_described() {
    for cmd in COMMANDS {
        for flag in ["-h", "--help"] {
            let args: Vec<&str> = cmd.iter().copied().chain([flag]).collect();
            let (code, help, _) = gameday(&args);
            assert_eq!(code, 0, "{args:?}");
            let found = positionals(&help);
            if *cmd != ["schema"] {
                assert!(!found.is_empty(), "{args:?} shows no arguments:\n{help}");
            }
            for (name, description) in found {
                assert!(!description.is_empty(), "{args:?}: {name} has no description:\n{help}");
            }
        }
    }
}

#[test]
fn force_and_the_report_limit_appear_only_where_they_apply() {
    // (command, takes --force, takes --report-mb-max)
    let expected: &[(&[&str], bool, bool)] = &[
        (&["run"], true, true),
        (&["compare"], true, true),
        (&["sweep"], true, true),
        (&["merge"], true, true),
        (&["check"], true, false),
        (&["shrink"], true, false),
        (&["new"], true, false),
        (&["history", "check"], true, false),
        (&["schema"], false, false),
        (&["completions"], false, false),
        (&["validate"], false, false),
    ];
    assert_eq!(expected.len(), COMMANDS.len());
    for (cmd, force, report) in expected {
        let args: Vec<&str> = cmd.iter().copied().chain(["--help"]).collect();
        let (_, help, _) = gameday(&args);
        assert_eq!(help.contains("--force"), *force, "{cmd:?} --force:\n{help}");
        assert_eq!(help.contains("--report-mb-max"), *report, "{cmd:?} --report-mb-max:\n{help}");
    }
    let (code, _, err) = gameday(&["validate", "scenarios/gameday-naive.json", "--force"]);
    assert_eq!(code, 2, "a flag a command would ignore is refused: {err}");
}

#[test]
fn run_help_names_every_file_run_writes() {
    let (_, help, _) = gameday(&["run", "--help"]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let (code, ..) = gameday(&[
        "run",
        "scenarios/unfenced-promotion.json",
        "-q",
        "--duration-s",
        "40",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(code == 0 || code == 1);
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(written.len(), 3, "{written:?}");
    for name in &written {
        assert!(help.contains(name.as_str()), "run --help does not name {name}:\n{help}");
    }
    for flag in ["--trace", "--history", "--chrome-trace"] {
        assert!(help.contains(flag), "{flag}");
    }
}

#[test]
fn completions_offer_the_values_of_enum_flags() {
    let values = [
        "register",
        "cas-register",
        "kv",
        "multi-register",
        "mutex",
        "jepsen-log",
        "edn",
        "unconstrained",
    ];
    for shell in ["bash", "zsh", "fish"] {
        let (code, out, _) = gameday(&["completions", shell]);
        assert_eq!(code, 0);
        for v in values {
            assert!(out.contains(v), "{shell} completions lack {v}");
        }
    }
    let (code, _, err) = gameday(&["history", "check", "x.edn", "--model", "queue"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("queue") && err.contains("cas-register, kv, multi-register, mutex"),
        "{err}"
    );
}

fn corpus(rel: &str) -> String {
    format!("tests/data/{rel}")
}

#[test]
fn history_check_infers_the_model_from_the_operations() {
    for (file, model, code) in [
        ("porcupine-kv/c01-ok.txt", "kv", 0),
        ("porcupine-kv/c01-bad.txt", "kv", 1),
        ("knossos/data/mutex/bad/etcd.edn", "mutex", 1),
        ("knossos/data/multi-register/good/multi-register.edn", "multi-register", 0),
    ] {
        let path = corpus(file);
        let (got, out, err) = gameday(&["history", "check", &path]);
        assert_eq!(got, code, "{file}: {out}{err}");
        assert!(out.contains(&format!("(model {model} from its operations, ")), "{file}: {out}");
    }
}

#[test]
fn history_check_without_a_model_asks_between_register_and_cas_register() {
    let path = corpus("knossos/data/cas-register/good/memstress3-0.edn");
    let (code, out, err) = gameday(&["history", "check", &path]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains(&path) && err.contains("no --model given"), "{err}");
    assert!(
        err.contains("register (initially absent)") && err.contains("cas-register (initially 0"),
        "{err}"
    );
    assert!(err.contains("--model") && err.contains("--init"), "{err}");
    // An initial value settles it; so does naming the model.
    let (code, out, err) = gameday(&["history", "check", &path, "--init", "0"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("model register from its operations"), "{out}");
    let (code, out, _) = gameday(&["history", "check", &path, "--model", "cas-register"]);
    assert_eq!(code, 0);
    assert!(!out.contains("from its operations"), "{out}");
}

#[test]
fn history_check_infers_register_for_the_simulators_own_history() {
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("h.edn");
    let (code, ..) = gameday(&[
        "run",
        "scenarios/unfenced-promotion.json",
        "-q",
        "--duration-s",
        "40",
        "--out",
        dir.path().join("r").to_str().unwrap(),
        "--history",
        h.to_str().unwrap(),
    ]);
    assert!(code == 0 || code == 1);
    let (_, out, err) = gameday(&["history", "check", h.to_str().unwrap()]);
    assert!(out.contains("(model register from its operations, "), "{out}{err}");
}

#[test]
fn history_check_refuses_a_file_no_model_fits() {
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("mixed.edn");
    std::fs::write(
        &h,
        "{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write, :value 1}\n\
         {:process 1, :type :invoke, :f :acquire}\n{:process 1, :type :ok, :f :acquire}\n",
    )
    .unwrap();
    let (code, _, err) = gameday(&["history", "check", h.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no --model given, and no model fits its operations (write, acquire)"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn new_writes_the_schema_its_reference_names_wherever_it_writes() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("drills/2024");
    std::fs::create_dir_all(&nested).unwrap();
    let dest = nested.join("mine.json");
    let (code, out, err) = gameday(&["new", "mine", "--out", dest.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&dest).unwrap()).unwrap();
    let reference = doc["$schema"].as_str().unwrap();
    let resolved = nested.join(reference);
    let schema = std::fs::read_to_string(&resolved).unwrap_or_else(|e| {
        panic!("$schema {reference} does not resolve from {}: {e}", dest.display())
    });
    assert_eq!(schema, gameday::scenario::schema_json());
    assert!(out.contains("schema.json"), "says it wrote the schema: {out}");
    // A second scenario in the folder finds the schema there and leaves it alone.
    let (code, out, _) = gameday(&[
        "new",
        "again",
        "--from",
        "scenarios/negative/domain.json",
        "--out",
        nested.join("again.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains(" and "), "the schema was already there: {out}");
    let again: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(nested.join("again.json")).unwrap()).unwrap();
    assert_eq!(again["$schema"], reference, "--from points at the schema beside it too");
    // A schema.json that gameday did not write is left alone.
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("schema.json"), "{\"title\": \"someone else's\"}").unwrap();
    let (code, _, err) = gameday(&["new", "x", "--out", other.join("x.json").to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("schema.json") && err.contains("--force"), "{err}");
    assert!(!other.join("x.json").exists());
}
