//! Hostile inputs and output paths (issue 19): paths that name a folder, a named pipe
//! nobody writes to, a device that never ends (`/dev/zero`), a folder that links to
//! itself; empty files, byte-order marks, NUL bytes; names a shell would split. Each
//! gets a clear error (exit 2) or a result within seconds, never a hang, and never a
//! pipe or a device replaced by a file.

mod common;
use common::gameday;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const SCENARIO: &str = "scenarios/gameday-naive.json";

/// `gameday ARGS...`, killed after `secs`: its exit code (`None` when it had to be
/// killed: it hung) and stderr.
fn gameday_within(args: &[&str], secs: u64) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..secs * 20 {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            return (status.code(), err);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    (None, String::new())
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(s(path)).unwrap();
    // SAFETY: mkfifo with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

/// A history no register can explain (a read of a value never written), so `history
/// check` draws its counterexample.
const BAD_HISTORY: &str = "[{:process 0, :type :invoke, :f :write, :value 1}
{:process 0, :type :ok, :f :write, :value 1}
{:process 1, :type :invoke, :f :read, :value nil}
{:process 1, :type :ok, :f :read, :value 2}]\n";

#[test]
fn inputs_that_are_not_files_get_an_error_never_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fifo = d.join("fifo.json");
    mkfifo(&fifo);
    let out = d.join("out");
    let (new, o) = (d.join("new.json"), s(&out));
    for input in [s(&fifo), s(d), "/dev/zero", "/dev/urandom"] {
        let cases: Vec<Vec<&str>> = vec![
            vec!["run", input, "-q", "--out", o],
            vec!["validate", input],
            vec!["sweep", input, "--seeds", "1..2", "--out", o],
            vec!["compare", SCENARIO, "--design", input, "--out", o],
            vec!["new", "x", "--from", input, "--out", s(&new)],
            vec!["shrink", input, "--seed", "1"],
            vec!["history", "check", input, "--model", "register"],
        ];
        for args in cases {
            let (code, err) = gameday_within(&args, 10);
            assert_eq!(code, Some(2), "{args:?}: {err}");
            let said = ["is a device, not a file", "is a folder, not a file", "is empty"];
            let said = said.iter().any(|w| err.contains(w)) || err.contains("no operations");
            assert!(said, "{args:?}: {err}");
        }
    }
    assert!(is_fifo(&fifo));
    // A pipe among the scenarios of a folder is one invalid row, not a hang.
    let folder = d.join("folder");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(SCENARIO, folder.join("ok.json")).unwrap();
    mkfifo(&folder.join("pipe.json"));
    let (code, err) = gameday_within(&["check", s(&folder)], 30);
    assert_eq!(code, Some(2), "{err}");
}

#[test]
fn outputs_that_are_not_files_are_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fifo = d.join("fifo");
    mkfifo(&fifo);
    let out = d.join("out");
    let o = s(&out);
    let svg = d.join("svg");
    std::fs::create_dir_all(&svg).unwrap();
    mkfifo(&svg.join("bad.svg"));
    let bad = d.join("bad.edn");
    std::fs::write(&bad, BAD_HISTORY).unwrap();
    let run = |flag| vec!["run", SCENARIO, "-q", "--duration-s", "5", "--out", o, flag, s(&fifo)];
    let cases: Vec<Vec<&str>> = vec![
        run("--trace"),
        run("--history"),
        run("--chrome-trace"),
        vec!["check", SCENARIO, "--junit", s(&fifo)],
        vec!["shrink", "scenarios/unfenced-promotion.json", "--seed", "1", "--out", s(&fifo)],
        vec!["history", "check", s(&bad), "--model", "register", "--svg-dir", s(&svg)],
    ];
    for args in cases {
        let (code, err) = gameday_within(&args, 10);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains("is a named pipe, not a file"), "{args:?}: {err}");
    }
    assert!(is_fifo(&fifo) && is_fifo(&svg.join("bad.svg")), "the pipes are still pipes");
    // A device node of our own (never /dev/null itself: a failure here would replace
    // it for the whole machine). Only root may make one.
    let null = d.join("null");
    let c = std::ffi::CString::new(s(&null)).unwrap();
    // SAFETY: mknod with a valid C string; makes a character device like /dev/null.
    let made = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) };
    if made == 0 {
        for flag in ["--trace", "--history", "--chrome-trace"] {
            let args = ["run", SCENARIO, "-q", "--duration-s", "5", "--out", o, flag, s(&null)];
            let (code, err) = gameday_within(&args, 10);
            assert_eq!(code, Some(2), "{flag}: {err}");
            assert!(err.contains("is a device, not a file"), "{err}");
            use std::os::unix::fs::FileTypeExt;
            let meta = std::fs::symlink_metadata(&null).unwrap();
            assert!(meta.file_type().is_char_device(), "{flag}: the device is still a device");
        }
    }
}

#[test]
fn a_folder_that_links_to_itself_is_searched_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(SCENARIO, d.join("ok.json")).unwrap();
    std::os::unix::fs::symlink(".", d.join("self")).unwrap();
    let out = d.join("out");
    let (code, err) = gameday_within(&["check", s(d), "--out", s(&out)], 30);
    assert!(code == Some(0) || code == Some(1), "{err}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("check.json")).unwrap()).unwrap();
    assert_eq!(json["rows"].as_array().unwrap().len(), 1, "{json}");
}

#[test]
fn empty_files_byte_order_marks_and_nul_bytes_get_clear_answers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = |name: &str, bytes: &[u8]| -> PathBuf {
        std::fs::write(d.join(name), bytes).unwrap();
        d.join(name)
    };
    let hist = |p: &Path| gameday(&["history", "check", s(p), "--model", "register"]);
    let (code, _, err) = hist(&file("empty.edn", b""));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("holds no operations"), "{err}");
    let (code, _, err) = hist(&file("comments.edn", b"; nothing here\n"));
    assert_eq!(code, 2, "{err}");
    let mut bom = "\u{feff}".as_bytes().to_vec();
    bom.extend(BAD_HISTORY.as_bytes());
    let (code, out, err) = hist(&file("bom.edn", &bom));
    assert_eq!(code, 1, "a byte-order mark is skipped: {err}");
    assert!(out.contains("NOT linearizable"), "{out}");
    let (code, _, err) = hist(&file("nul.edn", b"[{:process 0, :type\0 :invoke}]"));
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = gameday(&["validate", s(&file("nul.json", b"{\"version\": 1,\0}"))]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nul.json:1:"), "{err}");
    let empty = file("empty.json", b"");
    let (code, _, err) = gameday(&["compare", SCENARIO, "--design", s(&empty)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the file is empty"), "{err}");
}

#[test]
fn a_path_a_shell_would_split_replays_as_one_word() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("my drill; rm -rf x\nit's.json");
    std::fs::copy(SCENARIO, &path).unwrap();
    let out = dir.path().join("out");
    let (code, stdout, err) = gameday(&["run", s(&path), "--duration-s", "5", "--out", s(&out)]);
    assert!(code == 0 || code == 1, "{err}");
    let quoted = format!("'{}'", s(&path).replace('\'', "'\\''"));
    assert!(stdout.contains(&format!("replay: gameday run {quoted} --seed")), "{stdout}");
}

#[test]
fn a_file_where_a_folder_goes_is_named_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = d.join("afile");
    std::fs::write(&file, "mine").unwrap();
    let under = file.join("t.jsonl");
    let o = d.join("o");
    let args = ["run", SCENARIO, "-q", "--duration-s", "5", "--out", s(&o), "--trace", s(&under)];
    let (code, _, err) = gameday(&args);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("{} is a file, not a folder", s(&file))), "{err}");
    let bad = d.join("bad.edn");
    std::fs::write(&bad, BAD_HISTORY).unwrap();
    let (code, _, err) =
        gameday(&["history", "check", s(&bad), "--model", "register", "--svg-dir", s(&file)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--svg-dir") && err.contains("is a file; give a folder"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}
