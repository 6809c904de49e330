#!/usr/bin/env python3
"""Counts what RaC's table needs from Reins recordings (MCAP, read with the `mcap` package).

    rac-count.py FILE.mcap...   prints one JSON object for all the files together:

episodes, outcomes, takeovers (takeover events), human_ticks and human_seconds (ticks whose source
is `human`, in control seconds: ticks / the recording's control rate, so --speed does not change
them), recovery_ticks, correction_ticks, demo_ticks, demo_seconds, and the files' total ticks.
"""
import json
import sys

from mcap.reader import make_reader


def count(paths):
    totals = {"episodes": 0, "outcomes": {}, "takeovers": 0, "ticks": 0, "human_ticks": 0, "recovery_ticks": 0,
              "correction_ticks": 0, "demo_ticks": 0, "human_seconds": 0.0, "demo_seconds": 0.0}
    for path in paths:
        with open(path, "rb") as stream:
            reader = make_reader(stream)
            rate = None
            for record in reader.iter_metadata():
                if record.name == "robot":
                    rate = float(record.metadata["control_rate_hz"])
            if not rate:
                sys.exit(f"{path}: no robot metadata with control_rate_hz")
            human = demo = 0
            for _, channel, message in reader.iter_messages(topics=["/reins/tick", "/reins/event", "/reins/episode"]):
                data = json.loads(message.data)
                if channel.topic == "/reins/tick":
                    totals["ticks"] += 1
                    if data.get("source") == "human":
                        human += 1
                    segment = data.get("segment")
                    if segment == "recovery":
                        totals["recovery_ticks"] += 1
                    elif segment == "correction":
                        totals["correction_ticks"] += 1
                    elif segment == "demo":
                        demo += 1
                elif channel.topic == "/reins/event":
                    if data.get("kind") == "takeover":
                        totals["takeovers"] += 1
                elif data.get("event") == "end":
                    totals["episodes"] += 1
                    outcome = data.get("outcome", "unknown")
                    totals["outcomes"][outcome] = totals["outcomes"].get(outcome, 0) + 1
            totals["human_ticks"] += human
            totals["demo_ticks"] += demo
            totals["human_seconds"] += human / rate
            totals["demo_seconds"] += demo / rate
    return totals


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print(json.dumps(count(sys.argv[1:])))
