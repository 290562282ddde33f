//! The layering holds: no import cycle between the top-level modules of `src/`
//! (`cli`, `check`, `engine`, `explore`, `history`, `model`, `report`, `scenario`,
//! `sim`, ...). A cycle means two modules can no longer be understood, tested or moved
//! apart, so this test names every one it finds with the files that make each edge.
//!
//! It reads only the repository's own sources. Each file's `crate::...`, `super::...`
//! and `self::...` paths (in `use` items and in expressions alike) are resolved to the
//! top-level module they reach; comments, string and character literals, and
//! `#[cfg(test)]` items (unit tests may reach anywhere) are left out first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Edges left out of the cycle search, each with the reason it is still there.
/// None today: keep it that way.
const ALLOWED_EDGES: &[(&str, &str)] = &[];

/// Who imports whom: `(from, to)` with the files (relative to `src/`) that do it.
type Graph = BTreeMap<(String, String), BTreeSet<String>>;

#[test]
fn top_level_modules_import_each_other_in_one_direction_only() {
    let graph = crate_graph();
    let allowed: BTreeSet<(String, String)> =
        ALLOWED_EDGES.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    for edge in &allowed {
        assert!(
            graph.contains_key(edge),
            "{} -> {} is allowed in ALLOWED_EDGES but no longer exists: remove it from the list",
            edge.0,
            edge.1
        );
    }
    let kept: BTreeSet<(String, String)> =
        graph.keys().filter(|edge| !allowed.contains(*edge)).cloned().collect();
    let cycles = cycles(&kept);
    let report: Vec<String> = cycles
        .iter()
        .map(|cycle| {
            let mut text = cycle.join(" -> ");
            text.push_str(&format!(" -> {}", cycle[0]));
            for (i, from) in cycle.iter().enumerate() {
                let to = &cycle[(i + 1) % cycle.len()];
                let files = &graph[&(from.clone(), to.clone())];
                let files: Vec<&str> = files.iter().map(String::as_str).collect();
                text.push_str(&format!("\n    {from} -> {to}: {}", files.join(", ")));
            }
            text
        })
        .collect();
    assert!(
        cycles.is_empty(),
        "{} import cycle(s) between top-level modules:\n  {}",
        cycles.len(),
        report.join("\n  ")
    );
}

/// The graph must see the imports it is about, or the test above passes for nothing.
/// The layers, lowest first: a module imports only modules of lower layers (never its
/// own layer's neighbours). `history` (the history file parsers)
/// is a leaf; so is the linearizability search inside `check`.
const LAYERS: &[&[&str]] = &[
    &["input"],
    &["engine", "history", "output"],
    &["region"],
    &["field"],
    &["fault"],
    &["scenario"],
    &["model"],
    &["check", "metrics"],
    &["sim"],
    &["outcome"],
    &["explore", "compare"],
    &["report"],
    &["cli"],
];

#[test]
fn every_import_points_down_the_layers() {
    let rank = |module: &str| LAYERS.iter().position(|layer| layer.contains(&module));
    let graph = crate_graph();
    let mut wrong = Vec::new();
    for ((from, to), files) in &graph {
        let (Some(from_rank), Some(to_rank)) = (rank(from), rank(to)) else {
            let unplaced = if rank(from).is_none() { from } else { to };
            wrong.push(format!("{unplaced} is in no layer: add it to LAYERS"));
            continue;
        };
        if from_rank <= to_rank {
            let files: Vec<&str> = files.iter().map(String::as_str).collect();
            wrong.push(format!("{from} -> {to} points up or sideways ({})", files.join(", ")));
        }
    }
    wrong.dedup();
    assert!(wrong.is_empty(), "imports against the layering:\n  {}", wrong.join("\n  "));
}

#[test]
fn the_graph_sees_known_imports() {
    let graph = crate_graph();
    for (from, to) in [("cli", "sim"), ("sim", "engine"), ("check", "model"), ("report", "sim")] {
        assert!(graph.contains_key(&(from.into(), to.into())), "{from} -> {to} not found");
    }
}

#[test]
fn the_parser_resolves_paths_and_leaves_tests_comments_and_strings_out() {
    let text = r#"
        //! Mentions crate::report in a comment.
        use crate::{engine::SimTime, scenario};
        use super::super::model::World;
        use super::{sibling, *};
        /* crate::history in a block comment */
        fn f() -> &'static str { let _c = '"'; crate::metrics::run(); "crate::compare" }
        #[cfg(test)]
        mod tests { use crate::cli; }
        #[cfg(test)]
        pub mod testkit;
        #[cfg(test)]
        fn helper() { crate::output::x(); }
        mod inline { use super::super::sim; }
    "#;
    let module = vec!["check".to_string(), "linearizability".to_string(), "search".to_string()];
    let found = imports(text, &module);
    let tops: BTreeSet<&str> = found.targets.iter().map(String::as_str).collect();
    assert_eq!(tops, BTreeSet::from(["check", "engine", "metrics", "scenario"]));
    assert_eq!(found.test_only_children, vec!["testkit".to_string()]);
    let top_file = imports("use super::report; fn g() { super::sim::run() }", &["cli".into()]);
    let tops: BTreeSet<&str> = top_file.targets.iter().map(String::as_str).collect();
    assert_eq!(tops, BTreeSet::from(["report", "sim"]));
}

/// Every non-test source file's imports, as edges between top-level modules.
fn crate_graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect_rs(&src, &mut files);
    let tops: BTreeSet<String> =
        files.iter().filter_map(|f| module_path(&src, f)).map(|m| m[0].clone()).collect();
    let mut test_only: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut parsed = Vec::new();
    for file in &files {
        let Some(module) = module_path(&src, file) else { continue };
        let text = std::fs::read_to_string(file).expect("a source file reads");
        let found = imports(&text, &module);
        for child in &found.test_only_children {
            let mut path = module.clone();
            path.push(child.clone());
            test_only.insert(path);
        }
        parsed.push((file, module, found));
    }
    let mut graph = Graph::new();
    for (file, module, found) in parsed {
        if test_only.iter().any(|t| module.starts_with(t)) {
            continue;
        }
        let rel = file.strip_prefix(&src).expect("under src").display().to_string();
        for target in found.targets {
            if target != module[0] && tops.contains(&target) {
                graph.entry((module[0].clone(), target)).or_default().insert(rel.clone());
            }
        }
    }
    graph
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("src/ reads")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module a file defines, from the crate root: `src/a/b.rs` and `src/a/b/mod.rs`
/// are `[a, b]`. The crate root and the binary (`lib.rs`, `main.rs`) have none.
fn module_path(src: &Path, file: &Path) -> Option<Vec<String>> {
    let rel = file.strip_prefix(src).ok()?;
    let mut parts: Vec<String> =
        rel.iter().map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        return None;
    }
    Some(parts)
}

/// What one file reaches: the top-level modules its paths name, and the out-of-line
/// child modules it declares `#[cfg(test)]` (their files are left out of the graph).
#[derive(Default)]
struct Imports {
    targets: BTreeSet<String>,
    test_only_children: Vec<String>,
}

/// The paths in `text`, a file of module `module`, resolved to top-level modules.
fn imports(text: &str, module: &[String]) -> Imports {
    let tokens = tokens(&code_only(text));
    let mut found = Imports::default();
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i].as_str();
        if token == "#" && is_cfg_test(&tokens, i) {
            i = skip_test_item(&tokens, i, &mut found);
            continue;
        }
        match token {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d > depth) {
                    inline.pop();
                }
            }
            "mod" if tokens.get(i + 2).is_some_and(|t| t == "{") => {
                inline.push((tokens[i + 1].clone(), depth + 1));
            }
            "crate" | "super" | "self" if i == 0 || tokens[i - 1] != "::" => {
                let mut here: Vec<String> = module.to_vec();
                here.extend(inline.iter().map(|(name, _)| name.clone()));
                i = resolve(&tokens, i, &here, &mut found.targets);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// Resolves the path starting at `tokens[start]` from module `here`; returns the index
/// after the path's head.
fn resolve(
    tokens: &[String],
    start: usize,
    here: &[String],
    targets: &mut BTreeSet<String>,
) -> usize {
    let mut base: Vec<String> = if tokens[start] == "crate" { Vec::new() } else { here.to_vec() };
    let mut i = start;
    if tokens[i] == "crate" || tokens[i] == "self" {
        i += 1;
    } else {
        while tokens.get(i).is_some_and(|t| t == "super") {
            base.pop();
            i += 1;
            if tokens.get(i).is_some_and(|t| t == "::")
                && tokens.get(i + 1).is_some_and(|t| t == "super")
            {
                i += 1;
            }
        }
    }
    if tokens.get(i).is_none_or(|t| t != "::") {
        return i.max(start + 1);
    }
    i += 1;
    if let Some(top) = base.first() {
        targets.insert(top.clone());
        return i;
    }
    // At the crate root: the next segment, or each item of a `{...}` group, is the
    // top-level module.
    if tokens.get(i).is_some_and(|t| t == "{") {
        let mut depth = 0;
        let mut expect_item = true;
        while let Some(t) = tokens.get(i) {
            match t.as_str() {
                "{" => {
                    depth += 1;
                    expect_item = depth == 1;
                }
                "}" => {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                "," if depth == 1 => expect_item = true,
                name if expect_item && depth == 1 && is_ident(name) => {
                    targets.insert(name.to_string());
                    expect_item = false;
                }
                _ => {}
            }
            i += 1;
        }
        return i;
    }
    if let Some(name) = tokens.get(i).filter(|t| is_ident(t)) {
        targets.insert(name.clone());
    }
    i
}

/// Whether `#` at `tokens[i]` starts `#[cfg(test)]` (or the inner `#![cfg(test)]`).
fn is_cfg_test(tokens: &[String], i: usize) -> bool {
    let rest: Vec<&str> = tokens[i..].iter().take(8).map(String::as_str).collect();
    rest.starts_with(&["#", "[", "cfg", "(", "test", ")", "]"])
        || rest.starts_with(&["#", "!", "[", "cfg", "(", "test", ")", "]"])
}

/// Skips a `#[cfg(test)]` item (up to its `;` or the end of its `{...}` body); an
/// out-of-line `mod name;` is recorded as a test-only child. `#![cfg(test)]` skips the
/// rest of the file.
fn skip_test_item(tokens: &[String], start: usize, found: &mut Imports) -> usize {
    if tokens[start + 1] == "!" {
        return tokens.len();
    }
    let mut i = start + 7;
    let mut depth = 0usize;
    let mut words: Vec<&str> = Vec::new();
    while let Some(t) = tokens.get(i) {
        match t.as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            ";" if depth == 0 => {
                if let Some(pos) = words.iter().position(|w| *w == "mod") {
                    if let Some(name) = words.get(pos + 1) {
                        found.test_only_children.push(name.to_string());
                    }
                }
                return i + 1;
            }
            word if depth == 0 => words.push(word),
            _ => {}
        }
        i += 1;
    }
    i
}

fn is_ident(token: &str) -> bool {
    token.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// Identifiers, `::`, and every other character as a token of its own.
fn tokens(code: &str) -> Vec<String> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push("::".to_string());
            i += 2;
        } else {
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

/// `text` with comments, string literals and character literals blanked out, so a
/// path mentioned in prose or a message is not taken for an import.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r' && (next == Some('#') || next == Some('"')) && !prev_is_ident(&chars, i)
        {
            // A raw string: r"...", r#"..."#, ...
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < chars.len() {
                if chars[j] == '"' && (0..hashes).all(|h| chars.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{..}'); otherwise a lifetime.
            if next == Some('\\') {
                let mut j = i + 2;
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                out.push_str("' '");
                i = j + 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                out.push_str("' '");
                i += 3;
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev_is_ident(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// Every elementary cycle of the graph, each once, starting at its smallest module.
fn cycles(edges: &BTreeSet<(String, String)>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = edges.iter().flat_map(|(a, b)| [a, b]).collect();
    let mut found = Vec::new();
    for start in &nodes {
        let mut path = vec![(*start).clone()];
        extend_cycles(edges, start, &mut path, &mut found);
    }
    found
}

/// Depth-first from the end of `path` through modules greater than its start, so each
/// cycle is found once, from its smallest module.
fn extend_cycles(
    edges: &BTreeSet<(String, String)>,
    start: &str,
    path: &mut Vec<String>,
    found: &mut Vec<Vec<String>>,
) {
    let last = path.last().expect("a path is never empty").clone();
    for (_, next) in edges.iter().filter(|(from, _)| *from == last) {
        if next == start {
            found.push(path.clone());
        } else if next.as_str() > start && !path.contains(next) {
            path.push(next.clone());
            extend_cycles(edges, start, path, found);
            path.pop();
        }
    }
}
