#if canImport(Glibc)
import Glibc
#endif

/// Keeps every CPU out of idle states with a wake-up latency above 0 µs while it is held, through
/// the kernel's PM QoS interface: write the int32 0 to `/dev/cpu_dma_latency` and keep the file
/// open; closing it (here, `release()` or deinit) withdraws the request.
///
/// Why: a timer interrupt that finds its CPU in an idle state waits for the CPU to leave it before
/// the loop thread runs. On the 2-vCPU KVM guest the README measures on (cpuidle driver haltpoll),
/// that exit costs about 20 µs of the period error's median and 50 µs of its p99; cyclictest holds
/// the same request for the same reason. The price: idle CPUs poll instead of halting while a loop
/// runs, which costs power (and, on a virtual machine, host CPU time).
final class CPUIdleLatencyHold {
    static let devicePath = "/dev/cpu_dma_latency"

    private var descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        release()
    }

    /// Closes the file, which ends the request. Safe to call more than once.
    func release() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
    }

    /// Opens the device and writes 0, or says why it could not and how to grant it.
    static func acquire() -> (hold: CPUIdleLatencyHold?, report: String) {
        let descriptor = open(devicePath, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            let reason = String(cString: strerror(code))
            if code == ENOENT {
                return (nil, "not held: \(devicePath) does not exist (\(reason)); the kernel lacks PM QoS or a container hides the device (pass it in, e.g. docker --device \(devicePath))")
            }
            return (nil, "not held: cannot open \(devicePath) (\(reason)); run as root, or let the user write it (udev rule: KERNEL==\"cpu_dma_latency\", GROUP=\"realtime\", MODE=\"0660\")")
        }
        var zero: Int32 = 0
        let written = withUnsafeBytes(of: &zero) { write(descriptor, $0.baseAddress, $0.count) }
        guard written == MemoryLayout<Int32>.size else {
            let reason = written < 0 ? String(cString: strerror(errno)) : "short write"
            close(descriptor)
            return (nil, "not held: writing 0 to \(devicePath) failed (\(reason))")
        }
        return (CPUIdleLatencyHold(descriptor: descriptor), "idle-state exit latency held at 0 µs (\(devicePath))")
    }
}
