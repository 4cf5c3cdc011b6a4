#!/usr/bin/python3
"""A PPPoE subscriber written with scapy: an implementation of the client side that is
not dpvpn's own, to dial dpvpn over the lab's access link and check what it answers.

    ip netns exec sub python3 scapy_pppoe_client.py IFACE USER PASSWORD [--vlan VID] [--ping ADDR]
        [--wait-disconnect SECONDS]

Runs RFC 2516 discovery, LCP (RFC 1661), PAP or CHAP-MD5 as the server asks (RFC 1334,
RFC 1994), IPCP (RFC 1332, RFC 1877), pings ADDR through the session, sends an LCP
Echo-Request, then LCP Terminate and PADT. Prints one JSON object with what happened;
exits 0 when every step succeeded.
"""
import hashlib
import json
import os
import select
import sys
import time

from scapy.all import (
    ICMP, IP, PPP, PPP_CHAP, PPP_CHAP_ChallengeResponse, PPP_IPCP, PPP_IPCP_Option_DNS1,
    PPP_IPCP_Option_IPAddress, PPP_LCP, PPP_LCP_Configure, PPP_LCP_Echo, PPP_LCP_MRU_Option,
    PPP_LCP_Magic_Number_Option, PPP_LCP_Terminate, PPP_PAP_Request, PPPoE, PPPoED, PPPoED_Tags,
    PPPoETag, Dot1Q, Ether, Raw, conf,
)

args = sys.argv[1:]
iface, user, password = args[0], args[1], args[2]
vlan = int(args[args.index("--vlan") + 1]) if "--vlan" in args else None
ping = args[args.index("--ping") + 1] if "--ping" in args else None
# Keep the session up for SECONDS, sending an LCP Echo-Request every 100 ms and counting
# the replies (a PADI flood must not starve established sessions).
echo_during = float(args[args.index("--echo-during") + 1]) if "--echo-during" in args else None
# Stay up until the AC disconnects us (an operator's `dpvpnctl session disconnect`).
wait_disconnect = float(args[args.index("--wait-disconnect") + 1]) if "--wait-disconnect" in args else None
mac = "02:5c:a9:00:00:%02x" % (os.getpid() & 0xff)
result = {"steps": []}
# The kernel filters what reaches us (BPF): only frames to our MAC, so that other traffic
# on the link (a PADI flood in one test) does not queue in front of our replies.
sock = conf.L2socket(iface=iface, filter="ether dst %s" % mac)


def step(name, **kv):
    result["steps"].append(dict(step=name, **kv))


def fail(why):
    result["error"] = why
    print(json.dumps(result))
    sys.exit(1)


def l2(dst):
    e = Ether(src=mac, dst=dst)
    return e / Dot1Q(vlan=vlan) if vlan is not None else e


def recv(match, timeout=3.0):
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([sock], [], [], max(0.0, end - time.time()))
        if not r:
            break
        p = sock.recv()
        if p is None or p.src == mac or p.dst.lower() != mac:
            continue
        if vlan is not None and (Dot1Q not in p or p[Dot1Q].vlan != vlan):
            continue
        if match(p):
            return p
    return None


def tags(p):
    return {t.tag_type: bytes(t.tag_value) for t in p[PPPoED_Tags].tag_list} if PPPoED_Tags in p else {}


# ---- discovery (RFC 2516 §5) ----
host_uniq = os.urandom(8)
padi = l2("ff:ff:ff:ff:ff:ff") / PPPoED(code=0x09, sessionid=0) / PPPoED_Tags(
    tag_list=[PPPoETag(tag_type=0x0101, tag_value=b""), PPPoETag(tag_type=0x0103, tag_value=host_uniq)])
pado = None
for _ in range(3):
    sock.send(padi)
    pado = recv(lambda p: PPPoED in p and p[PPPoED].code == 0x07)
    if pado:
        break
if not pado:
    fail("no PADO")
t = tags(pado)
ac = pado.src
step("pado", ac_name=t.get(0x0102, b"").decode(), host_uniq_echoed=t.get(0x0103) == host_uniq)
padr_tags = [PPPoETag(tag_type=0x0101, tag_value=b""), PPPoETag(tag_type=0x0103, tag_value=host_uniq)]
if 0x0104 in t:
    padr_tags.append(PPPoETag(tag_type=0x0104, tag_value=t[0x0104]))
sock.send(l2(ac) / PPPoED(code=0x19, sessionid=0) / PPPoED_Tags(tag_list=padr_tags))
pads = recv(lambda p: PPPoED in p and p[PPPoED].code == 0x65)
if not pads or pads[PPPoED].sessionid == 0:
    fail("no PADS with a session id")
sid = pads[PPPoED].sessionid
step("pads", session_id=sid)


def ppp(proto, payload):
    return l2(ac) / PPPoE(sessionid=sid) / PPP(proto=proto) / payload


def recv_ppp(proto, match=lambda p: True, timeout=3.0):
    return recv(lambda p: PPPoE in p and p[PPPoE].sessionid == sid and PPP in p and p[PPP].proto == proto
                and match(p), timeout)


# ---- LCP (RFC 1661 §5): our request, and acknowledging the server's ----
magic = int.from_bytes(os.urandom(4), "big") | 1
ours = PPP_LCP_Configure(code=1, id=1, options=[PPP_LCP_MRU_Option(max_recv_unit=1492),
                                                  PPP_LCP_Magic_Number_Option(magic_number=magic)])
sock.send(ppp(0xc021, ours))
acked = False
auth = None
server_magic = None
end = time.time() + 10
while time.time() < end and not (acked and auth):
    p = recv_ppp(0xc021, timeout=1.0)
    if p is None:
        sock.send(ppp(0xc021, ours))
        continue
    lcp = p[PPP].payload
    if lcp.code == 2 and lcp.id == 1:
        acked = True
    elif lcp.code == 1:
        # Accept what the server asks: it names the authentication protocol.
        raw = bytes(lcp)
        opts = raw[4:]
        i = 0
        while i + 2 <= len(opts):
            kind, ln = opts[i], opts[i + 1]
            if kind == 3:
                auth = "pap" if opts[i + 2:i + 4] == b"\xc0\x23" else "chap"
            if kind == 5:
                server_magic = int.from_bytes(opts[i + 2:i + 6], "big")
            i += max(ln, 2)
        sock.send(ppp(0xc021, Raw(bytes([2]) + raw[1:])))
    elif lcp.code == 3 or lcp.code == 4:
        fail("server Nak'd or Rejected our LCP request: %r" % bytes(lcp))
if not (acked and auth):
    fail("LCP did not open (acked=%s auth=%s)" % (acked, auth))
step("lcp", auth=auth, server_magic=server_magic)

# ---- authentication ----
if auth == "pap":
    req = PPP_PAP_Request(id=1, username=user.encode(), password=password.encode())
    sock.send(ppp(0xc023, req))
    r = recv_ppp(0xc023, lambda p: bytes(p[PPP].payload)[0] in (2, 3), timeout=5)
    ok = r is not None and bytes(r[PPP].payload)[0] == 2
else:
    c = recv_ppp(0xc223, lambda p: bytes(p[PPP].payload)[0] == 1, timeout=5)
    if c is None:
        fail("no CHAP Challenge")
    ch = c[PPP_CHAP_ChallengeResponse]
    value = hashlib.md5(bytes([ch.id]) + password.encode() + bytes(ch.value)).digest()
    sock.send(ppp(0xc223, PPP_CHAP_ChallengeResponse(code=2, id=ch.id, value=value, optional_name=user.encode())))
    r = recv_ppp(0xc223, lambda p: bytes(p[PPP].payload)[0] in (3, 4), timeout=5)
    ok = r is not None and bytes(r[PPP].payload)[0] == 3
step("auth", ok=ok)
if not ok:
    # The server follows a failure with LCP Terminate-Request and PADT (RFC 1334 §2.2.2,
    # RFC 1994 §4.4): see that, then report the refusal.
    term = recv_ppp(0xc021, lambda p: p[PPP].payload.code == 5, timeout=5)
    padt = recv(lambda p: PPPoED in p and p[PPPoED].code == 0xa7, timeout=10)
    step("refused", terminate=term is not None, padt=padt is not None)
    result["refused"] = True
    print(json.dumps(result))
    sys.exit(0 if term is not None and padt is not None else 1)

# ---- IPCP (RFC 1332, RFC 1877) ----
address, dns = "0.0.0.0", "0.0.0.0"
opened = False
server_acked = False
ident = 1
def ipcp_req():
    return PPP_IPCP(code=1, id=ident, options=[PPP_IPCP_Option_IPAddress(data=address),
                                               PPP_IPCP_Option_DNS1(data=dns)])
sock.send(ppp(0x8021, ipcp_req()))
end = time.time() + 10
while time.time() < end and not (opened and server_acked):
    p = recv_ppp(0x8021, timeout=1.0)
    if p is None:
        sock.send(ppp(0x8021, ipcp_req()))
        continue
    m = p[PPP_IPCP]
    if m.code == 1:
        sock.send(ppp(0x8021, Raw(bytes([2]) + bytes(m)[1:])))
        server_acked = True
    elif m.code == 3 and m.id == ident:
        for o in m.options:
            if o.type == 3:
                address = o.data
            if o.type == 129:
                dns = o.data
        ident += 1
        sock.send(ppp(0x8021, ipcp_req()))
    elif m.code == 2 and m.id == ident:
        opened = True
if not opened:
    fail("IPCP did not open")
step("ipcp", address=address, dns=dns)

# ---- traffic through the session ----
if ping:
    got = 0
    for seq in range(3):
        sock.send(ppp(0x0021, IP(src=address, dst=ping) / ICMP(id=0x77, seq=seq) / Raw(b"scapy through dpvpn")))
        r = recv_ppp(0x0021, lambda p: ICMP in p and p[ICMP].type == 0 and p[ICMP].seq == seq, timeout=2)
        if r is not None and r[IP].dst == address:
            got += 1
    step("ping", sent=3, received=got)
    if got == 0:
        fail("no echo reply through the session")

# ---- LCP echo (answered by dpvpn's workers, RFC 1661 §5.8) ----
sock.send(ppp(0xc021, PPP_LCP_Echo(code=9, id=0x42, magic_number=magic, data=b"keepalive")))
r = recv_ppp(0xc021, lambda p: p[PPP].payload.code == 10 and p[PPP].payload.id == 0x42)
step("echo", replied=r is not None,
     magic_ok=r is not None and server_magic is not None and r[PPP_LCP_Echo].magic_number == server_magic)

if echo_during is not None:
    print("UP %s %d" % (address, sid), flush=True)
    sent = answered = 0
    end = time.time() + echo_during
    while time.time() < end:
        ident = sent & 0xff
        sock.send(ppp(0xc021, PPP_LCP_Echo(code=9, id=ident, magic_number=magic, data=b"flood?")))
        sent += 1
        r = recv_ppp(0xc021, lambda p, i=ident: p[PPP].payload.code == 10 and p[PPP].payload.id == i, timeout=0.1)
        if r is not None:
            answered += 1
        # The AC's own keepalive: answer it as a CPE would.
        time.sleep(0.1)
    step("echo_during", sent=sent, answered=answered)

if wait_disconnect is not None:
    # Tell the caller we are up, then wait for the AC's Terminate-Request and PADT.
    print("UP %s %d" % (address, sid), flush=True)
    term = recv_ppp(0xc021, lambda p: p[PPP].payload.code == 5, timeout=wait_disconnect)
    if term is not None:
        sock.send(ppp(0xc021, PPP_LCP_Terminate(code=6, id=term[PPP].payload.id)))
    padt = recv(lambda p: PPPoED in p and p[PPPoED].code == 0xa7, timeout=10)
    step("disconnected", terminate_request=term is not None, padt=padt is not None)
    print(json.dumps(result))
    sys.exit(0 if term is not None and padt is not None else 1)

# ---- hang up: LCP Terminate (RFC 1661 §5.5), PADT (RFC 2516 §5.5) ----
sock.send(ppp(0xc021, PPP_LCP_Terminate(code=5, id=9, data=b"bye")))
r = recv_ppp(0xc021, lambda p: p[PPP].payload.code == 6)
padt = recv(lambda p: PPPoED in p and p[PPPoED].code == 0xa7, timeout=10)
step("terminate", terminate_ack=r is not None, padt_from_ac=padt is not None)
print(json.dumps(result))
ok = all(s.get("ok", True) and s.get("replied", True) and s.get("terminate_ack", True) for s in result["steps"])
sys.exit(0 if ok else 1)
