//! Flags several commands share, each given only to the commands it applies to: `--force`
//! to those that write files, `--report-mb-max` to those that write HTML reports. They
//! are not global, so `gameday schema --help` does not offer a flag it would ignore.

use clap::Args;

/// `--force`, for commands that write files.
#[derive(Args, Debug, Clone, Copy)]
pub struct ForceFlag {
    /// Overwrite output files that gameday did not write (by default it replaces only
    /// its own earlier outputs).
    #[arg(long)]
    pub force: bool,
}

/// `--force` and `--report-mb-max`, for commands that write HTML reports.
#[derive(Args, Debug, Clone, Copy)]
pub struct ReportFlags {
    #[command(flatten)]
    pub force: ForceFlag,
    /// HTML reports larger than this are not written (exit 3).
    #[arg(long = "report-mb-max", value_name = "MB", default_value_t = crate::output::REPORT_MB_MAX_DEFAULT)]
    pub report_mb_max: f64,
}

/// What a command asks of the output machinery: whether to overwrite files gameday did
/// not write, and the largest HTML report.
#[derive(Debug, Clone, Copy)]
pub struct OutputSettings {
    pub force: bool,
    pub report_mb_max: f64,
}

impl OutputSettings {
    /// A command that writes no HTML report: its limit stays the default.
    pub fn force_only(force: bool) -> OutputSettings {
        OutputSettings { force, report_mb_max: crate::output::REPORT_MB_MAX_DEFAULT }
    }
}

impl From<ReportFlags> for OutputSettings {
    fn from(f: ReportFlags) -> OutputSettings {
        OutputSettings { force: f.force.force, report_mb_max: f.report_mb_max }
    }
}
