#!/usr/bin/env python3
"""The profile that gitopsc as shipped is optimised with (profile-guided optimisation).

The shipped binary (benches/bench.py builds it) is compiled twice: once instrumented to count
how often each branch and call runs, then again with those counts, so the compiler lays out,
inlines and orders code for the paths programs actually take. This script makes the counts:

  1. builds gitopsc as shipped, plus `-C profile-generate`, in target/pgo-generate;
  2. runs it on the training set: `--version`; `check`, `build --stdout` and `build -o` of
     every example and of a generated monorepo of 300 services (benches/gen_workload.py, the
     benchmark's shape at a smaller size: the code layout, benches/layout.py, is made from the
     same runs); `build --stdout` of every feature case in tests/cases; `check` of every
     diagnostic case in tests/diagnostics (programs with errors, or warnings); each command
     must end as expected (success, or failure for a case with errors);
  3. merges the counts with llvm-profdata into target/pgo/DIGEST.profdata.

DIGEST is a digest of the sources, the lock file, the compiler and the flags: a change to any
makes a new profile, and since its path is part of the flags, cargo builds the shipped binary
again with it.

llvm-profdata must read the counts rustc's LLVM writes: it is taken from $LLVM_PROFDATA, else
rustup's llvm-tools component (`rustup component add llvm-tools`), else the newest
`llvm-profdata-N` or `llvm-profdata` on the PATH (Debian: `apt install llvm-19`).
See book/src/contributing/decisions/pgo.md.

usage: benches/pgo.py     (prints the profile's path)
"""
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import bench  # noqa: E402

PROFILE_DIR = os.path.join(ROOT, "target", "pgo")
# Sources whose change makes a new profile: the compiler, the standard library, the
# dependencies and the build settings.
SOURCES = ["compiler", "stdlib", "Cargo.toml", "Cargo.lock", "benches/pgo.py",
           "benches/gen_workload.py"]
# The code layout only places functions; it changes no count.
NOT_SOURCES = [os.path.join("compiler", "link")]


def llvm_profdata():
    """The llvm-profdata to merge with, or exits saying how to get one."""
    chosen = os.environ.get("LLVM_PROFDATA")
    if chosen:
        return chosen
    sysroot = subprocess.run(["rustc", "--print", "sysroot"], check=True,
                             stdout=subprocess.PIPE, text=True).stdout.strip()
    tools = glob.glob(os.path.join(sysroot, "lib", "rustlib", "*", "bin", "llvm-profdata"))
    if tools:
        return tools[0]
    found = []
    for d in os.environ.get("PATH", "").split(os.pathsep):
        for path in glob.glob(os.path.join(d, "llvm-profdata*")):
            m = re.fullmatch(r"llvm-profdata(?:-(\d+))?", os.path.basename(path))
            if m and os.access(path, os.X_OK):
                found.append((int(m.group(1) or 0), path))
    if not found:
        sys.exit("benches/pgo.py: no llvm-profdata: set LLVM_PROFDATA, or run "
                 "`rustup component add llvm-tools`, or install LLVM (Debian: apt install llvm-19)")
    return max(found)[1]


def digest(flags):
    """A digest of everything the profile depends on."""
    h = hashlib.sha256()
    h.update(subprocess.run(["rustc", "-vV"], check=True, stdout=subprocess.PIPE).stdout)
    h.update("\x1f".join(flags).encode())
    for top in SOURCES:
        path = os.path.join(ROOT, top)
        files = [path] if os.path.isfile(path) else sorted(
            os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs
            if not any(os.path.relpath(d, ROOT).startswith(n) for n in NOT_SOURCES))
        for f in files:
            h.update(os.path.relpath(f, ROOT).encode() + b"\0")
            with open(f, "rb") as fh:
                h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()


def training_runs(tmp):
    """The commands the instrumented binary runs: (arguments, whether it succeeds). A
    diagnostic case fails unless it only warns (`wNNNN-...`)."""
    workload = bench.write_workload(os.path.join(tmp, "monorepo.gitops"), 300)
    examples = os.path.join(ROOT, "examples")
    programs = [workload] + [os.path.join(examples, ex) for ex in sorted(os.listdir(examples))
                             if os.path.isdir(os.path.join(examples, ex))]
    runs = [(["--version"], True)]
    for i, path in enumerate(programs):
        # Into an empty folder, then into the same folder up to date.
        folder = os.path.join(tmp, f"out-{i}")
        runs += [(["check", path], True), (["build", path, "--stdout"], True),
                 (["build", path, "-o", folder], True), (["build", path, "-o", folder], True)]
    for case in sorted(glob.glob(os.path.join(ROOT, "tests", "cases", "*", "*.gitops"))):
        runs.append((["build", case, "--stdout"], True))
    for case in sorted(glob.glob(os.path.join(ROOT, "tests", "diagnostics", "*.gitops"))):
        runs.append((["check", case], os.path.basename(case).startswith("w")))
    return runs


def train(binary, raw):
    """Runs the training set with the counts written under `raw`."""
    tmp = tempfile.mkdtemp(prefix="gitopsc-pgo-")
    env = dict(os.environ, LLVM_PROFILE_FILE=os.path.join(raw, "gitopsc-%m-%p.profraw"))
    try:
        for args, succeeds in training_runs(tmp):
            p = subprocess.run([binary, *args], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
            if (p.returncode == 0) != succeeds:
                sys.exit(f"benches/pgo.py: gitopsc {' '.join(args)} exited with "
                         f"{p.returncode}, expected {'success' if succeeds else 'failure'}:\n"
                         f"{p.stderr.decode()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def profile(flags):
    """The path of the profile for a build with `flags` (a list), made if missing."""
    path = os.path.join(PROFILE_DIR, digest(flags)[:16] + ".profdata")
    if os.path.exists(path):
        return path
    merge = llvm_profdata()
    raw = os.path.join(PROFILE_DIR, "raw")
    shutil.rmtree(raw, ignore_errors=True)
    os.makedirs(raw)
    print("benches/pgo.py: building the instrumented binary and running the training set",
          file=sys.stderr)
    binary = bench.build_static(flags + [f"-Cprofile-generate={raw}"],
                                target_dir=os.path.join(ROOT, "target", "pgo-generate"))
    train(binary, raw)
    for old in glob.glob(os.path.join(PROFILE_DIR, "*.profdata")):
        os.remove(old)
    subprocess.run([merge, "merge", "-o", path + ".tmp",
                    *glob.glob(os.path.join(raw, "*.profraw"))], check=True)
    os.replace(path + ".tmp", path)
    shutil.rmtree(raw, ignore_errors=True)
    return path


if __name__ == "__main__":
    print(profile(bench.shipped_rustflags()))
