# Helpers for Tests/systemd/run.sh: boot systemd in a private namespace, drive it, tear it
# down, and report results. Sourced, not executed.

# --- results -----------------------------------------------------------------------------
PASSED=0
FAILED=0
FAILED_NAMES=()

pass() {  # pass NAME DETAIL
    PASSED=$((PASSED + 1))
    printf 'PASS  %-28s %s\n' "$1" "$2"
}

fail() {  # fail NAME DETAIL
    FAILED=$((FAILED + 1))
    FAILED_NAMES+=("$1")
    printf 'FAIL  %-28s %s\n' "$1" "$2"
}

note() { printf '      %s\n' "$*"; }

now_ms() { date +%s%3N; }

# wait_until TIMEOUT_SECONDS COMMAND...: polls every 0.1 s; 0 if COMMAND succeeded in time.
wait_until() {
    local timeout=$1; shift
    local deadline=$(($(now_ms) + timeout * 1000))
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        [ "$(now_ms)" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}

# --- the namespace -------------------------------------------------------------------------
NS_PID=""          # host PID of the namespace's PID 1 (systemd)
NS_UNSHARE_PID=""  # host PID of unshare(1)
NS_CGROUP=""       # host cgroup directory the namespace lives in
NS_LOG=""          # systemd's console output
NS_STATE=""        # is-system-running after boot

# The host's cgroup2 hierarchy: pure unified or the "unified" part of a hybrid setup.
host_cgroup2_root() {
    if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
        echo /sys/fs/cgroup
    elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
        echo /sys/fs/cgroup/unified
    else
        return 1
    fi
}

# ns_remove_stale_cgroups: cgroups left by an earlier run that was SIGKILLed (its processes
# died with it, its trap never ran). Called before the host snapshot.
ns_remove_stale_cgroups() {
    local root stale
    root=$(host_cgroup2_root) || return 0
    for stale in "$root"/ticktape-systemd-test.*; do
        [ -d "$stale" ] && ! kill -0 "${stale##*.}" 2>/dev/null &&
            find "$stale" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    return 0
}

# in_ns CMD...: run CMD inside the namespace (its mounts, PIDs, network, hostname, IPC);
# at most 60 s.
in_ns() {
    timeout 60 nsenter -t "$NS_PID" -m -p -n -u -i -- "$@"
}

# ns_boot WORKDIR: starts systemd as PID 1 of a new PID+mount+cgroup+net+UTS+IPC namespace
# and waits (bounded) until it accepts commands; sets NS_PID and NS_STATE (the answer of
# `systemctl is-system-running --wait`). Call it directly, not in $(...): it sets globals.
ns_boot() {
    local work=$1 here root
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    root=$(host_cgroup2_root) || { echo "no cgroup2 hierarchy on the host" >&2; return 1; }
    NS_CGROUP="$root/ticktape-systemd-test.$$"
    mkdir "$NS_CGROUP"
    NS_LOG="$work/systemd-console.log"
    mkdir -p "$work/stage"
    : >"$NS_LOG"
    # Move into the new cgroup first, so that it is the root of the cgroup namespace.
    # If this script dies without its trap (SIGKILL), unshare gets SIGKILL (--pdeathsig) and
    # takes the namespace's PID 1 with it (--kill-child): nothing is left running.
    # The real interpreter, not a shim (pyenv's would fork helpers before exec'ing).
    local python
    python=$(python3 -c 'import sys; print(sys.executable)')
    "$python" -c '
import ctypes, os, sys
ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
os.setsid()
open(sys.argv[1] + "/cgroup.procs", "w").write(str(os.getpid()))
os.execvp(sys.argv[2], sys.argv[2:])' "$NS_CGROUP" \
        unshare --kill-child --pid --fork --mount --propagation private --mount-proc \
        --uts --ipc --net --cgroup \
        "$here/ns-init.sh" "$work/stage" </dev/null >"$NS_LOG" 2>&1 &
    NS_UNSHARE_PID=$!
    local deadline=$(($(now_ms) + 10000))
    local child
    while [ -z "$NS_PID" ]; do
        # unshare's child whose PID in its own namespace is 1.
        for child in $(cat "/proc/$NS_UNSHARE_PID/task/$NS_UNSHARE_PID/children" 2>/dev/null); do
            if awk '$1 == "NSpid:" && $NF == 1 { found = 1 } END { exit !found }' "/proc/$child/status" 2>/dev/null; then
                NS_PID=$child
            fi
        done
        if [ "$(now_ms)" -ge "$deadline" ] || ! kill -0 "$NS_UNSHARE_PID" 2>/dev/null; then
            echo "namespace did not start; console:" >&2
            cat "$NS_LOG" >&2
            return 1
        fi
        [ -n "$NS_PID" ] || sleep 0.05
    done
    # PID 1 becomes systemd once ns-init.sh has mounted everything (generous: CI machines
    # can be loaded).
    deadline=$(($(now_ms) + 60000))
    until [ "$(cat /proc/"$NS_PID"/comm 2>/dev/null)" = systemd ] &&
        in_ns test -S /run/systemd/private 2>/dev/null; do
        if [ "$(now_ms)" -ge "$deadline" ] || ! kill -0 "$NS_PID" 2>/dev/null; then
            echo "systemd did not come up in the namespace; console:" >&2
            cat "$NS_LOG" >&2
            return 1
        fi
        sleep 0.1
    done
    # "degraded" is fine (some units cannot work in a container); bounded by timeout(1).
    NS_STATE=$(timeout 60 nsenter -t "$NS_PID" -m -p -n -u -i -- systemctl is-system-running --wait 2>/dev/null) || true
    NS_STATE=${NS_STATE:-unknown}
}

# ns_teardown: SIGKILL to the namespace's PID 1 (the kernel then kills everything in it and
# the mount namespace goes away), wait for it, remove the cgroup. Safe to call twice.
ns_teardown() {
    if [ -n "$NS_PID" ] && kill -0 "$NS_PID" 2>/dev/null; then
        kill -KILL "$NS_PID" 2>/dev/null || true
    fi
    if [ -n "$NS_UNSHARE_PID" ]; then
        # unshare exits once its child (PID 1) is gone; it is our own child: bounded wait,
        # then SIGKILL it too (--kill-child takes PID 1 down with it).
        local i
        for i in $(seq 1 100); do
            [ "$(awk '{print $3}' "/proc/$NS_UNSHARE_PID/stat" 2>/dev/null)" = Z ] && break
            kill -0 "$NS_UNSHARE_PID" 2>/dev/null || break
            sleep 0.05
        done
        if kill -0 "$NS_UNSHARE_PID" 2>/dev/null &&
            [ "$(awk '{print $3}' "/proc/$NS_UNSHARE_PID/stat" 2>/dev/null)" != Z ]; then
            echo "warning: unshare ($NS_UNSHARE_PID) still running after its PID 1 was killed; killing it" >&2
            kill -KILL "$NS_UNSHARE_PID" 2>/dev/null || true
        fi
        wait "$NS_UNSHARE_PID" 2>/dev/null || true
    fi
    if [ -n "$NS_CGROUP" ] && [ -d "$NS_CGROUP" ]; then
        local i
        for i in $(seq 1 100); do
            find "$NS_CGROUP" -depth -type d -exec rmdir {} \; 2>/dev/null || true
            [ -d "$NS_CGROUP" ] || break
            sleep 0.05
        done
        [ -d "$NS_CGROUP" ] && echo "warning: could not remove cgroup $NS_CGROUP" >&2
    fi
    NS_PID=""
    NS_UNSHARE_PID=""
    NS_CGROUP=""
}
