import ReinsConfig
import ReinsCore
import ReinsRuntime
import ReinsTestSupport
import Testing

@Suite struct ArmCalibratorTests {
    private func provisionalSimArm() throws -> RobotDescription {
        try ArmCalibrator.provisional(try RobotDescription.load(path: packageRoot + "/Robots/sim-arm.yaml"), ids: nil, inverted: [])
    }

    @Test func aConstantReadingGivesItsOwnTickAsZeroAndAsBothEndsOfTheRange() throws {
        let robot = try provisionalSimArm()
        let constant = [Int](repeating: 2049, count: 6)
        let recording = ArmCalibrator.Recording(startTicks: constant, minimumTicks: constant, maximumTicks: constant, samples: 50)
        let calibration = ArmCalibrator.calibration(from: recording, provisional: robot, zero: .current)
        for (name, joint) in calibration.joints {
            #expect(joint.homingOffset == 1, "\(name)")
            #expect(joint.range == 2049...2049, "\(name): the joint was never seen at any other tick")
        }
        let text = ArmCalibrator.yaml(calibration, robot: robot, zero: .current)
        #expect(text.contains("shoulder_pan:  {id: 1, homing_offset: 1, direction: 1, range: [2049, 2049]}"), "\(text)")
        // Such a file is refused with the advice to record both ends, not accepted as a 1-tick range.
        let folder = TemporaryDirectory()
        let path = folder.write("calibration.yaml", text)
        do {
            _ = try Calibration.load(path: path)
            Issue.record("a range the joint never covered was accepted")
        } catch {
            #expect("\(error)".contains("min 2049 is not below max 2049; move the joint through its range and record both ends"), "\(error)")
        }
    }

    @Test func aSweptJointKeepsItsExtremesAndTheChosenZero() throws {
        let robot = try provisionalSimArm()
        let recording = ArmCalibrator.Recording(startTicks: [2100, 2048, 2048, 2048, 2048, 2048], minimumTicks: [1000, 900, 800, 700, 600, 2000],
                                                maximumTicks: [3001, 3100, 3200, 3300, 3400, 2600], samples: 500)
        let current = ArmCalibrator.calibration(from: recording, provisional: robot, zero: .current)
        #expect(current.joints[0].calibration.range == 1000...3001 && current.joints[0].calibration.homingOffset == 52)
        let middle = ArmCalibrator.calibration(from: recording, provisional: robot, zero: .midRange)
        #expect(middle.joints.map { $0.calibration.homingOffset } == [2000, 2000, 2000, 2000, 2000, 2300].map { $0 - 2048 })
    }
}
