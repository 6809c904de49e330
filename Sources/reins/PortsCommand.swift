import ArgumentParser
import ReinsCore
import ReinsTransport

struct PortsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ports",
        abstract: "List serial ports with their USB identity.",
        discussion: """
            Shows each port's path, USB VID:PID, manufacturer, product and serial number, so you can \
            tell two identical adapters apart. Plug in or unplug a device and run it again to see \
            which port is yours; prefer the stable /dev/serial/by-id/... name in robot descriptions.
            """)

    @Flag(help: "Print one JSON object per port.")
    var json = false

    func run() throws {
        let ports = SerialPortInfo.list()
        if json {
            for port in ports { print(Self.json(port)) }
            return
        }
        if ports.isEmpty {
            print("no serial ports found")
            return
        }
        for port in ports {
            var fields = [port.path, port.transport]
            if let id = port.usbID { fields.append(id) }
            if let manufacturer = port.manufacturer { fields.append(manufacturer) }
            if let product = port.product { fields.append(product) }
            if let serial = port.serialNumber { fields.append("serial \(serial)") }
            if port.transport != "usb", let description = port.description { fields.append(description) }
            print(fields.joined(separator: "  "))
        }
    }

    static func json(_ port: SerialPortInfo) -> String {
        func quoted(_ value: String?) -> String {
            guard let value else { return "null" }
            return value.jsonQuoted
        }
        return "{\"path\":\(quoted(port.path)),\"transport\":\(quoted(port.transport)),\"usb_id\":\(quoted(port.usbID)),"
            + "\"manufacturer\":\(quoted(port.manufacturer)),\"product\":\(quoted(port.product)),\"serial_number\":\(quoted(port.serialNumber)),"
            + "\"description\":\(quoted(port.description))}"
    }
}
