"""Where a page's time goes: cProfile over repeated requests to one page, in one process.

    python benchmarks/profile_pages.py --db /tmp/ofsted.db [--page index_page] [--repeat 50] [--top 25]

Datasette runs with `num_sql_threads: 0` (its SQL on the request's own thread), so that the
profile sees the queries too; the first request of each page is made before profiling starts.
Pages are named as in the route registry (`routes.pages()`), plus `compare_largest_json` and
`compare_largest_page`. Each HTML page is made afresh at every request (`keep_pages: false`: what
a signed-in reviewer's page, which is never kept, costs), unless `--kept`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sqlite3
import time
from pathlib import Path

from datasette.app import Datasette

from datasette_ofsted.routes import pages


async def run(db: Path, names: list[str] | None, repeat: int, top: int, sort: str, kept: bool) -> None:
    files = [str(db)]
    if db.with_name("ofsted_reviews.db").exists():
        files.append(str(db.with_name("ofsted_reviews.db")))
    plugin = {"warm_pages": False, "keep_pages": kept}
    ds = Datasette(immutables=files, settings={"num_sql_threads": 0}, metadata={"plugins": {"datasette-ofsted": plugin}})
    await ds.invoke_startup()
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        largest = conn.execute("select comparison_id from comparison_rows group by comparison_id order by count(*) desc, comparison_id limit 1").fetchone()[0]
    targets = [
        ("compare_largest_json", f"/-/ofsted/compare/{largest}.json"),
        ("compare_largest_page", f"/-/ofsted/compare/{largest}"),
        *pages(),
    ]
    for name, path in targets:
        if names and name not in names:
            continue
        response = await ds.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        for _ in range(repeat):
            await ds.client.get(path)
        profile.disable()
        each = (time.perf_counter() - started) / repeat
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(sort).print_stats(top)
        print(f"== {name} {path}: {1000 * each:.1f} ms a request (profiled)")
        print(out.getvalue().split("\n", 6)[-1] if names else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--page", action="append")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--kept", action="store_true", help="serve HTML pages kept from the first request")
    args = parser.parse_args()
    asyncio.run(run(args.db, args.page, args.repeat, args.top, args.sort, args.kept))


if __name__ == "__main__":
    main()
