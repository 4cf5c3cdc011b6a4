//! Everything that needs the EAL, against the system DPDK with virtual devices only.
//!
//! The EAL initialises once per process, so this file is one test that runs its cases in
//! sequence on one `Eal`. Needs root (it is what DPDK needs even with `--no-huge`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use dpdk_binding::telemetry::{self, Data, Value};
use dpdk_binding::{
    ffi, lcore_id, rdtsc, Eal, Mbuf, MbufBurst, Mempool, Port, PortConfig, Ring, BURST_MAX,
};

const SOCKET_ANY: i32 = ffi::SOCKET_ID_ANY;

fn eal_args() -> Vec<String> {
    let mut a: Vec<String> = [
        "test",
        "--no-huge",
        "-m",
        "512",
        "--no-shconf",
        "--no-pci",
        "-l",
        "0-1",
        "--log-level",
        "warning",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Our own runtime directory, so that the telemetry socket does not collide with
    // another DPDK process on the machine (the lab, a parallel test run).
    a.push("--file-prefix".into());
    a.push(format!("dpdk-binding-test-{}", std::process::id()));
    a
}

/// Removes this run's (by then empty) runtime directory, also when a case fails.
struct RuntimeDir(std::path::PathBuf);

impl Drop for RuntimeDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn eal_cases() {
    let eal = Eal::init(&eal_args()).expect("EAL init (needs root)");
    let _cleanup = RuntimeDir(eal.runtime_dir());
    assert!(eal
        .runtime_dir()
        .ends_with(format!("dpdk-binding-test-{}", std::process::id())));
    second_init_fails();
    lcores_and_clock(&eal);

    let pool =
        Mempool::pktmbuf(&eal, "test_pool", 2047, 32, 0, 2048 + 128, SOCKET_ANY).expect("mempool");
    mempool_counts(&pool);
    mbuf_edits(&pool);
    bursts(&pool);
    rings(&eal, &pool);
    null_ports(&eal, &pool);
    ring_port_loopback(&eal, &pool);
    bogus_devices(&eal);
    let pool = Arc::new(pool);
    launch(&eal, &pool);
    telemetry_commands(&eal);
    let _ = eal.pdump_init(); // ENOTSUP under --no-shconf; it must not crash either way.

    assert_eq!(pool.in_use_count(), 0, "an mbuf leaked somewhere above");
    drop(pool);
    drop(eal);
}

fn second_init_fails() {
    let e = Eal::init(&eal_args()).expect_err("a second Eal::init must fail");
    assert_eq!(e.errno, libc::EALREADY);
    let text = e.to_string();
    assert!(
        text.contains("rte_eal_init") && text.contains("errno"),
        "{text}"
    );
}

fn lcores_and_clock(eal: &Eal) {
    assert!(Eal::version().contains("22.11"), "{}", Eal::version());
    assert_eq!(eal.main_lcore(), 0);
    assert_eq!(eal.worker_lcores(), vec![1]);
    assert_eq!(eal.lcore_count(), 2);
    assert!(eal.is_worker(1) && !eal.is_worker(0) && !eal.is_worker(2) && !eal.is_worker(100_000));
    assert!(eal.lcore_socket(0) >= 0);
    assert_eq!(eal.lcore_socket(100_000), -1);
    assert_eq!(
        lcore_id(),
        0,
        "the thread that ran rte_eal_init is the main lcore"
    );
    let hz = eal.tsc_hz();
    assert!(hz > 100_000_000, "tsc_hz {hz}");
    // The TSC agrees with the wall clock to within 20%.
    let (t0, c0) = (Instant::now(), rdtsc());
    std::thread::sleep(Duration::from_millis(50));
    let (dt, dc) = (t0.elapsed().as_secs_f64(), (rdtsc() - c0) as f64);
    let ratio = dc / hz as f64 / dt;
    assert!((0.8..1.2).contains(&ratio), "TSC runs at {ratio} of tsc_hz");
}

fn mempool_counts(pool: &Mempool) {
    assert_eq!(pool.avail_count(), 2047);
    assert_eq!(pool.in_use_count(), 0);
    let held: Vec<Mbuf> = (0..100).map(|_| pool.alloc().expect("alloc")).collect();
    assert_eq!(pool.in_use_count(), 100);
    assert_eq!(pool.avail_count(), 1947);
    drop(held);
    assert_eq!(pool.in_use_count(), 0);
    // Exhaustion is None, not a crash; everything comes back.
    let all: Vec<Mbuf> = std::iter::from_fn(|| pool.alloc()).collect();
    assert_eq!(all.len(), 2047);
    assert!(pool.alloc().is_none());
    drop(all);
    assert_eq!(pool.avail_count(), 2047);
}

fn mbuf_edits(pool: &Mempool) {
    let mut m = pool.alloc().unwrap();
    assert_eq!(m.headroom(), ffi::RTE_PKTMBUF_HEADROOM as u16);
    assert_eq!((m.data_len(), m.pkt_len()), (0, 0));
    assert_eq!(m.tailroom(), 2048);
    assert_eq!((m.nb_segs(), m.is_contiguous()), (1, true));
    assert!(m.data().is_empty());

    let payload: Vec<u8> = (0..100u8).collect();
    m.append(100).expect("append").copy_from_slice(&payload);
    assert_eq!(m.data(), &payload[..]);
    assert_eq!((m.data_len(), m.pkt_len(), m.tailroom()), (100, 100, 1948));

    // Encapsulate: a 14-byte header in front, payload untouched.
    m.prepend(14).expect("prepend")[..14].copy_from_slice(&[0xee; 14]);
    assert_eq!(m.headroom(), 128 - 14);
    assert_eq!(m.data_len(), 114);
    assert_eq!(&m.data()[..14], &[0xee; 14]);
    assert_eq!(&m.data()[14..], &payload[..]);
    // Beyond the headroom: refused, nothing changed.
    assert!(m.prepend(115).is_none());
    assert_eq!((m.headroom(), m.data_len(), m.pkt_len()), (114, 114, 114));
    m.data_mut()[14] = 0x55;

    // Decapsulate.
    assert!(m.adj(14));
    assert_eq!(m.data()[0], 0x55);
    assert_eq!(&m.data()[1..], &payload[1..]);
    assert!(!m.adj(101), "adj beyond the data must fail");
    assert_eq!(m.data_len(), 100);

    assert!(m.trim(10));
    assert_eq!((m.data_len(), m.pkt_len()), (90, 90));
    assert_eq!(&m.data()[1..], &payload[1..90]);
    assert!(!m.trim(91));
    assert!(m.append(m.tailroom() + 1).is_none());
    let room = m.tailroom();
    assert_eq!(m.append(room).map(|b| b.len()), Some(room as usize));
    assert_eq!(m.tailroom(), 0);
    assert!(m.linearize(), "a single segment is already linear");

    m.set_port(7);
    assert_eq!(m.port(), 7);
    let _ = (m.rss_hash(), m.ol_flags());

    // Raw round trip keeps ownership exactly once.
    let raw = m.into_raw();
    assert_eq!(pool.in_use_count(), 1);
    // SAFETY: raw came from into_raw just above and nobody else holds it.
    let m = unsafe { Mbuf::from_raw(raw) };
    assert_eq!(m.port(), 7);
    drop(m);
    assert_eq!(pool.in_use_count(), 0);
}

/// Mbufs numbered through their port field, to check order.
fn numbered(pool: &Mempool, n: usize) -> MbufBurst {
    let mut b = MbufBurst::new();
    for i in 0..n {
        let mut m = pool.alloc().unwrap();
        m.set_port(i as u16);
        b.push(m).ok().unwrap();
    }
    b
}

fn ports_of(b: &MbufBurst) -> Vec<u16> {
    b.as_slice().iter().map(|m| m.port()).collect()
}

fn bursts(pool: &Mempool) {
    let mut b = numbered(pool, BURST_MAX);
    assert!(b.is_full() && b.len() == BURST_MAX);
    let extra = pool.alloc().unwrap();
    let back = b
        .push(extra)
        .expect_err("push onto a full burst hands the mbuf back");
    drop(back);
    assert_eq!(pool.in_use_count(), BURST_MAX as u32);

    let m5 = b.take(5);
    assert_eq!(m5.port(), 5);
    let expect: Vec<u16> = (0..BURST_MAX as u16).filter(|&i| i != 5).collect();
    assert_eq!(ports_of(&b), expect, "take keeps the order of the rest");
    drop(m5);
    assert_eq!(b.pop().unwrap().port(), BURST_MAX as u16 - 1);
    b.get_mut(0).set_port(1000);
    b.as_mut_slice()[1].set_port(1001);
    assert_eq!(&ports_of(&b)[..3], &[1000, 1001, 2]);
    assert_eq!(pool.in_use_count(), BURST_MAX as u32 - 2);

    b.clear();
    assert!(b.is_empty());
    assert_eq!(pool.in_use_count(), 0, "clear frees");

    let mut b = numbered(pool, 10);
    let mut seen = Vec::new();
    b.drain_into(|m| seen.push(m.port()));
    assert_eq!(seen, (0..10).collect::<Vec<u16>>());
    assert!(b.is_empty());
    assert_eq!(pool.in_use_count(), 0, "drain_into handed out ownership");

    drop(numbered(pool, 20));
    assert_eq!(
        pool.in_use_count(),
        0,
        "dropping a burst frees what it holds"
    );
}

fn rings(eal: &Eal, pool: &Mempool) {
    let ring = Ring::new(eal, "test_ring", 64, true, true, SOCKET_ANY).expect("ring");
    assert!(
        Ring::new(eal, "test_ring", 64, true, true, SOCKET_ANY).is_err(),
        "names are unique"
    );
    assert!(
        Ring::new(eal, "test_ring_odd", 100, true, true, SOCKET_ANY).is_err(),
        "count must be a power of two"
    );
    assert_eq!((ring.count(), ring.free_count()), (0, 63));

    // A ring of 64 holds 63: the last one stays in the burst, at the front.
    let mut b = numbered(pool, BURST_MAX);
    assert_eq!(ring.enqueue_burst(&mut b), 63);
    assert_eq!(ports_of(&b), vec![63]);
    assert_eq!((ring.count(), ring.free_count()), (63, 0));
    let m = b.pop().unwrap();
    let m = ring.enqueue(m).expect_err("a full ring refuses");
    assert_eq!(m.port(), 63);
    drop(m);

    let mut out = MbufBurst::new();
    assert_eq!(ring.dequeue_burst(&mut out), 63);
    assert_eq!(ports_of(&out), (0..63).collect::<Vec<u16>>(), "FIFO");
    assert_eq!(
        ring.dequeue_burst(&mut out),
        0,
        "a full burst takes nothing"
    );
    out.clear();
    assert_eq!(ring.dequeue_burst(&mut out), 0);
    assert!(ring.enqueue(pool.alloc().unwrap()).is_ok());
    assert_eq!(ring.count(), 1);

    // Dropping a ring that still holds mbufs frees them.
    let mut b = numbered(pool, 30);
    assert_eq!(ring.enqueue_burst(&mut b), 30);
    assert_eq!(pool.in_use_count(), 31);
    drop(ring);
    assert_eq!(pool.in_use_count(), 0);
    // And its name is free again.
    drop(Ring::new(eal, "test_ring", 64, false, false, SOCKET_ANY).expect("name reusable"));
}

fn null_ports(eal: &Eal, pool: &Mempool) {
    let p0 = Port::attach(eal, "net_null0").expect("attach net_null0");
    let p1 = Port::attach(eal, "net_null1,size=128").expect("attach net_null1");
    assert_ne!(p0.id(), p1.id());
    assert_eq!(
        Port::attach(eal, "net_null0").unwrap(),
        p0,
        "attaching again returns the port"
    );
    assert_eq!(Port::by_name(eal, "net_null1").unwrap(), p1);
    assert_eq!(p0.name(), "net_null0");
    let e = Port::by_name(eal, "net_null9").unwrap_err();
    assert!(e.to_string().contains("net_null9"), "{e}");

    let info = p0.info().unwrap();
    assert_eq!(info.driver, "net_null");
    assert!(
        info.max_rx_queues >= 2 && info.max_tx_queues >= 2,
        "{:?}",
        info
    );

    let too_many = PortConfig {
        rx_queues: u16::MAX,
        tx_queues: 1,
        mtu: None,
        rx_desc: 0,
        tx_desc: 0,
    };
    let e = p0.configure(&too_many, pool).unwrap_err();
    eprintln!("configure too many: {e}");
    assert!(
        e.to_string().contains(&info.max_rx_queues.to_string()),
        "the error names the maximum: {e}"
    );

    let conf = PortConfig {
        rx_queues: 2,
        tx_queues: 2,
        mtu: Some(1500),
        rx_desc: 256,
        tx_desc: 256,
    };
    for p in [p0, p1] {
        p.configure(&conf, pool).expect("configure");
        p.start().expect("start");
        p.set_promiscuous(true)
            .or_else(|e| {
                if e.errno == libc::ENOTSUP {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .unwrap();
    }
    let (mac0, mac1) = (p0.mac().unwrap(), p1.mac().unwrap());
    assert_eq!(mac0[0] & 1, 0, "unicast MAC {mac0:02x?}");
    assert_ne!(mac0, mac1);
    assert!(p0.mtu().unwrap() >= 1500);
    let link = p0.link();
    assert!(link.up, "{link:?}");

    // net_null makes packets out of the pool on RX and frees them on TX.
    let mut b = MbufBurst::new();
    assert_eq!(p0.rx_burst(0, &mut b), BURST_MAX);
    assert!(
        b.as_slice().iter().all(|m| m.pkt_len() == 64),
        "net_null's default size"
    );
    assert_eq!(p0.rx_burst(1, &mut b), 0, "no room left in the burst");
    assert_eq!(pool.in_use_count(), BURST_MAX as u32);
    assert_eq!(p1.tx_burst(1, &mut b), BURST_MAX);
    assert!(b.is_empty());
    assert_eq!(pool.in_use_count(), 0);
    let mut b = MbufBurst::new();
    assert_eq!(p1.rx_burst(0, &mut b), BURST_MAX);
    assert!(
        b.as_slice().iter().all(|m| m.pkt_len() == 128),
        "devargs size=128 reached the driver"
    );
    b.clear();

    let s0 = p0.stats().unwrap();
    let s1 = p1.stats().unwrap();
    assert_eq!(s0.ipackets, BURST_MAX as u64);
    assert_eq!(s1.opackets, BURST_MAX as u64);
    // (net_null in 22.11 counts packets, not bytes: obytes/ibytes stay 0.)
    let xs = p1.xstats().unwrap();
    assert!(
        xs.iter()
            .any(|(n, v)| n == "tx_good_packets" && *v == BURST_MAX as u64),
        "{xs:?}"
    );

    for p in [p0, p1] {
        p.stop().expect("stop");
        p.close().expect("close");
    }
    assert!(
        Port::by_name(eal, "net_null0").is_err(),
        "closed ports are gone"
    );
    assert_eq!(pool.in_use_count(), 0);
}

/// net_ring without arguments is a loopback: what is sent on queue q comes back on q.
fn ring_port_loopback(eal: &Eal, pool: &Mempool) {
    let p = Port::attach(eal, "net_ring0").expect("attach net_ring0");
    assert_eq!(p.info().unwrap().driver, "net_ring");
    p.configure(
        &PortConfig {
            rx_queues: 1,
            tx_queues: 1,
            mtu: None,
            rx_desc: 0,
            tx_desc: 0,
        },
        pool,
    )
    .unwrap();
    p.start().unwrap();

    let mut b = MbufBurst::new();
    for i in 0..10u8 {
        let mut m = pool.alloc().unwrap();
        m.append(60).unwrap().fill(i);
        b.push(m).ok().unwrap();
    }
    assert_eq!(p.tx_burst(0, &mut b), 10);
    let mut got = MbufBurst::new();
    assert_eq!(p.rx_burst(0, &mut got), 10);
    for (i, m) in got.as_slice().iter().enumerate() {
        assert_eq!(m.data(), &[i as u8; 60][..]);
    }
    got.clear();
    let s = p.stats().unwrap();
    assert_eq!((s.opackets, s.ipackets), (10, 10));

    p.stop().unwrap();
    p.close().unwrap();
    assert_eq!(pool.in_use_count(), 0);
}

fn bogus_devices(eal: &Eal) {
    let e = Port::attach(eal, "net_bogus0").unwrap_err();
    eprintln!("attach net_bogus0: {e}");
    assert!(e.to_string().contains("net_bogus0"), "{e}");
    let e = Port::attach(eal, "net_af_packet7,iface=no-such-veth").unwrap_err();
    assert!(e.to_string().contains("net_af_packet7"), "{e}");
}

fn launch(eal: &Eal, pool: &Arc<Mempool>) {
    assert!(eal.launch(0, || 0).is_err(), "not on the main lcore");
    assert!(
        eal.launch(7, || 0).is_err(),
        "not on an lcore the EAL does not run"
    );
    assert_eq!(eal.wait_lcore(7), -libc::EINVAL);

    eal.launch(1, || lcore_id() as i32 + 41).unwrap();
    assert_eq!(eal.wait_lcore(1), 42);

    // A panic stays on the worker: -1, and the lcore can be used again.
    eal.launch(1, || panic!("deliberate panic in a worker"))
        .unwrap();
    assert_eq!(eal.wait_lcore(1), -1);

    // A worker hands packets to the main lcore through a ring, as the punt path does.
    let ring = Arc::new(Ring::new(eal, "punt_test", 256, true, true, SOCKET_ANY).unwrap());
    let (r, p) = (ring.clone(), pool.clone());
    eal.launch(1, move || {
        let mut b = MbufBurst::new();
        for i in 0..50u8 {
            let mut m = p.alloc().unwrap();
            m.append(1).unwrap()[0] = i;
            b.push(m).ok().unwrap();
        }
        r.enqueue_burst(&mut b) as i32
    })
    .unwrap();
    assert_eq!(eal.wait_lcore(1), 50);
    let mut b = MbufBurst::new();
    assert_eq!(ring.dequeue_burst(&mut b), 50);
    let firsts: Vec<u8> = b.as_slice().iter().map(|m| m.data()[0]).collect();
    assert_eq!(firsts, (0..50).collect::<Vec<u8>>());
    b.clear();
    assert_eq!(pool.in_use_count(), 0);
}

fn telemetry_commands(eal: &Eal) {
    telemetry::register("/dpvpn/test", "dpdk-binding test command", |params| {
        Data::Dict(vec![
            ("params".into(), Value::Str(params.to_string())),
            ("small".into(), Value::I64(-5)),
            ("big".into(), Value::I64(1 << 40)),
            ("negbig".into(), Value::I64(-(1 << 40))),
            ("u".into(), Value::U64(u64::MAX)),
        ])
    })
    .expect("register");
    telemetry::register("/dpvpn/array", "array", |_| Data::U64Array(vec![1, 2, 3])).unwrap();
    telemetry::register("/dpvpn/panics", "panics", |_| {
        panic!("deliberate panic in a telemetry handler")
    })
    .unwrap();
    // Registering again replaces the handler.
    telemetry::register("/dpvpn/array", "array", |_| Data::U64Array(vec![4, 5])).unwrap();
    assert!(telemetry::register("no-slash", "bad", |_| Data::Str(String::new())).is_err());

    // Ask over the real socket, as dpdk-telemetry.py does (SOCK_SEQPACKET).
    let sock = eal.runtime_dir().join("dpdk_telemetry.v2");
    assert!(sock.exists(), "telemetry socket {sock:?}");
    let script = r#"
import socket, sys, json
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
json.loads(s.recv(16384))
for cmd in sys.argv[2:]:
    s.send(cmd.encode())
    print(s.recv(16384).decode())
"#;
    let out = std::process::Command::new("/usr/bin/python3")
        .args([
            "-c",
            script,
            sock.to_str().unwrap(),
            "/dpvpn/test,hello",
            "/dpvpn/array",
            "/dpvpn/panics",
        ])
        .output()
        .expect("python3");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        r#"{"/dpvpn/test":{"params":"hello","small":-5,"big":1099511627776,"negbig":"-1099511627776","u":18446744073709551615}}"#
    );
    assert_eq!(lines[1], r#"{"/dpvpn/array":[4,5]}"#);
    assert_eq!(
        lines[2], r#"{"/dpvpn/panics":null}"#,
        "a panicking handler answers null, the process lives"
    );
}
