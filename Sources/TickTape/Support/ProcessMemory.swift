import CTickTapeLinux

/// The daemon's allocator policy: resident memory must stay flat over months, not just be
/// bounded. glibc by default grows one arena per busy thread and, after freeing one large block
/// (a 2 MiB garbage frame, a rotation's held frames), raises its mmap threshold so later large
/// blocks stay on the heap; a 10-minute soak with faults grew from 39 MB to 110 MB that way.
package enum ProcessMemory {
    /// Two arenas and fixed 128 KiB mmap/trim thresholds. Call once, before any thread starts.
    package static func tune() { tt_tune_malloc() }

    /// Returns free heap pages to the kernel; cheap enough to run with every status refresh.
    package static func trim() { tt_trim_malloc() }
}
