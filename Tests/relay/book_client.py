#!/usr/bin/env python3
"""Binance's documented USD-M local-book procedure, run against ticktape's relay and depth REST
by an independent client (Python `websockets` and `urllib`), as a trading system would run it
against Binance.

1. Open WS_URL (a diff-depth stream) and buffer the events.
2. GET REST_URL (the depth snapshot).
3. Drop events with u < lastUpdateId; the first applied must have U <= lastUpdateId <= u.
4. Then every event's pu must equal the previous u; otherwise start again from 2.
5. Quantity 0 removes a level.

Runs until the server closes the stream, then writes {"lastUpdateId","bids","asks","resyncs",
"applied"} to OUT (levels as the strings Binance's format gave). Prints "ready" once connected.
"""
import asyncio
import json
import sys
import urllib.request
from decimal import Decimal

import websockets


def fetch(url):
    # 503 while ticktape's own book is (re)synchronising: retry, as against Binance's 5xx.
    import time
    import urllib.error
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            if e.code != 503:
                raise
            time.sleep(0.1)
    raise RuntimeError("the depth snapshot stayed unavailable")


async def main(ws_url, rest_url, out_path, trigger):
    bids, asks = {}, {}
    last_u = None
    resyncs = -1
    applied = 0
    buffered = []

    def load(snapshot):
        bids.clear()
        asks.clear()
        for p, q in snapshot["bids"]:
            bids[Decimal(p)] = (p, q)
        for p, q in snapshot["asks"]:
            asks[Decimal(p)] = (p, q)

    def apply(event):
        for p, q in event["b"]:
            if Decimal(q) == 0:
                bids.pop(Decimal(p), None)
            else:
                bids[Decimal(p)] = (p, q)
        for p, q in event["a"]:
            if Decimal(q) == 0:
                asks.pop(Decimal(p), None)
            else:
                asks[Decimal(p)] = (p, q)

    async with websockets.connect(ws_url, max_size=None, ping_interval=None, compression=None) as ws:
        print("ready", flush=True)
        if trigger:
            async with websockets.connect(trigger, max_size=None, ping_interval=None):
                pass
        synced = False
        snapshot_id = None
        try:
            while True:
                event = json.loads(await ws.recv())
                if "data" in event:
                    event = event["data"]
                if not synced:
                    buffered.append(event)
                    if len(buffered) < 3:
                        continue
                    snapshot = await asyncio.get_running_loop().run_in_executor(None, fetch, rest_url)
                    resyncs += 1
                    snapshot_id = snapshot["lastUpdateId"]
                    load(snapshot)
                    pending = [e for e in buffered if e["u"] >= snapshot_id]
                    buffered = []
                    if not pending or not (pending[0]["U"] <= snapshot_id <= pending[0]["u"]):
                        # The snapshot is newer than everything buffered: keep buffering.
                        if not pending:
                            synced = True
                            last_u = None
                            continue
                        continue
                    for e in pending:
                        if last_u is not None and e["pu"] != last_u:
                            raise RuntimeError("chain broke inside the buffer")
                        apply(e)
                        applied += 1
                        last_u = e["u"]
                    synced = True
                    continue
                if last_u is None:
                    # Synced on a snapshot newer than the buffer: the bridge is the first event after it.
                    if event["u"] < snapshot_id:
                        continue
                    if not (event["U"] <= snapshot_id <= event["u"]):
                        synced = False
                        buffered = [event]
                        continue
                elif event["pu"] != last_u:
                    synced = False
                    buffered = [event]
                    last_u = None
                    continue
                apply(event)
                applied += 1
                last_u = event["u"]
        except websockets.exceptions.ConnectionClosed:
            pass
    with open(out_path, "w") as out:
        json.dump({
            "lastUpdateId": last_u,
            "bids": [bids[k] for k in sorted(bids, reverse=True)],
            "asks": [asks[k] for k in sorted(asks)],
            "resyncs": resyncs,
            "applied": applied,
        }, out)


if __name__ == "__main__":
    trigger = sys.argv[4] if len(sys.argv) > 4 else ""
    asyncio.run(asyncio.wait_for(main(sys.argv[1], sys.argv[2], sys.argv[3], trigger), timeout=180))
