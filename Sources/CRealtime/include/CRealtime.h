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

#endif
