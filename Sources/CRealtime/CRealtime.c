#define _GNU_SOURCE
#include "CRealtime.h"
#include <alloca.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>

int reins_pin_current_thread(int cpu) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return EINVAL;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int reins_allowed_cpu_count(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (pthread_getaffinity_np(pthread_self(), sizeof(set), &set) != 0) return -1;
    return CPU_COUNT(&set);
}

int reins_set_timer_slack(unsigned long nanoseconds) {
    return prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0) == 0 ? 0 : errno;
}

void reins_prefault_stack(size_t bytes) {
    volatile unsigned char *stack = alloca(bytes);
    for (size_t i = 0; i < bytes; i += 4096) stack[i] = 0;
}
