#!/usr/bin/env python3
"""Helpers of run-all.sh (one file, one subcommand each, standard library only).

  stamp                                 read stdin; for lines "T <time_ns>" print the delay at arrival (ms), one per line
  percentiles FILE                      p50 p99 max of the numbers in FILE
  hyperfine JSON BASE_INDEX             "name|median_ms|mean_ms|ratio_median|ratio_mean" per command of a hyperfine export
"""
import json
import sys
import time

def stamp():
    for line in sys.stdin.buffer:
        now = time.time_ns()
        if line.startswith(b"T "):
            try:
                print(f"{(now - int(line[2:].split()[0])) / 1e6:.3f}", flush=False)
            except ValueError:
                pass


def percentiles(path):
    values = sorted(float(v) for v in open(path).read().split())
    if not values:
        print("nan nan nan 0")
        return
    def at(q):
        return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]
    print(f"{at(0.5):.2f} {at(0.99):.2f} {values[-1]:.2f} {len(values)}")


def hyperfine(path, base_index):
    results = json.load(open(path))["results"]
    base = results[int(base_index)]
    for r in results:
        print(f"{r['command']}|{r['median'] * 1000:.2f}|{r['mean'] * 1000:.2f}|{r['median'] / base['median']:.2f}|{r['mean'] / base['mean']:.2f}")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"stamp": stamp,
     "percentiles": lambda: percentiles(args[0]),
     "hyperfine": lambda: hyperfine(*args)}[command]()
