//! The `--lcores` argument, in DPDK's own syntax (rte_eal `--lcores`):
//! comma-separated elements `N`, `N-M`, `N@CPU`, `N@(CPU,CPU-CPU)`, `(N,M-K)@CPU`,
//! `(N,M)@(CPUs)`. The first lcore listed is the control core, the others are workers.
//! The string goes to the EAL unchanged; this parser checks it first so a mistake is
//! reported before DPDK starts.

/// DPDK's RTE_MAX_LCORE on Debian's build.
pub const MAX_LCORE: u32 = 128;
const MAX_CPU: u32 = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LcoreMap {
    pub control: u32,
    pub workers: Vec<u32>,
    /// What to pass as `--lcores`.
    pub eal_arg: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LcoreError {
    Empty,
    Syntax { at: usize, msg: &'static str },
    TooHigh { lcore: u32, max: u32 },
    CpuTooHigh { cpu: u32, max: u32 },
    Duplicate(u32),
    TooFew { count: usize },
}

impl std::fmt::Display for LcoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LcoreError::Empty => f.write_str("the lcore list is empty"),
            LcoreError::Syntax { at, msg } => write!(f, "at character {}: {msg}", at + 1),
            LcoreError::TooHigh { lcore, max } => write!(f, "lcore {lcore} is too high (lcores go up to {})", max - 1),
            LcoreError::CpuTooHigh { cpu, max } => write!(f, "CPU {cpu} is too high (at most {})", max - 1),
            LcoreError::Duplicate(l) => write!(f, "lcore {l} is listed twice"),
            LcoreError::TooFew { count } => write!(
                f,
                "dpvpn needs at least two lcores: the first is the control core, the rest are workers (got {count})"
            ),
        }
    }
}

impl std::error::Error for LcoreError {}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, msg: &'static str) -> LcoreError {
        LcoreError::Syntax { at: self.i, msg }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn number(&mut self) -> Result<u32, LcoreError> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        if start == self.i {
            return Err(LcoreError::Syntax { at: start, msg: "expected a number" });
        }
        std::str::from_utf8(&self.s[start..self.i])
            .unwrap()
            .parse()
            .map_err(|_| LcoreError::Syntax { at: start, msg: "number too large" })
    }
    /// `N` or `N-M`.
    fn range(&mut self) -> Result<Vec<u32>, LcoreError> {
        let a = self.number()?;
        if self.eat(b'-') {
            let at = self.i;
            let b = self.number()?;
            if b < a {
                return Err(LcoreError::Syntax { at, msg: "range goes backwards" });
            }
            return Ok((a..=b).collect());
        }
        Ok(vec![a])
    }
    /// A range, or `(range,range...)`.
    fn set(&mut self) -> Result<Vec<u32>, LcoreError> {
        if self.eat(b'(') {
            let mut v = self.range()?;
            while self.eat(b',') {
                v.extend(self.range()?);
            }
            if !self.eat(b')') {
                return Err(self.err("expected `)`"));
            }
            Ok(v)
        } else {
            self.range()
        }
    }
}

pub fn parse_lcores(s: &str) -> Result<LcoreMap, LcoreError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(LcoreError::Empty);
    }
    let mut p = Parser { s: t.as_bytes(), i: 0 };
    let mut lcores: Vec<u32> = Vec::new();
    loop {
        let set = p.set()?;
        if p.eat(b'@') {
            for cpu in p.set()? {
                if cpu >= MAX_CPU {
                    return Err(LcoreError::CpuTooHigh { cpu, max: MAX_CPU });
                }
            }
        }
        for l in set {
            if l >= MAX_LCORE {
                return Err(LcoreError::TooHigh { lcore: l, max: MAX_LCORE });
            }
            if lcores.contains(&l) {
                return Err(LcoreError::Duplicate(l));
            }
            lcores.push(l);
        }
        match p.peek() {
            None => break,
            Some(b',') => {
                p.i += 1;
                if p.peek().is_none() {
                    return Err(p.err("trailing comma"));
                }
            }
            Some(_) => return Err(p.err("expected `,`, `@` or the end")),
        }
    }
    if lcores.len() < 2 {
        return Err(LcoreError::TooFew { count: lcores.len() });
    }
    Ok(LcoreMap { control: lcores[0], workers: lcores[1..].to_vec(), eal_arg: t.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> (u32, Vec<u32>) {
        let m = parse_lcores(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(m.eal_arg, s.trim());
        (m.control, m.workers)
    }

    #[test]
    fn valid() {
        assert_eq!(ok("2-5"), (2, vec![3, 4, 5]));
        assert_eq!(ok("0-1"), (0, vec![1]));
        assert_eq!(ok("0@0,1@1,2@1"), (0, vec![1, 2]));
        assert_eq!(ok("(0,1)@0,2@1"), (0, vec![1, 2]));
        assert_eq!(ok("3,1,2"), (3, vec![1, 2]));
        assert_eq!(ok("0@(0,1),1@(0-1)"), (0, vec![1]));
        assert_eq!(ok(" 0-1 "), (0, vec![1]));
    }

    #[test]
    fn invalid() {
        assert_eq!(parse_lcores(""), Err(LcoreError::Empty));
        assert_eq!(parse_lcores("0"), Err(LcoreError::TooFew { count: 1 }));
        assert!(parse_lcores("0").unwrap_err().to_string().contains("at least two lcores"));
        assert!(matches!(parse_lcores("1-0"), Err(LcoreError::Syntax { msg: "range goes backwards", .. })));
        assert_eq!(parse_lcores("0,0"), Err(LcoreError::Duplicate(0)));
        assert!(matches!(parse_lcores("x"), Err(LcoreError::Syntax { at: 0, .. })));
        assert!(matches!(parse_lcores("0@"), Err(LcoreError::Syntax { .. })));
        assert_eq!(parse_lcores("0,200"), Err(LcoreError::TooHigh { lcore: 200, max: 128 }));
        assert!(matches!(parse_lcores("0-1@("), Err(LcoreError::Syntax { .. })));
        assert!(matches!(parse_lcores("0,1,"), Err(LcoreError::Syntax { msg: "trailing comma", .. })));
        assert_eq!(parse_lcores("0@5000,1"), Err(LcoreError::CpuTooHigh { cpu: 5000, max: 1024 }));
        assert!(matches!(parse_lcores("0;1"), Err(LcoreError::Syntax { at: 1, .. })));
    }
}
