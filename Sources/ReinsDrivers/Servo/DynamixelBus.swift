import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTransport

/// Dynamixel X-series servos on one Protocol 2.0 bus.
///
/// Per tick: one FAST_SYNC_READ of the present-state block (current, velocity, position, voltage and
/// temperature of every servo in a single reply), SYNC_READ when a servo's firmware lacks it, and one
/// SYNC_WRITE of Goal Position. A status byte with the hardware-alert bit is a fault, named by the
/// servo's Hardware Error Status, which is read at once within the tick's deadline.
public final class DynamixelBus: ServoTransactionBus, @unchecked Sendable {
    public typealias Table = DynamixelXSeries

    public let transactions: ServoTransactions<DynamixelXSeries>
    /// Whether FAST_SYNC_READ worked at set-up (X-series firmware 45 and later).
    public private(set) var usesFastSyncRead = true

    public init(ids: [UInt8], link: LinkSpec) {
        transactions = ServoTransactions(ids: ids, link: link, deviceName: "dynamixel bus on \(link)")
    }

    // MARK: Set-up

    public func ping(_ id: UInt8) throws(DeviceError) -> ServoPing {
        // PING's status carries the model number (Model Number's bytes) and the firmware version.
        try transactions.ping(id) { deadline in
            guard let reply = transactions.transact(.ping(id: id), replyFrom: id, dataLength: 3, deadline: deadline),
                  reply.data.count == 3 else { return nil }
            return (try? Table.modelNumber.value(in: reply.data, dataAddress: Table.modelNumber.address)).map { UInt16($0) }
        }
    }

    public func configurePositionControl(of id: UInt8, range: ClosedRange<Int>) throws(DeviceError) {
        // Replies as soon as possible: the factory 500 µs return delay would eat the tick.
        try write(Table.returnDelayTime, of: id, value: 0)
        let mode = try read(Table.operatingMode, of: id)
        let positionModes: [DynamixelOperatingMode] = [.position, .extendedPosition, .currentBasedPosition]
        if !positionModes.contains(where: { Int($0.rawValue) == mode }) {
            try write(Table.operatingMode, of: id, value: Int(DynamixelOperatingMode.position.rawValue))
        }
        try write(Table.minPositionLimit, of: id, value: range.lowerBound)
        try write(Table.maxPositionLimit, of: id, value: range.upperBound)
    }

    public func startStateReads() throws(DeviceError) {
        // FAST_SYNC_READ when the firmware has it, SYNC_READ otherwise; lost replies are asked again.
        usesFastSyncRead = true
        if (try? transactions.checkStateReads("FAST_SYNC_READ", readState)) != nil { return }
        usesFastSyncRead = false
        try transactions.checkStateReads("SYNC_READ of \(Table.presentStateBlockDescription)", readState)
    }

    // MARK: Per tick

    public func readState(deadline: UInt64) -> ReadOutcome {
        let address = Table.presentStateBlockAddress, length = Table.presentStateBlockLength
        let first: DynamixelInstruction = usesFastSyncRead
            ? .fastSyncRead(address: address, length: length, ids: ids)
            : .syncRead(address: address, length: length, ids: ids)
        return transactions.readPresentState(first: first, deadline: deadline) { reply in
            // The alert bit says the servo is in trouble; Hardware Error Status says which.
            guard DynamixelDeviceError(rawValue: reply.error).hardwareAlert else { return nil }
            let code = transactions.readInTick(Table.hardwareErrorStatus, of: reply.id, deadline: deadline)
            return .fault(.hardwareError(id: Int(reply.id), code: code))
        }
    }

    // MARK: Hardware errors

    public var hardwareErrorSource: String { "\(Table.hardwareErrorStatus.name), register \(Table.hardwareErrorStatus.address)" }

    public func describeHardwareError(_ code: Int) -> String {
        DynamixelHardwareErrorStatus(rawValue: UInt8(truncatingIfNeeded: code)).description
    }

    public var hardwareErrorRecovery: String { "power-cycle the arm or REBOOT the servo (the error stays latched until then)" }
}
