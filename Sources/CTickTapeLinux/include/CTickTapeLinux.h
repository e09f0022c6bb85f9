#ifndef CTICKTAPELINUX_H
#define CTICKTAPELINUX_H

/// Thin wrappers over Linux calls that need _GNU_SOURCE or macros Swift cannot import.

/// Writes up to `max` CPU ids this process may run on into `out`; returns how many (or -1).
int tt_allowed_cpus(int *out, int max);

/// Pins the calling thread to one CPU. Returns 0 or an errno value.
int tt_pin_current_thread(int cpu);

/// Sets the calling thread's timer slack in nanoseconds (prctl PR_SET_TIMERSLACK).
int tt_set_timer_slack(unsigned long nanoseconds);

/// Names the calling thread (15 characters are kept).
int tt_set_thread_name(const char *name);

/// Makes glibc's allocator keep resident memory flat in a long-running daemon: at most two
/// arenas, and fixed mmap/trim thresholds (128 KiB), since glibc otherwise raises the mmap
/// threshold after freeing one large block (a 2 MiB frame) and keeps later large blocks on the
/// heap for good. Call once, before any thread starts.
void tt_tune_malloc(void);

/// Returns free heap pages of every arena to the kernel (glibc malloc_trim).
void tt_trim_malloc(void);

#endif
