#!/usr/bin/env python3
"""Regenerates compiler/link/hot.ld, the code layout of gitopsc as shipped.

Linux maps a program's code in 64 KiB windows around each page it runs (fault-around), so a
function that runs in a build, among functions that never do, makes a whole window resident.
Left to itself the linker scatters the code a build runs over most of the binary. hot.ld is a
linker script that gathers it into one output section, `.text.hot`, ahead of the rest of the
code; nothing else about the binary changes. See book/src/contributing/decisions/code-layout.md.

This script builds gitopsc as shipped (benches/bench.py), runs it under callgrind on the
commands users run most (--version; check and build of every example; check and build of the
benchmark workload, to a stream, to an empty folder and to an up-to-date folder) and writes
one pattern per function that ran:

  - Rust functions by their symbol name, less the parts that change from one build to the next
    (the hash of a legacy name, the crate hash of a v0 name, a numbered copy's suffix), so the
    file keeps its effect across edits and compiler versions; each in the three sections LLVM
    may put it in: `.text.NAME`, and with the profile (benches/pgo.py) `.text.hot.NAME` for a
    function the training runs often and `.text.unlikely.NAME` for one they never run;
  - C library functions by the archive member that holds them, widened to the member's other
    CPU variants (memmove-avx2, memmove-evex, ...): valgrind runs the variants for its own CPU.

A function missing from the file still links and runs; it only lands among the cold code.
Run it after large changes to what a build runs:  benches/layout.py  (needs valgrind and nm).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "compiler", "link", "hot.ld")
sys.path.insert(0, HERE)
import bench  # noqa: E402


# The C runtime's objects (rcrt1.o, crti.o, crtbeginS.o, ...), by name.
CRT = ["*crt1.o", "*crti.o", "*crtn.o", "*crtbegin*.o", "*crtend*.o"]


def ran(binary, args, tmp):
    """Mangled names of the functions `binary args` ran, from callgrind."""
    out = os.path.join(tmp, "callgrind.out")
    subprocess.run(
        ["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={out}",
         binary, *args],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    names = set()
    with open(out) as f:
        for line in f:
            m = re.match(r"c?fn=\(\d+\) (.+)$", line)
            if m:
                names.add(m.group(1))
    os.remove(out)
    return names


def rust_pattern(name):
    """The symbol's name as a glob that survives rebuilds, or None for a non-Rust symbol."""
    if not (name.startswith("_ZN") or name.startswith("_R")):
        return None
    numbered = re.search(r"(\.llvm)?\.\d+$", name)
    if numbered:
        name = name[: numbered.start()]
    name = re.sub(r"17h[0-9a-f]{16}E$", "17h*", name)
    name = re.sub(r"Cs[0-9A-Za-z]+_", "Cs*_", name)
    return name + "*" if numbered and not name.endswith("*") else name


def c_members(archive):
    """Symbol -> member of a static C library archive (libc.a, libm.a)."""
    p = subprocess.run(["nm", "-A", "--defined-only", archive], check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    members = {}
    for line in p.stdout.splitlines():
        m = re.match(r"[^:]+:([^:]+\.o):\s*\S*\s+[TtWwi]\s+(\S+)$", line)
        if m:
            members.setdefault(m.group(2), m.group(1))
    return members


def member_patterns(member, all_members):
    """The member, and with a function that has CPU variants, its dispatcher and every variant:
    memmove-avx-unaligned-erms.o and memmove.o both give memmove.o and memmove-*.o."""
    base = member[:-2].partition("-")[0]
    variant = re.compile(re.escape(base) + r"-.*(sse|avx|evex)")
    if member != base + ".o" and not variant.match(member):
        return {member}
    if not any(variant.match(m) for m in all_members):
        return {member}
    return {member, base + "-*.o"} | ({base + ".o"} & all_members)


def profile():
    """(command as shown, names of the functions it ran) for each command, in order."""
    binary = bench.build_gitopsc()
    tmp = tempfile.mkdtemp(prefix="gitopsc-layout-")
    try:
        workload = bench.write_workload(os.path.join(tmp, "workload.gitops"), 300)
        folder = os.path.join(tmp, "out")
        # In order: each function is placed with the first run that ran it, so what every
        # command runs comes first and what only some examples need comes last.
        runs = [["--version"], ["check", workload], ["build", workload, "--stdout"],
                ["build", workload, "-o", folder], ["build", workload, "-o", folder]]
        examples = os.path.join(ROOT, "examples")
        for ex in sorted(os.listdir(examples)):
            path = os.path.join(examples, ex)
            if os.path.isdir(path):
                runs += [["check", path], ["build", path, "--stdout"]]
        ran_by = []
        for args in runs:
            shown = " ".join(os.path.relpath(a, ROOT) if a.startswith(ROOT) else a for a in args)
            shown = shown.replace(tmp + os.sep, "")
            print("  " + shown, file=sys.stderr)
            # Which functions run can depend on how the threads meet (a thread that sleeps,
            # a lock that waits): two runs, and what either ran.
            ran_by.append((shown, ran(binary, args, tmp) | ran(binary, args, tmp)))
        return ran_by
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def c_library():
    """symbol -> (archive as a file pattern, member), for the C library the static link uses."""
    members = {}
    for archive, pattern in (("libc.a", "*libc.a"), ("libm.a", "*libm*.a")):
        path = subprocess.run(["cc", f"-print-file-name={archive}"], stdout=subprocess.PIPE,
                              text=True).stdout.strip()
        if not os.path.isabs(path):
            continue
        with open(path, "rb") as f:
            head = f.read(4096)
        # libm.a may be a linker script naming the archive (libm-2.36.a) and libmvec.a.
        paths = [path] if head.startswith(b"!<arch>") else [
            p.decode() for p in re.findall(rb"/\S+\.a", head)]
        for p in paths:
            for sym, member in c_members(p).items():
                members.setdefault(sym, (pattern, member))
    return members


def main():
    ran_by = profile()
    members = c_library()
    in_archive = {}
    for archive, member in members.values():
        in_archive.setdefault(archive, set()).add(member)
    placed = set()
    counts = [0, 0]
    with open(OUT, "w") as f:
        f.write("/* Generated by benches/layout.py: do not edit. The code a build runs, gathered\n"
                "   ahead of the rest (book/src/contributing/decisions/code-layout.md). */\n")
        f.write("SECTIONS {\n  .text.hot : {\n")
        # The C runtime's start and exit code, in objects of their own.
        for crt in CRT:
            f.write(f"    {crt}(.text .text.*)\n")
        for shown, names in ran_by:
            c = set()
            for n in names:
                if n in members:
                    archive, member = members[n]
                    c |= {(archive, m) for m in member_patterns(member, in_archive[archive])}
            c = sorted(c - placed)
            # Rust functions, and functions of the binary's own objects (`main`).
            rust = sorted({rust_pattern(n) or n for n in names
                           if n not in members and re.fullmatch(r"[A-Za-z_][\w.$]*", n)} - placed)
            if not c and not rust:
                continue
            f.write(f"    /* gitopsc {shown} */\n")
            for archive, m in c:
                f.write(f"    {archive}:{m}(.text .text.*)\n")
            for p in rust:
                f.write(f"    *(.text.{p} .text.hot.{p} .text.unlikely.{p})\n")
            placed.update(c, rust)
            counts[0] += len(rust)
            counts[1] += len(c)
        f.write("  }\n} INSERT BEFORE .text;\n")
    print(f"{os.path.relpath(OUT, ROOT)}: {counts[0]} Rust functions, {counts[1]} C library members")


if __name__ == "__main__":
    main()
