#!/usr/bin/env python3
"""Checks on capture files and journal output for Tests/systemd/run.sh.

Capture lines are `<receive time, ns since the epoch> <frame>`; files are
<data_dir>/<capture>/*.tape (closed) or *.tape.open (being written).

  tapecheck.py stamps DIR                    count, first and last stamp
  tapecheck.py after DIR NS                  lines with a stamp > NS
  tapecheck.py continuity DIR FROM_NS TO_NS  largest interval between consecutive stamps
                                             in [FROM_NS, TO_NS] (and the edges), in ms
  tapecheck.py closed DATA_DIR               every file under DATA_DIR/*/ is closed (*.tape,
                                             or gaps.jsonl), every line `<digits> <json>`
  tapecheck.py journal [FIELD...]            reads `journalctl -o json` on stdin; checks
                                             that the daemon's entries carry FIELDs
Each prints one line of figures; exit status 0 = check passed.
"""
import glob
import json
import os
import re
import sys

LINE = re.compile(rb"^([0-9]+) (.*)$", re.S)


def capture_files(directory):
    files = glob.glob(os.path.join(directory, "*.tape")) + glob.glob(os.path.join(directory, "*.tape.open"))
    return sorted(files)


def stamps(directory):
    """Receive stamps of every complete line (a file being written may end mid-line)."""
    out = []
    for path in capture_files(directory):
        with open(path, "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        if lines and lines[-1] != b"":
            lines = lines[:-1]  # incomplete last line of a file being written
        for line in lines:
            if not line:
                continue
            m = LINE.match(line)
            if m:
                out.append(int(m.group(1)))
    out.sort()
    return out


def cmd_stamps(directory):
    s = stamps(directory)
    if not s:
        print("lines=0")
        return 1
    print(f"lines={len(s)} first={s[0]} last={s[-1]}")
    return 0


def cmd_after(directory, ns):
    ns = int(ns)
    n = sum(1 for x in stamps(directory) if x > ns)
    print(n)
    return 0 if n > 0 else 1


def cmd_continuity(directory, lo, hi):
    lo, hi = int(lo), int(hi)
    s = stamps(directory)
    if s and s[0] > lo:
        lo = s[0]  # the capture started inside the window: measure from its first line
    window = [x for x in s if lo <= x <= hi]
    if len(window) < 2:
        print(f"lines_in_window={len(window)} max_gap_ms=inf")
        return 1
    # Include the edges: silence from FROM_NS to the first line, or from the last line to TO_NS.
    points = [lo] + window + [hi]
    gaps = [(b - a, a) for a, b in zip(points, points[1:])]
    worst, at = max(gaps)
    print(f"lines_in_window={len(window)} max_gap_ms={worst / 1e6:.1f} at_ns={at}")
    return 0


def cmd_closed(data_dir):
    files = sorted(p for p in glob.glob(os.path.join(data_dir, "*", "*")) if os.path.isfile(p))
    bad_names, bad_lines, lines, tapes = [], [], 0, 0
    for path in files:
        name = os.path.basename(path)
        if name == "gaps.jsonl":
            continue
        if not name.endswith(".tape"):
            bad_names.append(path)
            continue
        tapes += 1
        with open(path, "rb") as f:
            data = f.read()
        if data and not data.endswith(b"\n"):
            bad_lines.append(f"{path}: no final newline")
        for no, line in enumerate(data.split(b"\n")[:-1] if data else [], 1):
            m = LINE.match(line)
            ok = bool(m)
            if ok:
                try:
                    json.loads(m.group(2))
                except ValueError:
                    ok = False
            if not ok:
                if len(bad_lines) < 5:
                    bad_lines.append(f"{path}:{no}: {line[:120]!r}")
                else:
                    bad_lines.append("")
            lines += 1
    print(f"files={tapes} lines={lines} not_closed={len(bad_names)} bad_lines={len(bad_lines)}")
    for b in bad_names[:10]:
        print(f"  not closed: {b}")
    for b in [b for b in bad_lines if b][:5]:
        print(f"  bad line: {b}")
    return 0 if tapes > 0 and lines > 0 and not bad_names and not bad_lines else 1


def cmd_journal(fields):
    entries = []
    for raw in sys.stdin:
        raw = raw.strip()
        if raw:
            try:
                entries.append(json.loads(raw))
            except ValueError:
                pass
    ours = [e for e in entries if e.get("SYSLOG_IDENTIFIER") == "ticktaped"]
    base = ["MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC"]
    structured = [e for e in ours if all(k in e for k in base)]
    full = [e for e in structured if all(k in e for k in fields)]
    with_conn = [e for e in structured if "TICKTAPE_CONNECTION" in e]
    conn_ok = [e for e in with_conn if "TICKTAPE_CAPTURE" in e]
    # Entries that came through stdout/stderr rather than the native protocol.
    transport = {}
    for e in ours:
        transport[e.get("_TRANSPORT", "?")] = transport.get(e.get("_TRANSPORT", "?"), 0) + 1
    print(f"entries={len(ours)} structured={len(structured)} with_{'+'.join(fields) or 'nothing'}={len(full)} "
          f"with_connection={len(with_conn)} transports={transport}")
    if full:
        e = full[0]
        sample = {k: e[k] for k in base + list(fields) if k in e}
        print("  sample: " + json.dumps(sample)[:400])
    if with_conn:
        e = with_conn[0]
        print("  connection sample: " + json.dumps({k: e.get(k) for k in ["MESSAGE", "TICKTAPE_CAPTURE", "TICKTAPE_CONNECTION"]})[:300])
    ok = bool(full) and bool(with_conn) and len(conn_ok) == len(with_conn)
    return 0 if ok else 1


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "stamps":
        return cmd_stamps(*args)
    if cmd == "after":
        return cmd_after(*args)
    if cmd == "continuity":
        return cmd_continuity(*args)
    if cmd == "closed":
        return cmd_closed(*args)
    if cmd == "journal":
        return cmd_journal(args)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
