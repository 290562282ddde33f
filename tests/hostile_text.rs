//! Control characters in every free-text field (issue 19): a scenario, file, region and
//! design name, a description, full of ESC, BEL, CR and NUL, is run, checked, compared
//! and swept. Nothing reaches the terminal or a file raw: the terminal sees escapes,
//! every HTML and XML output parses, and no output holds a C0 control but `\n` `\t`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Control characters as JSON escapes: ESC (with a screen-clearing sequence), BEL, CR,
/// SOH, NUL, DEL and the C1 command start.
const NASTY: &str = "\\u001b[2J\\u001b]0;pwned\\u0007\\r\\u0001\\u0000\\u007f\\u009b";
/// The same without CR: a region name may hold no whitespace.
const NASTY_NO_SPACE: &str = "\\u001b[2J\\u001b]0;pwned\\u0007\\u0001\\u0000\\u007f\\u009b";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// retry-duplicates (it has a variant) with control characters in every free text.
fn nasty_scenario(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string("scenarios/retry-duplicates.json").unwrap();
    let text = text
        .replace("\"retry-duplicates\"", &format!("\"retry{NASTY}dup\""))
        .replace("eu-west", &format!("eu{NASTY_NO_SPACE}west"))
        .replace("\"idempotency-keys\"", &format!("\"keys{NASTY}\""))
        .replace("\"Clients far", &format!("\"{NASTY}Clients far"))
        .replace("\"clients send", &format!("\"{NASTY}clients send"));
    assert_eq!(text.matches(NASTY).count(), 4, "every free-text field was reached");
    assert_eq!(text.matches(NASTY_NO_SPACE).count(), 5, "every region name was reached");
    let path = dir.join("ctl\u{1b}[31m\u{7}.json");
    std::fs::write(&path, text).unwrap();
    path
}

fn gameday(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gameday")).args(args).output().unwrap()
}

/// Neither stream holds a raw control character but newline and tab.
fn terminal_clean(what: &str, o: &Output) {
    for (stream, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        let bad = String::from_utf8_lossy(bytes)
            .chars()
            .find(|c| c.is_control() && *c != '\n' && *c != '\t');
        assert!(bad.is_none(), "{what} {stream} holds {bad:?}: {}", String::from_utf8_lossy(bytes));
    }
}

/// Every file under `dir` holds no C0 control but `\n` `\t` (ESC, BEL, CR, NUL); an HTML
/// or XML file no DEL or C1 control either, and parses. (JSON keeps DEL and C1 as the
/// user wrote them: a terminal obeys neither, and the data stays exact.)
fn files_clean(dir: &Path) -> usize {
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            checked += files_clean(&path);
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let ext = path.extension().and_then(|x| x.to_str()).unwrap_or("");
        let markup = ext == "html" || ext == "xml";
        let bad = text
            .chars()
            .find(|c| c.is_control() && *c != '\n' && *c != '\t' && (markup || *c < ' '));
        assert!(bad.is_none(), "{} holds {bad:?}", path.display());
        if markup {
            let xml = text.strip_prefix("<!DOCTYPE html>\n").unwrap_or(&text);
            let parsed = roxmltree::Document::parse(xml);
            assert!(parsed.is_ok(), "{}: {:?}", path.display(), parsed.err());
        }
        checked += 1;
    }
    checked
}

/// `run` plain, quiet, and with each export, into `out`; the terminal stays clean.
fn run_with_every_export(file: &Path, out: &Path) {
    let (o1, o2) = (out.join("run"), out.join("exports"));
    let (trace, history, chrome) = (o2.join("t.jsonl"), o2.join("h.edn"), o2.join("c.json"));
    std::fs::create_dir_all(&o2).unwrap();
    let runs: Vec<(&str, Vec<&str>)> = vec![
        ("run", vec!["run", s(file), "--duration-s", "10", "--out", s(&o1)]),
        ("run -q", vec!["run", s(file), "--duration-s", "10", "-q", "--out", s(&o1)]),
        (
            "exports",
            vec!["run", s(file), "--duration-s", "10", "--out", s(&o1), "--trace", s(&trace)],
        ),
        (
            "exports",
            vec!["run", s(file), "--duration-s", "10", "--out", s(&o1), "--history", s(&history)],
        ),
        (
            "exports",
            vec![
                "run",
                s(file),
                "--duration-s",
                "10",
                "--out",
                s(&o1),
                "--chrome-trace",
                s(&chrome),
            ],
        ),
    ];
    for (what, args) in runs {
        let o = gameday(&args);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{what}: {o:?}");
        terminal_clean(what, &o);
    }
}

#[test]
fn control_characters_never_reach_a_terminal_or_a_file_raw() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = nasty_scenario(d);
    let out = d.join("out");
    let o = gameday(&["validate", s(&file)]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    terminal_clean("validate", &o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("\\u{1b}"), "{o:?}");
    run_with_every_export(&file, &out);
    let junit = out.join("junit/j.xml");
    std::fs::create_dir_all(junit.parent().unwrap()).unwrap();
    let more: Vec<(&str, Vec<String>)> = vec![
        ("check", vec!["check".into(), s(&file).into(), "--junit".into(), s(&junit).into()]),
        (
            "compare",
            ["compare", s(&file), "--duration-s", "10", "--out", s(&out.join("cmp"))]
                .map(String::from)
                .to_vec(),
        ),
        (
            "sweep",
            [
                "sweep",
                s(&file),
                "--seeds",
                "1..2",
                "--duration-s",
                "10",
                "--out",
                s(&out.join("sw")),
            ]
            .map(String::from)
            .to_vec(),
        ),
    ];
    for (what, args) in more {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = gameday(&args);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{what}: {o:?}");
        terminal_clean(what, &o);
    }
    assert!(files_clean(&out) >= 10, "every output was looked at");
}

#[test]
fn control_characters_in_errors_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let file = nasty_scenario(dir.path());
    let text = std::fs::read_to_string(&file).unwrap();
    let broken = dir.path().join("bad\u{1b}[31m.json");
    // A fault naming a region that does not exist, the name full of controls.
    std::fs::write(&broken, text.replacen("\"us-east\"]", &format!("\"x{NASTY}\"]"), 1)).unwrap();
    for args in [vec!["validate", s(&broken)], vec!["run", s(&broken)], vec!["check", s(&broken)]] {
        let o = gameday(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {o:?}");
        terminal_clean(args[0], &o);
        let shown =
            format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        assert!(shown.contains("\\u{1b}"), "{args:?}: the escape is shown, not obeyed: {shown}");
    }
}
