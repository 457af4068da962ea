"""Benchmark 9: how often the authenticity flags fire on genuine visits (false positives), and whether they catch the
deliberately faked ones — on the demo data, loaded fresh into a throwaway SQLite file (docs/authenticity.md).

Every photo is hashed first (as the thumbnail job does), so near-identical photos are looked for among all the
demo's photos. A genuine visit counts as a false positive for a flag unless the flag points at a faked visit (a
genuine visit whose photo a faked one reused is rightly flagged with it). A flag firing on more than a few percent
of genuine visits is to be retuned or dropped.

Run: .venv/bin/python scripts/bench/authenticity.py
     .venv/bin/python scripts/bench/authenticity.py DATABASE_URL MEDIA_ROOT   (a copy of a county's database: every
     visit counts as genuine; nothing is written to docs/)
"""
from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

from common import publish, table

LIMIT_PERCENT = 3.0


def main() -> None:
    from sqlalchemy import select

    from server import create_app
    from server.domain.authenticity import FLAG_NAMES
    from server.domain.cases import VISIT_FORMS
    from server.extensions import db
    from server.media import media_storage
    from server.models import Blob, Form, Submission, VisitFlag
    from server.services import media
    from server.services.authenticity import AUTHENTICITY_FLAGS
    from server.services.demo import load_demo
    from server.services.demo_visits import FAKED

    given = sys.argv[1:3]
    folder = Path(tempfile.mkdtemp(prefix="lastmeter-authenticity-"))
    url, media_root = given if len(given) == 2 else (f"sqlite:///{folder / 'demo.sqlite3'}", str(folder / "media"))
    app = create_app({"DATABASE_URL": url, "MEDIA_ROOT": media_root, "JOBS_URL": "memory://",
                      "SECRET_KEY": "benchmark-secret-key-0123456789"})
    with app.app_context():
        if not given:
            from flask_migrate import upgrade

            upgrade()
            load_demo()
            db.session.commit()
        for sha256 in db.session.scalars(select(Blob.sha256).order_by(Blob.created_at)):
            media.inspect_photo(sha256, media_storage())
        db.session.commit()
        faked = set(FAKED)
        visits = db.session.execute(select(Submission.id, Submission.instance_id).join(Form)
                                    .where(Form.xml_form_id.in_(VISIT_FORMS))).all()
        ids = {sid: instance for sid, instance in visits}
        genuine = [sid for sid, instance in visits if instance not in faked]
        false_positive: Counter[str] = Counter()
        caught: Counter[str] = Counter()
        for row in db.session.scalars(select(VisitFlag)):
            instance = ids.get(row.submission_id)
            if instance is None:
                continue
            if instance in faked:
                caught[row.code] += 1
            elif not set(row.detail.get("with", [])) & faked:
                false_positive[row.code] += 1
    rows = []
    for code in AUTHENTICITY_FLAGS:
        share = 100 * false_positive[code] / len(genuine) if genuine else 0.0
        rows.append((f"{FLAG_NAMES[code][0]} `{code.value}`", false_positive[code], f"{share:.2f} %",
                     "yes" if share <= LIMIT_PERCENT else "**no: retune**", caught[code]))
    body = table(("flag", "genuine visits flagged", "share", f"≤ {LIMIT_PERCENT:g} %", "faked visits flagged"), rows)
    body += (f"\n\n{len(genuine)} genuine demo visits (positions spread around their villages with a 200 m normal spread within 300 m "
             f"and 3–60 m accuracy, 6–45 minutes each, a worker's visits 20–60 minutes apart, every photo its "
             f"own) and {len(faked)} faked ones of every kind (`server/services/demo_visits.py`). The genuine visits are "
             "synthetic: the same script run against a copy of a county's real database (`DATABASE_URL`) is the "
             "measurement that matters; its numbers replace these.")
    if given:
        print(body)
        return
    publish("authenticity", "9. Authenticity flags on genuine and faked visits", "scripts/bench/authenticity.py",
            body)


if __name__ == "__main__":
    main()
