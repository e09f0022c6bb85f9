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

#endif
