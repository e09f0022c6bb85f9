#!/usr/bin/env python3
"""An independent relay client, as the seeds' clients use Binance: Python `websockets`.

Connects to URL, optionally sends SUBSCRIBE (and LIST_SUBSCRIPTIONS), prints "ready" once
acknowledged, then writes every text message it receives as one line of OUT, and a last line
"CLOSED <code> <reason>" when the server closes. With --trigger it then opens (and closes) a
WebSocket to the given URL: the test's simulator starts sending only when that connection
arrives, so every client is subscribed before the first message.

Exit status 0 when the server closed the connection, 2 on --timeout.
"""
import argparse
import asyncio
import json
import sys

import websockets


def close_code(exc):
    rcvd = getattr(exc, "rcvd", None)
    if rcvd is not None:
        return rcvd.code, rcvd.reason
    return getattr(exc, "code", 0), getattr(exc, "reason", "")


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("out")
    p.add_argument("--subscribe", default="")
    p.add_argument("--list", action="store_true")
    p.add_argument("--trigger", default="")
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--token", default="")
    a = p.parse_args()
    with open(a.out, "w") as out:
        headers = {"Authorization": f"Bearer {a.token}"} if a.token else {}
        try:
            connection = websockets.connect(a.url, max_size=None, ping_interval=None, compression=None, additional_headers=headers)
        except TypeError:  # websockets < 14 (Debian 12's 10.4)
            connection = websockets.connect(a.url, max_size=None, ping_interval=None, compression=None, extra_headers=headers)
        async with connection as ws:
            if a.subscribe:
                await ws.send(json.dumps({"method": "SUBSCRIBE", "params": a.subscribe.split(","), "id": 1}))
                out.write("REPLY " + await ws.recv() + "\n")
            if a.list:
                await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 2}))
                out.write("REPLY " + await ws.recv() + "\n")
            print("ready", flush=True)
            if a.trigger:
                async with websockets.connect(a.trigger, max_size=None, ping_interval=None):
                    pass
            try:
                while True:
                    message = await ws.recv()
                    out.write(message + "\n")
            except websockets.exceptions.ConnectionClosed as e:
                code, reason = close_code(e)
                out.write(f"CLOSED {code} {reason}\n")


try:
    asyncio.run(asyncio.wait_for(main(), timeout=float(sys.argv[sys.argv.index("--timeout") + 1]) if "--timeout" in sys.argv else 120))
except asyncio.TimeoutError:
    sys.exit(2)
