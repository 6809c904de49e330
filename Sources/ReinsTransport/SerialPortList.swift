import CSerialPort

/// A serial port present on this machine, as `reins ports` shows it.
public struct SerialPortInfo: Sendable, Equatable {
    public var path: String
    public var description: String?
    public var transport: String
    public var usbVendorID: UInt16?
    public var usbProductID: UInt16?
    public var manufacturer: String?
    public var product: String?
    public var serialNumber: String?

    public init(path: String, description: String?, transport: String, usbVendorID: UInt16? = nil, usbProductID: UInt16? = nil,
                manufacturer: String? = nil, product: String? = nil, serialNumber: String? = nil) {
        self.path = path
        self.description = description
        self.transport = transport
        self.usbVendorID = usbVendorID
        self.usbProductID = usbProductID
        self.manufacturer = manufacturer
        self.product = product
        self.serialNumber = serialNumber
    }

    /// `0403:6014` style, when the port is a USB adapter.
    public var usbID: String? {
        guard let usbVendorID, let usbProductID else { return nil }
        return hex4(usbVendorID) + ":" + hex4(usbProductID)
    }

    private func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Every serial port libserialport can see, USB adapters first.
    public static func list() -> [SerialPortInfo] {
        var ports: UnsafeMutablePointer<OpaquePointer?>?
        guard sp_list_ports(&ports) == SP_OK, let ports else { return [] }
        defer { sp_free_port_list(ports) }
        var result: [SerialPortInfo] = []
        var index = 0
        while let port = ports[index] {
            index += 1
            let text: (UnsafeMutablePointer<CChar>?) -> String? = { $0.map { String(cString: $0) } }
            var info = SerialPortInfo(path: text(sp_get_port_name(port)) ?? "?", description: text(sp_get_port_description(port)), transport: "native")
            switch sp_get_port_transport(port) {
            case SP_TRANSPORT_USB:
                info.transport = "usb"
                var vid: Int32 = 0, pid: Int32 = 0
                if sp_get_port_usb_vid_pid(port, &vid, &pid) == SP_OK {
                    info.usbVendorID = UInt16(truncatingIfNeeded: vid)
                    info.usbProductID = UInt16(truncatingIfNeeded: pid)
                }
                info.manufacturer = text(sp_get_port_usb_manufacturer(port))
                info.product = text(sp_get_port_usb_product(port))
                info.serialNumber = text(sp_get_port_usb_serial(port))
            case SP_TRANSPORT_BLUETOOTH:
                info.transport = "bluetooth"
            default:
                break
            }
            result.append(info)
        }
        return result.sorted { ($0.transport == "usb" ? 0 : 1, $0.path) < ($1.transport == "usb" ? 0 : 1, $1.path) }
    }
}
