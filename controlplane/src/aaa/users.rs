//! The local users file: its syntax, parser, name patterns and the table
//! [`super::LocalBackend`] looks users up in.
//!
//! # The users file
//!
//! ```text
//! # comment lines start with '#' (only whole lines; a '#' inside a field is part of it)
//! # USER            PASSWORD  [KEY=VALUE ...]      fields are separated by spaces or tabs
//! alice             secret    ip=100.80.0.10
//! bob@isp           hunter2   pool=business session-timeout=1d idle-timeout=30m
//! user{1-1000000}@lab  lab    pool=lab
//! *@guest           guest     pool=guest dns=198.51.100.53,198.51.100.54
//! ```
//!
//! - USER is an exact name or a pattern. In a pattern, `{A-B}` matches a decimal number
//!   from A to B written without leading zeros (`user{1-1000000}@lab` matches `user7@lab`,
//!   not `user07@lab`); with zero-padded bounds of equal width, `{001-250}`, it matches
//!   exactly that many digits. `*` matches any run of characters, the empty one included.
//!   `\` makes the next character plain (`a\*b` is the exact name `a*b`).
//! - An exact name wins over every pattern; among patterns, the first one in the file that
//!   matches wins. A pattern costs one entry however many names it matches.
//! - PASSWORD is taken as written (no escapes); it is the PAP password, the CHAP secret and
//!   the MS-CHAPv2 password. Neither field can hold whitespace.
//! - Keys: `ip=` static framed address (exact names only; not together with `pool=`; one
//!   user per address), `pool=` named pool, `session-timeout=` / `idle-timeout=` in seconds
//!   with an optional unit `s`, `m`, `h`, `d`, `dns=` primary DNS and optionally a secondary
//!   after a comma (RFC 1877). Each key at most once per line.
//! - `rate-up=` and `rate-down=` are refused with an error: nothing would enforce them yet
//!   (rate limits come with the QoS work), and a limit that is written down but not applied
//!   misleads whoever reads the file.
//! - Every error names `FILE:LINE:COLUMN` and what is wrong; a file with an error is not
//!   used at all ([`super::LocalBackend::reload`] keeps the old table).
//! - User names longer than 253 octets (RADIUS User-Name, RFC 2865 §5.1) are refused.

use std::collections::HashMap;
use std::fmt;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use super::{
    chap_md5_response, ct_eq, mschapv2, Attributes, AuthOutcome, Credentials, MsChapV2Accept, Reject, RejectKind,
    AUTH_FAILED, MAX_USERNAME,
};

/// RFC 1994 §4.1: the MD5 Response is 16 octets.
const CHAP_MD5_RESPONSE: usize = 16;

/// A users-file error, located: `FILE:LINE:COLUMN: MESSAGE` (line 0: the file could not be
/// read, and `Display` shows the message alone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsersError {
    pub file: PathBuf,
    /// 1-based; 0 when the file could not be read.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for UsersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            return f.write_str(&self.message);
        }
        write!(f, "{}:{}:{}: {}", self.file.display(), self.line, self.column, self.message)
    }
}

impl std::error::Error for UsersError {}

/// One line of the users file.
#[derive(Clone, PartialEq, Eq)]
pub struct UserEntry {
    pub password: Vec<u8>,
    pub attributes: Attributes,
    /// Where it was defined.
    pub line: usize,
}

impl fmt::Debug for UserEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserEntry")
            .field("attributes", &self.attributes)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(Vec<u8>),
    /// `{lo-hi}`; `width` is `Some` for zero-padded bounds.
    Number {
        lo: u64,
        hi: u64,
        width: Option<usize>,
    },
    Star,
}

#[derive(Clone, Debug)]
struct Pattern {
    text: String,
    segments: Vec<Segment>,
    entry: UserEntry,
}

fn digits(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 10 {
        v /= 10;
        n += 1;
    }
    n
}

impl Pattern {
    /// Whether `name` matches: reachability over (segment, position), so `*` and
    /// number ranges never backtrack exponentially. `name` is at most 253 octets.
    fn matches(&self, name: &[u8]) -> bool {
        let n = name.len();
        let width = n + 1;
        let mut reach = vec![false; (self.segments.len() + 1) * width];
        reach[0] = true;
        for (i, seg) in self.segments.iter().enumerate() {
            for p in 0..=n {
                if !reach[i * width + p] {
                    continue;
                }
                let next = (i + 1) * width;
                match seg {
                    Segment::Literal(l) => {
                        if name[p..].starts_with(l) {
                            reach[next + p + l.len()] = true;
                        }
                    }
                    Segment::Star => reach[next + p..next + width].iter_mut().for_each(|r| *r = true),
                    Segment::Number { lo, hi, width: fixed } => {
                        let run = name[p..].iter().take_while(|b| b.is_ascii_digit()).count();
                        let lens = match fixed {
                            Some(w) => *w..=*w,
                            None => 1..=digits(*hi),
                        };
                        for len in lens {
                            if len > run {
                                break;
                            }
                            let d = &name[p..p + len];
                            if fixed.is_none() && len > 1 && d[0] == b'0' {
                                break;
                            }
                            let v = d.iter().fold(0u64, |v, b| v * 10 + u64::from(b - b'0'));
                            if (*lo..=*hi).contains(&v) {
                                reach[next + p + len] = true;
                            }
                        }
                    }
                }
            }
        }
        reach[self.segments.len() * width + n]
    }
}

/// How a name was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule<'a> {
    Exact,
    /// The pattern as written in the file.
    Pattern(&'a str),
}

#[derive(Clone, Copy, Debug)]
pub struct Lookup<'a> {
    pub entry: &'a UserEntry,
    pub rule: Rule<'a>,
}

/// The parsed users file.
#[derive(Clone, Debug)]
pub struct UsersTable {
    file: PathBuf,
    exact: HashMap<Vec<u8>, UserEntry>,
    patterns: Vec<Pattern>,
    /// Every `pool=` with its line and column, for [`UsersTable::check_pools`].
    pool_refs: Vec<(String, usize, usize)>,
}

/// A users-file line being parsed: locates byte offsets as 1-based character columns.
struct Line<'a> {
    file: &'a Path,
    number: usize,
    text: &'a str,
}

impl Line<'_> {
    fn error(&self, offset: usize, message: String) -> UsersError {
        let column = self.text[..offset.min(self.text.len())].chars().count() + 1;
        UsersError { file: self.file.to_path_buf(), line: self.number, column, message }
    }
}

const KEYS: &str = "ip, pool, session-timeout, idle-timeout, dns";

fn valid_pool_name(n: &str) -> bool {
    !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// `3600`, `90s`, `30m`, `12h`, `1d`: seconds.
fn parse_duration(v: &str) -> Result<u32, String> {
    let (num, mult) = match v.as_bytes().last() {
        Some(b's') => (&v[..v.len() - 1], 1u64),
        Some(b'm') => (&v[..v.len() - 1], 60),
        Some(b'h') => (&v[..v.len() - 1], 3_600),
        Some(b'd') => (&v[..v.len() - 1], 86_400),
        _ => (v, 1),
    };
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{v:?} is not a duration: seconds as a whole number, optionally with s, m, h or d (3600, 1h)"
        ));
    }
    let n: u64 = num.parse().unwrap_or(u64::MAX).saturating_mul(mult);
    if n == 0 {
        return Err("a timeout of 0: leave the key out for no timeout".to_string());
    }
    u32::try_from(n).map_err(|_| format!("{v} is too large: at most {} seconds", u32::MAX))
}

fn parse_unicast(v: &str) -> Result<Ipv4Addr, String> {
    let a: Ipv4Addr = v.parse().map_err(|_| format!("{v:?} is not an IPv4 address"))?;
    let top = a.octets()[0];
    if top == 0 || top == 127 || top >= 224 {
        return Err(format!("{a} is not a unicast address a subscriber can have"));
    }
    Ok(a)
}

/// Parses the USER field: an exact name (unescaped) or a pattern.
fn parse_user(line: &Line, start: usize, field: &str) -> Result<Result<Vec<u8>, Vec<Segment>>, UsersError> {
    let mut segments = Vec::new();
    let mut literal = Vec::new();
    let mut special = false;
    let mut chars = field.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, e)) => literal.extend_from_slice(e.encode_utf8(&mut [0; 4]).as_bytes()),
                None => return Err(line.error(start + i, "'\\' at the end of the user name: nothing to escape".into())),
            },
            '*' => {
                special = true;
                if !literal.is_empty() {
                    segments.push(Segment::Literal(std::mem::take(&mut literal)));
                }
                if segments.last() != Some(&Segment::Star) {
                    segments.push(Segment::Star);
                }
            }
            '{' => {
                special = true;
                let body_start = i + 1;
                let Some(close) = field[body_start..].find('}') else {
                    return Err(line.error(start + i, "'{' without a closing '}'".into()));
                };
                let body = &field[body_start..body_start + close];
                let bad = || {
                    line.error(
                        start + i,
                        format!("{{{body}}}: a range is {{FIRST-LAST}} with decimal numbers, e.g. {{1-1000}}"),
                    )
                };
                let (a, b) = body.split_once('-').ok_or_else(bad)?;
                let number = |s: &str| {
                    (!s.is_empty() && s.len() <= 18 && s.bytes().all(|d| d.is_ascii_digit()))
                        .then(|| s.parse::<u64>().ok())
                        .flatten()
                };
                let (Some(lo), Some(hi)) = (number(a), number(b)) else {
                    return Err(bad());
                };
                if lo > hi {
                    return Err(line.error(start + i, format!("range {a}-{b} is empty ({lo} > {hi})")));
                }
                let padded = |s: &str| s.len() > 1 && s.starts_with('0');
                let width = if padded(a) || padded(b) {
                    if a.len() != b.len() {
                        return Err(line.error(
                            start + i,
                            format!("range {a}-{b}: zero-padded bounds must have the same number of digits"),
                        ));
                    }
                    Some(a.len())
                } else {
                    None
                };
                if !literal.is_empty() {
                    segments.push(Segment::Literal(std::mem::take(&mut literal)));
                }
                segments.push(Segment::Number { lo, hi, width });
                // Skip the body and the '}'.
                while chars.next_if(|&(j, _)| j <= body_start + close).is_some() {}
            }
            '}' => return Err(line.error(start + i, "'}' without an opening '{' (write \\} for a plain '}')".into())),
            c => literal.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    if !special {
        if literal.len() > MAX_USERNAME {
            return Err(line.error(start, format!("user name of {} octets: at most {MAX_USERNAME}", literal.len())));
        }
        return Ok(Ok(literal));
    }
    if !literal.is_empty() {
        segments.push(Segment::Literal(literal));
    }
    Ok(Err(segments))
}

impl UsersTable {
    /// An empty table (every user unknown).
    pub fn empty(file: &Path) -> UsersTable {
        UsersTable { file: file.to_path_buf(), exact: HashMap::new(), patterns: Vec::new(), pool_refs: Vec::new() }
    }

    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<UsersTable, UsersError> {
        let text = std::fs::read_to_string(path).map_err(|e| UsersError {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("cannot read users file {}: {e}", path.display()),
        })?;
        Self::parse(path, &text)
    }

    /// Parses the text of a users file; `file` names it in errors.
    pub fn parse(file: &Path, text: &str) -> Result<UsersTable, UsersError> {
        let mut table = UsersTable::empty(file);
        let mut pattern_lines: HashMap<String, usize> = HashMap::new();
        let mut static_ips: HashMap<Ipv4Addr, usize> = HashMap::new();
        for (n, raw) in text.split('\n').enumerate() {
            let line = Line { file, number: n + 1, text: raw.strip_suffix('\r').unwrap_or(raw) };
            let mut fields = Vec::new();
            let mut start = None;
            for (i, c) in line.text.char_indices() {
                match (c.is_whitespace(), start) {
                    (false, None) => start = Some(i),
                    (true, Some(s)) => {
                        fields.push((s, &line.text[s..i]));
                        start = None;
                    }
                    _ => {}
                }
            }
            if let Some(s) = start {
                fields.push((s, &line.text[s..]));
            }
            let Some(&(user_at, user)) = fields.first() else { continue };
            if user.starts_with('#') {
                continue;
            }
            let Some(&(_, password)) = fields.get(1) else {
                return Err(line.error(line.text.len(), format!("user {user} has no password")));
            };
            let parsed = parse_user(&line, user_at, user)?;
            let mut attributes = Attributes::default();
            let mut seen: Vec<&str> = Vec::new();
            let mut ip_at = None;
            let mut pool_at = None;
            for &(at, field) in &fields[2..] {
                let Some((key, value)) = field.split_once('=') else {
                    return Err(line.error(at, format!("expected KEY=VALUE, found {field:?} (keys: {KEYS})")));
                };
                let value_at = at + key.len() + 1;
                if seen.contains(&key) {
                    return Err(line.error(at, format!("key {key} given twice")));
                }
                let bad = |m: String| line.error(value_at, format!("{key}: {m}"));
                match key {
                    "ip" => {
                        attributes.framed_ip = Some(parse_unicast(value).map_err(bad)?);
                        ip_at = Some(at);
                    }
                    "pool" => {
                        if !valid_pool_name(value) {
                            return Err(bad(format!("{value:?} is not a pool name (letters, digits, '-', '_', '.')")));
                        }
                        attributes.pool = Some(value.to_string());
                        pool_at = Some(value_at);
                    }
                    "rate-up" | "rate-down" => {
                        return Err(line.error(
                            at,
                            format!(
                                "{key}: rate limits are not implemented yet (they come with the QoS work); \
                                 remove the key"
                            ),
                        ))
                    }
                    "session-timeout" => attributes.session_timeout_s = Some(parse_duration(value).map_err(bad)?),
                    "idle-timeout" => attributes.idle_timeout_s = Some(parse_duration(value).map_err(bad)?),
                    "dns" => {
                        let mut parts = value.split(',');
                        let first = parts.next().unwrap_or("");
                        attributes.dns[0] = Some(parse_unicast(first).map_err(bad)?);
                        if let Some(second) = parts.next() {
                            attributes.dns[1] = Some(
                                parse_unicast(second)
                                    .map_err(|m| line.error(value_at + first.len() + 1, format!("dns: {m}")))?,
                            );
                        }
                        if parts.next().is_some() {
                            return Err(bad("at most two addresses (primary,secondary)".into()));
                        }
                    }
                    _ => return Err(line.error(at, format!("unknown key {key:?} (keys: {KEYS})"))),
                }
                seen.push(key);
            }
            if let (Some(at), Some(_)) = (ip_at, pool_at) {
                return Err(line.error(at, "ip and pool together: a static address does not come from a pool".into()));
            }
            if let Some(pool_at) = pool_at {
                let name = attributes.pool.clone().unwrap_or_default();
                let column = line.text[..pool_at].chars().count() + 1;
                table.pool_refs.push((name, line.number, column));
            }
            let entry = UserEntry { password: password.as_bytes().to_vec(), attributes, line: line.number };
            match parsed {
                Ok(name) => {
                    if let (Some(ip), Some(at)) = (entry.attributes.framed_ip, ip_at) {
                        if let Some(first) = static_ips.insert(ip, line.number) {
                            return Err(line.error(
                                at + 3,
                                format!("ip: {ip} is already the static address of the user on line {first}"),
                            ));
                        }
                    }
                    if let Some(first) = table.exact.get(&name) {
                        return Err(line
                            .error(user_at, format!("duplicate user {user} (first defined on line {})", first.line)));
                    }
                    table.exact.insert(name, entry);
                }
                Err(segments) => {
                    if let Some(at) = ip_at {
                        return Err(line.error(
                            at,
                            format!("ip on the pattern {user}: every user it matches would get the same address"),
                        ));
                    }
                    if let Some(first) = pattern_lines.insert(user.to_string(), line.number) {
                        return Err(
                            line.error(user_at, format!("duplicate user {user} (first defined on line {first})"))
                        );
                    }
                    table.patterns.push(Pattern { text: user.to_string(), segments, entry });
                }
            }
        }
        Ok(table)
    }

    /// Checks that every `pool=` names a pool `known` knows; the error points at the value.
    pub fn check_pools(&self, known: impl Fn(&str) -> bool) -> Result<(), UsersError> {
        match self.pool_refs.iter().find(|(name, _, _)| !known(name)) {
            Some((name, line, column)) => Err(UsersError {
                file: self.file.clone(),
                line: *line,
                column: *column,
                message: format!("pool: no pool named {name} in the configuration"),
            }),
            None => Ok(()),
        }
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Exact names in the file.
    pub fn exact_users(&self) -> usize {
        self.exact.len()
    }

    /// Pattern lines in the file.
    pub fn patterns(&self) -> usize {
        self.patterns.len()
    }

    /// The entry for `username`: the exact one, else the first pattern that matches.
    pub fn lookup(&self, username: &[u8]) -> Option<Lookup<'_>> {
        if username.len() > MAX_USERNAME {
            return None;
        }
        if let Some(entry) = self.exact.get(username) {
            return Some(Lookup { entry, rule: Rule::Exact });
        }
        self.patterns
            .iter()
            .find(|p| p.matches(username))
            .map(|p| Lookup { entry: &p.entry, rule: Rule::Pattern(&p.text) })
    }

    /// Checks `credentials` for `username`.
    pub fn authenticate(&self, username: &[u8], credentials: &Credentials) -> AuthOutcome {
        let reject = |k, m: &str| AuthOutcome::Reject(Reject::new(k, m));
        if username.len() > MAX_USERNAME {
            return reject(RejectKind::Malformed, "User name too long");
        }
        let found = self.lookup(username);
        // An unknown user costs the same comparison as a known one.
        let secret: &[u8] = found.map_or(b"\0unknown user\0", |l| &l.entry.password);
        let good = match credentials {
            Credentials::Pap { password } => ct_eq(password, secret),
            Credentials::Chap { id, challenge, response } => {
                if response.len() != CHAP_MD5_RESPONSE || challenge.is_empty() {
                    return reject(RejectKind::Malformed, "Malformed CHAP response");
                }
                ct_eq(response, &chap_md5_response(*id, secret, challenge))
            }
            Credentials::MsChapV2 { authenticator_challenge, peer_challenge, nt_response } => {
                // The file is text, so a password is UTF-8; RFC 2759 §8.3 hashes it as UTF-16.
                let password = std::str::from_utf8(secret).unwrap_or_default();
                let expected =
                    mschapv2::generate_nt_response(authenticator_challenge, peer_challenge, username, password);
                ct_eq(nt_response, &expected)
            }
        };
        match found {
            None => reject(RejectKind::UnknownUser, AUTH_FAILED),
            Some(_) if !good => reject(RejectKind::WrongPassword, AUTH_FAILED),
            Some(l) => {
                let mut attributes = l.entry.attributes.clone();
                if let Credentials::MsChapV2 { authenticator_challenge, peer_challenge, nt_response } = credentials {
                    // RFC 2759 §5: the Success proves we know the password too; RFC 3079 §3:
                    // the MPPE keys of the session follow from the same exchange.
                    let password = std::str::from_utf8(&l.entry.password).unwrap_or_default();
                    attributes.mschapv2 = Some(MsChapV2Accept {
                        authenticator_response: mschapv2::generate_authenticator_response(
                            password,
                            nt_response,
                            peer_challenge,
                            authenticator_challenge,
                            username,
                        ),
                    });
                    attributes.mppe = Some(mschapv2::mppe_master_keys(password, nt_response, true));
                }
                AuthOutcome::Accept(attributes)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn table(text: &str) -> UsersTable {
        UsersTable::parse(Path::new("users.txt"), text).unwrap()
    }

    fn error(text: &str) -> String {
        UsersTable::parse(Path::new("users.txt"), text).unwrap_err().to_string()
    }

    fn pap(p: &str) -> Credentials {
        Credentials::Pap { password: p.as_bytes().to_vec() }
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn accepted(t: &UsersTable, user: &str, c: &Credentials) -> Option<Attributes> {
        match t.authenticate(user.as_bytes(), c) {
            AuthOutcome::Accept(a) => Some(a),
            AuthOutcome::Reject(_) => None,
        }
    }

    #[test]
    fn pap_accepts_the_right_password_only_and_says_the_same_for_unknown_users() {
        let t = table("# users\n\nalice secret session-timeout=1h\n");
        let a = accepted(&t, "alice", &pap("secret")).unwrap();
        assert_eq!(a.session_timeout_s, Some(3_600));
        assert_eq!(
            t.authenticate(b"alice", &pap("secreT")),
            AuthOutcome::Reject(Reject { kind: RejectKind::WrongPassword, message: AUTH_FAILED.into() })
        );
        assert_eq!(
            t.authenticate(b"alice", &pap("secret2")),
            AuthOutcome::Reject(Reject { kind: RejectKind::WrongPassword, message: AUTH_FAILED.into() })
        );
        assert_eq!(
            t.authenticate(b"mallory", &pap("secret")),
            AuthOutcome::Reject(Reject { kind: RejectKind::UnknownUser, message: AUTH_FAILED.into() })
        );
        assert!(accepted(&t, "alice", &pap("")).is_none());
        assert!(accepted(&t, "Alice", &pap("secret")).is_none());
    }

    #[test]
    fn chap_md5_response_follows_rfc1994() {
        // Expected values from Python's hashlib:
        //   hashlib.md5(bytes([0x2a]) + b'secret' + bytes.fromhex('00112233445566778899aabbccddeeff')).hexdigest()
        let challenge = unhex("00112233445566778899aabbccddeeff");
        assert_eq!(chap_md5_response(0x2a, b"secret", &challenge).to_vec(), unhex("b315fb98595bfed70521be60163cc41e"));
        let t = table("bob secret pool=p\n");
        let good = Credentials::Chap {
            id: 0x2a,
            challenge: challenge.clone(),
            response: unhex("b315fb98595bfed70521be60163cc41e"),
        };
        assert_eq!(accepted(&t, "bob", &good).unwrap().pool.as_deref(), Some("p"));
        // Another Identifier, another challenge or another response: refused.
        let wrong_id = Credentials::Chap {
            id: 0x2b,
            challenge: challenge.clone(),
            response: unhex("b315fb98595bfed70521be60163cc41e"),
        };
        assert!(accepted(&t, "bob", &wrong_id).is_none());
        let mut other = challenge.clone();
        other[0] ^= 1;
        let wrong_challenge =
            Credentials::Chap { id: 0x2a, challenge: other, response: unhex("b315fb98595bfed70521be60163cc41e") };
        assert!(accepted(&t, "bob", &wrong_challenge).is_none());
        let short = Credentials::Chap { id: 0x2a, challenge, response: vec![0; 15] };
        assert_eq!(
            t.authenticate(b"bob", &short),
            AuthOutcome::Reject(Reject { kind: RejectKind::Malformed, message: "Malformed CHAP response".into() })
        );
    }

    #[test]
    fn ms_chap_v2_is_verified_with_the_rfc2759_example() {
        // RFC 2759 §9.2: User "User", password "clientPass", and the challenges, NT-Response
        // and Authenticator Response it prints; the MPPE send key is RFC 3079 §3.5.3's
        // SendStartKey128, the receive key what other implementations derive (see
        // aaa::mschapv2's tests).
        let t = table("User clientPass pool=p\nOther clientPasS\n");
        let credentials = |nt_response: [u8; 24]| Credentials::MsChapV2 {
            authenticator_challenge: unhex("5B5D7C7D7B3F2F3E3C2C602132262628").try_into().unwrap(),
            peer_challenge: unhex("21402324255E262A28295F2B3A337C7E").try_into().unwrap(),
            nt_response,
        };
        let nt: [u8; 24] = unhex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF").try_into().unwrap();
        let a = accepted(&t, "User", &credentials(nt)).unwrap();
        assert_eq!(a.pool.as_deref(), Some("p"));
        assert_eq!(&a.mschapv2.unwrap().authenticator_response, b"S=407A5589115FD0D6209F510FE9C04566932CDA56");
        let keys = a.mppe.unwrap();
        assert_eq!(keys.send.to_vec(), unhex("8B7CDC149B993A1BA118CB153F56DCCB"));
        assert_eq!(keys.recv.to_vec(), unhex("D5F0E9521E3EA9589645E86051C82226"));
        // One bit off in the NT-Response, or the same response for a user with another
        // password: the usual refusal, and nothing for the peer but "Authentication failed".
        let mut bad = nt;
        bad[23] ^= 1;
        let wrong = AuthOutcome::Reject(Reject { kind: RejectKind::WrongPassword, message: AUTH_FAILED.into() });
        assert_eq!(t.authenticate(b"User", &credentials(bad)), wrong);
        assert_eq!(t.authenticate(b"Other", &credentials(nt)), wrong);
        assert_eq!(
            t.authenticate(b"Nobody", &credentials(nt)),
            AuthOutcome::Reject(Reject { kind: RejectKind::UnknownUser, message: AUTH_FAILED.into() })
        );
        // PAP and CHAP accepts carry no MS-CHAPv2 parts.
        let a = accepted(&t, "User", &pap("clientPass")).unwrap();
        assert_eq!((a.mschapv2, a.mppe), (None, None));
        assert_eq!(credentials(nt).method().name(), "MS-CHAPv2");
        assert_eq!(format!("{:?}", credentials(nt)), "MsChapV2 { .. }");
        assert_eq!(format!("{:?}", pap("secret")), "Pap { .. }");
        assert_eq!(format!("{:?}", keys), "MppeKeys { .. }");
    }

    #[test]
    fn patterns_ranges_and_wildcards() {
        let t = table(
            "user{1-1000000}@lab lab pool=lab\n\
             user5@lab five pool=vip\n\
             room{001-250} r\n\
             *@guest guest pool=guest\n\
             *@lab fallback pool=other\n\
             a\\*b star\n",
        );
        assert_eq!((t.exact_users(), t.patterns()), (2, 4));
        let lab = |u: &str| accepted(&t, u, &pap("lab")).map(|a| a.pool.unwrap());
        for u in ["user1@lab", "user9@lab", "user10@lab", "user999999@lab", "user1000000@lab", "user123456@lab"] {
            assert_eq!(lab(u).as_deref(), Some("lab"), "{u}");
        }
        for u in [
            "user0@lab",
            "user01@lab",
            "user1000001@lab",
            "user@lab",
            "user1@labx",
            "user1x@lab",
            "xuser1@lab",
            "user-1@lab",
        ] {
            assert_eq!(lab(u), None, "{u}");
        }
        // Exact wins over patterns.
        assert!(accepted(&t, "user5@lab", &pap("lab")).is_none());
        assert_eq!(accepted(&t, "user5@lab", &pap("five")).unwrap().pool.as_deref(), Some("vip"));
        assert_eq!(t.lookup(b"user5@lab").unwrap().rule, Rule::Exact);
        // First matching pattern wins: user1@lab never reaches *@lab.
        assert!(accepted(&t, "user1@lab", &pap("fallback")).is_none());
        assert_eq!(t.lookup(b"user0@lab").unwrap().rule, Rule::Pattern("*@lab"));
        assert_eq!(accepted(&t, "user0@lab", &pap("fallback")).unwrap().pool.as_deref(), Some("other"));
        // Zero-padded ranges match that many digits.
        assert!(accepted(&t, "room007", &pap("r")).is_some());
        assert!(accepted(&t, "room250", &pap("r")).is_some());
        assert!(accepted(&t, "room7", &pap("r")).is_none());
        assert!(accepted(&t, "room251", &pap("r")).is_none());
        assert!(accepted(&t, "room000", &pap("r")).is_none());
        // '*' matches anything, the empty run too.
        assert!(accepted(&t, "x.y@guest", &pap("guest")).is_some());
        assert!(accepted(&t, "@guest", &pap("guest")).is_some());
        assert!(accepted(&t, "x@guestx", &pap("guest")).is_none());
        // Escapes make a plain name.
        assert_eq!(t.lookup(b"a*b").unwrap().rule, Rule::Exact);
        assert!(t.lookup(b"aXb").is_none());
        // Too long for RADIUS, so for us.
        let long = format!("{}@guest", "x".repeat(250));
        assert_eq!(
            t.authenticate(long.as_bytes(), &pap("guest")),
            AuthOutcome::Reject(Reject { kind: RejectKind::Malformed, message: "User name too long".into() })
        );
    }

    #[test]
    fn all_keys() {
        let t = table("carol pw ip=100.80.0.10 session-timeout=1d idle-timeout=30m dns=198.51.100.53,198.51.100.54\n");
        assert_eq!(
            accepted(&t, "carol", &pap("pw")).unwrap(),
            Attributes {
                framed_ip: Some("100.80.0.10".parse().unwrap()),
                pool: None,
                session_timeout_s: Some(86_400),
                idle_timeout_s: Some(1_800),
                dns: [Some("198.51.100.53".parse().unwrap()), Some("198.51.100.54".parse().unwrap())],
                mschapv2: None,
                mppe: None,
            }
        );
        let t = table("dave pw session-timeout=3600 idle-timeout=90s dns=192.0.2.53\r\n");
        let a = accepted(&t, "dave", &pap("pw")).unwrap();
        assert_eq!((a.session_timeout_s, a.idle_timeout_s, a.dns[1]), (Some(3600), Some(90), None));
    }

    #[test]
    fn errors_name_line_column_and_what_is_wrong() {
        let cases = [
            ("alice\n", "users.txt:1:6: user alice has no password"),
            ("# c\n  alice pw colour=red\n", "users.txt:2:12: unknown key \"colour\" (keys: ip, pool, session-timeout, idle-timeout, dns)"),
            ("alice pw ip=10.0.0.300\n", "users.txt:1:13: ip: \"10.0.0.300\" is not an IPv4 address"),
            ("alice pw ip=224.0.0.1\n", "users.txt:1:13: ip: 224.0.0.1 is not a unicast address a subscriber can have"),
            ("user{5-2}@lab pw\n", "users.txt:1:5: range 5-2 is empty (5 > 2)"),
            ("user{a-2}@lab pw\n", "users.txt:1:5: {a-2}: a range is {FIRST-LAST} with decimal numbers, e.g. {1-1000}"),
            ("user{1-2@lab pw\n", "users.txt:1:5: '{' without a closing '}'"),
            ("user}@lab pw\n", "users.txt:1:5: '}' without an opening '{' (write \\} for a plain '}')"),
            ("r{01-100} pw\n", "users.txt:1:2: range 01-100: zero-padded bounds must have the same number of digits"),
            ("alice pw\nbob pw\n\talice other\n", "users.txt:3:2: duplicate user alice (first defined on line 1)"),
            ("*@lab a\n*@lab b\n", "users.txt:2:1: duplicate user *@lab (first defined on line 1)"),
            ("alice pw ip=10.0.0.1\nbob pw ip=10.0.0.1\n", "users.txt:2:11: ip: 10.0.0.1 is already the static address of the user on line 1"),
            ("*@lab pw ip=10.0.0.1\n", "users.txt:1:10: ip on the pattern *@lab: every user it matches would get the same address"),
            ("alice pw ip=10.0.0.1 pool=lab\n", "users.txt:1:10: ip and pool together: a static address does not come from a pool"),
            ("alice pw rate-down=20M\n", "users.txt:1:10: rate-down: rate limits are not implemented yet (they come with the QoS work); remove the key"),
            ("alice pw pool=lab\trate-up=512k\n", "users.txt:1:19: rate-up: rate limits are not implemented yet (they come with the QoS work); remove the key"),
            ("alice pw idle-timeout=0\n", "users.txt:1:23: idle-timeout: a timeout of 0: leave the key out for no timeout"),
            ("alice pw session-timeout=5000000d\n", "users.txt:1:26: session-timeout: 5000000d is too large: at most 4294967295 seconds"),
            ("alice pw session-timeout=1w\n", "users.txt:1:26: session-timeout: \"1w\" is not a duration: seconds as a whole number, optionally with s, m, h or d (3600, 1h)"),
            ("alice pw idle-timeout=1 idle-timeout=2\n", "users.txt:1:25: key idle-timeout given twice"),
            ("alice pw fast\n", "users.txt:1:10: expected KEY=VALUE, found \"fast\" (keys: ip, pool, session-timeout, idle-timeout, dns)"),
            ("alice pw dns=1.1.1.1,2.2.2\n", "users.txt:1:22: dns: \"2.2.2\" is not an IPv4 address"),
            ("alice pw dns=1.1.1.1,2.2.2.2,3.3.3.3\n", "users.txt:1:14: dns: at most two addresses (primary,secondary)"),
            ("alice pw pool=a/b\n", "users.txt:1:15: pool: \"a/b\" is not a pool name (letters, digits, '-', '_', '.')"),
            ("é\\\n", "users.txt:1:3: user é\\ has no password"),
            ("é\\ pw\n", "users.txt:1:2: '\\' at the end of the user name: nothing to escape"),
        ];
        for (text, want) in cases {
            assert_eq!(error(text), want, "{text:?}");
        }
        let e = UsersTable::load(Path::new("/nonexistent/users.txt")).unwrap_err();
        assert_eq!(e.line, 0);
        assert!(e.to_string().starts_with("cannot read users file /nonexistent/users.txt: "), "{e}");
    }

    #[test]
    fn pool_references_are_checked_against_the_configuration() {
        let t = table("a pw pool=lab\nb pw\n*@x pw  pool=guest\n");
        assert!(t.check_pools(|p| p == "lab" || p == "guest").is_ok());
        assert_eq!(
            t.check_pools(|p| p == "lab").unwrap_err().to_string(),
            "users.txt:3:14: pool: no pool named guest in the configuration"
        );
    }

    proptest! {
        /// The range matcher agrees with "parse the digits" for every name around the range.
        #[test]
        fn range_pattern_agrees_with_arithmetic(lo in 0u64..2000, span in 0u64..3000, n in 0u64..6000, pad in 0usize..3) {
            let hi = lo + span;
            let t = table(&format!("u{{{lo}-{hi}}}@lab pw\n"));
            let name = format!("u{}{n}@lab", "0".repeat(pad));
            let want = pad == 0 && (lo..=hi).contains(&n);
            prop_assert_eq!(t.lookup(name.as_bytes()).is_some(), want, "{}", name);
        }

        /// Nothing in a users file makes the parser panic, and whatever parses can be looked up.
        #[test]
        fn parser_never_panics(text in "[a-z0-9@*{}\\\\=#., \\t\\n-]{0,200}", name in "[a-z0-9@.]{0,20}") {
            if let Ok(t) = UsersTable::parse(Path::new("f"), &text) {
                let _ = t.authenticate(name.as_bytes(), &pap("x"));
            }
        }
    }
}
