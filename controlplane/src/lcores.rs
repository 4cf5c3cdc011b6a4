//! The `--lcores` argument, in DPDK's own syntax (`rte_eal` `--lcores`, DPDK
//! `eal_parse_lcores`): comma-separated elements, each a set of lcores optionally pinned
//! to a set of CPUs:
//!
//! ```text
//! list    = element ("," element)*
//! element = set ("@" set)?          lcores [@ CPUs]; without "@", lcore N runs on CPU N
//! set     = range | "(" range ("," range)* ")"
//! range   = N | N "-" M             N <= M
//! ```
//!
//! e.g. `2-5`, `0@0,1@1,2@1`, `(0,1)@0,2@1`, `0@(0,1),1@(2-3)`. Blanks between tokens are
//! allowed, as in DPDK. The first lcore listed is the control core, every other one is a
//! worker. The string goes to the EAL unchanged; this parser checks it first so that a
//! mistake is reported in words before DPDK starts. It is stricter than DPDK in two ways:
//! an lcore may be listed once only, and a range may not run backwards.

use std::fmt;

/// DPDK's `RTE_MAX_LCORE` in Debian's build: lcore ids are below this.
pub const MAX_LCORE: u32 = 128;
/// `CPU_SETSIZE`: CPU ids are below this.
pub const MAX_CPU: u32 = 1024;

/// The checked `--lcores` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LcoreMap {
    /// The first lcore listed: runs the control plane (DPDK's main lcore).
    pub control: u32,
    /// Every other lcore, in the order listed.
    pub workers: Vec<u32>,
    /// What to pass to the EAL as `--lcores` (the argument with outer blanks trimmed).
    pub eal_arg: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LcoreError {
    Empty,
    /// `at` is the 0-based byte offset in the argument as given.
    Syntax {
        at: usize,
        msg: &'static str,
    },
    TooHigh {
        lcore: u32,
        max: u32,
    },
    CpuTooHigh {
        cpu: u32,
        max: u32,
    },
    Duplicate(u32),
    TooFew {
        count: usize,
    },
}

impl fmt::Display for LcoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LcoreError::Empty => {
                f.write_str("the lcore list is empty (e.g. `2-5`: lcore 2 is the control core, 3 to 5 are workers)")
            }
            LcoreError::Syntax { at, msg } => write!(f, "at character {}: {msg}", at + 1),
            LcoreError::TooHigh { lcore, max } => {
                write!(f, "lcore {lcore} is too high: lcore ids go from 0 to {}", max - 1)
            }
            LcoreError::CpuTooHigh { cpu, max } => write!(f, "CPU {cpu} is too high: CPU ids go from 0 to {}", max - 1),
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

    /// Skips blanks (space, tab) as DPDK does, then looks at the next character.
    fn peek(&mut self) -> Option<u8> {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t')) {
            self.i += 1;
        }
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

    fn number(&mut self) -> Result<(u32, usize), LcoreError> {
        let _ = self.peek();
        let start = self.i;
        while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        if start == self.i {
            return Err(self.err(match self.s.get(self.i) {
                None => "expected a number, found the end",
                Some(_) => "expected a number",
            }));
        }
        let digits = std::str::from_utf8(&self.s[start..self.i]).expect("ASCII digits");
        let n = digits.parse().map_err(|_| LcoreError::Syntax {
            at: start,
            msg: "number too large",
        })?;
        Ok((n, start))
    }

    /// `N` or `N-M`.
    fn range(&mut self, out: &mut Vec<u32>) -> Result<(), LcoreError> {
        let (a, _) = self.number()?;
        if self.eat(b'-') {
            let (b, at) = self.number()?;
            if b < a {
                return Err(LcoreError::Syntax {
                    at,
                    msg: "range goes backwards (write the lower number first)",
                });
            }
            // Ids past the limits are rejected by the caller: keep the work bounded, and
            // keep `b` so that the error names it.
            let cap = a.saturating_add(MAX_CPU).min(b);
            out.extend(a..=cap);
            if cap < b {
                out.push(b);
            }
        } else {
            out.push(a);
        }
        Ok(())
    }

    /// A range, or `(range,range...)`.
    fn set(&mut self) -> Result<Vec<u32>, LcoreError> {
        let mut v = Vec::new();
        if self.eat(b'(') {
            self.range(&mut v)?;
            while self.eat(b',') {
                self.range(&mut v)?;
            }
            if !self.eat(b')') {
                return Err(self.err("expected `,` or `)`"));
            }
        } else {
            self.range(&mut v)?;
        }
        Ok(v)
    }
}

/// Check a `--lcores` argument and split it into the control lcore and the workers.
pub fn parse_lcores(s: &str) -> Result<LcoreMap, LcoreError> {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    if t.is_empty() {
        return Err(LcoreError::Empty);
    }
    let mut p = Parser {
        s: s.as_bytes(),
        i: 0,
    };
    let mut lcores: Vec<u32> = Vec::new();
    // Leading whitespace other than blanks (a newline from a script) is fine here.
    while p.s.get(p.i).is_some_and(u8::is_ascii_whitespace) {
        p.i += 1;
    }
    loop {
        let set = p.set()?;
        if let Some(&lcore) = set.iter().filter(|&&l| l >= MAX_LCORE).max() {
            return Err(LcoreError::TooHigh {
                lcore,
                max: MAX_LCORE,
            });
        }
        if p.eat(b'@') {
            if let Some(&cpu) = p.set()?.iter().filter(|&&c| c >= MAX_CPU).max() {
                return Err(LcoreError::CpuTooHigh { cpu, max: MAX_CPU });
            }
        }
        for l in set {
            if lcores.contains(&l) {
                return Err(LcoreError::Duplicate(l));
            }
            lcores.push(l);
        }
        let end = p.i;
        match p.peek() {
            None => break,
            Some(b',') => {
                p.i += 1;
                if p.peek().is_none() {
                    return Err(LcoreError::Syntax {
                        at: p.i - 1,
                        msg: "trailing comma",
                    });
                }
            }
            Some(_) if p.s[end..].iter().all(u8::is_ascii_whitespace) => break,
            Some(_) => return Err(p.err("expected `,`, `@` or the end")),
        }
    }
    if lcores.len() < 2 {
        return Err(LcoreError::TooFew {
            count: lcores.len(),
        });
    }
    Ok(LcoreMap {
        control: lcores[0],
        workers: lcores[1..].to_vec(),
        eal_arg: t.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> (u32, Vec<u32>) {
        let m = parse_lcores(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(m.eal_arg, s.trim(), "the EAL gets the argument unchanged");
        (m.control, m.workers)
    }

    fn syntax_at(s: &str) -> usize {
        match parse_lcores(s) {
            Err(LcoreError::Syntax { at, .. }) => at,
            other => panic!("{s:?}: expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn first_lcore_is_control_rest_are_workers() {
        assert_eq!(ok("2-5"), (2, vec![3, 4, 5]));
        assert_eq!(ok("0-1"), (0, vec![1]));
        assert_eq!(ok("0@0,1@1,2@1"), (0, vec![1, 2]));
        assert_eq!(ok("(0,1)@0,2@1"), (0, vec![1, 2]));
        assert_eq!(
            ok("3,1,2"),
            (3, vec![1, 2]),
            "order of appearance, not numeric order"
        );
        assert_eq!(ok("0@(0,1),1@(0-1)"), (0, vec![1]));
        assert_eq!(ok("(4-5,1)@(0,2-3)"), (4, vec![5, 1]));
        assert_eq!(ok("0-1@0,2"), (0, vec![1, 2]));
        assert_eq!(ok("(0,1)"), (0, vec![1]));
        assert_eq!(ok("127@1023,0"), (127, vec![0]));
    }

    #[test]
    fn blanks_as_dpdk_allows() {
        assert_eq!(ok(" 0-1 "), (0, vec![1]));
        assert_eq!(ok("0 - 1"), (0, vec![1]));
        assert_eq!(ok("0 @ ( 0 , 1 ) , 1"), (0, vec![1]));
        assert_eq!(ok("0-1\n"), (0, vec![1]));
    }

    #[test]
    fn errors() {
        assert_eq!(parse_lcores(""), Err(LcoreError::Empty));
        assert_eq!(parse_lcores("  "), Err(LcoreError::Empty));
        assert_eq!(parse_lcores("0"), Err(LcoreError::TooFew { count: 1 }));
        assert_eq!(parse_lcores("1-1"), Err(LcoreError::TooFew { count: 1 }));
        assert_eq!(
            parse_lcores("1-0"),
            Err(LcoreError::Syntax {
                at: 2,
                msg: "range goes backwards (write the lower number first)"
            })
        );
        assert_eq!(parse_lcores("0,0"), Err(LcoreError::Duplicate(0)));
        assert_eq!(parse_lcores("0-3,(2,5)@1"), Err(LcoreError::Duplicate(2)));
        assert_eq!(syntax_at("x"), 0);
        assert_eq!(syntax_at("0@"), 2);
        assert_eq!(syntax_at("0-1@("), 5);
        assert_eq!(syntax_at("0-1@(0"), 6);
        assert_eq!(
            parse_lcores("0,1,"),
            Err(LcoreError::Syntax {
                at: 3,
                msg: "trailing comma"
            })
        );
        assert_eq!(syntax_at("0;1"), 1);
        assert_eq!(syntax_at("0,,1"), 2);
        assert_eq!(syntax_at("(0-1-2)@0,3"), 4);
        assert_eq!(syntax_at("()"), 1);
        assert_eq!(syntax_at("0@1@2,3"), 3);
        assert_eq!(syntax_at(" x"), 1, "offsets count in the argument as given");
        assert_eq!(syntax_at("99999999999,1"), 0);
        assert_eq!(
            parse_lcores("200"),
            Err(LcoreError::TooHigh {
                lcore: 200,
                max: 128
            })
        );
        assert_eq!(
            parse_lcores("0,128"),
            Err(LcoreError::TooHigh {
                lcore: 128,
                max: 128
            })
        );
        assert_eq!(
            parse_lcores("0-4000000000"),
            Err(LcoreError::TooHigh {
                lcore: 4000000000,
                max: 128
            })
        );
        assert_eq!(
            parse_lcores("0@(1,2000-3000),1"),
            Err(LcoreError::CpuTooHigh {
                cpu: 3000,
                max: 1024
            })
        );
        assert_eq!(
            parse_lcores("0@1024,1"),
            Err(LcoreError::CpuTooHigh {
                cpu: 1024,
                max: 1024
            })
        );
    }

    #[test]
    fn messages_say_what_is_wrong() {
        let msg = |s: &str| parse_lcores(s).unwrap_err().to_string();
        assert_eq!(
            msg("0"),
            "dpvpn needs at least two lcores: the first is the control core, the rest are workers (got 1)"
        );
        assert_eq!(
            msg("0,200"),
            "lcore 200 is too high: lcore ids go from 0 to 127"
        );
        assert_eq!(msg("0,0"), "lcore 0 is listed twice");
        assert_eq!(
            msg("0@"),
            "at character 3: expected a number, found the end"
        );
        assert_eq!(msg("0,1,"), "at character 4: trailing comma");
        assert!(msg("").contains("empty"));
    }

    /// Whatever the input, the parser answers without panicking, and what it accepts has
    /// at least two distinct lcores below the limit.
    #[test]
    fn garbage_never_panics() {
        let alphabet = b"0123456789@(),- x";
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            let mut s = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            for k in 0..(state % 12) {
                s.push(alphabet[((state >> (4 * k)) % alphabet.len() as u64) as usize] as char);
            }
            if let Ok(m) = parse_lcores(&s) {
                let mut all = m.workers.clone();
                all.push(m.control);
                all.sort_unstable();
                all.dedup();
                assert_eq!(all.len(), m.workers.len() + 1, "{s:?}");
                assert!(all.iter().all(|&l| l < MAX_LCORE), "{s:?}");
            }
        }
    }
}
