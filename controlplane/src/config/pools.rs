//! `[[pool]]`: subscriber address pools, checked by the allocator itself.

use toml::Spanned;

use super::error::{ConfigError, Ctx};
use super::raw::RawPool;

pub(super) fn check_pools(cx: &Ctx, raw: &[Spanned<RawPool>]) -> Result<Vec<crate::pool::PoolConfig>, ConfigError> {
    use crate::pool::{PoolConfig, PoolRange, Pools};
    let mut out: Vec<PoolConfig> = Vec::new();
    for (i, p) in raw.iter().enumerate() {
        let p = p.get_ref();
        let key = |k: &str| format!("pool[{i}].{k}");
        let name = p.name.get_ref();
        if name.is_empty()
            || name.len() > 32
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(cx.at(
                p.name.span(),
                key("name"),
                format!("{name:?} is not a pool name (1 to 32 letters, digits, `_`, `-`)"),
            ));
        }
        if let Some(j) = out.iter().position(|q| &q.name == name) {
            return Err(cx.at(p.name.span(), key("name"), format!("pool {name:?} is already defined by pool[{j}]")));
        }
        if p.ranges.get_ref().is_empty() {
            return Err(cx.at(
                p.ranges.span(),
                key("ranges"),
                "a pool needs at least one range (e.g. \"100.64.0.0/12\")",
            ));
        }
        let parse = |list: &[Spanned<String>], what: &str| -> Result<Vec<PoolRange>, ConfigError> {
            list.iter()
                .enumerate()
                .map(|(k, r)| {
                    PoolRange::parse(r.get_ref()).map_err(|m| cx.at(r.span(), format!("pool[{i}].{what}[{k}]"), m))
                })
                .collect()
        };
        let mut c = PoolConfig::new(name, parse(p.ranges.get_ref(), "ranges")?);
        c.exclude = parse(&p.exclude, "exclude")?;
        if let Some(b) = p.skip_prefix_ends {
            c.skip_prefix_ends = b;
        }
        if let Some(b) = p.skip_dot0_dot255 {
            c.skip_dot0_dot255 = b;
        }
        out.push(c);
        // Overlaps and sizes are the allocator's own checks: run them now, so a bad pool
        // stops dpvpn before it starts, naming the pool it found wrong.
        if let Err(e) = Pools::new(&out) {
            return Err(cx.at(raw[i].span(), format!("pool[{i}]"), e.to_string()));
        }
    }
    Ok(out)
}
