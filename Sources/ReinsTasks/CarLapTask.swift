import ReinsConfig
import ReinsCore
#if canImport(Glibc)
import Glibc
#endif

/// Laps: drive once around the track without leaving the lane. Supplies `track_error` (signed
/// lateral offset, m, positive left; heading error, rad) and `track_ahead` (the centre line at
/// 0.5, 1 and 2 m ahead in the car's frame: x forward, y left), from the car's pose.
public final class CarLapTask: RobotTask, @unchecked Sendable {
    public let track: Track
    public let limits: CarLimits
    public let episodeSeconds = 40.0
    private var hint: Int?
    private var startArc = 0.0
    private var progress = 0.0
    private var lastArc = 0.0

    public init(track: Track, limits: CarLimits) {
        self.track = track
        self.limits = limits
    }

    public func reset(state: UnsafeBufferPointer<Double>, random: inout SeededRandom) {
        let car = CarStateView(state)
        let projection = track.project(x: car.x, y: car.y, hint: nil)
        hint = projection.index
        startArc = projection.arc
        lastArc = projection.arc
        progress = 0
    }

    private func projection(_ car: CarStateView) -> Track.Projection {
        let projection = track.project(x: car.x, y: car.y, hint: hint)
        hint = projection.index
        return projection
    }

    public func write(_ feature: ObservationFeature, state: UnsafeBufferPointer<Double>, into entries: UnsafeMutableBufferPointer<Double>) {
        let car = CarStateView(state)
        switch feature {
        case .trackError:
            let p = projection(car)
            entries[0] = p.lateralError
            entries[1] = Track.wrap(car.yaw - p.heading)
        case .trackAhead:
            let p = projection(car)
            let c = cos(car.yaw), s = sin(car.yaw)
            let distances = ObservationFeature.trackAheadDistances
            for k in 0..<distances.count where 2 * k + 1 < entries.count {
                let distance = distances[k]
                let point = track.point(atArc: p.arc + distance)
                let dx = point.x - car.x, dy = point.y - car.y
                entries[2 * k] = c * dx + s * dy
                entries[2 * k + 1] = -s * dx + c * dy
            }
        default:
            break
        }
    }

    /// Distance driven along the centre line this episode, m.
    public var lapProgress: Double { progress }

    /// Distance from the centre line, m.
    public func cost(state: UnsafeBufferPointer<Double>) -> Double {
        abs(projection(CarStateView(state)).lateralError)
    }

    public let costField = StatusField("off centre", unit: "m", decimals: 3)
    public let costMeaning = "distance from the centre line, m"
    public let headlineField: StatusField? = StatusField("speed", unit: "m/s", decimals: 2)

    /// The measured speed, m/s.
    public func statusHeadline(state: UnsafeBufferPointer<Double>) -> Double { CarStateView(state).speed }

    public func goalReached(state: UnsafeBufferPointer<Double>) -> Bool {
        progress >= track.length
    }

    public func evaluate(state: UnsafeBufferPointer<Double>, elapsed: Double) -> TaskStatus {
        let p = projection(CarStateView(state))
        var delta = p.arc - lastArc
        if delta < -track.length / 2 { delta += track.length }
        if delta > track.length / 2 { delta -= track.length }
        progress += delta
        lastArc = p.arc
        if abs(p.lateralError) > track.laneWidth / 2 { return .failure }
        return progress >= track.length ? .success : .running
    }

    public var goalDescription: String { "one lap of the \(track.name) track (\(Int(track.length.rounded())) m)" }
}
