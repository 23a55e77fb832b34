"""Writes a pytest suite whose tests sleep (fixed seed): sleep-suite.py DIR COUNT LOW HIGH; prints total and longest."""
import os
import random
import sys

folder, count, low, high = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
draw = random.Random(16)
times = [round(draw.uniform(low, high), 3) for _ in range(count)]
os.makedirs(os.path.join(folder, "tests"), exist_ok=True)
for start in range(0, count, 5):
    with open(os.path.join(folder, "tests", f"test_group{start // 5}.py"), "w") as module:
        module.write("import time\n\n")
        for i in range(start, min(start + 5, count)):
            module.write(f"def test_{i}():\n    time.sleep({times[i]})\n\n")
print(f"{sum(times):.3f} {max(times):.3f}")
