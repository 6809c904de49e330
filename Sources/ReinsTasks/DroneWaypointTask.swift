import ReinsConfig
import ReinsCore
#if canImport(Glibc)
import Glibc
#endif

/// Waypoints: fly to a point sampled inside the geofence and altitude band and stay there. The
/// `target` observation is the waypoint relative to the vehicle (north, east, down, m). Success:
/// within `tolerance` for `holdSeconds`. Failure: leaving the geofence or the altitude band by
/// more than a metre.
public final class DroneWaypointTask: RobotTask, @unchecked Sendable {
    public let limits: DroneLimits
    public private(set) var waypoint = (north: 0.0, east: 0.0, down: -2.0)
    public let tolerance = 0.3
    public let holdSeconds = 1.0
    public let episodeSeconds = 15.0
    private var withinSince: Double?

    public init(limits: DroneLimits) {
        self.limits = limits
    }

    public func reset(state: UnsafeBufferPointer<Double>, random: inout SeededRandom) {
        // 1.5–4 m from where it is, in a random direction, within `radius` of home. A bounded
        // number of draws: a drone more than 8 m from home (it drifted, or an episode starts
        // where the last one left it) has no such point, and an endless search would hang the loop.
        let radius = min(limits.geofenceRadius * 0.6, 4.0)
        let position = DroneStateView(state).position
        var north = 0.0, east = 0.0, found = false
        for _ in 0..<64 {
            let distance = random.uniform(1.5...4.0), angle = random.uniform(0...(2 * Double.pi))
            north = position.north + distance * cos(angle)
            east = position.east + distance * sin(angle)
            if north * north + east * east <= radius * radius {
                found = true
                break
            }
        }
        if !found {
            // Head for home: the point of the disc nearest to the drone (home itself if the
            // position is not finite).
            let away = (position.north * position.north + position.east * position.east).squareRoot()
            let scale = away.isFinite && away > 0 ? min(1, radius / away) : 0
            north = scale > 0 ? position.north * scale : 0
            east = scale > 0 ? position.east * scale : 0
        }
        let low = limits.altitude.lowerBound + 0.5, high = min(limits.altitude.upperBound - 0.5, limits.altitude.lowerBound + 4)
        waypoint = (north, east, -random.uniform(low...max(low, high)))
        withinSince = nil
    }

    public func write(_ feature: ObservationFeature, state: UnsafeBufferPointer<Double>, into entries: UnsafeMutableBufferPointer<Double>) {
        guard feature == .target else { return }
        let position = DroneStateView(state).position
        entries[0] = waypoint.north - position.north
        entries[1] = waypoint.east - position.east
        entries[2] = waypoint.down - position.down
    }

    public func distance(state: UnsafeBufferPointer<Double>) -> Double {
        let position = DroneStateView(state).position
        let dn = waypoint.north - position.north, de = waypoint.east - position.east, dd = waypoint.down - position.down
        return (dn * dn + de * de + dd * dd).squareRoot()
    }

    /// Distance to the waypoint, m.
    public func cost(state: UnsafeBufferPointer<Double>) -> Double {
        distance(state: state)
    }

    public let costField = StatusField("to waypoint", unit: "m", decimals: 2)
    public let costMeaning = "distance to the waypoint, m"
    public let headlineField: StatusField? = StatusField("altitude", unit: "m", decimals: 2)

    /// The measured altitude above the take-off point, m.
    public func statusHeadline(state: UnsafeBufferPointer<Double>) -> Double { DroneStateView(state).altitude }

    public func goalReached(state: UnsafeBufferPointer<Double>) -> Bool {
        distance(state: state) <= tolerance
    }

    public func evaluate(state: UnsafeBufferPointer<Double>, elapsed: Double) -> TaskStatus {
        let drone = DroneStateView(state)
        let horizontal = drone.horizontalDistance
        let altitude = drone.altitude
        if horizontal > limits.geofenceRadius + 1 || altitude < limits.altitude.lowerBound - 1 || altitude > limits.altitude.upperBound + 1 {
            return .failure
        }
        if distance(state: state) <= tolerance {
            if withinSince == nil { withinSince = elapsed }
            if elapsed - withinSince! >= holdSeconds { return .success }
        } else {
            withinSince = nil
        }
        return .running
    }

    public var goalDescription: String {
        "waypoint north \(Int((waypoint.north * 10).rounded()) ) dm, east \(Int((waypoint.east * 10).rounded())) dm, altitude \(Int((-waypoint.down * 10).rounded())) dm"
    }
}
