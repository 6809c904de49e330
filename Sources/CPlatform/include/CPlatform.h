#ifndef REINS_CREALTIME_H
#define REINS_CREALTIME_H

#include <stddef.h>

/// Pins the calling thread to one CPU. Returns 0 or an errno value.
/// (CPU_ZERO/CPU_SET are macros, which Swift cannot call.)
int reins_pin_current_thread(int cpu);

/// Number of CPUs the calling thread may run on, or -1.
int reins_allowed_cpu_count(void);

/// Sets the calling thread's timer slack (the kernel's default of 50 us delays every
/// non-real-time wake-up by up to that much). Returns 0 or an errno value.
int reins_set_timer_slack(unsigned long nanoseconds);

/// Touches `bytes` of stack below the caller so the loop thread never page-faults on its stack.
void reins_prefault_stack(size_t bytes);

/// ppoll() on one descriptor with a relative timeout in nanoseconds (ppoll needs _GNU_SOURCE,
/// which Swift's Glibc module does not define). Returns ppoll's result; revents is filled in.
int reins_poll_one(int fd, short events, short *revents, long long timeout_ns);

/// Opens a new pseudo-terminal master (posix_openpt + grantpt + unlockpt) and writes the slave's
/// path into `name`. Returns the master descriptor or -1 with errno set.
int reins_open_pty(char *name, size_t name_size);

/// The raw range an input event device (evdev) reports for absolute axis `code` (EVIOCGABS, a
/// macro Swift cannot call). Returns 0, or an errno value (ENOTTY: not an input device).
int reins_input_absolute_range(int fd, unsigned int code, int *minimum, int *maximum);

/// Makes standard output line-buffered even when it is a pipe or a file, so a supervising
/// process sees each status line as it is printed.
void reins_line_buffer_stdout(void);

/// Flushes standard output (after a status line rewritten in place, which has no newline).
void reins_flush_stdout(void);

/// Puts the terminal on `fd` in the mode a keyboard operator needs: no line buffering, no echo,
/// reads return at once; Ctrl-C still raises SIGINT and output still translates newlines. The
/// previous mode is saved and restored by `reins_terminal_restore`, at exit, and from handlers
/// for the crash signals (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE), which then re-raise.
/// Returns 0 or an errno value.
int reins_terminal_raw(int fd);

/// Restores the terminal mode saved by `reins_terminal_raw` (idempotent, async-signal-safe).
void reins_terminal_restore(void);

#endif
