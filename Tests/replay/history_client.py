#!/usr/bin/env python3
"""An independent client of the replay server's history API (Python's urllib, which reads the
chunked responses itself).

  history_client.py get URL OUT           -> OUT: {"status": N, "body": "..."}
  history_client.py pages URL OUT         -> follows {"next": token} continuations (cursor=),
                                             OUT: every line of every page except the
                                             continuation lines; prints the page count.
"""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


mode, url, out = sys.argv[1], sys.argv[2], sys.argv[3]
if mode == "get":
    status, body = fetch(url)
    with open(out, "w") as f:
        json.dump({"status": status, "body": body}, f)
else:
    lines, pages, cursor = [], 0, None
    while True:
        status, body = fetch(url + ("&cursor=" + urllib.parse.quote(cursor) if cursor else ""))
        if status != 200:
            print(f"status {status}: {body}")
            sys.exit(1)
        pages += 1
        cursor = None
        for line in body.split("\n"):
            if not line:
                continue
            if line.startswith('{"next":'):
                cursor = json.loads(line)["next"]
            else:
                lines.append(line)
        if cursor is None:
            break
    with open(out, "w") as f:
        f.write("\n".join(lines) + ("\n" if lines else ""))
    print(pages)
