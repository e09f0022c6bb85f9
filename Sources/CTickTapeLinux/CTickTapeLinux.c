#define _GNU_SOURCE
#include "CTickTapeLinux.h"

#ifdef __linux__
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>

int tt_allowed_cpus(int *out, int max) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return -1;
    int n = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && n < max; cpu++) {
        if (CPU_ISSET(cpu, &set)) out[n++] = cpu;
    }
    return n;
}

int tt_pin_current_thread(int cpu) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return EINVAL;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int tt_set_timer_slack(unsigned long nanoseconds) {
    return prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0);
}

int tt_set_thread_name(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}

void tt_tune_malloc(void) {
    mallopt(M_ARENA_MAX, 2);
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024);
}

void tt_trim_malloc(void) { malloc_trim(0); }
#else
void tt_tune_malloc(void) {}
void tt_trim_malloc(void) {}
int tt_allowed_cpus(int *out, int max) { if (max > 0) { out[0] = 0; return 1; } return 0; }
int tt_pin_current_thread(int cpu) { (void)cpu; return 0; }
int tt_set_timer_slack(unsigned long nanoseconds) { (void)nanoseconds; return 0; }
int tt_set_thread_name(const char *name) { (void)name; return 0; }
#endif
