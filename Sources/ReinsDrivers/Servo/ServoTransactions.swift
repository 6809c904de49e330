import ReinsConfig
import ReinsCore
import ReinsProtocols
import ReinsTransport

/// The transactions on one servo bus, written once for every servo protocol: a request and the wait
/// for its reply; set-up transactions asked again while replies are lost; the tick's group read of the
/// present-state block, which re-asks the servos still silent; the group write of goals. `DynamixelBus`
/// and `FeetechBus` each own one and add what their protocol does differently.
///
/// Registers come from the servo series' control table by name; nothing here knows an address or a
/// vendor unit. Inside the tick nothing allocates: the buffers are allocated here, once.
public final class ServoTransactions<Table: ServoControlTable> {
    typealias Wire = Table.Wire

    let deviceName: String
    let linkSpec: LinkSpec
    let ids: [UInt8]
    let readings: ServoReadings
    private(set) var counters = ServoBusCounters()
    private(set) var linkFailure: LinkError?

    private var link: (any ByteLink)?
    private let decoder = Wire.makeDecoder()
    private let writer = ByteWriter(capacity: 1024)
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
    /// The servos a tick re-asks (capacity for all of them, reserved once).
    private var retryIDs: [UInt8]
    /// One goal per servo, as the group write carries them.
    private var goalData: [UInt8]
    // The registers the tick uses, fetched once.
    private let goalPosition = Table.goalPosition
    private let goalLength: Wire.Address
    private let blockAddress = Table.presentStateBlockAddress
    private let blockLength = Table.presentStateBlockLength
    private let presentPosition = Table.presentPosition
    private let presentVelocity = Table.presentVelocity
    private let presentCurrent = Table.presentCurrent
    private let presentVoltage = Table.presentVoltage
    private let presentTemperature = Table.presentTemperature

    init(ids: [UInt8], link: LinkSpec, deviceName: String) {
        self.ids = ids
        linkSpec = link
        self.deviceName = deviceName
        readings = ServoReadings(count: ids.count)
        retryIDs = []
        retryIDs.reserveCapacity(ids.count)
        goalData = [UInt8](repeating: 0, count: Table.goalPosition.size * ids.count)
        goalLength = Wire.Address(Table.goalPosition.size)
    }

    deinit { readBuffer.deallocate() }

    func open() throws(DeviceError) {
        link = try linkSpec.openDriverLink()
    }

    func close() {
        link?.close()
        link = nil
    }

    // MARK: Requests and replies

    /// Sends `instruction` as a new transaction: input still waiting (a late reply to an earlier
    /// request) is dropped first.
    func request(_ instruction: ServoInstruction<Wire>, deadline: UInt64) -> Bool {
        link?.discardInput()
        decoder.reset()
        return send(instruction, deadline: deadline)
    }

    /// Sends `instruction`, keeping input already on its way.
    private func send(_ instruction: ServoInstruction<Wire>, deadline: UInt64) -> Bool {
        writer.reset()
        guard (try? instruction.encode(into: writer)) != nil, let link else { return false }
        do {
            try link.write(writer.bytes, deadline: deadline)
            return true
        } catch {
            linkFailure = error
            return false
        }
    }

    /// Hands what arrives before the deadline to the decoder; the byte count, -1 when the link is gone.
    private func receive(deadline: UInt64) -> Int {
        guard let link else { return -1 }
        do {
            let count = try link.read(into: readBuffer, deadline: deadline)
            if count > 0 { decoder.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count])) }
            return count
        } catch {
            linkFailure = error
            return -1
        }
    }

    /// Waits until `deadline` for a reply from `id` that `accept` makes something of (it returns nil
    /// for a reply that does not answer the request, such as a late answer to an earlier one).
    private func awaitReply<Value>(from id: UInt8, dataLength: Int, deadline: UInt64, _ accept: (ServoReply) -> Value?) -> Value? {
        while MonotonicClock.nowNanoseconds() < deadline {
            let count = receive(deadline: deadline)
            if count < 0 { return nil }
            if count == 0 { continue }
            while let frame = decoder.next() {
                var accepted: Value?
                Wire.forEachReply(in: frame, dataLength: dataLength) { reply in
                    guard reply.id == id else { return true }
                    accepted = accept(reply)
                    return accepted == nil
                }
                if accepted != nil { return accepted }
            }
        }
        return nil
    }

    /// A reply's error byte and data, copied (set-up code only).
    struct Reply {
        var error: UInt8
        var data: [UInt8]
    }

    /// Sends `instruction` and waits for the reply from `id` that carries `dataLength` bytes or refuses
    /// the instruction; one of another size is a late answer to an earlier request and is skipped.
    func transact(_ instruction: ServoInstruction<Wire>, replyFrom id: UInt8, dataLength: Int, deadline: UInt64) -> Reply? {
        guard request(instruction, deadline: deadline) else { return nil }
        return awaitReply(from: id, dataLength: dataLength, deadline: deadline) { reply in
            reply.data.count == dataLength || Wire.refusal(inReplyError: reply.error) != nil
                ? Reply(error: reply.error, data: Array(reply.data)) : nil
        }
    }

    // MARK: Set-up transactions

    /// Runs `attempt` (one request; its argument is the reply deadline) until it returns a value, the
    /// set-up deadline passes or the link fails. Returns the value and how many tries got no reply.
    func retrying<Value>(_ attempt: (UInt64) -> Value?) -> (value: Value?, failedTries: Int) {
        let end = MonotonicClock.deadline(in: ServoSetUp.deadline)
        var failed = 0
        linkFailure = nil
        repeat {
            let now = MonotonicClock.nowNanoseconds()
            if let value = attempt(min(end, now + UInt64(ServoSetUp.replyTimeout * 1e9))) {
                counters.retries &+= UInt64(failed)
                return (value, failed)
            }
            failed += 1
        } while MonotonicClock.nowNanoseconds() < end && linkFailure == nil
        return (nil, failed)
    }

    /// Why a set-up transaction got no reply: the link's own failure when it has one (a TCP bridge
    /// that hung up names itself and the errno), otherwise the tries that went unanswered.
    func setupFailure(_ what: String, failedTries: Int) -> DeviceError {
        if let failure = linkFailure {
            return DeviceError(device: deviceName, problem: "the link failed during \(what): \(linkSpec.failureText(failure))",
                               suggestion: linkSpec.failureSuggestion)
        }
        return DeviceError(device: deviceName, problem: "\(what) got no reply (\(failedTries) tr\(failedTries == 1 ? "y" : "ies") within \(ServoSetUp.window))",
                           suggestion: "check the servo's power and cable; a bus that loses this many replies has a loose connector, a wrong baud rate or too long a cable for it")
    }

    /// PING one servo, asked again while replies are lost; `model` makes the model number of a
    /// servo's answer (PING's own reply, or another transaction's).
    func ping(_ id: UInt8, model: (UInt64) -> UInt16?) throws(DeviceError) -> ServoPing {
        let (answer, failedTries) = retrying(model)
        if linkFailure != nil { throw setupFailure("PING of servo \(id)", failedTries: failedTries) }
        return ServoPing(modelNumber: answer, failedTries: failedTries)
    }

    /// One register of one servo, asked again while replies are lost.
    func read(_ register: ServoRegister<Wire>, of id: UInt8) throws(DeviceError) -> Int {
        let request = ServoInstruction<Wire>.read(id: id, address: register.address, length: Wire.Address(register.size))
        let (answer, failedTries) = retrying { deadline in transact(request, replyFrom: id, dataLength: register.size, deadline: deadline) }
        let what = "READ of \(register.name) (register \(register.address)) from servo \(id)"
        guard let reply = answer else { throw setupFailure(what, failedTries: failedTries) }
        if let refusal = Wire.refusal(inReplyError: reply.error) {
            throw DeviceError(device: deviceName, problem: "servo \(id) refused the \(what): \(refusal)")
        }
        guard let value = try? register.value(in: reply.data, dataAddress: register.address) else {
            throw DeviceError(device: deviceName, problem: "servo \(id) answered the \(what) with \(reply.data.count) bytes instead of \(register.size)")
        }
        return value
    }

    /// Writes one register of one servo and waits for its acknowledgement, asking again while
    /// replies are lost.
    func write(_ register: ServoRegister<Wire>, of id: UInt8, value: Int) throws(DeviceError) {
        let data: [UInt8]
        do {
            data = try register.bytes(value)
        } catch {
            throw DeviceError(device: deviceName, problem: "cannot write to servo \(id): \(error)")
        }
        let request = ServoInstruction<Wire>.write(id: id, address: register.address, data: data)
        let (answer, failedTries) = retrying { deadline in transact(request, replyFrom: id, dataLength: 0, deadline: deadline) }
        guard let reply = answer else {
            throw setupFailure("WRITE of \(value) to \(register.name) (register \(register.address)) of servo \(id)", failedTries: failedTries)
        }
        if let refusal = Wire.refusal(inReplyError: reply.error) {
            throw DeviceError(device: deviceName, problem: "servo \(id) refused writing \(value) to \(register.name) (register \(register.address)): \(refusal)",
                              suggestion: refusal.isAccessError ? "EEPROM registers (below \(Table.torqueEnable.address)) can be written only with torque off" : nil)
        }
    }

    /// Torque on or off for every servo at once (one group write), confirmed by reading it back.
    func setTorque(_ on: Bool) -> Bool {
        let register = Table.torqueEnable
        let value = on ? 1 : 0
        let data = [UInt8](repeating: UInt8(value), count: ids.count * register.size)
        guard request(.syncWrite(address: register.address, length: Wire.Address(register.size), ids: ids, data: data),
                      deadline: MonotonicClock.deadline(in: 0.05)) else { return false }
        // SYNC_WRITE has no reply: confirm by reading the register back from every servo.
        for id in ids where (try? read(register, of: id)) != value { return false }
        return true
    }

    /// Reads the present-state block with `read` until it comes back fresh or the set-up deadline
    /// passes; throws naming `what` when it never does.
    func checkStateReads(_ what: String, _ read: (UInt64) -> ReadOutcome) throws(DeviceError) {
        let (fresh, failedTries) = retrying { deadline in read(deadline) == .fresh ? true : nil }
        guard fresh != nil else { throw setupFailure(what, failedTries: failedTries) }
    }

    // MARK: Per tick

    /// Reads the present-state block of every servo into `readings`: sends `first` (a group read of
    /// the block), then gathers the replies until every servo answered or the deadline came. `fault`
    /// looks at each reply's error byte before its values are taken.
    func readPresentState(first: ServoInstruction<Wire>, deadline: UInt64, fault: (ServoReply) -> ReadOutcome?) -> ReadOutcome {
        for i in 0..<readings.received.count { readings.received[i] = false }
        guard request(first, deadline: deadline) else { return .fault(.disconnected) }
        let checksumErrorsBefore = decoder.counters.checksumErrors
        let length = Int(blockLength)
        var remaining = ids.count
        while remaining > 0 {
            let now = MonotonicClock.nowNanoseconds()
            if now >= deadline { break }
            // Give a lost reply 2 ms, then re-ask only the servos that have not answered.
            let count = receive(deadline: min(deadline, now + 2_000_000))
            if count < 0 { return .fault(.disconnected) }
            if count == 0 {
                // Re-ask the silent servos as often as the tick's budget allows: each lost reply
                // costs a 2 ms wait, and a second loss in a row is as likely as the first. Bytes
                // already on their way are kept: a late reply of this tick is as good as a new one.
                guard MonotonicClock.nowNanoseconds() + 1_000_000 < deadline else { continue }
                retryIDs.removeAll(keepingCapacity: true)
                for i in 0..<ids.count where !readings.received[i] { retryIDs.append(ids[i]) }
                counters.retries &+= 1
                guard send(.syncRead(address: blockAddress, length: blockLength, ids: retryIDs), deadline: deadline) else {
                    return .fault(.disconnected)
                }
                continue
            }
            while let frame = decoder.next() {
                var outcome: ReadOutcome?
                Wire.forEachReply(in: frame, dataLength: length) { reply in
                    guard let index = joint(forID: reply.id), reply.data.count == length, !readings.received[index] else { return true }
                    if let failure = fault(reply) {
                        outcome = failure
                        return false
                    }
                    take(reply.data, joint: index)
                    remaining -= 1
                    return true
                }
                if let outcome { return outcome }
            }
        }
        counters.checksumErrors &+= decoder.counters.checksumErrors &- checksumErrorsBefore
        if remaining > 0 {
            counters.missedReplies &+= UInt64(remaining)
            return .stale
        }
        return .fresh
    }

    /// One servo's present-state block into `readings`, through the table's registers and units.
    private func take(_ block: UnsafeRawBufferPointer, joint index: Int) {
        // The block holds every register below (the table says so), so none of these can throw.
        readings.positionTicks[index] = (try? presentPosition.value(in: block, dataAddress: blockAddress)) ?? 0
        readings.velocity[index] = presentVelocity.measurement((try? presentVelocity.value(in: block, dataAddress: blockAddress)) ?? 0)
        readings.current[index] = presentCurrent.measurement((try? presentCurrent.value(in: block, dataAddress: blockAddress)) ?? 0)
        readings.voltage[index] = presentVoltage.measurement((try? presentVoltage.value(in: block, dataAddress: blockAddress)) ?? 0)
        readings.temperature[index] = presentTemperature.measurement((try? presentTemperature.value(in: block, dataAddress: blockAddress)) ?? 0)
        readings.received[index] = true
    }

    /// One register of one servo, read inside the tick without allocating; -1 when no reply came
    /// before the deadline.
    func readInTick(_ register: ServoRegister<Wire>, of id: UInt8, deadline: UInt64) -> Int {
        guard request(.read(id: id, address: register.address, length: Wire.Address(register.size)), deadline: deadline) else { return -1 }
        return awaitReply(from: id, dataLength: register.size, deadline: deadline) { reply in
            reply.data.count == register.size ? try? register.value(in: reply.data, dataAddress: register.address) : nil
        } ?? -1
    }

    /// Every servo's goal position in one group write.
    func writeGoalPositions(_ ticks: [Int], deadline: UInt64) -> Bool {
        for i in 0..<ids.count {
            guard (try? goalPosition.store(ticks[i], into: &goalData, at: i * goalPosition.size)) != nil else { return false }
        }
        return send(.syncWrite(address: goalPosition.address, length: goalLength, ids: ids, data: goalData), deadline: deadline)
    }

    /// The joint a servo id drives.
    func joint(forID id: UInt8) -> Int? {
        for i in 0..<ids.count where ids[i] == id { return i }
        return nil
    }
}

/// A servo bus whose transactions `ServoTransactions` carries out, as both of Reins' buses are:
/// everything but what their protocols do differently comes from here.
public protocol ServoTransactionBus: ServoBus {
    var transactions: ServoTransactions<Table> { get }
}

extension ServoTransactionBus {
    public var deviceName: String { transactions.deviceName }
    public var linkSpec: LinkSpec { transactions.linkSpec }
    public var ids: [UInt8] { transactions.ids }
    public var readings: ServoReadings { transactions.readings }
    public var counters: ServoBusCounters { transactions.counters }
    public var linkFailure: LinkError? { transactions.linkFailure }

    public func open() throws(DeviceError) { try transactions.open() }
    public func close() { transactions.close() }

    public func read(_ register: ServoRegister<Table.Wire>, of id: UInt8) throws(DeviceError) -> Int {
        try transactions.read(register, of: id)
    }

    public func write(_ register: ServoRegister<Table.Wire>, of id: UInt8, value: Int) throws(DeviceError) {
        try transactions.write(register, of: id, value: value)
    }

    public func readStateForSetUp(_ what: String) throws(DeviceError) {
        try transactions.checkStateReads(what, readState)
    }

    public func setTorque(_ on: Bool) -> Bool { transactions.setTorque(on) }

    public func writeGoalPositions(_ ticks: [Int], deadline: UInt64) -> Bool {
        transactions.writeGoalPositions(ticks, deadline: deadline)
    }
}
