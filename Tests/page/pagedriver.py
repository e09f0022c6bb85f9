#!/usr/bin/env python3
"""Drives Debian's chromium (headless) through its DevTools protocol against ticktape's status page.

    pagedriver.py check --port P [--token T] [--screenshots DIR] [--timeout 90]
        Loads http://127.0.0.1:P/ in one tab, collects every console error, exception and log
        error, waits until every chart has data points, then reads the values the page shows
        (data-* attributes) and fetches /api/v1/status and /api/v1/book at the same moment, several
        times. Prints one JSON document (the caller judges it). With --screenshots, saves
        status-page-laptop.png (1280 px wide) and status-page-phone.png (390 px, 2x) there.

    pagedriver.py hold --port P [--token T] --pages N --seconds S
        Opens N tabs of the page, waits until each has polled, keeps them open S seconds,
        prints {"pages": N, "rounds": [...]} and closes the browser.

Standard library plus `websockets`. Every step is bounded in time; the browser is killed on exit
whatever happens. Chromium runs with --no-sandbox when this runs as root (CI does).
"""

import argparse
import asyncio
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets

CHROMIUM = os.environ.get("TICKTAPE_CHROMIUM", "/usr/bin/chromium")


class Browser:
    def __init__(self, width=1280, height=900):
        self.profile = tempfile.mkdtemp(prefix="ticktape-chromium-")
        args = [CHROMIUM, "--headless=new", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-sync",
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                "--disable-backgrounding-occluded-windows", "--mute-audio", "--hide-scrollbars",
                f"--window-size={width},{height}", "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
                "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.port = None

    def wait_for_devtools(self, timeout=30):
        path = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.process.returncode}")
            try:
                with open(path) as f:
                    line = f.readline().strip()
                if line:
                    self.port = int(line)
                    return
            except (FileNotFoundError, ValueError):
                pass
            time.sleep(0.05)
        raise RuntimeError("chromium did not open its DevTools port in time")

    def targets(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=10) as r:
            return json.load(r)

    def close(self):
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


class Tab:
    """One page target over its own DevTools WebSocket; events kept in `events`."""

    def __init__(self, url):
        self.url = url
        self.next_id = 0
        self.pending = {}
        self.events = []

    async def __aenter__(self):
        self.ws = await websockets.connect(self.url, max_size=None, open_timeout=10)
        self.reader = asyncio.ensure_future(self.read())
        return self

    async def __aexit__(self, *exc):
        self.reader.cancel()
        await self.ws.close()

    async def read(self):
        async for raw in self.ws:
            message = json.loads(raw)
            if "id" in message and message["id"] in self.pending:
                self.pending.pop(message["id"]).set_result(message)
            elif "method" in message:
                self.events.append(message)

    async def call(self, method, timeout=15, **params):
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        reply = await asyncio.wait_for(future, timeout)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    async def evaluate(self, expression):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def errors(self):
        """Console errors and assertions, uncaught exceptions, and browser log entries of level error."""
        found = []
        for e in self.events:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
                found.append({"console": p.get("type"), "args": [a.get("value", a.get("description")) for a in p.get("args", [])]})
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                found.append({"exception": d.get("text"), "detail": d.get("exception", {}).get("description")})
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                entry = p["entry"]
                found.append({"log": entry.get("source"), "text": entry.get("text"), "url": entry.get("url")})
        return found


# What the page shows, read from its data-* attributes.
SHOWN = r"""(() => {
  const s = document.getElementById('summary'), l = document.getElementById('ladder');
  if (!s || !document.body.dataset.rounds) return {rounds: 0, charts: [], ladder: {levels: 0}};
  const captures = [...document.querySelectorAll('section[data-capture]')].map(c => ({
    name: c.dataset.capture, windowEndedMs: c.dataset.windowEndedMs === '' ? null : Number(c.dataset.windowEndedMs),
    connectionsUp: Number(c.dataset.connectionsUp),
    connections: [...c.querySelectorAll('tr[data-connection]')].map(r => ({
      index: Number(r.dataset.connection), state: r.dataset.state,
      p99: r.dataset.latencyP99 === '' ? null : Number(r.dataset.latencyP99),
      p50: r.dataset.latencyP50 === '' ? null : Number(r.dataset.latencyP50)}))}));
  return {
    rounds: Number((document.body && document.body.dataset.rounds) || 0),
    connectionsUp: s.dataset.connectionsUp === '' ? null : Number(s.dataset.connectionsUp),
    connections: s.dataset.connections === '' ? null : Number(s.dataset.connections),
    captures,
    charts: [...document.querySelectorAll('svg.chart')].map(c => ({
      chart: c.dataset.chart, capture: (c.closest('[data-capture]') || {dataset: {}}).dataset.capture || null,
      points: Number(c.dataset.points || 0), lines: c.querySelectorAll('polyline').length})),
    ladder: {symbol: l.dataset.symbol, bestBid: l.dataset.bestBid, bestAsk: l.dataset.bestAsk,
      updateId: l.dataset.updateId, levels: Number(l.dataset.levels || 0)},
    trades: Number(document.getElementById('trades').dataset.trades || 0),
    newestTradeId: document.getElementById('trades').dataset.newestId || null,
    poll: document.getElementById('poll').textContent,
    tokenFormHidden: document.getElementById('token-form').hidden,
    href: location.href,
  };
})()"""


def api(port, target, token=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{target}")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=5) as r:
        return json.loads(r.read().decode())


async def open_tab(browser, deadline):
    while time.monotonic() < deadline:
        try:
            pages = [t for t in browser.targets() if t.get("type") == "page"]
        except OSError:  # the DevTools HTTP side may answer late on a loaded machine
            pages = []
        if pages:
            return pages[0]["webSocketDebuggerUrl"]
        await asyncio.sleep(0.1)
    raise RuntimeError("no page target")


async def until(deadline, probe, what):
    last = None
    while time.monotonic() < deadline:
        ok, last = await probe()
        if ok:
            return last
        await asyncio.sleep(0.25)
    raise TimeoutError(f"{what}: not reached in time; last seen {json.dumps(last)[:2000]}")


async def screenshot(tab, path, width, height, scale, mobile):
    await tab.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=scale, mobile=mobile)
    # Two poll rounds at the new width so the charts are drawn for it.
    rounds = await tab.evaluate("Number((document.body && document.body.dataset.rounds) || 0)")
    await until(time.monotonic() + 10, lambda: _rounds_past(tab, rounds + 1), "redraw after resize")
    full = await tab.evaluate("Math.ceil(document.documentElement.scrollHeight)")
    await tab.call("Emulation.setDeviceMetricsOverride", width=width, height=int(full), deviceScaleFactor=scale, mobile=mobile)
    await until(time.monotonic() + 10, lambda: _rounds_past(tab, rounds + 2), "redraw at full height")
    shot = await tab.call("Page.captureScreenshot", timeout=30, format="png")
    with open(path, "wb") as f:
        f.write(base64.b64decode(shot["data"]))


async def _rounds_past(tab, n):
    r = await tab.evaluate("Number((document.body && document.body.dataset.rounds) || 0)")
    return r >= n, r


async def check(args):
    deadline = time.monotonic() + args.timeout
    browser = Browser()
    try:
        browser.wait_for_devtools()
        async with Tab(await open_tab(browser, deadline)) as tab:
            for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
                await tab.call(domain)
            # With a token the page gets it in the fragment, which the browser never sends.
            fragment = f"#token={args.token}" if args.token else ""
            await tab.call("Page.navigate", url=f"http://127.0.0.1:{args.port}/{fragment}")

            async def charts_ready():
                shown = await tab.evaluate(SHOWN)
                drawn = sum(1 for c in shown["charts"] if c["points"] >= 2)
                ok = shown["rounds"] >= 3 and drawn >= min(args.min_charts, len(shown["charts"]) or 1) \
                    and shown["ladder"]["levels"] > 0
                if args.min_charts == 0:
                    ok = ok and all(c["points"] >= 2 for c in shown["charts"])
                return ok, shown
            shown = await until(deadline, charts_ready, "every chart has data points")

            # The values shown against the API at the same moment: read the page, then the API at
            # once; a telemetry window may close in between, so take several samples.
            samples = []
            symbol = shown["ladder"]["symbol"]
            for _ in range(args.samples):
                shown = await tab.evaluate(SHOWN)
                status = api(args.port, "/api/v1/status", args.token)
                book = api(args.port, f"/api/v1/book?symbol={symbol}&depth=10", args.token)
                samples.append({"shown": shown, "status": status, "book": book})
                await asyncio.sleep(0.4)

            if args.screenshots:
                os.makedirs(args.screenshots, exist_ok=True)
                await asyncio.sleep(args.settle)  # some history in the charts
                await screenshot(tab, os.path.join(args.screenshots, "status-page-laptop.png"), 1280, 900, 1, False)
                await screenshot(tab, os.path.join(args.screenshots, "status-page-phone.png"), 390, 844, 2, True)
            errors = tab.errors()
        print(json.dumps({"ok": True, "errors": errors, "samples": samples}))
    finally:
        browser.close()


async def hold(args):
    deadline = time.monotonic() + args.timeout + args.seconds
    browser = Browser()
    try:
        browser.wait_for_devtools()
        first = await open_tab(browser, deadline)
        async with Tab(first) as control:
            ids = []
            fragment = f"#token={args.token}" if args.token else ""
            for _ in range(args.pages):
                t = await control.call("Target.createTarget", url=f"http://127.0.0.1:{args.port}/{fragment}")
                ids.append(t["targetId"])
            urls = {t["id"]: t["webSocketDebuggerUrl"] for t in browser.targets() if t.get("type") == "page"}
            tabs = [Tab(urls[i]) for i in ids]
            for t in tabs:
                await t.__aenter__()
            try:
                for t in tabs:
                    await until(deadline, lambda t=t: _rounds_past(t, 2), "each page polls")
                print(json.dumps({"event": "pages-ready", "pages": args.pages}), flush=True)
                start = [await t.evaluate("Number((document.body && document.body.dataset.rounds) || 0)") for t in tabs]
                await asyncio.sleep(args.seconds)
                end = [await t.evaluate("Number((document.body && document.body.dataset.rounds) || 0)") for t in tabs]
                errors = [e for t in tabs for e in t.errors()]
            finally:
                for t in tabs:
                    await t.__aexit__(None, None, None)
        print(json.dumps({"event": "done", "pages": args.pages, "rounds": [b - a for a, b in zip(start, end)], "errors": errors}), flush=True)
    finally:
        browser.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--screenshots")
    c.add_argument("--settle", type=float, default=0, help="seconds of history before the screenshots")
    c.add_argument("--token", help="the listener's bearer token (given to the page as /#token=…)")
    c.add_argument("--samples", type=int, default=8)
    c.add_argument("--min-charts", type=int, default=0,
                   help="ready once this many charts have 2 points or more (0: every chart)")
    c.add_argument("--timeout", type=float, default=90)
    h = sub.add_parser("hold")
    h.add_argument("--port", type=int, required=True)
    h.add_argument("--pages", type=int, default=5)
    h.add_argument("--token")
    h.add_argument("--seconds", type=float, default=30)
    h.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    # A SIGTERM (the test's time limit) unwinds through the `finally` that kills the browser.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not os.access(CHROMIUM, os.X_OK):
        print(json.dumps({"ok": False, "skipped": f"{CHROMIUM} not found (apt-get install chromium)"}))
        return 0
    asyncio.run(asyncio.wait_for(check(args) if args.command == "check" else hold(args), args.timeout + 60 + getattr(args, "seconds", 0)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
