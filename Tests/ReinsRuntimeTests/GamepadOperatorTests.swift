import ReinsConfig
import ReinsCore
import ReinsProtocols
@testable import ReinsRuntime
import ReinsTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

private func robot(_ name: String) throws -> RobotDescription {
    try RobotDescription.load(path: packageRoot + "/Robots/\(name).yaml")
}

private func mapping(_ text: String, for robot: RobotDescription, file: String = "pad.yaml") throws(ConfigErrors) -> GamepadMapping {
    try GamepadMapping(file: GamepadMappingFile.parse(text, path: file, buttonNames: OperatorButtons.names.map(\.1)), robot: robot)
}

/// The diagnostics a mapping text gives, one line each.
private func problems(_ text: String, for robot: RobotDescription) -> [String] {
    do {
        _ = try mapping(text, for: robot)
        return []
    } catch {
        return error.diagnostics.map(\.description)
    }
}

private let shippedXbox = packageRoot + "/Robots/gamepads/xbox.yaml"

@Suite struct GamepadMappingTests {
    @Test func theShippedXboxMappingFitsEveryShippedRobot() throws {
        for name in ["sim-arm", "sim-so101-arm", "sim-car", "sim-drone", "koch-arm", "so101-arm", "f1tenth-car", "px4-quad-udp"] {
            let description = try RobotDescription.load(path: packageRoot + "/Robots/\(name).yaml", calibrationRequired: false)
            let pad = try GamepadMapping(path: shippedXbox, robot: description)
            #expect(pad.axesWithoutRange.isEmpty, "\(name)")
            #expect(pad.buttons.count == OperatorButtons.names.count, "\(name): every operator button has a code")
        }
    }

    @Test func mistakesInAMappingFileNameTheFileAndTheLine() throws {
        let car = try robot("sim-car")
        let text = """
            buttons:
              start: 315
              takeovr: 308
              stop: 315
            car:
              axes:
                - {axis: 1, action: sped, scale: 3.0}
                - {axis: 99, action: steering, scale: 0.2}
                - {axis: 3, action: steering, scale: 0.2, deadzone: 1.5, range: [100, -100]}
                - {axis: 2, action: speed}
            """
        let lines = problems(text, for: car)
        #expect(lines.contains { $0.hasPrefix("pad.yaml:3:3: buttons.takeovr: unknown key") && $0.contains("did you mean `takeover`?") })
        #expect(lines.contains { $0.hasPrefix("pad.yaml:4:9: buttons.stop: button 315 is also `start` (line 2)") })
        #expect(lines.contains { $0.hasPrefix("pad.yaml:7:25: car.axes[0].action: `sped` is not a car's action") && $0.contains("`speed`") })
        #expect(lines.contains { $0.hasPrefix("pad.yaml:8:14: car.axes[1].axis: 99 is out of range") })
        #expect(lines.contains { $0.hasPrefix("pad.yaml:9:57: car.axes[2].deadzone: 1.5 is out of range") })
        #expect(lines.contains { $0.hasPrefix("pad.yaml:9:69: car.axes[2].range: min 100 is not below max -100") })
        #expect(lines.contains { $0.hasPrefix("pad.yaml:10:7: car.axes[3].scale: required key is missing") })
        #expect(lines.count == 7, "\(lines)")
    }

    @Test func badYAMLAndAMissingSectionAndAnUnknownJointAreReportedNotCrashed() throws {
        let arm = try robot("sim-arm")
        #expect(problems("buttons: {start: 315\ncar: [", for: arm).first?.hasPrefix("pad.yaml:") == true)
        #expect(problems("buttons: {start: 315}\ncar:\n  axes: [{axis: 1, action: speed, scale: 1}]\n", for: arm)
            == ["pad.yaml: arm: no `arm:` section, and sim-arm is an arm; add the `arm:` section with `axes:` (see Robots/gamepads/xbox.yaml)"])
        let unknownJoint = problems("""
            buttons: {start: 315}
            arm:
              axes:
                - {axis: 1, action: elbow, scale: 1}
            """, for: arm)
        #expect(unknownJoint.count == 1 && unknownJoint[0].hasPrefix("pad.yaml:4:7: arm.axes[0].action: `elbow` is not a joint of sim-arm; use `selected` or one of `shoulder_pan`"))
        let noSelect = problems("buttons: {start: 315}\narm:\n  axes: [{axis: 1, action: selected, scale: 1}]\n", for: arm)
        #expect(noSelect.count == 1 && noSelect[0].contains("select_previous"))
        let missing = TemporaryDirectory()
        #expect(throws: ConfigErrors.self) { try GamepadMapping(path: missing.file("none.yaml"), robot: arm) }
    }

    @Test func carAxesApplyDeadzoneScaleInvertAndClampToTheRobotsLimits() throws {
        let car = try robot("sim-car")   // speed -1...3 m/s, steering ±0.26 rad
        var pad = try mapping("""
            buttons: {start: 315, success: 304}
            car:
              axes:
                - {axis: 1, action: speed, scale: 4.0, deadzone: 0.2, invert: true, range: [-1000, 1000]}
                - {axis: 3, action: steering, scale: 0.2, range: [0, 200]}
                - {axis: 5, action: steering, scale: 0.2, range: [0, 200]}
            """, for: car)
        func command(_ inputs: [GamepadInput]) -> OperatorCommand {
            for input in inputs { pad.apply(input) }
            return pad.command(at: 1)
        }
        // Nothing moved yet: every axis reads as centred.
        var c = command([])
        #expect(c.count == 2 && c.mode == .absolute && c[0] == 0 && c[1] == 0)
        // Inside the deadzone (10 % < 20 %): zero.
        c = command([.axis(code: 1, value: -100)])
        #expect(c[0] == 0)
        // Half-way up (inverted: forward), the deadzone cut out: (0.5 - 0.2) / 0.8 × 4 = 1.5.
        c = command([.axis(code: 1, value: -500)])
        #expect(abs(c[0] - 1.5) < 1e-9)
        // Full forward would be 4 m/s: clamped to the car's 3; full back to its -1.
        #expect(command([.axis(code: 1, value: -1000)])[0] == 3)
        #expect(command([.axis(code: 1, value: 1000)])[0] == -1)
        // Two axes on the steering add up, and the sum is clamped to the lock.
        c = command([.axis(code: 3, value: 150)])
        #expect(abs(c[1] - 0.1) < 1e-9)
        c = command([.axis(code: 5, value: 200)])
        #expect(c[1] == 0.26)
        // Values beyond the declared range count as full deflection.
        #expect(command([.axis(code: 3, value: -5000), .axis(code: 5, value: 100)])[1] == -0.2)
    }

    @Test func buttonsArePressEdgesSeenOnceAndReleasesRepeatsAndInitialStateAreNot() throws {
        let car = try robot("sim-car")
        var pad = try mapping("buttons: {start: 315, success: 304, stop: 314}\ncar:\n  axes: [{axis: 1, action: speed, scale: 1, range: [-1, 1]}]\n", for: car)
        pad.apply(.button(code: 315, pressed: true, initial: false))
        pad.apply(.button(code: 315, pressed: false, initial: false))
        pad.apply(.button(code: 304, pressed: true, initial: false))
        pad.apply(.button(code: 999, pressed: true, initial: false))
        #expect(pad.command(at: 1).buttons == [.startEpisode, .success])
        #expect(pad.command(at: 2).buttons == [])
        pad.apply(.button(code: 314, pressed: true, initial: true))
        #expect(pad.command(at: 3).buttons == [])
    }

    @Test func armAxesIntegrateJointRatesIntoOffsetsOnTheSelectedJoint() throws {
        let arm = try robot("sim-arm")   // shoulder_pan velocity 3 rad/s; gripper range -0.1...1.6
        var pad = try mapping("""
            buttons: {start: 315}
            arm:
              select_previous: 310
              select_next: 311
              axes:
                - {axis: 1, action: selected, scale: 1.0, invert: true, range: [-100, 100]}
                - {axis: 4, action: gripper, scale: 10.0, range: [-100, 100]}
            """, for: arm)
        #expect(pad.mode == .offset)
        let second: UInt64 = 1_000_000_000
        pad.advance(to: 10 * second)
        pad.apply(.axis(code: 1, value: -100))   // full up: +1 rad/s on joint 0
        var c = pad.command(at: 10 * second + second / 20)
        #expect(abs(c[0] - 0.05) < 1e-9 && c[1] == 0)
        // A step longer than `maximumStepSeconds` (a stalled thread) counts as that long.
        c = pad.command(at: 20 * second)
        #expect(abs(c[0] - 0.15) < 1e-9)
        // The bumpers move the selection; the offset already made stays.
        pad.apply(.button(code: 311, pressed: true, initial: false))
        #expect(pad.selectedJoint == 1)
        c = pad.command(at: 20 * second + second / 10)
        #expect(abs(c[0] - 0.15) < 1e-9 && abs(c[1] - 0.1) < 1e-9)
        pad.apply(.button(code: 310, pressed: true, initial: false))
        pad.apply(.button(code: 310, pressed: true, initial: false))
        #expect(pad.selectedJoint == 0)
        // The gripper's rate is clamped to its 4 rad/s velocity limit, and its offset to its span.
        pad.apply(.axis(code: 1, value: 0))
        pad.apply(.axis(code: 4, value: 100))
        c = pad.command(at: 20 * second + second / 10 + second / 20)
        #expect(abs(c[5] - 0.2) < 1e-9)
        for step in 1...40 { c = pad.command(at: 21 * second + UInt64(step) * second / 20) }
        #expect(abs(c[5] - 1.7) < 1e-9)
    }

    @Test func aDroneWithoutAYawRateActionIgnoresTheYawAxis() throws {
        let drone = try robot("sim-drone")   // action: velocity (north, east, down)
        var pad = try GamepadMapping(path: shippedXbox, robot: drone)
        #expect(pad.actionCount == 3 && pad.axes.count == 3)
        pad.apply(.axis(code: 4, value: -32768))   // right stick up: north
        pad.apply(.axis(code: 1, value: -32768))   // left stick up: climb (down negative)
        let c = pad.command(at: 1)
        #expect(c[0] == 2 && c[1] == 0 && c[2] == -1)
    }
}

/// A FIFO the test writes events into, as a pad's node would deliver them.
final class EventPipe {
    let path: String
    private(set) var fd: Int32 = -1

    init(in folder: TemporaryDirectory) {
        path = folder.file("pad")
        precondition(mkfifo(path, 0o600) == 0, "mkfifo failed")
    }

    /// Opens the writing end once the reader has the FIFO open (waits up to `timeout` s).
    func connect(timeout: Double = 30) -> Bool {
        let end = MonotonicClock.deadline(in: timeout)
        while MonotonicClock.nowNanoseconds() < end {
            fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            if fd >= 0 { return true }
            usleep(10_000)
        }
        return false
    }

    func send(_ events: [LinuxInputEvent]) {
        let bytes = events.flatMap(\.bytes)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        precondition(written == bytes.count, "short write to the FIFO")
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    deinit { close() }
}

/// A stick move and the report that ends it.
func stick(_ code: UInt16, _ value: Int32) -> [LinuxInputEvent] {
    [LinuxInputEvent(type: LinuxInputEvent.absolute, code: code, value: value),
     LinuxInputEvent(type: LinuxInputEvent.synchronization, code: 0, value: 0)]
}

@Suite struct GamepadOperatorTests {
    private func view(_ now: UInt64 = MonotonicClock.nowNanoseconds()) -> OperatorView {
        OperatorView(tick: 0, now: now, period: 10_000_000, elapsed: 0, state: UnsafeBufferPointer(start: nil, count: 0),
                     lastApplied: UnsafeBufferPointer(start: nil, count: 0), phase: .demonstration, takeoverRequested: false)
    }

    /// Polls until `condition` holds for the latest command (up to `timeout` s).
    private func waitForCommand(_ device: GamepadOperator, timeout: Double = 10, _ condition: (OperatorCommand) -> Bool) -> OperatorCommand? {
        let end = MonotonicClock.deadline(in: timeout)
        var command = OperatorCommand()
        while MonotonicClock.nowNanoseconds() < end {
            if device.poll(view(), into: &command), condition(command) { return command }
            usleep(5_000)
        }
        return nil
    }

    @Test func aPadOnAFIFODrivesTheCommandAndFallsSilentWhenItGoesAway() throws {
        let car = try robot("sim-car")
        let folder = TemporaryDirectory()
        let pipe = EventPipe(in: folder)
        let device = GamepadOperator(path: pipe.path, mapping: try GamepadMapping(path: shippedXbox, robot: car), operatorName: "tester")
        try device.start(robot: car, follower: UnsafeBufferPointer(start: nil, count: 0))
        defer { device.stop() }
        #expect(pipe.connect())
        // Heartbeats before any input: the stick reads as centred.
        #expect(waitForCommand(device) { $0.count == 2 && $0[0] == 0 } != nil)
        pipe.send(stick(1, -32768) + [LinuxInputEvent(type: LinuxInputEvent.key, code: 315, value: 1)])
        let forward = waitForCommand(device) { $0[0] == 3 }
        #expect(forward != nil, "full forward reaches the car's top speed")
        // The start press may have been drained with an earlier command; it is seen exactly once.
        pipe.send(stick(3, -32768))
        #expect(waitForCommand(device) { $0[1] == 0.26 } != nil, "full left reaches the steering lock")
        pipe.close()
        // The thread notices the hang-up and stops publishing: the latest timestamp stops moving.
        let end = MonotonicClock.deadline(in: 10)
        while !device.isGone && MonotonicClock.nowNanoseconds() < end { usleep(5_000) }
        #expect(device.isGone)
        var last = OperatorCommand()
        _ = device.poll(view(), into: &last)
        usleep(100_000)
        var later = OperatorCommand()
        #expect(device.poll(view(), into: &later))
        #expect(later.timestamp == last.timestamp, "no heartbeat after the device went away")
    }

    @Test func startNamesThePathAndSuggestsWhereToLookWhenItCannotOpen() throws {
        let car = try robot("sim-car")
        let device = GamepadOperator(path: "/dev/input/by-id/no-such-pad-event-joystick", mapping: try GamepadMapping(path: shippedXbox, robot: car))
        do {
            try device.start(robot: car, follower: UnsafeBufferPointer(start: nil, count: 0))
            Issue.record("opened a path that does not exist")
        } catch {
            #expect(error.description.hasPrefix("cannot open gamepad /dev/input/by-id/no-such-pad-event-joystick: No such file or directory"))
            #expect(error.description.contains("ls /dev/input/by-id"))
        }
    }

    @Test func anAxisWithoutARangeOnANodeThatCannotReportOneIsRefusedAtStart() throws {
        let car = try robot("sim-car")
        let folder = TemporaryDirectory()
        let file = folder.write("recorded.events", "")
        let device = GamepadOperator(path: file, mapping: try mapping("buttons: {start: 315}\ncar:\n  axes: [{axis: 1, action: speed, scale: 1}]\n", for: car))
        do {
            try device.start(robot: car, follower: UnsafeBufferPointer(start: nil, count: 0))
            device.stop()
            Issue.record("started without a range for axis 1")
        } catch {
            #expect(error.description.contains("axis 1 (pad.yaml:3) has no `range`"))
            #expect(error.description.contains("add `range: [min, max]`"))
        }
    }

    @Test func aRegularFileOfRecordedEventsIsReadAndHeldAsAPadNobodyTouches() throws {
        let car = try robot("sim-car")
        let folder = TemporaryDirectory()
        let bytes = stick(1, -16384).flatMap(\.bytes)
        let file = folder.file("recorded.events")
        let out = fopen(file, "w")!
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, out) }
        fclose(out)
        let device = GamepadOperator(path: file, mapping: try GamepadMapping(path: shippedXbox, robot: car))
        try device.start(robot: car, follower: UnsafeBufferPointer(start: nil, count: 0))
        defer { device.stop() }
        // Half forward: (0.5 - 0.1) / 0.9 × 3 m/s.
        let expected = (16383.5 / 32767.5 - 0.1) / 0.9 * 3
        let first = try #require(waitForCommand(device) { abs($0[0] - expected) < 1e-6 })
        // The end of the file is not a hang-up: heartbeats continue.
        #expect(waitForCommand(device) { $0.timestamp > first.timestamp } != nil)
        #expect(!device.isGone)
    }
}
