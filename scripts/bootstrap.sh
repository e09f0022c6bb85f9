#!/usr/bin/env bash
# Installs what building and testing ticktape needs on Debian 12, skipping what is present.
# chromium: the status page's browser test (Tests/page/pagedriver.py, headless, over DevTools).
# Idempotent; safe to run before every build.
set -euo pipefail

# postgresql-15 + postgresql-client-15: the PostgreSQL sink tests start their own server (initdb).
# dpkg-dev (dpkg-shlibdeps), binutils (strip), lintian: `make deb` and its test under systemd.
packages=(zlib1g-dev libsystemd-dev openssl gzip ca-certificates pkg-config python3 python3-prometheus-client
    python3-websockets python3-yaml python3-jsonschema systemd util-linux chromium postgresql-15 postgresql-client-15
    dpkg-dev binutils lintian)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bootstrap: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The metrics test validates /metrics with the reference Prometheus parser. The Debian package
# serves the system python3; a python3 earlier on PATH (pyenv, venv) gets it from PyPI.
if ! python3 -c "import prometheus_client" >/dev/null 2>&1; then
    echo "bootstrap: installing prometheus_client for $(command -v python3)"
    python3 -m pip install --quiet prometheus_client 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages prometheus_client
fi

# The relay tests' independent clients use Python websockets (Debian's python3-websockets for the
# system python3; from PyPI for a python3 earlier on PATH).
if ! python3 -c "import websockets" >/dev/null 2>&1; then
    echo "bootstrap: installing websockets for $(command -v python3)"
    python3 -m pip install --quiet websockets 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages websockets
fi

# The serve API test validates answers against docs/openapi.yaml with jsonschema (+ PyYAML).
if ! python3 -c "import yaml, jsonschema" >/dev/null 2>&1; then
    echo "bootstrap: installing PyYAML and jsonschema for $(command -v python3)"
    python3 -m pip install --quiet pyyaml jsonschema 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages pyyaml jsonschema
fi

# The S3 sink tests start moto's S3 server (signatures checked) with boto3 as the independent reader.
if ! python3 -c "import moto.server, flask, boto3" >/dev/null 2>&1; then
    echo "bootstrap: installing moto[server] for $(command -v python3)"
    python3 -m pip install --quiet 'moto[server]>=5,<6' 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages 'moto[server]>=5,<6'
fi

if ! command -v swift >/dev/null 2>&1; then
    for candidate in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
        [ -x "$candidate/swift" ] && export PATH="$candidate:$PATH"
    done
fi
command -v swift >/dev/null 2>&1 || {
    echo "bootstrap: no Swift toolchain found (need Swift 6.1 or later: https://www.swift.org/install/linux/)" >&2
    exit 1
}
