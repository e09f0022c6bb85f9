#!/usr/bin/env python3
"""Independent checker for scripts/completeness-check (no ticktape code involved).

generate PATH COUNT RATE   write a synthetic recording: `<ns> <combined frame>` lines, trade
                           (contiguous t), USD-M depth (pu chain) and bookTicker (jumping u)
wait URL N TIMEOUT         poll /metrics until N connections have received frames and the counts
                           stop moving; print the final exposition
verify LABEL SENT DATA METRICS RECORDING
                           compare the capture under DATA with the union of SENT/connection-K.txt
"""
import glob
import gzip
import json
import os
import re
import sys
import time
import urllib.request


def generate(path, count, rate):
    interval = 1_000_000_000 // rate
    ns = 1_723_161_255_030_314_667
    t, u, book = 5_266_583_935, 5_123_107_837_557, 5_123_107_837_557
    with open(path, "w") as f:
        for i in range(count):
            ms = ns // 1_000_000
            kind = i % 3
            if kind == 0:
                t += 1
                data = {"e": "trade", "E": ms, "T": ms, "s": "BTCUSDT", "t": t, "p": "61800.30", "q": "0.006", "X": "MARKET", "m": False}
                stream = "btcusdt@trade"
            elif kind == 1:
                pu = u
                first = u + 1
                u += 1 + i % 7
                data = {"e": "depthUpdate", "E": ms, "T": ms, "s": "BTCUSDT", "U": first, "u": u, "pu": pu,
                        "b": [["61800.20", "0.014"]], "a": [["61800.30", "3.330"]]}
                stream = "btcusdt@depth@0ms"
            else:
                book += 1 + (i * 7919) % 13
                data = {"e": "bookTicker", "u": book, "s": "BTCUSDT", "b": "61800.20", "B": "2.507", "a": "61800.30",
                        "A": "2.510", "T": ms, "E": ms}
                stream = "btcusdt@bookTicker"
            frame = json.dumps({"stream": stream, "data": data}, separators=(",", ":"))
            f.write(f"{ns} {frame}\n")
            ns += interval


def frames_received(url):
    text = urllib.request.urlopen(url, timeout=5).read().decode()
    counts = {}
    for line in text.splitlines():
        m = re.match(r'ticktape_connection_messages_total\{.*connection="(\d+)".*\} ([0-9.e+]+)', line)
        if m:
            counts[int(m.group(1))] = int(float(m.group(2)))
    return counts, text


def wait(url, n, timeout):
    deadline = time.monotonic() + timeout
    last, stable, text = None, 0, ""
    while time.monotonic() < deadline:
        try:
            counts, text = frames_received(url)
        except OSError:
            counts = {}
        if len(counts) >= n and all(v > 0 for v in counts.values()):
            stable = stable + 1 if counts == last else 0
            if stable >= 3:
                print(text)
                return 0
        last = counts
        time.sleep(0.6)
    return 1


def ident(frame):
    d = json.loads(frame)
    s, data = d["stream"], d["data"]
    return s, data.get("t", data.get("u"))


def read_capture(directory):
    names = sorted(os.listdir(directory))
    sealed = {n[:-3] for n in names if n.endswith(".tape.gz")}
    lines = []
    for n in names:
        path = os.path.join(directory, n)
        if n.endswith(".tape.gz"):
            data = gzip.open(path, "rb").read()
        elif (n.endswith(".tape") or n.endswith(".tape.open")) and n not in sealed:
            data = open(path, "rb").read()
        else:
            continue
        lines += data.decode().splitlines()
    return lines


def verify(label, sent_dir, data_dir, metrics_path, recording):
    ok = True

    def fail(msg):
        nonlocal ok
        ok = False
        print(f"FAIL {label}: {msg}")

    sent = {}
    for path in sorted(glob.glob(os.path.join(sent_dir, "connection-*.txt"))):
        k = int(re.search(r"connection-(\d+)", path).group(1))
        sent[k] = open(path).read().splitlines()
    metrics = open(metrics_path).read()
    received = {}
    for line in metrics.splitlines():
        m = re.match(r'ticktape_connection_messages_total\{.*connection="(\d+)".*\} ([0-9.e+]+)', line)
        if m:
            received[int(m.group(1))] = int(float(m.group(2)))
    for k, frames in sent.items():
        if received.get(k, 0) < len(frames):
            fail(f"connection {k} received {received.get(k, 0)} of {len(frames)} frames sent: cannot judge")
    union = {}
    for frames in sent.values():
        for f in frames:
            union[f] = ident(f)
    by_stream = {}
    for f, (s, i) in union.items():
        by_stream.setdefault(s, []).append((i, f))
    captured = {}
    for line in read_capture(data_dir):
        ns, frame = line.split(" ", 1)
        s, i = ident(frame)
        captured.setdefault(s, []).append((i, frame))
    gaps = []
    gaps_path = os.path.join(data_dir, "gaps.jsonl")
    if os.path.exists(gaps_path):
        gaps = [json.loads(l) for l in open(gaps_path) if l.strip()]
    for g in gaps:
        if g["cause"] != "sequence":
            fail(f"unexpected ledger entry {g}")
    summary = []
    for s in sorted(by_stream):
        want = [f for _, f in sorted(by_stream[s])]
        got = [f for _, f in captured.get(s, [])]
        ids = [i for i, _ in captured.get(s, [])]
        if any(b <= a for a, b in zip(ids, ids[1:])):
            fail(f"{s}: ids not strictly increasing")
        missing = len(set(want) - set(got))
        if got != want:
            fail(f"{s}: capture differs from the union delivered (captured {len(got)}, delivered {len(want)}, missing {missing}, extra {len(set(got) - set(want))})")
        ranges = [(g["first_missing"], g["last_missing"]) for g in gaps if g["stream"] == s]
        delivered_ids = [i for i, _ in by_stream[s]]
        named = [i for i in delivered_ids if any(a <= i <= b for a, b in ranges)]
        if named:
            fail(f"{s}: the ledger names {len(named)} delivered ids, e.g. {named[:3]}")
        summary.append(f"{s}: delivered {len(want)}, captured {len(got)}, missing {missing}, ledger entries {len(ranges)}")
    # Every trade or depth message of the recording nobody was sent (between the first and last
    # captured) is in the ledger: its id within an entry's range.
    undelivered = {}
    for line in open(recording):
        frame = line.rstrip("\n").split(" ", 1)[1]
        if frame not in union:
            s, i = ident(frame)
            undelivered.setdefault(s, []).append(i)
    for s in ("btcusdt@trade", "btcusdt@depth@0ms"):
        got = [i for i, _ in captured.get(s, [])]
        if not got:
            continue
        ranges = [(g["first_missing"], g["last_missing"]) for g in gaps if g["stream"] == s]
        inside = [i for i in undelivered.get(s, []) if got[0] < i < got[-1]]
        unnamed = [i for i in inside if not any(a <= i <= b for a, b in ranges)]
        if unnamed:
            fail(f"{s}: {len(unnamed)} messages nobody delivered are missing from the ledger, e.g. {unnamed[:3]}")
        summary.append(f"{s}: {len(inside)} messages delivered by no connection, all in the ledger" if not unnamed else "")
    merge = {}
    for path in glob.glob(os.path.join(data_dir, "*.manifest.json")):
        for s in json.load(open(path))["streams"]:
            m = s.get("merge") or {}
            agg = merge.setdefault(s["stream"], {"holes_filled": 0, "holes_expired": 0, "late_placed": 0, "late_dropped": 0, "fill_max": 0})
            for key in ("holes_filled", "holes_expired", "late_placed", "late_dropped"):
                agg[key] += m.get(key, 0)
            agg["fill_max"] = max(agg["fill_max"], m.get("fill_delay_max_ns") or 0)
    hold = {q: v for q, v in re.findall(r'ticktape_capture_hold_delay_seconds\{.*quantile="([0-9.]+)".*\} ([0-9.e+-]+)', metrics)}
    wait_s = re.findall(r'ticktape_capture_hole_wait_seconds\{.*\} ([0-9.e+-]+)', metrics)
    sent_counts = {k: len(v) for k, v in sorted(sent.items())}
    print(f"{'PASS' if ok else 'FAIL'} {label}: sent per connection {sent_counts}; " + "; ".join(summary))
    for s, m in sorted(merge.items()):
        print(f"   {s}: holes filled {m['holes_filled']}, expired {m['holes_expired']}, late placed {m['late_placed']}, "
              f"late dropped {m['late_dropped']}, fill delay max {m['fill_max'] / 1e6:.2f} ms")
    if hold:
        print(f"   hold (extra latency of held copies) p50 {float(hold.get('0.5', 'nan')) * 1e3:.3f} ms, "
              f"p99 {float(hold.get('0.99', 'nan')) * 1e3:.3f} ms, max {float(hold.get('1', 'nan')) * 1e3:.3f} ms; "
              f"hole_wait {float(wait_s[0]) * 1e3 if wait_s else float('nan'):.2f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "generate":
        generate(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "wait":
        sys.exit(wait(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
    elif cmd == "verify":
        sys.exit(verify(*sys.argv[2:7]))
