import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTransport

/// One bus of position servos (an arm's joints, or a leader arm's), whatever protocol they speak: what
/// the arm driver and the leader arm need from it, in the robot's terms. `DynamixelBus` and
/// `FeetechBus` implement it; `DriverFactory.servoBus` picks one for a description.
///
/// Set-up calls (`ping`, register reads and writes, `configurePositionControl`, `setTorque`) run
/// outside the control tick and survive lost replies by asking again, 30 ms apart, for up to 300 ms;
/// when the link itself fails they say so. `readState` and `writeGoalPositions` run inside the tick:
/// no allocation, nothing past the deadline.
public protocol ServoBus: AnyObject {
    /// The servo series' control table: its registers by name, with addresses, sizes and units.
    associatedtype Table: ServoControlTable

    /// "dynamixel bus on pty:/tmp/arm", for messages.
    var deviceName: String { get }
    var linkSpec: LinkSpec { get }
    /// The servo ids, in joint order.
    var ids: [UInt8] { get }
    /// What the last `readState` measured, per joint.
    var readings: ServoReadings { get }
    var counters: ServoBusCounters { get }
    /// The last error the link raised, kept so that a message can name the link's failure rather
    /// than a silent servo (a plain value: storing it inside a tick allocates nothing).
    var linkFailure: LinkError? { get }

    func open() throws(DeviceError)
    func close()

    /// PING one servo, asked again while replies are lost; its model number, or nil when it stays
    /// silent. Throws when the link fails.
    func ping(_ id: UInt8) throws(DeviceError) -> ServoPing
    /// One register of one servo, in counts.
    func read(_ register: ServoRegister<Table.Wire>, of id: UInt8) throws(DeviceError) -> Int
    /// Writes one register of one servo and waits for its acknowledgement.
    func write(_ register: ServoRegister<Table.Wire>, of id: UInt8, value: Int) throws(DeviceError)
    /// Puts one servo (torque off) in position control within `range` ticks, its own fence behind the
    /// safety filter, replying without delay.
    func configurePositionControl(of id: UInt8, range: ClosedRange<Int>) throws(DeviceError)
    /// Makes sure the present-state block of every servo reads, with the fastest instruction the
    /// servos support.
    func startStateReads() throws(DeviceError)
    /// Reads the present state outside the tick, asked again while replies are lost; `what` names the
    /// read in the message when it never comes back.
    func readStateForSetUp(_ what: String) throws(DeviceError)
    /// Torque on or off for every servo at once, confirmed by reading it back from each.
    func setTorque(_ on: Bool) -> Bool

    /// Reads position, velocity, current, voltage and temperature of every servo into `readings`,
    /// re-asking silent servos while the deadline allows. A servo that reports trouble of its own is a
    /// `.hardwareError` fault with its code (see `describeHardwareError`).
    func readState(deadline: UInt64) -> ReadOutcome
    /// Sends every servo's goal position (encoder ticks, in joint order) in one group write.
    func writeGoalPositions(_ ticks: [Int], deadline: UInt64) -> Bool

    /// Where a `.hardwareError` code comes from, e.g. "Hardware Error Status, register 70".
    var hardwareErrorSource: String { get }
    /// A `.hardwareError` code in words ("overload").
    func describeHardwareError(_ code: Int) -> String
    /// What clears a latched hardware error once its cause is gone.
    var hardwareErrorRecovery: String { get }
}

extension ServoBus {
    /// The servo's own error register (0 when it is fine).
    func hardwareErrorCode(of id: UInt8) throws(DeviceError) -> Int {
        try read(Table.hardwareErrorStatus, of: id)
    }
}

/// How set-up transactions (PING, register reads and writes outside the tick) survive a lost reply
/// the way a tick does: ask again after a short wait, until a deadline.
enum ServoSetUp {
    static let replyTimeout = 0.03
    static let deadline = 0.3
    /// "300 ms", for messages.
    static var window: String { "\(Int((deadline * 1000).rounded())) ms" }
}

/// The answer to a set-up PING.
public struct ServoPing: Sendable, Equatable {
    /// The servo's model number; nil when it never answered.
    public var modelNumber: UInt16?
    /// Tries that got no reply.
    public var failedTries: Int
}

/// What a bus counts about its link, for the driver's health report.
public struct ServoBusCounters: Sendable, Equatable {
    /// Set-up transactions asked again, and in-tick re-requests of silent servos.
    public var retries: UInt64 = 0
    /// Replies whose checksum or CRC did not match.
    public var checksumErrors: UInt64 = 0
    /// Servo replies still missing when a read's deadline came.
    public var missedReplies: UInt64 = 0

    public init() {}
}

/// Present values of the servos on one bus, per joint (the bus's id order), filled in place by
/// `readState`: positions in encoder ticks (the calibration turns them into joint angles), the rest in
/// SI units, in the servo's own sense of rotation.
public final class ServoReadings: @unchecked Sendable {
    public internal(set) var positionTicks: [Int]
    /// rad/s.
    public internal(set) var velocity: [Double]
    /// A.
    public internal(set) var current: [Double]
    /// °C.
    public internal(set) var temperature: [Double]
    /// V.
    public internal(set) var voltage: [Double]
    /// Whether each servo answered the last read.
    public internal(set) var received: [Bool]

    init(count: Int) {
        positionTicks = [Int](repeating: 0, count: count)
        velocity = [Double](repeating: 0, count: count)
        current = [Double](repeating: 0, count: count)
        temperature = [Double](repeating: 0, count: count)
        voltage = [Double](repeating: 0, count: count)
        received = [Bool](repeating: false, count: count)
    }
}
