"""The IAM policies in iam/ grant what every registered finding kind and action needs."""

from __future__ import annotations

import json
from pathlib import Path

from bot.orphans import KINDS, load_kinds
from bot.remediation.actions import ACTIONS, RESTORE_PERMISSIONS

IAM = Path(__file__).resolve().parent.parent / "iam"


def allowed(policy: str) -> set[str]:
    document = json.loads((IAM / policy).read_text())
    return {a for s in document["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}


def test_read_only_policy_covers_every_finding_kind() -> None:
    load_kinds()
    assert KINDS, "finding kinds should be registered"
    read_only = allowed("finops-bot-readonly.json")
    for name, kind in KINDS.items():
        missing = set(kind.permissions) - read_only
        assert not missing, f"{name} needs {missing} in iam/finops-bot-readonly.json"


def test_remediation_policy_covers_every_action_and_only_writes() -> None:
    assert ACTIONS, "remediation actions should be registered"
    remediation = allowed("finops-bot-remediation.json")
    read_only = allowed("finops-bot-readonly.json")
    for name, action in ACTIONS.items():
        missing = set(action.permissions) - remediation - read_only
        assert not missing, f"{name} needs {missing} in iam/finops-bot-remediation.json"
    assert not set(RESTORE_PERMISSIONS) - remediation, "restore needs ec2:CreateVolume"
    assert not any(a.startswith(("ce:", "cloudwatch:Get")) for a in remediation)
