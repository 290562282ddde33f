//! A counterexample drawn as a self-contained SVG timeline: one lane per process, one bar
//! per operation from its invocation to its completion (to the right edge when the
//! outcome is unknown). The x axis is the order of events, not their clock time, so
//! short overlaps stay visible. Only the stretch of history around the counterexample is
//! drawn, at most `DRAWN_OPS_MAX` operations. Every string from the history is escaped.

use super::Counterexample;
use crate::history::{History, Op, OpId, Outcome};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Operations drawn at most: the minimized set first, then the prefix, then the rest.
const DRAWN_OPS_MAX: usize = 150;
const LANE_H: u32 = 26;
const BAR_H: u32 = 18;
const LEFT: u32 = 70;
const TOP: u32 = 84;
const RIGHT: u32 = 30;

/// How an operation is drawn.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Unplaceable,
    Minimal,
    /// Linearized in the longest prefix, at this position (from 1).
    Prefix(usize),
    Other,
}

impl Role {
    fn fill(self) -> &'static str {
        match self {
            Role::Unplaceable => "#d62728",
            Role::Minimal => "#ff7f0e",
            Role::Prefix(_) => "#2ca02c",
            Role::Other => "#c7c7c7",
        }
    }
}

/// Escapes text for SVG content and attribute values.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// The operations to draw, with their roles, in invocation order.
fn chosen(cx: &Counterexample, h: &History) -> Vec<(OpId, Role)> {
    let mut role: BTreeMap<OpId, Role> = BTreeMap::new();
    for (i, &id) in cx.prefix.iter().enumerate() {
        role.insert(id, Role::Prefix(i + 1));
    }
    for &id in &cx.minimal {
        role.insert(id, Role::Minimal);
    }
    role.insert(cx.unplaceable, Role::Unplaceable);
    let minimal = |id: &OpId| cx.minimal.contains(id) || *id == cx.unplaceable;
    let from = cx.minimal.iter().map(|&id| h.op(id).invoke.index).min().unwrap_or(0);
    let to = h.op(cx.unplaceable).completion.map_or(h.events(), |c| c.at.index);
    let in_part =
        |op: &Op| cx.key.is_none() || op.key.as_ref() == cx.key.as_ref() || minimal(&op.id);
    let overlaps = |op: &Op| {
        let end = op.completion.map_or(u32::MAX, |c| c.at.index);
        op.invoke.index <= to && end >= from
    };
    let mut picked: Vec<(OpId, Role)> = Vec::new();
    for pass in 0..3 {
        for op in h.ops() {
            if picked.len() >= DRAWN_OPS_MAX {
                break;
            }
            let r = role.get(&op.id).copied().unwrap_or(Role::Other);
            let take = match pass {
                0 => matches!(r, Role::Unplaceable | Role::Minimal),
                1 => matches!(r, Role::Prefix(_)) && overlaps(op),
                _ => {
                    r == Role::Other && op.outcome() != Outcome::Fail && in_part(op) && overlaps(op)
                }
            };
            if take {
                picked.push((op.id, r));
            }
        }
    }
    picked.sort_by_key(|p| p.0);
    picked
}

/// Renders the counterexample of `h`. With `ops_are_processes` (a simulated run's
/// history, where each operation is its own process), lanes and the title name
/// operations as the run's trails do (`#N`, `operation #N`), not processes.
pub(super) fn render(cx: &Counterexample, h: &History, ops_are_processes: bool) -> String {
    let ops = chosen(cx, h);
    let lanes: BTreeMap<u64, usize> = {
        let mut ps: Vec<u64> = ops.iter().map(|(id, _)| h.op(*id).process.0).collect();
        ps.sort_unstable();
        ps.dedup();
        ps.into_iter().enumerate().map(|(i, p)| (p, i)).collect()
    };
    // Columns: the distinct event indices of what is drawn, in order.
    let mut cols: Vec<u32> = Vec::new();
    for (id, _) in &ops {
        let op = h.op(*id);
        cols.push(op.invoke.index);
        if let Some(c) = op.completion.filter(|c| c.outcome != Outcome::Info) {
            cols.push(c.at.index);
        }
    }
    cols.sort_unstable();
    cols.dedup();
    let col_w = (1100 / cols.len().max(1) as u32).clamp(14, 48);
    let width = (LEFT + col_w * (cols.len() as u32 + 1) + RIGHT).max(900);
    let height = TOP + LANE_H * lanes.len() as u32 + 40;
    let x_of = |event: u32| LEFT + col_w * cols.partition_point(|&c| c < event) as u32;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="monospace" font-size="11">"#
    );
    s.push_str("\n<!-- gameday counterexample -->\n");
    let _ =
        writeln!(s, r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##);
    header(&mut s, cx, h, ops.len(), ops_are_processes);
    for (p, lane) in &lanes {
        let y = TOP + LANE_H * *lane as u32;
        let _ = writeln!(
            s,
            r##"<text x="8" y="{}" fill="#333333">{}{p}</text><line x1="{LEFT}" y1="{}" x2="{}" y2="{}" stroke="#eeeeee"/>"##,
            y + BAR_H - 5,
            if ops_are_processes { "#" } else { "p" },
            y + BAR_H / 2,
            width - RIGHT,
            y + BAR_H / 2
        );
    }
    for (i, (id, role)) in ops.iter().enumerate() {
        let op = h.op(*id);
        // A label may run past its bar up to the next bar in its lane.
        let room_end = ops[i + 1..]
            .iter()
            .find(|(o, _)| h.op(*o).process == op.process)
            .map_or(width, |(o, _)| x_of(h.op(*o).invoke.index));
        let room_chars = (room_end.saturating_sub(x_of(op.invoke.index) + 6) / 7).max(3) as usize;
        let lane = (lanes[&op.process.0], ops_are_processes);
        bar(&mut s, op, *role, lane, &x_of, width - RIGHT, room_chars);
    }
    s.push_str("</svg>\n");
    s
}

fn header(s: &mut String, cx: &Counterexample, h: &History, drawn: usize, ops_are_processes: bool) {
    let un = h.op(cx.unplaceable);
    let key = cx.key.as_ref().map_or(String::new(), |k| format!(" (key {k})"));
    let line =
        if un.invoke.line > 0 { format!(" (line {})", un.invoke.line) } else { String::new() };
    let name = if ops_are_processes {
        let what = un.describe();
        let what = what.split_once(' ').map_or(what.clone(), |d| d.1.to_string());
        format!("operation #{} ({what})", un.process.0)
    } else {
        un.describe()
    };
    let title = format!(
        "Not linearizable{key}: no linearization places {name}{line} before its completion."
    );
    let legend = format!(
        "Red: cannot be placed. Orange: with red, a minimized set of {} ops, not linearizable \
         whatever the others did.",
        cx.minimal.len()
    );
    let legend2 = format!(
        "Green #n: the longest linearizable prefix ({} ops), in order. Dashed: outcome \
         unknown.",
        cx.prefix.len()
    );
    let legend3 = format!("{drawn} ops drawn (failed ones never happened and are not).");
    let _ = writeln!(
        s,
        r##"<text x="8" y="20" font-size="13" fill="#000000">{}</text>"##,
        escape(&title)
    );
    let _ = writeln!(s, r##"<text x="8" y="40" fill="#555555">{}</text>"##, escape(&legend));
    let _ = writeln!(s, r##"<text x="8" y="56" fill="#555555">{}</text>"##, escape(&legend2));
    let _ = writeln!(s, r##"<text x="8" y="72" fill="#555555">{}</text>"##, escape(&legend3));
}

fn bar(
    s: &mut String,
    op: &Op,
    role: Role,
    (lane, ops_are_processes): (usize, bool),
    x_of: &dyn Fn(u32) -> u32,
    x_max: u32,
    room_chars: usize,
) {
    let y = TOP + LANE_H * lane as u32;
    let x1 = x_of(op.invoke.index);
    let unknown = op.outcome() == Outcome::Info;
    let x2 = match op.completion {
        Some(c) if !unknown => x_of(c.at.index),
        _ => x_max,
    };
    let w = x2.saturating_sub(x1).max(4);
    let dash = if unknown { r#" stroke-dasharray="4 3""# } else { "" };
    let opacity = if op.outcome() == Outcome::Fail { "0.45" } else { "0.9" };
    let body = op.describe();
    let body = body.split_once(' ').map_or(body.as_str(), |(_, rest)| rest).to_string();
    let label = match role {
        Role::Prefix(n) => format!("#{n} {body}"),
        _ => body.clone(),
    };
    let line =
        if op.invoke.line > 0 { format!(" (line {})", op.invoke.line) } else { String::new() };
    let _ = writeln!(
        s,
        r##"<g><title>{}</title><rect x="{x1}" y="{y}" width="{w}" height="{BAR_H}" rx="3" fill="{}" fill-opacity="{opacity}" stroke="#333333"{dash}/><text x="{}" y="{}" fill="#000000">{}</text></g>"##,
        escape(&if ops_are_processes {
            format!("operation #{} ({body}){line}", op.process.0)
        } else {
            format!("{}{line}", op.describe())
        }),
        role.fill(),
        x1 + 3,
        y + BAR_H - 5,
        escape(&truncate(&label, room_chars))
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(escape("<a href=\"x\">&'\u{1}"), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;?");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
