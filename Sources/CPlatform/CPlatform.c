#define _GNU_SOURCE
#include "CPlatform.h"
#include <alloca.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

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

int reins_poll_one(int fd, short events, short *revents, long long timeout_ns) {
    struct pollfd descriptor = { .fd = fd, .events = events, .revents = 0 };
    struct timespec timeout = { .tv_sec = timeout_ns / 1000000000LL, .tv_nsec = timeout_ns % 1000000000LL };
    int ready = ppoll(&descriptor, 1, timeout_ns < 0 ? NULL : &timeout, NULL);
    *revents = descriptor.revents;
    return ready;
}

int reins_open_pty(char *name, size_t name_size) {
    int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return -1;
    if (grantpt(fd) != 0 || unlockpt(fd) != 0 || ptsname_r(fd, name, name_size) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

void reins_line_buffer_stdout(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}

void reins_flush_stdout(void) {
    fflush(stdout);
}

void reins_prefault_stack(size_t bytes) {
    volatile unsigned char *stack = alloca(bytes);
    for (size_t i = 0; i < bytes; i += 4096) stack[i] = 0;
}
