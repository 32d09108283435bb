"""The anomalies job: find cost anomalies per team x service (x account) and tell the owners.

One anomaly, one message: the first run that sees it posts it to the team's channel
(untagged or unknown team: `default_channel`); later runs update that message while it
lasts. An anomaly marked "Expected" is never alerted again, and its days count as normal.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError

from bot.anomalies import service as anomalies
from bot.anomalies import source
from bot.anomalies.detector import Series, Thresholds
from bot.anomalies.messages import view_of
from bot.anomalies.recommend import Contributor, recommend
from bot.render.anomalies import anomaly_message
from bot.services import Services
from bot.slack.outbound import Outbound
from jobs.posting import find_posted, post_once, update_posted, web_client
from jobs.registry import scheduled
from storage.models_alerts import Anomaly, PostedAlert

log = logging.getLogger(__name__)

#: Days of history read: 16 weeks covers the weekly profile, trend and three 1sts.
HISTORY_DAYS = 112


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
    found = anomalies.find(
        series,
        thresholds,
        team=team,
        service=service,
        account=account,
        since=since,
        accepted=accepted,
    )
    return [_one(services, client, finding) for finding in found]


def _one(services: Services, client: Outbound, finding: anomalies.Finding) -> str:
    """Post, update or leave alone one anomaly; returns what happened."""
    now = services.now()
    with services.db.session() as session:
        record = anomalies.matching(session, finding)
        changed = True
        if record is None:
            record = anomalies.new_record(finding, now)
            session.add(record)
            try:
                session.flush()
            except IntegrityError:
                return "already handled by another run"
        else:
            changed = anomalies.extend(record, finding)
    if record.status == "expected":
        return "marked expected (quiet)"
    posted = find_posted(services, record.alert_key)
    if posted is not None and not changed:
        return "unchanged"
    channel = _channel(services, finding.team)
    contributors = _contributors(services, finding)
    detail = anomalies.detail(finding, contributors, recommend(finding.service, contributors))
    message = anomaly_message(view_of(record, detail))
    if posted is None:
        alert = post_once(
            services,
            client,
            key=record.alert_key,
            kind="anomaly",
            channel=channel,
            team=finding.team,
            message=message,
            detail=detail,
        )
        return "posted" if alert is not None else "already posted"
    with services.db.session() as session:
        row = session.get(PostedAlert, posted.id)
        if row is not None:
            row.detail = detail
    update_posted(services, client, key=record.alert_key, message=message)
    return "updated"


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
