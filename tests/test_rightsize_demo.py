"""`/rightsize` in the offline demo: sensible numbers from the seeded estate (idle m5.large
to stop, c5.xlarge at ~25 % CPU to downsize, an instance without metrics), and an approved
downsize that really changes the moto instance and lands in the audit log."""

from __future__ import annotations

import json

import boto3

from bot.audit_export import events
from bot.demo import DemoStack
from storage.db import Database
from tests.test_rightsize_slack import rightsize
from tests.test_storage_advice_slack import text_of


def test_rightsize_in_the_demo(demo: DemoStack) -> None:
    console = demo.console
    # the first scan of the demo's CPU metrics (moto's GetMetricData is slow, more so under load)
    answer = rightsize(console, "U0DEV", "C0FINOPS", "region=us-east-1", timeout=120)
    shown = text_of(answer)
    # c5.xlarge $124.10 → c5.large $62.05 a month; m5.large stopped saves all $70.08;
    # the untagged idle t3.large $60.74. Three teams each: 3 x 70.08 + 3 x 62.05 + 60.74.
    assert "Rightsizing: $457.13/month" in answer["text"], answer["text"]
    assert shown.count("c5.xlarge → c5.large") == 3 and "$62.05/month saved" in shown
    assert shown.count("m5.large → stop") == 3 and "$70.08/month saved" in shown
    assert "t3.large → stop" in shown and "$60.74/month saved" in shown
    assert "m5.xlarge" not in shown  # busy at ~60 %
    assert "no data" in shown and "t3.medium" in shown and "as of 2025-06-01" in shown
    blocks = {b["block_id"]: b for b in answer["blocks"] if "block_id" in b}
    block_id = next(
        k
        for k, b in blocks.items()
        if k.startswith("oversized-instance:") and "team payments" in json.dumps(b)
    )
    figures = json.dumps(blocks[block_id])
    average = float(figures.split("CPU avg ")[1].split(" %")[0])
    assert 20 < average < 30
    instance_id = block_id.split(":", 1)[1]

    console.click(
        user_id="U0DEV", message_id=answer["id"], action_id="rightsize_change", block_id=block_id
    )
    request = console.wait_for(
        lambda: [m for m in console.messages("C0PAY") if instance_id in text_of(m)], timeout=15
    )[-1]
    console.click(user_id="U0LEAD", message_id=request["id"], action_id="cleanup_approve")
    console.wait_for(
        lambda: [
            m
            for m in console.messages("C0PAY")
            if m["id"] == request["id"] and "done:" in text_of(m)
        ],
        timeout=30,
    )
    ec2 = boto3.client("ec2", endpoint_url=demo.aws_url, region_name="us-east-1")
    described = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert described["InstanceType"] == "c5.large"
    assert described["State"]["Name"] == "running"
    statuses = [(r["status"], r["resource_id"]) for r in events(Database(demo.env["DATABASE_URL"]))]
    assert ("executed", instance_id) in statuses
