#!/usr/bin/env python3
"""Checks on capture files and journal output for Tests/systemd/run.sh.

Capture lines are `<receive time, ns since the epoch> <frame>`; files are
<data_dir>/<capture>/*.tape (closed) or *.tape.open (being written).

  tapecheck.py stamps DIR                    count, first and last stamp
  tapecheck.py after DIR NS                  lines with a stamp > NS
  tapecheck.py continuity DIR FROM_NS TO_NS  largest interval between consecutive stamps
                                             in [FROM_NS, TO_NS] (and the edges), in ms;
                                             fails if bookTicker `u` ever fails to rise
  tapecheck.py closed DATA_DIR               every file under DATA_DIR/*/ is closed (*.tape,
                                             or gaps.jsonl), every line `<digits> <json>`
  tapecheck.py closed DATA_DIR RESTART_NS    the same; files not closed whose last line
                                             predates RESTART_NS are named as left behind
                                             by the process killed then
  tapecheck.py journal [FIELD...]            reads `journalctl -o json` on stdin; checks
                                             that the daemon's entries carry FIELDs
  tapecheck.py journal-find TEXT             reads `journalctl -o json` on stdin; the
                                             daemon's first entry with TEXT in any field
Each prints one line of figures; exit status 0 = check passed.
"""
import glob
import gzip
import json
import os
import re
import sys

LINE = re.compile(rb"^([0-9]+) (.*)$", re.S)
U_FIELD = re.compile(rb'"u":([0-9]+)')


def capture_files(directory):
    """Segments in name order: sealed (*.tape.gz) and plain (*.tape, *.tape.open); a plain file
    whose segment is already sealed (caught between sealing and removal) is skipped."""
    sealed = glob.glob(os.path.join(directory, "*.tape.gz"))
    plain = glob.glob(os.path.join(directory, "*.tape")) + glob.glob(os.path.join(directory, "*.tape.open"))
    done = {p[: -len(".gz")] for p in sealed}
    return sorted(sealed + [p for p in plain if p not in done])


def read_capture(path):
    """A segment's bytes; sealed segments are gzip."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read()


def stamps(directory):
    """Receive stamps of every complete line (a file being written may end mid-line)."""
    out = []
    for path in capture_files(directory):
        data = read_capture(path)
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
    # bookTicker: the merged output's update ids (`u`) must rise strictly (late copies are
    # dropped by default), in the order the lines were written.
    us, back = [], 0
    for path in capture_files(directory):
        for line in read_capture(path).split(b"\n"):
            m = LINE.match(line)
            if not m or not (lo <= int(m.group(1)) <= hi):
                continue
            u = U_FIELD.search(m.group(2))
            if u:
                us.append(int(u.group(1)))
    back = sum(1 for a, b in zip(us, us[1:]) if b <= a)
    print(f"lines_in_window={len(window)} max_gap_ms={worst / 1e6:.1f} u_not_increasing={back}")
    return 0 if back == 0 else 1


def last_stamp(path):
    lines = [l for l in read_capture(path).split(b"\n") if l]
    for line in reversed(lines):
        m = LINE.match(line)
        if m:
            return int(m.group(1))
    return None


def cmd_closed(data_dir, restart_ns=None):
    files = sorted(p for p in glob.glob(os.path.join(data_dir, "*", "*")) if os.path.isfile(p))
    bad_names, bad_lines, lines, tapes = [], [], 0, 0
    for path in files:
        name = os.path.basename(path)
        # Sealed segments (.tape.gz + .manifest.json) are closed; so is the source of a segment
        # sealed by crash recovery (.tape.recovered, kept untouched beside its seal).
        if name == "gaps.jsonl" or name.endswith(".manifest.json") or ".tape.recovered" in name:
            continue
        if not (name.endswith(".tape") or name.endswith(".tape.gz")):
            bad_names.append(path)
            continue
        tapes += 1
        data = read_capture(path)
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
        why = ""
        last = last_stamp(b) if b.endswith(".tape.open") else None
        if restart_ns is not None and last is not None and last < int(restart_ns):
            why = f" (last line {(int(restart_ns) - last) / 1e9:.1f} s before the restart: left by the killed process, never sealed)"
        print(f"  not closed: {b}{why}")
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


def cmd_journal_find(text):
    for raw in sys.stdin:
        try:
            e = json.loads(raw)
        except ValueError:
            continue
        if e.get("SYSLOG_IDENTIFIER") != "ticktaped":
            continue
        for k, v in e.items():
            if isinstance(v, str) and text in v and not k.startswith("_"):
                print(f"PRIORITY={e.get('PRIORITY')} MESSAGE={e.get('MESSAGE')!r} {k}={v!r}")
                return 0
    print("")
    return 1


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
    if cmd == "journal-find":
        return cmd_journal_find(*args)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
