//! The shipped JSON Schema matches the scenario types, and every bundled scenario
//! points editors at it.

#[test]
fn the_shipped_schema_is_what_the_types_generate() {
    let shipped = std::fs::read_to_string("scenarios/schema.json").unwrap();
    assert!(
        shipped == gameday::scenario::schema_json(),
        "scenarios/schema.json is stale: run `cargo run --release -- schema > scenarios/schema.json`"
    );
    let v: serde_json::Value = serde_json::from_str(&shipped).unwrap();
    let props = v["properties"].as_object().unwrap();
    for field in
        ["version", "regions", "design", "workload", "faults", "swarm", "variants", "expect"]
    {
        assert!(props.contains_key(field), "schema lacks {field}");
    }
    let out =
        std::process::Command::new(env!("CARGO_BIN_EXE_gameday")).arg("schema").output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), shipped);
}

#[test]
fn every_bundled_scenario_references_the_schema() {
    for (dir, reference) in
        [("scenarios", "./schema.json"), ("scenarios/negative", "../schema.json")]
    {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_none_or(|x| x != "json") || p.ends_with("schema.json") {
                continue;
            }
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            assert_eq!(v["$schema"], reference, "{}", p.display());
        }
    }
}
