"""A tiny robot written against Sources/Python/reins_robot.py, for interop tests.

usage: python_robot_peer.py ENDPOINT SECONDS [SECRET_CERT ALLOWED_DIR]

One joint that moves toward its goal at 1 rad/s and reports position, velocity and effort (0), the
state a Reins arm driver needs. With SECRET_CERT and ALLOWED_DIR it is a CURVE server accepting the
public certificates in ALLOWED_DIR. Prints "listening ENDPOINT" once bound, then serves for SECONDS
and prints a JSON summary: {"actions": n, "last_goal": x, "position": p}.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Sources", "Python"))
from reins_robot import RobotServer  # noqa: E402


def main():
    endpoint, seconds = sys.argv[1], float(sys.argv[2])
    secret, allowed = (sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else (None, None)
    robot = RobotServer(endpoint, robot="python-joint", kind="arm", state=["joint.pos", "joint.vel", "joint.effort"],
                        action=["joint.goal"], rate_hz=100, secret_certificate=secret, allowed_keys_dir=allowed)
    print("listening", robot.endpoint, flush=True)
    position, velocity, actions, goal = 0.0, 0.0, 0, None
    end = time.monotonic() + seconds
    last = time.monotonic()
    while time.monotonic() < end:
        robot.poll(timeout_ms=5)
        action = robot.latest_action()
        now = time.monotonic()
        dt, last = now - last, now
        if action is not None:
            values, flags, sequence = action
            if goal is None or sequence != actions:
                actions = sequence
            goal = values[0]
            step = max(-dt, min(dt, goal - position))
            velocity = step / dt if dt > 0 else 0.0
            position += step
        robot.publish_state([position, velocity, 0.0])
    robot.close()
    print(json.dumps({"actions": actions, "last_goal": goal, "position": position}), flush=True)


if __name__ == "__main__":
    main()
