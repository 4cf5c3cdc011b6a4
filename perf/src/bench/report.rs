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
}

impl CaseResult {
    /// The case with its table size, for tables and charts.
    pub fn label(&self) -> String {
        if self.case.starts_with("pppoe") {
            format!("{} {} sessions", self.case, self.sessions)
        } else {
            format!("{} {} routes", self.case, self.routes)
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
    let (left, width, bar, gap) = (230.0, 420.0, 22.0, 10.0);
    let top = 50.0;
    let height = top + rows.len() as f64 * (bar + gap) + 40.0;
    let max = rows.iter().map(|r| r.ratio).fold(1.0f64, f64::max).ceil();
    let x = |v: f64| left + v / max * width;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{height}" font-family="sans-serif" font-size="12">"#,
        w = left + width + 80.0
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
    s.push_str("</svg>\n");
    s
}

/// The Markdown table of a run.
pub fn markdown(rows: &[CaseResult], note: &str) -> String {
    let Some(first) = rows.first() else { return String::new() };
    let mut s = format!(
        "\n## {} — commit {} — {}\n\n{note}\n\n| case | sessions | routes | dpvpn Mpps | testpmd Mpps | ratio | target | cycles/packet (dpvpn) | cycles/packet (testpmd) | dpvpn drops | load |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|\n",
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
            "| {} | {} | {} | {:.2} | {:.2} | {:.3} | {verdict} | {:.0} | {:.0} | {drops} | {:.2} |",
            r.case, r.sessions, r.routes, r.dpvpn_mpps, r.testpmd_mpps, r.ratio, r.cycles_per_packet, r.testpmd_cycles_per_packet, r.load_avg
        );
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
        }
    }

    #[test]
    fn table_says_how_far_short() {
        let md = markdown(&[row("ipv4", 0.9), row("pppoe-up", 0.3)], "n");
        assert!(md.contains("| ipv4 | 1000 | 10 | 9.00 | 10.00 | 0.900 | ≥ 0.75 |"), "{md}");
        assert!(md.contains("**50 % short of 0.6**"), "{md}");
        let svg = svg(&[row("ipv4", 0.9)], "t");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("ipv4 10 routes"));
    }
}
