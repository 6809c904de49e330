import ReinsCore
import ReinsTestSupport
import ReinsTransport
import Testing

#if canImport(Glibc)
import Glibc
#endif

private func deadline(_ seconds: Double) -> UInt64 {
    MonotonicClock.nowNanoseconds() + UInt64(seconds * 1e9)
}

@Suite struct PseudoTerminalLinkTests {
    @Test func bytesCrossThePtyBothWays() throws {
        let folder = TemporaryDirectory()
        let pty = try PseudoTerminal(linkPath: folder.file("arm"))
        let client = try TerminalLink(path: folder.file("arm"), baud: 1_000_000)
        try client.write([0xFF, 0xFF, 0xFD, 0x00, 0x01], deadline: deadline(1))
        #expect(try pty.master.read(count: 5, deadline: deadline(1)) == [0xFF, 0xFF, 0xFD, 0x00, 0x01])
        try pty.master.write(Array(0..<200), deadline: deadline(1))
        #expect(try client.read(count: 200, deadline: deadline(1)) == Array(0..<200))
    }

    @Test func readWithNothingToReadReturnsZeroAtTheDeadline() throws {
        let pty = try PseudoTerminal()
        let client = try TerminalLink(path: pty.slavePath)
        let start = MonotonicClock.nowNanoseconds()
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = try buffer.withUnsafeMutableBytes { try client.read(into: $0, deadline: start + 20_000_000) }
        let waited = MonotonicClock.nowNanoseconds() - start
        #expect(n == 0)
        #expect(waited >= 20_000_000)
        #expect(waited < 1_000_000_000)
    }

    @Test func closingTheSimulatorSideIsADisconnect() throws {
        let pty = try PseudoTerminal()
        let client = try TerminalLink(path: pty.slavePath)
        pty.close()
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(throws: LinkError.disconnected) {
            _ = try buffer.withUnsafeMutableBytes { try client.read(into: $0, deadline: deadline(1)) }
        }
    }

    @Test func discardInputDropsStaleBytes() throws {
        let pty = try PseudoTerminal()
        let client = try TerminalLink(path: pty.slavePath)
        try pty.master.write([1, 2, 3], deadline: deadline(1))
        usleep(20_000)
        client.discardInput()
        try pty.master.write([4], deadline: deadline(1))
        #expect(try client.read(count: 1, deadline: deadline(1)) == [4])
    }

    @Test func openingSomethingThatIsNotATerminalExplainsIt() {
        let folder = TemporaryDirectory()
        let file = folder.write("plain.txt", "hello")
        #expect(throws: DeviceError.self) { try TerminalLink(path: file) }
        do {
            _ = try TerminalLink(path: file)
        } catch {
            #expect(error.description == "cannot open \(file): not a terminal device; use pty: for pseudo-terminals and serial: for serial ports")
        }
    }
}

@Suite struct SerialLinkErrorTests {
    @Test func missingDeviceSaysToCheckThePorts() {
        do {
            _ = try SerialLink(path: "/dev/ttyREINS404", baud: 1_000_000)
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "cannot open /dev/ttyREINS404: no such device; is it plugged in? `reins ports` lists the serial ports present")
        }
    }

    @Test func aPseudoTerminalGetsThePtyHint() throws {
        let pty = try PseudoTerminal()
        do {
            _ = try SerialLink(path: pty.slavePath, baud: 1_000_000)
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "cannot open \(pty.slavePath): it is a pseudo-terminal, which libserialport cannot open; write `link: pty:\(pty.slavePath)` instead of serial:")
        }
    }

    @Test func permissionDeniedMentionsTheDialoutGroup() {
        // errno translation is what users see when /dev/ttyUSB0 belongs to dialout.
        let error = SerialLink.openError(device: "/dev/ttyUSB0", code: EACCES)
        #expect(error.description.contains("add your user to the dialout group"))
        #expect(SerialLink.openError(device: "/dev/ttyUSB0", code: EBUSY).description.contains("another program has it open"))
    }
}

@Suite struct SocketLinkTests {
    @Test func udpListenerAnswersWhoeverSpokeLast() throws {
        let server = try UDPLink.listen(host: "127.0.0.1", port: 0)
        let port = server.localPort
        let client = try UDPLink.send(host: "127.0.0.1", port: port)
        // Nobody has spoken yet: a listener's reply goes nowhere rather than failing.
        try server.write([9], deadline: deadline(1))
        try client.write([1, 2, 3], deadline: deadline(1))
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = try buffer.withUnsafeMutableBytes { try server.read(into: $0, deadline: deadline(1)) }
        #expect(Array(buffer[0..<n]) == [1, 2, 3])
        #expect(server.peerAddress?.port == client.localPort)
        try server.write([4, 5], deadline: deadline(1))
        let m = try buffer.withUnsafeMutableBytes { try client.read(into: $0, deadline: deadline(1)) }
        #expect(Array(buffer[0..<m]) == [4, 5])
    }

    @Test func udpReadsOneDatagramAtATime() throws {
        let server = try UDPLink.listen(host: "127.0.0.1", port: 0)
        let client = try UDPLink.send(host: "127.0.0.1", port: server.localPort)
        try client.write([1, 1], deadline: deadline(1))
        try client.write([2, 2, 2], deadline: deadline(1))
        var buffer = [UInt8](repeating: 0, count: 64)
        let first = try buffer.withUnsafeMutableBytes { try server.read(into: $0, deadline: deadline(1)) }
        let second = try buffer.withUnsafeMutableBytes { try server.read(into: $0, deadline: deadline(1)) }
        #expect(first == 2 && second == 3)
    }

    @Test func tcpStreamsToABridge() throws {
        let (listener, port) = loopbackTCPListener(backlog: 1)
        let client = try TCPLink(host: "127.0.0.1", port: port)
        let accepted = DescriptorLink(fd: accept(listener, nil, nil), name: "bridge")
        defer { close(listener) }
        try client.write(Array("hello".utf8), deadline: deadline(1))
        #expect(try accepted.read(count: 5, deadline: deadline(1)) == Array("hello".utf8))
        accepted.close()
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(throws: LinkError.disconnected) {
            _ = try buffer.withUnsafeMutableBytes { try client.read(into: $0, deadline: deadline(1)) }
        }
    }

    @Test func tcpConnectionRefusedSaysToStartTheBridge() {
        do {
            _ = try TCPLink(host: "127.0.0.1", port: 1)
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "cannot open tcp:127.0.0.1:1: cannot connect: Connection refused; nothing listens there; start the bridge first")
        }
    }

    @Test func tcpConnectTimeoutNamesTheAddressAndTheErrno() throws {
        // A listener whose accept queue is full drops further SYNs: the connect gets no answer.
        let (listener, port) = loopbackTCPListener(backlog: 0)
        defer { close(listener) }
        let queued = try TCPLink(host: "127.0.0.1", port: port)
        defer { queued.close() }
        do {
            _ = try TCPLink(host: "127.0.0.1", port: port, connectTimeout: 0.3)
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "cannot open tcp:127.0.0.1:\(port): cannot connect: Connection timed out (no answer within 0.3 s); "
                    + "check the address, and that the bridge is powered, on the network and running")
        }
    }

    @Test func aResetTCPConnectionIsAnErrorWithItsErrnoNotASIGPIPE() throws {
        let (listener, port) = loopbackTCPListener(backlog: 1)
        defer { close(listener) }
        let client = try TCPLink(host: "127.0.0.1", port: port)
        let accepted = accept(listener, nil, nil)
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(accepted, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(accepted)
        usleep(50_000)
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(throws: LinkError.system(code: ECONNRESET)) {
            _ = try buffer.withUnsafeMutableBytes { try client.read(into: $0, deadline: deadline(1)) }
        }
        #expect(LinkError.system(code: ECONNRESET).description == "Connection reset by peer")
        // Writing to the dead connection raises SIGPIPE unless the link sends with MSG_NOSIGNAL;
        // this test process would not survive it.
        #expect(throws: LinkError.system(code: EPIPE)) { try client.write([1, 2, 3], deadline: deadline(1)) }
        #expect(throws: LinkError.system(code: EPIPE)) { try client.write([4, 5, 6], deadline: deadline(1)) }
    }

    @Test func socketPairCarriesBytesForInProcessSimulators() throws {
        let (a, b) = try DescriptorLink.socketPair(names: ("driver", "simulator"))
        try a.write([7, 8, 9], deadline: deadline(1))
        #expect(try b.read(count: 3, deadline: deadline(1)) == [7, 8, 9])
    }
}

@Suite struct SerialPortListTests {
    @Test func listingPortsWorksHereAndFormatsUSBIdentities() {
        // This machine may have no USB adapters; listing must still succeed.
        let ports = SerialPortInfo.list()
        #expect(ports.allSatisfy { $0.path.hasPrefix("/dev/") })
        let adapter = SerialPortInfo(path: "/dev/ttyUSB0", description: nil, transport: "usb", usbVendorID: 0x0403, usbProductID: 0x6014,
                                     manufacturer: "FTDI", product: "USB <-> Serial", serialNumber: "FT123")
        #expect(adapter.usbID == "0403:6014")
    }
}
