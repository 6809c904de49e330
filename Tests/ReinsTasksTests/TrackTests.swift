import ReinsTasks
import Testing

@Suite struct TrackTests {
    @Test func ovalProjectionGivesSignedLateralErrorAndHeading() {
        let track = Track.oval
        #expect(abs(track.length - (12 + 2 * Double.pi * 2.5)) < 0.05)
        // On the bottom straight driving +x: a point above the line is to the left.
        let left = track.project(x: 3, y: -2.3)
        #expect(abs(left.lateralError - 0.2) < 1e-6)
        #expect(abs(left.heading) < 1e-6)
        let right = track.project(x: 3, y: -2.7, hint: left.index)
        #expect(abs(right.lateralError + 0.2) < 1e-6)
        let ahead = track.point(atArc: left.arc + 1)
        #expect(abs(ahead.x - 4) < 0.01 && abs(ahead.y + 2.5) < 1e-6)
    }
}
