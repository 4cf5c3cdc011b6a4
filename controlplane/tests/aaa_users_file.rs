//! The users file as an operator meets it: the lab file that `configs/lab-pppoe.toml` uses,
//! the examples it documents, and reloading a file that an operator edits.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use controlplane::aaa::{
    AaaBackend, AuthOutcome, AuthRequest, Credentials, LocalBackend, NasInfo, RejectKind, Rule, UsersTable,
};

fn lab_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/users-lab.txt")
}

fn pap(p: &str) -> Credentials {
    Credentials::Pap { password: p.as_bytes().to_vec() }
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn outcome(t: &UsersTable, user: &str, c: &Credentials) -> AuthOutcome {
    t.authenticate(user.as_bytes(), c)
}

#[test]
fn lab_users_log_in_with_pap_and_chap() {
    let t = UsersTable::load(&lab_file()).unwrap();
    t.check_pools(|p| p == "lab").unwrap();
    // A million users are one pattern line.
    assert_eq!((t.exact_users(), t.patterns()), (1, 1));
    for user in ["user1@lab", "user42@lab", "user999999@lab", "user1000000@lab"] {
        match outcome(&t, user, &pap("lab")) {
            AuthOutcome::Accept(a) => {
                assert_eq!(a.pool.as_deref(), Some("lab"), "{user}");
                assert_eq!(a.framed_ip, None);
            }
            r => panic!("{user}: {r:?}"),
        }
    }
    assert_eq!(t.lookup(b"user7@lab").unwrap().rule, Rule::Pattern("user{1-1000000}@lab"));
    for user in ["user0@lab", "user1000001@lab", "user01@lab", "user1@lab2", "admin"] {
        match outcome(&t, user, &pap("lab")) {
            AuthOutcome::Reject(r) => assert_eq!(r.kind, RejectKind::UnknownUser, "{user}"),
            a => panic!("{user}: {a:?}"),
        }
    }
    match outcome(&t, "user1@lab", &pap("lab ")) {
        AuthOutcome::Reject(r) => {
            assert_eq!((r.kind, r.message.as_str()), (RejectKind::WrongPassword, "Authentication failed"))
        }
        a => panic!("{a:?}"),
    }
    // CHAP-MD5, RFC 1994 §4.1; the response is from Python:
    //   hashlib.md5(bytes([1]) + b'lab' + bytes(range(0x10, 0x20))).hexdigest()
    let chap = Credentials::Chap {
        id: 1,
        challenge: (0x10..0x20).collect(),
        response: unhex("1284a8516dc7260446add4f838bce8a9"),
    };
    assert!(matches!(outcome(&t, "user500000@lab", &chap), AuthOutcome::Accept(_)));
    let chap_wrong_id = Credentials::Chap {
        id: 2,
        challenge: (0x10..0x20).collect(),
        response: unhex("1284a8516dc7260446add4f838bce8a9"),
    };
    assert!(matches!(outcome(&t, "user500000@lab", &chap_wrong_id), AuthOutcome::Reject(_)));
    // The static user.
    match outcome(&t, "static@lab", &pap("lab")) {
        AuthOutcome::Accept(a) => {
            assert_eq!(a.framed_ip, Some(Ipv4Addr::new(100, 79, 255, 10)));
            assert_eq!(a.pool, None);
        }
        r => panic!("{r:?}"),
    }
}

#[test]
fn the_documented_examples_parse_and_cover_every_key() {
    let text = std::fs::read_to_string(lab_file()).unwrap();
    let examples: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# example: ")).collect();
    let joined = examples.join("\n");
    for key in ["ip=", "pool=", "session-timeout=", "idle-timeout=", "dns="] {
        assert!(joined.contains(key), "no example for {key}");
    }
    // Rate limits are not enforced yet, so the file neither uses nor shows them.
    for key in ["rate-up=", "rate-down="] {
        assert!(!text.lines().any(|l| !l.starts_with('#') && l.contains(key)), "{key} used");
        assert!(!joined.contains(key), "an example shows {key}");
    }
    let t = UsersTable::parse(Path::new("examples"), &joined).unwrap();
    t.check_pools(|p| p == "lab").unwrap();
    assert_eq!((t.exact_users(), t.patterns()), (5, 1));
    match outcome(&t, "dave", &pap("pw4")) {
        AuthOutcome::Accept(a) => assert_eq!((a.session_timeout_s, a.idle_timeout_s), (Some(86_400), Some(1_800))),
        r => panic!("{r:?}"),
    }
    assert!(matches!(outcome(&t, "anyone@guest", &pap("guest")), AuthOutcome::Accept(_)));
}

struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> TempFile {
        TempFile(std::env::temp_dir().join(format!("dpvpn-aaa-{}-{name}", std::process::id())))
    }

    fn write(&self, text: &str) {
        std::fs::write(&self.0, text).unwrap();
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn login(b: &mut LocalBackend, handle: u64, user: &str, password: &str) -> bool {
    let req =
        AuthRequest { handle, username: user.as_bytes().to_vec(), credentials: pap(password), nas: NasInfo::default() };
    b.submit(0, req).unwrap();
    let r = b.poll_result(0).unwrap();
    assert_eq!(r.handle, handle);
    matches!(r.outcome, AuthOutcome::Accept(_))
}

#[test]
fn reload_swaps_only_a_good_file() {
    let f = TempFile::new("reload.txt");
    f.write("alice old\n");
    let mut b = LocalBackend::new(UsersTable::load(&f.0).unwrap());
    assert!(login(&mut b, 1, "alice", "old"));

    // A broken edit: the error names the file, line and column, and the old table stays.
    f.write("alice new\nbob pw rate-down=fast\n");
    let e = b.reload(|_| true).unwrap_err();
    assert_eq!(e.to_string(), format!("{}:2:8: rate-down: rate limits are not implemented yet (they come with the QoS work); remove the key", f.0.display()));
    assert!(login(&mut b, 2, "alice", "old"));
    assert!(!login(&mut b, 3, "bob", "pw"));

    // A pool the configuration does not have: also refused.
    f.write("alice new pool=nowhere\n");
    let e = b.reload(|p| p == "lab").unwrap_err();
    assert_eq!(e.to_string(), format!("{}:1:16: pool: no pool named nowhere in the configuration", f.0.display()));
    assert!(login(&mut b, 4, "alice", "old"));

    // A good edit is used as a whole.
    f.write("alice new\nbob pw pool=lab\n");
    b.reload(|p| p == "lab").unwrap();
    assert!(login(&mut b, 5, "alice", "new"));
    assert!(!login(&mut b, 6, "alice", "old"));
    assert!(login(&mut b, 7, "bob", "pw"));

    // The file disappears: the table stays.
    drop(f);
    assert!(b.reload(|_| true).unwrap_err().to_string().starts_with("cannot read users file "));
    assert!(login(&mut b, 8, "bob", "pw"));
}
