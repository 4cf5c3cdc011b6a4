//! The benchmark's outputs: one JSON line per case (appended to `results/*.jsonl`), an SVG
//! bar chart of dpvpn/testpmd per case drawn by hand, and a dated Markdown table appended
//! to `RESULTS.md`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Issue 5's targets: IPv4 forwarding ≥ 0.75 × testpmd, PPPoE ≥ 0.6 ×.
pub fn target(case: &str) -> f64 {
    if case.starts_with("pppoe") {
        0.6
    } else {
        0.75
    }
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct CaseResult {
    pub case: String,
    pub dpvpn_mpps: f64,
    pub testpmd_mpps: f64,
    pub ratio: f64,
    /// TSC cycles per packet on dpvpn's worker: tsc_hz × window × busy_loops/loops ÷ packets.
    pub cycles_per_packet: f64,
    /// TSC cycles per packet of testpmd's forwarding core (it polls all the time): tsc_hz ÷ pps.
    pub testpmd_cycles_per_packet: f64,
    /// dpvpn's ingress rate (what it took off the pcap port).
    pub dpvpn_rx_mpps: f64,
    /// Share of dpvpn's worker loops that received at least one packet.
    pub dpvpn_busy_fraction: f64,
    /// Packets dpvpn's worker dropped in the window, by reason (should be empty).
    pub dpvpn_drops: Vec<(String, u64)>,
    pub sessions: u32,
    pub routes: u32,
    /// Distinct frames in the capture file.
    pub frames: usize,
    /// Every round's figure (the fields above are each side's median round).
    pub dpvpn_rounds_mpps: Vec<f64>,
    pub testpmd_rounds_mpps: Vec<f64>,
    /// The 1-minute load average when the case started (the machine is shared).
    pub load_avg: f64,
    pub seconds: f64,
    pub tsc_hz: f64,
    pub machine: String,
    pub date: String,
    pub commit: String,
    /// Where dpvpn's worker cycles went, from its sampled stage clocks (one burst in
    /// about 128 timed stage by stage) over the median round's window.
    #[serde(default)]
    pub stages: Vec<StageCost>,
}

/// One stage's share of the work, VPP-style ("clocks per node").
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct StageCost {
    pub stage: String,
    /// Packets through the stage in the sampled bursts.
    pub packets: u64,
    /// TSC cycles per packet through the stage.
    pub cycles_per_packet: f64,
    /// TSC cycles of the stage per packet received (what it adds to every packet's cost;
    /// these sum to the sampled cost of a packet).
    pub cycles_per_rx_packet: f64,
}

/// Stage costs from a side's (stage, cycles, packets) clocks; the `rx` clock counts every
/// received packet. Stages no packet went through are left out.
pub fn stage_costs(clocks: &[(String, u64, u64)]) -> Vec<StageCost> {
    let rx = clocks.iter().find(|c| c.0 == "rx").map_or(0, |c| c.2);
    clocks
        .iter()
        .filter(|c| c.2 > 0)
        .map(|(stage, cycles, packets)| StageCost {
            stage: stage.clone(),
            packets: *packets,
            cycles_per_packet: *cycles as f64 / *packets as f64,
            cycles_per_rx_packet: if rx == 0 { 0.0 } else { *cycles as f64 / rx as f64 },
        })
        .collect()
}

impl CaseResult {
    /// The case with its table size, for tables and charts.
    pub fn label(&self) -> String {
        if self.case.starts_with("pppoe") {
            format!("{} {} sessions, {} frames", self.case, self.sessions, short(self.frames as f64))
        } else {
            format!("{} {} routes, {} frames", self.case, self.routes, short(self.frames as f64))
        }
    }
}

pub fn append_jsonl(path: &Path, rows: &[CaseResult]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    for r in rows {
        writeln!(f, "{}", serde_json::to_string(r).map_err(std::io::Error::other)?)?;
    }
    Ok(())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A horizontal bar per case: the ratio dpvpn/testpmd, with its target as a tick.
pub fn svg(rows: &[CaseResult], title: &str) -> String {
    let (left, width, bar, gap) = (300.0, 420.0, 22.0, 10.0);
    let top = 50.0;
    let height = top + rows.len() as f64 * (bar + gap) + 40.0;
    let max = rows.iter().map(|r| r.ratio).fold(1.0f64, f64::max).ceil();
    let x = |v: f64| left + v / max * width;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{height}" font-family="sans-serif" font-size="12">"#,
        w = SVG_WIDTH
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(s, r#"<text x="10" y="20" font-size="14" font-weight="bold">{}</text>"#, esc(title));
    let _ = writeln!(s, r#"<text x="10" y="38" fill="gray">dpvpn Mpps ÷ testpmd io-fwd Mpps, same devices and core; ticks: issue 5's targets</text>"#);
    let mut v = 0.0;
    while v <= max + 1e-9 {
        let _ = writeln!(s, r#"<line x1="{0}" y1="{top}" x2="{0}" y2="{1}" stroke="lightgray"/><text x="{0}" y="{2}" text-anchor="middle">{v:.2}</text>"#, x(v), height - 30.0, height - 15.0);
        v += 0.25;
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + i as f64 * (bar + gap);
        let colour = if r.ratio >= target(&r.case) { "seagreen" } else { "tomato" };
        let _ = writeln!(s, r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#, left - 8.0, y + bar * 0.7, esc(&r.label()));
        let _ = writeln!(s, r#"<rect x="{left}" y="{y}" width="{:.1}" height="{bar}" fill="{colour}"/>"#, x(r.ratio) - left);
        let _ = writeln!(s, r#"<text x="{:.1}" y="{}">{:.2} ({:.2} / {:.2} Mpps)</text>"#, x(r.ratio) + 4.0, y + bar * 0.7, r.ratio, r.dpvpn_mpps, r.testpmd_mpps);
        let t = x(target(&r.case));
        let _ = writeln!(s, r#"<line x1="{t}" y1="{}" x2="{t}" y2="{}" stroke="black" stroke-width="2"/>"#, y - 2.0, y + bar + 2.0);
    }
    s.push_str(&cost_panel(rows, height, SVG_WIDTH));
    s.push_str("</svg>\n");
    // The panel below the bars makes the picture taller than the bars alone.
    s.replacen(&format!(r#"height="{height}""#), &format!(r#"height="{}""#, height + COST_PANEL_HEIGHT), 1)
}

const COST_PANEL_HEIGHT: f64 = 330.0;
const SVG_WIDTH: f64 = 900.0;

/// 1, 10, 1k, 64k, 1M.
fn short(n: f64) -> String {
    if n >= 1e6 {
        format!("{:.0}M", n / 1048576.0)
    } else if n >= 1e3 {
        format!("{:.0}k", n / if n >= 1024.0 && n as u64 % 1024 == 0 { 1024.0 } else { 1000.0 })
    } else {
        format!("{n:.0}")
    }
}

/// Cycles per packet against table size (sessions for PPPoE, routes for IPv4), log scale,
/// a line per case for dpvpn (solid) and testpmd on the same capture file (dashed), with
/// each case's growth from its smallest to its largest table.
fn cost_panel(rows: &[CaseResult], top: f64, total_width: f64) -> String {
    let mut s = String::new();
    let (left, width, plot_top, plot_h) = (70.0, total_width - 320.0, top + 40.0, COST_PANEL_HEIGHT - 90.0);
    let size = |r: &CaseResult| f64::from(if r.case.starts_with("pppoe") { r.sessions } else { r.routes }.max(1));
    let max_y = rows.iter().map(|r| r.cycles_per_packet.max(r.testpmd_cycles_per_packet)).fold(100.0f64, f64::max);
    let max_y = (max_y / 100.0).ceil() * 100.0;
    let x = |n: f64| left + n.log10() / 6.0 * width;
    let y = |c: f64| plot_top + plot_h - c / max_y * plot_h;
    let _ = writeln!(s, r#"<text x="10" y="{}" font-size="14" font-weight="bold">Cycles per packet against table size</text>"#, top + 12.0);
    let _ = writeln!(s, r#"<text x="10" y="{}" fill="gray">dpvpn solid, testpmd on the same capture dashed, a line per case and file size (@frames); log scale; issue 5: ≤ 1.3 × from 1 to 1M sessions</text>"#, top + 28.0);
    for k in 0..=6 {
        let n = 10f64.powi(k);
        let label = ["1", "10", "100", "1k", "10k", "100k", "1M"][k as usize];
        let _ = writeln!(s, r#"<line x1="{0:.1}" y1="{plot_top}" x2="{0:.1}" y2="{1}" stroke="lightgray"/><text x="{0:.1}" y="{2}" text-anchor="middle">{label}</text>"#, x(n), plot_top + plot_h, plot_top + plot_h + 15.0);
    }
    let mut c = 0.0;
    while c <= max_y + 1e-9 {
        let _ = writeln!(s, r#"<line x1="{left}" y1="{0:.1}" x2="{1}" y2="{0:.1}" stroke="lightgray"/><text x="{2}" y="{3:.1}" text-anchor="end">{c:.0}</text>"#, y(c), left + width, left - 6.0, y(c) + 4.0);
        c += max_y / 5.0;
    }
    let colours = ["steelblue", "darkorange", "seagreen", "purple", "firebrick"];
    // A line per case and capture-file size: points of different file sizes are not
    // comparable (the pcap driver's cost grows with the file).
    let mut series: Vec<(&str, usize)> = Vec::new();
    for r in rows {
        if !series.contains(&(r.case.as_str(), r.frames)) {
            series.push((&r.case, r.frames));
        }
    }
    series.retain(|&(c, f)| rows.iter().filter(|r| r.case == c && r.frames == f).count() > 1);
    for (i, &(case, frames)) in series.iter().enumerate() {
        let colour = colours[i % colours.len()];
        let mut pts: Vec<&CaseResult> = rows.iter().filter(|r| r.case == case && r.frames == frames).collect();
        pts.sort_by(|a, b| size(a).total_cmp(&size(b)));
        for (dash, f) in [("", (|r: &CaseResult| r.cycles_per_packet) as fn(&CaseResult) -> f64), (r#" stroke-dasharray="4 3""#, |r: &CaseResult| r.testpmd_cycles_per_packet)] {
            let line: Vec<String> = pts.iter().map(|r| format!("{:.1},{:.1}", x(size(r)), y(f(r)))).collect();
            let _ = writeln!(s, r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>"#, line.join(" "));
        }
        for r in &pts {
            let _ = writeln!(s, r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"/>"#, x(size(r)), y(r.cycles_per_packet));
        }
        let growth = match (pts.first(), pts.last()) {
            (Some(a), Some(b)) if a.cycles_per_packet > 0.0 => {
                format!(" ×{:.2} ({}→{})", b.cycles_per_packet / a.cycles_per_packet, short(size(a)), short(size(b)))
            }
            _ => String::new(),
        };
        let ly = plot_top + 14.0 + i as f64 * 18.0;
        let _ = writeln!(s, r#"<line x1="{0}" y1="{1:.1}" x2="{2}" y2="{1:.1}" stroke="{colour}" stroke-width="2"/><text x="{3}" y="{4:.1}">{5}{6}</text>"#, left + width + 10.0, ly - 4.0, left + width + 30.0, left + width + 35.0, ly, esc(&format!("{case} @{}", short(frames as f64))), esc(&growth));
    }
    s
}

/// The Markdown table of a run.
pub fn markdown(rows: &[CaseResult], note: &str) -> String {
    let Some(first) = rows.first() else { return String::new() };
    let mut s = format!(
        "\n## {} — commit {} — {}\n\n{note}\n\n| case | sessions | routes | frames | dpvpn Mpps | testpmd Mpps | ratio | target | cycles/packet (dpvpn) | cycles/packet (testpmd) | dpvpn drops | load |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|\n",
        first.date, first.commit, first.machine
    );
    for r in rows {
        let t = target(&r.case);
        let verdict = if r.ratio >= t { format!("≥ {t}") } else { format!("**{:.0} % short of {t}**", (1.0 - r.ratio / t) * 100.0) };
        let drops = if r.dpvpn_drops.is_empty() {
            "none".to_string()
        } else {
            r.dpvpn_drops.iter().map(|(n, v)| format!("{n} {v}")).collect::<Vec<_>>().join(", ")
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {:.2} | {:.2} | {:.3} | {verdict} | {:.0} | {:.0} | {drops} | {:.2} |",
            r.case, r.sessions, r.routes, r.frames, r.dpvpn_mpps, r.testpmd_mpps, r.ratio, r.cycles_per_packet, r.testpmd_cycles_per_packet, r.load_avg
        );
    }
    // Where the cycles go: the sampled stage clocks, per packet received.
    let mut stages: Vec<&str> = Vec::new();
    for r in rows {
        for c in &r.stages {
            if !stages.contains(&c.stage.as_str()) {
                stages.push(&c.stage);
            }
        }
    }
    if !stages.is_empty() {
        let _ = write!(
            s,
            "\nWhere dpvpn's worker cycles go: TSC cycles per received packet by stage, from the sampled stage clocks (about one burst in 128 timed stage by stage; `rx` is the driver's receive, `tx` handing the verdicts out, TX bursts and frees included; the timed dispatch costs a little more than the normal one, so the sum can exceed the measured cycles/packet). In parentheses: cycles per packet through that stage.\n\n| case | sessions | routes | frames |"
        );
        for st in &stages {
            let _ = write!(s, " {st} |");
        }
        s.push_str(" sum |\n|---|---:|---:|---:|");
        s.push_str(&"---:|".repeat(stages.len() + 1));
        s.push('\n');
        for r in rows.iter().filter(|r| !r.stages.is_empty()) {
            let _ = write!(s, "| {} | {} | {} | {} |", r.case, r.sessions, r.routes, r.frames);
            for st in &stages {
                match r.stages.iter().find(|c| c.stage == *st) {
                    Some(c) => {
                        let _ = write!(s, " {:.0} ({:.0}) |", c.cycles_per_rx_packet, c.cycles_per_packet);
                    }
                    None => s.push_str(" – |"),
                }
            }
            let _ = writeln!(s, " {:.0} |", r.stages.iter().map(|c| c.cycles_per_rx_packet).sum::<f64>());
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(case: &str, ratio: f64) -> CaseResult {
        CaseResult {
            case: case.into(),
            dpvpn_mpps: ratio * 10.0,
            testpmd_mpps: 10.0,
            ratio,
            cycles_per_packet: 200.0,
            testpmd_cycles_per_packet: 150.0,
            dpvpn_rx_mpps: 8.0,
            dpvpn_busy_fraction: 1.0,
            dpvpn_drops: vec![],
            sessions: 1000,
            routes: 10,
            frames: 8192,
            dpvpn_rounds_mpps: vec![9.0],
            testpmd_rounds_mpps: vec![10.0],
            load_avg: 0.5,
            seconds: 5.0,
            tsc_hz: 2e9,
            machine: "m".into(),
            date: "2026-12-01".into(),
            commit: "abc".into(),
            stages: stage_costs(&[("rx".into(), 3000, 100), ("ip4_input".into(), 2000, 100), ("arp_input".into(), 0, 0)]),
        }
    }

    #[test]
    fn table_says_how_far_short() {
        let md = markdown(&[row("ipv4", 0.9), row("pppoe-up", 0.3)], "n");
        assert!(md.contains("| ipv4 | 1000 | 10 | 8192 | 9.00 | 10.00 | 0.900 | ≥ 0.75 |"), "{md}");
        assert!(md.contains("**50 % short of 0.6**"), "{md}");
        let svg = svg(&[row("ipv4", 0.9)], "t");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("ipv4 10 routes, 8k frames"), "{svg}");
        assert!(md.contains("| rx | ip4_input | sum |"), "{md}");
        assert!(md.contains("| ipv4 | 1000 | 10 | 8192 | 30 (30) | 20 (20) | 50 |"), "{md}");
    }
}
