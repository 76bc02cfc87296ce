#!/usr/bin/env python3
"""Scale-out benchmark of ecg-server (docs/BENCHMARKS.md, section "HTTP service", subsection Scale-out).

Throughput: tasks completed per minute with 1, 2 and 3 worker processes (`--role worker
--workers 1` each) behind one API node, over PostgreSQL + S3 (SeaweedFS), all on this
machine; the embedded single process (SQLite + files, `--workers 1` and `--workers 2`) is
the baseline. Each run submits TASKS long-term analyses of the same one-hour 3-lead Holter
EDF at once and times first submission to last completion.

Queue latency: time from task creation to a worker's claim (`started_at - created_at`, both
stored in milliseconds), (a) with idle workers (the LISTEN/NOTIFY wake-up path), one task at
a time, and (b) under load: tasks arriving at a steady rate of LOAD x the measured capacity
of 2 worker processes, for a while.

Needs: a release build of ecg-server, python3, and the engines: the environment printed by
`scripts/ci-services.sh` (ECG_TEST_DATABASE_URL, ECG_TEST_S3_*), else it runs that script.

    cargo build --release -p ecg-server
    python3 benches/peers/scaleout_bench.py $CARGO_TARGET_DIR/release/ecg-server
"""

import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EDF = os.path.join(ROOT, "..", "shared", "testdata", "edf", "holter_3ch_1h.edf")
TASKS = int(os.environ.get("TASKS", "24"))
LOAD = float(os.environ.get("LOAD", "0.8"))
LOAD_TASKS = int(os.environ.get("LOAD_TASKS", "30"))


def services():
    env = {k: v for k, v in os.environ.items() if k.startswith("ECG_TEST_")}
    if "ECG_TEST_DATABASE_URL" in env:
        return env, None
    out = subprocess.run(
        ["bash", os.path.join(ROOT, "scripts", "ci-services.sh"), "--no-install"],
        check=True, capture_output=True, text=True,
    ).stdout
    for line in out.splitlines():
        k, v = line.removeprefix("export ").split("=", 1)
        env[k] = v
    return env, env["ECG_TEST_SERVICES_DIR"]


def shared_env(svc, cluster):
    return {
        "ECG_DATABASE_URL": svc["ECG_TEST_DATABASE_URL"],
        "ECG_DATABASE_SCHEMA": cluster,
        "ECG_S3_BUCKET": svc["ECG_TEST_S3_BUCKET"],
        "ECG_S3_ENDPOINT": svc["ECG_TEST_S3_ENDPOINT"],
        "ECG_S3_ACCESS_KEY_ID": svc["ECG_TEST_S3_ACCESS_KEY_ID"],
        "ECG_S3_SECRET_ACCESS_KEY": svc["ECG_TEST_S3_SECRET_ACCESS_KEY"],
        "ECG_S3_PREFIX": cluster,
    }


class Cluster:
    def __init__(self, binary, env, workers, embedded_threads=None):
        self.binary = binary
        self.env = dict(os.environ, **env)
        self.dir = tempfile.mkdtemp(prefix="ecg-scaleout-bench.")
        self.procs = []
        key_data = os.path.join(self.dir, "api")
        self.key = subprocess.run(
            [binary, "keys", "create", "--tenant", "bench", "--data", key_data],
            env=self.env, check=True, capture_output=True, text=True,
        ).stdout.strip()
        if embedded_threads:
            args = ["--role", "all", "--workers", str(embedded_threads)]
        else:
            args = ["--role", "api", "--http-workers", "1"]
        self.base = self._start(["--bind", "127.0.0.1:0", "--data", key_data] + args)
        for i in range(workers):
            self._start(["--role", "worker", "--workers", "1", "--node-id", f"w{i}",
                         "--data", os.path.join(self.dir, f"w{i}")])

    def _start(self, args):
        log = open(os.path.join(self.dir, f"node{len(self.procs)}.log"), "w")
        p = subprocess.Popen([self.binary, "serve"] + args, env=self.env,
                             stdout=subprocess.PIPE, stderr=log, text=True)
        self.procs.append(p)
        line = p.stdout.readline()
        if "listening on " in line:
            return line.strip().split("listening on ")[1]
        assert line.startswith("ecg-server worker running"), line
        return None

    def request(self, method, path, body=None, raw=None, ctype="application/json"):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.key)
        if data is not None:
            req.add_header("Content-Type", ctype)
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.loads(r.read())

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def ms(ts):
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000


def submit(c, upload_id):
    t = c.request("POST", "/api/v1/tasks",
                  {"upload_id": upload_id, "kind": "long_term", "auto_complete": True})
    return t["task_id"]


def wait_all(c, ids, timeout=1800):
    done = {}
    start = time.time()
    while len(done) < len(ids):
        # Tasks finish about in order: poll up to the first unfinished one (light load on
        # the API node, which shares the cores).
        for i in ids:
            if i in done:
                continue
            t = c.request("GET", f"/api/v1/tasks/{i}")
            if t["status"] not in ("completed", "failed"):
                break
            assert t["status"] == "completed", t
            done[i] = t
        if time.time() - start > timeout:
            raise RuntimeError("timeout")
        time.sleep(0.1)
    return done


def throughput(c, upload_id, n):
    t0 = time.time()
    ids = [submit(c, upload_id) for _ in range(n)]
    done = wait_all(c, ids)
    wall = time.time() - t0
    waits = [ms(t["started_at"]) - ms(t["created_at"]) for t in done.values()]
    return n / wall * 60, wall, waits


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def cpu_seconds(procs):
    tck = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in procs:
        try:
            f = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()
            total += (int(f[11]) + int(f[12])) / tck
        except OSError:
            pass
    return total


def main():
    binary = sys.argv[1]
    edf = open(EDF, "rb").read()
    svc, started_dir = services()
    results = []
    try:
        configs = [("embedded, 1 process, --workers 1", 0, 1),
                   ("embedded, 1 process, --workers 2", 0, 2),
                   ("api + 1 worker process", 1, None),
                   ("api + 2 worker processes", 2, None),
                   ("api + 3 worker processes", 3, None)]
        capacity2 = None
        for name, workers, threads in configs:
            cluster = "bench" + hashlib.sha256(f"{name}{time.time()}".encode()).hexdigest()[:12]
            env = {} if threads else shared_env(svc, cluster)
            c = Cluster(binary, env, workers, embedded_threads=threads)
            try:
                up = c.request("POST", "/api/v1/uploads/direct?file_name=h.edf", raw=edf,
                               ctype="application/octet-stream")
                # Warm-up (caches, connections), not counted.
                wait_all(c, [submit(c, up["upload_id"]) for _ in range(max(1, workers or threads))])
                cpu0 = cpu_seconds(c.procs)
                rate, wall, waits = throughput(c, up["upload_id"], TASKS)
                cpu = cpu_seconds(c.procs) - cpu0
                row = {"config": name, "tasks_per_min": round(rate, 1), "wall_s": round(wall, 1),
                       "cpu_s_per_task": round(cpu / TASKS, 2)}
                print(json.dumps(row), flush=True)
                results.append(row)
                if workers == 2:
                    capacity2 = rate
                    # (a) idle pickup latency: one task at a time.
                    idle = []
                    for _ in range(10):
                        i = submit(c, up["upload_id"])
                        t = wait_all(c, [i])[i]
                        idle.append(ms(t["started_at"]) - ms(t["created_at"]))
                    # (b) steady arrivals at LOAD x capacity.
                    gap = 60.0 / (capacity2 * LOAD)
                    ids = []
                    t0 = time.time()
                    for k in range(LOAD_TASKS):
                        while time.time() < t0 + k * gap:
                            time.sleep(0.005)
                        ids.append(submit(c, up["upload_id"]))
                    done = wait_all(c, ids)
                    loaded = [ms(t["started_at"]) - ms(t["created_at"]) for t in done.values()]
                    lat = {"idle_pickup_ms": {"p50": pct(idle, 50), "max": max(idle)},
                           "loaded": {"arrival_per_min": round(60 / gap, 1), "tasks": LOAD_TASKS,
                                      "wait_ms_p50": pct(loaded, 50), "p95": pct(loaded, 95),
                                      "max": max(loaded)}}
                    print(json.dumps(lat), flush=True)
                    results.append(lat)
            finally:
                c.stop()
    finally:
        if started_dir:
            subprocess.run(["bash", os.path.join(ROOT, "scripts", "ci-services.sh"), "stop",
                            "--dir", started_dir])
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
