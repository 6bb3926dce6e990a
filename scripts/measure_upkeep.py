"""What does keeping the search index cost an order action? (SQLite)

    .venv/bin/python scripts/measure_upkeep.py                    # copies /tmp/backoffice-bench-100000
    .venv/bin/python scripts/measure_upkeep.py --source /tmp/b1m/bench.sqlite3 --actions 300

Copies the database once per variant into a scratch folder (the source is only read) and runs
the same order actions on each copy, each with its commit, as the order form and the "mark
paid" button do them through the domain:

- email edit: `order_fields.update_order_fields(order, email=…)`, which changes the order's
  search text (the flush hook recomputes it, the FTS5 triggers index it);
- mark paid: `orders.mark_paid`, which changes no searched field.

Variants:
- `without upkeep`: the search index's flush hook removed and the FTS5 triggers dropped;
- `automerge 4`: FTS5's default, which merges segments inside the writes (before 0008);
- `automerge 0`: as migration 0008 leaves the indexes; `flask periodic` merges them instead
  (search_index.merge_segments, timed separately after each block, as if the timer ran then).

The variants take turns in blocks of `--block` actions (A/B/C, A/B/C, …), so that a busy
machine disturbs them alike. Per action it records the CPU time of this process (SQLite works
in it; the steadiest number on a shared machine) and the wall time, and prints median, mean,
p95 and maximum per variant and action, then how a search reads the index afterwards (with
the segments the run left, and merged).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VARIANTS = ("without upkeep", "automerge 4", "automerge 0")
INDEXES = ("order_search", "customer_search")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="/tmp/backoffice-bench-100000/backoffice.sqlite3")
    parser.add_argument("--actions", type=int, default=300, help="email edits per variant")
    parser.add_argument("--paid", type=int, default=100, help="mark-paid actions per variant")
    parser.add_argument("--block", type=int, default=25, help="actions per turn")
    parser.add_argument("--warmup", type=int, default=10, help="untimed email edits per variant first")
    parser.add_argument("--scratch", default=None, help="folder for the copies (default: a temporary one)")
    return parser.parse_args()


def copy_database(source: str, target: Path) -> None:
    """A consistent copy (the source may be in use), through SQLite's backup API."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def prepare(path: Path, variant: str) -> None:
    conn = sqlite3.connect(path)
    try:
        if variant == "without upkeep":
            for table in ("order", "customer"):
                for trigger in ("insert", "delete", "update"):
                    conn.execute(f"DROP TRIGGER IF EXISTS {table}_search_{trigger}")
        else:
            automerge = 4 if variant == "automerge 4" else 0
            for fts in INDEXES:
                conn.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('automerge', {automerge})")
        conn.commit()
    finally:
        conn.close()


def segments(path: Path, fts: str) -> list[int]:
    """Segments per level of an FTS5 index, from its structure record (rowid 10 of %_data):
    a 4-byte cookie, then varints: levels, segments, write counter, and per level the merge
    state, its number of segments and three numbers per segment."""
    conn = sqlite3.connect(path)
    try:
        blob = conn.execute(f"SELECT block FROM {fts}_data WHERE id = 10").fetchone()[0]
    finally:
        conn.close()
    position = 4

    def varint() -> int:
        nonlocal position
        value = 0
        for _ in range(9):
            byte = blob[position]
            position += 1
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                return value
        return value
    levels, _total = varint(), varint()
    varint()  # write counter
    per_level = []
    for _ in range(levels):
        varint()  # segments being merged
        count = varint()
        per_level.append(count)
        for _ in range(count * 3):
            varint()
    return per_level


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return (f"{statistics.median(values):6.2f} {statistics.fmean(values):6.2f} {p95:6.2f} "
            f"{max(values):7.2f}")


def main() -> None:
    args = parse_args()
    scratch = Path(args.scratch or tempfile.mkdtemp(prefix="upkeep-"))
    scratch.mkdir(parents=True, exist_ok=True)
    paths = {}
    for number, variant in enumerate(VARIANTS):
        folder = scratch / f"v{number}"
        folder.mkdir(exist_ok=True)
        paths[variant] = folder / "backoffice.sqlite3"
        print(f"copying {args.source} for '{variant}' …", flush=True)
        copy_database(args.source, paths[variant])
        prepare(paths[variant], variant)

    from sqlalchemy import event, select
    from sqlalchemy.orm import Session

    from backoffice import create_app
    from backoffice.domain import order_fields, orders, search_index
    from backoffice.domain.audit import Actor
    from backoffice.domain.models import Order, OrderStatus
    from backoffice.domain.quick_search import latest_in_parts
    from backoffice.domain.order_queries import order_word_ids
    from backoffice.extensions import db

    apps = {variant: create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True})
            for variant, path in paths.items()}
    actor = Actor(label="upkeep measurement")
    # the same orders in every copy: the newest with an email, and pending ones to mark paid
    with apps[VARIANTS[0]].app_context():
        with_email = list(db.session.scalars(select(Order.id).where(Order.email.is_not(None))
                                              .order_by(Order.id.desc()).limit(args.actions + args.warmup)))
        edited, warm = with_email[:args.actions], with_email[args.actions:]
        pending = list(db.session.scalars(select(Order.id).where(Order.status == OrderStatus.PENDING,
                                                                  Order.require_approval.is_(False))
                                           .order_by(Order.id.desc()).limit(args.paid)))
        db.session.remove()

    hook = (Session, "before_flush", search_index._update_search_texts)
    cpu: dict[tuple[str, str], list[float]] = {}
    wall: dict[tuple[str, str], list[float]] = {}
    merge_cpu: list[float] = []
    merges = 0

    def timed(variant: str, action: str, work) -> None:
        start_cpu, start = time.process_time(), time.perf_counter()
        work()
        db.session.commit()
        cpu.setdefault((variant, action), []).append((time.process_time() - start_cpu) * 1000)
        wall.setdefault((variant, action), []).append((time.perf_counter() - start) * 1000)

    def edit(order_id: int, turn: int):
        def work():
            order = db.session.get(Order, order_id)
            local, domain = order.email.split("@", 1)
            order_fields.update_order_fields(order, actor=actor, email=f"{local.split('+')[0]}+{turn}@{domain}")
        return work

    def pay(order_id: int):
        def work():
            orders.mark_paid(db.session.get(Order, order_id), actor=actor, send_email=False, force=True)
        return work

    steps = [("email edit", i, edit(order_id, i)) for i, order_id in enumerate(edited)]
    steps += [("mark paid", i, pay(order_id)) for i, order_id in enumerate(pending)]
    blocks = [steps[i:i + args.block] for i in range(0, len(steps), args.block)]
    for variant in VARIANTS:
        # caches filled and the copy's pages read once, untimed, as on a running server
        if variant == "without upkeep":
            event.remove(*hook)
        try:
            with apps[variant].app_context():
                for turn, order_id in enumerate(warm):
                    edit(order_id, turn)()
                    db.session.commit()
                db.session.remove()
        finally:
            if variant == "without upkeep":
                event.listen(*hook)
    print(f"{len(edited)} email edits and {len(pending)} mark-paid actions per variant, in blocks of "
          f"{args.block}; load average {os.getloadavg()[0]:.2f}", flush=True)
    for block in blocks:
        for variant in VARIANTS:
            # the same work for every variant: each runs the block's actions on its own copy
            if variant == "without upkeep":
                event.remove(*hook)
            try:
                with apps[variant].app_context():
                    for action, turn, _ in block:
                        work = edit(edited[turn], turn) if action == "email edit" else pay(pending[turn])
                        timed(variant, action, work)
                    if variant == "automerge 0":
                        start_cpu = time.process_time()
                        merges += search_index.merge_segments()
                        merge_cpu.append((time.process_time() - start_cpu) * 1000)
                    db.session.remove()
            finally:
                if variant == "without upkeep":
                    event.listen(*hook)
    print(f"load average after: {os.getloadavg()[0]:.2f}\n")

    print("CPU ms per action (median, mean, p95, max); wall ms in brackets (median, mean)")
    print(f"{'variant':16} {'action':11} {'median':>6} {'mean':>6} {'p95':>6} {'max':>7}   wall")
    for action in ("email edit", "mark paid"):
        for variant in VARIANTS:
            values = cpu.get((variant, action))
            if values:
                walls = wall[(variant, action)]
                print(f"{variant:16} {action:11} {summary(values)}   ({statistics.median(walls):.2f}, "
                      f"{statistics.fmean(walls):.2f})")
    base = cpu[("without upkeep", "email edit")]
    for variant in VARIANTS[1:]:
        values = cpu[(variant, "email edit")]
        print(f"email edit, {variant} − without: median {statistics.median(values) - statistics.median(base):+.2f} ms, "
              f"mean {statistics.fmean(values) - statistics.fmean(base):+.2f} ms")
    if merge_cpu:
        print(f"\nflask periodic's merge after each block ('automerge 0'): {merges} steps in all, CPU ms per run "
              f"median {statistics.median(merge_cpu):.2f}, max {max(merge_cpu):.2f}")

    print("\nsegments per level after the run (order_search):")
    for variant in VARIANTS[1:]:
        print(f"  {variant:16} {segments(paths[variant], 'order_search')}")

    # a one-word quick-search lookup, as the page does it, with the segments left and merged
    with apps["automerge 0"].app_context():
        word = db.session.get(Order, edited[0]).email.split("@")[0][:6]

        def lookup() -> float:
            times = []
            for _ in range(30):
                start = time.process_time()
                for text in (word, "johnson", "zzqx"):
                    latest_in_parts(Order, order_word_ids(text), Order.id > 0, 8)
                times.append((time.process_time() - start) * 1000)
            return statistics.median(times)
        unmerged = lookup()
        layout = segments(paths["automerge 0"], "order_search")
        with db.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO order_search(order_search) VALUES ('optimize')")
        merged = lookup()
        db.session.remove()
    print(f"\nthree one-word lookups (quick search, latest 8 orders): {unmerged:.2f} ms CPU with the "
          f"segments left {layout}, {merged:.2f} ms merged into one")
    if not args.scratch:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
