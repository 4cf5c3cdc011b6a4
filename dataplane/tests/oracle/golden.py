#!/usr/bin/python3
"""Golden packets for dataplane/tests/wire_*.rs, built by scapy (not by dpvpn).

    /usr/bin/python3 dataplane/tests/oracle/golden.py          # print NAME hex, one a line
    /usr/bin/python3 dataplane/tests/oracle/golden.py --check  # compare with the tests

The Rust tests hold the hex verbatim; `--check` fails if any constant there differs
from what this scapy builds, so the two cannot drift apart. Each packet's expression is
also quoted in a comment above its constant.
"""
import os
import re
import sys

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (ARP, ICMP, IP, PPP, TCP, UDP, Dot1Q, Ether, IPOption_RR,  # noqa: E402
                       PPPoE, PPPoED, Padding, Raw)

A = "02:00:00:00:00:01"   # dpvpn's port
B = "02:00:00:00:00:02"   # a subscriber
BC = "ff:ff:ff:ff:ff:ff"
R = "192.0.2.1"           # dpvpn's address
S = "192.0.2.2"           # subscriber
I = "198.51.100.2"        # a host on the Internet

# The datagram quoted by the ICMP errors: 1500 bytes, DF, a full-size TCP segment.
ORIG_TCP = bytes(IP(src=S, dst=I, flags="DF", id=0x99, ttl=63)
                 / TCP(sport=40000, dport=443, flags="A", seq=1, ack=1) / (b"Z" * 1460))
# A traceroute probe whose TTL ran out: short enough to be quoted whole.
ORIG_UDP = bytes(IP(src=S, dst=I, ttl=1, id=0x77) / UDP(sport=33434, dport=33435) / b"traceroute")

SYN_OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (12345, 0)), ("NOP", None), ("WScale", 7)]
ODD_OPTS = [("NOP", None), ("MSS", 1460), ("NOP", None), ("WScale", 7), ("NOP", None),
            ("NOP", None), ("SAckOK", b"")]


def syn(opts, mss=None):
    if mss is not None:
        opts = [(k, mss if k == "MSS" else v) for k, v in opts]
    return IP(src=S, dst=I, id=1) / TCP(sport=40000, dport=80, flags="S", seq=0x01020304,
                                        window=64240, options=opts)


def udp_zero_sum():
    """A UDP datagram whose computed checksum is 0, which must be sent as 0xffff."""
    base = IP(src=S, dst=I) / UDP(sport=1701, dport=1701)
    # With a zero word the sum is S and the checksum ~S; a payload word of ~S makes the
    # sum 0xffff and the checksum 0.
    c = IP(bytes(base / b"\x00\x00"))[UDP].chksum
    return base / c.to_bytes(2, "big")


PACKETS = {
    # Ethernet / VLAN
    "ETH_UNTAGGED": Ether(dst=A, src=B) / IP(src=S, dst=R) / ICMP(),
    "ETH_DOT1Q": Ether(dst=A, src=B) / Dot1Q(vlan=10, prio=3, id=1) / IP(src=S, dst=R) / ICMP(),
    "ETH_QINQ_88A8": Ether(dst=A, src=B, type=0x88a8) / Dot1Q(vlan=100, prio=5) / Dot1Q(vlan=200)
    / IP(src=S, dst=R),
    "ETH_QINQ_8100": Ether(dst=A, src=B) / Dot1Q(vlan=10) / Dot1Q(vlan=20) / IP(src=S, dst=R) / ICMP(),
    "ETH_QINQ_9100_PPPOE": Ether(dst=A, src=B, type=0x9100) / Dot1Q(vlan=300, prio=7, id=1)
    / Dot1Q(vlan=4094) / PPPoE(sessionid=0x1234) / PPP(proto=0x0021) / IP(src=S, dst=I),
    "ETH_PADI": Ether(dst=BC, src=B) / PPPoED(code=0x09),
    "ETH_THREE_TAGS": Ether(dst=A, src=B, type=0x88a8) / Dot1Q(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3)
    / IP(src=S, dst=R),
    "ETH_INNER_S_TAG": Ether(dst=A, src=B, type=0x88a8) / Dot1Q(vlan=1, type=0x88a8) / Dot1Q(vlan=2)
    / IP(src=S, dst=R),
    # ARP
    "ARP_REQUEST": Ether(dst=BC, src=B) / ARP(op=1, hwsrc=B, psrc=S, pdst=R) / Padding(load=b"\x00" * 18),
    "ARP_REPLY": Ether(dst=B, src=A) / ARP(op=2, hwsrc=A, psrc=R, hwdst=B, pdst=S),
    "ARP_IEEE802": ARP(hwtype=6, op=1, hwsrc=B, psrc=S, pdst=R),
    # IPv4
    "IPV4_OPTIONS": IP(src=S, dst=I, ttl=17, id=0x1234, flags="DF", tos=0xb8,
                       options=[IPOption_RR(routers=[R])]) / UDP(sport=1234, dport=53) / b"hello",
    # The same after one hop: what decrement_ttl_incremental must produce.
    "IPV4_OPTIONS_TTL16": IP(src=S, dst=I, ttl=16, id=0x1234, flags="DF", tos=0xb8,
                             options=[IPOption_RR(routers=[R])]) / UDP(sport=1234, dport=53) / b"hello",
    "IPV4_FIRST_FRAGMENT": IP(src=S, dst=I, id=0x4242, flags="MF", frag=0, proto=17) / Raw(b"x" * 16),
    "IPV4_LAST_FRAGMENT": IP(src=S, dst=I, id=0x4242, flags=0, frag=185, proto=17) / Raw(b"y" * 16),
    # ICMP
    "ICMP_ECHO_REQUEST": IP(src=S, dst=I, id=7) / ICMP(type=8, id=0x1234, seq=1) / b"abcdefghijklmnop",
    "ICMP_ECHO_REPLY": IP(src=I, dst=S, id=8) / ICMP(type=0, id=0x1234, seq=1) / b"abcdefghijklmnop",
    "ICMP_FRAG_NEEDED_28": IP(src=R, dst=S, tos=0xc0, id=0) / ICMP(type=3, code=4, nexthopmtu=1492)
    / ORIG_TCP[:28],
    "ICMP_FRAG_NEEDED_548": ICMP(type=3, code=4, nexthopmtu=1492) / ORIG_TCP[:548],
    "ICMP_TIME_EXCEEDED": IP(src=R, dst=S, tos=0xc0, id=0) / ICMP(type=11, code=0) / ORIG_UDP,
    "ICMP_PORT_UNREACHABLE": ICMP(type=3, code=3) / ORIG_UDP,
    # UDP
    "UDP_L2TP": IP(src=S, dst=I) / UDP(sport=1701, dport=1701) / bytes.fromhex("c802001400010000000000000000"),
    "UDP_ODD_NO_CHECKSUM": IP(src=S, dst=I) / UDP(sport=1234, dport=53, chksum=0) / b"hello",
    "UDP_ODD": IP(src=S, dst=I) / UDP(sport=1234, dport=53) / b"hello",
    "UDP_ZERO_SUM": udp_zero_sum(),
    # TCP
    "TCP_SYN": syn(SYN_OPTS),
    "TCP_SYN_MSS1400": syn(SYN_OPTS, 1400),
    "TCP_SYN_ODD_MSS": syn(ODD_OPTS),
    "TCP_SYN_ODD_MSS1400": syn(ODD_OPTS, 1400),
    "TCP_ACK_SACK": IP(src=I, dst=S, id=2) / TCP(sport=80, dport=40000, flags="A", seq=5000, ack=7000,
                                                  window=501, options=[("NOP", None), ("NOP", None),
                                                                       ("Timestamp", (1, 2)), ("NOP", None),
                                                                       ("NOP", None),
                                                                       ("SAck", (1000, 2000, 3000, 4000))])
    / b"data",
    "TCP_ALL_FLAGS_UNKNOWN_OPT": IP(src=S, dst=I, id=3) / TCP(sport=1, dport=2, flags="FSRPAUEC", urgptr=9,
                                                             options=[(30, b"\x00\x81\x02\x03"), ("EOL", None)])
    / b"!",
}


def table():
    return {name: bytes(p).hex() for name, p in PACKETS.items()}


def main():
    golden = table()
    if "--check" not in sys.argv:
        for name, h in golden.items():
            print(name, h)
        return
    here = os.path.dirname(os.path.abspath(__file__))
    found = {}
    for fn in sorted(os.listdir(os.path.join(here, ".."))):
        if fn.startswith("wire_") and fn.endswith(".rs"):
            src = open(os.path.join(here, "..", fn)).read()
            for name, h in re.findall(r'const ([A-Z0-9_]+): &str =\s*"([0-9a-f]+)";', src):
                found[name] = (fn, h)
    bad = 0
    checked = 0
    for name, (fn, h) in sorted(found.items()):
        if name.endswith("_HEAD"):
            # A long packet abbreviated to its head; the test pads it with b"Z" (0x5a).
            name = name[: -len("_HEAD")]
            h = h + "5a" * ((len(golden.get(name, "")) - len(h)) // 2)
            found[name] = (fn, h)
        if name not in golden:
            # Golden bytes of another origin (an RFC, a capture): not scapy's to check.
            continue
        checked += 1
        if golden[name] != h:
            print(f"{fn}: {name} differs from scapy's", file=sys.stderr)
            bad += 1
    # A packet here that no test holds (renamed, dropped, or no longer matched by the
    # pattern above) would let the check pass without checking it: that fails too.
    missing = sorted(set(golden) - set(found))
    for name in missing:
        print(f"{name} is not used by any test", file=sys.stderr)
    print(f"{checked} of {len(golden)} scapy packets checked against the tests, {bad} differ, "
          f"{len(missing)} unused")
    sys.exit(1 if bad or missing or checked == 0 else 0)


if __name__ == "__main__":
    main()
