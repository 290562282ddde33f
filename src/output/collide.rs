//! Paths a command reads and writes, checked for clashes before any work: two outputs
//! at one file (`--trace X --history X`) would leave one of them clobbered by the
//! other, and an output at an input (`merge --out` onto a shard) destroys what it was
//! made from. Paths are compared as the files they name, whichever way they are spelt
//! (`out/../out/x`, a link to the folder, a relative or an absolute path).

use super::OutputError;
use std::path::{Path, PathBuf};

/// One path a command reads or writes, and how a message names it.
#[derive(Clone, Debug)]
pub struct Role {
    /// The flag (or argument) the path came from, as a message starts.
    pub flag: String,
    pub path: PathBuf,
    /// What the file is, as the message about a clash ends ("report.html of --out").
    pub what: String,
    pub output: bool,
}

impl Role {
    pub fn output(flag: &str, path: &Path, what: impl Into<String>) -> Role {
        Role { flag: flag.into(), path: path.to_path_buf(), what: what.into(), output: true }
    }

    pub fn input(flag: &str, path: &Path, what: impl Into<String>) -> Role {
        Role { flag: flag.into(), path: path.to_path_buf(), what: what.into(), output: false }
    }
}

/// The outputs a command writes into the folder `dir` (and its lock), as roles.
pub fn dir_roles(flag: &str, dir: &Path, names: &[&str]) -> Vec<Role> {
    let mut roles: Vec<Role> = names
        .iter()
        .map(|n| Role::output(flag, &dir.join(n), format!("{n} of {flag} {}", dir.display())))
        .collect();
    let lock = super::lock::LOCK_NAME;
    roles.push(Role::output(flag, dir, format!("the {flag} folder")));
    roles.push(Role::output(flag, &dir.join(lock), format!("the lock file of {flag}")));
    roles
}

/// The file `path` names: absolute, its existing part resolved (links, `..`), the rest
/// appended as given.
pub fn identity(path: &Path) -> PathBuf {
    use std::path::Component;
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = abs.as_path();
    let mut rest: Vec<Component> = Vec::new();
    while std::fs::symlink_metadata(existing).is_err() {
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => break,
        }
    }
    let mut id = existing.canonicalize().unwrap_or_else(|_| existing.to_path_buf());
    // The rest does not exist yet: it is made as folders, so `..` undoes the last one.
    for c in rest.iter().rev() {
        match c {
            Component::ParentDir => {
                id.pop();
            }
            Component::CurDir => {}
            c => id.push(c),
        }
    }
    id
}

/// Refuses any output that is the same file as another output or as an input.
pub fn check_distinct(roles: &[Role]) -> Result<(), OutputError> {
    let ids: Vec<PathBuf> = roles.iter().map(|r| identity(&r.path)).collect();
    // Each output against every path before it and every input after it: a check has
    // hundreds of inputs and few outputs, and two inputs may well be one file.
    for (i, this) in roles.iter().enumerate().filter(|(_, r)| r.output) {
        let clash = roles
            .iter()
            .enumerate()
            .find(|(j, other)| *j != i && (*j < i || !other.output) && ids[*j] == ids[i]);
        if let Some((_, other)) = clash {
            return Err(OutputError::Collision {
                flag: this.flag.clone(),
                path: this.path.clone(),
                other: other.what.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_file_spelt_two_ways_collides() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("out")).unwrap();
        let a = d.join("out/x.json");
        let b = d.join("out/../out/./x.json");
        assert_eq!(identity(&a), identity(&b));
        assert_eq!(identity(&d.join("new/../y")), identity(&d.join("y")));
        let roles = [
            Role::output("--trace", &a, "the --trace file"),
            Role::output("--history", &b, "the --history file"),
        ];
        let e = check_distinct(&roles).unwrap_err().to_string();
        assert!(e.contains("--history") && e.contains("the --trace file"), "{e}");
        let roles =
            [Role::input("SCENARIO", &a, "the scenario"), Role::input("X", &b, "the scenario")];
        assert!(check_distinct(&roles).is_ok(), "two inputs may be one file");
    }
}
