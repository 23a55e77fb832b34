import os
import time

# Seconds the test runs: the end-to-end test writes duration.txt into its copy of this project.
DURATION = float(open(os.path.join(os.path.dirname(__file__), "duration.txt")).read())


def test_slow():
    deadline = time.time() + DURATION
    n = 0
    while time.time() < deadline:
        print(f"tick {n}", flush=True)
        n += 1
        time.sleep(0.2)
    assert True
