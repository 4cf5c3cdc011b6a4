//! `dpvpn-bench`: dpvpn's data-path throughput beside `dpdk-testpmd` io forwarding (issue 5).
//!
//! For each case (ipv4 forwarding over R routes, PPPoE upstream and downstream for N
//! synthetic sessions) it writes a capture file, runs dpvpn with one worker on
//! `net_pcap0,rx_pcap=FILE,infinite_rx=1` → `net_null0`, then testpmd on the same devices and
//! lcores, and prints one JSON line per case; with `--results` it appends them to
//! `DIR/bench.jsonl`, charts the latest figure of every case in it as `DIR/bench.svg`, and
//! appends a table to `--results-md`.
//!
//!     dpvpn-bench --dpvpn target/release/dpvpn --dpvpnctl target/release/dpvpnctl \
//!         --sessions 1,1000,65536 --routes 10,1000000 --results perf/results --results-md perf/RESULTS.md

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

use clap::Parser;
use perf::bench::cases::{self, Case};
use perf::bench::report::{self, CaseResult};
use perf::bench::run::{self, Setup};

#[derive(Parser)]
#[command(name = "dpvpn-bench", about = "dpvpn's data path beside dpdk-testpmd io forwarding")]
struct Cli {
    #[arg(long, default_value = "target/release/dpvpn")]
    dpvpn: PathBuf,
    #[arg(long, default_value = "target/release/dpvpnctl")]
    dpvpnctl: PathBuf,
    #[arg(long, default_value = "dpdk-testpmd")]
    testpmd: PathBuf,
    /// Scratch directory: capture files, generated configurations, logs.
    #[arg(long, default_value = "/tmp/dpvpn-bench")]
    work: PathBuf,
    /// Cases to run (ipv4, pppoe-up, pppoe-down).
    #[arg(long, value_delimiter = ',', default_value = "ipv4,pppoe-up,pppoe-down")]
    cases: Vec<String>,
    /// Synthetic session counts for the PPPoE cases (a sweep when several).
    #[arg(long, value_delimiter = ',', default_value = "1000")]
    sessions: Vec<u32>,
    /// Route counts for the ipv4 case (a sweep when several).
    #[arg(long, value_delimiter = ',', default_value = "10")]
    routes: Vec<u32>,
    /// Control lcore and worker lcore, for both dpvpn and testpmd.
    #[arg(long, default_value = "0,1")]
    lcores: String,
    #[arg(long, default_value_t = 1.0)]
    warmup_s: f64,
    #[arg(long, default_value_t = 5.0)]
    duration_s: f64,
    /// Frames per capture file (0: every session or enough destinations once, 8192 to
    /// 65536). A sweep gives every table size the same count with e.g. 65536.
    #[arg(long, default_value_t = 0)]
    frames: usize,
    /// Rounds per case, dpvpn and testpmd alternating; each side's median round is reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Directory for bench.jsonl and bench.svg (nothing is saved without it).
    #[arg(long)]
    results: Option<PathBuf>,
    /// Markdown file the dated table is appended to.
    #[arg(long)]
    results_md: Option<PathBuf>,
    /// A line for the table (what else ran, anything to know).
    #[arg(long, default_value = "")]
    note: String,
}

fn sh(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| c.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split_once(':')).map(|(_, v)| v.trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".into());
    let n = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{} ({n} CPUs, {cpu})", sh("hostname", &[]))
}

fn commit() -> String {
    let head = sh("git", &["rev-parse", "--short=12", "HEAD"]);
    let dirty = !sh("git", &["status", "--porcelain", "--untracked-files=no", "--", "dataplane", "controlplane", "dpdk-binding"]).is_empty();
    if dirty {
        format!("{head}+uncommitted")
    } else {
        head
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lcores: Vec<u32> = cli.lcores.split(',').filter_map(|x| x.trim().parse().ok()).collect();
    let [control_lcore, worker_lcore] = lcores[..] else {
        eprintln!("dpvpn-bench: --lcores is CONTROL,WORKER (e.g. 0,1)");
        return ExitCode::from(2);
    };
    let mut todo = Vec::new();
    // `--cases ''` runs nothing (and only redraws the chart from --results).
    for name in cli.cases.iter().filter(|n| !n.is_empty()) {
        let Some(case) = Case::parse(name) else {
            eprintln!("dpvpn-bench: unknown case {name:?} (ipv4, pppoe-up, pppoe-down)");
            return ExitCode::from(2);
        };
        match case {
            Case::Ipv4 => todo.extend(cli.routes.iter().map(|&r| (case, 1, r.max(1)))),
            _ => todo.extend(cli.sessions.iter().map(|&n| (case, n.max(1), 0))),
        }
    }
    if let Err(e) = std::fs::create_dir_all(&cli.work) {
        eprintln!("dpvpn-bench: {}: {e}", cli.work.display());
        return ExitCode::FAILURE;
    }
    let setup = Setup {
        dpvpn: cli.dpvpn.clone(),
        dpvpnctl: cli.dpvpnctl.clone(),
        testpmd: cli.testpmd.clone(),
        work: cli.work.clone(),
        control_lcore,
        worker_lcore,
        warmup: Duration::from_secs_f64(cli.warmup_s),
        duration: Duration::from_secs_f64(cli.duration_s),
    };
    let tsc_hz = run::tsc_hz();
    let (machine, date, commit) = (machine(), sh("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]), commit());
    eprintln!("dpvpn-bench: {machine}, TSC {:.3} GHz, commit {commit}", tsc_hz / 1e9);
    let mut rows = Vec::new();
    let mut failed = false;
    for (case, sessions, routes) in todo {
        let b = cases::bench_config(sessions, routes);
        let frames = cases::frames(case, &b, 0x5eed_0000 + u64::from(sessions) + u64::from(routes), cli.frames);
        let pcap = cli.work.join(format!("{}-{sessions}-{routes}-{}.pcap", case.name(), frames.len()));
        let written = std::fs::File::create(&pcap).and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            cases::write_pcap(&mut w, &frames)?;
            std::io::Write::flush(&mut w)
        });
        if let Err(e) = written {
            eprintln!("dpvpn-bench: {}: {e}", pcap.display());
            return ExitCode::FAILURE;
        }
        // The pcap driver holds every frame of the file in an mbuf; leave room for the rings.
        let mbufs = ((frames.len() + 16384) as u32).next_power_of_two() - 1;
        eprintln!("dpvpn-bench: {} ({sessions} sessions, {routes} routes, {} frames)", case.name(), frames.len());
        let load_avg = std::fs::read_to_string("/proc/loadavg").ok().and_then(|l| l.split_whitespace().next().and_then(|v| v.parse().ok())).unwrap_or(-1.0);
        let (mut ds, mut ts) = (Vec::new(), Vec::new());
        for round in 0..cli.rounds.max(1) {
            match run::run_dpvpn(&setup, case, &b, &pcap, mbufs) {
                Ok(d) => ds.push(d),
                Err(e) => eprintln!("dpvpn-bench: {} round {round}: dpvpn: {e}", case.name()),
            }
            match run::run_testpmd(&setup, case, &pcap, mbufs) {
                Ok(t) => ts.push(t),
                Err(e) => eprintln!("dpvpn-bench: {} round {round}: testpmd: {e}", case.name()),
            }
        }
        if ds.is_empty() || ts.is_empty() {
            failed = true;
            continue;
        }
        let spread = |v: &[run::Side]| {
            let m: Vec<String> = v.iter().map(|x| format!("{:.2}", x.mpps())).collect();
            m.join(" ")
        };
        eprintln!("dpvpn-bench: {}: rounds (Mpps): dpvpn {} / testpmd {}", case.name(), spread(&ds), spread(&ts));
        let median = |mut v: Vec<run::Side>| {
            v.sort_by(|a, b| a.mpps().total_cmp(&b.mpps()));
            v.swap_remove(v.len() / 2)
        };
        let dpvpn_rounds: Vec<f64> = ds.iter().map(run::Side::mpps).collect();
        let testpmd_rounds: Vec<f64> = ts.iter().map(run::Side::mpps).collect();
        let (d, t) = (median(ds), median(ts));
        let busy = if d.loops == 0 { 0.0 } else { d.busy_loops as f64 / d.loops as f64 };
        let r = CaseResult {
            case: case.name().into(),
            dpvpn_mpps: d.mpps(),
            testpmd_mpps: t.mpps(),
            ratio: if t.tx_packets == 0 { 0.0 } else { d.mpps() / t.mpps() },
            cycles_per_packet: if d.tx_packets == 0 { 0.0 } else { tsc_hz * d.seconds * busy / d.tx_packets as f64 },
            testpmd_cycles_per_packet: if t.tx_packets == 0 { 0.0 } else { tsc_hz * t.seconds / t.tx_packets as f64 },
            dpvpn_rx_mpps: d.rx_mpps(),
            dpvpn_busy_fraction: busy,
            dpvpn_drops: d.drops.clone(),
            sessions: if case == Case::Ipv4 { 0 } else { sessions },
            routes: if case == Case::Ipv4 { routes } else { 0 },
            frames: frames.len(),
            dpvpn_rounds_mpps: dpvpn_rounds,
            testpmd_rounds_mpps: testpmd_rounds,
            load_avg,
            seconds: d.seconds,
            tsc_hz,
            machine: machine.clone(),
            date: date.clone(),
            commit: commit.clone(),
            stages: report::stage_costs(&d.stages),
        };
        println!("{}", serde_json::to_string(&r).unwrap_or_default());
        if d.tx_packets == 0 || t.tx_packets == 0 {
            eprintln!("dpvpn-bench: {}: nothing forwarded (dpvpn {} / testpmd {} packets); see the logs in {}", case.name(), d.tx_packets, t.tx_packets, cli.work.display());
            failed = true;
        }
        rows.push(r);
    }
    if let Some(dir) = &cli.results {
        let saved = std::fs::create_dir_all(dir)
            .and_then(|_| report::append_jsonl(&dir.join("bench.jsonl"), &rows))
            .and_then(|_| std::fs::read_to_string(dir.join("bench.jsonl")))
            .and_then(|all| {
                // The chart: the latest figure of every case and table size in bench.jsonl.
                let mut latest: Vec<CaseResult> = Vec::new();
                for r in all.lines().filter_map(|l| serde_json::from_str::<CaseResult>(l).ok()) {
                    latest.retain(|x| x.label() != r.label());
                    latest.push(r);
                }
                latest.sort_by_key(|r| (r.case.clone(), r.sessions, r.routes));
                std::fs::write(dir.join("bench.svg"), report::svg(&latest, &format!("dpvpn-bench, latest figure per case (last run {date}, commit {commit})")))
            });
        if let Err(e) = saved {
            eprintln!("dpvpn-bench: {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    if let Some(md) = &cli.results_md {
        let note = format!(
            "Window {} s after {} s warm-up, lcores {} (control, worker), TSC {:.3} GHz. {}",
            cli.duration_s, cli.warmup_s, cli.lcores, tsc_hz / 1e9, cli.note
        );
        let text = report::markdown(&rows, note.trim());
        let saved = std::fs::OpenOptions::new().create(true).append(true).open(md).and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
        if let Err(e) = saved {
            eprintln!("dpvpn-bench: {}: {e}", md.display());
            return ExitCode::FAILURE;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
