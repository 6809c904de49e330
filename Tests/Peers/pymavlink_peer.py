#!/usr/bin/env python3
"""An independent MAVLink 2 peer for the Reins interop tests, built on pymavlink.

Subcommands (all output is one JSON object or one hex frame per line on stdout):

  message-table
      Every message of pymavlink's common dialect: id, CRC_EXTRA, payload length without and
      with extension fields, name.

  decode [--key HEX]
      Reads hex frames, one per line, on stdin. Prints for each: message name, field values,
      header fields, whether it was signed and, when a key is given, whether pymavlink verified
      the signature (with its replay rules: one stream state for the whole run).

  encode --system N --component N [--key HEX --link-id N --timestamp N]
      Reads messages as JSON, one per line on stdin ({"name": "HEARTBEAT", "fields": {...}}),
      and prints the hex frame pymavlink packs for each: signed when a key is given, unsigned
      otherwise. Sequence numbers count up from 0.

Floats that JSON cannot carry are written as the strings "NaN", "Infinity", "-Infinity".
"""

import argparse
import inspect
import json
import math
import os
import sys

os.environ["MAVLINK20"] = "1"
try:
    from pymavlink.dialects.v20 import common as mavlink
except ImportError as error:
    sys.stderr.write(
        "pymavlink is not installed for %s (%s); install the test peers with "
        "`python3 -m pip install -r Tests/requirements.txt`\n" % (sys.executable, error))
    sys.exit(3)

TYPE_SIZES = {"char": 1, "uint8_t": 1, "int8_t": 1, "uint16_t": 2, "int16_t": 2, "uint32_t": 4,
              "int32_t": 4, "float": 4, "uint64_t": 8, "int64_t": 8, "double": 8}


def to_json_value(value):
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, (list, tuple)):
        return [to_json_value(item) for item in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def from_json_value(value):
    if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
        return float(value.replace("Infinity", "inf"))
    if isinstance(value, list):
        return [from_json_value(item) for item in value]
    return value


def message_class(name):
    for cls in mavlink.mavlink_map.values():
        if cls.msgname == name:
            return cls
    raise SystemExit("unknown message name %r" % name)


def parse_key(text):
    key = bytes.fromhex(text)
    if len(key) != 32:
        raise SystemExit("--key must be 64 hex digits (32 bytes), got %d bytes" % len(key))
    return key


def command_message_table(_arguments):
    for message_id, cls in sorted(mavlink.mavlink_map.items()):
        parameters = inspect.signature(cls.__init__).parameters
        extensions = {name for name, parameter in parameters.items() if parameter.default is not inspect.Parameter.empty}
        minimum = maximum = 0
        for name, field_type in zip(cls.fieldnames, cls.fieldtypes):
            count = max(1, cls.array_lengths[cls.ordered_fieldnames.index(name)])
            size = TYPE_SIZES[field_type] * count
            maximum += size
            if name not in extensions:
                minimum += size
        print(json.dumps({"id": message_id, "crc_extra": cls.crc_extra, "minimum_length": minimum,
                          "maximum_length": maximum, "name": cls.msgname}))


def command_decode(arguments):
    unsigned_link = mavlink.MAVLink(None)
    signed_link = mavlink.MAVLink(None)
    if arguments.key:
        signed_link.signing.secret_key = parse_key(arguments.key)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        frame = bytearray(bytes.fromhex(line))
        is_signed = len(frame) > 2 and frame[0] == 0xFD and (frame[2] & 0x01) != 0
        link = signed_link if (is_signed and arguments.key) else unsigned_link
        try:
            message = link.decode(frame)
        except Exception as error:  # pymavlink raises MAVError and struct errors alike
            print(json.dumps({"ok": False, "error": str(error), "signed": is_signed}))
            continue
        header = message.get_header()
        result = {
            "ok": True,
            "name": message.get_type(),
            "id": message.get_msgId(),
            "fields": {name: to_json_value(getattr(message, name)) for name in message.get_fieldnames()},
            "system": header.srcSystem,
            "component": header.srcComponent,
            "sequence": header.seq,
            "signed": is_signed,
            # With a key, pymavlink refuses frames whose signature or timestamp is bad, so a
            # decoded signed frame is a verified one.
            "signature_verified": bool(is_signed and arguments.key),
        }
        if is_signed:
            result["link_id"] = frame[-13]
            result["timestamp"] = int.from_bytes(bytes(frame[-12:-6]), "little")
        print(json.dumps(result))


def command_encode(arguments):
    link = mavlink.MAVLink(None, srcSystem=arguments.system, srcComponent=arguments.component)
    if arguments.key:
        link.signing.secret_key = parse_key(arguments.key)
        link.signing.link_id = arguments.link_id
        link.signing.timestamp = arguments.timestamp
        link.signing.sign_outgoing = True
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        request = json.loads(line)
        cls = message_class(request["name"])
        fields = {name: from_json_value(value) for name, value in request["fields"].items()}
        message = cls(**fields)
        frame = message.pack(link)
        link.seq = (link.seq + 1) % 256
        print(frame.hex())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    subcommands = parser.add_subparsers(dest="command", required=True)
    subcommands.add_parser("message-table", help="print the common dialect's message table")
    decode = subcommands.add_parser("decode", help="decode hex frames from stdin")
    decode.add_argument("--key", help="signing key, 64 hex digits")
    encode = subcommands.add_parser("encode", help="encode JSON messages from stdin")
    encode.add_argument("--system", type=int, required=True)
    encode.add_argument("--component", type=int, required=True)
    encode.add_argument("--key", help="signing key, 64 hex digits; frames are unsigned without it")
    encode.add_argument("--link-id", type=int, default=0)
    encode.add_argument("--timestamp", type=int, default=0, help="first signing timestamp (10 us units since 2015)")
    arguments = parser.parse_args()
    {"message-table": command_message_table, "decode": command_decode, "encode": command_encode}[arguments.command](arguments)


if __name__ == "__main__":
    main()
