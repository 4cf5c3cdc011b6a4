//! `dpvpnctl`: talk to a running dpvpn over its management socket.
//!
//! Exit codes: 0 success, 1 dpvpn refused the request, 2 usage or connection error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use controlplane::mgmt::{request, CounterView, Request, Response};

#[derive(Parser)]
#[command(name = "dpvpnctl", version, about = "Manage a running dpvpn")]
struct Cli {
    /// The management socket.
    #[arg(short, long, default_value = "/run/dpvpn/dpvpn.sock")]
    socket: PathBuf,
    /// Print the raw JSON answer.
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Show ports, stats, routes or neighbours.
    Show {
        #[command(subcommand)]
        what: Show,
    },
    /// Add or delete a route.
    Route {
        #[command(subcommand)]
        op: RouteOp,
    },
    /// Act on a subscriber session.
    Session {
        #[command(subcommand)]
        op: SessionOp,
    },
}

#[derive(Subcommand)]
enum SessionOp {
    /// session disconnect <INDEX|USER>: LCP Terminate-Request, then PADT.
    Disconnect { which: String },
}

#[derive(Subcommand)]
enum Show {
    Ports,
    Stats {
        /// Also show counters that are zero.
        #[arg(long)]
        all: bool,
    },
    Routes,
    #[command(alias = "neighbors")]
    Neighbours,
    /// Every PPPoE session: user, MAC, VLANs, session id, address, uptime, counters.
    Sessions,
    /// One session, by its index or user name.
    Session { which: String },
}

#[derive(Subcommand)]
enum RouteOp {
    /// route add PREFIX [via IP] [port NAME] [blackhole]
    Add {
        prefix: String,
        /// `via IP`, `port NAME`, `blackhole`, in any order.
        #[arg(num_args = 0.., trailing_var_arg = true)]
        rest: Vec<String>,
    },
    /// route del PREFIX
    Del { prefix: String },
}

fn check_prefix(p: &str) -> Result<(), String> {
    controlplane::config::parse_prefix(p).map(|_| ()).map_err(|e| format!("bad prefix {p:?}: {e}"))
}

fn build(cmd: &Cmd) -> Result<Request, String> {
    Ok(match cmd {
        Cmd::Show { what: Show::Ports } => Request::ShowPorts,
        Cmd::Show { what: Show::Stats { .. } } => Request::ShowStats,
        Cmd::Show { what: Show::Routes } => Request::ShowRoutes,
        Cmd::Show { what: Show::Neighbours } => Request::ShowNeighbours,
        Cmd::Show { what: Show::Sessions } => Request::ShowSessions,
        Cmd::Show { what: Show::Session { which } } => Request::ShowSession { which: which.clone() },
        Cmd::Session { op: SessionOp::Disconnect { which } } => Request::SessionDisconnect { which: which.clone() },
        Cmd::Route { op: RouteOp::Del { prefix } } => {
            check_prefix(prefix)?;
            Request::RouteDel { prefix: prefix.clone() }
        }
        Cmd::Route { op: RouteOp::Add { prefix, rest } } => {
            check_prefix(prefix)?;
            let (mut via, mut port, mut blackhole) = (None, None, false);
            let mut it = rest.iter();
            while let Some(w) = it.next() {
                match w.as_str() {
                    "via" => {
                        let ip = it.next().ok_or("`via` needs an address")?;
                        ip.parse::<std::net::Ipv4Addr>().map_err(|_| format!("bad next hop {ip:?}: not an IPv4 address"))?;
                        via = Some(ip.clone());
                    }
                    "port" => port = Some(it.next().ok_or("`port` needs a name")?.clone()),
                    "blackhole" => blackhole = true,
                    other => return Err(format!("unexpected {other:?}: expected `via IP`, `port NAME` or `blackhole`")),
                }
            }
            if via.is_none() && port.is_none() && !blackhole {
                return Err("route add needs `via IP`, `port NAME` or `blackhole`".into());
            }
            Request::RouteAdd { prefix: prefix.clone(), via, port, blackhole }
        }
    })
}

fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut w: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.len());
        }
    }
    let line = |cells: Vec<&str>| {
        let s: Vec<String> = cells.iter().enumerate().map(|(i, c)| format!("{:<width$}", c, width = w[i])).collect();
        println!("{}", s.join("  ").trim_end());
    };
    line(header.to_vec());
    for r in rows {
        line(r.iter().map(|s| s.as_str()).collect());
    }
}

fn print(resp: &Response, all: bool) {
    match resp {
        Response::Ok => println!("ok"),
        Response::Error { message } => eprintln!("error: {message}"),
        Response::Ports { ports } => {
            let rows: Vec<Vec<String>> = ports
                .iter()
                .map(|p| {
                    vec![
                        p.name.clone(),
                        p.id.to_string(),
                        p.driver.clone(),
                        p.role.clone(),
                        if p.link_up { format!("up {}M", p.speed_mbps) } else { "down".into() },
                        p.mac.clone(),
                        p.mtu.to_string(),
                        p.addresses.join(","),
                        p.rx_packets.to_string(),
                        p.tx_packets.to_string(),
                        p.rx_missed.to_string(),
                        (p.rx_errors + p.tx_errors).to_string(),
                    ]
                })
                .collect();
            table(&["port", "id", "driver", "role", "link", "mac", "mtu", "addresses", "rx pkts", "tx pkts", "rx missed", "errors"], &rows);
        }
        Response::Stats { stats } => {
            println!("uptime {} s, {} worker(s)", stats.uptime_s, stats.workers.len());
            let mut header: Vec<String> = vec!["counter".into()];
            header.extend(stats.workers.iter().map(|w| format!("lcore {}", w.lcore)));
            header.push("total".into());
            let value_of = |cs: &[CounterView], name: &str| cs.iter().find(|c| c.name == name).map(|c| c.value);
            for kind in ["count", "drop"] {
                if kind == "drop" {
                    println!("\ndrops");
                }
                let rows: Vec<Vec<String>> = stats
                    .totals
                    .iter()
                    .filter(|c| c.kind == kind && (all || c.value > 0))
                    .map(|c| {
                        let mut r = vec![c.name.strip_prefix("drop_").unwrap_or(&c.name).to_string()];
                        for w in &stats.workers {
                            r.push(value_of(&w.counters, &c.name).map(|v| v.to_string()).unwrap_or_else(|| "-".into()));
                        }
                        r.push(c.value.to_string());
                        r
                    })
                    .collect();
                let h: Vec<&str> = header.iter().map(|s| s.as_str()).collect();
                table(&h, &rows);
            }
            // Sampled per-stage clocks: cycles per packet in each stage, per worker.
            let stages: Vec<&str> = stats
                .totals
                .iter()
                .filter(|c| c.kind == "stage_packets" && (all || c.value > 0))
                .filter_map(|c| c.name.strip_prefix("stage_")?.strip_suffix("_packets"))
                .collect();
            if !stages.is_empty() {
                println!("\ncycles per packet by stage (sampled bursts)");
                let per_packet = |cs: &[CounterView], s: &str| match (
                    value_of(cs, &format!("stage_{s}_cycles")),
                    value_of(cs, &format!("stage_{s}_packets")),
                ) {
                    (Some(c), Some(p)) if p > 0 => format!("{:.1}", c as f64 / p as f64),
                    _ => "-".into(),
                };
                let rows: Vec<Vec<String>> = stages
                    .iter()
                    .map(|s| {
                        let mut r = vec![s.to_string()];
                        r.extend(stats.workers.iter().map(|w| per_packet(&w.counters, s)));
                        r.push(per_packet(&stats.totals, s));
                        r
                    })
                    .collect();
                let mut h: Vec<String> = vec!["stage".into()];
                h.extend(header.iter().skip(1).cloned());
                let h: Vec<&str> = h.iter().map(|s| s.as_str()).collect();
                table(&h, &rows);
            }
        }
        Response::Routes { routes } => {
            let rows: Vec<Vec<String>> = routes
                .iter()
                .map(|r| {
                    vec![
                        r.prefix.clone(),
                        r.action.clone(),
                        r.via.clone().unwrap_or_else(|| "-".into()),
                        r.port.clone().unwrap_or_else(|| "-".into()),
                        r.source.clone(),
                    ]
                })
                .collect();
            table(&["prefix", "action", "via", "port", "source"], &rows);
        }
        Response::Neighbours { neighbours } => {
            let rows: Vec<Vec<String>> = neighbours
                .iter()
                .map(|n| {
                    vec![
                        n.address.clone(),
                        n.mac.clone().unwrap_or_else(|| "(incomplete)".into()),
                        n.port.clone(),
                        n.state.clone(),
                        format!("{}s", n.age_s),
                    ]
                })
                .collect();
            table(&["address", "mac", "port", "state", "age"], &rows);
        }
        Response::Metrics { .. } => println!("{}", serde_json::to_string_pretty(resp).unwrap_or_default()),
        Response::Sessions { sessions } => {
            let vlan = |o: Option<u16>, i: Option<u16>| match (o, i) {
                (None, _) => "-".to_string(),
                (Some(o), None) => o.to_string(),
                (Some(o), Some(i)) => format!("{o}.{i}"),
            };
            let rows: Vec<Vec<String>> = sessions
                .iter()
                .map(|s| {
                    vec![
                        s.index.to_string(),
                        s.username.clone().unwrap_or_else(|| "-".into()),
                        s.mac.clone(),
                        s.port.clone(),
                        vlan(s.outer_vlan, s.inner_vlan),
                        format!("{:#06x}", s.pppoe_session_id),
                        s.state.clone(),
                        s.address.clone().unwrap_or_else(|| "-".into()),
                        s.auth.clone().unwrap_or_else(|| "-".into()),
                        format!("{}s", s.uptime_s),
                        format!("{}/{}", s.rx_packets, s.rx_bytes),
                        format!("{}/{}", s.tx_packets, s.tx_bytes),
                    ]
                })
                .collect();
            table(
                &["index", "user", "mac", "port", "vlan", "pppoe id", "state", "address", "auth", "uptime", "rx pkts/bytes", "tx pkts/bytes"],
                &rows,
            );
            println!("{} session(s)", sessions.len());
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let req = match build(&cli.cmd) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("dpvpnctl: {e}");
            return ExitCode::from(2);
        }
    };
    let resp = match request(&cli.socket, &req) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("dpvpnctl: {e}");
            return ExitCode::from(2);
        }
    };
    if cli.json {
        println!("{}", serde_json::to_string(&resp).unwrap_or_default());
    } else {
        let all = matches!(cli.cmd, Cmd::Show { what: Show::Stats { all: true } });
        print(&resp, all);
    }
    if matches!(resp, Response::Error { .. }) {
        if cli.json {
            if let Response::Error { message } = &resp {
                eprintln!("error: {message}");
            }
        }
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
