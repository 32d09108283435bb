"""`/storage` in the offline demo: sensible numbers from the seeded estate, and an approved
lifecycle policy that really lands on the moto bucket and in the audit log."""

from __future__ import annotations

import boto3

from bot.audit_export import events
from bot.demo import DemoStack
from storage.db import Database
from tests.test_storage_advice_slack import storage, text_of


def test_storage_in_the_demo(demo: DemoStack) -> None:
    console = demo.console
    answer = storage(console, "U0DEV", "C0FINOPS")
    shown = text_of(answer)
    # 100 GiB gp2 payments-old-data: $10.00 → $8.00 as gp3.
    assert "payments-old-data" in shown and "$2.00/month saved" in shown
    # search-artifacts: 2,000 GiB Standard at $0.023 (= $46.00) → 40 % Standard, 20 % IA,
    # 25 % Glacier, 15 % expired = $25.20: saves $20.80. scratch has no metrics.
    assert "$20.80/month estimated" in shown and "*no data*" in shown
    assert "payments-logs" not in shown and "data-lake-raw" not in shown  # have policies
    search = answer["blocks"]
    block = next(b for b in search if "search-artifacts" in b.get("block_id", ""))
    console.click(
        user_id="U0DEV",
        message_id=answer["id"],
        action_id="storage_request_change",
        block_id=block["block_id"],
    )
    bucket = block["block_id"].split(":", 1)[1]
    request = console.wait_for(
        lambda: [m for m in console.messages("C0SRCH") if bucket in text_of(m)], timeout=15
    )[-1]
    console.click(user_id="U0SLEAD", message_id=request["id"], action_id="cleanup_approve")
    console.wait_for(
        lambda: [
            m
            for m in console.messages("C0SRCH")
            if m["id"] == request["id"] and "done:" in text_of(m)
        ],
        timeout=20,
    )
    s3 = boto3.client("s3", endpoint_url=demo.aws_url, region_name="us-east-1")
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [r["ID"] for r in rules] == ["finops-bot-lifecycle"]
    statuses = [(r["status"], r["resource_id"]) for r in events(Database(demo.env["DATABASE_URL"]))]
    assert ("executed", bucket) in statuses
