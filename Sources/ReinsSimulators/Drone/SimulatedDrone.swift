import ReinsConfig
import ReinsCore

/// A PX4-like flight controller around the quadrotor physics: arming, flight modes, offboard
/// set-point rules and failsafes. Protocol-free; the MAVLink front end maps messages onto it.
public final class SimulatedDrone: @unchecked Sendable {
    /// PX4's main modes as the simulator implements them.
    public enum Mode: Sendable, Equatable {
        /// Position control: hold position (the default on the ground and after arming).
        case position
        case offboard
        /// AUTO.LOITER: hold position (offboard failsafe, first stage).
        case hold
        /// AUTO.LAND: descend and disarm on touchdown.
        case land
        /// AUTO.TAKEOFF: climb to the take-off altitude, then hold.
        case takeoff
    }

    public var body = Quadrotor()
    public private(set) var armed = false
    public private(set) var mode: Mode = .position
    /// The latest offboard set-point and when it arrived (simulated seconds).
    public private(set) var setpoint: Quadrotor.Setpoint = .velocity(north: 0, east: 0, down: 0, yawRate: 0)
    private var setpointTimes: [Double] = []
    private var lastSetpointTime = -Double.infinity
    private var holdPosition: (north: Double, east: Double, down: Double) = (0, 0, 0)
    private var failsafeStarted: Double?
    /// COM_OF_LOSS_T: set-points missing this long trigger the failsafe.
    public let offboardLossTimeout = 1.0
    /// How long the failsafe holds before landing.
    public var failsafeHoldSeconds = 2.0
    public let takeoffAltitude = 2.5
    public let landingSpeed = 0.7
    /// Events for tests and logs ("offboard lost: hold", "landed: disarmed").
    public private(set) var events: [String] = []

    public init() {}

    public var isOffboardStreamHealthy: Bool {
        // PX4: set-points at more than 2 Hz for more than 1 s before offboard is allowed.
        guard let first = setpointTimes.first, let last = setpointTimes.last else { return false }
        return last - first > 1.0 && Double(setpointTimes.count - 1) / (last - first) > 2.0
    }

    public func receiveSetpoint(_ setpoint: Quadrotor.Setpoint, at time: Double) {
        self.setpoint = setpoint
        lastSetpointTime = time
        setpointTimes.append(time)
        setpointTimes.removeAll { time - $0 > 1.5 }
    }

    /// COMPONENT_ARM_DISARM. Returns whether it was accepted.
    public func arm(_ on: Bool, at time: Double) -> Bool {
        if on {
            if armed { return true }
            if mode == .offboard && !isOffboardStreamHealthy { return false }
            armed = true
            holdPosition = (body.north, body.east, body.down)
            events.append("armed")
            return true
        }
        // Disarming in flight is refused unless landed (PX4 needs a force flag).
        if !body.onGround && body.altitude > 0.2 { return false }
        armed = false
        events.append("disarmed")
        return true
    }

    /// DO_SET_MODE to a PX4 main mode; returns whether it was accepted.
    public func setMode(_ requested: Mode, at time: Double) -> Bool {
        switch requested {
        case .offboard:
            guard isOffboardStreamHealthy, time - lastSetpointTime < offboardLossTimeout else { return false }
            failsafeStarted = nil
        case .hold, .position:
            holdPosition = (body.north, body.east, body.down)
        case .land, .takeoff:
            guard armed else { return false }
            holdPosition = (body.north, body.east, body.down)
        }
        if mode != requested { events.append("mode \(requested)") }
        mode = requested
        return true
    }

    public func step(_ dt: Double, at time: Double) {
        if mode == .offboard && time - lastSetpointTime > offboardLossTimeout {
            mode = .hold
            holdPosition = (body.north, body.east, body.down)
            failsafeStarted = time
            events.append("offboard lost: hold")
        }
        if mode == .hold, let started = failsafeStarted, time - started > failsafeHoldSeconds {
            mode = .land
            failsafeStarted = nil
            events.append("failsafe: land")
        }
        var command: Quadrotor.Setpoint = .idle
        if armed {
            switch mode {
            case .offboard: command = setpoint
            case .position, .hold: command = .position(north: holdPosition.north, east: holdPosition.east, down: holdPosition.down, yaw: nil)
            case .takeoff:
                command = .position(north: holdPosition.north, east: holdPosition.east, down: -takeoffAltitude, yaw: nil)
                if body.altitude > takeoffAltitude - 0.1 {
                    mode = .hold
                    holdPosition = (body.north, body.east, body.down)
                }
            case .land: command = .velocity(north: 0, east: 0, down: landingSpeed, yawRate: 0)
            }
        }
        body.step(dt, setpoint: command)
        if armed && mode == .land && body.onGround {
            armed = false
            mode = .position
            events.append("landed: disarmed")
        }
    }
}
