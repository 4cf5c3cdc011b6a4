#!/usr/bin/env bash
# Fuzz every wire parser with libFuzzer (cargo-fuzz), one target per format.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 10 s, every target)
# Each target runs `wire::<format>::fuzz`: views, TLV readers, Repr round trips. A crash
# stops the script non-zero; the input is kept in fuzz/artifacts/<target>/ and belongs in
# a regression test. Corpora grow in fuzz/corpus/<target>/ (not committed).
# Runs on the stable toolchain: without a sanitizer (`-s none`; `wire` has no unsafe
# code), with debug assertions and overflow checks on.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
secs=${1:-10}
shift || true
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz from crates.io"
  cargo install cargo-fuzz --locked
fi
cd fuzz
targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(cargo fuzz list)
fi
for t in "${targets[@]}"; do cargo fuzz build -s none "$t"; done
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "== fuzz $t (${secs}s)"
  # -timeout: no single input may take a second; -rss_limit_mb: nothing grows without
  # bound. Output is long; keep the last lines, or all of it on failure.
  if ! cargo fuzz run -s none "$t" "corpus/$t" -- -max_total_time="$secs" -timeout=1 \
       -rss_limit_mb=1024 -print_final_stats=1 > "/tmp/dpvpn-fuzz-$t.log" 2>&1; then
    cat "/tmp/dpvpn-fuzz-$t.log" | tail -60
    echo "fuzz: target $t failed; the input is in fuzz/artifacts/$t/" >&2
    exit 1
  fi
  grep -E "^(Done|stat::number_of_executed_units|stat::new_units_added)" "/tmp/dpvpn-fuzz-$t.log" | tr '\n' ' '
  echo
done
echo "== fuzz: ${#targets[@]} targets, ${secs}s each, no crash"
