"""The events pump, run by every job worker (``flask jobs-worker``) in a thread of its own, or once by
``flask outbox-pump --once`` (docs/events.md).

One round, each step its own transaction:
0. apply acknowledged visits not yet applied to their cases (``services.submissions.apply_pending_visits``, as the
   applier thread beside the pump does continually; here for ``outbox-pump`` run alone);
1. number the committed events (the sequencer);
2. the ``alerts`` consumer raises alerts from them; newly overdue cases and the 08:00 digests are raised too;
3. number again (the alerts' own events), then the ``deliveries`` consumer turns events into deliveries;
4. claim due deliveries (leased for one attempt), POST them a few at a time, record each outcome.
Nothing here is lost when a worker is killed: the consumers' positions move only with the work they committed,
and a delivery leased by a killed worker is taken up again when its lease ends.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from flask import Flask

from server.adapters.http import post_json
from server.domain import clock
from server.domain.chat import ChatMessage, robot_error, robot_request
from server.domain.events import ROBOT_KINDS, TEST_EVENT, AttemptOutcome, TargetKind, judge_response, webhook_signature
from server.extensions import db
from server.models.events import Alert, Delivery
from server.services import alerts, outbox, timekeeping, webhooks
from server.services.submissions import APPLY_BATCH, apply_pending_visits
from server.services.webhooks import DeliverySettings

log = logging.getLogger(__name__)
SENDERS = 4
OVERDUE_EVERY_SECONDS = 300
DIGEST_EVERY_SECONDS = 60


@dataclass(frozen=True)
class Prepared:
    delivery_id: int
    attempt: int
    kind: TargetKind
    url: str = ""
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    secret: str | None = None      # a webhook's: the request is signed when it is sent
    refused: str | None = None     # why it cannot be sent at all (the owner's account was disabled…)
    pause: bool = False            # …and whether that pauses the subscription


class Pump:
    def __init__(self, app: Flask):
        self.app = app
        self.settings = DeliverySettings.from_config(app.config)
        self.public_url = str(app.config["PUBLIC_URL"])
        self._last_overdue = self._last_digest = -1e9

    def run_once(self) -> dict[str, int]:
        """One round; returns what each step did (for the command line and the tests)."""
        done: dict[str, int] = {}
        with self.app.app_context():
            timekeeping.keep_in_step()
            done["applied"] = self._step(apply_pending_visits)  # visits acknowledged, not yet on their cases
            done["sequenced"] = self._step(outbox.sequence)
            done["alerts"] = self._step(lambda: _drain(alerts.CONSUMER, alerts.raise_from_events))
            if time.monotonic() - self._last_overdue >= OVERDUE_EVERY_SECONDS:
                done["overdue"] = self._step(alerts.raise_overdue)
                self._last_overdue = time.monotonic()
            if time.monotonic() - self._last_digest >= DIGEST_EVERY_SECONDS:
                done["digests"] = self._step(alerts.raise_digests)
                self._last_digest = time.monotonic()
            done["sequenced"] += self._step(outbox.sequence)
            done["fanned_out"] = self._step(lambda: _drain(webhooks.CONSUMER, webhooks.fan_out))
            done["attempted"] = self.deliver_due()
        return done

    def _step(self, work) -> int:
        try:
            result = work()
            db.session.commit()
            return int(result or 0)
        except Exception:
            db.session.rollback()
            log.exception("events pump: a step failed; it is retried next round")
            return 0
        finally:
            db.session.remove()

    def deliver_due(self) -> int:
        """Claim as many due deliveries as there are senders (each leased for its one attempt), send them at once,
        record each outcome as it comes; again until nothing is due."""
        lease = self.settings.policy.lease(self.settings.timeout_seconds)
        attempted = 0
        with ThreadPoolExecutor(max_workers=SENDERS) as senders:
            while True:
                try:
                    claimed = webhooks.claim_due(SENDERS, lease, self.settings.policy)
                    prepared = [self._prepare_safely(delivery) for delivery in claimed]
                    db.session.commit()
                except Exception:
                    db.session.rollback()
                    log.exception("events pump: could not claim deliveries")
                    return attempted
                finally:
                    db.session.remove()
                if not prepared:
                    return attempted
                for item, outcome in zip(prepared, senders.map(self._send, prepared)):
                    self._step(lambda: webhooks.record_outcome(item.delivery_id, item.attempt, outcome,
                                                               self.settings.policy) and 1)
                attempted += len(prepared)

    def _send(self, item: Prepared) -> AttemptOutcome:
        if item.refused:
            return AttemptOutcome(False, item.pause, None, item.refused)
        try:
            headers = dict(item.headers)
            if item.secret is not None:  # signed now, so the timestamp is fresh however long the queue was
                timestamp = int(clock.timestamp())
                headers.update({"Lastmeter-Timestamp": str(timestamp),
                                "Lastmeter-Signature": webhook_signature(item.secret, timestamp, item.body)})
            answer = post_json(item.url, item.body, headers, self.settings.timeout_seconds,
                               self.settings.allow_private)
            robot_said = (robot_error(item.kind, answer.body)
                          if item.kind in ROBOT_KINDS and answer.status is not None and 200 <= answer.status < 300
                          else None)
            return judge_response(answer.status, answer.error, robot_said)
        except Exception as failure:  # noqa: BLE001 — one delivery's surprise must not lose the others' outcomes
            log.exception("events pump: sending delivery %s failed", item.delivery_id)
            return AttemptOutcome(False, False, None, f"{type(failure).__name__}: {failure}"[:300])

    def _prepare_safely(self, delivery: Delivery) -> Prepared:
        try:
            return self._prepare(delivery)
        except Exception as failure:  # noqa: BLE001 — recorded on that delivery; the others go on
            log.exception("events pump: preparing delivery %s failed", delivery.id)
            return Prepared(delivery.id, delivery.attempts, delivery.subscription.kind,
                            refused=f"{type(failure).__name__}: {failure}"[:300])

    def _prepare(self, delivery: Delivery) -> Prepared:
        subscription = delivery.subscription
        if subscription.kind == TargetKind.WEBHOOK:
            return self._prepare_webhook(delivery)
        message = self._chat_message(delivery)
        if message is None:
            return Prepared(delivery.id, delivery.attempts, subscription.kind, refused="预警已不存在 / the alert is gone")
        url, body = robot_request(subscription.kind, subscription.url, subscription.secret, message, clock.timestamp())
        return Prepared(delivery.id, delivery.attempts, subscription.kind, url, body)

    def _prepare_webhook(self, delivery: Delivery) -> Prepared:
        from server.api.changes import event_body, test_body

        subscription = delivery.subscription
        why_not = webhooks.owner_may_receive(subscription)
        if why_not:
            return Prepared(delivery.id, delivery.attempts, subscription.kind, refused=why_not, pause=True)
        if delivery.event_type == TEST_EVENT:
            payload = test_body(delivery.event_id, subscription.name)
        else:
            event = outbox.get_event(delivery.event_id)
            if event is None:
                return Prepared(delivery.id, delivery.attempts, subscription.kind, refused="事件不存在 / the event is gone")
            payload = event_body(event, subscription.owner)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
        headers = (("Lastmeter-Event-Id", delivery.event_id), ("Lastmeter-Event-Type", delivery.event_type),
                   ("Lastmeter-Delivery", str(delivery.id)), ("Lastmeter-Attempt", str(delivery.attempts)))
        return Prepared(delivery.id, delivery.attempts, subscription.kind, subscription.url, body, headers,
                        secret=subscription.secret or "")

    def _chat_message(self, delivery: Delivery) -> ChatMessage | None:
        if delivery.event_type == TEST_EVENT:
            return ChatMessage(title="【测试】Lastmeter 推送测试",
                               lines=(f"- 机器人“{delivery.subscription.name}”已连通，之后的预警会发到本群。",),
                               link_text="查看推送设置（需登录）",
                               link_url=f"{self.public_url}/integrations/{delivery.subscription_id}")
        event = outbox.get_event(delivery.event_id)
        alert = db.session.get(Alert, int(event.object_id)) if event is not None else None
        return alerts.chat_message(alert, self.public_url) if alert is not None else None


def _drain(name: str, work) -> int:
    """One batch of a consumer (the next round takes the next batch)."""
    return outbox.consume(name, work)


def run_forever(app: Flask, stop: threading.Event) -> None:
    pump = Pump(app)
    poll = int(app.config["OUTBOX_POLL_SECONDS"])
    while not stop.is_set():
        try:
            done = pump.run_once()
        except Exception:  # noqa: BLE001 — a round that fails is logged; the next one starts over
            log.exception("events pump: round failed")
            done = {}
        busy = (done.get("attempted", 0) or done.get("fanned_out", 0) or done.get("sequenced", 0)
                or done.get("applied", 0))
        # While events flow, the next round comes soon, but not at once: each round is a few short write
        # transactions, which on SQLite wait for (and hold up) the requests' own.
        stop.wait(BUSY_ROUND_SECONDS if busy else poll)


APPLY_IDLE_SECONDS = 0.25
APPLY_GATHER_SECONDS = 0.1
BUSY_ROUND_SECONDS = 0.5


def run_applier(app: Flask, stop: threading.Event) -> None:
    """Apply acknowledged visits to their cases as they arrive: full batches back to back; after a partial one, a
    tenth of a second for the next visits to gather (one commit for many, not one each); with none waiting, a
    look every quarter second (a read of an index; nothing is written while nothing waits)."""
    while not stop.is_set():
        applied = 0
        with app.app_context():
            timekeeping.keep_in_step()
            try:
                applied = apply_pending_visits()
                db.session.commit()
            except Exception:  # noqa: BLE001 — logged; the visits wait for the next look
                db.session.rollback()
                log.exception("visit applier: batch failed")
            finally:
                db.session.remove()
        stop.wait(0 if applied >= APPLY_BATCH else APPLY_GATHER_SECONDS if applied else APPLY_IDLE_SECONDS)


def start_thread(app: Flask) -> threading.Event:
    """The events pump and the visit applier, each in a thread of this process; set the event to stop both."""
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(app, stop), name="events-pump", daemon=True).start()
    threading.Thread(target=run_applier, args=(app, stop), name="visit-applier", daemon=True).start()
    return stop
