"""PostgreSQL next to SQLite: the pages of `make bench` served from both databases at once and
requested in turns, with the ratio of their medians.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench make bench-pair N=100000
    DATABASE_URL=… .venv/bin/python scripts/bench_pair.py --orders 100000 --runs 30 --only search

Two runs of `make bench` one after the other are minutes apart, and on a shared machine a page's
time drifts by up to 20 % in minutes, so the ratio of two such runs says as much about the
machine as about the databases. Here both databases are loaded with the same demo data (SQLite
in /tmp/backoffice-bench-N, PostgreSQL at DATABASE_URL; each is built when empty, as by
`make bench`), each is served by its own gunicorn (2 workers), and every page's requests
go to the two servers in turns of 5 (`--turn`), who goes first alternating. Both see the same
machine within seconds of each other; the ratio is PostgreSQL's median over SQLite's. Turns of
one request each would leave every request a server whose caches the other one has just used:
SQLite's small pages then take a millisecond or two longer than in `make bench`. The pages are
measured in 3 rounds (`--rounds`), each with a third of the runs, so that a burst of other work
on the machine falls on a part of one page's requests rather than on all of them.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the pages, servers and timing of scripts/bench.py)

SIDES = ("SQLite", "PostgreSQL")
#: the issue's target for PostgreSQL at 100k orders
TARGET = 1.5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="dataset size of both databases")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page and database")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per page and database first")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all pages, each with a part of the runs")
    parser.add_argument("--turn", type=int, default=5,
                        help="requests to one server before the other's turn (1: strictly alternating)")
    parser.add_argument("--dir", default=None, help="folder of the SQLite database (default /tmp/backoffice-bench-N)")
    parser.add_argument("--only", default=None, help="time only the rows whose label contains this text")
    return parser.parse_args()


def environments(args: argparse.Namespace) -> tuple[dict[str, str], dict[str, str]]:
    """The SQLite side's environment and the PostgreSQL side's (DATABASE_URL)."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        raise SystemExit("Set DATABASE_URL to the PostgreSQL database to compare with SQLite, e.g. "
                         "postgresql+psycopg://postgres@127.0.0.1:5432/bench")
    postgresql = bench.bench_env(args)
    url = os.environ.pop("DATABASE_URL")
    try:
        sqlite = bench.bench_env(args)
    finally:
        os.environ["DATABASE_URL"] = url
    return sqlite, postgresql


@dataclass
class Pair:
    """One page on both servers: its requests, and what was measured of them so far."""
    label: str
    sends: list
    results: list[bench.Result]
    cpu_seconds: list[float]


def measure_turns(pair: Pair, warmup: int, runs: int, turn: int, workers: list[list[int]]) -> None:
    """`warmup` + `runs` requests of a page to each server, in turns of `turn` requests (who goes
    first alternates): close in time, and each turn but its first request on a warm server."""
    total = warmup + runs
    for start in range(0, total, turn):
        for side in (0, 1) if (start // turn) % 2 == 0 else (1, 0):
            for i in range(start, min(start + turn, total)):
                keep = i >= warmup
                before = bench.cpu_seconds(workers[side]) if keep else 0.0
                bench.timed(pair.sends[side], pair.results[side], keep=keep)
                if keep:
                    pair.cpu_seconds[side] += bench.cpu_seconds(workers[side]) - before


def measure_all(page_lists: list, args: argparse.Namespace, workers: list[list[int]]) -> list[Pair]:
    """Every page in each of `--rounds` rounds: a burst of load elsewhere on the machine then
    falls on a part of one page's requests, not on all of them. The first round warms each page
    up with `--warmup` requests per server, the later ones with a turn's worth."""
    pairs = []
    for (label, lite), (_, postgres) in zip(*page_lists):
        if args.only and args.only.lower() not in label.lower():
            continue
        pair = Pair(label, [lite, postgres], [bench.Result(label, [], []) for _ in SIDES], [0.0, 0.0])
        if any(isinstance(send, bench.MaybeMissing) and send().status == 404 for send in pair.sends):
            for result in pair.results:
                result.skipped = True
        pairs.append(pair)
    per_round = -(-args.runs // args.rounds)
    for number in range(args.rounds):
        for pair in pairs:
            if not pair.results[0].skipped:
                runs = min(per_round, args.runs - number * per_round)
                measure_turns(pair, args.warmup if number == 0 else args.turn, runs, args.turn, workers)
        print(f"  round {number + 1} of {args.rounds}: done", file=sys.stderr)
    for pair in pairs:
        for side, result in enumerate(pair.results):
            result.cpu_ms = pair.cpu_seconds[side] * 1000 / max(len(result.times), 1)
    return pairs


def report(rows: list[list[bench.Result]], sample: bench.Sample, args: argparse.Namespace,
           loads: tuple[tuple[float, ...], tuple[float, ...]]) -> None:
    print()
    print(f"Data (each database): {sample.orders:,} orders, {sample.customers:,} customers; "
          f"event '{sample.event}' has {sample.event_orders:,} orders")
    print(f"gunicorn: {args.workers} workers per database on 127.0.0.1, {os.cpu_count()} CPUs; "
          f"{args.warmup} warm-up + {args.runs} timed requests per page and database, in turns of {args.turn}, "
          f"over {args.rounds} rounds")
    print("Load average (1/5/15 min) before: {:.2f} {:.2f} {:.2f}, after: {:.2f} {:.2f} {:.2f}".format(
        *loads[0], *loads[1]))
    print()
    width = max(len(pair[0].label) for pair in rows)
    print(f"| {'page':{width}} | SQLite ms | PostgreSQL ms | ratio | SQLite CPU ms | PostgreSQL CPU ms |")
    print(f"|{'-' * (width + 2)}|----------:|--------------:|------:|--------------:|------------------:|")
    ratios = []
    for lite, postgres in rows:
        if lite.skipped or not lite.times or not postgres.times:
            print(f"| {lite.label:{width}} | n/a | n/a | n/a | n/a | n/a |")
            continue
        a, b = statistics.median(lite.times), statistics.median(postgres.times)
        ratios.append((b / a, lite.label))
        print(f"| {lite.label:{width}} | {a:9.1f} | {b:13.1f} | {b / a:5.2f} | {lite.cpu_ms:13.1f} | "
              f"{postgres.cpu_ms:17.1f} |")
    if ratios:
        within = sum(1 for ratio, _ in ratios if ratio <= TARGET)
        worst = max(ratios)
        print()
        print(f"PostgreSQL within {TARGET}× of SQLite on {within} of {len(ratios)} pages; "
              f"highest ratio {worst[0]:.2f} ({worst[1]}).")
    for pair in rows:
        for side, result in zip(SIDES, pair):
            if result.failures:
                print(f"FAILED {result.label} on {side}: {', '.join(sorted(set(result.failures)))}")


def main() -> int:
    args = parse_args()
    envs = environments(args)
    for env in envs:
        bench.ensure_data(env, args.orders)
    samples = [bench.pick(env) for env in envs]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    servers, rows = [], []
    try:
        browsers, workers = [], []
        for side, env in zip(SIDES, envs):
            port = bench.free_port()
            log = Path("/tmp") / f"gunicorn-bench-pair-{side.lower()}-{os.getpid()}.log"
            server = bench.start_gunicorn(env, port, args.workers, log)
            servers.append(server)
            bench.wait_until_up(server, port, log)
            print(f"{side}: gunicorn (pid {server.pid}) on http://127.0.0.1:{port}/; log in {log}", flush=True)
            browser = bench.Browser(port)
            browser.login()
            browsers.append(browser)
            workers.append(bench.workers_of(server.pid))
        loads_before = os.getloadavg()
        page_lists = [bench.pages(sample, browser) for sample, browser in zip(samples, browsers)]
        if [label for label, _ in page_lists[0]] != [label for label, _ in page_lists[1]]:
            raise SystemExit("The two databases hold different demo data (their pages ask about different "
                             "orders): load both with the same N into empty databases.")
        rows = [pair.results for pair in measure_all(page_lists, args, workers)]
        report(rows, samples[0], args, (loads_before, os.getloadavg()))
    finally:
        for server in servers:
            bench.stop_gunicorn(server)
    return 1 if any(result.failures for pair in rows for result in pair) else 0


if __name__ == "__main__":
    sys.exit(main())
