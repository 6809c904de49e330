"""pymavlink flying the simulated PX4 vehicle the way an offboard companion computer does.

usage: pymavlink_drone_client.py CONNECTION      (e.g. udpout:127.0.0.1:14560 or /dev/pts/3)

Prints one JSON object with what it observed: offboard refused before streaming, arm and offboard
acks, altitude and north position while flying velocity set-points, and the failsafe modes after
the set-points stop.
"""
import json
import os
import sys
import time

os.environ["MAVLINK20"] = "1"
from pymavlink import mavutil  # noqa: E402

PX4_OFFBOARD = 6
MASK_VELOCITY = 0b0000_1111_1100_0111  # ignore position, acceleration, yaw, yaw rate


def main():
    link = mavutil.mavlink_connection(sys.argv[1], source_system=255, source_component=190, baud=921600)
    result = {}
    link.mav.heartbeat_send(6, 8, 0, 0, 0)
    hb = link.wait_heartbeat(timeout=5)
    if hb is None:
        raise SystemExit("no heartbeat")
    result["autopilot"] = hb.autopilot
    target = (link.target_system, link.target_component)
    state = {"down": 0.0, "north": 0.0, "mode": hb.custom_mode, "armed": False}

    def pump(seconds, velocity=None):
        end = time.monotonic() + seconds
        next_setpoint = 0.0
        next_heartbeat = 0.0
        while time.monotonic() < end:
            now = time.monotonic()
            if velocity is not None and now >= next_setpoint:
                next_setpoint = now + 0.05
                link.mav.set_position_target_local_ned_send(0, target[0], target[1], 1, MASK_VELOCITY,
                                                            0, 0, 0, velocity[0], velocity[1], velocity[2], 0, 0, 0, 0, 0)
            if now >= next_heartbeat:
                next_heartbeat = now + 1
                link.mav.heartbeat_send(6, 8, 0, 0, 0)
            msg = link.recv_match(blocking=True, timeout=0.01)
            if msg is None:
                continue
            kind = msg.get_type()
            if kind == "LOCAL_POSITION_NED":
                state["down"], state["north"] = msg.z, msg.x
            elif kind == "HEARTBEAT":
                state["mode"] = msg.custom_mode
                state["armed"] = bool(msg.base_mode & 128)
            elif kind == "COMMAND_ACK":
                state.setdefault("acks", []).append([msg.command, msg.result])

    def command(cmd, *params):
        state["acks"] = []
        link.mav.command_long_send(target[0], target[1], cmd, 0, *params)
        end = time.monotonic() + 2
        while time.monotonic() < end and not state["acks"]:
            pump(0.05)
        return state["acks"][0][1] if state["acks"] else None

    result["offboard_before_streaming"] = command(176, 1, PX4_OFFBOARD, 0, 0, 0, 0, 0)
    pump(1.5, velocity=(0, 0, 0))
    result["arm"] = command(400, 1, 0, 0, 0, 0, 0, 0)
    result["offboard"] = command(176, 1, PX4_OFFBOARD, 0, 0, 0, 0, 0)
    pump(2.5, velocity=(0, 0, -1.0))
    result["altitude_after_climb"] = -state["down"]
    pump(2.0, velocity=(1.0, 0, 0))
    result["north_after_cruise"] = state["north"]
    result["mode_while_streaming"] = state["mode"]
    pump(2.2)  # set-points stop: PX4 waits COM_OF_LOSS_T (1 s), then holds (heartbeats come at 1 Hz)
    result["mode_after_loss"] = state["mode"]
    pump(2.5)  # hold, then land
    result["mode_later"] = state["mode"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
