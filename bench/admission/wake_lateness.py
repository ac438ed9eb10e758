#!/usr/bin/env python3
"""How late a sleeping thread wakes on this machine, for SECONDS seconds.

    bench/admission/wake_lateness.py SECONDS [LABEL]

Sleeps 1 ms at a time and records how much later than asked it got the CPU back:
the scheduler's part of any request's latency, for a thread that does nothing
else. run.sh runs it alone before the load, then beside the 5,000 req/s run,
where every thread of the server and the clients waits for a core the same way
(a request crosses three such wake-ups in the server: its read, the worker pool,
its answer). Prints one line: p50, p99, p99.9 and max lateness in milliseconds.
"""
import sys
import time

seconds = float(sys.argv[1])
label = sys.argv[2] if len(sys.argv) > 2 else "wake-up lateness"
late = []
end = time.monotonic() + seconds
while time.monotonic() < end:
    start = time.perf_counter_ns()
    time.sleep(0.001)
    late.append((time.perf_counter_ns() - start) / 1e6 - 1.0)
late.sort()
pct = lambda p: late[min(len(late) - 1, int(p / 100 * len(late)))]
print(f"{label}: p50 {pct(50):.2f} ms, p99 {pct(99):.2f} ms, p99.9 {pct(99.9):.2f} ms, "
      f"max {late[-1]:.2f} ms ({len(late)} sleeps of 1 ms)")
