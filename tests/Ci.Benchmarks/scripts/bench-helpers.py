#!/usr/bin/env python3
"""Helpers of run-all.sh (one file, one subcommand each, standard library only).

  tree DIR [SEED]                       generate the packing tree: ~2,400 files / ~36 MB, source text and binaries
  zipfile SRC OUT                       pack SRC with Python's zipfile (deflate), the packing baseline
  proxy LISTEN_PORT TARGET_PORT FILE    forward TCP, writing "connections bytes_client_to_server" to FILE after each connection
  stamp                                 read stdin; for lines "T <time_ns>" print the delay at arrival (ms), one per line
  percentiles FILE                      p50 p99 max of the numbers in FILE
  hyperfine JSON BASE_INDEX             "name|median_ms|mean_ms|ratio_median|ratio_mean" per command of a hyperfine export
"""
import asyncio
import json
import os
import random
import statistics
import sys
import time
import zipfile

WORDS = ("def class return import from self value result assert test data index item config path file "
         "number string list dict yield async await lambda None True False raise except finally with").split()


def tree(root, seed=9):
    rng = random.Random(seed)
    total = 0
    # 2,000 source files (~7 KB each, compress ~4x) and 400 binaries (~55 KB each, incompressible).
    for i in range(2000):
        folder = os.path.join(root, f"pkg{i % 40:02d}", f"sub{i % 7}")
        os.makedirs(folder, exist_ok=True)
        lines = []
        size = rng.randint(1000, 13000)
        length = 0
        while length < size:
            indent = "    " * rng.randint(0, 3)
            line = indent + " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 12))) + f"  # {rng.randint(0, 10**6)}"
            lines.append(line)
            length += len(line) + 1
        text = "\n".join(lines) + "\n"
        with open(os.path.join(folder, f"mod{i:04d}.py"), "w") as f:
            f.write(text)
        total += len(text)
    for i in range(400):
        folder = os.path.join(root, "assets", f"set{i % 10}")
        os.makedirs(folder, exist_ok=True)
        data = rng.randbytes(rng.randint(10000, 100000))
        with open(os.path.join(folder, f"blob{i:03d}" + rng.choice([".png", ".gz", ".bin", ".whl"])), "wb") as f:
            f.write(data)
        total += len(data)
    print(f"{2400} files, {total / 1e6:.1f} MB")


def zip_with_zipfile(source, out):
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder, folders, files in os.walk(source):
            folders.sort()
            for name in sorted(files):
                path = os.path.join(folder, name)
                archive.write(path, os.path.relpath(path, source))


def proxy(listen_port, target_port, counter_file):
    state = {"connections": 0, "bytes": 0}

    async def pipe(reader, writer, count):
        try:
            while data := await reader.read(65536):
                if count:
                    state["bytes"] += len(data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def handle(client_reader, client_writer):
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
        await asyncio.gather(pipe(client_reader, server_writer, True), pipe(server_reader, client_writer, False))
        state["connections"] += 1
        with open(counter_file + ".tmp", "w") as f:
            f.write(f"{state['connections']} {state['bytes']}\n")
        os.replace(counter_file + ".tmp", counter_file)

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
        with open(counter_file, "w") as f:
            f.write("0 0\n")
        async with server:
            await server.serve_forever()

    asyncio.run(main())


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
    {"tree": lambda: tree(args[0], int(args[1]) if len(args) > 1 else 9),
     "zipfile": lambda: zip_with_zipfile(*args),
     "proxy": lambda: proxy(int(args[0]), int(args[1]), args[2]),
     "stamp": stamp,
     "percentiles": lambda: percentiles(args[0]),
     "hyperfine": lambda: hyperfine(*args)}[command]()
