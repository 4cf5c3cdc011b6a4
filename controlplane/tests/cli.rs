//! `dpvpn` refuses bad input before DPDK starts, and names what is wrong.

use std::path::Path;
use std::process::{Command, Output};

fn dpvpn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dpvpn")).args(args).output().expect("run dpvpn")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn lab_config() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/lab.toml").to_string_lossy().into_owned()
}

fn write(name: &str, text: &str) -> String {
    let p = std::env::temp_dir().join(format!("dpvpn-cli-{}-{name}", std::process::id()));
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn check_config_accepts_the_shipped_configs() {
    let o = dpvpn(&["--check-config", "--config", &lab_config()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("configuration OK (2 port(s)"));
}

#[test]
fn a_bad_config_stops_dpvpn_before_the_eal_naming_line_and_key() {
    let text = std::fs::read_to_string(lab_config()).unwrap().replace("198.51.100.1/24", "198.51.100.1/33");
    let line = text.lines().position(|l| l.contains("198.51.100.1/33")).unwrap() + 1;
    let f = write("bad.toml", &text);
    let o = dpvpn(&["--lcores", "0-1", "--config", &f]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains(&format!("bad.toml:{line}:")), "{e}");
    assert!(e.contains("port[1].addresses[0]") && e.contains("prefix length 33 > 32"), "{e}");
    assert!(!e.contains("EAL"), "the EAL must not have started: {e}");
}

#[test]
fn check_config_accepts_the_shipped_pppoe_configs_with_their_link_profiles() {
    for name in ["lab-pppoe.toml", "bench-memif.toml", "example-full.toml"] {
        let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs").join(name);
        let o = dpvpn(&["--check-config", "--config", f.to_str().unwrap()]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains(", PPPoE with 1 pool(s) and users file"), "{name}");
    }
}

/// A `[pppoe]` written before link profiles stops dpvpn before the EAL, naming the key that
/// moved and where it goes now.
#[test]
fn a_pppoe_key_from_before_link_profiles_is_refused_with_where_it_went() {
    let lab = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/lab-pppoe.toml");
    let text = std::fs::read_to_string(lab).unwrap();
    assert!(text.contains("ppp = \"lab\""), "the lab's [pppoe] names its profile");
    let text = text.replace("ppp = \"lab\"", "mru = 1400");
    let line = text.lines().position(|l| l.starts_with("mru = 1400")).unwrap() + 1;
    let f = write("moved.toml", &text);
    let o = dpvpn(&["--lcores", "0-1", "--config", &f]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains(&format!("moved.toml:{line}:1: pppoe.mru: `mru` moved to the link profile: set it in the [ppp.NAME] table")),
        "{e}"
    );
    assert!(!e.contains("EAL"), "the EAL must not have started: {e}");
}

#[test]
fn a_missing_config_file_is_named() {
    let o = dpvpn(&["--lcores", "0-1", "--config", "/nonexistent/dpvpn.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read /nonexistent/dpvpn.toml"), "{}", stderr(&o));
}

#[test]
fn lcore_lists_are_checked_before_the_eal() {
    let o = dpvpn(&["--lcores", "0", "--config", &lab_config()]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("at least two lcores") && e.contains("control core"), "{e}");
    let o = dpvpn(&["--lcores", "0-1,1", "--config", &lab_config()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("lcore 1 is listed twice"), "{}", stderr(&o));
    let o = dpvpn(&["--lcores", "0-x", "--config", &lab_config()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--lcores: at character 3"), "{}", stderr(&o));
}

/// A device the EAL cannot attach fails start-up with the port's name (needs root: it
/// starts the EAL, with --no-huge and a private file prefix).
#[test]
fn an_unknown_device_names_the_port() {
    let text = format!(
        "[dpdk]\nno_huge = true\nfile_prefix = \"dpvpn-cli-{}\"\n\n[[port]]\nname = \"wan\"\ndevice = \"net_bogus0,foo=1\"\nrole = \"uplink\"\naddresses = [\"198.51.100.1/24\"]\n\n[exception]\nenabled = false\n\n[management]\nsocket = \"{}\"\n",
        std::process::id(),
        std::env::temp_dir().join(format!("dpvpn-cli-{}.sock", std::process::id())).display()
    );
    let f = write("bogus.toml", &text);
    let o = dpvpn(&["--lcores", "0-1", "--config", &f, "--", "--log-level", "error"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("port `wan` (net_bogus0,foo=1): cannot attach the device"), "{e}");
}
