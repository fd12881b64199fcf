#!/usr/bin/env python3
"""The reference engine for bench/ (issue 16): a module run as WAGI runs it, under wasmtime.

Compiles MODULE once (timed: cold, no cache; then once more from wasmtime's own serialized form,
as a start from a cache), then runs it WARMUP + RUNS times the way WAGI 0.8 serves a request: a
fresh Store and instance per run, WASI argv and environment as given, stdin from a file, stdout and
stderr to files, then `_start` (or --invoke). Prints one JSON object:

  {"wasmtime": "49.0.0", "compile_s": ..., "deserialize_s": ..., "runs_ms": [...],
   "median_ms": ..., "first_ms": ..., "exit": 0, "stdout_head": "..."}

first_ms is the first run (before any warm-up); median_ms is over the RUNS after the warm-up.
Any run that exits non-zero or traps ends the script with status 1 and what it printed.

  python3 bench/wasmtime_cgi.py MODULE [--runs 7] [--warmup 1] [--argv0 NAME] [--arg A]...
      [--env K=V]... [--dir HOST::GUEST]... [--stdin FILE] [--invoke EXPORT] [--concurrent N]

--argv0 sets argv[0] (default: the module's file name), so that argv can be exactly what a WAGI
server gives (the request path). An argument starting with '-' is given as --arg=-x.
--stdout-copy FILE keeps the whole stdout of the last timed run there.
--concurrent N then runs N threads at once, each 5 runs, sampling the process's resident set
(VmRSS) every 20 ms: "concurrent_rss_peak_mib" is the highest sample, "rss_before_concurrent_mib"
what the process held just before (the compiled module, and what the compile left behind).

bench/lib.sh's bench_wasmtime installs wasmtime 49 (the version issue 16 was measured with) into
a virtualenv and runs this with it.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

import wasmtime


def main():
    p = argparse.ArgumentParser()
    p.add_argument("module")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--arg", action="append", default=[])
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--dir", action="append", default=[])
    p.add_argument("--stdin")
    p.add_argument("--invoke", default="_start")
    p.add_argument("--argv0")
    p.add_argument("--concurrent", type=int, default=0)
    p.add_argument("--stdout-copy")
    a = p.parse_args()

    engine = wasmtime.Engine()
    wasm = open(a.module, "rb").read()
    t = time.perf_counter()
    module = wasmtime.Module(engine, wasm)
    compile_s = time.perf_counter() - t
    serialized = module.serialize()
    t = time.perf_counter()
    module = wasmtime.Module.deserialize(engine, serialized)
    deserialize_s = time.perf_counter() - t

    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    env = [tuple(kv.split("=", 1)) for kv in a.env]
    argv = [a.argv0 if a.argv0 is not None else os.path.basename(a.module)] + a.arg
    out_dir = tempfile.mkdtemp(prefix="wasmtime-cgi-")

    def run(slot=""):
        stdout_path = os.path.join(out_dir, "stdout" + slot)
        stderr_path = os.path.join(out_dir, "stderr" + slot)
        wasi = wasmtime.WasiConfig()
        wasi.argv = argv
        wasi.env = env
        if a.stdin:
            wasi.stdin_file = a.stdin
        wasi.stdout_file = stdout_path
        wasi.stderr_file = stderr_path
        for d in a.dir:
            host, guest = d.split("::", 1)
            wasi.preopen_dir(host, guest)
        store = wasmtime.Store(engine)
        store.set_wasi(wasi)
        t = time.perf_counter()
        instance = linker.instantiate(store, module)
        code = 0
        try:
            instance.exports(store)[a.invoke](store)
        except wasmtime.ExitTrap as e:
            code = e.code
        ms = (time.perf_counter() - t) * 1000
        if code != 0:
            sys.stderr.write(open(stderr_path, errors="replace").read())
            sys.exit("wasmtime_cgi: %s exited %d" % (a.module, code))
        return ms

    first = run()
    for _ in range(a.warmup):
        run()
    runs = [run() for _ in range(a.runs)]
    head = open(os.path.join(out_dir, "stdout"), "rb").read(200).decode("utf-8", "replace")
    if a.stdout_copy:
        shutil.copyfile(os.path.join(out_dir, "stdout"), a.stdout_copy)
    extra = {}
    if a.concurrent > 0:
        extra = concurrent(run, a.concurrent)
    print(
        json.dumps(
            {
                **extra,
                "wasmtime": "49.0.0",
                "compile_s": round(compile_s, 3),
                "deserialize_s": round(deserialize_s, 3),
                "first_ms": round(first, 2),
                "runs_ms": [round(r, 2) for r in runs],
                "median_ms": round(statistics.median(runs), 2),
                "exit": 0,
                "stdout_head": head,
            }
        )
    )


def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def concurrent(run, n):
    """n threads, each 5 runs (wasmtime drops the GIL while wasm runs); RSS sampled meanwhile."""
    before = rss_mib()
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.wait(0.02):
            peak[0] = max(peak[0], rss_mib())

    sampler = threading.Thread(target=sample)
    sampler.start()
    workers = [threading.Thread(target=lambda i=i: [run(str(i)) for _ in range(5)]) for i in range(n)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    done.set()
    sampler.join()
    return {
        "rss_before_concurrent_mib": round(before),
        "concurrent_rss_peak_mib": round(max(peak[0], rss_mib())),
    }


if __name__ == "__main__":
    main()
