"""Rightsizing changes through the approval flow (bot.remediation.service) on moto: stop,
change type, terminate where allowed; the re-check right before acting; undo."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from bot.advice.rightsizing import (
    ACTION_CHANGE,
    ACTION_STOP,
    ACTION_TERMINATE,
    KIND_IDLE,
    KIND_OVERSIZED,
)
from bot.audit_export import events
from bot.inventory.requests import request_rightsize_change as request_change
from bot.remediation import rightsize_actions, service
from bot.remediation.service import ResourceRef
from bot.services import Services
from tests.orphans_fixtures import Clock, aws, clock  # noqa: F401
from tests.rightsize_fixtures import instance, launch, put_cpu, rs, steady  # noqa: F401


@pytest.fixture(autouse=True)
def quick_waiter(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(rightsize_actions, "STOP_WAIT", {"Delay": 1, "MaxAttempts": 5})
    yield


def ask(
    svc: Services,
    instance_id: str,
    kind: str,
    *,
    user: str = "U0DEV",
    instance_type: str | None = None,
    action: str | None = None,
) -> int:
    result = request_change(
        svc,
        ResourceRef(kind, "us-east-1", "current", instance_id),
        user=user,
        instance_type=instance_type,
        action=action,
    )
    assert result.request is not None, result.problem
    return result.request.id


def trail(svc: Services, resource: str) -> list[str]:
    return [e["status"] for e in events(svc.db) if e["resource_id"] == resource]


def approve_and_run(svc: Services, request_id: int, approver: str = "U0LEAD") -> service.Execution:
    assert service.decide(svc, request_id, user=approver, approve=True).outcome == "approved"
    return service.execute(svc, request_id)


def test_change_type_then_undo_restores_the_previous_type(rs: Services, clock: Clock) -> None:
    target = launch("c5.xlarge", "payments")
    put_cpu(target, steady(25.0, 45.0), clock())
    request_id = ask(rs, target, KIND_OVERSIZED, instance_type="c5.xlarge", action=ACTION_CHANGE)
    refused = service.decide(rs, request_id, user="U0SLEAD", approve=True)
    assert refused.outcome == "refused"
    assert instance(target)["InstanceType"] == "c5.xlarge"
    done = approve_and_run(rs, request_id)
    assert done.outcome == "executed", done.message
    assert "c5.xlarge to c5.large" in done.message
    now = instance(target)
    assert now["InstanceType"] == "c5.large" and now["State"]["Name"] == "running"
    assert done.request is not None and done.request.restore is not None
    assert done.request.restore["instance_type"] == "c5.xlarge"
    assert service.restore(rs, request_id, user="U0SLEAD").outcome == "refused"
    undone = service.restore(rs, request_id, user="U0LEAD")
    assert undone.outcome == "restored", undone.message
    assert "changed back to c5.xlarge" in undone.message
    assert instance(target)["InstanceType"] == "c5.xlarge"
    assert instance(target)["State"]["Name"] == "running"
    assert service.restore(rs, request_id, user="U0LEAD").outcome == "unavailable"
    steps = ["step_started", "step_done"] * 3  # stop, modify, start
    assert trail(rs, target) == [
        "requested",
        "refused",
        "approved",
        *steps,
        "executed",
        "restore_started",
        "restored",
    ]


def test_stop_then_undo_starts_it_again(rs: Services, clock: Clock) -> None:
    target = launch("m5.large", "payments")
    put_cpu(target, steady(2.0, 4.0), clock())
    request_id = ask(rs, target, KIND_IDLE, action=ACTION_STOP)
    done = approve_and_run(rs, request_id)
    assert done.outcome == "executed", done.message
    assert instance(target)["State"]["Name"] == "stopped"
    assert instance(target)["InstanceType"] == "m5.large"
    undone = service.restore(rs, request_id, user="U0LEAD")
    assert undone.outcome == "restored" and "started again" in undone.message
    from bot.render.remediation import status_line

    assert undone.request is not None
    line = status_line(undone.request)
    assert "started again by <@U0LEAD>" in line and "Restored" not in line
    assert instance(target)["State"]["Name"] == "running"


def test_terminate_only_where_the_team_allows_it(rs: Services, clock: Clock) -> None:
    target = launch("t3.large", "search")
    put_cpu(target, steady(1.0), clock())
    refused = request_change(
        rs, ResourceRef(KIND_IDLE, "us-east-1", "current", target), user="U0DEV", action=ACTION_STOP
    )
    assert refused.request is None and "changed" in refused.problem
    request_id = ask(rs, target, KIND_IDLE, action=ACTION_TERMINATE)
    done = approve_and_run(rs, request_id, approver="U0SLEAD")
    assert done.outcome == "executed", done.message
    assert instance(target)["State"]["Name"] == "terminated"
    images = boto3.client("ec2", region_name="us-east-1").describe_images(
        Owners=["self"], Filters=[{"Name": "tag:finops:source", "Values": [target]}]
    )["Images"]
    assert len(images) == 1 and images[0]["ImageId"] in done.message
    assert done.request is not None and done.request.restore is None


def test_double_approval_acts_once(rs: Services, clock: Clock) -> None:
    target = launch("c5.xlarge", "payments")
    put_cpu(target, steady(20.0), clock())
    request_id = ask(rs, target, KIND_OVERSIZED)
    assert service.decide(rs, request_id, user="U0LEAD", approve=True).outcome == "approved"
    assert service.decide(rs, request_id, user="U0LEAD", approve=True).outcome == "closed"
    assert service.execute(rs, request_id).outcome == "executed"
    assert service.execute(rs, request_id).outcome == "not_claimed"
    assert trail(rs, target).count("executed") == 1
    assert instance(target)["InstanceType"] == "c5.large"


@pytest.mark.parametrize("meanwhile", ["type-changed", "stopped", "protected", "busy"])
def test_recheck_before_acting_does_nothing_when_things_changed(
    rs: Services,
    clock: Clock,
    meanwhile: str,
) -> None:
    client = boto3.client("ec2", region_name="us-east-1")
    target = launch("c5.xlarge", "payments")
    put_cpu(target, steady(25.0), clock())
    request_id = ask(rs, target, KIND_OVERSIZED, instance_type="c5.xlarge")
    if meanwhile == "type-changed":
        client.stop_instances(InstanceIds=[target])
        client.modify_instance_attribute(InstanceId=target, InstanceType={"Value": "c5.2xlarge"})
        client.start_instances(InstanceIds=[target])
    elif meanwhile == "stopped":
        client.stop_instances(InstanceIds=[target])
    elif meanwhile == "protected":
        client.create_tags(Resources=[target], Tags=[{"Key": "finops:protect", "Value": "true"}])
    else:  # CPU rose: every hour now also has a 100 % point (hourly average 62.5 %)
        put_cpu(target, [100.0] * 336, clock())
    before = instance(target)
    done = approve_and_run(rs, request_id)
    assert done.outcome == "skipped", done.message
    assert done.message.startswith("Nothing done")
    after = instance(target)
    assert (after["InstanceType"], after["State"]["Name"]) == (
        before["InstanceType"],
        before["State"]["Name"],
    )
    assert trail(rs, target) == ["requested", "approved", "skipped"]


def test_request_refused_when_type_differs_or_protected(rs: Services, clock: Clock) -> None:
    target = launch("c5.xlarge", "payments")
    put_cpu(target, steady(25.0), clock())
    stale = request_change(
        rs,
        ResourceRef(KIND_OVERSIZED, "us-east-1", "current", target),
        user="U0DEV",
        instance_type="c5.2xlarge",
    )
    assert stale.request is None and "now c5.xlarge" in stale.problem
    locked = launch("m5.large", "payments", **{"finops:protect": "true"})
    put_cpu(locked, steady(1.0), clock())
    refused = request_change(
        rs, ResourceRef(KIND_IDLE, "us-east-1", "current", locked), user="U0DEV"
    )
    assert refused.request is None and "finops:protect" in refused.problem
    assert not events(rs.db)


def test_undo_refuses_when_the_type_was_changed_again(rs: Services, clock: Clock) -> None:
    target = launch("c5.xlarge", "payments")
    put_cpu(target, steady(25.0), clock())
    request_id = ask(rs, target, KIND_OVERSIZED)
    assert approve_and_run(rs, request_id).outcome == "executed"
    client = boto3.client("ec2", region_name="us-east-1")
    client.stop_instances(InstanceIds=[target])
    client.modify_instance_attribute(InstanceId=target, InstanceType={"Value": "c5.2xlarge"})
    undone = service.restore(rs, request_id, user="U0LEAD")
    assert undone.outcome == "failed" and "now c5.2xlarge" in undone.message
    assert instance(target)["InstanceType"] == "c5.2xlarge"
    assert trail(rs, target)[-1] == "restore_failed"


def test_a_failed_type_change_leaves_the_instance_running(
    rs: Services,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = launch("c5.xlarge", "payments")
    put_cpu(target, steady(25.0), clock())
    request_id = ask(rs, target, KIND_OVERSIZED)
    real = BaseClient._make_api_call

    def refuse_modify(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation == "ModifyInstanceAttribute":
            raise ClientError({"Error": {"Code": "Unsupported", "Message": "not here"}}, operation)
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", refuse_modify)
    failed = approve_and_run(rs, request_id)
    assert failed.outcome == "failed" and "Unsupported" in failed.message
    now = instance(target)
    assert (now["InstanceType"], now["State"]["Name"]) == ("c5.xlarge", "running")
