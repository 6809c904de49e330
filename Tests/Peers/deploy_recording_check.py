"""Checks a deploy recording with Python's mcap, independently of Reins' own reader.

usage: deploy_recording_check.py FILE BOUNDS_JSON [--stream]

BOUNDS_JSON: a JSON list of [low, high] per action entry (the robot's limits). Reads every
/reins/tick message (with NonSeekingReader, keeping what precedes the first error, when --stream is
given: a recording whose process was killed) and prints one JSON object: ticks, the first and last
tick numbers and log times (ns), applied actions outside the bounds, non-finite applied actions,
counts of each clamp reason, ticks with a non-finite proposed action, /reins/event kinds, and the
outcomes on /reins/episode.

Non-finite array entries are read as recordings store them: 0 in the array, with the entry and its
value named in the tick's `non_finite` list (format 1 recordings wrote null instead; both are read).
"""
import json
import math
import sys

from mcap.reader import NonSeekingReader, make_reader


NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def arrays(tick):
    """The tick's five arrays with NaN and infinities put back where `non_finite` says they were."""
    values = {name: [math.nan if v is None else v for v in tick[name]]
              for name in ("state", "observation", "proposed", "corrected", "applied")}
    for entry in tick.get("non_finite", []):
        values[entry["field"]][entry["index"]] = NON_FINITE[entry["value"]]
    return values


def main():
    path, bounds = sys.argv[1], json.loads(sys.argv[2])
    stream = "--stream" in sys.argv
    result = {"ticks": 0, "violations": 0, "non_finite_applied": 0, "non_finite_proposed": 0, "clamps": {},
              "events": [], "outcomes": [], "first_tick": None, "last_tick": None, "last_log_time": None, "error": None}
    with open(path, "rb") as f:
        reader = NonSeekingReader(f, record_size_limit=None) if stream else make_reader(f)
        try:
            for schema, channel, message in reader.iter_messages(log_time_order=False):
                data = json.loads(message.data)
                if channel.topic == "/reins/tick":
                    result["ticks"] += 1
                    if result["first_tick"] is None:
                        result["first_tick"] = data["tick"]
                    result["last_tick"] = data["tick"]
                    result["last_log_time"] = message.log_time
                    values = arrays(data)
                    for value, (low, high) in zip(values["applied"], bounds):
                        if not math.isfinite(value):
                            result["non_finite_applied"] += 1
                        elif value < low - 1e-9 or value > high + 1e-9:
                            result["violations"] += 1
                    if not all(math.isfinite(v) for v in values["proposed"]):
                        result["non_finite_proposed"] += 1
                    for reason in data["clamps"]:
                        result["clamps"][reason] = result["clamps"].get(reason, 0) + 1
                elif channel.topic == "/reins/event":
                    result["events"].append(data["kind"])
                elif channel.topic == "/reins/episode" and data.get("event") == "end":
                    result["outcomes"].append(data.get("outcome"))
        except Exception as error:  # a killed recording ends mid-record
            if not stream:
                raise
            result["error"] = type(error).__name__
    print(json.dumps(result))


if __name__ == "__main__":
    main()
