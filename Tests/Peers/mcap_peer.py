"""Python's mcap (the Foxglove reference reader) as an independent check of Reins recordings.

usage: mcap_peer.py FILE [--stream] [--offsets]

Default: reads FILE with mcap.reader.make_reader (the seeking reader: footer, summary, chunk
indexes) with CRC validation, and a StreamReader pass with validate_crcs=True so the data-section
CRC in DataEnd and every chunk CRC are checked.
--stream: reads FILE as a crashed recording is read, with NonSeekingReader(record_size_limit=None)
and iter_messages(log_time_order=False), keeping everything before the first error (a file cut
short raises at its end); metadata and attachments likewise, each with a fresh reader. Also reports
what NonSeekingReader(f).iter_messages() with its defaults yields before it raises
("default_order": messages and the error's type): with log_time_order=True it sorts, so it reads to
the end of the file before yielding anything.
--offsets: also lists, for every message found through the summary, its channel, sequence, log time
and the file offset where its record ends (from ChunkIndex and MessageIndex records), the byte range
of every chunk and where each attachment and metadata record ends, so a test can tell which records
lie wholly before a cut.

Prints one JSON object: topics with counts, what Foxglove's JSON Schema reader would reject, first and last tick, episode and event messages,
metadata, attachments (name, media type, size, sha256), the summary's statistics and indexes, and
whether any message contained a NaN/Infinity token (Reins writes null instead).
"""
import argparse
import hashlib
import json
import sys

from mcap.reader import NonSeekingReader, make_reader
from mcap.records import Chunk, MessageIndex
from mcap.stream_reader import StreamReader


SCALARS = {"boolean", "string", "number", "integer"}


def foxglove_problems(schema, path="$"):
    """What Foxglove's JSON Schema reader (parseJsonSchema in foxglove/studio's mcap-support) would
    reject: it needs "type": "object" with properties, and every property one type name out of
    boolean, string, number, integer, object or array (arrays: items of one of those), so a
    nullable ["number", "null"] fails the whole channel."""
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        return [f"{path}: expected an object with properties"]
    problems = []
    for name, field in schema["properties"].items():
        kind = field.get("type")
        if isinstance(kind, str) and kind in SCALARS:
            continue
        if kind == "object":
            problems += foxglove_problems(field, f"{path}.{name}")
        elif kind == "array":
            item = field.get("items", {}).get("type")
            if item == "object":
                problems += foxglove_problems(field["items"], f"{path}.{name}[]")
            elif not (isinstance(item, str) and item in SCALARS):
                problems.append(f"{path}.{name}[]: unsupported item type {item!r}")
        else:
            problems.append(f"{path}.{name}: unsupported type {kind!r}")
    return problems


def reject_constant(name):
    raise ValueError(f"non-JSON constant {name} in a message")


def collect(messages, out):
    topics = {}
    ticks = []
    first_tick = last_tick = None
    first_log = last_log = None
    nan_tokens = False
    for schema, channel, message in messages:
        topics[channel.topic] = topics.get(channel.topic, 0) + 1
        first_log = message.log_time if first_log is None else min(first_log, message.log_time)
        last_log = message.log_time if last_log is None else max(last_log, message.log_time)
        try:
            body = json.loads(message.data, parse_constant=reject_constant)
        except ValueError:
            nan_tokens = True
            continue
        if channel.topic == "/reins/tick":
            ticks.append(body["tick"])
            if first_tick is None:
                first_tick = body
            last_tick = body
            out["last_tick_log_time"] = message.log_time
        elif channel.topic == "/reins/episode":
            out["episodes"].append(body)
        elif channel.topic == "/reins/event":
            out["events"].append(body)
    out["topics"] = topics
    out["messages"] = sum(topics.values())
    out["first_tick"] = first_tick
    out["last_tick"] = last_tick
    out["first_log_time"] = first_log
    out["last_log_time"] = last_log
    out["tick_count"] = len(ticks)
    out["ticks_increasing"] = all(b > a for a, b in zip(ticks, ticks[1:]))
    out["nan_tokens"] = nan_tokens


def guarded(out, key, body):
    try:
        body()
    except Exception as error:  # a cut file raises at its end; keep what came before
        out.setdefault("errors", {})[key] = f"{type(error).__name__}: {error}"


def describe_attachment(attachment):
    return {"name": attachment.name, "media_type": attachment.media_type, "size": len(attachment.data),
            "sha256": hashlib.sha256(attachment.data).hexdigest(), "log_time": attachment.log_time}


def stream(path, out):
    messages = []

    def read_messages():
        with open(path, "rb") as f:
            for item in NonSeekingReader(f, record_size_limit=None).iter_messages(log_time_order=False):
                messages.append(item)

    guarded(out, "messages", read_messages)
    collect(messages, out)

    default_order = {"messages": 0, "error": None}

    def read_with_defaults():
        with open(path, "rb") as f:
            for _ in NonSeekingReader(f).iter_messages():
                default_order["messages"] += 1

    try:
        read_with_defaults()
    except Exception as error:
        default_order["error"] = type(error).__name__
    out["default_order"] = default_order

    def read_metadata():
        with open(path, "rb") as f:
            for record in NonSeekingReader(f, record_size_limit=None).iter_metadata():
                out["metadata"][record.name] = dict(record.metadata)

    def read_attachments():
        with open(path, "rb") as f:
            for record in NonSeekingReader(f, record_size_limit=None).iter_attachments():
                out["attachments"].append(describe_attachment(record))

    guarded(out, "metadata", read_metadata)
    guarded(out, "attachments", read_attachments)


def seeking(path, out, offsets):
    with open(path, "rb") as f:
        reader = make_reader(f, validate_crcs=True)
        header = reader.get_header()
        out["header"] = {"profile": header.profile, "library": header.library}
        summary = reader.get_summary()
        statistics = summary.statistics
        out["statistics"] = None if statistics is None else {
            "message_count": statistics.message_count, "schema_count": statistics.schema_count,
            "channel_count": statistics.channel_count, "attachment_count": statistics.attachment_count,
            "metadata_count": statistics.metadata_count, "chunk_count": statistics.chunk_count,
            "message_start_time": statistics.message_start_time, "message_end_time": statistics.message_end_time,
            "channel_message_counts": {str(k): v for k, v in statistics.channel_message_counts.items()},
        }
        schemas_valid = True
        schema_problems = []
        for schema in summary.schemas.values():
            try:
                parsed = json.loads(schema.data)
                schemas_valid = schemas_valid and schema.encoding == "jsonschema" and parsed.get("type") == "object"
                schema_problems += [f"{schema.name} {problem}" for problem in foxglove_problems(parsed)]
            except ValueError:
                schemas_valid = False
        out["summary"] = {
            "schemas": {str(k): {"name": s.name, "encoding": s.encoding} for k, s in summary.schemas.items()},
            "channels": {str(k): {"topic": c.topic, "message_encoding": c.message_encoding, "schema_id": c.schema_id,
                                  "metadata": dict(c.metadata)} for k, c in summary.channels.items()},
            "chunk_indexes": len(summary.chunk_indexes),
            "attachment_indexes": len(summary.attachment_indexes),
            "metadata_indexes": len(summary.metadata_indexes),
            "schemas_valid": schemas_valid,
            "foxglove_schema_problems": schema_problems,
        }
        collect(list(reader.iter_messages()), out)
        for record in reader.iter_metadata():
            out["metadata"][record.name] = dict(record.metadata)
        for record in reader.iter_attachments():
            out["attachments"].append(describe_attachment(record))
        if offsets:
            out["offsets"] = message_offsets(f, summary)
            out["chunk_ranges"] = sorted([c.chunk_start_offset, c.chunk_start_offset + c.chunk_length]
                                         for c in summary.chunk_indexes)
            out["attachment_ends"] = sorted(a.offset + a.length for a in summary.attachment_indexes)
            out["metadata_ends"] = sorted(m.offset + m.length for m in summary.metadata_indexes)
    # A sequential pass with CRC checks: chunk CRCs and the data-section CRC in DataEnd.
    with open(path, "rb") as f:
        count = sum(1 for _ in StreamReader(f, validate_crcs=True).records)
    out["stream_records_with_crc_checks"] = count


def message_offsets(f, summary):
    """(channel, sequence, log_time, end offset) of every message, from the indexes and chunks."""
    result = []
    for chunk_index in summary.chunk_indexes:
        f.seek(chunk_index.chunk_start_offset)
        raw = f.read(chunk_index.chunk_length)
        records_start = (chunk_index.chunk_start_offset + 9 + 8 + 8 + 8 + 4 + 4 + len(chunk_index.compression) + 8)
        data = raw[records_start - chunk_index.chunk_start_offset:]
        for channel_id, index_offset in chunk_index.message_index_offsets.items():
            f.seek(index_offset)
            record = next(StreamReader(f, skip_magic=True).records)
            assert isinstance(record, MessageIndex)
            for log_time, offset in record.records:
                length = int.from_bytes(data[offset + 1:offset + 9], "little")
                sequence = int.from_bytes(data[offset + 11:offset + 15], "little")
                result.append([channel_id, sequence, log_time, records_start + offset + 9 + length])
    result.sort(key=lambda entry: entry[3])
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--stream", action="store_true")
    parser.add_argument("--offsets", action="store_true")
    args = parser.parse_args()
    out = {"mode": "stream" if args.stream else "seeking", "episodes": [], "events": [], "metadata": {}, "attachments": []}
    if args.stream:
        stream(args.file, out)
    else:
        seeking(args.file, out, args.offsets)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
