import Foundation
import ReinsSimulators
import Testing

@Suite struct ServoJointTests {
    @Test func followsItsGoalAndSettles() {
        var joint = ServoJoint()
        joint.torqueEnabled = true
        joint.goal = 1.0
        for _ in 0..<1000 { joint.step(0.001) }
        #expect(abs(joint.position - 1.0) < 1e-3)
        #expect(abs(joint.velocity) < 1e-2)
    }

    @Test func velocityIsLimitedByTheProfile() {
        var joint = ServoJoint()
        joint.torqueEnabled = true
        joint.profileVelocity = 0.5
        joint.goal = 2.0
        var fastest = 0.0
        for _ in 0..<500 {
            joint.step(0.001)
            fastest = max(fastest, abs(joint.velocity))
        }
        #expect(fastest <= 0.5 + 1e-9)
        #expect(joint.position > 0.2 && joint.position < 0.3)
    }

    @Test func gravityMakesALoadedJointSagAndFallWithTorqueOff() {
        var parameters = ServoJoint.Parameters()
        parameters.gravityLoad = 12
        var joint = ServoJoint(parameters: parameters)
        joint.torqueEnabled = true
        joint.goal = 0
        for _ in 0..<2000 { joint.step(0.001) }
        let sag = joint.position
        #expect(sag < -0.005 && sag > -0.05)
        #expect(joint.presentCurrentMilliamps != 0)
        joint.torqueEnabled = false
        for _ in 0..<2000 { joint.step(0.001) }
        #expect(joint.position < sag - 0.3)
    }

    @Test func stuckJointDoesNotMove() {
        var joint = ServoJoint()
        joint.torqueEnabled = true
        joint.stuck = true
        joint.goal = 1
        for _ in 0..<500 { joint.step(0.001) }
        #expect(joint.position == 0)
    }
}

@Suite struct BicycleModelTests {
    @Test func constantSteeringDrivesACircleOfTheKinematicRadius() {
        var car = BicycleModel()
        let steering = 0.2
        for _ in 0..<5000 { car.step(0.001, drive: .speed(1.0), steeringGoal: steering) }
        // Sample the circle after the transients.
        var xs: [Double] = [], ys: [Double] = []
        for _ in 0..<20000 {
            car.step(0.001, drive: .speed(1.0), steeringGoal: steering)
            xs.append(car.x); ys.append(car.y)
        }
        let diameter = max(xs.max()! - xs.min()!, ys.max()! - ys.min()!)
        let expected = 2 * car.parameters.wheelbase / tan(steering)
        #expect(abs(diameter - expected) / expected < 0.02)
    }

    @Test func motorLagsAndCoastingSlowsTheCar() {
        var car = BicycleModel()
        car.step(0.01, drive: .speed(2), steeringGoal: 0)
        #expect(car.speed > 0 && car.speed < 0.5)
        for _ in 0..<300 { car.step(0.01, drive: .speed(2), steeringGoal: 0) }
        #expect(abs(car.speed - 2) < 0.01)
        for _ in 0..<100 { car.step(0.01, drive: .coast, steeringGoal: 0) }
        #expect(car.speed < 2 && car.speed > 0.5)
        for _ in 0..<100 { car.step(0.01, drive: .brake(4), steeringGoal: 0) }
        #expect(car.speed == 0)
    }
}

@Suite struct QuadrotorTests {
    @Test func hoversAtHoverThrustAndSitsOnTheGround() {
        var drone = Quadrotor()
        for _ in 0..<1000 { drone.step(0.002, setpoint: .idle) }
        #expect(drone.down == 0 && drone.onGround)
        for _ in 0..<3000 { drone.step(0.002, setpoint: .position(north: 0, east: 0, down: -2, yaw: nil)) }
        #expect(abs(drone.altitude - 2) < 0.05)
        #expect(abs(drone.thrust - drone.hoverThrust) < 0.02)
    }

    @Test func tracksAVelocitySetpointInTheRightDirection() {
        var drone = Quadrotor()
        drone.down = -3
        for _ in 0..<3000 { drone.step(0.002, setpoint: .velocity(north: 1, east: -0.5, down: 0, yawRate: 0)) }
        #expect(abs(drone.velocityNorth - 1) < 0.05)
        #expect(abs(drone.velocityEast + 0.5) < 0.05)
        #expect(drone.pitch < 0)  // nose down to fly north
        #expect(abs(drone.altitude - 3) < 0.2)
    }

    @Test func fallsWhenTheMotorsStop() {
        var drone = Quadrotor()
        drone.down = -2
        for _ in 0..<2000 { drone.step(0.002, setpoint: .idle) }
        #expect(drone.down == 0)
    }
}
