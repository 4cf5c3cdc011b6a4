#!/usr/bin/env bash
# Install what dpvpn needs to build, run and test, from Debian 12's packages and
# crates.io. Safe to run again: it only installs what is missing.
set -euo pipefail

pkgs=(dpdk dpdk-dev libdpdk-dev pkg-config clang libclang-dev gcc make
      iproute2 iputils-ping iperf3 ethtool tcpdump tshark python3 python3-scapy
      procps psmisc curl ca-certificates pppoe)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; the default (no) is fine.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "deps: no cargo found; installing Rust with rustup from static.rust-lang.org"
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi
pkg-config --exists libdpdk || { echo "deps: libdpdk not found by pkg-config after install" >&2; exit 1; }
