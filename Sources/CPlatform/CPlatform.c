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
#include <linux/input.h>
#include <sys/ioctl.h>
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

int reins_input_absolute_range(int fd, unsigned int code, int *minimum, int *maximum) {
    struct input_absinfo info;
    if (code > ABS_MAX) return EINVAL;
    if (ioctl(fd, EVIOCGABS(code), &info) != 0) return errno;
    *minimum = info.minimum;
    *maximum = info.maximum;
    return 0;
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

#include <signal.h>
#include <termios.h>

static struct termios saved_terminal;
static volatile sig_atomic_t terminal_fd = -1;

void reins_terminal_restore(void) {
    int fd = terminal_fd;
    if (fd < 0) return;
    terminal_fd = -1;
    tcsetattr(fd, TCSAFLUSH, &saved_terminal);
}

static void restore_and_reraise(int signal_number) {
    reins_terminal_restore();
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    sigaction(signal_number, &action, NULL);
    raise(signal_number);
}

static void restore_at_exit(void) {
    reins_terminal_restore();
}

int reins_terminal_raw(int fd) {
    struct termios mode;
    if (tcgetattr(fd, &mode) != 0) return errno;
    if (terminal_fd < 0) saved_terminal = mode;
    mode.c_lflag &= ~(ICANON | ECHO | ECHONL | IEXTEN);
    mode.c_lflag |= ISIG;
    mode.c_iflag &= ~(IXON | ICRNL | INLCR | IGNCR);
    mode.c_cc[VMIN] = 0;
    mode.c_cc[VTIME] = 0;
    static int installed = 0;
    if (!installed) {
        installed = 1;
        atexit(restore_at_exit);
        const int crashes[] = { SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE };
        for (size_t i = 0; i < sizeof(crashes) / sizeof(crashes[0]); i++) {
            struct sigaction action;
            memset(&action, 0, sizeof(action));
            action.sa_handler = restore_and_reraise;
            sigemptyset(&action.sa_mask);
            action.sa_flags = SA_RESETHAND | SA_NODEFER;
            sigaction(crashes[i], &action, NULL);
        }
        // A mask inherited from whoever started us (a supervisor, a test runner's thread) could
        // hold a crash signal sent from outside pending forever; the handler must be reachable.
        sigset_t set;
        sigemptyset(&set);
        for (size_t i = 0; i < sizeof(crashes) / sizeof(crashes[0]); i++) sigaddset(&set, crashes[i]);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    }
    terminal_fd = fd;
    if (tcsetattr(fd, TCSAFLUSH, &mode) != 0) {
        terminal_fd = -1;
        return errno;
    }
    return 0;
}
