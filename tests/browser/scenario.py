"""scenario.py - the 3 April 2024 evening, brought to the present for the
browser test: `downwatch simulate --scenario meta-2024-04-03` cut at an
event time inside the outage (so WhatsApp is still down when the pages
load), every ts moved by one whole number of minutes so that the cut falls
on the current minute, then replayed into a server with the replay token.

Why move it: the server's detector runs on event time and follows the wall
clock once its watermark is within ten minutes of it. A trace left in 2024
would show its own last 24 h, but a report sent from the page (stamped with
the server's clock) would move the watermark to today, and the count it
should raise would be in another day. Moved to now, the trace and the
page's report share one clock, as on a live server."""
import datetime
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import run  # noqa: E402

SCENARIO = "meta-2024-04-03"
CUT = datetime.datetime(2024, 4, 3, 17, 30, tzinfo=datetime.timezone.utc)


def prepare(out_dir, scale="0.05", now=None):
    """Write out_dir/live.ndjson: the scenario up to CUT, moved so that CUT
    is the start of the current minute. Returns (path, shift in seconds)."""
    p = run(["simulate", "--scenario", SCENARIO, "--scale", scale, "--out", out_dir])
    if p.returncode != 0:
        raise RuntimeError(p.stderr)
    now = int(now if now is not None else time.time())
    shift = (now - now % 60) - int(CUT.timestamp())
    cut = CUT.strftime("%Y-%m-%dT%H:%M:%SZ")
    src = os.path.join(out_dir, SCENARIO + ".ndjson")
    dst = os.path.join(out_dir, "live.ndjson")
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    with open(src) as f, open(dst, "w") as g:
        for line in f:
            # {"ts":"2024-03-27T00:00:07Z",... : the simulator's fixed layout
            ts = line[7:27]
            if ts >= cut:
                break  # the trace is sorted by ts
            t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
            moved = epoch + datetime.timedelta(seconds=int(t.timestamp()) + shift)
            g.write(line[:7] + moved.strftime("%Y-%m-%dT%H:%M:%SZ") + line[27:])
    return dst, shift
