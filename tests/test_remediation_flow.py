"""Cleanup requests against moto: approve, reject, refuse, re-check, fail, expire, restore."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from bot.audit_export import events, render
from bot.remediation import service
from bot.remediation.service import ResourceRef
from bot.services import Services
from tests.orphans_fixtures import Clock, Estate, aws, clock, estate, svc  # noqa: F401


def ref(resource_id: str, kind: str = "volume", region: str = "us-east-1") -> ResourceRef:
    return ResourceRef(kind=kind, region=region, account="123456789012", resource_id=resource_id)


def open_request(
    services: Services, resource_id: str, kind: str = "volume", user: str = "U0DEV"
) -> int:
    result = service.request_cleanup(services, ref(resource_id, kind), user=user)
    assert result.request is not None, result.problem
    return result.request.id


def statuses(services: Services) -> list[str]:
    return [e["status"] for e in events(services.db)]


def test_volume_cleanup_snapshots_first_then_deletes(svc: Services, estate: Estate) -> None:
    volume = estate.volume(100, "gp2", "payments", Name="old")
    request_id = open_request(svc, volume)
    decision = service.decide(svc, request_id, user="U0LEAD", approve=True)
    assert decision.outcome == "approved"
    done = service.execute(svc, request_id)
    assert done.outcome == "executed", done.message
    ec2 = estate.ec2()
    assert (
        ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [volume]}])["Volumes"] == []
    )
    snapshots = ec2.describe_snapshots(Filters=[{"Name": "tag:finops:source", "Values": [volume]}])[
        "Snapshots"
    ]
    assert len(snapshots) == 1
    snap_tags = {t["Key"]: t["Value"] for t in snapshots[0]["Tags"]}
    assert snap_tags["finops:cleanup-request"] == str(request_id)
    assert snap_tags["Team"] == "payments" and "finops:restore-until" in snap_tags
    assert done.request is not None and done.request.state == "executed"
    assert snapshots[0]["SnapshotId"] in done.request.result
    # each step written before and after its AWS call: snapshot, then delete
    assert statuses(svc) == [
        "requested",
        "approved",
        "step_started",
        "step_done",
        "step_started",
        "step_done",
        "executed",
    ]
    audit = events(svc.db)
    assert [e["detail"].get("step") for e in audit[2:6]] == [
        "snapshot",
        "snapshot",
        "delete",
        "delete",
    ]
    assert audit[2]["detail"]["aws_call"] == "CreateSnapshot" and audit[2]["detail"]["token"]
    assert audit[3]["detail"]["outcome"]["snapshot_id"] == snapshots[0]["SnapshotId"]
    assert audit[-1]["decided_by"] == "U0LEAD" and audit[-1]["requested_by"] == "U0DEV"
    assert audit[-1]["monthly_saving"] == "10.00" and audit[0]["decided_by"] is None
    assert audit[-1]["detail"]["before"]["resource_id"] == volume


@pytest.mark.parametrize("kind", ["address", "snapshot", "stopped-instance"])
def test_other_cleanups(svc: Services, estate: Estate, clock: Clock, kind: str) -> None:
    ec2 = estate.ec2()
    if kind == "address":
        resource = estate.address("search")
    elif kind == "snapshot":
        gone = estate.volume(20, "gp2", "payments")
        resource = ec2.create_snapshot(
            VolumeId=gone,
            TagSpecifications=[
                {"ResourceType": "snapshot", "Tags": [{"Key": "Team", "Value": "payments"}]}
            ],
        )["SnapshotId"]
        ec2.delete_volume(VolumeId=gone)
        clock.advance(days=91)
    else:
        resource = estate.instance(team="payments")
        ec2.stop_instances(InstanceIds=[resource])
        clock.advance(days=31)
    approver = "U0SLEAD" if kind == "address" else "U0LEAD"
    request_id = open_request(svc, resource, kind)
    from bot.remediation import requests as store
    from bot.render.remediation import approval_message

    with svc.db.session() as session:
        pending = store.get_request(session, request_id)
        assert pending is not None
        shown = json.dumps(approval_message(pending, deciders=[]))
    # Releasing an Elastic IP cannot be undone, and the request says so; others don't.
    assert ("Cannot be undone" in shown) == (kind == "address")
    assert service.decide(svc, request_id, user=approver, approve=True).outcome == "approved"
    done = service.execute(svc, request_id)
    assert done.outcome == "executed", done.message
    if kind == "address":
        assert ec2.describe_addresses()["Addresses"] == []
    elif kind == "snapshot":
        with pytest.raises(ClientError):
            ec2.describe_snapshots(SnapshotIds=[resource])
    else:
        state = ec2.describe_instances(InstanceIds=[resource])["Reservations"][0]["Instances"][0][
            "State"
        ]["Name"]
        assert state in ("terminated", "shutting-down")
        images = ec2.describe_images(
            Owners=["self"], Filters=[{"Name": "tag:finops:source", "Values": [resource]}]
        )["Images"]
        assert len(images) == 1 and images[0]["ImageId"] in done.message


def test_load_balancer_cleanup(svc: Services, estate: Estate) -> None:
    from tests.test_orphans_kinds import _alb

    arn = _alb(estate.session, "idle", None)
    request_id = open_request(svc, arn, "load-balancer")
    service.decide(svc, request_id, user="U0SLEAD", approve=True)
    assert service.execute(svc, request_id).outcome == "executed"
    elbv2 = estate.session.client("elbv2", region_name="us-east-1")
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []


def test_unauthorized_approval_is_refused_and_logged(svc: Services, estate: Estate) -> None:
    volume = estate.volume(100, "gp2", "payments")
    request_id = open_request(svc, volume)
    decision = service.decide(svc, request_id, user="U0SLEAD", approve=True)
    assert decision.outcome == "refused"
    assert "<@U0LEAD>" in decision.reason and "<@U0PAYDEV>" in decision.reason
    assert service.execute(svc, request_id).outcome == "not_claimed"
    assert estate.ec2().describe_volumes(VolumeIds=[volume])["Volumes"]
    assert statuses(svc) == ["requested", "refused"]
    refused = events(svc.db)[-1]
    assert refused["actor"] == "U0SLEAD" and refused["decided_by"] is None


def test_the_owner_may_approve_by_user_id_or_email(svc: Services, estate: Estate) -> None:
    by_id = open_request(svc, estate.volume(10, "gp2", "payments"))  # Owner tag U0PAYDEV
    assert service.decide(svc, by_id, user="U0PAYDEV", approve=True).outcome == "approved"
    by_email = open_request(svc, estate.address("search"), "address")  # lee@example.com
    lookup = {"lee@example.com": "U0LEE"}.get
    outcome = service.decide(svc, by_email, user="U0LEE", approve=True, resolve_email=lookup)
    assert outcome.outcome == "approved"


def test_untagged_resources_are_decided_by_the_default_approvers(
    svc: Services,
    estate: Estate,
) -> None:
    request_id = open_request(svc, estate.volume(10, "gp2", team=None))
    refused = service.decide(svc, request_id, user="U0LEAD", approve=True)
    assert refused.outcome == "refused" and "nobody yet" in refused.reason
    remediation = svc.config.remediation.model_copy(update={"default_approvers": ["U0OPS"]})
    ops = replace(svc, config=svc.config.model_copy(update={"remediation": remediation}))
    assert service.decide(ops, request_id, user="U0OPS", approve=True).outcome == "approved"


def test_four_eyes_self_approval(svc: Services, estate: Estate) -> None:
    request_id = open_request(svc, estate.volume(10, "gp2", "payments"), user="U0LEAD")
    decision = service.decide(svc, request_id, user="U0LEAD", approve=True)
    assert decision.outcome == "refused" and "four-eyes" in decision.reason
    # ...unless the config allows it
    relaxed = svc.config.model_copy(
        update={
            "remediation": svc.config.remediation.model_copy(update={"allow_self_approval": True})
        }
    )
    allowed = replace(svc, config=relaxed)
    assert service.decide(allowed, request_id, user="U0LEAD", approve=True).outcome == "approved"


def test_rejection_closes_the_request_and_nothing_happens(svc: Services, estate: Estate) -> None:
    volume = estate.volume(10, "gp2", "payments")
    request_id = open_request(svc, volume)
    assert service.decide(svc, request_id, user="U0LEAD", approve=False).outcome == "rejected"
    assert service.decide(svc, request_id, user="U0LEAD", approve=True).outcome == "closed"
    assert service.execute(svc, request_id).outcome == "not_claimed"
    assert estate.ec2().describe_volumes(VolumeIds=[volume])["Volumes"]
    assert statuses(svc) == ["requested", "rejected"]


def test_one_open_request_per_resource(svc: Services, estate: Estate) -> None:
    volume = estate.volume(10, "gp2", "payments")
    first = open_request(svc, volume)
    again = service.request_cleanup(svc, ref(volume), user="U0SLEAD")
    assert again.request is None and again.existing is not None and again.existing.id == first
    service.decide(svc, first, user="U0LEAD", approve=False)
    assert open_request(svc, volume) != first  # closed: a new one may be opened


def test_protected_or_attached_resources_cannot_be_requested(
    svc: Services,
    estate: Estate,
) -> None:
    protected = estate.volume(10, "gp2", "search", **{"finops:protect": "true"})
    answer = service.request_cleanup(svc, ref(protected), user="U0DEV")
    assert answer.request is None and "finops:protect" in answer.problem
    attached = estate.volume(10, "gp2", "payments")
    estate.ec2().attach_volume(VolumeId=attached, InstanceId=estate.instance(), Device="/dev/sdf")
    answer = service.request_cleanup(svc, ref(attached), user="U0DEV")
    assert answer.request is None and "in-use" in answer.problem


def test_a_resource_that_changed_after_the_request_is_left_alone(
    svc: Services,
    estate: Estate,
) -> None:
    volume = estate.volume(10, "gp2", "payments")
    request_id = open_request(svc, volume)
    estate.ec2().attach_volume(VolumeId=volume, InstanceId=estate.instance(), Device="/dev/sdf")
    service.decide(svc, request_id, user="U0LEAD", approve=True)
    done = service.execute(svc, request_id)
    assert done.outcome == "skipped" and "in-use" in done.message
    assert done.request is not None and done.request.state == "failed"
    assert estate.ec2().describe_volumes(VolumeIds=[volume])["Volumes"][0]["State"] == "in-use"
    assert (
        estate.ec2().describe_snapshots(
            Filters=[{"Name": "tag:finops:source", "Values": [volume]}]
        )["Snapshots"]
        == []
    )
    # ...and a protect tag added meanwhile stops it too
    other = estate.volume(10, "gp2", "payments")
    second = open_request(svc, other)
    estate.ec2().create_tags(Resources=[other], Tags=[{"Key": "finops:protect", "Value": "true"}])
    service.decide(svc, second, user="U0LEAD", approve=True)
    assert service.execute(svc, second).outcome == "skipped"
    assert statuses(svc)[-1] == "skipped"


def test_an_aws_error_during_execution_fails_the_request(svc: Services, estate: Estate) -> None:
    volume = estate.volume(10, "gp2", "payments")
    request_id = open_request(svc, volume)

    def boom(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "UnauthorizedOperation", "Message": "not allowed to delete"}},
            "DeleteVolume",
        )

    svc.aws.client("ec2", region="us-east-1").meta.events.register(
        "before-call.ec2.DeleteVolume", boom
    )
    service.decide(svc, request_id, user="U0LEAD", approve=True)
    done = service.execute(svc, request_id)
    assert done.outcome == "failed" and "UnauthorizedOperation" in done.message
    assert done.request is not None and done.request.state == "failed"
    assert service.execute(svc, request_id).outcome == "not_claimed"  # not retried
    # the real state: the snapshot was taken, the delete refused
    assert statuses(svc) == [
        "requested",
        "approved",
        "step_started",
        "step_done",
        "step_started",
        "step_failed",
        "failed",
    ]
    assert "Done before it: snapshot done" in done.message
    assert done.request.result == done.message


def test_requests_expire(svc: Services, estate: Estate, clock: Clock) -> None:
    from jobs.cleanups import expire_cleanups

    request_id = open_request(svc, estate.volume(10, "gp2", "payments"))
    clock.advance(hours=71)
    assert service.expire_due(svc) == []
    clock.advance(hours=2)
    assert expire_cleanups(svc).startswith("1 ")
    decision = service.decide(svc, request_id, user="U0LEAD", approve=True)
    assert decision.outcome == "closed" and decision.request is not None
    assert decision.request.state == "expired"
    assert statuses(svc) == ["requested", "expired"]


def test_a_click_after_the_deadline_expires_the_request(
    svc: Services,
    estate: Estate,
    clock: Clock,
) -> None:
    request_id = open_request(svc, estate.volume(10, "gp2", "payments"))
    clock.advance(hours=73)
    decision = service.decide(svc, request_id, user="U0LEAD", approve=True)
    assert decision.outcome == "closed" and decision.request is not None
    assert decision.request.state == "expired"


def test_restore_within_the_window_once(svc: Services, estate: Estate, clock: Clock) -> None:
    volume = estate.volume(100, "gp3", "payments", Name="keep-me")
    request_id = open_request(svc, volume)
    service.decide(svc, request_id, user="U0LEAD", approve=True)
    service.execute(svc, request_id)
    assert service.restore(svc, request_id, user="U0SLEAD").outcome == "refused"
    clock.advance(days=6)
    restored = service.restore(svc, request_id, user="U0LEAD")
    assert restored.outcome == "restored", restored.message
    volumes = estate.ec2().describe_volumes(Filters=[{"Name": "tag:Name", "Values": ["keep-me"]}])[
        "Volumes"
    ]
    assert len(volumes) == 1 and volumes[0]["Size"] == 100 and volumes[0]["VolumeType"] == "gp3"
    assert volumes[0]["VolumeId"] in restored.message
    # The messages say where the volume went (id, size, zone), and no longer "Saves".
    assert restored.request is not None
    from bot.render.remediation import approval_message, requester_message

    shown = json.dumps(approval_message(restored.request, deciders=[]))
    assert f"Volume `{volumes[0]['VolumeId']}` (100 GiB gp3, us-east-1a) restored" in shown
    assert "by <@U0LEAD>" in shown and "Saves:* nothing now" in shown and "/month" not in shown
    assert "undone, saves nothing" in json.dumps(requester_message(restored.request))
    assert service.restore(svc, request_id, user="U0LEAD").outcome == "unavailable"
    assert statuses(svc)[-1] == "restored"


def test_restore_window_closes(svc: Services, estate: Estate, clock: Clock) -> None:
    request_id = open_request(svc, estate.volume(10, "gp2", "payments"))
    service.decide(svc, request_id, user="U0LEAD", approve=True)
    service.execute(svc, request_id)
    clock.advance(days=7, minutes=1)
    outcome = service.restore(svc, request_id, user="U0LEAD")
    assert outcome.outcome == "unavailable" and "window" in outcome.message


def test_audit_export_json_csv_since_and_append_only(
    svc: Services,
    estate: Estate,
    clock: Clock,
) -> None:
    first = open_request(svc, estate.volume(10, "gp2", "payments"))
    service.decide(svc, first, user="U0LEAD", approve=False)
    clock.advance(days=2)
    open_request(svc, estate.volume(20, "gp2", "payments"))
    rows = json.loads(render(events(svc.db), "json"))
    assert [r["status"] for r in rows] == ["requested", "rejected", "requested"]
    for key in (
        "at",
        "status",
        "resource_id",
        "resource_type",
        "action",
        "requested_by",
        "decided_by",
        "monthly_saving",
        "details",
    ):
        assert key in rows[0]
    assert rows[1]["decided_by"] == "U0LEAD" and Decimal(rows[2]["monthly_saving"]) == 2
    since = clock.moment - __import__("datetime").timedelta(hours=1)
    assert [r["status"] for r in events(svc.db, since=since)] == ["requested"]
    csv_text = render(rows, "csv")
    assert csv_text.splitlines()[0].startswith("at,status,request_id,resource_id")
    assert len(csv_text.splitlines()) == 4
    with pytest.raises(DatabaseError), svc.db.session() as session:
        session.execute(text("UPDATE remediation_events SET status = 'executed'"))
    with pytest.raises(DatabaseError), svc.db.session() as session:
        session.execute(text("DELETE FROM remediation_events"))
    assert len(events(svc.db)) == 3
