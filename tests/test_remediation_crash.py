"""Every step of the waste cleanups, interrupted (the process dies with the AWS call done,
or before it reached AWS), then reconciled once: one consistent end state, every step in
the audit log, nothing done twice, Undo offered where the action has one."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from bot.remediation import service
from bot.services import Services
from tests.crash_helpers import (
    assert_consistent,
    changing_calls,
    crash_then_recover,
    step_trail,
)
from tests.orphans_fixtures import Clock, Estate, aws, clock, estate, svc  # noqa: F401
from tests.test_remediation_flow import open_request


def _approve(svc: Services, request_id: int, approver: str) -> None:
    assert service.decide(svc, request_id, user=approver, approve=True).outcome == "approved"


@pytest.mark.parametrize("reached", [True, False], ids=["reached-aws", "lost"])
@pytest.mark.parametrize("operation", ["CreateSnapshot", "DeleteVolume"])
def test_volume_cleanup_interrupted_at_each_step(
    svc: Services,
    estate: Estate,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    operation: str,
    reached: bool,
) -> None:
    volume = estate.volume(100, "gp2", "payments")
    request_id = open_request(svc, volume)
    _approve(svc, request_id, "U0LEAD")
    done, calls = crash_then_recover(
        svc, monkeypatch, request_id, operation, advance=clock.advance, reached=reached
    )
    assert done.state == "executed", done.result
    assert calls["CreateSnapshot"] == 1 and calls["DeleteVolume"] == 1  # nothing twice
    ec2 = estate.ec2()
    assert (
        ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [volume]}])["Volumes"] == []
    )
    snapshots = ec2.describe_snapshots(
        OwnerIds=["self"], Filters=[{"Name": "tag:finops:source", "Values": [volume]}]
    )["Snapshots"]
    assert len(snapshots) == 1
    assert done.restore is not None and done.restore["snapshot_id"] == snapshots[0]["SnapshotId"]
    assert done.restore_state == "available"  # Undo is offered
    trail = step_trail(svc, request_id)
    assert ("step_done", "snapshot") in trail and ("step_done", "delete") in trail
    assert trail[-1][0] == "reconciled"
    reconciled = [e for e in trail if e[0] == "reconciled"]
    assert len(reconciled) == 1
    assert_consistent(svc)


def test_reconciled_event_says_what_was_found(
    svc: Services, estate: Estate, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.audit_export import events

    volume = estate.volume(100, "gp2", "payments")
    request_id = open_request(svc, volume)
    _approve(svc, request_id, "U0LEAD")
    crash_then_recover(svc, monkeypatch, request_id, "DeleteVolume", advance=clock.advance)
    found = next(e for e in events(svc.db) if e["status"] == "reconciled")
    assert found["detail"]["found"] == {"delete": "done (found in AWS)"}
    assert found["detail"]["interrupted_at"] == "delete"
    assert "executed" in found["result"]


@pytest.mark.parametrize("kind", ["address", "snapshot", "stopped-instance"])
def test_other_cleanups_interrupted_at_each_step(
    svc: Services,
    estate: Estate,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    ec2 = estate.ec2()
    action = {
        "address": "release-address",
        "snapshot": "delete-snapshot",
        "stopped-instance": "image-and-terminate-instance",
    }[kind]
    for operation in changing_calls(action):
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
        request_id = open_request(svc, resource, kind)
        _approve(svc, request_id, "U0SLEAD" if kind == "address" else "U0LEAD")
        done, calls = crash_then_recover(
            svc, monkeypatch, request_id, operation, advance=clock.advance
        )
        assert done.state == "executed", (operation, done.result)
        for call in changing_calls(action):
            assert calls[call] == 1, (operation, call, calls)
        if kind == "address":
            with pytest.raises(ClientError):
                ec2.describe_addresses(AllocationIds=[resource])
        elif kind == "snapshot":
            with pytest.raises(ClientError):
                ec2.describe_snapshots(SnapshotIds=[resource])
        else:
            state = ec2.describe_instances(InstanceIds=[resource])["Reservations"][0]["Instances"][
                0
            ]["State"]["Name"]
            assert state in ("terminated", "shutting-down")
            images = ec2.describe_images(
                Owners=["self"], Filters=[{"Name": "tag:finops:source", "Values": [resource]}]
            )["Images"]
            assert len(images) == 1 and images[0]["ImageId"] in done.result
    assert_consistent(svc)


def test_approved_but_never_started_is_executed_by_recovery(svc: Services, estate: Estate) -> None:
    from bot.remediation import recovery

    volume = estate.volume(100, "gp2", "payments")
    request_id = open_request(svc, volume)
    _approve(svc, request_id, "U0LEAD")  # the process died before execute()
    result = recovery.reconcile(svc)
    assert [e.outcome for e in result.finished] == ["executed"]
    trail = step_trail(svc, request_id)
    assert trail[-1][0] == "reconciled"
    assert_consistent(svc)


def test_a_live_lease_is_not_taken_over(
    svc: Services, estate: Estate, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.remediation import recovery
    from tests.crash_helpers import SimulatedCrash, crash_at

    volume = estate.volume(100, "gp2", "payments")
    request_id = open_request(svc, volume)
    _approve(svc, request_id, "U0LEAD")
    with crash_at(monkeypatch, "DeleteVolume"), pytest.raises(SimulatedCrash):
        service.execute(svc, request_id)
    held = recovery.reconcile(svc)  # the lease has not lapsed: maybe still working
    assert held.finished == [] and held.waiting == 1
    clock.advance(minutes=5)
    assert [e.outcome for e in recovery.reconcile(svc).finished] == ["executed"]


@pytest.mark.parametrize("reached", [True, False], ids=["reached-aws", "lost"])
def test_an_interrupted_undo_is_resolved_by_looking(
    svc: Services,
    estate: Estate,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    reached: bool,
) -> None:
    from bot.remediation import recovery
    from bot.remediation import requests as store
    from tests.crash_helpers import SimulatedCrash, crash_at

    volume = estate.volume(100, "gp2", "payments")
    request_id = open_request(svc, volume)
    _approve(svc, request_id, "U0LEAD")
    assert service.execute(svc, request_id).outcome == "executed"
    with crash_at(monkeypatch, "CreateVolume", reached=reached), pytest.raises(SimulatedCrash):
        service.restore(svc, request_id, user="U0LEAD")
    clock.advance(minutes=5)
    assert recovery.reconcile(svc).restores == 1
    with svc.db.session() as session:
        request = store.get_request(session, request_id)
    assert request is not None
    restored = estate.ec2().describe_volumes(
        Filters=[{"Name": "tag:finops:cleanup-request", "Values": [str(request_id)]}]
    )["Volumes"]
    if reached:
        assert request.restore_state == "restored" and len(restored) == 1
    else:  # nothing was made: Undo is offered again, and works
        assert request.restore_state == "available" and restored == []
        assert service.restore(svc, request_id, user="U0LEAD").outcome == "restored"
    trail = [s for s, _ in step_trail(svc, request_id)]
    assert "restore_started" in trail
    assert_consistent(svc)
