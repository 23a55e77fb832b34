#!/usr/bin/env python3
"""Writes a reproducible project tree for packing benchmarks: about 2,400 files / 36 MB by default, mostly
Python-like source text (compresses about 4-5x with deflate) plus incompressible binaries (random bytes, some
named like compressed formats). Fixed seed: the same arguments give the same bytes.

usage: gen-tree.py DIR [--files N] [--megabytes M] [--seed S]
"""
import argparse, os, random

WORDS = ("self value result index count items data config path name error item key node parent child "
         "request response buffer offset length total limit token state event handler client server job "
         "queue status message logger options settings cache entry record table column row field").split()
KEYWORDS = ["def", "return", "if", "else", "for", "in", "while", "import", "from", "class", "with", "as", "try", "except", "raise", "yield", "not", "and", "or", "None", "True", "False"]


def ident(rng):
    return "_".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))


def source_file(rng, size):
    lines = []
    total = 0
    while total < size:
        indent = "    " * rng.randint(0, 3)
        kind = rng.random()
        if kind < 0.15:
            line = f"def {ident(rng)}({ident(rng)}, {ident(rng)}={rng.randint(0, 999)}):"
        elif kind < 0.3:
            line = f"{ident(rng)} = {ident(rng)}.{ident(rng)}({ident(rng)}, {rng.randint(0, 99999)})"
        elif kind < 0.4:
            line = f"{rng.choice(KEYWORDS)} {ident(rng)} {rng.choice(KEYWORDS)} {ident(rng)}:"
        elif kind < 0.5:
            line = f"# {' '.join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))}"
        elif kind < 0.6:
            line = f"return {ident(rng)}[{rng.randint(0, 64)}] + \"{ident(rng)}-{rng.getrandbits(32):08x}\""
        else:
            line = f"{ident(rng)}.{ident(rng)}({', '.join(ident(rng) for _ in range(rng.randint(0, 4)))})"
        lines.append(indent + line)
        total += len(indent) + len(line) + 1
    return ("\n".join(lines) + "\n").encode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--files", type=int, default=2400)
    parser.add_argument("--megabytes", type=float, default=33)
    parser.add_argument("--seed", type=int, default=20261130)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    binaries = args.files // 12
    texts = args.files - binaries
    total = int(args.megabytes * 1024 * 1024)
    text_bytes = total * 6 // 10
    binary_bytes = total - text_bytes
    for i in range(texts):
        folder = os.path.join(args.dir, f"pkg{i % 40:02d}", f"sub{i % 7}")
        os.makedirs(folder, exist_ok=True)
        size = max(200, int(rng.expovariate(1.0) * text_bytes / texts))
        ext = rng.choice([".py", ".py", ".py", ".md", ".txt", ".json"])
        with open(os.path.join(folder, f"module_{i:04d}{ext}"), "wb") as f:
            f.write(source_file(rng, size))
    for i in range(binaries):
        folder = os.path.join(args.dir, "assets", f"set{i % 10}")
        os.makedirs(folder, exist_ok=True)
        size = max(1000, int(rng.expovariate(1.0) * binary_bytes / binaries))
        ext = rng.choice([".bin", ".dat", ".png", ".gz", ".whl"])
        with open(os.path.join(folder, f"blob_{i:04d}{ext}"), "wb") as f:
            f.write(rng.randbytes(size))


if __name__ == "__main__":
    main()
