import ReinsCore
#if canImport(Glibc)
import Glibc
#endif

/// A closed race track: a centre line and a lane width. It is the car's map: the runtime turns the
/// localised pose into track-relative observations with it, and tasks judge laps with it.
public struct Track: Sendable {
    /// Centre-line points, evenly spaced, in metres; the line closes from the last to the first.
    public let points: [(x: Double, y: Double)]
    /// Arc length at each point.
    public let arcLength: [Double]
    public let length: Double
    public let laneWidth: Double
    public let name: String

    /// Resamples `outline` (a closed polyline) every `spacing` metres.
    public init(name: String, outline: [(x: Double, y: Double)], laneWidth: Double, spacing: Double = 0.05) {
        precondition(outline.count >= 3, "a track needs at least three points")
        var segmentLengths: [Double] = []
        for i in 0..<outline.count {
            let a = outline[i], b = outline[(i + 1) % outline.count]
            segmentLengths.append(hypot(b.x - a.x, b.y - a.y))
        }
        let total = segmentLengths.reduce(0, +)
        let count = max(8, Int((total / spacing).rounded()))
        var resampled: [(x: Double, y: Double)] = []
        var arcs: [Double] = []
        var segment = 0
        var segmentStart = 0.0
        for k in 0..<count {
            let s = total * Double(k) / Double(count)
            while segment < outline.count - 1 && s > segmentStart + segmentLengths[segment] {
                segmentStart += segmentLengths[segment]
                segment += 1
            }
            let a = outline[segment], b = outline[(segment + 1) % outline.count]
            let t = segmentLengths[segment] > 0 ? (s - segmentStart) / segmentLengths[segment] : 0
            resampled.append((a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t))
            arcs.append(s)
        }
        self.name = name
        points = resampled
        arcLength = arcs
        length = total
        self.laneWidth = laneWidth
    }

    /// The default simulator track: an oval of two 6 m straights joined by half circles of 2.5 m
    /// radius, driven anticlockwise, 1.2 m wide.
    public static let oval: Track = {
        var outline: [(x: Double, y: Double)] = []
        let straight = 6.0, radius = 2.5
        for i in 0..<20 { outline.append((Double(i) / 20 * straight, -radius)) }
        for i in 0..<40 {
            let angle = -Double.pi / 2 + Double.pi * Double(i) / 40
            outline.append((straight + radius * cos(angle), radius * sin(angle)))
        }
        for i in 0..<20 { outline.append((straight - Double(i) / 20 * straight, radius)) }
        for i in 0..<40 {
            let angle = Double.pi / 2 + Double.pi * Double(i) / 40
            outline.append((radius * cos(angle), radius * sin(angle)))
        }
        return Track(name: "oval", outline: outline, laneWidth: 1.2)
    }()

    /// Where a pose stands relative to the centre line.
    public struct Projection: Sendable, Equatable {
        /// Index of the nearest centre-line point (use it as the hint for the next query).
        public var index: Int
        /// Arc length along the centre line, metres.
        public var arc: Double
        /// Signed distance from the centre line, positive to the left of the driving direction.
        public var lateralError: Double
        /// Centre-line heading at that point, rad.
        public var heading: Double
    }

    /// Projects a position onto the centre line. With a `hint` (the previous index) only a window
    /// around it is searched, so the per-tick cost is constant and allocation-free.
    public func project(x: Double, y: Double, hint: Int? = nil) -> Projection {
        let n = points.count
        var best = 0
        var bestDistance = Double.infinity
        if let hint {
            let window = min(n / 2, 80)
            for offset in -window...window {
                let i = ((hint + offset) % n + n) % n
                let d = squaredDistance(i, x, y)
                if d < bestDistance { bestDistance = d; best = i }
            }
        } else {
            for i in 0..<n {
                let d = squaredDistance(i, x, y)
                if d < bestDistance { bestDistance = d; best = i }
            }
        }
        let heading = headingAt(best)
        let dx = x - points[best].x, dy = y - points[best].y
        // Cross product of the track direction with the offset: positive when the point is to the left.
        let lateral = cos(heading) * dy - sin(heading) * dx
        let along = cos(heading) * dx + sin(heading) * dy
        var arc = arcLength[best] + along
        if arc < 0 { arc += length }
        if arc >= length { arc -= length }
        return Projection(index: best, arc: arc, lateralError: lateral, heading: heading)
    }

    @inline(__always)
    private func squaredDistance(_ i: Int, _ x: Double, _ y: Double) -> Double {
        let dx = points[i].x - x, dy = points[i].y - y
        return dx * dx + dy * dy
    }

    /// Direction of travel at point `i`, rad.
    public func headingAt(_ i: Int) -> Double {
        let n = points.count
        let a = points[(i - 1 + n) % n], b = points[(i + 1) % n]
        return atan2(b.y - a.y, b.x - a.x)
    }

    /// The centre-line point `distance` metres ahead of arc length `arc`.
    public func point(atArc arc: Double) -> (x: Double, y: Double) {
        var s = arc.truncatingRemainder(dividingBy: length)
        if s < 0 { s += length }
        let spacing = length / Double(points.count)
        let i = min(points.count - 1, Int(s / spacing))
        let t = (s - arcLength[i]) / spacing
        let a = points[i], b = points[(i + 1) % points.count]
        return (a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t)
    }

    /// Signed change of heading error wrapped to (-π, π].
    public static func wrap(_ angle: Double) -> Double {
        atan2(sin(angle), cos(angle))
    }
}
