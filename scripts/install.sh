#!/usr/bin/env bash
# Builds ticktape (release, Swift runtime linked statically) and installs it as a systemd
# service:
#
#   $PREFIX/bin/ticktaped, $PREFIX/bin/ticktape
#   <unit dir>/ticktape.service          (ExecStart points at $PREFIX/bin/ticktaped)
#   <sysusers dir>/ticktape.conf         (system user "ticktape")
#   <tmpfiles dir>/ticktape.conf         (/var/lib/ticktape, /etc/ticktape)
#   $PREFIX/share/doc/ticktape/          (README.md, ARCHITECTURE.md)
#   /etc/ticktape/ticktape.toml          (the documented default; an existing file is kept)
#
# <unit dir> etc. are $PREFIX/lib/{systemd/system,sysusers.d,tmpfiles.d} for PREFIX /usr or
# /usr/local (both are on systemd's search paths), /etc/... otherwise; override with
# UNITDIR, SYSUSERSDIR, TMPFILESDIR.
#
# Usage: scripts/install.sh [--no-build] [--bin-dir DIR] [--prefix DIR] [--destdir DIR]
#   --no-build     install what .build/release holds (build it first with `make release`)
#   --bin-dir DIR  install ticktaped and ticktape from DIR (implies --no-build)
#   PREFIX (default /usr/local) and DESTDIR (default empty) are also read from the
#   environment, as `make install PREFIX=/usr DESTDIR=/tmp/stage` passes them.
#
# With an empty DESTDIR on a machine where systemd is running, it then creates the user
# (systemd-sysusers), the directories (systemd-tmpfiles) and runs `systemctl daemon-reload`.
# It never enables, starts or restarts the service.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
build=1
bin_dir=""

while [ $# -gt 0 ]; do
    case $1 in
        --no-build) build=0 ;;
        --bin-dir) bin_dir=${2:?--bin-dir needs a directory}; build=0; shift ;;
        --bin-dir=*) bin_dir=${1#--bin-dir=}; build=0 ;;
        --prefix) PREFIX=${2:?--prefix needs a directory}; shift ;;
        --prefix=*) PREFIX=${1#--prefix=} ;;
        --destdir) DESTDIR=${2:?--destdir needs a directory}; shift ;;
        --destdir=*) DESTDIR=${1#--destdir=} ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

case $PREFIX in
    /*) ;;
    *) echo "install.sh: PREFIX must be an absolute path, got '$PREFIX'" >&2; exit 2 ;;
esac
PREFIX=${PREFIX%/}
DESTDIR=${DESTDIR%/}

case $PREFIX in
    /usr|/usr/local) libdir=$PREFIX/lib ;;
    *) libdir=/etc ;;
esac
UNITDIR=${UNITDIR:-$libdir/systemd/system}
SYSUSERSDIR=${SYSUSERSDIR:-$libdir/sysusers.d}
TMPFILESDIR=${TMPFILESDIR:-$libdir/tmpfiles.d}
docdir=$PREFIX/share/doc/ticktape

if [ -z "$bin_dir" ]; then
    for candidate in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
        [ -x "$candidate/swift" ] && PATH="$candidate:$PATH"
    done
    if [ "$build" -eq 1 ]; then
        echo "install.sh: building (swift build -c release --static-swift-stdlib)"
        (cd "$here" && swift build -c release --static-swift-stdlib)
    fi
    if command -v swift >/dev/null 2>&1; then
        bin_dir=$(cd "$here" && swift build -c release --static-swift-stdlib --show-bin-path)
    else
        bin_dir=$here/.build/release
    fi
fi
for exe in ticktaped ticktape; do
    [ -x "$bin_dir/$exe" ] || {
        echo "install.sh: $bin_dir/$exe not found (build it: make release, or drop --no-build)" >&2
        exit 1
    }
done

say() { echo "install.sh: $*"; }

# install_file MODE SRC DEST: atomic replace (a running binary is never written in place).
install_file() {
    local mode=$1 src=$2 dest=$3
    install -d -m 0755 "$(dirname "$dest")"
    install -m "$mode" "$src" "$dest.new.$$"
    mv -f "$dest.new.$$" "$dest"
    say "installed $dest"
}

install_file 0755 "$bin_dir/ticktaped" "$DESTDIR$PREFIX/bin/ticktaped"
install_file 0755 "$bin_dir/ticktape" "$DESTDIR$PREFIX/bin/ticktape"

unit_tmp=$(mktemp "${TMPDIR:-/tmp}/ticktape.service.XXXXXX")
trap 'rm -f "$unit_tmp"' EXIT
sed -e "s|/usr/local/bin/ticktaped|$PREFIX/bin/ticktaped|g" \
    -e "s|/usr/local/share/doc/ticktape|$docdir|g" \
    "$here/deploy/ticktape.service" >"$unit_tmp"
install_file 0644 "$unit_tmp" "$DESTDIR$UNITDIR/ticktape.service"
install_file 0644 "$here/deploy/sysusers.d/ticktape.conf" "$DESTDIR$SYSUSERSDIR/ticktape.conf"
install_file 0644 "$here/deploy/tmpfiles.d/ticktape.conf" "$DESTDIR$TMPFILESDIR/ticktape.conf"
install_file 0644 "$here/README.md" "$DESTDIR$docdir/README.md"
install_file 0644 "$here/docs/ARCHITECTURE.md" "$DESTDIR$docdir/ARCHITECTURE.md"

config=$DESTDIR/etc/ticktape/ticktape.toml
if [ -e "$config" ]; then
    say "kept the existing $config (the shipped default is $here/etc/ticktape.toml)"
else
    install -d -m 0755 "$DESTDIR/etc/ticktape"
    install -m 0644 "$here/etc/ticktape.toml" "$config"
    say "installed $config"
fi

if [ -n "$DESTDIR" ]; then
    say "DESTDIR set: not running systemd-sysusers, systemd-tmpfiles or daemon-reload"
elif [ ! -d /run/systemd/system ]; then
    say "systemd is not running: the user and directories are created at the next boot"
    say "(or now: systemd-sysusers $SYSUSERSDIR/ticktape.conf; systemd-tmpfiles --create $TMPFILESDIR/ticktape.conf)"
else
    systemd-sysusers "$SYSUSERSDIR/ticktape.conf"
    systemd-tmpfiles --create "$TMPFILESDIR/ticktape.conf"
    systemctl daemon-reload
    say "done. Edit $config, then: systemctl enable --now ticktape"
    if systemctl is-active --quiet ticktape.service; then
        say "ticktape is running the previous binary: systemctl restart ticktape"
    fi
fi
