//! `gameday compare`: loads the scenario and the designs, checks the output folder, runs
//! the comparison (`crate::compare`), and writes what `report::compare` renders of it.

use super::args;
use super::error::CliError;
use super::exit::ExitCode;
use super::write::{write, write_json};
use crate::compare::{self, DesignSpec};
use crate::report;
use crate::scenario::Scenario;
use std::path::{Path, PathBuf};

pub fn cmd_compare(
    path: &Path,
    design_files: &[PathBuf],
    seed: Option<u64>,
    seeds: Option<&str>,
    duration_s: Option<f64>,
    out: Option<PathBuf>,
) -> Result<ExitCode, CliError> {
    let duration = args::parse_duration(duration_s)?;
    let path = path.to_string_lossy().into_owned();
    let base = crate::sim::load(&path)?;
    let designs = designs(&base, design_files)?;
    let dir = out.unwrap_or_else(|| {
        PathBuf::from("reports").join(format!("{}-compare", super::safe_dir_name(&base.name)))
    });
    let names = ["compare.json", "compare.html"];
    crate::output::check_dir("--out", &dir, &names)?;
    check_distinct(Path::new(&path), design_files, &dir, &names)?;
    let _lock = crate::output::lock::Lock::take("--out", &dir)?;
    let seeds = match (seed, seeds) {
        (Some(seed), _) => vec![seed],
        (None, Some(spec)) => compare::parse_seeds(spec)?,
        (None, None) => vec![base.seed],
    };
    let comparison = compare::compare(&path, designs, seeds, duration, report::key_metrics)?;
    let json = report::compare::compare_json(&comparison);
    let html = report::compare::compare_html(&comparison);
    // Both files or neither: the size limit is checked before the JSON is written.
    crate::output::check_report_size(&dir.join("compare.html"), html.len())?;
    write_json(&dir.join("compare.json"), &json)?;
    write(&dir.join("compare.html"), html.as_bytes())?;
    print!("{}", report::compare::compare_terminal(&comparison));
    super::say(&format!("report: {}", dir.join("compare.html").display()));
    Ok(ExitCode::Ok)
}

/// No output of the comparison may be its scenario or a design file.
fn check_distinct(
    scenario: &Path,
    design_files: &[PathBuf],
    dir: &Path,
    names: &[&str],
) -> Result<(), CliError> {
    use crate::output::collide::{self, Role};
    let mut roles = vec![Role::input("SCENARIO", scenario, "the scenario file being compared")];
    for f in design_files {
        roles.push(Role::input("--design", f, format!("the design file {}", f.display())));
    }
    roles.extend(collide::dir_roles("--out", dir, names));
    Ok(collide::check_distinct(&roles)?)
}

/// The designs to compare: the `--design` files (after the scenario's own design when
/// there is only one), or else the scenario's own design and its `variants`.
fn designs(base: &Scenario, design_files: &[PathBuf]) -> Result<Vec<DesignSpec>, CliError> {
    let mut designs = Vec::new();
    for file in design_files {
        designs.push(compare::load_design(&file.to_string_lossy())?);
    }
    if designs.is_empty() {
        designs = compare::variants(base);
    } else if designs.len() == 1 {
        designs.insert(0, compare::variants(base).swap_remove(0));
    }
    Ok(designs)
}
