//! `gameday check`'s rows as a terminal table and as JUnit XML.

use super::html::escape;
use super::words;
use crate::explore::check::{count, CheckRow, CheckStatus, Skipped};

/// The rows as a table for a terminal: one line per file skipped and why, one per
/// scenario with what differed, then the counts.
pub fn table(rows: &[CheckRow], skipped: &[Skipped]) -> String {
    use std::fmt::Write as _;
    let mut o = skipped_lines(skipped);
    for r in rows {
        let _ = writeln!(o, "{:<8} {}", r.status.label(), r.file);
        for d in &r.detail {
            let _ = writeln!(o, "         {d}");
        }
        if r.status == CheckStatus::Fail {
            let _ = writeln!(o, "         replay: {}", r.replay);
        }
    }
    let skipped = if skipped.is_empty() {
        String::new()
    } else {
        format!("; {} skipped", words::count(skipped.len(), "file", "files"))
    };
    let _ = writeln!(
        o,
        "\n{}: {} passed, {} failed, {} invalid, {} hit a limit{skipped}",
        words::count(rows.len(), "scenario", "scenarios"),
        count(rows, CheckStatus::Pass),
        count(rows, CheckStatus::Fail),
        count(rows, CheckStatus::Invalid),
        count(rows, CheckStatus::Limit)
    );
    super::fit(&o, super::TERMINAL_COLUMNS)
}

/// One line per file `check` skipped, saying what it holds instead of a scenario.
pub fn skipped_lines(skipped: &[Skipped]) -> String {
    let lines: String =
        skipped.iter().map(|s| format!("{:<8} {}: {}\n", "skipped", s.file, s.reason)).collect();
    super::fit(&lines, super::TERMINAL_COLUMNS)
}

/// JUnit XML, as GitHub Actions and GitLab display it: one test case per scenario.
pub fn junit(rows: &[CheckRow], skipped: &[Skipped]) -> String {
    use std::fmt::Write as _;
    let failures = count(rows, CheckStatus::Fail);
    let errors = count(rows, CheckStatus::Invalid) + count(rows, CheckStatus::Limit);
    let (tests, n_skipped) = (rows.len() + skipped.len(), skipped.len());
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        o,
        "<testsuites name=\"gameday\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{n_skipped}\">",
    );
    let _ = writeln!(
        o,
        "  <testsuite name=\"gameday check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{n_skipped}\">",
    );
    // A file that is not a scenario (gameday's own output, a design) is listed as
    // skipped, with why, so a CI page shows every file the check looked at.
    for s in skipped {
        let _ = writeln!(
            o,
            "    <testcase classname=\"gameday.{}\" name=\"{}\" file=\"{}\">\n      <skipped message=\"{}\"/>\n    </testcase>",
            escape(s.file.replace(['/', '\\'], ".").trim_end_matches(".json")),
            escape(&s.file),
            escape(&s.file),
            escape(&s.reason)
        );
    }
    for r in rows {
        let name = if r.scenario.is_empty() { &r.file } else { &r.scenario };
        let _ = write!(
            o,
            "    <testcase classname=\"gameday.{}\" name=\"{}\" file=\"{}\"",
            escape(r.file.replace(['/', '\\'], ".").trim_end_matches(".json")),
            escape(name),
            escape(&r.file)
        );
        let text = escape(&r.detail.join("\n"));
        match r.status {
            CheckStatus::Pass => o.push_str("/>\n"),
            CheckStatus::Fail => {
                let _ = writeln!(
                    o,
                    ">\n      <failure message=\"{}\">{text}\nreplay: {}</failure>\n    </testcase>",
                    escape(&r.detail.join("; ")),
                    escape(&r.replay)
                );
            }
            CheckStatus::Invalid | CheckStatus::Limit => {
                let _ = writeln!(
                    o,
                    ">\n      <error message=\"{}\">{text}</error>\n    </testcase>",
                    escape(&r.detail.join("; "))
                );
            }
        }
    }
    o.push_str("  </testsuite>\n</testsuites>\n");
    o
}
