#!/usr/bin/env python3
"""An independent replay client, as the seeds' clients use Binance: Python `websockets`.

Connects to URL and writes every text message it receives as one line of OUT,
`<CLOCK_MONOTONIC ns at receipt> <message>`, and a last line `CLOSED <code> <reason>` when the
server closes. `--send N:JSON` (repeatable) sends JSON once N messages have been received
(N = 0: right after connecting), e.g. a SUBSCRIBE before the replay starts or a REPLAY.SEEK
in the middle of it; `--at MS:JSON` (repeatable) sends JSON MS milliseconds after connecting. `--close-after N` closes from the client side after N messages.

Exit status 0 when the connection closed, 2 on --timeout.
"""
import argparse
import asyncio
import sys
import time

import websockets


def close_code(exc):
    rcvd = getattr(exc, "rcvd", None)
    if rcvd is not None:
        return rcvd.code, rcvd.reason
    return getattr(exc, "code", 0), getattr(exc, "reason", "")


async def main(a):
    sends = []
    for spec in a.send:
        n, _, text = spec.partition(":")
        sends.append((int(n), text))
    sends.sort(key=lambda s: s[0])
    lines = []
    try:
        connection = websockets.connect(a.url, max_size=None, ping_interval=None, compression=None, max_queue=None)
    except TypeError:
        connection = websockets.connect(a.url, max_size=None, ping_interval=None, compression=None)
    received = 0
    async with connection as ws:
        async def timed(ms, text):
            await asyncio.sleep(ms / 1000)
            await ws.send(text)

        timers = []
        for spec in a.at:
            ms, _, text = spec.partition(":")
            timers.append(asyncio.ensure_future(timed(float(ms), text)))
        while sends and sends[0][0] == 0:
            await ws.send(sends.pop(0)[1])
        try:
            while True:
                message = await ws.recv()
                lines.append(f"{time.monotonic_ns()} {message}")
                received += 1
                while sends and sends[0][0] <= received:
                    await ws.send(sends.pop(0)[1])
                if a.close_after and received >= a.close_after:
                    lines.append("CLOSED client")
                    break
        except websockets.exceptions.ConnectionClosed as e:
            code, reason = close_code(e)
            lines.append(f"CLOSED {code} {reason}")
        for t in timers:
            t.cancel()
    with open(a.out, "w") as out:
        out.write("\n".join(lines) + "\n")


p = argparse.ArgumentParser()
p.add_argument("url")
p.add_argument("out")
p.add_argument("--send", action="append", default=[])
p.add_argument("--at", action="append", default=[])
p.add_argument("--close-after", type=int, default=0)
p.add_argument("--timeout", type=float, default=120)
args = p.parse_args()
try:
    asyncio.run(asyncio.wait_for(main(args), timeout=args.timeout))
except asyncio.TimeoutError:
    sys.exit(2)
