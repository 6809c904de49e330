import ReinsCore
import ReinsTransport

/// What every simulator behind a byte link shares (the servo buses, the VESC, the PX4 vehicle): a
/// pty it creates (or a link it is given, such as UDP), received bytes handed to the protocol,
/// replies passed through the fault injector and released when due, and the link cut.
public class ByteLinkSimulator: SimulatorFrontEnd, @unchecked Sendable {
    public let link: any ByteLink
    let pty: PseudoTerminal?
    let output: DelayedOutput
    var faults: FaultInjector
    private var cut = false
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
    private let label: String

    /// - Parameter link: nil creates a pty (optionally symlinked at `linkPath`).
    init(link: (any ByteLink)?, linkPath: String?, faults: FaultInjector) throws(DeviceError) {
        if let link {
            self.link = link
            pty = nil
            label = link.name
        } else {
            let pty = try PseudoTerminal(linkPath: linkPath)
            self.pty = pty
            self.link = pty.master
            label = "pty \(pty.clientPath)" + (pty.linkPath != nil ? " (-> \(pty.slavePath))" : "")
        }
        self.faults = faults
        output = DelayedOutput(faults: faults)
    }

    deinit { readBuffer.deallocate() }

    public var connectionDescription: String { label }

    /// The pty path clients open (nil when serving on a link it was given).
    public var devicePath: String? { pty?.clientPath }

    public func serviceInput(until deadline: UInt64, simulatedTime: Double) {
        guard !cut else {
            MonotonicClock.sleep(untilNanoseconds: deadline)
            return
        }
        do {
            let n = try link.read(into: readBuffer, deadline: deadline)
            if n > 0 { received(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]), at: simulatedTime) }
        } catch {
            // No client has the pty open yet (or it just closed): wait for the next one.
            MonotonicClock.sleep(untilNanoseconds: min(deadline, MonotonicClock.nowNanoseconds() + 1_000_000))
        }
    }

    /// Handles bytes from the client (subclasses decode their protocol here).
    func received(_ bytes: UnsafeRawBufferPointer, at time: Double) {
        preconditionFailure("subclass")
    }

    public func step(_ dt: Double, simulatedTime: Double) {
        preconditionFailure("subclass")
    }

    /// Queues telemetry due at `time` (subclasses that stream it).
    func emitTelemetry(at time: Double) {}

    /// Queues a reply to go out `delay` simulated seconds after `time`.
    func reply(_ bytes: [UInt8], at time: Double, delay: Double = 0) {
        output.enqueue(bytes, at: time + delay)
    }

    public func flushOutput(simulatedTime: Double) {
        guard !cut else { return }
        emitTelemetry(at: simulatedTime)
        output.release(upTo: simulatedTime) { bytes in
            try? link.write(bytes, deadline: MonotonicClock.nowNanoseconds() + 50_000_000)
        }
    }

    public func disconnect() {
        cut = true
        if let pty { pty.close() } else { link.close() }
    }
}
