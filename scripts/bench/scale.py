"""Benchmarks 3–6 on generated data: the supervisor list at 1 M submissions (page 1 vs page 10 000), city
indicators from 100 k to 1 M submissions over 200 k cases, `cases.csv` of a 3 000-case station cold and
cached, and the CSV export of 1 M submissions (rows/s and memory).

Run: .venv/bin/python scripts/bench/scale.py [--databases sqlite postgresql] [--cases 200000]
     [--steps 100000 250000 500000 1000000] [--only list indicators cases_csv export]

The generated submissions are inserted as a bulk import would be, in the order they arrived (as the server stores
them), without their export cells; before the export, the export-cells job writes them
(``services/export_cells.refresh``), and its rate is reported with the export. On PostgreSQL, ``VACUUM ANALYZE``
follows each load and the job, as autovacuum would, so that it does not run during a measurement.
"""
from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
import zipfile
from datetime import timedelta
from pathlib import Path

from common import ROOT, ms, publish, table, timed
from setup import app_config, database

import data

PASSWORD = "Bench-admin-2026"
SECTIONS = ("list", "indicators", "cases_csv", "export")


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def sign_in(client, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code


def run(kind: str, case_count: int, steps: list[int], work: Path, only: set[str]) -> dict:
    from flask_migrate import upgrade

    from server import create_app
    from server.domain.clock import today_in_china
    from server.domain.paging import encode_cursor
    from server.extensions import db
    from server.models import Area, Submission
    from server.services import accounts
    from server.services.forms import publish_form
    from server.services.indicators import indicators_of

    results: dict = {"indicators": [], "kind": kind}
    with database(kind) as url:
        app = create_app({**app_config(url, work / f"{kind}-media"), "ENV": "testing"})
        with app.app_context():
            upgrade(directory=str(ROOT / "server" / "migrations"))
            started = time.monotonic()
            stations = data.network(db)
            publish_form((ROOT / "forms" / "home_visit.xlsx").read_bytes(), "home_visit.xlsx")
            accounts.create_user("bench_city", "admin", "530100", PASSWORD)
            worker = accounts.create_user("bench_worker", "worker", stations[0], PASSWORD)
            db.session.commit()
            token = (accounts.active_collect_token(worker) or accounts.issue_collect_token(worker)).token
            db.session.commit()
            from server.queries import forms as form_queries

            form = form_queries.get_form_by_xml_form_id("home_visit")
            form_id, form_version_id = form.id, form.current_version_id
            case_list = data.cases(db, stations, case_count)
            extra = 3000 - sum(1 for _, s in case_list if s == stations[0])
            data.cases(db, stations[:1], extra, seed=99)
            results["setup"] = time.monotonic() - started
            city = db.session.get(Area, "530100")
            today = today_in_china()
            inserted = 0
            for step in steps:
                started = time.monotonic()
                data.submissions(db, case_list, step - inserted, form_id, form_version_id, start_id=inserted)
                results.setdefault("insert", []).append((step, time.monotonic() - started))
                inserted = step
                if kind == "postgresql":
                    _settle(db)
                db.session.expunge_all()
                if "indicators" not in only:
                    continue
                if os.environ.get("BENCH_PROFILE"):
                    import cProfile
                    import pstats

                    profile = cProfile.Profile()
                    profile.runcall(indicators_of, db.session.get(Area, "530100"), today - timedelta(days=29), today)
                    pstats.Stats(profile).sort_stats("tottime").print_stats(12)
                median, best = timed(lambda: indicators_of(db.session.get(Area, "530100"), today - timedelta(days=29),
                                                           today), repeat=3)
                results["indicators"].append((step, median, best))
                print(kind, step, "indicators", median, flush=True)
            del city

            client = app.test_client()
            sign_in(client, "bench_city")
            if "list" in only:
                client.get("/submissions").close()  # warm caches and the connection pool
                newest = db.session.execute(
                    db.select(Submission.created_at, Submission.id)
                    .order_by(Submission.created_at.desc(), Submission.id.desc()).offset(min(50 * 9_999, inserted // 2)).limit(1)).one()
                cursor = encode_cursor(newest[0].isoformat(), newest[1])

                def page(query: str):
                    response = client.get(f"/submissions{query}")
                    assert response.status_code == 200, response.status_code
                    response.close()

                results["page1"] = timed(lambda: page(""), repeat=5)
                results["page10000"] = timed(lambda: page(f"?cursor={cursor}"), repeat=5)
                results["page1_query"] = timed(lambda: _list_query(None), repeat=5)
                results["page10000_query"] = timed(lambda: _list_query(newest), repeat=5)
                print(kind, "pages", results["page1"], results["page10000"], flush=True)

            if "cases_csv" in only:
                def cases_csv():
                    response = client.get(f"/key/{token}/forms/home_visit/attachments/cases.csv")
                    assert response.status_code == 200, response.status_code
                    body = response.get_data()
                    response.close()
                    return body

                db.session.execute(db.text("DELETE FROM case_list_cache"))
                db.session.commit()
                started = time.perf_counter()
                body = cases_csv()
                results["cases_csv_cold"] = time.perf_counter() - started
                results["cases_csv_rows"] = body.count(b"\n") - 1
                results["cases_csv_cached"] = timed(cases_csv, repeat=5)
                print(kind, "cases.csv", results["cases_csv_cold"], results["cases_csv_cached"], flush=True)

            if "export" not in only:
                db.session.remove()
                db.engine.dispose()
                return results
            from server.services.export_cells import refresh

            started = time.perf_counter()
            written = refresh(seconds=float("inf"), batch=2000)
            results["cells"] = (written, time.perf_counter() - started)
            if kind == "postgresql":
                _settle(db)  # the job rewrote every version row
            print(kind, "export cells", results["cells"], flush=True)
            rss_before = rss_peak = resident_bytes()
            started = time.perf_counter()
            response = client.get("/submissions/export?format=csv&form=home_visit")
            assert response.status_code == 200, response.status_code
            with tempfile.TemporaryFile() as out:
                for number, chunk in enumerate(response.iter_encoded()):
                    out.write(chunk)
                    if number % 256 == 0:
                        rss_peak = max(rss_peak, resident_bytes())
                response.close()
                elapsed = time.perf_counter() - started
                out.seek(0)
                with zipfile.ZipFile(out) as archive, archive.open("home_visit.csv") as csv_file:
                    rows = sum(1 for _ in csv_file) - 1
                    size = archive.getinfo("home_visit.csv").file_size
            results["export"] = (rows, elapsed, (rss_peak - rss_before), size)
            print(kind, "export", results["export"], flush=True)
            db.session.remove()
            db.engine.dispose()
    return results


def _settle(db) -> None:
    """What autovacuum does after a bulk load — statistics, the visibility map, the dead rows of rewritten ones — done
    before measuring, not during it (an autovacuum of a million rows under a measurement made it 5 times slower)."""
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(db.text("VACUUM ANALYZE"))
        connection.execute(db.text("CHECKPOINT"))  # and the pages it dirtied written out now, not under a measurement


def _list_query(after):
    from server.domain.access import Role, Scope
    from server.queries.submissions import SubmissionFilters, list_submissions

    scope = Scope(Role.ADMIN, "530100", "/530000/530100/")
    return list_submissions(scope, SubmissionFilters(), 51, (after[0], after[1]) if after is not None else None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--steps", type=int, nargs="+", default=[100_000, 250_000, 500_000, 1_000_000])
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    args = parser.parse_args()
    only = set(args.only)
    with tempfile.TemporaryDirectory(prefix="lastmeter-scale-") as folder:
        all_results = [run(kind, args.cases, args.steps, Path(folder), only) for kind in args.databases]
    command = "scripts/bench/scale.py" + ("" if args.steps[-1] == 1_000_000 else f" --steps {' '.join(map(str, args.steps))}") \
        + ("" if only == set(SECTIONS) else f" --only {' '.join(args.only)}")
    top = args.steps[-1]
    if "list" in only:
        publish_list(all_results, command, top)
    if "indicators" in only:
        publish_indicators(all_results, command, args.cases)
    if "cases_csv" in only:
        publish_cases_csv(all_results, command)
    if "export" in only:
        publish_export(all_results, command, top)


def publish_list(all_results: list[dict], command: str, top: int) -> None:

    rows = []
    for r in all_results:
        (p1, _), (p10k, _) = r["page1"], r["page10000"]
        (q1, _), (q10k, _) = r["page1_query"], r["page10000_query"]
        rows.append((r["kind"], ms(p1), ms(p10k), f"{p10k / p1:.2f}×", ms(q1), ms(q10k)))
    publish("list", f"3. Supervisor list at {top:,} submissions", command,
            table(("database", "page 1 (whole page)", "page 10 000", "ratio", "page 1 (query)", "page 10 000 (query)"),
                  rows) + "\n\nThe whole page includes the per-state counts over the filtered set (from the tallies); the "
                          "query is the keyset page itself. Targets: the whole page < 300 ms on SQLite and < 150 ms on "
                          "PostgreSQL, at page 1 and page 10 000.")



def publish_indicators(all_results: list[dict], command: str, cases: int) -> None:
    rows = []
    for r in all_results:
        for step, median, best in r["indicators"]:
            rows.append((r["kind"], f"{step:,}", ms(median), ms(best)))
    publish("indicators", f"4. City indicators ({cases:,} cases, 14 counties, 140 stations)", command,
            table(("database", "submissions", "median", "best"), rows)
            + "\n\n`indicators_of(city)` for the last 30 days, with all 14 counties (today's coverage from the "
              "read model on the case rows, `queries/coverage_model.py`: one pass over an index of the cases, "
              "whatever the number of submissions). Targets at 1 M: < 1 s on PostgreSQL, < 2 s on SQLite, growing "
              "no faster than linearly.")



def publish_cases_csv(all_results: list[dict], command: str) -> None:
    rows = [(r["kind"], r["cases_csv_rows"], ms(r["cases_csv_cold"]), ms(r["cases_csv_cached"][0])) for r in all_results]
    publish("cases_csv", "5. `cases.csv` of a 3 000-case station", command,
            table(("database", "rows", "cold", "cached (median)"), rows)
            + "\n\nThrough the OpenRosa route a phone uses (token URL); cold = the cache table emptied first.")



def publish_export(all_results: list[dict], command: str, top: int) -> None:
    rows = []
    for r in all_results:
        count, elapsed, rss, size = r["export"]
        cells, cells_time = r["cells"]
        rows.append((r["kind"], f"{count:,}", f"{elapsed:.1f} s", f"{count / elapsed:,.0f} rows/s",
                     f"{size / 2**20:.0f} MB", f"{rss / 2**20:.0f} MB", f"{cells / cells_time:,.0f} rows/s"))
    publish("export", f"6. CSV export of {top:,} submissions", command,
            table(("database", "rows", "time", "rate", "CSV size", "RSS growth", "cells kept by the job"), rows)
            + "\n\nStreamed through the supervisor route to a temporary file, every row's answers copied from the cells "
              "kept for the form's layout (`services/export_cells.py`). The generated submissions are stored in the "
              "order they arrived, as the server stores them (one run of arrivals per step of the generator), without "
              "their cells, as a bulk import or an upgrade leaves them; the last column is the rate at which the "
              "export-cells job then wrote them (the applier writes a visit's as it applies it). On PostgreSQL each "
              "load and the job are followed by `VACUUM ANALYZE`, as autovacuum would follow them. Targets: ≥ 50 000 "
              "rows/s on PostgreSQL and ≥ 20 000 on SQLite, in < 150 MB.")


if __name__ == "__main__":
    main()
