import Foundation
import ReinsConfig
import ReinsCore
import ReinsTestSupport
import Testing

@Suite struct StateLayoutTests {
    static let robots = ["sim-arm", "so101-arm", "sim-car", "f1tenth-car", "sim-drone", "px4-quad-udp"]

    /// Entry i holds i + 0.5, so a value says which entry it was read from.
    static func numbered(_ layout: StateLayout) -> [Double] {
        (0..<layout.count).map { Double($0) + 0.5 }
    }

    @Test func theNamesAreTheOnesDriversSimulatorsAndRecordingsUse() throws {
        let arm = StateLayout(kind: .arm, jointNames: ["pan", "lift"])
        #expect(arm.names == ["pan.pos", "lift.pos", "pan.vel", "lift.vel", "pan.effort", "lift.effort"])
        #expect(arm.jointCount == 2)
        #expect(StateLayout(kind: .car).names == ["pose.x", "pose.y", "pose.yaw", "speed", "steering"])
        #expect(StateLayout(kind: .drone).names == ["position.north", "position.east", "position.down", "velocity.north", "velocity.east",
                                                    "velocity.down", "attitude.roll", "attitude.pitch", "attitude.yaw"])
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml")
        #expect(robot.stateLayout == StateLayout(kind: .arm, jointNames: ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]))
    }

    @Test(arguments: robots)
    func eachViewReadsTheEntryItsNameSays(_ name: String) throws {
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/\(name).yaml")
        let layout = robot.stateLayout
        let values = Self.numbered(layout)
        // NaN for a name the layout lacks, which no view can equal.
        func value(_ entry: String) -> Double { layout.names.firstIndex(of: entry).map { values[$0] } ?? .nan }
        values.withUnsafeBufferPointer { buffer in
            switch robot.body {
            case .arm(let joints):
                let arm = ArmStateView(buffer, jointCount: layout.jointCount)
                for (j, joint) in joints.enumerated() {
                    #expect(arm.position(j) == value(joint.name + ".pos"))
                    #expect(arm.velocity(j) == value(joint.name + ".vel"))
                    #expect(arm.effort(j) == value(joint.name + ".effort"))
                }
            case .car:
                let car = CarStateView(buffer)
                #expect(car.x == value("pose.x") && car.y == value("pose.y") && car.yaw == value("pose.yaw"))
                #expect(car.speed == value("speed") && car.steering == value("steering"))
            case .drone:
                let drone = DroneStateView(buffer)
                #expect(drone.position == (value("position.north"), value("position.east"), value("position.down")))
                #expect(drone.velocity == (value("velocity.north"), value("velocity.east"), value("velocity.down")))
                #expect(drone.attitude == (value("attitude.roll"), value("attitude.pitch"), value("attitude.yaw")))
                #expect(drone.altitude == -value("position.down"))
                let (north, east) = (value("position.north"), value("position.east"))
                #expect(drone.horizontalDistance == (north * north + east * east).squareRoot())
            }
        }
    }

    /// The observation builder copies these runs into the observation, so a run must hold exactly
    /// the entries the observation names, and every feature the task does not compute must have one.
    @Test(arguments: robots)
    func theStateHoldsEveryMeasuredObservationFeatureUnderItsObservationNames(_ name: String) throws {
        let robot = try RobotDescription.load(path: packageRoot + "/Robots/\(name).yaml")
        let layout = robot.stateLayout
        let taskFeatures: Set<ObservationFeature> = [.target, .trackError, .trackAhead]
        for feature in ObservationFeature.allCases {
            let entries = layout.entries(of: feature)
            if feature.kinds.contains(robot.kind) && !taskFeatures.contains(feature) {
                let run = try #require(entries, "\(feature)")
                #expect(Array(layout.names[run]) == feature.entryNames(body: robot.body), "\(feature)")
            } else {
                #expect(entries == nil, "\(feature)")
            }
        }
    }

    /// Only the layout's views read the state by position: everything else reads a value through
    /// a view by what it means (`car.speed`, not `state[3]`), so a new robot kind or a reordered
    /// state cannot be misread. Drivers fill `state.values[i] = …` in the layout's order; writes are
    /// not reads and are left out.
    @Test func nothingOutsideTheLayoutReadsTheStateByPosition() throws {
        let sources = packageRoot + "/Sources"
        let enumerator = try #require(FileManager.default.enumerator(atPath: sources))
        let read = try NSRegularExpression(pattern: #"\bstate(\.values)?\[[^\]]*\](?!\s*[-+*/]?=[^=])"#)
        var readers: [String] = []
        while let file = enumerator.nextObject() as? String {
            guard file.hasSuffix(".swift"), file != "ReinsConfig/StateLayout.swift" else { continue }
            let text = try String(contentsOfFile: sources + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let string = String(line)
                if read.firstMatch(in: string, range: NSRange(string.startIndex..., in: string)) != nil { readers.append("\(file): \(string)") }
            }
        }
        #expect(readers == [])
    }
}
