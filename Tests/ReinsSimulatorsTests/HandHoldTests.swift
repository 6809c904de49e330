import ReinsConfig
import ReinsCore
import ReinsSimulators
import ReinsTestSupport
import Testing

@Suite struct HandHoldTests {
    @Test func aHeldHandKeepsTheLeaderStillWithOneJointDisplaced() throws {
        let leader = try RobotDescription.load(path: packageRoot + "/Robots/sim-leader.yaml")
        let arm = SimulatedArm(description: leader)
        let bus = try DynamixelBusSimulator(arm: arm, description: leader, faults: FaultInjector(spec: .none, seed: 1))
        defer { bus.disconnect() }
        bus.hand = true
        // Torque is off: the hand takes every joint at the first step (gravity has moved the
        // elbow a little by then), and two seconds of its sinusoids would move them all.
        bus.holdHand(joint: 2, displacement: 0)
        bus.step(0.001, simulatedTime: 0.001)
        let origin = arm.joints.map(\.position)
        bus.holdHand(joint: 2, displacement: 0.02)
        for step in 2...2000 { bus.step(0.001, simulatedTime: Double(step) * 0.001) }
        for (i, joint) in arm.joints.enumerated() {
            #expect(abs(joint.position - origin[i] - (i == 2 ? 0.02 : 0)) < 1e-12, "joint \(i) at \(joint.position)")
        }
        bus.holdHand(joint: 2, displacement: 0)
        bus.step(0.001, simulatedTime: 2.001)
        #expect(arm.joints[2].position == origin[2])
    }
}
