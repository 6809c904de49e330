"""A minimal PX4-like vehicle written with pymavlink, independent of Reins' own simulator.

usage: pymavlink_vehicle.py PORT SECONDS [--interval-result N] [--telemetry-hz HZ]

Listens on UDP 127.0.0.1:PORT (answers whoever sends), sends HEARTBEAT at 1 Hz and
LOCAL_POSITION_NED/ATTITUDE at 50 Hz (--telemetry-hz; 0 sends none) whatever SET_MESSAGE_INTERVAL
asks, acknowledges ARM_DISARM, DO_SET_MODE, NAV_LAND and SET_MESSAGE_INTERVAL (the latter with
MAV_RESULT --interval-result, default 0; 4 = FAILED is what a vehicle that refuses it answers),
accepts OFFBOARD only after set-points streamed for a second, and integrates velocity set-points
into its position. Prints "listening" once bound, then a JSON summary.
"""
import argparse
import json
import os
import time

os.environ["MAVLINK20"] = "1"
from pymavlink import mavutil  # noqa: E402

POSCTL, OFFBOARD, LAND = 3 << 16, 6 << 16, (4 << 16) | (6 << 24)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("seconds", type=float)
    parser.add_argument("--interval-result", type=int, default=0)
    parser.add_argument("--telemetry-hz", type=float, default=50)
    args = parser.parse_args()
    port, seconds = args.port, args.seconds
    link = mavutil.mavlink_connection("udpin:127.0.0.1:%d" % port, source_system=1, source_component=1)
    print("listening", flush=True)
    mode, armed = POSCTL, False
    pos, vel = [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]
    first_setpoint, setpoints, acks, peer_seen = None, 0, [], False
    last = time.monotonic()
    next_hb = next_tm = 0.0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        msg = link.recv_match(blocking=True, timeout=0.005)
        now = time.monotonic()
        if msg is not None:
            peer_seen = True
            kind = msg.get_type()
            if kind == "SET_POSITION_TARGET_LOCAL_NED" and msg.target_system == 1:
                setpoints += 1
                first_setpoint = first_setpoint or now
                if mode == OFFBOARD:
                    vel = [msg.vx, msg.vy, msg.vz]
            elif kind == "COMMAND_LONG" and msg.target_system == 1:
                result = 0
                if msg.command == 400:
                    armed = msg.param1 > 0.5
                elif msg.command == 176:
                    wanted = int(msg.param2) << 16 | int(msg.param3) << 24
                    if wanted == OFFBOARD and (first_setpoint is None or now - first_setpoint < 1.0):
                        result = 1
                    else:
                        mode = wanted
                elif msg.command == 21:
                    mode = LAND
                elif msg.command == 511:
                    result = args.interval_result
                else:
                    result = 3
                acks.append([msg.command, result])
                link.mav.command_ack_send(msg.command, result, 0, 0, msg.get_srcSystem(), msg.get_srcComponent())
        dt, last = now - last, now
        if mode == LAND:
            vel = [0.0, 0.0, 0.7 if pos[2] < 0 else 0.0]
            if pos[2] >= 0 and armed:
                armed, mode = False, POSCTL
        if not armed:
            vel = [0.0, 0.0, 0.0]
        pos = [p + v * dt for p, v in zip(pos, vel)]
        pos[2] = min(pos[2], 0.0)
        if peer_seen and now >= next_hb:
            next_hb = now + 1
            link.mav.heartbeat_send(2, 12, 1 | (128 if armed else 0), mode, 4 if armed else 3)
        if peer_seen and args.telemetry_hz > 0 and now >= next_tm:
            next_tm = now + 1 / args.telemetry_hz
            boot = int(now * 1000) & 0xFFFFFFFF
            link.mav.local_position_ned_send(boot, pos[0], pos[1], pos[2], vel[0], vel[1], vel[2])
            link.mav.attitude_send(boot, 0, 0, 0, 0, 0, 0)
    print(json.dumps({"setpoints": setpoints, "acks": acks, "position": pos, "armed": armed, "mode": mode}), flush=True)


if __name__ == "__main__":
    main()
