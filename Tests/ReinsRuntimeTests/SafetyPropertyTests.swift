import Foundation
import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsRuntime
import ReinsTestSupport
import Testing

/// A driver that applies exactly what it is told and keeps nothing else: what leaves the command
/// port is what would reach the hardware.
final class ExactDriver: RobotDriver {
    let robot: RobotDescription
    var deviceName: String { "exact driver" }
    var health = DriverHealth()
    init(robot: RobotDescription) { self.robot = robot }
    func connect() throws(DeviceError) {}
    func configure() throws(DeviceError) {}
    func activate() throws(DeviceError) {}
    func read(into state: RobotState, deadline: UInt64) -> ReadOutcome { .fresh }
    func write(_ command: UnsafeBufferPointer<Double>, applied: UnsafeMutableBufferPointer<Double>, deadline: UInt64) -> Bool {
        for i in 0..<command.count { applied[i] = command[i] }
        return true
    }
    func safeStop(reason: String, progress: (String) -> Void) -> SafeStopReport { SafeStopReport(steps: ["nothing to stop"]) }
    func explain(_ fault: DriverFault) -> String { "\(deviceName): \(fault)" }
    func deactivate() {}
    func disconnect() {}
}

@Suite struct SafetyPropertyTests {
    /// Proposals a broken or hostile source could make: anything from noise to NaN and 1e300.
    static func hostileProposal(_ random: inout SeededRandom, count: Int, scale: Double, steady: [Double]) -> [Double] {
        switch random.unit() {
        case ..<0.05: return (0..<count).map { _ in [Double.nan, .infinity, -.infinity, 1e300][Int(random.unit() * 4) % 4] }
        case ..<0.15: return (0..<count).map { _ in (random.unit() - 0.5) * 1e6 }
        case ..<0.45: return (0..<count).map { _ in (random.unit() - 0.5) * 4 * scale }
        case ..<0.55: return (0..<count).map { i in steady[i] + (random.unit() - 0.5) * 0.02 * scale }
        default: return steady
        }
    }

    @Test(arguments: ["sim-arm", "so101-arm", "sim-car", "sim-drone"])
    func noCommandLeavingThePortBreaksALimitOfTheDescription(_ name: String) throws {
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/\(name).yaml")
        let names = RobotState.names(for: robot)
        let n = robot.actionNames.count
        let bounds = robot.actionBounds
        var totalClamps = 0
        for seed in UInt64(1)...8 {
            var random = SeededRandom(seed: seed)
            let port = CommandPort(driver: ExactDriver(robot: robot), robot: robot)
            var state = [Double](repeating: 0, count: names.count)
            // Start anywhere inside the position limits (an arm may start outside its workspace box).
            if case .arm = robot.body { for i in 0..<n { state[i] = bounds[i].lowerBound + random.unit() * (bounds[i].upperBound - bounds[i].lowerBound) } }
            if case .drone = robot.body { state[2] = -3 }
            state.withUnsafeBufferPointer { port.reset(state: $0) }
            let checker = LimitChecker(robot: robot)
            checker.start(from: Array(port.applied))
            var steady = (0..<n).map { i in bounds[i].lowerBound + random.unit() * (bounds[i].upperBound - bounds[i].lowerBound) }
            let scale = bounds.map { max(abs($0.lowerBound), abs($0.upperBound)) }.max() ?? 1
            for tick in 0..<3000 {
                if tick % 300 == 0 { steady = (0..<n).map { i in bounds[i].lowerBound + random.unit() * (bounds[i].upperBound - bounds[i].lowerBound) } }
                let proposal = Self.hostileProposal(&random, count: n, scale: scale, steady: steady)
                let usable = random.unit() > 0.05, fallback = random.unit() < 0.03
                let clamps = proposal.withUnsafeBufferPointer { p in
                    state.withUnsafeBufferPointer { s in port.send(p, state: s, stateUsable: usable, fallback: fallback, deadline: .max) }
                }
                let mask = try #require(clamps)
                if mask != 0 { totalClamps += 1 }
                let walls = [ClampReason.jointPosition, .workspace, .altitude, .geofence].reduce(UInt32(0)) { $0 | $1.bit }
                let wallStop = mask & walls != 0
                let applied = Array(port.applied)
                checker.check(applied, state: state, wallStop: wallStop)
                // The robot follows (with some error), and a drone is sometimes found elsewhere:
                // outside the fence, above the ceiling, on the floor.
                switch robot.body {
                case .arm:
                    for i in 0..<n { state[i] = applied[i] + (random.unit() - 0.5) * 0.004 }
                case .car:
                    state[3] = applied[0]
                    state[4] = applied[1]
                case .drone(let limits):
                    for i in 0..<3 { state[i] += applied[i] / robot.controlRateHz }
                    if random.unit() < 0.01 {
                        let radius = random.unit() * limits.geofenceRadius * 1.3, angle = random.unit() * 2 * .pi
                        state[0] = radius * cos(angle)
                        state[1] = radius * sin(angle)
                        state[2] = -(random.unit() * (limits.altitude.upperBound + 2))
                    }
                }
            }
            #expect(checker.violations.isEmpty, "\(name) seed \(seed): \(checker.violations.prefix(5))")
        }
        #expect(totalClamps > 1000, "the hostile proposals were clamped")
    }

    /// One write path: nothing but the command port calls a driver's `write`, so no command (deploy,
    /// demos, replay, evaluation, or one written later) can reach the hardware around the filter.
    @Test func onlyTheCommandPortWritesToADriver() throws {
        let sources = packageRoot + "/Sources"
        let enumerator = try #require(FileManager.default.enumerator(atPath: sources))
        var callers: [String] = []
        let call = try NSRegularExpression(pattern: #"\.write\(.*applied:"#)
        while let file = enumerator.nextObject() as? String {
            guard file.hasSuffix(".swift") else { continue }
            let text = try String(contentsOfFile: sources + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") where !line.contains("func write") {
                let string = String(line)
                if call.firstMatch(in: string, range: NSRange(string.startIndex..., in: string)) != nil { callers.append(file) }
            }
        }
        #expect(callers == ["ReinsRuntime/CommandPort.swift"])
    }
}
