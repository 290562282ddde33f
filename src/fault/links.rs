//! Faults of the links between two sets of regions: `partition` (messages are lost),
//! `link_latency` (they are slower), `packet_loss` (some are lost). Each is symmetric
//! unless `one_way`.

use super::file::{FaultFile, FaultKindFile};
use super::{kind_name, Conditions, Context, Kind, Names, Window};
use crate::field::{self, err, num, Checked};
use crate::region::RegionId;
use serde::Serialize;

/// Two disjoint, non-empty sets of regions, and whether only `from` -> `to` is hit.
#[derive(Clone, Debug, Serialize)]
pub struct Links {
    pub from: Vec<RegionId>,
    pub to: Vec<RegionId>,
    pub one_way: bool,
}

impl Links {
    fn validate(f: &FaultFile, cx: &Context) -> Checked<Links> {
        let p = format!("{}.between", cx.path);
        let Some(b) = &f.between else {
            return err(
                p,
                format!(
                    "required for a fault of kind \"{}\": two sets of regions, as [[\"a\"], [\"b\", \"c\"]]",
                    kind_name(f.kind)
                ),
            );
        };
        if b.len() != 2 || b[0].is_empty() || b[1].is_empty() {
            return err(p, "must be two non-empty sets of regions, as [[\"a\"], [\"b\", \"c\"]]");
        }
        let mut sides = [Vec::new(), Vec::new()];
        for (s, side) in b.iter().enumerate() {
            for (j, name) in side.iter().enumerate() {
                let id = field::region(cx.regions, &format!("{p}[{s}][{j}]"), name)?;
                if sides[0].contains(&id) || sides[1].contains(&id) {
                    return err(
                        format!("{p}[{s}][{j}]"),
                        format!("region \"{name}\" is named twice; each region goes on at most one side"),
                    );
                }
                sides[s].push(id);
            }
        }
        let [from, to] = sides;
        Ok(Links { from, to, one_way: f.one_way.unwrap_or(false) })
    }

    /// `[us-east] <-/-> [eu-west, ap-south]`, with the arrow given.
    fn describe(&self, names: &Names, arrow: &str) -> String {
        format!("[{}] {arrow} [{}]", names.list(&self.from), names.list(&self.to))
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Partition {
    pub links: Links,
}

impl Kind for Partition {
    const FILE: FaultKindFile = FaultKindFile::Partition;
    const FIELDS: &'static [&'static str] = &["between", "one_way", "for_s"];
    const WINDOW: Window = Window::Required;
    const CUTS_LINKS: bool = true;
    const LOSES_REGION: bool = true;

    fn validate(fault: &FaultFile, cx: &Context) -> Checked<Self> {
        Ok(Partition { links: Links::validate(fault, cx)? })
    }
    fn describe(&self, names: &Names) -> String {
        self.links.describe(names, if self.links.one_way { "-/->" } else { "<-/->" })
    }
    /// A partition concerns everyone: it changes who can talk to whom.
    fn regions(&self) -> Vec<RegionId> {
        Vec::new()
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        let l = &self.links;
        world.links_cut(&l.from, &l.to, l.one_way, start);
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct LinkLatency {
    pub links: Links,
    pub factor: f64,
}

impl Kind for LinkLatency {
    const FILE: FaultKindFile = FaultKindFile::LinkLatency;
    const FIELDS: &'static [&'static str] = &["between", "one_way", "factor", "for_s"];
    const WINDOW: Window = Window::Required;
    const CUTS_LINKS: bool = true;

    fn validate(f: &FaultFile, cx: &Context) -> Checked<Self> {
        let links = Links::validate(f, cx)?;
        let path = format!("{}.factor", cx.path);
        let factor = match f.factor {
            Some(x) if (1.0..=10_000.0).contains(&x) => x,
            Some(x) => {
                return err(path, format!("a latency factor is between 1 and 10000, got {}", num(x)))
            }
            None => return err(
                path,
                "required for a fault of kind \"link_latency\": how many times slower the link gets (1 to 10000)",
            ),
        };
        Ok(LinkLatency { links, factor })
    }
    fn describe(&self, names: &Names) -> String {
        format!(
            "[{}] <-> [{}] x{}",
            names.list(&self.links.from),
            names.list(&self.links.to),
            self.factor
        )
    }
    fn regions(&self) -> Vec<RegionId> {
        Vec::new()
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        let l = &self.links;
        world.links_slow(&l.from, &l.to, l.one_way, self.factor, start);
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PacketLoss {
    pub links: Links,
    pub loss: f64,
}

impl Kind for PacketLoss {
    const FILE: FaultKindFile = FaultKindFile::PacketLoss;
    const FIELDS: &'static [&'static str] = &["between", "one_way", "loss", "for_s"];
    const WINDOW: Window = Window::Required;
    const CUTS_LINKS: bool = true;

    fn validate(f: &FaultFile, cx: &Context) -> Checked<Self> {
        let links = Links::validate(f, cx)?;
        let path = format!("{}.loss", cx.path);
        let loss = match f.loss {
            Some(x) if x > 0.0 && x <= 1.0 => x,
            Some(x) => {
                return err(
                    path,
                    format!("a loss probability is above 0 and at most 1, got {}", num(x)),
                )
            }
            None => return err(
                path,
                "required for a fault of kind \"packet_loss\": the probability that a message is lost (above 0, at most 1)",
            ),
        };
        Ok(PacketLoss { links, loss })
    }
    fn describe(&self, names: &Names) -> String {
        let arrow = if self.links.one_way { "->" } else { "<->" };
        format!("{} lose {:.0}% of messages", self.links.describe(names, arrow), self.loss * 100.0)
    }
    fn regions(&self) -> Vec<RegionId> {
        Vec::new()
    }
    fn apply(&self, start: bool, world: &mut dyn Conditions) {
        let l = &self.links;
        world.links_lossy(&l.from, &l.to, l.one_way, self.loss, start);
    }
}
