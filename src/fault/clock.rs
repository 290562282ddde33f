//! `clock_skew`: a region's clock jumps (`offset_ms`) and, or, starts to drift
//! (`drift_ppm`). When the fault ends the drift stops; a clock never jumps back, so the
//! offset stays, at the drill's end too.

use super::file::{FaultFile, FaultKindFile};
use super::{Conditions, Context, Kind, Names, Window};
use crate::field::{self, err, Checked};
use crate::region::RegionId;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct ClockSkew {
    pub region: RegionId,
    pub offset_us: i64,
    pub drift_ppm: f64,
}

impl Kind for ClockSkew {
    const FILE: FaultKindFile = FaultKindFile::ClockSkew;
    const FIELDS: &'static [&'static str] = &["region", "offset_ms", "drift_ppm", "for_s"];
    const WINDOW: Window = Window::Optional;

    fn validate(f: &FaultFile, cx: &Context) -> Checked<Self> {
        let offset_ms = f.offset_ms.unwrap_or(0.0);
        let drift_ppm = f.drift_ppm.unwrap_or(0.0);
        field::clock_offset(&format!("{}.offset_ms", cx.path), offset_ms)?;
        field::drift(&format!("{}.drift_ppm", cx.path), drift_ppm)?;
        if offset_ms == 0.0 && drift_ppm == 0.0 {
            return err(
                cx.path.to_string(),
                "a fault of kind \"clock_skew\" needs a non-zero offset_ms (a jump), drift_ppm (a rate error), or both",
            );
        }
        Ok(ClockSkew {
            region: cx.region(f)?,
            offset_us: (offset_ms * 1e3).round() as i64,
            drift_ppm,
        })
    }
    fn describe(&self, names: &Names) -> String {
        format!(
            "{} clock jumps {:+} ms, drifts {:+} ppm",
            names.region(self.region),
            self.offset_us as f64 / 1e3,
            self.drift_ppm
        )
    }
    fn regions(&self) -> Vec<RegionId> {
        vec![self.region]
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        let (offset_us, drift_ppm) =
            if start { (self.offset_us, self.drift_ppm) } else { (0, -self.drift_ppm) };
        world.clock_skew(self.region, offset_us, drift_ppm);
    }
}
