"""Every step of the advice and budget actions (stop, modify, start, image, terminate,
gp3 modify, lifecycle policy, Auto Scaling group updates, deny policy attach, stop
instances), interrupted right after its AWS call reached moto, then reconciled once:
executed, each changing call made exactly once, the log consistent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import boto3
import pytest

from bot.advice.rightsizing import (
    ACTION_CHANGE,
    ACTION_STOP,
    ACTION_TERMINATE,
    KIND_IDLE,
    KIND_OVERSIZED,
)
from bot.inventory.requests import request_compute_change as compute_change
from bot.inventory.requests import request_rightsize_change as rightsize_change
from bot.inventory.requests import request_storage_change as storage_change
from bot.orphans.model import Finding
from bot.remediation import requests as store
from bot.remediation import rightsize_actions, service
from bot.remediation.service import ResourceRef
from bot.services import Services
from tests.compute_fixtures import asg, cluster, group, reservations
from tests.crash_helpers import assert_consistent, changing_calls, crash_then_recover
from tests.orphans_fixtures import Clock, Estate, aws, clock, estate, svc  # noqa: F401
from tests.rightsize_fixtures import instance, launch, put_cpu, rs, steady  # noqa: F401
from tests.storage_advice_fixtures import bucket, lifecycle_rules, sizes, volume_type

ACCOUNT = "123456789012"


@pytest.fixture(autouse=True)
def quick_waiter(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(rightsize_actions, "STOP_WAIT", {"Delay": 1, "MaxAttempts": 5})
    yield


def _each_step(
    services: Services,
    patch: pytest.MonkeyPatch,
    clock: Clock,
    action: str,
    make: Callable[[], int],
    check: Callable[[], None],
    approver: str = "U0LEAD",
) -> None:
    for operation in changing_calls(action):
        request_id = make()
        decided = service.decide(services, request_id, user=approver, approve=True)
        assert decided.outcome == "approved"
        done, calls = crash_then_recover(
            services, patch, request_id, operation, advance=clock.advance
        )
        assert done.state == "executed", (operation, done.result)
        for call in changing_calls(action):
            assert calls[call] == 1, (operation, call, dict(calls))
        check()
    assert_consistent(services)


def test_rightsize_stop_change_and_terminate(
    rs: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []

    def ask(instance_type: str, team: str, kind: str, action: str, cpu: list[float]) -> int:
        target = launch(instance_type, team)
        put_cpu(target, cpu, clock())
        made.append(target)
        ref = ResourceRef(kind, "us-east-1", "current", target)
        extra = {"instance_type": instance_type} if kind == KIND_OVERSIZED else {}
        opened = rightsize_change(rs, ref, user="U0DEV", action=action, **extra)
        assert opened.request is not None, opened.problem
        return opened.request.id

    def state() -> tuple[str, str]:
        found = instance(made[-1])
        return found["State"]["Name"], found["InstanceType"]

    _each_step(
        rs,
        monkeypatch,
        clock,
        ACTION_STOP,
        lambda: ask("m5.large", "payments", KIND_IDLE, ACTION_STOP, steady(2.0, 4.0)),
        lambda: _expect(state()[0] in ("stopping", "stopped"), state()),
    )
    _each_step(
        rs,
        monkeypatch,
        clock,
        ACTION_CHANGE,
        lambda: ask("c5.xlarge", "payments", KIND_OVERSIZED, ACTION_CHANGE, steady(25.0, 45.0)),
        lambda: _expect(state() in (("running", "c5.large"), ("pending", "c5.large")), state()),
    )
    _each_step(
        rs,
        monkeypatch,
        clock,
        ACTION_TERMINATE,
        lambda: ask("t3.large", "search", KIND_IDLE, ACTION_TERMINATE, steady(1.0)),
        lambda: _expect(state()[0] in ("shutting-down", "terminated"), state()),
        approver="U0SLEAD",
    )


def _expect(ok: bool, seen: object) -> None:
    assert ok, seen


def test_storage_gp3_and_lifecycle(
    svc: Services, estate: Estate, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    volumes: list[str] = []
    buckets: list[str] = []

    def gp3() -> int:
        volumes.append(estate.volume(100, "gp2", "payments"))
        ref = ResourceRef("gp2-volume", "us-east-1", ACCOUNT, volumes[-1])
        opened = storage_change(svc, ref, user="U0DEV")
        assert opened.request is not None, opened.problem
        return opened.request.id

    def lifecycle() -> int:
        buckets.append(bucket(f"logs-{len(buckets)}-payments"))
        sizes(buckets[-1], svc.now(), StandardStorage=1000)
        ref = ResourceRef("s3-lifecycle", "us-east-1", ACCOUNT, buckets[-1])
        opened = storage_change(svc, ref, user="U0DEV")
        assert opened.request is not None, opened.problem
        return opened.request.id

    _each_step(
        svc,
        monkeypatch,
        clock,
        "modify-volume-gp3",
        gp3,
        lambda: _expect(volume_type(volumes[-1]) == "gp3", volumes),
    )
    _each_step(
        svc,
        monkeypatch,
        clock,
        "put-bucket-lifecycle",
        lifecycle,
        lambda: _expect(len(lifecycle_rules(buckets[-1])) == 1, buckets),
    )


def test_compute_spot_mix_and_ecs_capacity(
    svc: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def spot() -> int:
        asg("web-asg", desired=3, workload="web")
        ref = ResourceRef("spot-asg", "us-east-1", ACCOUNT, "web-asg")
        opened = compute_change(svc, ref, user="U0DEV")
        assert opened.request is not None, opened.problem
        return opened.request.id

    def ecs() -> int:
        cluster("jobs")
        reservations("jobs", svc.now(), cpu=[30.0] * 24, memory=[20.0] * 24)
        ref = ResourceRef("ecs-overprovisioned", "us-east-1", ACCOUNT, "jobs")
        opened = compute_change(svc, ref, user="U0DEV")
        assert opened.request is not None, opened.problem
        return opened.request.id

    def share() -> int:
        policy = group("web-asg")["MixedInstancesPolicy"]
        return int(policy["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"])

    _each_step(svc, monkeypatch, clock, "asg-spot-mix", spot, lambda: _expect(share() == 20, 0))
    _each_step(
        svc,
        monkeypatch,
        clock,
        "ecs-set-capacity",
        ecs,
        lambda: _expect(group("jobs-nodes")["DesiredCapacity"] == 2, group("jobs-nodes")),
    )
    with svc.db.session() as session:
        ecs_request = store.open_request_for(session, "jobs")
        assert ecs_request is None
    # The capacity before the change was recorded with the intent: Undo still knows it.
    executed = _last_executed(svc, "ecs-set-capacity")
    assert executed.restore is not None and executed.restore["desired"] == 4


def _last_executed(services: Services, action: str) -> store.CleanupRequest:
    from sqlalchemy import select

    from storage.models_remediation import CleanupRequest

    with services.db.session() as session:
        return session.scalars(
            select(CleanupRequest)
            .where(CleanupRequest.action == action, CleanupRequest.state == "executed")
            .order_by(CleanupRequest.id.desc())
        ).first()


def _budget_finding(action: str, **details: object) -> Finding:
    return Finding(
        resource_id=str(details.get("resource_id")),
        kind="budget",
        resource_type="iam-role" if action == "attach-deny-policy" else "ec2-instances",
        region="us-east-1",
        account=ACCOUNT,
        name="",
        size="",
        age_days=None,
        tags={},
        team="payments",
        owner=None,
        monthly_cost=Decimal("0"),
        approximate=False,
        action=action,
        details={k: v for k, v in details.items() if k != "resource_id"},
    )


def test_budget_attach_policy_and_stop_instances(
    svc: Services, estate: Estate, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    iam = boto3.client("iam", region_name="us-east-1")
    policy = iam.create_policy(PolicyName="deny-launches", PolicyDocument=_DENY)["Policy"]["Arn"]
    roles: list[str] = []
    stopped: list[str] = []

    def open_budget(finding: Finding) -> int:
        with svc.db.session() as session:
            request = store.create_request(
                session,
                finding=finding,
                requested_by=store.BOT_ACTOR,
                now=svc.now(),
                ttl=timedelta(hours=72),
            )
        return request.id

    def attach() -> int:
        roles.append(f"payments-deploy-{len(roles)}")
        iam.create_role(RoleName=roles[-1], AssumeRolePolicyDocument=_TRUST)
        return open_budget(
            _budget_finding(
                "attach-deny-policy", resource_id=roles[-1], role_name=roles[-1], policy_arn=policy
            )
        )

    def stop() -> int:
        stopped.append(estate.instance(team="payments"))
        return open_budget(
            _budget_finding("stop-instances", resource_id=stopped[-1], instance_ids=[stopped[-1]])
        )

    def attached() -> list[str]:
        found = iam.list_attached_role_policies(RoleName=roles[-1])["AttachedPolicies"]
        return [p["PolicyArn"] for p in found]

    def state() -> str:
        ec2 = estate.ec2()
        return str(
            ec2.describe_instances(InstanceIds=[stopped[-1]])["Reservations"][0]["Instances"][0][
                "State"
            ]["Name"]
        )

    _each_step(
        svc,
        monkeypatch,
        clock,
        "attach-deny-policy",
        attach,
        lambda: _expect(attached() == [policy], 0),
    )
    _each_step(
        svc,
        monkeypatch,
        clock,
        "stop-instances",
        stop,
        lambda: _expect(state() in ("stopping", "stopped"), state()),
    )


_TRUST = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
    '"Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
)
_DENY = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", '
    '"Action": "ec2:RunInstances", "Resource": "*"}]}'
)
