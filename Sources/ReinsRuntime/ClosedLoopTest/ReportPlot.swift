import Foundation
import ReinsCore

// The drawing side of `report.html`: text escaping, number display and small SVG plots drawn in
// Swift, so the report needs no script, no library and no network to show its figures.

extension String {
    /// The text made safe as HTML/XML content or a quoted attribute value. Besides the five markup
    /// characters, the slashes of a `scheme://` are written as `&#47;` so the file never holds
    /// anything a browser or a scanner could take for a web address, whatever a summary's names and
    /// messages say; control characters (not allowed in XML) become U+FFFD.
    var htmlEscaped: String {
        var text = ""
        text.reserveCapacity(utf8.count)
        var previous: Unicode.Scalar = " "
        for scalar in unicodeScalars {
            switch scalar {
            case "&": text += "&amp;"
            case "<": text += "&lt;"
            case ">": text += "&gt;"
            case "\"": text += "&quot;"
            case "'": text += "&#39;"
            case "/" where previous == ":" || previous == "/": text += "&#47;"
            case "\t", "\n", "\r": text.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
                text += "\u{FFFD}"
            default: text.unicodeScalars.append(scalar)
            }
            previous = scalar
        }
        return text
    }
}

/// How the report shows a number: "–" for a missing or non-finite value, about four significant
/// digits otherwise.
enum ReportNumber {
    static let missing = "–"

    static func text(_ value: Double?, decimals: Int? = nil) -> String {
        guard let value, value.isFinite else { return missing }
        if let decimals, abs(value) < 1e15 { return fixed(value, decimals) }
        let magnitude = abs(value)
        if magnitude == 0 { return "0" }
        if magnitude < 1e-4 || magnitude >= 1e6 { return scientific(value) }
        return trimmed(fixed(value, Int((3 - log10(magnitude).rounded(.down)).clamped(0, 6))))
    }

    /// 1.23e-5, 4.5e300: three significant digits and the power of ten.
    static func scientific(_ value: Double) -> String {
        var exponent = Int(log10(abs(value)).rounded(.down))
        var mantissa = (value / pow(10, Double(exponent)) * 100).rounded() / 100
        guard mantissa.isFinite else { return String(value) }
        if abs(mantissa) >= 10 {
            mantissa /= 10
            exponent += 1
        }
        return trimmed(fixed(mantissa, 2)) + "e" + String(exponent)
    }

    private static func trimmed(_ number: String) -> String {
        guard number.contains(".") else { return number }
        var text = number
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    static func percent(_ fraction: Double?) -> String {
        guard let fraction, fraction.isFinite else { return missing }
        return fixed(fraction * 100, 1) + " %"
    }

    /// A tick label: as many decimals as the tick step needs.
    static func tick(_ value: Double, step: Double) -> String {
        guard value.isFinite, step.isFinite, step > 0 else { return missing }
        if abs(value) >= 1e6 || step < 1e-5 { return abs(value) < step / 2 ? "0" : scientific(value) }
        let digits = Int((-log10(step).rounded(.down)).clamped(0, 6))
        return fixed(abs(value) < step / 2 ? 0 : value, digits)
    }
}

extension Double {
    fileprivate func clamped(_ low: Double, _ high: Double) -> Double { Swift.min(Swift.max(self, low), high) }
}

/// A linear map from data values to SVG pixels, over a domain that always has a width.
struct LinearScale {
    private(set) var low: Double
    private(set) var high: Double
    let pixelLow: Double
    let pixelHigh: Double

    /// A domain covering the finite `values` and `including`; a little padding on each side when
    /// `padding` is set; [0, 1] when there is nothing finite.
    init(covering values: [Double], including: [Double] = [], padding: Double = 0, pixels: (Double, Double)) {
        let finite = (values + including).filter(\.isFinite)
        var low = finite.min() ?? 0, high = finite.max() ?? 1
        if !(high - low).isFinite {
            // Values so large their difference overflows: squeeze into the representable span.
            low /= 4
            high /= 4
        }
        // A flat series (or one whose spread is lost in rounding) still gets a visible band.
        if high - low <= Swift.max(abs(low), abs(high)) * 1e-9 {
            let half = low == 0 ? 1 : abs(low) * 0.1
            low -= half
            high += half
        }
        let pad = (high - low) * padding
        self.low = low - pad
        self.high = high + pad
        pixelLow = pixels.0
        pixelHigh = pixels.1
    }

    /// The pixel for `value`, held inside a wide band around the plot so a stray value can never
    /// produce a coordinate SVG cannot draw.
    func pixel(_ value: Double) -> Double {
        let fraction = (value - low) / (high - low)
        let pixel = pixelLow + fraction * (pixelHigh - pixelLow)
        return pixel.isFinite ? pixel.clamped(-10_000, 10_000) : pixelLow
    }

    var pixelSpan: Double { abs(pixelHigh - pixelLow) }

    /// Widens the domain about its centre so that `unitsPerPixel` holds (equal-aspect maps).
    mutating func widen(toUnitsPerPixel unitsPerPixel: Double) {
        let centre = (low + high) / 2, half = unitsPerPixel * pixelSpan / 2
        guard half.isFinite, half > (high - low) / 2 else { return }
        low = centre - half
        high = centre + half
    }

    var unitsPerPixel: Double { (high - low) / pixelSpan }

    /// About `count` round tick values (steps of 1, 2 or 5 times a power of ten) inside the domain.
    func ticks(count: Int = 5) -> (values: [Double], step: Double) {
        let raw = (high - low) / Double(max(count, 1))
        guard raw.isFinite, raw > 0 else { return ([], 1) }
        var power = 1.0
        while power * 10 <= raw { power *= 10 }
        while power > raw { power /= 10 }
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? power * 10
        guard step.isFinite, step > 0 else { return ([], 1) }
        var values: [Double] = []
        var tick = (low / step).rounded(.up) * step
        while tick <= high + step * 1e-9 && values.count < 12 {
            values.append(tick)
            tick += step
        }
        return (values, step)
    }
}

/// One SVG picture, built element by element. Every coordinate goes through `number`, so no
/// "nan" or "inf" can reach an attribute.
struct SVGPicture {
    let width: Double
    let height: Double
    private(set) var elements = ""

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    static func number(_ value: Double) -> String {
        fixed(value.isFinite ? value.clamped(-10_000, 10_000) : 0, 1)
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1,
                       dash: String? = nil) {
        let n = SVGPicture.number
        elements += "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" "
            + "stroke-width=\"\(fixed(width, 1))\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")/>"
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, opacity: Double = 1, title: String? = nil) {
        let n = SVGPicture.number
        let open = "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(width, 0)))\" height=\"\(n(max(height, 0)))\" fill=\"\(fill)\""
            + (opacity < 1 ? " fill-opacity=\"\(fixed(opacity, 2))\"" : "")
        if let title {
            elements += open + "><title>\(title.htmlEscaped)</title></rect>"
        } else {
            elements += open + "/>"
        }
    }

    mutating func circle(x: Double, y: Double, radius: Double, fill: String, stroke: String? = nil) {
        let n = SVGPicture.number
        elements += "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(radius))\" fill=\"\(fill)\""
            + (stroke.map { " stroke=\"\($0)\" stroke-width=\"1.5\"" } ?? "") + "/>"
    }

    /// A polyline through pixel points; callers split runs at missing values first.
    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double, opacity: Double = 1) {
        guard !points.isEmpty else { return }
        if points.count == 1 {
            circle(x: points[0].0, y: points[0].1, radius: max(width, 1.5), fill: stroke)
            return
        }
        var list = ""
        list.reserveCapacity(points.count * 12)
        for (index, point) in points.enumerated() {
            if index > 0 { list += " " }
            list += SVGPicture.number(point.0) + "," + SVGPicture.number(point.1)
        }
        elements += "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(fixed(width, 1))\""
            + (opacity < 1 ? " stroke-opacity=\"\(fixed(opacity, 2))\"" : "") + " stroke-linejoin=\"round\"/>"
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(_ content: String, x: Double, y: Double, anchor: Anchor = .start, size: Double = 11,
                       fill: String = "#57606a", weight: String? = nil, title: String? = nil) {
        let n = SVGPicture.number
        elements += "<text x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"\(anchor.rawValue)\" font-size=\"\(fixed(size, 1))\" fill=\"\(fill)\""
            + (weight.map { " font-weight=\"\($0)\"" } ?? "") + ">"
            + (title.map { "<title>\($0.htmlEscaped)</title>" } ?? "") + content.htmlEscaped + "</text>"
    }

    /// The finished `<svg>` element; `label` names the figure for screen readers and as a tooltip.
    func rendered(label: String) -> String {
        let w = SVGPicture.number(width), h = SVGPicture.number(height)
        return "<svg class=\"plot\" role=\"img\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\">"
            + "<title>\(label.htmlEscaped)</title>" + elements + "</svg>"
    }
}

/// A plot: a picture with x and y scales, axes, grid lines and data marks that skip missing values.
struct SVGPlot {
    static let ink = "#57606a"
    static let grid = "#eaeef2"

    var picture: SVGPicture
    var x: LinearScale
    var y: LinearScale
    let left: Double, right: Double, top: Double, bottom: Double

    /// - Parameters:
    ///   - equalAspect: one data unit is as long on both axes (top views of a path).
    init(width: Double, height: Double, xValues: [Double], yValues: [Double], xIncluding: [Double] = [],
         yIncluding: [Double] = [], xPadding: Double = 0, yPadding: Double = 0.06, equalAspect: Bool = false,
         margins: (left: Double, right: Double, top: Double, bottom: Double) = (54, 14, 12, 36)) {
        picture = SVGPicture(width: width, height: height)
        left = margins.left
        right = width - margins.right
        top = margins.top
        bottom = height - margins.bottom
        x = LinearScale(covering: xValues, including: xIncluding, padding: xPadding, pixels: (left, right))
        y = LinearScale(covering: yValues, including: yIncluding, padding: yPadding, pixels: (bottom, top))
        if equalAspect {
            let unitsPerPixel = max(x.unitsPerPixel, y.unitsPerPixel)
            x.widen(toUnitsPerPixel: unitsPerPixel)
            y.widen(toUnitsPerPixel: unitsPerPixel)
        }
    }

    /// Grid lines, tick labels and axis titles.
    mutating func axes(xLabel: String, yLabel: String, xTicks: Int = 5, yTicks: Int = 4) {
        let yTickList = y.ticks(count: yTicks)
        for value in yTickList.values {
            let pixel = y.pixel(value)
            picture.line(left, pixel, right, pixel, stroke: value == 0 ? "#afb8c1" : SVGPlot.grid)
            picture.text(ReportNumber.tick(value, step: yTickList.step), x: left - 6, y: pixel + 4, anchor: .end, size: 10)
        }
        let xTickList = x.ticks(count: xTicks)
        for value in xTickList.values {
            let pixel = x.pixel(value)
            picture.line(pixel, bottom, pixel, bottom + 4, stroke: SVGPlot.ink)
            picture.text(ReportNumber.tick(value, step: xTickList.step), x: pixel, y: bottom + 15, anchor: .middle, size: 10)
        }
        picture.line(left, bottom, right, bottom, stroke: SVGPlot.ink)
        picture.line(left, top, left, bottom, stroke: SVGPlot.ink)
        picture.text(xLabel, x: (left + right) / 2, y: bottom + 30, anchor: .middle, size: 11)
        picture.text(yLabel, x: 4, y: top - 2 < 10 ? 10 : top - 2, size: 11)
    }

    /// A line through (xs[i], ys[i]), broken wherever either is missing; long series are thinned
    /// to each bucket's lowest and highest sample, which keeps every excursion visible.
    mutating func line(xs: [Double], ys: [Double], stroke: String, width: Double = 1.2, opacity: Double = 1) {
        var run: [(Double, Double)] = []
        for (px, py) in SVGPlot.thinned(xs: xs, ys: ys) {
            if px.isFinite && py.isFinite {
                run.append((x.pixel(px), y.pixel(py)))
            } else {
                picture.polyline(run, stroke: stroke, width: width, opacity: opacity)
                run.removeAll(keepingCapacity: true)
            }
        }
        picture.polyline(run, stroke: stroke, width: width, opacity: opacity)
    }

    /// A horizontal reference line at data value `value` (nothing when it is missing).
    mutating func horizontalRule(at value: Double?, stroke: String, dash: String? = "5 3", label: String? = nil) {
        guard let value, value.isFinite else { return }
        let pixel = y.pixel(value)
        picture.line(left, pixel, right, pixel, stroke: stroke, width: 1.4, dash: dash)
        if let label { picture.text(label, x: right - 2, y: pixel - 3, anchor: .end, size: 10, fill: stroke) }
    }

    /// A vertical reference line at data value `value` (nothing when it is missing).
    mutating func verticalRule(at value: Double?, stroke: String, dash: String? = "5 3", label: String? = nil) {
        guard let value, value.isFinite else { return }
        let pixel = x.pixel(value)
        picture.line(pixel, top, pixel, bottom, stroke: stroke, width: 1.4, dash: dash)
        if let label { picture.text(label, x: pixel + 3, y: top + 10, size: 10, fill: stroke) }
    }

    mutating func marker(x px: Double, y py: Double, radius: Double = 4, fill: String, stroke: String? = nil) {
        guard px.isFinite, py.isFinite else { return }
        picture.circle(x: x.pixel(px), y: y.pixel(py), radius: radius, fill: fill, stroke: stroke)
    }

    func rendered(label: String) -> String { picture.rendered(label: label) }

    static let thinningLimit = 400

    static func thinned(xs: [Double], ys: [Double]) -> [(Double, Double)] {
        let count = min(xs.count, ys.count)
        guard count > thinningLimit else { return (0..<count).map { (xs[$0], ys[$0]) } }
        let buckets = thinningLimit / 2
        var points: [(Double, Double)] = []
        points.reserveCapacity(thinningLimit + 2)
        for bucket in 0..<buckets {
            let start = bucket * count / buckets, end = (bucket + 1) * count / buckets
            var lowest: Int?, highest: Int?, gap: Int?
            for index in start..<end {
                guard ys[index].isFinite, xs[index].isFinite else { gap = gap ?? index; continue }
                if lowest.map({ ys[index] < ys[$0] }) ?? true { lowest = index }
                if highest.map({ ys[index] > ys[$0] }) ?? true { highest = index }
            }
            // A gap inside the bucket stays a gap in the line.
            for index in Set([lowest, highest, gap].compactMap { $0 }).sorted() {
                points.append((xs[index], ys[index]))
            }
        }
        return points
    }
}

/// Colours the report uses for meaning, and a categorical palette for several lines in one plot.
enum ReportColour {
    static let pass = "#1a7f37"
    static let fail = "#cf222e"
    static let refused = "#9a6700"
    static let neutral = "#4c6a85"
    static let bound = "#8250df"
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
                          "#7f7f7f", "#d62728"]

    static func series(_ index: Int) -> String { palette[index % palette.count] }
}
