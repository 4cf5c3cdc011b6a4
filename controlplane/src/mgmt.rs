//! Management: `dpvpnctl` over a Unix socket, and Prometheus metrics over HTTP.
//!
//! The control core is the only writer of dpvpn's tables and a busy-polling loop, so
//! management threads never touch tables: each request goes over a channel to the
//! control loop, which answers through a per-request reply channel.
//!
//! Wire protocol: one JSON object per line over a Unix stream socket; a connection may
//! carry many requests. `{"cmd":"route_add","prefix":"10.0.0.0/8","via":"198.51.100.2","port":null,"blackhole":false}`
//! is answered by `{"kind":"ok"}` or `{"kind":"error","message":"..."}`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Sender, SyncSender};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Request {
    ShowPorts,
    ShowStats,
    ShowRoutes,
    ShowNeighbours,
    RouteAdd {
        prefix: String,
        via: Option<String>,
        port: Option<String>,
        #[serde(default)]
        blackhole: bool,
    },
    RouteDel {
        prefix: String,
    },
    Metrics,
    ShowSessions,
    /// A session by its index or user name.
    ShowSession {
        which: String,
    },
    /// LCP Terminate-Request, then PADT.
    SessionDisconnect {
        which: String,
    },
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Response {
    Ok,
    Error { message: String },
    Ports { ports: Vec<PortView> },
    Stats { stats: StatsView },
    Routes { routes: Vec<RouteView> },
    Neighbours { neighbours: Vec<NeighbourView> },
    Metrics { ports: Vec<PortView>, stats: StatsView, gauges: Vec<(String, u64)> },
    Sessions { sessions: Vec<SessionView> },
}

/// A subscriber session, as `dpvpnctl show sessions` lists it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct SessionView {
    pub index: u32,
    pub username: Option<String>,
    pub mac: String,
    pub port: String,
    pub outer_vlan: Option<u16>,
    pub inner_vlan: Option<u16>,
    pub pppoe_session_id: u16,
    /// lcp | auth | ipcp | up | terminating
    pub state: String,
    pub address: Option<String>,
    pub auth: Option<String>,
    pub uptime_s: u64,
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct PortView {
    pub name: String,
    pub id: u16,
    pub device: String,
    pub driver: String,
    pub role: String,
    pub mac: String,
    pub mtu: u16,
    pub link_up: bool,
    pub speed_mbps: u32,
    pub addresses: Vec<String>,
    pub rx_packets: u64,
    pub tx_packets: u64,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub rx_missed: u64,
    pub rx_errors: u64,
    pub tx_errors: u64,
    pub rx_nombuf: u64,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct StatsView {
    pub uptime_s: u64,
    pub workers: Vec<WorkerStatsView>,
    pub totals: Vec<CounterView>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct WorkerStatsView {
    pub lcore: u32,
    pub counters: Vec<CounterView>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct CounterView {
    /// e.g. "rx_packets", "drop_ttl_expired".
    pub name: String,
    /// "count", "drop", or — for the sampled per-stage clocks (`stage_<stage>_cycles`,
    /// `stage_<stage>_packets`: TSC cycles and packets over the sampled bursts only) —
    /// "stage_cycles" and "stage_packets".
    pub kind: String,
    pub value: u64,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct RouteView {
    pub prefix: String,
    /// connected | local | static | runtime
    pub source: String,
    pub via: Option<String>,
    pub port: Option<String>,
    /// forward | local | blackhole
    pub action: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct NeighbourView {
    pub address: String,
    pub mac: Option<String>,
    pub port: String,
    /// reachable | incomplete | stale
    pub state: String,
    pub age_s: u64,
}

/// A request on its way to the control loop, with where to send the answer.
pub struct MgmtRequest {
    pub request: Request,
    pub reply: SyncSender<Response>,
}

const CONTROL_TIMEOUT: Duration = Duration::from_secs(5);

fn ask(to_control: &Sender<MgmtRequest>, request: Request) -> Response {
    let (tx, rx) = sync_channel(1);
    if to_control.send(MgmtRequest { request, reply: tx }).is_err() {
        return Response::Error { message: "dpvpn is shutting down".into() };
    }
    rx.recv_timeout(CONTROL_TIMEOUT).unwrap_or(Response::Error { message: "control core did not answer".into() })
}

/// The Unix-socket server. Dropping it stops accepting and removes the socket file.
pub struct MgmtServer {
    path: PathBuf,
    stop: Arc<AtomicBool>,
}

impl Drop for MgmtServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = UnixStream::connect(&self.path);
        let _ = std::fs::remove_file(&self.path);
    }
}

pub fn spawn_server(path: &Path, to_control: Sender<MgmtRequest>) -> std::io::Result<MgmtServer> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if path.exists() {
        if UnixStream::connect(path).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                format!("another process is serving {} (is dpvpn already running?)", path.display()),
            ));
        }
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    std::thread::Builder::new().name("dpvpn-mgmt".into()).spawn(move || {
        for conn in listener.incoming() {
            if s2.load(Ordering::SeqCst) {
                break;
            }
            let Ok(conn) = conn else { continue };
            let tc = to_control.clone();
            let _ = std::thread::Builder::new().name("dpvpn-mgmt-conn".into()).spawn(move || serve_conn(conn, tc));
        }
    })?;
    Ok(MgmtServer { path: path.to_path_buf(), stop })
}

fn serve_conn(conn: UnixStream, to_control: Sender<MgmtRequest>) {
    let Ok(mut out) = conn.try_clone() else { return };
    let reader = BufReader::new(conn);
    for line in reader.lines() {
        let Ok(line) = line else { return };
        if line.trim().is_empty() {
            continue;
        }
        let resp = match serde_json::from_str::<Request>(&line) {
            Ok(req) => ask(&to_control, req),
            Err(e) => Response::Error { message: format!("bad request: {e}") },
        };
        let mut text = serde_json::to_string(&resp).unwrap_or_else(|e| format!("{{\"kind\":\"error\",\"message\":\"{e}\"}}"));
        text.push('\n');
        if out.write_all(text.as_bytes()).is_err() {
            return;
        }
    }
}

/// The metrics HTTP server; stops accepting when dropped.
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl MetricsServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

pub fn spawn_metrics(addr: SocketAddr, to_control: Sender<MgmtRequest>) -> std::io::Result<MetricsServer> {
    let listener = TcpListener::bind(addr)?;
    let local = listener.local_addr()?;
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    std::thread::Builder::new().name("dpvpn-metrics".into()).spawn(move || {
        for conn in listener.incoming() {
            if s2.load(Ordering::SeqCst) {
                break;
            }
            if let Ok(c) = conn {
                let _ = serve_http(c, &to_control);
            }
        }
    })?;
    Ok(MetricsServer { addr: local, stop })
}

fn serve_http(mut c: TcpStream, to_control: &Sender<MgmtRequest>) -> std::io::Result<()> {
    c.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16384 {
        let n = c.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf);
    let first = text.lines().next().unwrap_or("");
    let mut parts = first.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, body) = if method != "GET" || !parts.next().unwrap_or("").starts_with("HTTP/") {
        ("400 Bad Request", "bad request\n".to_string())
    } else if path == "/metrics" || path.starts_with("/metrics?") {
        match ask(to_control, Request::Metrics) {
            Response::Metrics { ports, stats, gauges } => ("200 OK", render_prometheus(&ports, &stats, &gauges)),
            Response::Error { message } => ("503 Service Unavailable", format!("{message}\n")),
            _ => ("500 Internal Server Error", "unexpected answer\n".into()),
        }
    } else {
        ("404 Not Found", "not found: try /metrics\n".to_string())
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    c.write_all(head.as_bytes())?;
    c.write_all(body.as_bytes())
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Prometheus text exposition format 0.0.4.
pub fn render_prometheus(ports: &[PortView], stats: &StatsView, gauges: &[(String, u64)]) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let family = |o: &mut String, name: &str, kind: &str, help: &str| {
        let _ = writeln!(o, "# HELP {name} {help}");
        let _ = writeln!(o, "# TYPE {name} {kind}");
    };
    type PortField = fn(&PortView) -> u64;
    let port_counters: [(&str, &str, PortField); 8] = [
        ("rx_packets", "Packets received by the port", |p| p.rx_packets),
        ("tx_packets", "Packets sent by the port", |p| p.tx_packets),
        ("rx_bytes", "Bytes received by the port", |p| p.rx_bytes),
        ("tx_bytes", "Bytes sent by the port", |p| p.tx_bytes),
        ("rx_missed", "Packets the port dropped for lack of RX descriptors", |p| p.rx_missed),
        ("rx_errors", "Erroneous packets received", |p| p.rx_errors),
        ("tx_errors", "Packets the port failed to send", |p| p.tx_errors),
        ("rx_nombuf", "RX mbuf allocation failures", |p| p.rx_nombuf),
    ];
    for (name, help, f) in port_counters {
        let fam = format!("dpvpn_port_{name}_total");
        family(&mut o, &fam, "counter", help);
        for p in ports {
            let _ = writeln!(o, "{fam}{{port=\"{}\"}} {}", escape(&p.name), f(p));
        }
    }
    family(&mut o, "dpvpn_port_link_up", "gauge", "1 when the port's link is up");
    for p in ports {
        let _ = writeln!(o, "dpvpn_port_link_up{{port=\"{}\"}} {}", escape(&p.name), p.link_up as u8);
    }
    family(&mut o, "dpvpn_worker_packets_total", "counter", "Worker packet counters by name");
    for w in &stats.workers {
        for c in w.counters.iter().filter(|c| c.kind == "count") {
            let _ = writeln!(o, "dpvpn_worker_packets_total{{lcore=\"{}\",counter=\"{}\"}} {}", w.lcore, escape(&c.name), c.value);
        }
    }
    family(&mut o, "dpvpn_worker_drops_total", "counter", "Packets dropped by workers, by reason");
    for w in &stats.workers {
        for c in w.counters.iter().filter(|c| c.kind == "drop") {
            let reason = c.name.strip_prefix("drop_").unwrap_or(&c.name);
            let _ = writeln!(o, "dpvpn_worker_drops_total{{lcore=\"{}\",reason=\"{}\"}} {}", w.lcore, escape(reason), c.value);
        }
    }
    for (kind, fam, help) in [
        ("stage_cycles", "dpvpn_worker_stage_cycles_total", "TSC cycles per stage, over the sampled bursts"),
        ("stage_packets", "dpvpn_worker_stage_packets_total", "Packets per stage, over the sampled bursts"),
    ] {
        family(&mut o, fam, "counter", help);
        for w in &stats.workers {
            for c in w.counters.iter().filter(|c| c.kind == kind) {
                let stage = c.name.strip_prefix("stage_").and_then(|n| n.rsplit_once('_')).map_or(c.name.as_str(), |(s, _)| s);
                let _ = writeln!(o, "{fam}{{lcore=\"{}\",stage=\"{}\"}} {}", w.lcore, escape(stage), c.value);
            }
        }
    }
    family(&mut o, "dpvpn_uptime_seconds", "gauge", "Seconds since dpvpn started");
    let _ = writeln!(o, "dpvpn_uptime_seconds {}", stats.uptime_s);
    for (name, v) in gauges {
        let fam = format!("dpvpn_{name}");
        family(&mut o, &fam, "gauge", &name.replace('_', " "));
        let _ = writeln!(o, "{fam} {v}");
    }
    o
}

#[derive(Debug)]
pub enum ClientError {
    Connect(PathBuf, std::io::Error),
    Io(std::io::Error),
    BadAnswer(String),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Connect(p, e) => write!(f, "cannot connect to dpvpn at {}: {e} (is dpvpn running?)", p.display()),
            ClientError::Io(e) => write!(f, "talking to dpvpn: {e}"),
            ClientError::BadAnswer(s) => write!(f, "dpvpn sent something unexpected: {s}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// Send one request and read its answer.
pub fn request(path: &Path, req: &Request) -> Result<Response, ClientError> {
    let mut s = UnixStream::connect(path).map_err(|e| ClientError::Connect(path.to_path_buf(), e))?;
    s.set_read_timeout(Some(Duration::from_secs(10))).map_err(ClientError::Io)?;
    let mut line = serde_json::to_string(req).expect("requests serialise");
    line.push('\n');
    s.write_all(line.as_bytes()).map_err(ClientError::Io)?;
    let mut answer = String::new();
    BufReader::new(s).read_line(&mut answer).map_err(ClientError::Io)?;
    serde_json::from_str(&answer).map_err(|e| ClientError::BadAnswer(format!("{e}: {}", answer.trim())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_add_json_is_stable() {
        let r = Request::RouteAdd { prefix: "10.0.0.0/8".into(), via: Some("198.51.100.2".into()), port: None, blackhole: false };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"cmd":"route_add","prefix":"10.0.0.0/8","via":"198.51.100.2","port":null,"blackhole":false}"#
        );
        let back: Request = serde_json::from_str(r#"{"cmd":"route_add","prefix":"10.0.0.0/8","via":"198.51.100.2"}"#).unwrap();
        assert_eq!(back, r);
        assert_eq!(serde_json::to_string(&Response::Ok).unwrap(), r#"{"kind":"ok"}"#);
    }

    #[test]
    fn prometheus_text() {
        let ports = vec![PortView { name: "up\"link".into(), rx_packets: 5, link_up: true, ..Default::default() }];
        let stats = StatsView {
            uptime_s: 7,
            workers: vec![WorkerStatsView {
                lcore: 1,
                counters: vec![
                    CounterView { name: "rx_packets".into(), kind: "count".into(), value: 9 },
                    CounterView { name: "drop_no_route".into(), kind: "drop".into(), value: 2 },
                ],
            }],
            totals: vec![],
        };
        let t = render_prometheus(&ports, &stats, &[("fib_routes".into(), 4)]);
        assert!(t.contains("# TYPE dpvpn_port_rx_packets_total counter\n"));
        assert!(t.contains("dpvpn_port_rx_packets_total{port=\"up\\\"link\"} 5\n"), "{t}");
        assert!(t.contains("dpvpn_port_link_up{port=\"up\\\"link\"} 1\n"));
        assert!(t.contains("dpvpn_worker_packets_total{lcore=\"1\",counter=\"rx_packets\"} 9\n"));
        assert!(t.contains("dpvpn_worker_drops_total{lcore=\"1\",reason=\"no_route\"} 2\n"));
        assert!(t.contains("dpvpn_uptime_seconds 7\n"));
        assert!(t.contains("# TYPE dpvpn_fib_routes gauge\ndpvpn_fib_routes 4\n"));
        // Each family is declared once.
        assert_eq!(t.matches("# TYPE dpvpn_worker_drops_total").count(), 1);
    }
}
