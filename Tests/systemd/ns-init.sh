#!/usr/bin/env bash
# PID 1 of the test namespace, before it becomes systemd. Started by run.sh as
#
#   unshare --pid --fork --mount --propagation private --mount-proc --uts --ipc --net --cgroup \
#       Tests/systemd/ns-init.sh STAGE
#
# inside a fresh cgroup (so the cgroup namespace's root is that cgroup). Everything mounted
# here lives in the private mount namespace and disappears with it; the host's files are only
# ever read. Then it execs systemd 252 as PID 1 of the namespace.
#
# STAGE is an (empty) directory on the host used as a mount point for this namespace's
# scratch tmpfs (overlay upper/work directories).
set -euo pipefail
stage=$1

[ "$$" -eq 1 ] || { echo "ns-init: must run as PID 1 of a new PID namespace" >&2; exit 1; }

# Scratch space for overlay upper/work dirs.
mount -t tmpfs -o mode=0700 ticktape-stage "$stage"

# /etc, /var, /usr, /usr/local: copy-on-write overlays over the host's, so that systemd-sysusers,
# scripts/install.sh, journald, systemd's own state (/var/lib/systemd) and everything else
# may write while the host's files stay as they are.
overlay() {
    local dir=$1 name
    name=$(echo "$dir" | tr / _)
    mkdir -p "$stage/$name/upper" "$stage/$name/work"
    mount -t overlay "ticktape-overlay$name" \
        -o "lowerdir=$dir,upperdir=$stage/$name/upper,workdir=$stage/$name/work" "$dir"
}
overlay /etc
overlay /var
# /usr too, so that the Debian package can be installed (dpkg writes /usr/bin, /usr/share).
overlay /usr
overlay /usr/local

# Fresh, empty file systems. /tmp must be one: systemd-tmpfiles empties /tmp at boot.
fresh() {  # fresh DIR MODE
    mkdir -p "$1"
    mount -t tmpfs -o "mode=$2,nosuid,nodev" ticktape-tmpfs "$1"
}
fresh /run 0755
fresh /tmp 1777
fresh /var/tmp 1777
fresh /var/log 0755
fresh /var/lib/ticktape 0755
fresh /etc/ticktape 0755
# Hide the host's enabled services and aliases (getty, timesyncd, ...).
fresh /etc/systemd/system 0755
# /usr/local/bin: the binaries under test only (the host's stay hidden and untouched).
fresh /usr/local/bin 0755

# Units that would touch state shared with the host kernel (sysctl, modules, binfmt, clock)
# or are useless here: masked.
for unit in systemd-sysctl.service systemd-modules-load.service systemd-binfmt.service \
    proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount \
    sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
    sys-fs-fuse-connections.mount dev-hugepages.mount kmod-static-nodes.service \
    systemd-timesyncd.service systemd-random-seed.service systemd-firstboot.service \
    systemd-repart.service systemd-pcrphase.service systemd-pcrphase-sysinit.service \
    getty.target console-getty.service systemd-ask-password-wall.path \
    systemd-ask-password-console.path systemd-udevd.service systemd-udev-trigger.service \
    systemd-hwdb-update.service systemd-journald-audit.socket; do
    ln -s /dev/null "/etc/systemd/system/$unit"
done

# /dev: a private tmpfs with the usual nodes bound from the host (systemd creates symlinks
# such as /dev/log there), a private devpts, and /dev/console = the log file run.sh gave us
# as stdout.
devdir="$stage/dev"
mkdir -p "$devdir"
mount -t tmpfs -o mode=0755,nosuid ticktape-dev "$devdir"
for node in null zero full random urandom tty; do
    touch "$devdir/$node"
    mount --bind "/dev/$node" "$devdir/$node"
done
mkdir -p "$devdir/pts" "$devdir/shm" "$devdir/mqueue"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$devdir/pts"
ln -s pts/ptmx "$devdir/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$devdir/shm"
ln -s /proc/self/fd "$devdir/fd"
ln -s /proc/self/fd/0 "$devdir/stdin"
ln -s /proc/self/fd/1 "$devdir/stdout"
ln -s /proc/self/fd/2 "$devdir/stderr"
touch "$devdir/console"
mount --bind /proc/self/fd/1 "$devdir/console"
mount --move "$devdir" /dev

# /sys read-only (a fresh sysfs), with this cgroup namespace's cgroup2 hierarchy on
# /sys/fs/cgroup: systemd runs in unified mode inside the cgroup run.sh created.
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs /sys
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate cgroup2 /sys/fs/cgroup

# /proc/sys and the like read-only: kernel tunables are shared with the host.
for p in /proc/sys /proc/sysrq-trigger /proc/irq /proc/bus; do
    [ -e "$p" ] || continue
    mount --bind "$p" "$p"
    mount -o remount,bind,ro "$p"
done

echo "ns-init: namespace ready, starting systemd"
exec env -i container=other PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /lib/systemd/systemd --system --unit=multi-user.target --show-status=no
