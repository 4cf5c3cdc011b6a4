//! Errors, located: byte spans to file, line, column and key path, serde's messages in
//! TOML's words, and "did you mean" for a misspelt key.

use std::collections::HashMap;
use std::fmt;
use std::ops::{Range, RangeInclusive};
use std::path::{Path, PathBuf};

use super::raw::Int;

/// A configuration error, located. `Display`:
/// `FILE:LINE:COLUMN: KEY: MESSAGE`, or `cannot read FILE: ERROR` when the file could not
/// be read (then `line` and `column` are 0).
#[derive(Debug)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based; 0 when the file could not be read.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// Key path, e.g. `port[1].addresses[0]`; `port[1]` is the second `[[port]]` table.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            return f.write_str(&self.message);
        }
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

pub(super) struct Ctx<'a> {
    pub(super) text: &'a str,
    pub(super) file: &'a Path,
}

impl Ctx<'_> {
    /// 1-based line and column (in characters) of a byte offset.
    pub(super) fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1)
    }

    pub(super) fn line(&self, span: &Range<usize>) -> usize {
        self.line_col(span.start).0
    }

    pub(super) fn at(&self, span: Range<usize>, key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        let (line, column) = self.line_col(span.start);
        ConfigError { file: self.file.to_path_buf(), line, column, key: key.into(), message: message.into() }
    }

    /// An error from the TOML parser or from serde, with the key path worked out from the
    /// span it carries.
    pub(super) fn toml_error(&self, e: &toml::de::Error) -> ConfigError {
        let span = e.span().unwrap_or(0..0);
        let message = tidy_serde_message(e.message());
        let mut key = match toml::from_str::<tree::Node>(self.text) {
            Ok(root) => root.path_at(&span),
            // Not even TOML: read the key off the text.
            Err(_) => self.key_from_text(span.start),
        };
        // The span of an unknown or duplicate key is the key itself, inside its table.
        let named = ["unknown key `", "duplicate key `"]
            .iter()
            .find_map(|p| message.strip_prefix(p).and_then(|r| r.split('`').next()));
        if let Some(name) = named.map(key_segment) {
            if key != name && !key.ends_with(&format!(".{name}")) {
                key = if key.is_empty() { name } else { format!("{key}.{name}") };
            }
        }
        self.at(span, key, message)
    }

    /// The key path at `offset` for text that does not parse: the table header in force
    /// (counting `[[array]]` entries) and the `key =` on the offset's line.
    fn key_from_text(&self, offset: usize) -> String {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[offset..].find('\n').map_or(self.text.len(), |i| offset + i);
        let mut table = String::new();
        let mut counts: HashMap<String, usize> = HashMap::new();
        for l in self.text[..line_end].lines() {
            let t = l.trim();
            if let Some(name) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
                let n = counts.entry(name.trim().to_string()).or_insert(0);
                table = format!("{}[{}]", name.trim(), *n);
                *n += 1;
            } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
                table = name.trim().to_string();
            }
        }
        let line = self.text[line_start..line_end].trim();
        let key = match line.split_once('=') {
            Some((k, _)) if !line.starts_with('[') && !line.starts_with('#') => k.trim(),
            _ => "",
        };
        match (table.is_empty(), key.is_empty()) {
            (_, true) => table,
            (true, false) => key.to_string(),
            (false, false) => format!("{table}.{key}"),
        }
    }

    /// An integer key: its default when absent, else checked against `range`.
    pub(super) fn int<T: TryFrom<i64> + Copy>(
        &self,
        v: &Int,
        key: &str,
        default: T,
        range: RangeInclusive<i64>,
    ) -> Result<T, ConfigError> {
        let Some(s) = v else { return Ok(default) };
        let x = *s.get_ref();
        if !range.contains(&x) {
            let (lo, hi) = (range.start(), range.end());
            let size = if x < *lo { "small" } else { "large" };
            return Err(self.at(s.span(), key, format!("{x} is too {size} (the range is {lo}..={hi})")));
        }
        Ok(T::try_from(x).ok().expect("range fits the type"))
    }

    pub(super) fn power_of_two<T: TryFrom<i64> + Copy + Into<u64>>(
        &self,
        v: &Int,
        key: &str,
        default: T,
        range: RangeInclusive<i64>,
    ) -> Result<T, ConfigError> {
        let x = self.int(v, key, default, range)?;
        let n: u64 = x.into();
        if !n.is_power_of_two() {
            let span = v.as_ref().map_or(0..0, |s| s.span());
            let below = 1u64 << (63 - n.leading_zeros());
            return Err(self.at(span, key, format!("{n} is not a power of two (e.g. {below} or {})", below * 2)));
        }
        Ok(x)
    }
}

/// A key as it appears in a key path: bare if TOML allows it bare, else quoted.
pub(super) fn key_segment(k: &str) -> String {
    if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        k.to_string()
    } else {
        format!("{k:?}")
    }
}

/// Serde's words for TOML's, and no Rust type names.
fn tidy_serde_message(m: &str) -> String {
    let m = m.trim().lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ");
    let m = m
        .replace("missing field `", "missing key `")
        .replace("unknown field `", "unknown key `")
        .replace("expected i64", "expected an integer")
        .replace("expected a sequence", "expected an array")
        .replace("invalid type: sequence", "invalid type: array")
        .replace("invalid type: map", "invalid type: table")
        .replace("floating point", "float");
    match suggestion(&m) {
        Some(s) => format!("{m} (did you mean `{s}`?)"),
        None => m,
    }
}

/// For "unknown key `adresses`, expected one of `name`, `addresses`, ...": the expected
/// key closest to the typo, if it is close.
fn suggestion(m: &str) -> Option<&str> {
    let rest = m.strip_prefix("unknown key `")?;
    let (typo, rest) = rest.split_once('`')?;
    let expected = rest.split_once("expected")?.1;
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|k| (edit_distance(typo, k), k))
        .filter(|&(d, k)| d <= 2.max(k.len() / 4))
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = (diag + usize::from(ca != *cb)).min(row[j] + 1).min(up + 1);
            diag = up;
        }
    }
    row[b.len()]
}

/// The document as a tree of value spans, to name the key path of a serde error's span.
///
/// `toml::Spanned` cannot hold every node: an implicit table (`[a.b]` makes `a`, dotted
/// keys make their parents) has no span, and `Spanned` refuses it. So this speaks the
/// `serde_spanned` protocol (`serde_spanned::__unstable`: a struct of that name whose map
/// carries start, end and value) and takes a plain value when the parser offers no span.
/// Should the protocol change, every span is `None` and [`Ctx::key_from_text`] answers.
pub(super) mod tree {
    use std::ops::Range;

    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

    const NAME: &str = "$__serde_spanned_private_Spanned";
    const START: &str = "$__serde_spanned_private_start";
    const END: &str = "$__serde_spanned_private_end";
    const VALUE: &str = "$__serde_spanned_private_value";

    pub struct Node {
        span: Option<Range<usize>>,
        kind: Kind,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Shape {
        Table,
        Array,
        Value,
    }

    enum Kind {
        Table(Vec<(String, Node)>),
        Array(Vec<Node>),
        Leaf,
    }

    impl Node {
        fn plain(kind: Kind) -> Node {
            Node { span: None, kind }
        }

        /// The value of `key` in this table.
        pub fn get(&self, key: &str) -> Option<&Node> {
            match &self.kind {
                Kind::Table(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
                _ => None,
            }
        }

        /// This table's keys, in file order, with where their values are and whether they
        /// are a table or an array.
        pub fn entries(&self) -> Vec<(&str, Range<usize>, Shape)> {
            let Kind::Table(entries) = &self.kind else {
                return Vec::new();
            };
            entries
                .iter()
                .map(|(k, v)| {
                    let shape = match v.kind {
                        Kind::Table(_) => Shape::Table,
                        Kind::Array(_) => Shape::Array,
                        Kind::Leaf => Shape::Value,
                    };
                    (k.as_str(), v.first_span().unwrap_or(0..0), shape)
                })
                .collect()
        }

        /// Its own span, or the first one inside it (implicit tables have none).
        fn first_span(&self) -> Option<Range<usize>> {
            self.span.clone().or_else(|| match &self.kind {
                Kind::Table(entries) => entries.iter().find_map(|(_, v)| v.first_span()),
                Kind::Array(items) => items.iter().find_map(Node::first_span),
                Kind::Leaf => None,
            })
        }

        /// The path of the innermost value whose span holds `span.start`.
        pub fn path_at(&self, span: &Range<usize>) -> String {
            let mut best: Option<(usize, usize, String)> = None;
            self.visit(String::new(), 0, span.start, &mut best);
            best.map(|(_, _, p)| p).unwrap_or_default()
        }

        fn visit(&self, path: String, depth: usize, at: usize, best: &mut Option<(usize, usize, String)>) {
            if let Some(s) = &self.span {
                if s.start <= at && at < s.end.max(s.start + 1) {
                    let len = s.end - s.start;
                    if best.as_ref().is_none_or(|(l, d, _)| len < *l || (len == *l && depth > *d)) {
                        *best = Some((len, depth, path.clone()));
                    }
                }
            }
            match &self.kind {
                Kind::Table(entries) => {
                    for (k, v) in entries {
                        let k = super::key_segment(k);
                        let p = if path.is_empty() { k } else { format!("{path}.{k}") };
                        v.visit(p, depth + 1, at, best);
                    }
                }
                Kind::Array(items) => {
                    for (i, v) in items.iter().enumerate() {
                        v.visit(format!("{path}[{i}]"), depth + 1, at, best);
                    }
                }
                Kind::Leaf => {}
            }
        }
    }

    impl<'de> serde::Deserialize<'de> for Node {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
            d.deserialize_struct(NAME, &[START, END, VALUE], NodeVisitor)
        }
    }

    /// The value inside a spanned map: a node without asking for a span again.
    struct Inner;

    impl<'de> DeserializeSeed<'de> for Inner {
        type Value = Node;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
            d.deserialize_any(NodeVisitor)
        }
    }

    struct NodeVisitor;

    impl<'de> Visitor<'de> for NodeVisitor {
        type Value = Node;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a TOML value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
            Ok(Node::plain(Kind::Leaf))
        }
        fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
            Ok(Node::plain(Kind::Leaf))
        }
        fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
            Ok(Node::plain(Kind::Leaf))
        }
        fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
            Ok(Node::plain(Kind::Leaf))
        }
        fn visit_str<E>(self, _: &str) -> Result<Node, E> {
            Ok(Node::plain(Kind::Leaf))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
            let mut items = Vec::new();
            while let Some(v) = seq.next_element()? {
                items.push(v);
            }
            Ok(Node::plain(Kind::Array(items)))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
            let mut entries = Vec::new();
            let (mut start, mut end, mut value) = (None, None, None);
            while let Some(k) = map.next_key::<String>()? {
                match k.as_str() {
                    START if entries.is_empty() => start = Some(map.next_value::<usize>()?),
                    END if entries.is_empty() => end = Some(map.next_value::<usize>()?),
                    VALUE if entries.is_empty() => value = Some(map.next_value_seed(Inner)?),
                    _ => entries.push((k, map.next_value()?)),
                }
            }
            Ok(match (start, end, value) {
                (Some(s), Some(e), Some(mut v)) => {
                    v.span = Some(s..e);
                    v
                }
                _ => Node::plain(Kind::Table(entries)),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{err, GOOD};

    #[test]
    fn key_paths_of_serde_errors() {
        // Inside a multi-line array, a dotted key, an inline table, a later [[port]].
        let e = err(&GOOD.replace("[\"198.51.100.1/24\"]", "[\n  \"198.51.100.1/24\",\n  7,\n]"));
        assert_eq!((e.line, e.column, e.key.as_str()), (16, 3, "port[1].addresses[1]"), "{e}");
        let e = err(&format!("dpdk.burst = \"x\"\n{}", GOOD.replace("[dpdk]\nno_huge = true\n", "")));
        assert_eq!((e.line, e.key.as_str()), (1, "dpdk.burst"), "{e}");
        let e = err(&format!("{GOOD}\n[[port]]\nname = \"x\"\nrole = \"access\"\n"));
        assert_eq!((e.line, e.column, e.key.as_str()), (20, 1, "port[2]"), "{e}");
        assert!(e.message.contains("missing key `device`"), "{e}");
        let e = err("port = [{ name = \"a\", device = \"net_null0\", role = \"access\", mtu = 1.5 }]\n");
        assert_eq!((e.line, e.column, e.key.as_str()), (1, 68, "port[0].mtu"), "{e}");
        assert!(e.message.contains("invalid type: float `1.5`, expected an integer"), "{e}");
        let e = err("[dpdk.x]\n");
        assert_eq!(e.key, "dpdk.x", "{e}");
        let e = err("dpdk = 3\n");
        assert_eq!(e.message, "invalid type: integer `3`, expected a table", "{e}");
        let e = err("[[dpdk]]\nno_huge = true\n");
        assert_eq!((e.line, e.column, e.key.as_str()), (1, 1, "dpdk"), "{e}");
        assert!(e.message.contains("write [dpdk], not [[dpdk]]"), "{e}");
        let e = err(&GOOD.replace("[[route]]", "[route]"));
        assert_eq!((e.line, e.column, e.key.as_str()), (16, 1, "route"), "{e}");
        assert!(e.message.contains("write [[route]], once per route"), "{e}");
    }

    #[test]
    fn syntax_errors_fall_back_to_the_text() {
        let e = err("[dpdk]\nno_huge = tru\n");
        assert_eq!((e.line, e.column, e.key.as_str()), (2, 11, "dpdk.no_huge"), "{e}");
        let e = err(&format!("{GOOD}[[port]]\nname = \"x\" \"y\"\n"));
        assert_eq!((e.line, e.column, e.key.as_str()), (20, 12, "port[2].name"), "{e}");
    }

    #[test]
    fn unknown_keys_suggest_the_right_one() {
        let e = err(&GOOD.replace("no_huge", "no_hugepages"));
        assert!(e.message.starts_with("unknown key `no_hugepages`, expected one of"), "{e}");
        let e = err(&GOOD.replace("[dpdk]", "[dpkd]"));
        assert_eq!(e.key, "dpkd", "{e}");
        assert!(e.message.ends_with("(did you mean `dpdk`?)"), "{e}");
        let e = err(&GOOD.replace("[[port]]", "[[ports]]"));
        assert!(e.message.ends_with("(did you mean `port`?)"), "{e}");
    }
}
