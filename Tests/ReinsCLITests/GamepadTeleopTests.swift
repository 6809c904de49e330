import Foundation
import ReinsCore
import ReinsRecording
import ReinsTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One 24-byte `struct input_event` (64-bit Linux): time zero, then type, code, value.
private func inputEvent(type: UInt16, code: UInt16, value: Int32) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 16)
    withUnsafeBytes(of: type.littleEndian) { bytes += $0 }
    withUnsafeBytes(of: code.littleEndian) { bytes += $0 }
    withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    return bytes
}

/// The left stick's vertical axis (ABS_Y) at `value`, then the report that ends the packet.
private func leftStickY(_ value: Int32) -> [UInt8] {
    inputEvent(type: 3, code: 1, value: value) + inputEvent(type: 0, code: 0, value: 0)
}

@Suite(.serialized) struct GamepadTeleopTests {
    @Test func aGamepadOnAFIFODrivesTheSimCarAndItsLossGivesTheFallback() throws {
        let folder = TemporaryDirectory()
        // A description outside Robots/: the mapping comes from the package root's Robots/gamepads/xbox.yaml.
        let robot = try relaxedDescription("sim-car", in: folder)
        let fifo = folder.file("pad")
        #expect(mkfifo(fifo, 0o600) == 0)
        let recording = folder.file("teleop.mcap")
        let reins = SpawnedProcess(reinsExecutable, ["teleop", "--robot", robot.path, "--device", "gamepad:\(fifo)", "--no-wait",
                                                     "--duration", "4", "--record", recording, "--no-realtime"], workingDirectory: packageRoot)
        // The FIFO's writing end opens once reins has the reading end open (device start).
        var fd: Int32 = -1
        let end = MonotonicClock.deadline(in: 60)
        while fd < 0 && !reins.hasExited && MonotonicClock.nowNanoseconds() < end {
            fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            if fd < 0 { usleep(10_000) }
        }
        try #require(fd >= 0, "reins never opened the gamepad: \(reins.standardError)")
        func send(_ bytes: [UInt8]) {
            #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
        }
        send(leftStickY(-32768))   // full forward
        usleep(1_200_000)
        send(leftStickY(0))        // let go: inside the deadzone
        usleep(800_000)
        close(fd)                  // unplugged
        let status = reins.wait(timeout: 120)
        #expect(status == 0, "\(reins.standardError)")
        #expect(reins.standardOutput.contains("gamepad \(fifo)"))

        let read = try RecordingReader.read(path: recording)
        let ticks = read.episodes.flatMap(\.ticks).sorted { $0.tick < $1.tick }
        #expect(!ticks.isEmpty && ticks.allSatisfy { $0.source == .human })
        // Full forward asks for the car's top speed, and the applied speed climbs toward it.
        let forward = try #require(ticks.firstIndex { $0.proposed[0] == 3 }, "no tick with the stick forward")
        let fastest = try #require(ticks[forward...].max { $0.applied[0] < $1.applied[0] })
        #expect(fastest.applied[0] > 1, "applied speed reached only \(fastest.applied[0])")
        #expect(ticks[forward].applied[0] < fastest.applied[0])
        // Letting go asks for zero, and the applied speed comes down.
        let released = try #require(ticks[forward...].firstIndex { $0.proposed[0] == 0 }, "no tick with the stick released")
        #expect(ticks[released].t > fastest.t)
        // Closing the FIFO: the device goes silent, the run records operator_lost and falls back.
        let lost = try #require(read.events.first { $0.kind == .operatorLost }, "no operator_lost event: \(read.events.map(\.kind))")
        #expect(lost.t > ticks[released].t)
        let afterLost = ticks.filter { $0.t > lost.t + 0.1 }
        #expect(!afterLost.isEmpty)
        #expect(afterLost.last!.applied[0] < fastest.applied[0])
    }

    @Test func aBadGamepadSpecOrMappingIsRefusedWithExitTwoNamingTheFileAndLine() throws {
        let folder = TemporaryDirectory()
        let map = folder.write("pad.yaml", "buttons: {start: 315}\ncar:\n  axes:\n    - {axis: 1, action: throttle, scale: 1}\n")
        func teleop(_ device: String) -> ProcessResult {
            runProcess(reinsExecutable, ["teleop", "--robot", "Robots/sim-car.yaml", "--device", device, "--no-realtime", "--duration", "1"],
                       workingDirectory: packageRoot)
        }
        let badMap = teleop("gamepad:/dev/null,map=\(map)")
        #expect(badMap.status == 2)
        #expect(badMap.standardError.contains("\(map):4:"), "\(badMap.standardError)")
        #expect(badMap.standardError.contains("`throttle` is not a car's action"))
        let noPath = teleop("gamepad:")
        #expect(noPath.status == 2 && noPath.standardError.contains("ls /dev/input/by-id"))
        let unknownSetting = teleop("gamepad:/dev/null,mapp=x.yaml")
        #expect(unknownSetting.status == 2 && unknownSetting.standardError.contains("map=FILE"))
        let missing = teleop("gamepad:/dev/input/no-such-event")
        #expect(missing.status == 5, "\(missing.standardError)")
        #expect(missing.standardError.contains("cannot open gamepad /dev/input/no-such-event"))
    }
}
