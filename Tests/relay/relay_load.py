#!/usr/bin/env python3
"""Load for the relay: N Python `websockets` clients on one stream, and optionally one client
that never reads (a raw socket with a tiny receive buffer).

Each client checks that the update ids it receives (bookTicker `u`) strictly increase and
counts them; it stops when the server closes. Prints "ready" once every client is connected
(and the trigger connection, if any, was made), then at the end one JSON line:
{"clients", "complete", "in_order", "counts": {count: clients}, "closes": {code: clients},
 "slow_closed_by_server": bool|null, "latency_us": {"p50","p99","p999"}} where latency is the
client's receive time (CLOCK_REALTIME) minus ticktape's receive stamp for the same id, read
from the capture files in --capture-dir.
"""
import argparse
import asyncio
import gzip
import json
import os
import re
import socket
import sys
import time

import websockets

U = re.compile(rb'"u":(\d+)')


async def client(url, results, index, stamps):
    last = -1
    count = 0
    ordered = True
    code = None
    try:
        async with websockets.connect(url, max_size=None, ping_interval=None, compression=None, open_timeout=60) as ws:
            results["connected"] += 1
            try:
                while True:
                    message = await ws.recv()
                    now = time.time_ns()
                    m = U.search(message.encode() if isinstance(message, str) else message)
                    if m is None:
                        continue
                    u = int(m.group(1))
                    if u <= last:
                        ordered = False
                    last = u
                    count += 1
                    if index < 50:
                        stamps.append((u, now))
            except websockets.exceptions.ConnectionClosed as e:
                rcvd = getattr(e, "rcvd", None)
                code = rcvd.code if rcvd is not None else getattr(e, "code", 0)
    except Exception as e:  # a refused or failed connection counts as an unexpected disconnect
        code = f"error: {type(e).__name__}"
    results["done"].append((count, ordered, code))


def slow_client(host, port, path):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((host, port))
    s.sendall(
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    return s


def capture_stamps(directory):
    stamps = {}
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if name.endswith(".tape.gz"):
            f = gzip.open(path, "rb")
        elif name.endswith(".tape") or name.endswith(".tape.open"):
            f = open(path, "rb")
        else:
            continue
        with f:
            for line in f:
                ns, _, frame = line.partition(b" ")
                m = U.search(frame)
                if m:
                    stamps.setdefault(int(m.group(1)), int(ns))
    return stamps


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--expect", type=int, required=True)
    p.add_argument("--slow", action="store_true")
    p.add_argument("--trigger", default="")
    p.add_argument("--capture-dir", default="")
    a = p.parse_args()
    results = {"connected": 0, "done": []}
    stamps = []
    tasks = [asyncio.create_task(client(a.url, results, i, stamps)) for i in range(a.clients)]
    while results["connected"] + len(results["done"]) < a.clients:
        await asyncio.sleep(0.05)
    slow = None
    if a.slow:
        host, port = a.url.split("//")[1].split("/")[0].split(":")
        slow = slow_client(host, int(port), "/" + a.url.split("//")[1].split("/", 1)[1])
    if a.trigger:
        async with websockets.connect(a.trigger, max_size=None, ping_interval=None):
            pass
    print("ready", flush=True)
    await asyncio.gather(*tasks)
    slow_closed = None
    if slow is not None:
        # The server closed it: reading now gives the close frame, then end of stream.
        slow.settimeout(10)
        data = b""
        try:
            while True:
                chunk = slow.recv(1 << 20)
                if not chunk:
                    break
                data += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        slow_closed = True
    counts, closes = {}, {}
    for count, ordered, code in results["done"]:
        counts[count] = counts.get(count, 0) + 1
        closes[str(code)] = closes.get(str(code), 0) + 1
    latency = {}
    if a.capture_dir and stamps:
        received = capture_stamps(a.capture_dir)
        lat = sorted((now - received[u]) / 1000 for u, now in stamps if u in received)
        if lat:
            latency = {k: lat[min(len(lat) - 1, int(q * len(lat)))] for k, q in (("p50", .5), ("p99", .99), ("p999", .999))}
    print(json.dumps({
        "clients": a.clients,
        "complete": sum(1 for c, _, _ in results["done"] if c == a.expect),
        "in_order": sum(1 for _, o, _ in results["done"] if o),
        "counts": counts,
        "closes": closes,
        "slow_closed_by_server": slow_closed,
        "latency_us": latency,
    }), flush=True)


asyncio.run(asyncio.wait_for(main(), timeout=600))
