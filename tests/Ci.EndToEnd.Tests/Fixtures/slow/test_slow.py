import os
import time

# Seconds the test runs: the end-to-end test writes duration.txt into its copy of this project.
DURATION = float(open(os.path.join(os.path.dirname(__file__), "duration.txt")).read())


def test_slow(capsys):
    deadline = time.time() + DURATION
    n = 0
    while time.time() < deadline:
        # Past pytest's capture, so each tick reaches the job's log while the test runs.
        with capsys.disabled():
            print(f"tick {n}", flush=True)
        n += 1
        time.sleep(0.2)
