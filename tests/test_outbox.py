"""The outbox worker against the console stand-in: Retry-After, spacing, backoff, coalesced
updates, undeliverable messages."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy import update as outbox_update

from bot.config import Settings
from bot.services import Services, build_services
from bot.slack.worker import MAX_FAILURES, OutboxWorker, pending
from jobs.posting import find_posted, post_once, update_posted
from standins.slack_console import SlackConsole
from storage import outbox
from storage.models_alerts import PostedAlert
from storage.models_outbox import OutboxMessage
from tests.conftest import BOT_TOKEN, CHANNELS, SIGNING_SECRET, make_env


@pytest.fixture
def console() -> Iterator[SlackConsole]:
    with SlackConsole(
        bot_url="http://127.0.0.1:9/unset",
        signing_secret=SIGNING_SECRET,
        bot_token=BOT_TOKEN,
        channels=CHANNELS,
    ) as running:
        yield running


@pytest.fixture
def svc(config_file: Path, sqlite_url: str, console: SlackConsole) -> Iterator[Services]:
    env = make_env(config_file, sqlite_url, SLACK_API_URL=console.api_url)
    built = build_services(Settings.from_env(env))
    built.__dict__["_outbox_worker"] = OutboxWorker(built, spacing=0.4)
    yield built
    built.db.dispose()


def worker(services: Services) -> OutboxWorker:
    found: OutboxWorker = services.__dict__["_outbox_worker"]
    return found


def row(services: Services, key: str) -> OutboxMessage:
    with services.db.session() as session:
        found = outbox.find(session, key)
    assert found is not None
    return found


def post(services: Services, key: str, channel: str = "C0PAY", text: str = "hi") -> None:
    post_once(services, None, key=key, kind="test", channel=channel, message={"text": text})


def test_retry_after_is_honoured_then_the_alert_is_posted_once(
    svc: Services, console: SlackConsole
) -> None:
    console.fail("chat.postMessage", channel="C0PAY", retry_after=1, times=1)
    post(svc, "a:1")
    alert = find_posted(svc, "a:1")
    assert alert is not None and alert.ts is None  # queued, not lost
    assert "Retry-After 1" in row(svc, "a:1").last_error
    assert worker(svc).deliver_due() == 0  # not before Retry-After
    time.sleep(1.1)
    assert worker(svc).deliver_due() == 1
    messages = console.messages("C0PAY")
    assert [m["text"] for m in messages] == ["hi"]
    alert = find_posted(svc, "a:1")
    assert alert is not None and alert.ts == messages[0]["ts"]
    post(svc, "a:1", text="again")  # the key is taken: nothing new
    assert worker(svc).drain(timeout=2) == 0 and len(console.messages("C0PAY")) == 1


def test_posts_to_one_channel_are_spaced(svc: Services, console: SlackConsole) -> None:
    started = time.monotonic()
    for i in range(3):
        post(svc, f"s:{i}")
    post(svc, "other", channel="C0SRCH")
    elapsed = time.monotonic() - started
    assert len(console.messages("C0PAY")) == 3 and len(console.messages("C0SRCH")) == 1
    assert elapsed >= 2 * 0.4 * 0.95  # two gaps in #payments, none for #search
    assert elapsed < 5


def test_transient_errors_back_off_then_give_up_and_report(
    svc: Services, console: SlackConsole
) -> None:
    console.fail("chat.postMessage", channel="C0PAY", error="service_unavailable", status=503)
    worker(svc).pacer.spacing = 0  # this test is about backoff, not spacing
    post(svc, "t:1")
    for _ in range(MAX_FAILURES):
        with svc.db.session() as session:  # skip the wait of the backoff
            found = outbox.find(session, "t:1")
            assert found is not None
            found.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
        worker(svc).deliver_due()
    worker(svc).drain(timeout=2)  # the report to default_channel
    failed = row(svc, "t:1")
    assert failed.state == "failed" and "attempts" in failed.last_error
    assert console.messages("C0PAY") == []
    report = [m["text"] for m in console.messages("C0FINOPS")]
    assert len(report) == 1 and "service_unavailable" in report[0] and "t:1" in report[0]
    assert {r.dedupe_key for r in pending(svc)} == {"t:1"}  # kept for an admin


def test_updates_coalesce_and_end_in_the_latest_version(
    svc: Services, console: SlackConsole
) -> None:
    post(svc, "u:1", text="v1")
    console.fail("chat.update", retry_after=1)
    for version in ("v2", "v3", "v4"):
        assert update_posted(svc, None, key="u:1", message={"text": version})
    assert [m["text"] for m in console.messages("C0PAY")] == ["v1"]
    console.clear_faults()
    time.sleep(1.1)
    worker(svc).drain(timeout=5)
    assert [m["text"] for m in console.messages("C0PAY")] == ["v4"]
    done = [c for c in console.calls("chat.update") if c["ok"]]
    assert len(done) == 1 and row(svc, "u:1").state == "delivered"


def test_update_of_an_alert_posted_before_the_outbox(svc: Services, console: SlackConsole) -> None:
    from slack_sdk import WebClient

    client = WebClient(token=BOT_TOKEN, base_url=console.api_url)
    ts = client.chat_postMessage(channel="C0PAY", text="old")["ts"]
    with svc.db.session() as session:
        session.add(
            PostedAlert(dedupe_key="old:1", kind="anomaly", channel="C0PAY", ts=ts, detail={})
        )
    assert update_posted(svc, client, key="old:1", message={"text": "new"})
    assert [m["text"] for m in console.messages("C0PAY")] == ["new"]
    assert not update_posted(svc, client, key="never:posted", message={"text": "x"})


def test_a_message_for_a_missing_channel_is_never_rerouted(
    svc: Services, console: SlackConsole
) -> None:
    post(svc, "m:1", channel="C0NOPE")
    worker(svc).drain(timeout=2)  # the report to default_channel
    failed = row(svc, "m:1")
    assert failed.state == "failed" and failed.last_error == "channel_not_found"
    texts = [m["text"] for m in console.messages("C0FINOPS")]
    assert len(texts) == 1 and "Could not deliver" in texts[0] and "hi" not in texts
    with svc.db.session() as session:
        assert session.scalar(select(PostedAlert).where(PostedAlert.dedupe_key == "m:1"))


def test_two_processes_workers_deliver_each_row_once(
    config_file: Path, database_url: str, console: SlackConsole
) -> None:
    import threading

    env = make_env(config_file, database_url, SLACK_API_URL=console.api_url)
    replicas = [build_services(Settings.from_env(env)) for _ in range(2)]  # own engines
    with replicas[0].db.session() as session:
        for i in range(6):
            outbox.message(
                session, key=f"w:{i}", purpose="test", channel="C0PAY", message={"text": str(i)}
            )
    workers = [OutboxWorker(r, spacing=0) for r in replicas for _ in range(2)]
    threads = [threading.Thread(target=w.deliver_due) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(m["text"] for m in console.messages("C0PAY")) == [str(i) for i in range(6)]
    assert pending(replicas[0]) == []
    for built in replicas:
        built.db.dispose()


def test_one_module_calls_the_web_api_and_domain_code_never_imports_handlers() -> None:
    root = Path(__file__).resolve().parent.parent
    for package in ("bot", "jobs", "handlers"):
        for path in (root / package).rglob("*.py"):
            text = path.read_text()
            where = path.relative_to(root).as_posix()
            # the app factory and the server register/list the handlers: wiring, not domain
            if package != "handlers" and where not in ("bot/app.py", "bot/server.py"):
                assert "from handlers" not in text and "import handlers" not in text, where
            if where != "bot/slack/outbound.py":
                for method in ("chat_postMessage", "chat_update", "files_upload_v2"):
                    assert method not in text, (where, method)
                called = re.search(r"client\.(users|views|conversations|files|chat)_\w+\(", text)
                assert called is None, (where, called and called.group(0))


def test_outbox_cli_lists_pending_and_failed(
    svc: Services,
    console: SlackConsole,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    from bot.cli import main

    console.fail("chat.postMessage", channel="C0SRCH", retry_after=30)
    post(svc, "late:1", channel="C0SRCH")
    post(svc, "gone:1", channel="C0NOPE")
    for key, value in make_env(Path(svc.settings.config_path), svc.db.url).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SLACK_API_URL", console.api_url)
    assert main(["outbox", "--format", "json"]) == 0
    listed = {r["key"]: r for r in json.loads(capsys.readouterr().out)}
    assert (
        listed["late:1"]["state"] == "pending"
        and "Retry-After 30" in listed["late:1"]["last_error"]
    )
    assert (
        listed["gone:1"]["state"] == "failed"
        and listed["gone:1"]["last_error"] == "channel_not_found"
    )
    assert main(["outbox"]) == 0
    table = capsys.readouterr().out
    assert "late:1" in table and "gone:1" in table and "channel_not_found" in table
    assert main(["outbox", "retry", str(listed["late:1"]["id"])]) == 2  # not a failed one


def test_two_replicas_share_the_spacing_of_a_channel(
    config_file: Path, database_url: str, console: SlackConsole
) -> None:
    """Slack allows about one post per second per channel: the spacing holds across
    replicas (shared through the database), not once per process."""
    import threading

    env = make_env(config_file, database_url, SLACK_API_URL=console.api_url)
    replicas = [build_services(Settings.from_env(env)) for _ in range(2)]  # own engines
    with replicas[0].db.session() as session:
        for i in range(6):
            outbox.message(
                session, key=f"p:{i}", purpose="test", channel="C0PAY", message={"text": str(i)}
            )
    workers = [OutboxWorker(r, spacing=0.5, poll_seconds=0.05) for r in replicas]
    threads = [threading.Thread(target=w.drain, kwargs={"timeout": 20}) for w in workers]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    arrivals = sorted(float(m["ts"]) for m in console.messages("C0PAY"))  # Slack-style ts
    assert len(arrivals) == 6
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) >= 0.5 * 0.8, gaps  # per-process pacing lets two replicas post together
    assert elapsed >= 5 * 0.5 * 0.9
    for built in replicas:
        built.db.dispose()


def test_a_row_held_by_a_dead_worker_goes_once_its_lease_lapses(
    svc: Services, console: SlackConsole
) -> None:
    """A process killed while sending leaves its claim: nobody else sends the row until
    the lease lapses (the sender may still be alive), then one worker does, once."""
    post(svc, "d:1", text="v1")
    with svc.db.session() as session:  # v2 queued, and a worker killed sending it
        assert outbox.replace(session, key="d:1", message={"text": "v2"})
        session.execute(
            outbox_update(OutboxMessage)
            .where(OutboxMessage.dedupe_key == "d:1")
            .values(claimed_by="gone:1:0", claimed_until=datetime.now(UTC) + timedelta(minutes=1))
        )
    assert worker(svc).deliver_due() == 0
    started = time.monotonic()
    held = worker(svc).deliver_keys(["d:1"], wait=0.5)["d:1"]
    assert held is not None and held.state == "pending" and time.monotonic() - started < 2
    assert [m["text"] for m in console.messages("C0PAY")] == ["v1"]
    with svc.db.session() as session:  # the lease lapses
        session.execute(
            outbox_update(OutboxMessage)
            .where(OutboxMessage.dedupe_key == "d:1")
            .values(claimed_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert worker(svc).drain(timeout=5) == 0
    assert [m["text"] for m in console.messages("C0PAY")] == ["v2"]
    assert len([c for c in console.calls("chat.update") if c["ok"]]) == 1
    assert row(svc, "d:1").state == "delivered"


def test_asked_now_while_another_worker_sends_an_older_revision_ends_in_the_latest(
    svc: Services, console: SlackConsole
) -> None:
    """A handler asks for a row another worker is sending: once that worker is done (with
    the revision it had), the newer revision goes now, not at the next poll."""
    import threading

    post(svc, "r:1", text="v1")
    with svc.db.session() as session:  # v2 queued while another worker holds the row
        assert outbox.replace(session, key="r:1", message={"text": "v2"})
        session.execute(
            outbox_update(OutboxMessage)
            .where(OutboxMessage.dedupe_key == "r:1")
            .values(claimed_by="other:1:0", claimed_until=datetime.now(UTC) + timedelta(minutes=1))
        )

    def other_done() -> None:  # it delivered its older revision: released, still pending
        time.sleep(0.3)
        with svc.db.session() as session:
            session.execute(
                outbox_update(OutboxMessage)
                .where(OutboxMessage.dedupe_key == "r:1")
                .values(claimed_until=None)
            )

    other = threading.Thread(target=other_done)
    other.start()
    sent = worker(svc).deliver_keys(["r:1"], wait=3)["r:1"]
    other.join()
    assert sent is not None and sent.state == "delivered"
    assert [m["text"] for m in console.messages("C0PAY")] == ["v2"]
