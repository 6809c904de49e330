/// An attitude quaternion in MAVLink order (w, x, y, z), as in the `q[4]` fields.
public struct MAVLinkQuaternion: Equatable, Sendable {
    public var w: Float
    public var x: Float
    public var y: Float
    public var z: Float

    public init(w: Float, x: Float, y: Float, z: Float) {
        self.w = w
        self.x = x
        self.y = y
        self.z = z
    }

    public static let identity = MAVLinkQuaternion(w: 1, x: 0, y: 0, z: 0)

    /// w, x, y, z.
    public var components: [Float] { [w, x, y, z] }

    init(reading reader: inout ByteReader) {
        w = reader.readFloatZeroFilled()
        x = reader.readFloatZeroFilled()
        y = reader.readFloatZeroFilled()
        z = reader.readFloatZeroFilled()
    }

    func write(to writer: ByteWriter) {
        writer.appendLittleEndian(w)
        writer.appendLittleEndian(x)
        writer.appendLittleEndian(y)
        writer.appendLittleEndian(z)
    }
}
