#!/usr/bin/env python3
"""What each piece of a job's confinement costs on its own (issue 15), next to what a trivial job does anyway.

Times, ROUNDS times each (median and min in ms), the host-side work the server does per job and per step with the
same tools and arguments it uses: the job's cgroup (mkdir in every v1 hierarchy or in v2, limits written, the
entering shell, rmdir), its disk (tmpfs mount with size=, bind of its TMPDIR, umount), the per-slot uid drop (setpriv),
bwrap with the job's mount layout, and its network (ip netns + pasta). Then, for scale, what every job runs anyway:
python3 starting, a venv, and pytest on one test. Run as root on Linux with bwrap, setpriv, ip and pasta.
Usage: tests/Ci.Benchmarks/scripts/confinement-parts.py [ROUNDS]   (default 20); PYTHON (default /usr/bin/python3).
"""
import os, shutil, statistics, subprocess, sys, tempfile, time, uuid

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
PYTHON = os.environ.get("PYTHON", "/usr/bin/python3")
if os.geteuid() != 0:
    sys.exit("Error: run as root (cgroups, mounts, namespaces)")
TMP = tempfile.mkdtemp(prefix="ci-parts-")
os.chmod(TMP, 0o711)
UID = 62999  # a uid no job of a running server has (the default range is 62000-62063)


def run(*command, **kwargs):
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)


def cgroup_roots():
    """The folders job cgroups go under: v2 with memory+pids, else the v1 memory, pids, cpu and freezer hierarchies."""
    mounts = [line.split() for line in open("/proc/self/mounts")]
    for _, point, kind, *_ in mounts:
        if kind == "cgroup2" and {"memory", "pids"} <= set(open(f"{point}/cgroup.controllers").read().split()):
            return {"": point}
    roots = {}
    for _, point, kind, options, *_ in mounts:
        for controller in ["memory", "pids", "cpu", "freezer"]:
            if kind == "cgroup" and controller in options.split(",") and controller not in roots:
                own = next(l.split(":", 2)[2].strip() for l in open("/proc/self/cgroup") if controller in l.split(":")[1].split(","))
                roots[controller] = point + own.rstrip("/")
    return roots


ROOTS = cgroup_roots()


def cgroup_job():
    """Create the job's cgroup with the default limits, run one program inside it, remove it: what JobCgroup does."""
    name = f"ci-parts-{uuid.uuid4().hex[:8]}"
    folders = [f"{root}/{name}" for root in ROOTS.values()]
    for controller, root in ROOTS.items():
        folder = f"{root}/{name}"
        os.mkdir(folder)
        limits = {"": {"memory.max": "2147483648", "pids.max": "1024", "cpu.max": "200000 100000"},
                  "memory": {"memory.limit_in_bytes": "2147483648"}, "pids": {"pids.max": "1024"},
                  "cpu": {"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "200000"}, "freezer": {}}[controller]
        for file, value in limits.items():
            with open(f"{folder}/{file}", "w") as f:
                f.write(value)
    script = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'
    run("/bin/sh", "-c", script, "ci-cgroup", *[f"{f}/cgroup.procs" for f in folders], "--", "/bin/true")
    for folder in folders:
        os.rmdir(folder)


def disk():
    """The job's 4096 MiB tmpfs, its TMPDIR bound beside it, both detached again: what JobDisk and JobTemp do."""
    folder = f"{TMP}/{uuid.uuid4().hex[:8]}"
    os.mkdir(folder)
    run("mount", "-t", "tmpfs", "-o", f"size={4096 << 20},mode=0755,nosuid,nodev", "ci-job", folder)
    os.mkdir(f"{folder}/tmp")
    os.mkdir(folder + ".tmp")
    run("mount", "--bind", f"{folder}/tmp", folder + ".tmp")
    run("umount", "-l", folder + ".tmp")
    run("umount", "-l", folder)
    os.rmdir(folder + ".tmp")
    os.rmdir(folder)


SETPRIV = ["setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]


def bwrap_arguments():
    work = f"{TMP}/work"
    os.makedirs(f"{work}/tmp", exist_ok=True)
    arguments = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    for folder in ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"]:
        if os.path.islink(folder):
            arguments += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            arguments += ["--ro-bind", folder, folder]
    return arguments + ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/dev/shm", "--bind", f"{work}/tmp", "/tmp",
                        "--bind", work, "/ci", "--chdir", "/ci", "--clearenv", "--"]


BWRAP = bwrap_arguments()


def network():
    """The job's namespace with its loopback up and pasta connected, then deleted: what JobNetwork does (rules left out)."""
    name = f"ci-parts-{uuid.uuid4().hex[:8]}"
    pid_file = f"{TMP}/{name}.pid"
    run("ip", "netns", "add", name)
    try:
        run("ip", "-n", name, "link", "set", "lo", "up")
        run("env", "--default-signal=PIPE", "pasta", "--runas", "0", "--netns", name, "--config-net", "--no-map-gw", "--quiet",
            "-t", "none", "-u", "none", "-T", "none", "-U", "none", "--pid", pid_file)
    finally:
        run("ip", "netns", "del", name)
        if os.path.exists(pid_file):
            try:
                os.kill(int(open(pid_file).read()), 9)
            except (ProcessLookupError, ValueError):
                pass
            os.remove(pid_file)


VENV_ROUND = [0]


def venv():
    VENV_ROUND[0] += 1
    folder = f"{TMP}/venv{VENV_ROUND[0]}"
    run(PYTHON, "-m", "venv", "--without-pip", "--system-site-packages", folder)
    shutil.rmtree(folder)


os.makedirs(f"{TMP}/project")
with open(f"{TMP}/project/test_ok.py", "w") as f:
    f.write("def test_ok():\n    assert True\n")

parts = [
    ("per step: exec /bin/true (reference)", lambda: run("/bin/true")),
    ("per step: setpriv to the slot's uid", lambda: run(*SETPRIV, "/bin/true")),
    ("per step: bwrap with the job's mounts", lambda: run(*BWRAP, "/bin/true")),
    ("per step: bwrap + setpriv (as a job step)", lambda: run(*BWRAP, *SETPRIV, "/bin/true")),
    ("per job: cgroup made, limits, entered, removed", cgroup_job),
    ("per job: 4 GiB tmpfs + /tmp bind, mount and umount", disk),
    ("per job: network namespace + pasta (outbound)", network),
    ("every job anyway: python3 -c pass", lambda: run(PYTHON, "-c", "pass")),
    ("every job anyway: python3 -m venv (no pip)", venv),
    ("every job anyway: pytest on one test", lambda: run(PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=f"{TMP}/project")),
]
try:
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, {ROUNDS} rounds each, "
          f"cgroup {'v2' if '' in ROOTS else 'v1'} ({', '.join(ROOTS) or 'unified'}), ms")
    for label, part in parts:
        times = []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            part()
            times.append((time.perf_counter() - start) * 1000)
        print(f"{label:52} median {statistics.median(times):7.1f}  min {min(times):7.1f}")
finally:
    shutil.rmtree(TMP, ignore_errors=True)
