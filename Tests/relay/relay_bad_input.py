#!/usr/bin/env python3
"""Bad input against the listener, from an independent client: malformed and oversized HTTP
requests, bad query values, unknown methods, and WebSocket clients that send binary frames,
oversized frames, bad JSON and ping floods. Prints one JSON object: for each case the HTTP
status (or the close code, or the error reply) the server gave.

Usage: relay_bad_input.py HOST PORT [TOKEN]
"""
import asyncio
import json
import socket
import sys

import websockets

host, port = sys.argv[1], int(sys.argv[2])
token = sys.argv[3] if len(sys.argv) > 3 else None


def http(raw):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(raw)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                head, _, body = data.partition(b"\r\n\r\n")
                length = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if length and len(body) >= int(length[0].split(b":")[1]):
                    break
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    if not data.startswith(b"HTTP/1.1 "):
        return {"status": None}
    status = int(data[9:12])
    body = data.partition(b"\r\n\r\n")[2]
    return {"status": status, "json": body.startswith(b"{")}


def get(path, extra=""):
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return http(f"GET {path} HTTP/1.1\r\nHost: x\r\n{auth}{extra}Connection: close\r\n\r\n".encode())


results = {
    "garbage": http(b"\x00\x01\x02 nonsense\r\n\r\n"),
    "huge_header": get("/api/v3/depth?symbol=BTCUSDT", "X-Big: " + "a" * 200_000 + "\r\n"),
    "unknown_method": http(f"BREW /fapi/v1/depth HTTP/1.1\r\nHost: x\r\n{'Authorization: Bearer ' + token + chr(13) + chr(10) if token else ''}Connection: close\r\n\r\n".encode()),
    "post": http(f"POST /fapi/v1/depth HTTP/1.1\r\nHost: x\r\n{'Authorization: Bearer ' + token + chr(13) + chr(10) if token else ''}Content-Length: 3\r\nConnection: close\r\n\r\nabc".encode()),
    "missing_symbol": get("/fapi/v1/depth"),
    "bad_symbol": get("/fapi/v1/depth?symbol=%00%FF!!"),
    "bad_limit": get("/fapi/v1/depth?symbol=BTCUSDT&limit=abc"),
    "huge_limit": get("/fapi/v1/depth?symbol=BTCUSDT&limit=99999999999999999999999"),
    "unknown_symbol": get("/fapi/v1/depth?symbol=NOPEUSDT"),
    "unknown_path": get("/../../etc/passwd"),
    "ws_path_without_upgrade": get("/ws/btcusdt@trade"),
    "no_token": http(b"GET /fapi/v1/depth?symbol=BTCUSDT HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
}


def server_ping():
    """A raw client that upgrades and waits for the relay's own ping frame (opcode 9)."""
    s = socket.create_connection((host, port), timeout=10)
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    s.sendall((f"GET /ws HTTP/1.1\r\nHost: x\r\n{auth}Upgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            data += s.recv(4096)
        data = data.partition(b"\r\n\r\n")[2]
        while len(data) < 2:
            data += s.recv(4096)
        return {"opcode": data[0] & 0x0F}
    except socket.timeout:
        return {"opcode": None}
    finally:
        s.close()


async def ws_case(send):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs = {"max_size": None, "ping_interval": None, "compression": None}
    try:
        ws = await websockets.connect(f"ws://{host}:{port}/ws", additional_headers=headers, **kwargs)
    except TypeError:
        ws = await websockets.connect(f"ws://{host}:{port}/ws", extra_headers=headers, **kwargs)
    try:
        reply = await send(ws)
        if reply is not None:
            return {"reply": reply}
        await asyncio.wait_for(ws.recv(), timeout=10)
        return {"close": None}
    except websockets.exceptions.ConnectionClosed as e:
        rcvd = getattr(e, "rcvd", None)
        return {"close": rcvd.code if rcvd is not None else getattr(e, "code", None)}
    finally:
        await ws.close()


async def binary(ws):
    await ws.send(b"\x01\x02")
    return None


async def oversize(ws):
    await ws.send("x" * 200_000)
    return None


async def bad_json(ws):
    await ws.send('{"method":"SUBSCRIBE","params":[')
    return await ws.recv()


async def bad_params(ws):
    await ws.send('{"method":"SUBSCRIBE","params":[1,2],"id":7}')
    return await ws.recv()


async def unknown_method(ws):
    await ws.send('{"method":"DELETE_EVERYTHING","id":8}')
    return await ws.recv()


async def ping_flood(ws):
    for _ in range(30):
        await ws.ping()
    return None


async def main():
    for name, case in [("ws_binary", binary), ("ws_oversize", oversize), ("ws_bad_json", bad_json),
                       ("ws_bad_params", bad_params), ("ws_unknown_method", unknown_method), ("ws_ping_flood", ping_flood)]:
        try:
            results[name] = await ws_case(case)
        except Exception as e:
            results[name] = {"error": f"{type(e).__name__}: {e}"}
    results["server_ping"] = server_ping()
    results["after"] = get("/fapi/v1/depth?symbol=BTCUSDT&limit=5")


asyncio.run(asyncio.wait_for(main(), timeout=120))
print(json.dumps(results))
