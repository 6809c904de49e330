"""ROBOTIS dynamixel_sdk driving the simulated arm over its pty, as it would a real bus.

usage: dynamixel_sdk_arm_client.py PORT

Pings servos 1-6, reads present positions, disables/enables torque, sets a goal for every joint
with GroupSyncWrite, waits, reads positions back with GroupSyncRead, and prints one JSON object.
"""
import json
import sys
import time

from dynamixel_sdk import COMM_SUCCESS, GroupSyncRead, GroupSyncWrite, PacketHandler, PortHandler

ADDR_TORQUE, ADDR_GOAL, ADDR_PRESENT, ADDR_RETURN_DELAY = 64, 116, 132, 9
IDS = [1, 2, 3, 4, 5, 6]
OFFSETS = [300, -250, 400, 150, -500, 600]  # ticks from the start position


def signed32(value):
    return value - (1 << 32) if value & 0x80000000 else value


def main():
    port = PortHandler(sys.argv[1])
    if not port.openPort() or not port.setBaudRate(1000000):
        raise SystemExit("cannot open " + sys.argv[1])
    packet = PacketHandler(2.0)
    result = {"models": [], "errors": []}
    for dxl in IDS:
        model, comm, error = packet.ping(port, dxl)
        if comm != COMM_SUCCESS:
            result["errors"].append("ping %d: %s" % (dxl, packet.getTxRxResult(comm)))
        result["models"].append(model)
    # EEPROM write with torque off is allowed (LeRobot sets return delay 0 this way).
    comm, error = packet.write1ByteTxRx(port, 1, ADDR_RETURN_DELAY, 0)
    result["eeprom_write_torque_off"] = [comm == COMM_SUCCESS, error]
    start = []
    for dxl in IDS:
        value, comm, error = packet.read4ByteTxRx(port, dxl, ADDR_PRESENT)
        start.append(signed32(value))
    result["start"] = start
    for dxl in IDS:
        comm, error = packet.write1ByteTxRx(port, dxl, ADDR_TORQUE, 1)
        if comm != COMM_SUCCESS or error:
            result["errors"].append("torque %d: %s %d" % (dxl, packet.getTxRxResult(comm), error))
    # EEPROM write with torque on must be refused with the access error (7).
    comm, error = packet.write1ByteTxRx(port, 1, ADDR_RETURN_DELAY, 0)
    result["eeprom_write_torque_on"] = [comm == COMM_SUCCESS, error]
    writer = GroupSyncWrite(port, packet, ADDR_GOAL, 4)
    goals = [s + o for s, o in zip(start, OFFSETS)]
    for dxl, goal in zip(IDS, goals):
        value = goal & 0xFFFFFFFF
        writer.addParam(dxl, [value & 0xFF, (value >> 8) & 0xFF, (value >> 16) & 0xFF, (value >> 24) & 0xFF])
    comm = writer.txPacket()
    if comm != COMM_SUCCESS:
        result["errors"].append("sync write: " + packet.getTxRxResult(comm))
    result["goals"] = goals
    time.sleep(1.5)
    reader = GroupSyncRead(port, packet, ADDR_PRESENT, 4)
    for dxl in IDS:
        reader.addParam(dxl)
    comm = reader.txRxPacket()
    if comm != COMM_SUCCESS:
        result["errors"].append("sync read: " + packet.getTxRxResult(comm))
    result["final"] = [signed32(reader.getData(dxl, ADDR_PRESENT, 4)) for dxl in IDS]
    port.closePort()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
