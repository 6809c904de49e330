"""Robot side of the Reins robot protocol, version 1, for robots and simulators written in Python.

The Reins runtime connects a ZeroMQ DEALER to the ROUTER this module binds, asks for the robot's
layout (HELLO), then exchanges binary STATE and ACTION messages every tick. Plug any Python
simulator or hardware driver in by publishing its state and applying the actions it receives:

    from reins_robot import RobotServer

    robot = RobotServer("tcp://127.0.0.1:5555", robot="my-arm", kind="arm",
                        state=["shoulder.pos", "shoulder.vel"], action=["shoulder.goal"], rate_hz=100)
    while True:
        robot.poll(timeout_ms=10)            # answers HELLO requests, collects actions
        action = robot.latest_action()       # (values, flags, sequence) or None
        ...step your robot with action...
        robot.publish_state([position, velocity])

Message format (little-endian): magic b"RR", version 1, type (1 STATE, 2 ACTION, 3 HELLO,
4 HELLO_REQUEST), u32 sequence, u64 timestamp ns, u16 value count, u16 flags, then count float64
values (HELLO: UTF-8 JSON layout instead). STATE flags: 1 fault, 2 stopped. ACTION flags:
1 safe stop. With `secret_certificate` and `allowed_keys_dir` the socket is a CURVE server that
accepts only clients whose public certificate (NAME.key, as `reins keys new` writes) is in that
folder (read when the server starts); without them it is plain and should only bind to loopback.
"""
import json
import struct
import time

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

MAGIC = b"RR"
VERSION = 1
STATE, ACTION, HELLO, HELLO_REQUEST = 1, 2, 3, 4
HEADER = struct.Struct("<2sBBIQHH")
FLAG_FAULT, FLAG_STOPPED = 1, 2
FLAG_SAFE_STOP = 1
MAXIMUM_VALUES = 1024
# The ZAP domain Reins servers authenticate in. The socket and the authenticator must name the same
# one: pyzmq's authenticator answers 400 "Unknown domain" to every client of a domain it has no
# certificates for (its "*" covers only sockets that set no domain).
ZAP_DOMAIN = "reins"


def encode(kind, sequence, values=(), flags=0, timestamp_ns=None, payload=None):
    """Bytes of one message; `payload` (bytes) replaces the values for HELLO."""
    if timestamp_ns is None:
        timestamp_ns = time.monotonic_ns()
    count = 0 if payload is not None else len(values)
    header = HEADER.pack(MAGIC, VERSION, kind, sequence & 0xFFFFFFFF, timestamp_ns, count, flags)
    if payload is not None:
        return header + payload
    return header + struct.pack("<%dd" % count, *values)


def decode(message):
    """(kind, sequence, timestamp_ns, flags, values or payload bytes); raises ValueError on bad input."""
    if len(message) < HEADER.size:
        raise ValueError("message of %d bytes is shorter than the 20-byte header" % len(message))
    magic, version, kind, sequence, timestamp, count, flags = HEADER.unpack_from(message)
    if magic != MAGIC:
        raise ValueError("bytes 0-1 are %r, not the magic b'RR'" % magic)
    if version != VERSION:
        raise ValueError("byte 2: protocol version %d is not supported" % version)
    body = message[HEADER.size:]
    if kind in (STATE, ACTION):
        if count > MAXIMUM_VALUES or len(body) != 8 * count:
            raise ValueError("bytes 16-17 declare %d values but %d payload bytes follow" % (count, len(body)))
        return kind, sequence, timestamp, flags, list(struct.unpack("<%dd" % count, body))
    if kind in (HELLO, HELLO_REQUEST):
        return kind, sequence, timestamp, flags, body
    raise ValueError("byte 3: unknown message type %d" % kind)


class RobotServer:
    """Binds a ROUTER; every client that sent HELLO_REQUEST receives each published STATE."""

    CLIENT_TIMEOUT_S = 5.0

    def __init__(self, endpoint, robot, kind, state, action, rate_hz,
                 secret_certificate=None, allowed_keys_dir=None, context=None):
        self.layout = {"protocol": "reins-robot", "version": VERSION, "robot": robot, "kind": kind,
                       "state": list(state), "action": list(action), "rate_hz": float(rate_hz)}
        self.context = context or zmq.Context.instance()
        self.authenticator = None
        self.socket = self.context.socket(zmq.ROUTER)
        self.socket.setsockopt(zmq.LINGER, 0)
        if (secret_certificate is None) != (allowed_keys_dir is None):
            raise ValueError("CURVE needs both secret_certificate and allowed_keys_dir")
        if secret_certificate is not None:
            public, secret = zmq.auth.load_certificate(secret_certificate)
            if secret is None:
                raise ValueError("%s has no secret key" % secret_certificate)
            self.authenticator = ThreadAuthenticator(self.context)
            self.authenticator.start()
            self.authenticator.configure_curve(domain=ZAP_DOMAIN, location=allowed_keys_dir)
            self.socket.curve_server = True
            self.socket.curve_publickey = public
            self.socket.curve_secretkey = secret
            self.socket.zap_domain = ZAP_DOMAIN.encode()
        self.socket.bind(endpoint)
        self.endpoint = self.socket.getsockopt_string(zmq.LAST_ENDPOINT)
        self.clients = {}
        self.sequence = 0
        self._action = None

    def poll(self, timeout_ms=0):
        """Handles every waiting message; returns the number handled."""
        handled = 0
        while self.socket.poll(timeout_ms if handled == 0 else 0, zmq.POLLIN):
            frames = self.socket.recv_multipart()
            handled += 1
            if len(frames) != 2:
                continue
            client, message = frames
            try:
                kind, sequence, _, flags, body = decode(message)
            except ValueError:
                continue
            self.clients[client] = time.monotonic()
            if kind == HELLO_REQUEST:
                hello = encode(HELLO, self._next(), payload=json.dumps(self.layout).encode())
                self.socket.send_multipart([client, hello])
            elif kind == ACTION:
                if len(body) == len(self.layout["action"]):
                    self._action = (body, flags, sequence)
        now = time.monotonic()
        self.clients = {c: t for c, t in self.clients.items() if now - t < self.CLIENT_TIMEOUT_S}
        return handled

    def latest_action(self):
        """The newest ACTION as (values, flags, sequence), or None before the first one."""
        return self._action

    def publish_state(self, values, flags=0, timestamp_ns=None):
        if len(values) != len(self.layout["state"]):
            raise ValueError("state has %d values, the layout names %d" % (len(values), len(self.layout["state"])))
        message = encode(STATE, self._next(), values, flags, timestamp_ns)
        for client in list(self.clients):
            try:
                self.socket.send_multipart([client, message], flags=zmq.NOBLOCK)
            except zmq.Again:
                pass

    def close(self):
        self.socket.close(0)
        if self.authenticator is not None:
            self.authenticator.stop()

    def _next(self):
        self.sequence = (self.sequence + 1) & 0xFFFFFFFF
        return self.sequence
