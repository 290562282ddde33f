//! Hostile input that once crashed gameday (issue 19): each now gets a clear error and
//! exit 2, never a panic or a stack overflow.

mod common;

/// Two weights of 1e308 each pass on their own, but their sum is infinite: the
/// sampler would draw below infinity and panic. Validation refuses the sum.
#[test]
fn swarm_weights_whose_sum_overflows_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/swarm-fenced.json").unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let faults = v["swarm"]["faults"].as_array_mut().unwrap();
    assert!(faults.len() >= 2);
    for f in faults.iter_mut() {
        f["weight"] = serde_json::json!(1e308);
    }
    let path = dir.path().join("weights.json");
    std::fs::write(&path, v.to_string()).unwrap();
    let (code, _, err) = common::gameday(&["validate", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("swarm.faults: the weights add up to more than a number can hold"),
        "{err}"
    );
    // And in a folder `check` runs, the bad file is reported, not a crash.
    let (code, _, err) = common::gameday(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// `#_` discards nest (each reads the form it drops): 30,000 of them once overflowed
/// the stack before the depth check ran. They count against the nesting limit now.
#[test]
fn deeply_nested_edn_discards_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("discards.edn");
    std::fs::write(&path, format!("[{} 1]", "#_ ".repeat(30_000))).unwrap();
    let (code, _, err) =
        common::gameday(&["history", "check", path.to_str().unwrap(), "--model", "register"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nested more than"), "{err}");
    // A few discards are fine.
    std::fs::write(&path, "[#_ #_ 1 2 {:process 0, :type :invoke, :f :read, :value nil}]").unwrap();
    let (code, _, err) =
        common::gameday(&["history", "check", path.to_str().unwrap(), "--model", "register"]);
    assert_ne!(code, 2, "{err}");
}

/// Ctrl-C in the middle of one long seed stops the sweep within a second, and what
/// it writes says it is partial and which seeds ran.
#[test]
fn ctrl_c_stops_a_sweep_within_a_second_even_mid_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(["sweep", "scenarios/gameday-naive.json", "--seeds", "1..3", "--jobs", "1"])
        .args(["--duration-s", "80000", "--out", out.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // SAFETY: sends SIGINT to the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    // The test measures how fast the CLI reacts, in wall time.
    #[allow(clippy::disallowed_methods)]
    let asked = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(asked.elapsed().as_secs_f64() < 5.0, "still running 5 s after Ctrl-C");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let took = asked.elapsed().as_secs_f64();
    assert!(took < 1.0, "stopped {took:.2} s after Ctrl-C");
    assert_eq!(status.code(), Some(130));
    let html = std::fs::read_to_string(out.join("sweep.html")).unwrap();
    assert!(html.contains("Partial: the sweep was interrupted"), "{html}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(json["partial"], true);
}
