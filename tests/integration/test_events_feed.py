"""The outbox and the change feed on both databases: events are written with the change or not at all, and a
follower of ``GET /api/v1/changes`` receives every event exactly once, even when writers commit out of order."""
import threading
import time
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.extensions import db
from server.models.events import OutboxEvent
from server.services import outbox
from tests.support.visit_form import visit_xml
from tests.support.events import PASSWORD, bearer




def follow(client, headers, cursor: str | None, limit: int = 100) -> tuple[list[dict], str]:
    """Read the feed from ``cursor`` until it has nothing more."""
    got: list[dict] = []
    while True:
        url = f"/api/v1/changes?limit={limit}" + (f"&after={cursor}" if cursor else "")
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.json
        got += response.json["events"]
        cursor = response.json["next_cursor"]
        if not response.json["more"]:
            return got, cursor


def raw_event(station: str = "530102001", path: str = "/530100/530102/530102001/") -> OutboxEvent:
    return OutboxEvent(event_id=str(uuid.uuid4()), type="case.updated", station_code=station, area_path=path,
                       object_type="case", object_id=str(uuid.uuid4()), object_version=1, facts={})


@pytest.fixture
def county(make_user, network):
    make_user("wuhua", "county", "530102", PASSWORD)
    make_user("panlong", "county", "530103", PASSWORD)
    make_user("city", "admin", "530100", PASSWORD)
    return "wuhua"


def test_a_submission_and_its_case_write_events_in_the_same_transaction(client, collect, county):
    assert collect.submit(visit_xml("uuid:e1")).status_code == 201
    # the same instanceID with other content is refused: nothing of it reaches the outbox
    assert collect.submit(visit_xml("uuid:e1", person="别人")).status_code == 409
    events = db.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
    assert [(e.type, e.object_id, e.object_version) for e in events] == [("submission.created", "uuid:e1", 1)]
    assert events[0].seq is None  # numbered only by the sequencer, after commit
    assert outbox.sequence() == 1
    db.session.commit()
    feed, _ = follow(client, bearer(client, "wuhua"), None)
    assert [(e["type"], e["object"]["id"], e["sequence"]) for e in feed] == [("submission.created", "uuid:e1", 1)]
    assert feed[0]["data"]["instance_id"] == "uuid:e1" and feed[0]["data"]["station_code"] == "530102001"
    # another county's supervisor sees none of it, and their cursor still moves past it
    other, cursor = follow(client, bearer(client, "panlong"), None)
    assert other == [] and cursor


def test_a_follower_misses_nothing_when_writers_commit_out_of_order(client, county, app):
    """Writer A starts first and commits last. A reader paging by insertion id (or by time) would have moved past
    A's event before it became visible; the sequencer numbers A after B, so the follower gets both, once each."""
    headers = bearer(client, "city")
    seen, cursor = follow(client, headers, None)
    assert seen == []
    first = Session(db.engine, expire_on_commit=False)
    second = Session(db.engine, expire_on_commit=False)
    try:
        event_a = raw_event()
        first.add(event_a)
        first.flush()  # A holds its id (and, on SQLite, the write lock) and has not committed
        event_b = raw_event()
        if db.engine.dialect.name == "postgresql":
            second.add(event_b)
            second.commit()  # B commits first
            assert outbox.sequence() == 1  # only what is committed is numbered
            db.session.commit()
            page, cursor = follow(client, headers, cursor)
            assert [e["id"] for e in page] == [event_b.event_id]
            seen += page
            # the trap: "everything after the last id seen" has already passed A, which is still to come
            assert event_a.id < event_b.id
        else:
            # SQLite has one writer at a time: B waits for A, the follower reads meanwhile (WAL) and sees nothing
            def write_b():
                second.add(event_b)
                second.commit()

            writer = threading.Thread(target=write_b)
            writer.start()
            time.sleep(0.3)
            page, cursor = follow(client, headers, cursor)
            assert page == []
        first.commit()  # A commits last
        if db.engine.dialect.name != "postgresql":
            writer.join(10)
        outbox.sequence()
        db.session.commit()
        page, cursor = follow(client, headers, cursor)
        seen += page
    finally:
        first.close()
        second.close()
    assert sorted(e["id"] for e in seen) == sorted([event_a.event_id, event_b.event_id])
    assert len(seen) == len({e["id"] for e in seen}) == 2
    assert [e["sequence"] for e in seen] == sorted(e["sequence"] for e in seen)
    again, _ = follow(client, headers, cursor)
    assert again == []


def test_many_concurrent_writers_and_a_follower(client, county, app):
    """Eight writers commit 25 events each in random order while the sequencer and a follower run: the follower
    ends with all 200, each once, in sequence order."""
    headers = bearer(client, "city")
    stop = threading.Event()
    written: list[str] = []
    lock = threading.Lock()

    def writer(n: int):
        with app.app_context():
            for _ in range(25):
                with Session(db.engine, expire_on_commit=False) as session:
                    event = raw_event()
                    session.add(event)
                    session.flush()
                    time.sleep(0.001 * (n % 3))
                    session.commit()
                    with lock:
                        written.append(event.event_id)

    def sequencer():
        with app.app_context():
            while not stop.is_set():
                outbox.sequence()
                db.session.commit()
                time.sleep(0.01)
            db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    numbering = threading.Thread(target=sequencer)
    numbering.start()
    for thread in threads:
        thread.start()
    seen: list[dict] = []
    cursor = None
    while any(t.is_alive() for t in threads):
        page, cursor = follow(client, headers, cursor, limit=7)
        seen += page
    for thread in threads:
        thread.join()
    stop.set()
    numbering.join()
    outbox.sequence()
    db.session.commit()
    page, cursor = follow(client, headers, cursor, limit=7)
    seen += page
    assert len(written) == 200
    assert sorted(e["id"] for e in seen) == sorted(written)
    assert [e["sequence"] for e in seen] == sorted(e["sequence"] for e in seen)


def test_a_bad_cursor_is_a_400_and_workers_have_no_feed(client, county, make_user):
    headers = bearer(client, "wuhua")
    for bad in ("nonsense", "WzEsMl0", "Wy0xXQ"):  # not base64 JSON, two values, a negative number
        response = client.get(f"/api/v1/changes?after={bad}", headers=headers)
        assert response.status_code == 400 and response.json["code"] == "400.1", bad
    assert client.get("/api/v1/changes?limit=501", headers=headers).status_code == 400
    make_user("worker9", "worker", "530102001", PASSWORD)
    assert client.get("/api/v1/changes", headers=bearer(client, "worker9")).status_code == 403


def test_the_feed_masks_each_object_for_the_caller_as_the_api_does(client, county, make_user):
    from tests.integration.test_cases_api import add_case

    make_user("huashan", "station", "530102001", PASSWORD)
    add_case("kase-1", "530102001", "530102001001", label="张桂英 · 团结社区",
             properties={"id_number": "530102194805021234", "phone": "13812345678"})
    closed = client.post("/api/v1/cases/kase-1/close", headers=bearer(client, "wuhua"),
                         json={"reason": "moved_out", "note": "迁往外省"})
    assert closed.status_code == 200
    outbox.sequence()
    db.session.commit()
    for username, shown in (("wuhua", "530102194805021234"), ("huashan", "5301**********1234")):
        feed, _ = follow(client, bearer(client, username), None)
        assert [(e["type"], e["object"]["version"]) for e in feed] == [("case.closed", 1)]
        assert feed[0]["data"]["properties"]["id_number"] == shown, username
        api = client.get("/api/v1/cases/kase-1", headers=bearer(client, username)).json  # + members and timeline
        assert feed[0]["data"] == {key: api[key] for key in feed[0]["data"]}
