//! `dpvpn --lcores 2-5 --config /etc/dpvpn/dpvpn.toml [-- EAL args]`
//!
//! The first lcore is the control core, the others are workers. The configuration and
//! the lcore list are checked before DPDK starts; `--check-config` stops there.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Parser;
use controlplane::driver::Runtime;
use controlplane::{config, lcores, mgmt};

#[derive(Parser, Debug)]
#[command(name = "dpvpn", version, about = "dpvpn: a DPDK tunnel concentrator")]
struct Args {
    /// Lcores in DPDK's --lcores syntax; the first is the control core, the rest workers
    /// (e.g. `2-5`, or `0@0,1@1,2@1` to map three lcores onto two CPUs).
    #[arg(long, value_name = "LIST", required_unless_present = "check_config")]
    lcores: Option<String>,
    /// The TOML configuration file.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: PathBuf,
    /// Check the configuration (and --lcores, if given), then exit.
    #[arg(long)]
    check_config: bool,
    /// Extra EAL arguments, after `--`.
    #[arg(last = true, value_name = "EAL_ARGS")]
    eal: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let cfg = match config::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("dpvpn: {e}");
            return ExitCode::from(2);
        }
    };
    // The users file is part of the configuration: a bad one stops dpvpn here too.
    let users = match config::load_users(&cfg) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("dpvpn: {e}");
            return ExitCode::from(2);
        }
    };
    let map = match args.lcores.as_deref().map(lcores::parse_lcores) {
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            eprintln!("dpvpn: --lcores: {e}");
            return ExitCode::from(2);
        }
        None => None,
    };
    if args.check_config {
        let pppoe = match (&cfg.pppoe, &users) {
            (Some(p), Some(u)) => format!(
                ", PPPoE with {} pool(s) and users file {} ({} user(s), {} pattern(s))",
                cfg.pools.len(),
                p.users_file.display(),
                u.exact_users(),
                u.patterns()
            ),
            _ => String::new(),
        };
        println!(
            "dpvpn: {}: configuration OK ({} port(s), {} static route(s){pppoe})",
            args.config.display(),
            cfg.ports.len(),
            cfg.routes.len()
        );
        return ExitCode::SUCCESS;
    }
    let map = map.expect("clap requires --lcores");

    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(sig, stop.clone()) {
            eprintln!("dpvpn: cannot install a signal handler: {e}");
            return ExitCode::FAILURE;
        }
    }
    let socket = cfg.management.socket.clone();
    let metrics = cfg.management.metrics;
    let mut rt = match Runtime::start(cfg, map, &args.eal, users) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dpvpn: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.register_telemetry();
    let (tx, rx) = std::sync::mpsc::channel();
    let server = match mgmt::spawn_server(&socket, tx.clone()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("dpvpn: management socket {}: {e}", socket.display());
            rt.shutdown();
            return ExitCode::FAILURE;
        }
    };
    let metrics_server = match metrics.map(|a| (a, mgmt::spawn_metrics(a, tx.clone()))) {
        Some((_, Ok(s))) => Some(s),
        Some((a, Err(e))) => {
            eprintln!("dpvpn: metrics endpoint {a}: {e}");
            drop(server);
            rt.shutdown();
            return ExitCode::FAILURE;
        }
        None => None,
    };
    eprintln!("dpvpn: running; management socket {}", socket.display());
    rt.run(&stop, &rx);
    eprintln!("dpvpn: stopping");
    drop(metrics_server);
    drop(server);
    rt.shutdown();
    let _ = stop.load(Ordering::Relaxed);
    ExitCode::SUCCESS
}
