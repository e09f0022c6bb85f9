#!/usr/bin/env bash
# Runs the real ticktaped under a real systemd 252, booted as PID 1 of a private namespace,
# and checks what the unit file promises: Type=notify readiness, STATUS=, structured journal
# logging, live reload (good and bad), the watchdog, a clean stop. Also: the release binaries
# need only system libraries, and deploy/ticktape.service rates <= 1.5 in
# `systemd-analyze security`. The host is left as it was (checked at the end).
#
# Usage (as root): Tests/systemd/run.sh [--bin-dir DIR] [--keep]
#   --bin-dir DIR  take ticktaped/ticktape from DIR instead of building
#                  (default: swift build -c release --static-swift-stdlib, incremental)
#   --keep         keep the work directory (.build/systemd-test) even when everything passed
# Exit status: 0 all passed, 1 some failed, 77 skipped (not root, or no systemd/unshare).
# Prints one PASS/FAIL line per check and ends with exactly one line "N passed, M failed".
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

bin_dir=""
keep=0
while [ $# -gt 0 ]; do
    case $1 in
        --bin-dir) bin_dir=$2; shift ;;
        --bin-dir=*) bin_dir=${1#--bin-dir=} ;;
        --keep) keep=1 ;;
        *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done

skip() { echo "test-systemd: SKIPPED: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (booting systemd in a namespace); run: sudo make test-systemd"
for tool in unshare nsenter systemctl journalctl systemd-analyze systemd-run python3 ldd; do
    command -v "$tool" >/dev/null 2>&1 || skip "'$tool' is not installed"
done
[ -x /lib/systemd/systemd ] || skip "/lib/systemd/systemd is not installed (apt-get install systemd)"
host_cgroup2_root >/dev/null || skip "no cgroup2 hierarchy on this host"

# The namespace mounts fresh file systems over /tmp, /var/tmp, /run, /var/log and the unit's
# folders, and overlays /etc, /var and /usr/local: a checkout below one of those would vanish
# from inside it (or could not hold the overlays' scratch space). Then the binaries are built
# here and the harness runs from a copy under /srv, which is removed afterwards; failure logs
# are copied back.
case "$repo/" in
    /tmp/* | /run/* | /var/* | /etc/* | /usr/local/*)
        if [ -z "$bin_dir" ]; then
            echo "   building: swift build -c release --static-swift-stdlib"
            mkdir -p "$repo/.build"
            if ! (cd "$repo" && swift build -c release --static-swift-stdlib >"$repo/.build/systemd-test-build.log" 2>&1); then
                grep -E 'error:' "$repo/.build/systemd-test-build.log" | head -10 | sed 's/^/      /'
                echo "FAIL  build                      swift build -c release --static-swift-stdlib failed"
                echo "0 passed, 1 failed"
                exit 1
            fi
            bin_dir=$(cd "$repo" && swift build -c release --static-swift-stdlib --show-bin-path)
        fi
        mkdir -p /srv
        copy=$(mktemp -d /srv/ticktape-systemd-test.XXXXXX)
        mkdir -p "$copy/bin" "$copy/Tests"
        cp -a "$repo/Tests/systemd" "$copy/Tests/"
        cp -a "$repo/scripts" "$repo/deploy" "$repo/etc" "$repo/docs" "$repo/README.md" "$repo/CHANGELOG.md" "$copy/"
        mkdir -p "$copy/Sources/TickTape/Support"
        cp "$repo/Sources/TickTape/Support/TickTapeVersion.swift" "$copy/Sources/TickTape/Support/"
        cp "$bin_dir/ticktaped" "$bin_dir/ticktape" "$copy/bin/"
        echo "   checkout is below a path the namespace replaces; running from $copy"
        rc=0
        extra=()
        [ "$keep" -eq 1 ] && extra+=(--keep)
        "$copy/Tests/systemd/run.sh" --bin-dir "$copy/bin" "${extra[@]}" || rc=$?
        if [ -d "$copy/.build/systemd-test" ]; then
            mkdir -p "$repo/.build"
            rm -rf "$repo/.build/systemd-test"
            cp -a "$copy/.build/systemd-test" "$repo/.build/" 2>/dev/null || true
        fi
        rm -rf "$copy"
        exit $rc
        ;;
esac

work=$repo/.build/systemd-test
PORT=18443
DATA=/var/lib/ticktape
CONF=/etc/ticktape/ticktape.toml
TRIGGER=$DATA/hang-merger.trigger
UNIT=ticktape.service
TEST_START_MS=$(now_ms)
RESTART_NS=""

# --- host snapshot (compared at the end) ---------------------------------------------------
host_snapshot() {
    {
        echo "## mounts"; awk '{print $5, $9}' /proc/self/mountinfo | sort
        echo "## files"
        for f in /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/machine-id; do
            echo "$f $(sha256sum <"$f" 2>/dev/null | cut -c1-16)"
        done
        for d in /etc/systemd/system /usr/local/bin /usr/local/lib /var/lib/ticktape /etc/ticktape \
            /run/systemd/system /var/log/journal /var/lib/systemd; do
            echo "$d: $(ls -A "$d" 2>/dev/null | tr '\n' ' ' || echo absent)"
        done
        echo "/usr/bin: $(ls /usr/bin | grep -c .) entries, ticktape: $(ls /usr/bin/ticktape* 2>/dev/null || echo none)"
        echo "dpkg ticktape: $(dpkg-query -W -f '${Status} ${Version}' ticktape 2>/dev/null || echo absent)"
        echo "hostname $(hostname)"
        echo "## cgroups"; ls -A "$(host_cgroup2_root)" | grep ticktape || true
    }
}
# /tmp: entries that existed (and were older than a minute, so not some other job's
# short-lived files) must all still be there (systemd-tmpfiles empties /tmp at boot), and no
# systemd-private-* (PrivateTmp=) may appear.
tmp_snapshot() {
    find /tmp -mindepth 1 -maxdepth 1 ! -newermt "@$(( $(date +%s) - 60 ))" -printf '%P\n' 2>/dev/null | sort
}

finish() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$NS_PID" ]; then
        in_ns journalctl --no-pager -o short-precise >"$work/journal.txt" 2>&1 || true
        in_ns journalctl --no-pager -o json -u "$UNIT" >"$work/journal-ticktape.json" 2>&1 || true
        in_ns systemctl --no-pager --all list-units >"$work/units.txt" 2>&1 || true
    fi
    ns_teardown
    if [ -n "${HOST_BEFORE:-}" ]; then
        local after tmp_after missing ours
        after=$(host_snapshot)
        if [ "$after" = "$HOST_BEFORE" ]; then
            pass "host untouched" "mounts, /etc/passwd, /usr/local/bin, /etc/systemd/system, cgroups as before"
        else
            fail "host untouched" "the host changed:"
            diff <(echo "$HOST_BEFORE") <(echo "$after") | sed 's/^/      /' | head -20
        fi
        tmp_after=$(find /tmp -mindepth 1 -maxdepth 1 -printf '%P\n' 2>/dev/null | sort)
        missing=$(comm -23 <(echo "$TMP_BEFORE") <(echo "$tmp_after") | grep -v '^$' || true)
        ours=$(echo "$tmp_after" | grep -E '^systemd-private-' || true)
        if [ -z "$missing" ] && [ -z "$ours" ]; then
            pass "host /tmp untouched" "$(echo "$TMP_BEFORE" | grep -c .) older entries kept, none added by the test"
        else
            fail "host /tmp untouched" "missing: ${missing:-none}; added: ${ours:-none}"
        fi
    fi
    if [ "$FAILED" -gt 0 ] || [ "$keep" -eq 1 ]; then
        echo "      logs kept in $work (systemd-console.log, journal.txt, journal-ticktape.json)"
    fi
    echo "$PASSED passed, $FAILED failed"
    if [ "$FAILED" -gt 0 ]; then exit 1; fi
    exit "$rc"
}

# --- 1. binaries ---------------------------------------------------------------------------
echo "== ticktape under systemd $(systemctl --version | head -1 | awk '{print $2}')"
if [ -z "$bin_dir" ]; then
    export PATH=/opt/swift/usr/bin:$PATH
    echo "   building: swift build -c release --static-swift-stdlib"
    mkdir -p "$repo/.build"
    if ! (cd "$repo" && swift build -c release --static-swift-stdlib >"$repo/.build/systemd-test-build.log" 2>&1); then
        grep -E 'error:' "$repo/.build/systemd-test-build.log" | head -10 | sed 's/^/      /'
        fail "build" "swift build -c release --static-swift-stdlib failed (.build/systemd-test-build.log)"
        echo "$PASSED passed, $FAILED failed"
        exit 1
    fi
    bin_dir=$(cd "$repo" && swift build -c release --static-swift-stdlib --show-bin-path)
fi
bin_dir=$(cd "$bin_dir" 2>/dev/null && pwd) || { echo "run.sh: no directory $bin_dir" >&2; exit 2; }
for exe in ticktaped ticktape; do
    [ -x "$bin_dir/$exe" ] || { fail "binaries" "$bin_dir/$exe missing"; echo "$PASSED passed, $FAILED failed"; exit 1; }
done

# ldd: nothing beyond the system's own libraries.
for exe in ticktaped ticktape; do
    out=$(ldd "$bin_dir/$exe" 2>&1)
    libs=$(echo "$out" | awk '/=>/ {print $1} !/=>/ && /\// {print $1}' | xargs -n1 basename | tr '\n' ' ')
    problems=$(echo "$out" | grep -E 'not found|libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|libicu' || true)
    paths=$(echo "$out" | grep -oE '(=> )?/[^ ]+' | sed 's/^=> //' | grep -vE '^/(usr/)?lib(64|x32)?/' || true)
    if echo "$out" | grep -q 'not a dynamic executable'; then
        pass "ldd $exe" "statically linked"
    elif [ -z "$problems" ] && [ -z "$paths" ]; then
        pass "ldd $exe" "system libraries only: $libs"
    else
        fail "ldd $exe" "$(echo "$problems $paths" | tr '\n' ' ')"
    fi
done

# --- 2. boot systemd in a namespace --------------------------------------------------------
rm -rf "$work"
mkdir -p "$work"

# The Debian package (scripts/build-deb, as `make deb`), twice: revisions 1 and 2 of the same
# binaries, for the install and the upgrade in h). gzip (lintian accepts it) and uncompressed
# instead of xz: the same packages, faster.
DEB1="" DEB2=""
if command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null && command -v strip >/dev/null; then
    t0=$(now_ms)
    if DEB1=$(DEB_COMPRESSION=gzip "$repo/scripts/build-deb" --bin-dir "$bin_dir" --revision 1 --out "$work/deb" 2>"$work/build-deb.log") &&
        DEB2=$(DEB_COMPRESSION=none "$repo/scripts/build-deb" --bin-dir "$bin_dir" --revision 2 --out "$work/deb" 2>>"$work/build-deb.log"); then
        pass "deb build" "$(basename "$DEB1"), $(basename "$DEB2") in $(($(now_ms) - t0)) ms; Depends: $(dpkg-deb -f "$DEB1" Depends)"
    else
        fail "deb build" "$(tail -3 "$work/build-deb.log" | tr '\n' ' ')"
        DEB1=""
    fi
    if [ -n "$DEB1" ] && command -v lintian >/dev/null; then
        lint=$(lintian "$DEB1" 2>&1 | grep -v 'running with root privileges')
        # Kept: initial-upload-closes-no-bugs (the package is not uploaded to Debian).
        unexpected=$(echo "$lint" | grep -E '^[EW]:' | grep -v 'initial-upload-closes-no-bugs' || true)
        if [ -z "$unexpected" ]; then
            pass "deb lintian" "no errors; warnings kept: $(echo "$lint" | grep -c '^W:') (initial-upload-closes-no-bugs)"
        else
            fail "deb lintian" "$(echo "$unexpected" | head -5 | tr '\n' ' ')"
        fi
    fi
else
    note "deb: dpkg-deb, dpkg-shlibdeps or strip missing (apt-get install dpkg-dev binutils): package checks skipped"
fi
ns_remove_stale_cgroups
HOST_BEFORE=$(host_snapshot)
TMP_BEFORE=$(tmp_snapshot)
trap finish EXIT
trap 'exit 130' INT TERM

t0=$(now_ms)
if ns_boot "$work"; then
    pass "boot systemd in namespace" "PID $NS_PID, is-system-running=$NS_STATE after $(($(now_ms) - t0)) ms"
else
    fail "boot systemd in namespace" "see $NS_LOG"
    exit 1
fi

sysctl_() { in_ns systemctl --no-pager "$@"; }
prop() { in_ns systemctl show -p "$1" --value "$UNIT"; }
ns_ns() { in_ns date +%s%N; }     # CLOCK_REALTIME ns, the clock capture stamps use
tape() { in_ns python3 "$here/tapecheck.py" "$@"; }
write_file() { in_ns sh -c "cat >'$1'"; }   # write_file PATH <content

# --- 3. security score (inside the namespace: systemd-analyze touches /run) ---------------
score_out=$(in_ns systemd-analyze security --offline=true --no-pager "$repo/deploy/ticktape.service" 2>&1)
score=$(echo "$score_out" | sed -n 's/.*Overall exposure level for ticktape.service: \([0-9.]*\).*/\1/p')
if [ -n "$score" ] && in_ns systemd-analyze security --offline=true --threshold=15 --no-pager \
    "$repo/deploy/ticktape.service" >/dev/null 2>&1; then
    pass "security exposure <= 1.5" "systemd-analyze security --offline=true: $score"
else
    fail "security exposure <= 1.5" "score ${score:-?}"
    echo "$score_out" | grep '✗' | sed 's/^/      /'
fi

# --- 4. install (the real scripts/install.sh, against the namespace's systemd) -------------
if out=$(in_ns "$repo/scripts/install.sh" --bin-dir "$bin_dir" 2>&1) &&
    in_ns id ticktape >/dev/null 2>&1 &&
    [ "$(in_ns stat -c %U "$DATA")" = ticktape ] &&
    in_ns test -x /usr/local/bin/ticktaped &&
    [ "$(in_ns systemctl show -p LoadState --value "$UNIT")" = loaded ]; then
    pass "install.sh" "user $(in_ns id -u ticktape):$(in_ns id -g ticktape), $DATA owned by ticktape, unit loaded"
else
    fail "install.sh" "$(echo "$out" | tail -3 | tr '\n' ' ')"
    exit 1  # nothing below can work without it
fi
verify=$(in_ns systemd-analyze verify "$UNIT" 2>&1)
if [ -z "$verify" ]; then
    pass "systemd-analyze verify" "no warnings"
else
    fail "systemd-analyze verify" "$(echo "$verify" | head -3 | tr '\n' ' ')"
fi

# --- 5. simulator and test configuration --------------------------------------------------
in_ns systemd-run --quiet --unit=ticktape-sim --property=Type=exec \
    /usr/local/bin/ticktape simulate --port "$PORT" --rate 2000 >/dev/null 2>&1
if wait_until 15 in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT"; then
    note "simulator listening on 127.0.0.1:$PORT (2000 msg/s), unit ticktape-sim"
else
    fail "simulator" "not listening on $PORT: $(in_ns journalctl -u ticktape-sim --no-pager | tail -3 | tr '\n' ' ')"
fi

URL="ws://127.0.0.1:$PORT/public/stream?streams=btcusdt@bookTicker"
config_one() {
    cat <<EOF
# written by Tests/systemd/run.sh
data_dir = "$DATA"

[storage]
flush_interval = "50ms"

[[capture]]
name = "btcusdt-book"
url = "$URL"
connections = 2
EOF
}
config_two() {
    config_one
    cat <<EOF

[[capture]]
name = "btcusdt-book-2"
url = "$URL"
connections = 2
EOF
}
config_one | write_file "$CONF"
if ! out=$(in_ns /usr/local/bin/ticktape check-config "$CONF" 2>&1); then
    fail "check-config" "$out"
fi

# Test-only drop-in: the merger hang switch, and a short watchdog (for the whole run, so
# every other test also proves the watchdog keeps being fed: through reloads too).
in_ns mkdir -p /etc/systemd/system/ticktape.service.d
write_file /etc/systemd/system/ticktape.service.d/test.conf <<EOF
[Service]
Environment=TICKTAPE_TESTING_HANG_MERGER_TRIGGER=$TRIGGER
WatchdogSec=5s
EOF
in_ns systemctl daemon-reload

# --- a) start returns after READY=1 --------------------------------------------------------
t0=$(now_ms)
start_out=$(timeout 100 nsenter -t "$NS_PID" -m -p -n -u -i -- systemctl start "$UNIT" 2>&1)
start_rc=$?
t1=$(now_ms)
state=$(in_ns systemctl is-active "$UNIT")
ready_logged=$(in_ns journalctl -u "$UNIT" -o cat --no-pager | grep -ci 'ready' || true)
has_data=$(in_ns sh -c "find $DATA/btcusdt-book -name '*.tape*' -size +0 2>/dev/null | wc -l")
exec_start=$(prop ExecMainStartTimestampMonotonic)
active_enter=$(prop ActiveEnterTimestampMonotonic)
ready_ms="?"
[ -n "$exec_start" ] && [ -n "$active_enter" ] && [ "$exec_start" -gt 0 ] &&
    ready_ms=$(((active_enter - exec_start) / 1000))
if [ "$start_rc" -eq 0 ] && [ "$state" = active ] && [ "$(prop Type)" = notify ] &&
    { [ "$ready_logged" -gt 0 ] || [ "$has_data" -gt 0 ]; }; then
    pass "a) start waits for READY=1" "exec->READY ${ready_ms} ms, systemctl start took $((t1 - t0)) ms; state $state; 'ready' logged: $ready_logged; files with data: $has_data"
else
    fail "a) start waits for READY=1" "rc=$start_rc state=$state ready_logged=$ready_logged files=$has_data; $start_out"
    in_ns journalctl -u "$UNIT" --no-pager -n 15 | sed 's/^/      /'
fi

# --- the sandbox is really in effect (and CPU pinning still works inside it) ---------------
main_pid=$(prop MainPID)
sandbox=$(in_ns python3 - "$main_pid" <<'PY'
import glob, os, pwd, sys
pid = sys.argv[1]
st = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status").read().splitlines() if ":" in l)
st = {k: v.strip() for k, v in st.items()}
user = pwd.getpwuid(int(st["Uid"].split()[0])).pw_name
own_mnt = os.readlink(f"/proc/{pid}/ns/mnt") != os.readlink("/proc/1/ns/mnt")
own_user = os.readlink(f"/proc/{pid}/ns/user") != os.readlink("/proc/1/ns/user")
pinned = {}
for task in glob.glob(f"/proc/{pid}/task/*"):
    try:
        name = open(f"{task}/comm").read().strip()
        cpus = [l.split(":", 1)[1].strip() for l in open(f"{task}/status") if l.startswith("Cpus_allowed_list")][0]
    except OSError:
        continue
    if "," not in cpus and "-" not in cpus:
        pinned[name] = cpus
ok = (user == "ticktape" and st["NoNewPrivs"] == "1" and st["Seccomp"] == "2"
      and int(st["CapEff"], 16) == 0 and own_mnt and own_user)
print(f"user={user} NoNewPrivs={st['NoNewPrivs']} Seccomp={st['Seccomp']} CapEff={st['CapEff']} "
      f"own_mount_ns={own_mnt} own_user_ns={own_user} pinned_threads={pinned or 'none'}")
sys.exit(0 if ok else 1)
PY
)
if [ $? -eq 0 ]; then
    pass "sandbox in effect" "$sandbox"
else
    fail "sandbox in effect" "$sandbox"
fi
if in_ns journalctl -u "$UNIT" -o cat --no-pager | grep -iE 'affinity|timer ?slack|Operation not permitted|Permission denied' |
    grep -v 'Failed to set thread priority' | head -3 | grep -q .; then
    fail "no sandbox denials logged" "$(in_ns journalctl -u "$UNIT" -o cat --no-pager | grep -iE 'affinity|timer ?slack|Operation not permitted|Permission denied' | head -3 | tr '\n' ' ')"
fi

# --- b) STATUS= --------------------------------------------------------------------------
status_ok=0
for _ in $(seq 1 50); do  # STATUS may follow READY by a moment: up to 5 s
    status_text=$(prop StatusText)
    if echo "$status_text" | grep -qiw 'up' && echo "$status_text" | grep -q 'btcusdt-book'; then
        status_ok=1
        break
    fi
    sleep 0.1
done
status_line=$(sysctl_ status "$UNIT" 2>/dev/null | grep -m1 'Status:' | sed 's/^ *//')
if [ "$status_ok" -eq 1 ] && [ -n "$status_line" ]; then
    pass "b) systemctl status STATUS" "$status_line"
else
    fail "b) systemctl status STATUS" "StatusText='$status_text' status line='$status_line'"
fi

# --- c) structured journal -----------------------------------------------------------------
sleep 1
if out=$(in_ns journalctl -u "$UNIT" -o json --no-pager | tape journal TICKTAPE_CAPTURE); then
    pass "c) journal fields" "$(echo "$out" | head -1)"
    echo "$out" | tail -n +2 | sed 's/^/    /'
else
    fail "c) journal fields" "$(echo "$out" | head -1)"
    echo "$out" | tail -n +2 | sed 's/^/    /'
fi

# --- d) reload adds a capture, no gap, no restart -------------------------------------------
pid_before=$(prop MainPID)
restarts_before=$(prop NRestarts)
config_two | write_file "$CONF"
reload_ns=$(ns_ns)
t0=$(now_ms)
reload_out=$(timeout 30 nsenter -t "$NS_PID" -m -p -n -u -i -- systemctl reload "$UNIT" 2>&1)
reload_rc=$?
if wait_until 10 in_ns sh -c "find $DATA/btcusdt-book-2 -name '*.tape*' -size +0 2>/dev/null | grep -q ."; then
    appeared_ms=$(($(now_ms) - t0))
else
    appeared_ms=""
fi
sleep 2  # let the first capture run past the reload
cont=$(tape continuity "$DATA/btcusdt-book" $((reload_ns - 3000000000)) $((reload_ns + 2000000000)))
cont_rc=$?
max_gap=$(echo "$cont" | sed -n 's/.*max_gap_ms=\([0-9.inf]*\).*/\1/p')
pid_after=$(prop MainPID)
restarts_after=$(prop NRestarts)
if [ "$reload_rc" -eq 0 ] && [ -n "$appeared_ms" ] && [ "$pid_after" = "$pid_before" ] &&
    [ "$restarts_after" = "$restarts_before" ] && [ "$cont_rc" -eq 0 ] &&
    python3 -c "import sys; sys.exit(0 if float('$max_gap') <= 1000 else 1)" 2>/dev/null; then
    pass "d) reload adds capture" "btcusdt-book-2 data after ${appeared_ms} ms; btcusdt-book across reload: $cont; MainPID $pid_after, NRestarts $restarts_after (unchanged)"
else
    fail "d) reload adds capture" "rc=$reload_rc ${reload_out} new capture after ${appeared_ms:-never} ms; $cont; MainPID $pid_before->$pid_after NRestarts $restarts_before->$restarts_after"
fi
note "state after reload: $(in_ns systemctl is-active "$UNIT"); STATUS: $(prop StatusText)"

# --- e) a broken file is rejected, the running configuration kept ---------------------------
pid_before=$(prop MainPID)
restarts_before=$(prop NRestarts)
{
    echo 'bogus_reload_key = true'
    config_two
} | write_file "$CONF"
since=$(in_ns date '+%Y-%m-%d %H:%M:%S')
reload_ns=$(ns_ns)
timeout 30 nsenter -t "$NS_PID" -m -p -n -u -i -- systemctl reload "$UNIT" >/dev/null 2>&1
reload_rc=$?
status_text=""
for _ in $(seq 1 50); do
    status_text=$(prop StatusText)
    echo "$status_text" | grep -qiE 'reload' && echo "$status_text" | grep -qiE 'fail|reject|invalid|error|kept' && break
    sleep 0.1
done
# The exact error, in MESSAGE or in a structured field (the daemon puts it in TICKTAPE_REASON).
logged=$(in_ns journalctl -u "$UNIT" --since "$since" -o json --no-pager | tape journal-find bogus_reload_key)
sleep 1.5
after=$(tape after "$DATA/btcusdt-book" $((reload_ns + 1000000000)))
if [ "$(in_ns systemctl is-active "$UNIT")" = active ] && [ "$(prop MainPID)" = "$pid_before" ] &&
    [ "$(prop NRestarts)" = "$restarts_before" ] &&
    echo "$status_text" | grep -qiE 'fail|reject|invalid|error' && [ -n "$logged" ] && [ "${after:-0}" -gt 0 ]; then
    pass "e) broken reload rejected" "still active, MainPID $pid_before; STATUS '$status_text'; journal: '$logged'; $after lines captured >1 s after"
else
    fail "e) broken reload rejected" "active=$(in_ns systemctl is-active "$UNIT") MainPID $pid_before->$(prop MainPID) STATUS='$status_text' journal='${logged}' lines_after=${after:-0} reload_rc=$reload_rc"
fi
# Back to a valid file (a restart below re-reads it) and apply it.
config_two | write_file "$CONF"
timeout 30 nsenter -t "$NS_PID" -m -p -n -u -i -- systemctl reload "$UNIT" >/dev/null 2>&1
sleep 1

# --- no restart so far: nothing above may have tripped the (3 s) watchdog or crashed --------
early=$(prop NRestarts)
if [ "$early" = 0 ]; then
    pass "no unexpected restart" "NRestarts=0 through start, reloads (WatchdogSec=5s)"
else
    fail "no unexpected restart" "NRestarts=$early before the watchdog test: $(in_ns journalctl -u "$UNIT" -o cat --no-pager | grep -E 'Watchdog timeout|not making progress|Main process exited' | head -3 | tr '\n' ';')"
fi

# --- f) watchdog: a hung merger gets the daemon killed and restarted ------------------------
pid_before=$(prop MainPID)
restarts_before=$(prop NRestarts)
since=$(in_ns date '+%Y-%m-%d %H:%M:%S')
t0=$(now_ms)
in_ns touch "$TRIGGER"
restarted=0
if wait_until 25 sh -c "[ \"\$(nsenter -t $NS_PID -m -p -- systemctl show -p NRestarts --value $UNIT)\" -gt $restarts_before ] &&
        [ \"\$(nsenter -t $NS_PID -m -p -- systemctl is-active $UNIT)\" = active ]"; then
    restarted=1
fi
t1=$(now_ms)
restart_ns=$(ns_ns)
RESTART_NS=$restart_ns
wd_line=$(in_ns journalctl -u "$UNIT" --since "$since" -o cat --no-pager | grep -m1 -i 'watchdog timeout' || true)
sleep 1.5
after=$(tape after "$DATA/btcusdt-book" "$restart_ns")
trigger_left=$(in_ns sh -c "test -e $TRIGGER && echo yes || echo no")
pid_after=$(prop MainPID)
if [ "$restarted" -eq 1 ] && [ -n "$wd_line" ] && [ "$pid_after" != "$pid_before" ] && [ "${after:-0}" -gt 0 ]; then
    pass "f) watchdog restart" "touch->active again in $((t1 - t0)) ms; '$wd_line'; MainPID $pid_before->$pid_after, NRestarts $restarts_before->$(prop NRestarts); $after lines since"
else
    fail "f) watchdog restart" "restarted=$restarted journal='${wd_line}' MainPID $pid_before->$pid_after NRestarts $restarts_before->$(prop NRestarts) lines_after=${after:-0} trigger_left=$trigger_left state=$(in_ns systemctl is-active "$UNIT")"
    in_ns journalctl -u "$UNIT" --since "$since" --no-pager | tail -8 | sed 's/^/      /'
fi
in_ns rm -f "$TRIGGER"

# --- g) stop is clean ------------------------------------------------------------------------
t0=$(now_ms)
timeout 60 nsenter -t "$NS_PID" -m -p -n -u -i -- systemctl stop "$UNIT" >/dev/null 2>&1
stop_rc=$?
t1=$(now_ms)
stop_s=$(python3 -c "print(f'{($t1 - $t0) / 1000:.2f}')")
active=$(prop ActiveState)
result=$(prop Result)
closed=$(tape closed "$DATA" ${RESTART_NS:-})
closed_rc=$?
if [ "$stop_rc" -eq 0 ] && [ "$((t1 - t0))" -lt 30000 ] && [ "$active" = inactive ] &&
    [ "$result" = success ] && [ "$closed_rc" -eq 0 ]; then
    pass "g) clean stop" "stopped in ${stop_s} s (TimeoutStopSec=30s), $active/$result; $(echo "$closed" | head -1)"
else
    fail "g) clean stop" "rc=$stop_rc ${stop_s} s state=$active result=$result; $(echo "$closed" | head -1)"
    echo "$closed" | tail -n +2 | sed 's/^/    /'
fi

# --- h) the Debian package: install, start, upgrade while capturing, remove, purge ---------
if [ -n "$DEB1" ]; then
    apt_() { in_ns env DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@" 2>&1; }
    status_of() { in_ns dpkg-query -W -f '${Status} ${Version}' ticktape 2>/dev/null || echo absent; }
    # A server with nothing of ticktape on it: the install.sh installation and the earlier
    # checks' files go first.
    sysctl_ disable "$UNIT" >/dev/null 2>&1
    in_ns rm -f /usr/local/bin/ticktaped /usr/local/bin/ticktape /usr/local/lib/systemd/system/ticktape.service \
        /usr/local/lib/sysusers.d/ticktape.conf /usr/local/lib/tmpfiles.d/ticktape.conf
    in_ns sh -c 'rm -rf /var/lib/ticktape/* /etc/ticktape/*'
    # Container images ship a policy-rc.d that forbids maintainer scripts to start or stop
    # services; a server does not (the file is in the namespace's /usr overlay).
    in_ns rm -f /usr/sbin/policy-rc.d
    sysctl_ daemon-reload
    if ! in_ns findmnt -n -o FSTYPE /usr | grep -q overlay; then
        fail "h) deb install" "/usr is not an overlay inside the namespace: not installing a package there"
    else
        out=$(apt_ install "$DEB1")
        st=$(status_of)
        if [ "$st" = "install ok installed 0.1.0-1" ] && in_ns test -x /usr/bin/ticktaped && in_ns id ticktape >/dev/null 2>&1 &&
            [ "$(sysctl_ is-enabled "$UNIT" 2>&1)" = enabled ] && [ "$(prop ActiveState)" = inactive ] &&
            [ "$(prop FragmentPath)" = /lib/systemd/system/ticktape.service ]; then
            pass "h) deb install" "apt-get install ./$(basename "$DEB1"): $st, user ticktape, unit enabled and not started (first install)"
        else
            fail "h) deb install" "$st; enabled=$(sysctl_ is-enabled "$UNIT" 2>&1) active=$(prop ActiveState) $(echo "$out" | tail -3 | tr '\n' ' ')"
        fi
        # The operator's edit, then the start.
        config_one | write_file "$CONF"
        conf_sum=$(in_ns sha256sum "$CONF" | cut -c1-16)
        start_ns=$(ns_ns)
        sysctl_ start "$UNIT"
        wait_until 20 tape after "$DATA/btcusdt-book" "$start_ns" >/dev/null
        pid1=$(prop MainPID)
        up_ns=$(ns_ns)
        out=$(apt_ install "$DEB2")
        st=$(status_of)
        pid2=$(prop MainPID)
        wait_until 20 tape after "$DATA/btcusdt-book" "$(($(ns_ns) + 500000000))" >/dev/null
        cont=$(tape continuity "$DATA/btcusdt-book" $((up_ns - 2000000000)) "$(ns_ns)")
        gap=$(echo "$cont" | sed -n 's/.*max_gap_ms=\([0-9.inf]*\).*/\1/p')
        if [ "$st" = "install ok installed 0.1.0-2" ] && [ "$(prop ActiveState)" = active ] && [ "$pid2" != "$pid1" ] &&
            [ "$(in_ns sha256sum "$CONF" | cut -c1-16)" = "$conf_sum" ] &&
            python3 -c "import sys; sys.exit(0 if float('$gap') <= 5000 else 1)" 2>/dev/null; then
            pass "h) deb upgrade" "to 0.1.0-2 while capturing: restarted (MainPID $pid1 -> $pid2), edited config kept, capture across the upgrade: $cont"
        else
            fail "h) deb upgrade" "$st active=$(prop ActiveState) MainPID $pid1 -> $pid2; $cont; $(echo "$out" | tail -3 | tr '\n' ' ')"
        fi
        out=$(apt_ remove ticktape)
        st=$(status_of)
        kept=$(in_ns sh -c "ls /var/lib/ticktape/btcusdt-book | grep -c tape")
        if [ "$st" = "deinstall ok config-files 0.1.0-2" ] && ! in_ns test -e /usr/bin/ticktaped &&
            [ "$(prop ActiveState)" = inactive ] && [ "${kept:-0}" -gt 0 ] &&
            [ "$(in_ns sha256sum "$CONF" | cut -c1-16)" = "$conf_sum" ]; then
            pass "h) deb remove" "stopped, binaries gone; $kept capture files and the edited config kept"
        else
            fail "h) deb remove" "$st active=$(prop ActiveState) files=$kept $(echo "$out" | tail -3 | tr '\n' ' ')"
        fi
        out=$(apt_ purge ticktape)
        st=$(status_of)
        left=$(in_ns sh -c 'ls -A /var/lib/ticktape /etc/ticktape 2>/dev/null | grep -v ":$" | grep -c .')
        if { [ "$st" = absent ] || [ "${st%% *}" = unknown ]; } && [ "${left:-1}" -eq 0 ]; then
            pass "h) deb purge" "package gone ($st); /var/lib/ticktape and /etc/ticktape emptied without a prompt"
        else
            fail "h) deb purge" "$st; $left files left; $(echo "$out" | tail -3 | tr '\n' ' ')"
        fi
    fi
fi

note "total $(( ($(now_ms) - TEST_START_MS) / 1000 )) s"
exit 0
