//! Paths a command reads and writes, checked for clashes before any work: two outputs
//! at one file (`--trace X --history X`) would leave one of them clobbered by the
//! other, and an output at an input (`merge --out` onto a shard) destroys what it was
//! made from. Paths are compared as the files they name, whichever way they are spelt
//! (`out/../out/x`, a link to the folder, a relative or an absolute path), and an
//! existing file is also known by its device and inode, so two hard links to one file
//! are one file too.

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

/// The file an existing `path` is on disk (device and inode, links followed): every
/// hard link to a file shares it, whatever its name.
#[cfg(unix)]
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_path: &Path) -> Option<(u64, u64)> {
    None
}

/// Refuses any output that is the same file as another output or as an input: the
/// same path however spelt, or another name (a hard link) of the same file.
pub fn check_distinct(roles: &[Role]) -> Result<(), OutputError> {
    let ids: Vec<PathBuf> = roles.iter().map(|r| identity(&r.path)).collect();
    let files: Vec<Option<(u64, u64)>> = roles.iter().map(|r| file_id(&r.path)).collect();
    let same_path = |i: usize, j: usize| ids[i] == ids[j];
    let same_file = |i: usize, j: usize| files[i].is_some() && files[i] == files[j];
    // Each output against every path before it and every input after it: a check has
    // hundreds of inputs and few outputs, and two inputs may well be one file.
    for (i, this) in roles.iter().enumerate().filter(|(_, r)| r.output) {
        let clash = roles.iter().enumerate().find(|(j, other)| {
            *j != i && (*j < i || !other.output) && (same_path(i, *j) || same_file(i, *j))
        });
        let Some((j, other)) = clash else { continue };
        let (flag, path, other) = (this.flag.clone(), this.path.clone(), other.what.clone());
        return Err(if same_path(i, j) {
            OutputError::Collision { flag, path, other }
        } else {
            OutputError::HardLink { flag, path, other }
        });
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

    #[test]
    fn two_hard_links_to_one_file_collide() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("scenario.json"), "{}").unwrap();
        std::fs::hard_link(d.join("scenario.json"), d.join("trace.jsonl")).unwrap();
        std::fs::write(d.join("other.json"), "{}").unwrap();
        let roles = [
            Role::input("SCENARIO", &d.join("scenario.json"), "the scenario"),
            Role::output("--trace", &d.join("trace.jsonl"), "the --trace file"),
        ];
        let e = check_distinct(&roles).unwrap_err().to_string();
        assert!(e.contains("--trace") && e.contains("hard link") && e.contains("the scenario"));
        let roles = [
            Role::input("SCENARIO", &d.join("scenario.json"), "the scenario"),
            Role::output("--trace", &d.join("other.json"), "the --trace file"),
        ];
        assert!(check_distinct(&roles).is_ok(), "two files with equal contents are two files");
    }
}
