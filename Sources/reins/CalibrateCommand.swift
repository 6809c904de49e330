import ArgumentParser
import ReinsConfig
import ReinsCore
import ReinsDrivers
import ReinsRuntime
import ReinsSimulators

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Record an arm's joint ranges and homing offsets and write its calibration file.",
        discussion: """
            Torque is switched off; move every joint slowly through its whole range while Reins \
            records (for --seconds, or until you press Enter). The zero angle of each joint is the \
            pose the arm is in when recording starts (--zero-pose current, hold the arm in its \
            zero pose first) or the middle of the recorded range (--zero-pose mid-range). The result \
            goes to the calibration file the description names (or --out). For a simulated arm \
            (link: sim) a simulated operator moves the joints.
            """)

    @OptionGroup var options: RobotOptions

    @Option(help: "Where to write the calibration (default: the file the description names; replacing it needs --force).")
    var out: String?

    @Flag(help: "Replace an existing calibration file.")
    var force = false

    @Option(parsing: .unconditional, help: NumberRange.servoID.help("Servo ids in joint order, e.g. 1,2,3,4,5,6 (default: from the existing calibration)."),
            transform: NumberRange.servoID.parseList)
    var ids: [Int]?

    @Option(help: "Joints whose servo turns the other way, comma-separated names.")
    var invert: String?

    @Option(help: "current or mid-range.")
    var zeroPose: String = "mid-range"

    @Option(parsing: .unconditional, help: NumberRange.calibrationSeconds.help("Record for this many seconds instead of waiting for Enter."),
            transform: NumberRange.calibrationSeconds.parse)
    var seconds: Double?

    @Flag(help: "Write even if some joint barely moved.")
    var allowPartial = false

    func validate() throws {
        guard ArmCalibrator.ZeroPose(rawValue: zeroPose) != nil else { throw ValidationError("--zero-pose must be current or mid-range") }
        if let ids, Set(ids).count != ids.count { throw ValidationError("--ids names a servo twice; each joint needs its own id") }
    }

    func run() throws {
        let loaded = try loadRobot(options.robot, calibrationRequired: false, exitCode: 2)
        // Checked before the torque goes off: the description and its key files are never
        // replaced, and an existing calibration only with --force.
        let target = out ?? loaded.calibrationPath
        let output = try outputFile(target, kind: .calibration, option: out == nil ? "calibration" : "--out",
                                    inputs: loaded.inputFiles.filter { $0 != loaded.calibrationPath }, force: force)
        let zero = ArmCalibrator.ZeroPose(rawValue: zeroPose)!
        let inverted = Set((invert ?? "").split(separator: ",").map(String.init))
        let robot: RobotDescription
        do {
            robot = try ArmCalibrator.provisional(loaded, ids: ids, inverted: inverted)
        } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        var simulatorOptions = try options.simulatorOptions()
        simulatorOptions.backdrive = true
        let session: RobotSession
        do {
            session = try RobotSession(robot, simulators: BuiltInSimulators(options: simulatorOptions))
        } catch {
            printError("cannot connect: \(error)")
            throw ExitCode(3)
        }
        defer { session.close() }
        session.driver.deactivate()
        if robot.link == .sim { print("simulated arm: a simulated operator moves the joints") }
        let recording: ArmCalibrator.Recording
        do {
            if let seconds {
                print("torque off; move every joint through its full range for \(fixed(seconds, 0)) s...")
                recording = try ArmCalibrator.record(session, seconds: seconds)
            } else {
                print("torque off; move every joint through its full range, then press Enter")
                let stop = EnterKey()
                recording = try ArmCalibrator.record(session, seconds: .infinity, shouldStop: { stop.pressed })
            }
        } catch {
            printError(error.description)
            throw ExitCode(3)
        }
        let names = robot.actionNames.map { String($0.dropLast(".goal".count)) }
        let unmoved = ArmCalibrator.unmovedJoints(recording, names: names)
        if !unmoved.isEmpty && !allowPartial {
            printError("these joints moved less than 200 ticks (18°): \(unmoved.joined(separator: ", ")); record again moving them, or pass --allow-partial")
            throw ExitCode(1)
        }
        let calibration = ArmCalibrator.calibration(from: recording, provisional: robot, zero: zero)
        let path = output.path
        do {
            try output.write(Array(ArmCalibrator.yaml(calibration, robot: robot, zero: zero).utf8))
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        for (name, joint) in calibration.joints {
            let reach = joint.angleRange()
            print("\(name): id \(joint.servoID), homing offset \(joint.homingOffset), range \(joint.range.lowerBound)...\(joint.range.upperBound) ticks (\(fixed(reach.lowerBound, 2))...\(fixed(reach.upperBound, 2)) rad)")
        }
        print("wrote \(path) from \(recording.samples) readings")
        if sameFile(path, loaded.calibrationPath) {
            print("check it with `reins check \(options.robot)` (the description with this calibration)")
        } else {
            print("check it with `reins check \(path)`; to use it, set `calibration:` in \(options.robot) to it, then `reins check \(options.robot)`")
        }
    }
}

/// Watches standard input for a line on a background thread.
final class EnterKey: @unchecked Sendable {
    private let flag = AtomicFlag()
    init() {
        let flag = self.flag
        PosixThread { _ = readLine(); flag.set() }.detach()
    }
    var pressed: Bool { flag.isSet }
}
