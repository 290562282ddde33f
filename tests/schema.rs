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

/// Every property, at the top and in every definition however deeply nested, says what
/// it means: an editor shows it on hover, and it is the format's reference.
#[test]
fn every_property_of_the_schema_has_a_description() {
    let schema: serde_json::Value =
        serde_json::from_str(&gameday::scenario::schema_json()).unwrap();
    let mut missing = Vec::new();
    let mut seen = 0;
    undescribed(&schema, "#", &mut missing, &mut seen);
    assert!(seen > 150, "only {seen} properties found: the walk is broken");
    assert!(
        missing.is_empty(),
        "{} properties have no description:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

/// Walks `node`, counting properties in `seen` and pushing the path of each without a
/// non-empty description onto `missing`.
fn undescribed(node: &serde_json::Value, path: &str, missing: &mut Vec<String>, seen: &mut usize) {
    match node {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                if key == "default" || key == "examples" {
                    continue;
                }
                let here = format!("{path}/{key}");
                if key == "properties" {
                    for (name, prop) in value.as_object().into_iter().flatten() {
                        *seen += 1;
                        let described =
                            prop["description"].as_str().is_some_and(|d| !d.trim().is_empty());
                        if !described {
                            missing.push(format!("{here}/{name}"));
                        }
                        undescribed(prop, &format!("{here}/{name}"), missing, seen);
                    }
                } else {
                    undescribed(value, &here, missing, seen);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                undescribed(item, &format!("{path}/{i}"), missing, seen);
            }
        }
        _ => {}
    }
}

#[test]
fn descriptions_are_unwrapped_into_paragraphs() {
    let schema = gameday::scenario::schema_json();
    let v: serde_json::Value = serde_json::from_str(&schema).unwrap();
    let d =
        v["$defs"]["ReplicationFile"]["properties"]["wait_point"]["description"].as_str().unwrap();
    assert!(!d.contains('\n') && d.contains("after_commit"), "{d}");
}
