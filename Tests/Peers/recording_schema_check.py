"""Validates every message of a Reins recording against the JSON Schema its channel advertises.

usage: recording_schema_check.py FILE

Reads FILE with Python's mcap (the seeking reader), takes each channel's schema from the file's
own Schema record, checks the schema itself (its "$schema" dialect, JSON Schema 2020-12 when it
names none) and validates every message with the jsonschema package. Messages are parsed strictly:
a NaN or Infinity token counts as an invalid message.

Prints one JSON object:
  topics               messages per topic
  invalid              invalid messages per topic
  errors               up to 20 of them: topic, log time, the failing path and jsonschema's message
  schema_problems      schemas that are not valid JSON Schema, or not jsonschema-encoded JSON
  non_finite           per array field, how many entries `non_finite` named, by value (nan, inf, -inf)
  ticks_with_non_finite
  absent_monitor       how many ticks omitted each optional monitor field
  state_age_ns         the smallest and largest timing.state_age_ns seen
"""
import json
import sys

import jsonschema
from jsonschema.validators import validator_for
from mcap.reader import make_reader


def reject_constant(name):
    raise ValueError(f"non-JSON constant {name}")


def main():
    path = sys.argv[1]
    out = {"topics": {}, "invalid": {}, "errors": [], "schema_problems": [], "non_finite": {},
           "ticks_with_non_finite": 0, "absent_monitor": {}, "state_age_ns": None}
    validators = {}
    with open(path, "rb") as f:
        reader = make_reader(f)
        for schema, channel, message in reader.iter_messages(log_time_order=False):
            topic = channel.topic
            out["topics"][topic] = out["topics"].get(topic, 0) + 1
            if channel.id not in validators:
                validators[channel.id] = None
                if schema is None or schema.encoding != "jsonschema" or channel.message_encoding != "json":
                    out["schema_problems"].append(f"{topic}: not a JSON channel with a jsonschema schema")
                else:
                    try:
                        document = json.loads(schema.data)
                        cls = validator_for(document, default=jsonschema.Draft202012Validator)
                        cls.check_schema(document)
                        validators[channel.id] = cls(document)
                    except (ValueError, jsonschema.SchemaError) as error:
                        out["schema_problems"].append(f"{topic}: {type(error).__name__}: {error}")
            validator = validators[channel.id]
            try:
                body = json.loads(message.data, parse_constant=reject_constant)
            except ValueError as error:
                out["invalid"][topic] = out["invalid"].get(topic, 0) + 1
                if len(out["errors"]) < 20:
                    out["errors"].append({"topic": topic, "log_time": message.log_time, "path": "$", "message": str(error)})
                continue
            if validator is not None:
                errors = list(validator.iter_errors(body))
                if errors:
                    out["invalid"][topic] = out["invalid"].get(topic, 0) + 1
                    for error in errors:
                        if len(out["errors"]) < 20:
                            out["errors"].append({"topic": topic, "log_time": message.log_time,
                                                  "path": error.json_path, "message": error.message})
            if topic == "/reins/tick" and isinstance(body, dict):
                entries = body.get("non_finite", [])
                if entries:
                    out["ticks_with_non_finite"] += 1
                for entry in entries:
                    counts = out["non_finite"].setdefault(entry["field"], {})
                    counts[entry["value"]] = counts.get(entry["value"], 0) + 1
                for field in ("sensitivity", "innovation_jump", "confidence", "entropy"):
                    if field not in body.get("monitor", {}):
                        out["absent_monitor"][field] = out["absent_monitor"].get(field, 0) + 1
                age = body.get("timing", {}).get("state_age_ns")
                if isinstance(age, int):
                    low, high = out["state_age_ns"] or (age, age)
                    out["state_age_ns"] = [min(low, age), max(high, age)]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
