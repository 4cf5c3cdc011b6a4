#!/usr/bin/env bash
# Fuzz every wire parser with libFuzzer (cargo-fuzz), one target per format.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 10 s, every target)
# Each target runs `wire::<format>::fuzz`: views, TLV readers, Repr round trips. Those
# entry points exist only with `--cfg fuzzing`, which cargo-fuzz sets (we never pass
# --no-cfg-fuzzing: a target would not even build without it). A crash stops the script
# non-zero; the input is kept in fuzz/artifacts/<target>/ and belongs in a regression test.
# Corpora grow in fuzz/corpus/<target>/ (not committed).
# Before fuzzing, the wire tests run once more with `--cfg fuzzing`: the property and
# regression tests that call the fuzz entry points compile only then.
# Runs on the stable toolchain: without a sanitizer (`-s none`; `wire` has no unsafe
# code), with debug assertions and overflow checks on.
# It fails, rather than passing with nothing done, when it finds no target, when the
# targets and the wire parsers do not match one to one, or when a target runs no input.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
secs=${1:-10}
shift || true
die() {
  echo "fuzz: $*" >&2
  exit 1
}

# ---- the parsers and their targets, one to one ----
# A parser is a wire module with a fuzz entry point; every `pub mod` of wire/mod.rs is one,
# but for these (reason after the colon):
not_parsers=(
  "checksum: arithmetic, no format"
  "tlv: the one TLV reader, driven by every TLV format's fuzz entry"
)
mapfile -t modules < <(sed -n 's/^pub mod \([a-z0-9_]*\);$/\1/p' dataplane/src/wire/mod.rs | sort)
((${#modules[@]} > 0)) || die "no \`pub mod\` found in dataplane/src/wire/mod.rs"
parsers=()
for m in "${modules[@]}"; do
  exempt=0
  for e in "${not_parsers[@]}"; do [[ ${e%%:*} == "$m" ]] && exempt=1; done
  ((exempt)) && continue
  src=dataplane/src/wire/$m.rs
  [[ -f $src ]] || src=dataplane/src/wire/$m/mod.rs
  grep -Eq '^pub fn fuzz\(data: &\[u8\]\)' "$src" || die "wire::$m has no \`pub fn fuzz(data: &[u8])\` in $src"
  grep -B3 -E '^pub fn fuzz\(' "$src" | grep -q '^#\[cfg(fuzzing)\]' ||
    die "wire::$m::fuzz is not behind #[cfg(fuzzing)] ($src)"
  parsers+=("$m")
done

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz from crates.io"
  cargo install cargo-fuzz --locked
fi
cd fuzz
listed=$(cargo fuzz list) || die "\`cargo fuzz list\` failed (in fuzz/)"
mapfile -t all < <(printf '%s\n' "$listed" | sed '/^[[:space:]]*$/d' | sort)
((${#all[@]} > 0)) || die "\`cargo fuzz list\` lists no target (fuzz/Cargo.toml)"
missing=$(comm -23 <(printf '%s\n' "${parsers[@]}") <(printf '%s\n' "${all[@]}"))
extra=$(comm -13 <(printf '%s\n' "${parsers[@]}") <(printf '%s\n' "${all[@]}"))
[[ -z $missing ]] || die "wire parsers without a fuzz target: $(echo $missing)"
[[ -z $extra ]] || die "fuzz targets that are no wire parser: $(echo $extra)"
for t in "${all[@]}"; do
  grep -q "dataplane::wire::$t::fuzz(data)" "fuzz_targets/$t.rs" ||
    die "fuzz_targets/$t.rs does not call dataplane::wire::$t::fuzz"
done

targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=("${all[@]}")
fi
for t in "${targets[@]}"; do
  printf '%s\n' "${all[@]}" | grep -qx -- "$t" || die "no fuzz target \`$t\` (there are: ${all[*]})"
done
cd ..

echo "== wire tests with --cfg fuzzing (those that call the fuzz entry points)"
# A target dir of their own: other flags would rebuild the ordinary one from scratch.
RUSTFLAGS="${RUSTFLAGS:-} --cfg fuzzing" CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}/cfg-fuzzing" \
  cargo test -p dataplane --no-default-features --lib --test 'wire_*'

cd fuzz
for t in "${targets[@]}"; do cargo fuzz build -s none "$t"; done
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "== fuzz $t (${secs}s)"
  # -timeout: no single input may take a second; -rss_limit_mb: nothing grows without
  # bound. Output is long; keep the last lines, or all of it on failure.
  if ! cargo fuzz run -s none "$t" "corpus/$t" -- -max_total_time="$secs" -timeout=1 \
       -rss_limit_mb=1024 -print_final_stats=1 > "/tmp/dpvpn-fuzz-$t.log" 2>&1; then
    tail -60 "/tmp/dpvpn-fuzz-$t.log"
    die "target $t failed; the input is in fuzz/artifacts/$t/"
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "/tmp/dpvpn-fuzz-$t.log")
  if [[ -z $runs || $runs -eq 0 ]]; then
    tail -30 "/tmp/dpvpn-fuzz-$t.log"
    die "target $t ran no input"
  fi
  grep -E "^(Done|stat::number_of_executed_units|stat::new_units_added)" "/tmp/dpvpn-fuzz-$t.log" | tr '\n' ' '
  echo
done
echo "== fuzz: ${#targets[@]} targets, ${secs}s each, no crash"
