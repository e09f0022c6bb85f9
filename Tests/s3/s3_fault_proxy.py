#!/usr/bin/env python3
"""Fault-injecting HTTP reverse proxy for S3 tests (stdlib only).

    python3 s3_fault_proxy.py LISTEN_PORT UPSTREAM_HOST:PORT      # e.g. 9000 127.0.0.1:5055

Every request (method, raw path+query, headers in order incl. Host *unchanged*, body) is
forwarded to UPSTREAM, so SigV4 signatures made for the proxy's address stay valid.
Bodies are read by Content-Length, or de-chunked if Transfer-Encoding: chunked.

Admin endpoint (bucket names cannot start with "_", so it never clashes with S3):
    POST /__fault?mode=MODE&count=N[&match=SUBSTR]   arm: next N matching requests get MODE
    POST /__fault?mode=off                           disarm
    GET  /__fault                                    JSON state: mode, remaining, forwarded, injected,
                                                     and "log": every forwarded "METHOD /path?query"
MODE:  503        -> 503 <Error><Code>SlowDown</Code>...
       500        -> 500 <Error><Code>InternalError</Code>...
       drop       -> read request, close socket without any response (request NOT forwarded)
       drop_after -> forward request to upstream (it takes effect), then close without response
match: optional substring of "METHOD /path?query" (e.g. "PUT", "uploadId=", "POST /bkt/k?uploads").
"""
import http.client, json, sys, threading, urllib.parse, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM = "127.0.0.1:5055"
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"}
ERRORS = {"503": ("SlowDown", "Please reduce your request rate."),
          "500": ("InternalError", "We encountered an internal error. Please try again.")}
state = {"mode": "off", "remaining": 0, "match": "", "forwarded": 0, "injected": 0, "log": []}
lock = threading.Lock()


def take_fault(req_line):
    """Return the fault mode to apply to this request (consuming one), or None."""
    with lock:
        if state["remaining"] > 0 and state["match"] in req_line:
            state["remaining"] -= 1
            state["injected"] += 1
            return state["mode"]
        return None


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def reply(self, status, body, ctype="application/xml", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def admin(self):
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        if self.command == "POST":
            with lock:
                state.update(mode=q.get("mode", "off"), match=q.get("match", ""),
                             remaining=int(q.get("count", 1)) if q.get("mode", "off") != "off" else 0)
        with lock:
            self.reply(200, json.dumps(state).encode(), "application/json")

    def forward(self, body):
        conn = http.client.HTTPConnection(UPSTREAM, timeout=120)
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():          # Host included, verbatim
            if k.lower() not in HOP and k.lower() != "content-length":
                conn.putheader(k, v)
        if body or self.command in ("PUT", "POST"):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        with lock:
            state["forwarded"] += 1
            state["log"].append(f"{self.command} {self.path}")
        return resp, data

    def handle_any(self):
        if self.path.startswith("/__fault"):
            return self.admin()
        body = self.read_body()
        fault = take_fault(f"{self.command} {self.path}")
        if fault in ERRORS:
            code, msg = ERRORS[fault]
            rid = uuid.uuid4().hex[:16].upper()
            xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                   f"<Message>{msg}</Message><RequestId>{rid}</RequestId></Error>").encode()
            return self.reply(int(fault), xml, headers=[("x-amz-request-id", rid)])
        if fault == "drop_after":
            self.forward(body)
        if fault in ("drop", "drop_after"):
            self.close_connection = True
            return
        resp, data = self.forward(body)
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP and k.lower() not in ("content-length", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", resp.getheader("Content-Length", str(len(data))))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = handle_any

    def log_message(self, fmt, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
    UPSTREAM = sys.argv[2] if len(sys.argv) > 2 else UPSTREAM
    ThreadingHTTPServer.daemon_threads = True
    print(f"s3_fault_proxy :{port} -> {UPSTREAM}", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Proxy).serve_forever()
