//! Shared oracle plumbing for the wire tests: write frames to a pcap, have tshark
//! decode them, and read the fields back; run scapy snippets. tshark and scapy are
//! implementations we did not write (scripts/deps.sh installs them); a missing one
//! fails the test.
#![allow(dead_code)]

use std::process::Command;

/// A classic pcap (LINKTYPE_ETHERNET) holding `frames`.
pub fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        out.extend_from_slice(&(i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

/// One decoded frame: expert severities/messages, whether tshark marked it malformed,
/// and the requested fields (`|`-joined when a field occurs more than once).
#[derive(Debug)]
pub struct Decoded {
    pub expert: String,
    pub malformed: bool,
    pub fields: Vec<String>,
}

/// Decode `frames` with tshark (checksums checked, `extra_prefs` as `-o` pairs) and
/// return `fields` for each frame. `decode_as` entries are passed as `-d` (e.g.
/// "udp.port==1701,l2tp").
pub fn tshark(
    frames: &[Vec<u8>],
    fields: &[&str],
    extra_prefs: &[&str],
    decode_as: &[&str],
) -> Vec<Decoded> {
    let path = std::env::temp_dir().join(format!(
        "dpvpn-oracle-{}-{}.pcap",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    ));
    std::fs::write(&path, pcap(frames)).unwrap();
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-r"]).arg(&path);
    for p in [
        "ip.check_checksum:TRUE",
        "udp.check_checksum:TRUE",
        "tcp.check_checksum:TRUE",
    ]
    .iter()
    .chain(extra_prefs)
    {
        cmd.args(["-o", p]);
    }
    for d in decode_as {
        cmd.args(["-d", d]);
    }
    cmd.args([
        "-T",
        "fields",
        "-E",
        "separator=/t",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=|",
    ]);
    cmd.args([
        "-e",
        "_ws.expert.severity",
        "-e",
        "_ws.expert.message",
        "-e",
        "_ws.malformed",
    ]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run tshark ({e}); install it (scripts/deps.sh)"));
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Decoded {
                expert: format!(
                    "{} {}",
                    cols.first().unwrap_or(&""),
                    cols.get(1).unwrap_or(&"")
                )
                .trim()
                .to_string(),
                malformed: !cols.get(2).unwrap_or(&"").is_empty(),
                fields: (0..fields.len())
                    .map(|i| cols.get(3 + i).unwrap_or(&"").to_string())
                    .collect(),
            }
        })
        .collect()
}

/// Run a python3 snippet with scapy (`/usr/bin/python3`: Debian's python3-scapy) and
/// return what it printed.
pub fn scapy(code: &str) -> String {
    let out = Command::new("/usr/bin/python3")
        .args(["-c", &format!("from scapy.all import *\n{code}")])
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run /usr/bin/python3 ({e}); install python3-scapy (scripts/deps.sh)")
        });
    assert!(
        out.status.success(),
        "scapy failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
