#!/usr/bin/env python3
"""A real S3-compatible server for ticktape's S3 sink tests: moto's server, with SigV4 signature
checking ON, behind a fault-injecting proxy (s3_fault_proxy.py).

    python3 s3server.py BUCKET

Starts moto on a free loopback port, creates an IAM user with s3:* and an access key, creates
BUCKET, then turns authentication on (every later request must be signed with that key; a wrong
secret gets 403 SignatureDoesNotMatch). Starts the fault proxy on another free port and prints one
JSON line: {"endpoint": "http://127.0.0.1:PROXY", "direct": "http://127.0.0.1:MOTO",
"access_key_id": ..., "secret_access_key": ...}. Runs until stdin closes (the test ends), so it
never outlives its test.

One fix to stock moto: werkzeug decodes the request URI before moto checks the signature, so a
signed request whose query holds %2F (a ListObjectsV2 prefix "a/b") fails; moto's check is made
against the raw URI instead (RAW_URI), as a real S3 does.
"""
import json, os, socket, sys, threading, urllib.request

os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "true")
import flask  # noqa: E402
from moto.core.authorization import ActionAuthenticatorMixin as _M  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

_orig = _M._authenticate_and_authorize_action


def _auth_with_raw_uri(self, iam_request_cls, resource="*"):
    raw = flask.request.environ.get("RAW_URI") if flask.has_request_context() else None
    if not raw:
        return _orig(self, iam_request_cls, resource)
    saved, self.uri = self.uri, raw if raw.startswith("http") else "http://raw" + raw
    try:
        return _orig(self, iam_request_cls, resource)
    finally:
        self.uri = saved


_M._authenticate_and_authorize_action = _auth_with_raw_uri


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    bucket = sys.argv[1] if len(sys.argv) > 1 else "ticktape-test"
    import boto3
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    direct = f"http://127.0.0.1:{port}"
    boot = dict(endpoint_url=direct, region_name="us-east-1", aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
    iam = boto3.client("iam", **boot)
    iam.create_user(UserName="ticktape")
    iam.put_user_policy(UserName="ticktape", PolicyName="s3", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="ticktape")["AccessKey"]
    boto3.client("s3", **boot).create_bucket(Bucket=bucket)
    urllib.request.urlopen(urllib.request.Request(direct + "/moto-api/reset-auth", data=b"0", method="POST",
                                                  headers={"Content-Type": "text/plain"})).read()

    import s3_fault_proxy
    from http.server import ThreadingHTTPServer
    s3_fault_proxy.UPSTREAM = f"127.0.0.1:{port}"
    ThreadingHTTPServer.daemon_threads = True
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), s3_fault_proxy.Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    print(json.dumps({"endpoint": f"http://127.0.0.1:{proxy.server_address[1]}", "direct": direct,
                      "access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}), flush=True)
    sys.stdin.read()  # until the test closes our stdin (or dies)
    proxy.shutdown()
    server.stop()


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
