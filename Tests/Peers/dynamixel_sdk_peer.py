#!/usr/bin/env python3
"""Runs ROBOTIS' dynamixel_sdk (Protocol 2.0) against a fake port, for the Reins interop tests.

Each line of standard input names a case and, optionally, the bytes (hex, no spaces) the fake port
returns when the SDK reads: the status packets Reins encoded. For each case this prints one line:

    <case> tx=<hex of every byte the SDK wrote> result=<COMM_* code> error=<status error byte> [values]

The cases, their SDK calls and their arguments are fixed here; the Swift test
(DynamixelSDKInteropTests) encodes the same instructions with Reins and compares the bytes.
"""

import sys

try:
    import dynamixel_sdk as sdk
    from importlib.metadata import version
except ImportError as error:  # the test reports this output as the reason it failed
    print(f"cannot import dynamixel_sdk ({error}): run python3 -m pip install -r Tests/requirements.txt",
          file=sys.stderr)
    sys.exit(3)


class FakePort:
    """What PacketHandler and the Group* classes use of a PortHandler, without a serial port."""

    def __init__(self, incoming):
        self.incoming = bytearray(incoming)
        self.written = bytearray()
        self.is_using = False

    def clearPort(self):
        # A real port drops stale input here; the replies are queued before the call, so keep them.
        pass

    def writePort(self, packet):
        self.written += bytes(packet)
        return len(packet)

    def readPort(self, length):
        chunk = bytes(self.incoming[:length])
        del self.incoming[:length]
        return chunk

    def setPacketTimeout(self, packet_length):
        pass

    def setPacketTimeoutMillis(self, msec):
        pass

    def isPacketTimeout(self):
        # Time is not simulated: the wait is over once every queued byte has been read.
        return len(self.incoming) == 0

    def getBaudRate(self):
        return 1_000_000


def hex_bytes(data):
    return bytes(data).hex().upper()


def run_case(name, ph, port):
    """Calls the SDK for one case; returns (result, error, extra values as "key=value" strings)."""
    if name == "ping":
        model, result, error = ph.ping(port, 1)
        return result, error, [f"model={model}"]
    if name == "broadcast_ping":
        devices, result = ph.broadcastPing(port)
        found = ",".join(f"{dxl_id}:{model}:{firmware}" for dxl_id, (model, firmware) in sorted(devices.items()))
        return result, 0, [f"devices={found}"]
    if name == "read":
        data, result, error = ph.readTxRx(port, 1, 132, 4)
        return result, error, [f"data={hex_bytes(data)}"]
    if name == "read_stuffed_reply":
        data, result, error = ph.readTxRx(port, 1, 116, 4)
        return result, error, [f"data={hex_bytes(data)}"]
    if name == "read_double_stuffed_reply":
        data, result, error = ph.readTxRx(port, 1, 200, 7)
        return result, error, [f"data={hex_bytes(data)}"]
    if name == "write":
        result, error = ph.write4ByteTxRx(port, 1, 116, 512)
        return result, error, []
    if name == "write_stuffing":
        result, error = ph.writeTxRx(port, 1, 116, 4, [0xFF, 0xFF, 0xFD, 0x00])
        return result, error, []
    if name == "reg_write":
        result, error = ph.regWriteTxRx(port, 1, 116, 4, [0x00, 0x02, 0x00, 0x00])
        return result, error, []
    if name == "action":
        return ph.action(port, 1), 0, []
    if name == "reboot":
        result, error = ph.reboot(port, 1)
        return result, error, []
    if name == "factory_reset":
        result, error = ph.factoryReset(port, 1, 0x01)
        return result, error, []
    if name == "clear_multi_turn":
        result, error = ph.clearMultiTurn(port, 1)
        return result, error, []
    if name == "sync_read" or name == "fast_sync_read":
        ids = [1, 2] if name == "sync_read" else [3, 7, 4]
        group = sdk.GroupSyncRead(port, ph, 132, 4)
        for dxl_id in ids:
            group.addParam(dxl_id)
        result = group.txRxPacket() if name == "sync_read" else group.fastSyncRead()
        values = ",".join(f"{dxl_id}:{group.getData(dxl_id, 132, 4)}" for dxl_id in ids)
        return result, 0, [f"values={values}"]
    if name == "sync_write":
        group = sdk.GroupSyncWrite(port, ph, 116, 4)
        group.addParam(1, [150, 0, 0, 0])
        group.addParam(2, [170, 0, 0, 0])
        return group.txPacket(), 0, []
    if name == "bulk_read":
        group = sdk.GroupBulkRead(port, ph)
        group.addParam(1, 144, 2)
        group.addParam(2, 146, 1)
        result = group.txRxPacket()
        return result, 0, [f"values=1:{group.getData(1, 144, 2)},2:{group.getData(2, 146, 1)}"]
    if name == "bulk_write":
        group = sdk.GroupBulkWrite(port, ph)
        group.addParam(1, 32, 2, [0xA0, 0x00])
        group.addParam(2, 31, 1, [0x50])
        return group.txPacket(), 0, []
    print(f"unknown case {name!r}", file=sys.stderr)
    sys.exit(2)


def main():
    print(f"sdk version={version('dynamixel-sdk')}")
    for line in sys.stdin:
        fields = line.split()
        if not fields:
            continue
        name = fields[0]
        incoming = bytes.fromhex(fields[1]) if len(fields) > 1 else b""
        port = FakePort(incoming)
        ph = sdk.PacketHandler(2.0)
        result, error, values = run_case(name, ph, port)
        print(" ".join([name, f"tx={hex_bytes(port.written)}", f"result={result}", f"error={error}"] + values))


if __name__ == "__main__":
    main()
