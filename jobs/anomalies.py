"""The anomalies job: find cost anomalies per team x service (x account) and tell the owners.

One anomaly, one message: the first run that sees it posts it to the team's channel
(untagged or unknown team: `default_channel`); later runs update that message while it
lasts, reply in its thread when its impact grew by more than `regrowth_pct` since last
announced, and mark it "ended" (with its total impact) once it is over. An alert whose
days, once settled (`cost.settle_days`), no longer alert is withdrawn: "resolved: the data
was revised". An anomaly marked "Expected" or "Not an anomaly" is never alerted again;
those answers tune the series (see bot.anomalies.service.tuning_for).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.anomalies import service as anomalies
from bot.anomalies import source
from bot.anomalies.detector import DayVerdict, Series, Thresholds, evaluate
from bot.anomalies.messages import view_of
from bot.anomalies.recommend import Contributor, recommend
from bot.render.anomalies import anomaly_message
from bot.services import Services
from bot.slack.outbound import Outbound
from jobs.posting import find_posted, post_once, reply_in_thread, update_posted, web_client
from jobs.registry import scheduled
from storage.models_alerts import Anomaly, PostedAlert

log = logging.getLogger(__name__)

#: Days of history read: 16 weeks covers the weekly profile, trend and three 1sts.
HISTORY_DAYS = 112
#: Owners' answers after which an anomaly is never alerted or updated again.
ANSWERED_QUIET = ("expected", "not_anomaly")


@scheduled("anomalies", trigger="cron", hour="*/6", minute=5)
def anomalies_job(services: Services) -> str:
    """Find cost anomalies and post (or update) one message per anomaly to its owners."""
    client = web_client(services)
    config = services.config
    today = services.now().date()
    start = today - timedelta(days=HISTORY_DAYS)
    thresholds = Thresholds.from_config(config.anomalies)
    since = today - timedelta(days=config.anomalies.report_days)
    accounts: list[str | None] = (
        [a.id for a in config.accounts] if len(config.accounts) > 1 else [None]
    )
    outcome: Counter[str] = Counter()
    for account in accounts:
        data = source.daily_costs_by_team_service(services, start, today, account=account)
        for (team, service), series in data.items():
            for result in _series(
                services,
                client,
                series,
                thresholds,
                team=team,
                service=service,
                account=account,
                since=since,
            ):
                outcome[result] += 1
    if not outcome:
        return f"no anomalies in {sum(1 for _ in accounts)} account view(s)"
    return ", ".join(f"{n} {what}" for what, n in sorted(outcome.items()))


def _series(
    services: Services,
    client: Outbound,
    series: Series,
    thresholds: Thresholds,
    *,
    team: str | None,
    service: str,
    account: str | None,
    since: date,
) -> list[str]:
    key = anomalies.series_key(team, service, account)
    with services.db.session() as session:
        accepted = anomalies.accepted_days(session, key)
        tuned = anomalies.tuning_for(session, key)
    verdicts = evaluate(series, thresholds, accepted=accepted, tuning=tuned.tuning)
    found = anomalies.findings(verdicts, team=team, service=service, account=account, since=since)
    view = _SeriesView(verdicts, max((d for d, _ in series), default=since), tuned.note)
    results: list[str] = []
    seen: set[int | None] = set()
    for finding in found:
        outcome, record_id = _one(services, client, finding, view)
        results.append(outcome)
        seen.add(record_id)
    with services.db.session() as session:
        others = [r for r in anomalies.active(session, key, since=since) if r.id not in seen]
    for record in others:
        if (settled := _unsupported(services, client, record, view)) is not None:
            results.append(settled)
    return results


@dataclass(frozen=True)
class _SeriesView:
    """The series as judged on today's data."""

    verdicts: list[DayVerdict]
    last_data_day: date
    tuning_note: str


def _change(
    services: Services, record: Anomaly, view: _SeriesView, *, matched: bool
) -> anomalies.Change | None:
    config = services.config
    return anomalies.lifecycle(
        record,
        verdicts=view.verdicts,
        last_data_day=view.last_data_day,
        settle_days=config.cost.settle_days,
        regrowth_pct=config.anomalies.regrowth_pct,
        matched=matched,
        now=services.now(),
    )


def _one(
    services: Services, client: Outbound, finding: anomalies.Finding, view: _SeriesView
) -> tuple[str, int | None]:
    """Post, update or leave alone one anomaly; returns what happened and its id."""
    now = services.now()
    change: anomalies.Change | None = None
    with services.db.session() as session:
        record = anomalies.matching(session, finding)
        changed = True
        if record is None:
            record = anomalies.new_record(finding, now)
            session.add(record)
            try:
                session.flush()
            except IntegrityError:
                return "already handled by another run", None
        else:
            changed = anomalies.extend(record, finding)
            if record.phase == "withdrawn":  # revised back up: it is real after all
                record.phase, record.phase_at, changed = "active", now, True
            if record.status in ANSWERED_QUIET:
                return f"marked {record.status.replace('_', ' ')} (quiet)", record.id
            change = _change(services, record, view, matched=True)
    posted = find_posted(services, record.alert_key)
    if posted is not None and not changed and change is None:
        return "unchanged", record.id
    contributors = _contributors(services, finding)
    detail = anomalies.detail(
        finding, contributors, recommend(finding.service, contributors, team=finding.team)
    )
    detail["tuning"] = view.tuning_note
    message = anomaly_message(view_of(record, detail))
    if posted is None:
        alert = post_once(
            services,
            client,
            key=record.alert_key,
            kind="anomaly",
            channel=_channel(services, finding.team),
            team=finding.team,
            message=message,
            detail=detail,
        )
        return ("posted" if alert is not None else "already posted"), record.id
    _redraw(services, client, record, posted.id, detail, message)
    if change is not None and change.reply:
        reply_in_thread(services, client, key=record.alert_key, text=change.reply)
        return "updated (grown, thread reply)", record.id
    return ("ended" if change is not None and change.phase == "ended" else "updated"), record.id


def _unsupported(
    services: Services, client: Outbound, record: Anomaly, view: _SeriesView
) -> str | None:
    """An active anomaly today's alerts do not contain: ended, or withdrawn once its days
    settled and still do not alert (the data was revised)."""
    with services.db.session() as session:
        row = session.get(Anomaly, record.id)
        if row is None:
            return None
        change = _change(services, row, view, matched=False)
        record = row
    if change is None:
        return None
    posted = find_posted(services, record.alert_key)
    if posted is None:
        return change.phase
    _redraw(services, client, record, posted.id, posted.detail, None)
    return "withdrawn (data revised)" if change.phase == "withdrawn" else change.phase


def _redraw(
    services: Services,
    client: Outbound,
    record: Anomaly,
    posted_id: int,
    detail: dict[str, Any],
    message: dict[str, Any] | None,
) -> None:
    with services.db.session() as session:
        row = session.get(PostedAlert, posted_id)
        if row is not None:
            row.detail = detail
    update_posted(
        services,
        client,
        key=record.alert_key,
        message=message or anomaly_message(view_of(record, detail)),
    )


def _channel(services: Services, team: str | None) -> str:
    """The team's channel; untagged spend and unknown teams go to default_channel."""
    config = services.config
    known = config.teams.get(team) if team else None
    return known.channel if known else config.default_channel


def _contributors(services: Services, finding: anomalies.Finding) -> list[Contributor]:
    try:
        return source.contributors(
            services,
            team=finding.team,
            service=finding.service,
            account=finding.account,
            day=finding.peak.day,
        )
    except Exception as exc:  # the alert matters more than its breakdown
        log.warning("no contributors for %s: %s", finding.series, exc)
        return []


def anomaly_record(services: Services, anomaly_id: int) -> tuple[Anomaly, PostedAlert] | None:
    """A stored anomaly and its posted alert (for the buttons)."""
    with services.db.session() as session:
        record = session.get(Anomaly, anomaly_id)
    if record is None:
        return None
    posted = find_posted(services, record.alert_key)
    return (record, posted) if posted is not None else None
