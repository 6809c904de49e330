import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTransport

/// Feetech STS servos (STS3215, as in SO-100/SO-101) on one bus.
///
/// Per tick: one SYNC_READ of the present-state block, which every servo answers separately, and one
/// SYNC_WRITE of Goal Position. A reply whose status byte has error bits set (overload, overheating,
/// over-current, voltage, angle sensor) is a fault with that byte.
public final class FeetechBus: ServoTransactionBus, @unchecked Sendable {
    public typealias Table = FeetechSTS

    public let transactions: ServoTransactions<FeetechSTS>

    public init(ids: [UInt8], link: LinkSpec) {
        transactions = ServoTransactions(ids: ids, link: link, deviceName: "feetech bus on \(link)")
    }

    // MARK: Set-up

    public func ping(_ id: UInt8) throws(DeviceError) -> ServoPing {
        let model = Table.modelNumber
        return try transactions.ping(id) { deadline in
            // PING carries no model: read it.
            guard transactions.transact(.ping(id: id), replyFrom: id, dataLength: 0, deadline: deadline) != nil,
                  let reply = transactions.transact(.read(id: id, address: model.address, length: UInt8(model.size)),
                                                    replyFrom: id, dataLength: model.size, deadline: deadline) else { return nil }
            return (try? model.value(in: reply.data, dataAddress: model.address)).map { UInt16($0) }
        }
    }

    public func configurePositionControl(of id: UInt8, range: ClosedRange<Int>) throws(DeviceError) {
        // EEPROM writes need the lock open; close it again so a brown-out cannot corrupt it.
        try write(Table.lock, of: id, value: 0)
        try write(Table.returnDelayTime, of: id, value: 0)
        try write(Table.operatingMode, of: id, value: 0)
        try write(Table.minPositionLimit, of: id, value: range.lowerBound)
        try write(Table.maxPositionLimit, of: id, value: range.upperBound)
        try write(Table.lock, of: id, value: 1)
    }

    public func startStateReads() throws(DeviceError) {
        try transactions.checkStateReads("SYNC_READ of \(Table.presentStateBlockDescription)", readState)
    }

    // MARK: Per tick

    public func readState(deadline: UInt64) -> ReadOutcome {
        let first = FeetechInstruction.syncRead(address: Table.presentStateBlockAddress, length: Table.presentStateBlockLength, ids: ids)
        return transactions.readPresentState(first: first, deadline: deadline) { reply in
            // The reply's status byte is the servo's own error register: overload, heat, voltage.
            reply.error != 0 ? .fault(.hardwareError(id: Int(reply.id), code: Int(reply.error))) : nil
        }
    }

    // MARK: Hardware errors

    public var hardwareErrorSource: String { "status byte of its reply, register \(Table.hardwareErrorStatus.address)" }

    public func describeHardwareError(_ code: Int) -> String {
        FeetechStatusError(rawValue: UInt8(truncatingIfNeeded: code)).description
    }

    public var hardwareErrorRecovery: String { "power-cycle the arm" }
}
