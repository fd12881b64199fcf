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

  python3 bench/wasmtime_cgi.py MODULE [--runs 7] [--warmup 1] [--arg A]... [--env K=V]...
      [--dir HOST::GUEST]... [--stdin FILE] [--invoke EXPORT]

bench/lib.sh's bench_wasmtime installs wasmtime 49 (the version issue 16 was measured with) into
a virtualenv and runs this with it.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
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
    argv = [os.path.basename(a.module)] + a.arg
    out_dir = tempfile.mkdtemp(prefix="wasmtime-cgi-")
    stdout_path = os.path.join(out_dir, "stdout")
    stderr_path = os.path.join(out_dir, "stderr")

    def run():
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
    head = open(stdout_path, "rb").read(200).decode("utf-8", "replace")
    print(
        json.dumps(
            {
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


if __name__ == "__main__":
    main()
