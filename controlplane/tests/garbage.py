#!/usr/bin/env python3
"""Send random, truncated and malformed frames out of DEV towards MAC.

usage: garbage.py DEV DST_MAC COUNT

Used by the lab tests: dpvpn must count and drop all of these and keep forwarding.
Raw AF_PACKET, no scapy, so it is fast enough to send tens of thousands of frames.
"""
import os
import random
import socket
import struct
import sys

dev, mac, count = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), int(sys.argv[3])
rng = random.Random(1234)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
src = bytes([0x02, 0x66, 0x75, 0x7A, 0x7A, 0x01])


def rb(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def ip_header(total_len, ihl=5, version=4, good_checksum=True, proto=17):
    h = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, 0, total_len, 0, 0, 64, proto, 0,
                    bytes([192, 0, 2, 2]), bytes([198, 51, 100, 2]))
    h += b"\x00" * (ihl * 4 - 20) if ihl > 5 else b""
    if good_checksum:
        c = sum(struct.unpack("!%dH" % (len(h) // 2), h))
        c = (c & 0xFFFF) + (c >> 16)
        c = (c & 0xFFFF) + (c >> 16)
        h = h[:10] + struct.pack("!H", ~c & 0xFFFF) + h[12:]
    else:
        h = h[:10] + b"\xde\xad" + h[12:]
    return h


kinds = []
kinds.append(lambda: rb(rng.randint(1, 13)))  # runt: the kernel refuses these (< 14 bytes)
kinds.append(lambda: mac + src + b"\x08\x00" + rb(rng.randint(0, 19)))  # IPv4 truncated
kinds.append(lambda: mac + src + b"\x08\x00" + ip_header(60, good_checksum=False) + rb(40))  # bad checksum
kinds.append(lambda: mac + src + b"\x08\x00" + ip_header(60, version=6) + rb(40))  # bad version
kinds.append(lambda: mac + src + b"\x08\x00" + ip_header(60, ihl=3) + rb(40))  # bad IHL
kinds.append(lambda: mac + src + b"\x08\x00" + ip_header(1400) + rb(20))  # total length past the end
kinds.append(lambda: mac + src + b"\x08\x00" + ip_header(10) + rb(20))  # total length below the header
kinds.append(lambda: mac + src + struct.pack("!H", rng.choice([0x1234, 0x88cc, 0x9000, 0x0842])) + rb(50))
kinds.append(lambda: b"\xff" * 6 + src + b"\x08\x06" + rb(rng.randint(0, 27)))  # ARP cut short
kinds.append(lambda: b"\xff" * 6 + src + b"\x08\x06" + struct.pack("!HHBBH", 6, 0x0800, 6, 4, 1) + rb(20))  # ARP, wrong htype
kinds.append(lambda: mac + src + b"\x81\x00" + rb(rng.randint(0, 60)))  # VLAN tag, no VLAN configured
kinds.append(lambda: rb(rng.randint(14, 1514)))  # anything at all
kinds.append(lambda: mac + rb(rng.randint(8, 1500)))  # anything, to us

sent = 0
for i in range(count):
    frame = kinds[i % len(kinds)]()
    try:
        s.send(frame)
        sent += 1
    except OSError:
        pass  # the kernel refuses some (e.g. shorter than its minimum); that is fine
print("sent %d of %d frames on %s" % (sent, count, dev))
