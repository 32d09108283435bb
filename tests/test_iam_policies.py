"""The IAM policies in iam/ grant what every registered finding kind and action needs."""

from __future__ import annotations

import json
from pathlib import Path

from bot.findings.registry import KIND_MODULES, every_action, load_kinds
from bot.remediation.actions import ACTIONS, RESTORE_PERMISSIONS

IAM = Path(__file__).resolve().parent.parent / "iam"


def allowed(policy: str) -> set[str]:
    document = json.loads((IAM / policy).read_text())
    return {a for s in document["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}


def test_every_kind_module_registers_and_every_family_is_covered() -> None:
    kinds = load_kinds()
    assert len(kinds) >= len(KIND_MODULES)
    families = {k.family for k in kinds.values()}
    assert families == {"orphans", "rightsize", "storage", "compute", "tags"}


def test_read_only_policy_covers_every_finding_kind() -> None:
    kinds = load_kinds()
    read_only = allowed("finops-bot-readonly.json")
    for name, kind in kinds.items():
        assert kind.permissions, f"{name} declares no scan permissions"
        missing = set(kind.permissions) - read_only
        assert not missing, f"{name} needs {missing} in iam/finops-bot-readonly.json"


def test_every_offered_action_is_registered_and_granted() -> None:
    offered = every_action()
    assert offered, "kinds should offer actions"
    remediation = allowed("finops-bot-remediation.json")
    read_only = allowed("finops-bot-readonly.json")
    for action, kinds in offered.items():
        assert action in ACTIONS, f"{kinds} offer {action!r}, which is not a registered action"
        missing = set(ACTIONS[action].permissions) - remediation - read_only
        assert not missing, f"{action} (offered by {kinds}) needs {missing} in the policies"


def test_remediation_policy_covers_every_action_and_only_writes() -> None:
    assert ACTIONS, "remediation actions should be registered"
    remediation = allowed("finops-bot-remediation.json")
    read_only = allowed("finops-bot-readonly.json")
    for name, action in ACTIONS.items():
        missing = set(action.permissions) - remediation - read_only
        assert not missing, f"{name} needs {missing} in iam/finops-bot-remediation.json"
    assert not set(RESTORE_PERMISSIONS) - remediation, "restore needs ec2:CreateVolume"
    assert not any(a.startswith(("ce:", "cloudwatch:Get")) for a in remediation)


def test_read_only_policy_lets_the_bot_read_other_accounts() -> None:
    # accounts[].role_arn and organization: the bot's own role must be allowed to assume
    # the member roles (their trust policy alone is not enough across accounts) and to
    # list the Organization's accounts.
    read_only = allowed("finops-bot-readonly.json")
    assert {"sts:AssumeRole", "organizations:ListAccounts"} <= read_only
