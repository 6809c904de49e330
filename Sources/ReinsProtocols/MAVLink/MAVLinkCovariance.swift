/// The 21 floats of a MAVLink covariance field: the upper-right triangle of a symmetric 6x6 matrix,
/// row by row (so index 0 is (0,0), 1 is (0,1), ..., 6 is (1,1)). A NaN first element means the
/// covariance is unknown.
///
/// Stored inline (a tuple, not an array) so ODOMETRY decodes without allocating.
public struct MAVLinkCovariance: Equatable, Sendable {
    public static let count = 21

    private var storage: (Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float)

    /// All zeros.
    public init() {
        storage = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    }

    /// From 21 values (row-major upper triangle); missing values are zero, extra ones ignored.
    public init(_ values: [Float]) {
        self.init()
        for index in 0..<min(values.count, Self.count) { self[index] = values[index] }
    }

    /// NaN in the first element: the sender has no covariance.
    public static var unknown: MAVLinkCovariance {
        var covariance = MAVLinkCovariance()
        covariance[0] = .nan
        return covariance
    }

    public var isUnknown: Bool { self[0].isNaN }

    public subscript(index: Int) -> Float {
        get {
            precondition((0..<Self.count).contains(index), "covariance index \(index) outside 0..<21")
            return withUnsafeBytes(of: storage) { $0.load(fromByteOffset: index * 4, as: Float.self) }
        }
        set {
            precondition((0..<Self.count).contains(index), "covariance index \(index) outside 0..<21")
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: newValue, toByteOffset: index * 4, as: Float.self) }
        }
    }

    /// A copy of the 21 values, for tests and non-real-time code.
    public var values: [Float] { (0..<Self.count).map { self[$0] } }

    public static func == (lhs: MAVLinkCovariance, rhs: MAVLinkCovariance) -> Bool {
        (0..<count).allSatisfy { lhs[$0] == rhs[$0] }
    }

    init(reading reader: inout ByteReader) {
        self.init()
        for index in 0..<Self.count { self[index] = reader.readFloatZeroFilled() }
    }

    func write(to writer: ByteWriter) {
        for index in 0..<Self.count { writer.appendLittleEndian(self[index]) }
    }
}
