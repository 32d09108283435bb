"""Seed the compute part of the demo estate into moto: Auto Scaling groups with workload
tags, an under-reserved ECS cluster and a Fargate service (filled in by compute advice).

Per region: `data-batch-N` (Workload=batch, 4 x m5.large: a spot candidate),
`search-web-N` (Workload=web, 3 x m5.large: a mixed spot candidate), and ECS cluster
`payments-ecs-N` whose 4 m5.large nodes come from ASG `payments-ecs-nodes-N`
(Workload=containers: kept on-demand) with 14 days of hourly CPU/memory reservation around
25-35 %, running Fargate service `payments-api` (6 tasks of 2 vCPU / 8 GiB).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config

RESERVATION_DAYS = 14
METRIC_BATCH = 1000
_CLIENT_CONFIG = Config(read_timeout=120, retries={"mode": "standard", "max_attempts": 3})
#: (name prefix, team, workload, desired capacity); every group launches m5.large.
_GROUPS = (
    ("data-batch", "data", "batch", 4),
    ("search-web", "search", "web", 3),
    ("payments-ecs-nodes", "payments", "containers", 4),
)
FARGATE_TASKS, FARGATE_CPU, FARGATE_MEMORY = 6, "2048", "8192"


@dataclass
class ComputeEstate:
    """What `seed_compute_estate` created (ids by category)."""

    asg_names: list[str] = field(default_factory=list)
    spot_asg_names: list[str] = field(default_factory=list)  # Workload=batch
    mixed_asg_names: list[str] = field(default_factory=list)  # Workload=web
    ecs_asg_names: list[str] = field(default_factory=list)  # behind the ECS clusters
    cluster_names: list[str] = field(default_factory=list)
    fargate_service_arns: list[str] = field(default_factory=list)
    #: EC2 instances the ASGs launched, by region (not in EstateSummary.instances).
    instance_ids: dict[str, list[str]] = field(default_factory=dict)
    region_of: dict[str, str] = field(default_factory=dict)  # name/ARN -> region


def _asg_tags(name: str, team: str, workload: str) -> list[dict[str, Any]]:
    from standins.demo_estate import _tags

    return [
        {
            "Key": t["Key"],
            "Value": t["Value"],
            "PropagateAtLaunch": True,
            "ResourceId": name,
            "ResourceType": "auto-scaling-group",
        }
        for t in _tags(team, Name=name, Workload=workload)
    ]


def _ecs_tags(team: str) -> list[dict[str, str]]:
    from standins.demo_estate import _tags

    return [{"key": t["Key"], "value": t["Value"]} for t in _tags(team)]


class _RegionCompute:
    def __init__(
        self,
        session: boto3.Session,
        region: str,
        index: int,
        now: datetime,
        endpoint_url: str | None,
        estate: ComputeEstate,
    ) -> None:
        def client(service: str) -> Any:
            return session.client(
                service, region_name=region, endpoint_url=endpoint_url, config=_CLIENT_CONFIG
            )

        self.ec2, self.asg, self.ecs = client("ec2"), client("autoscaling"), client("ecs")
        self.cloudwatch = client("cloudwatch")
        self.region, self.index, self.now, self.estate = region, index, now, estate
        self.rng = random.Random(1000 + index)

    def seed(self) -> None:
        zone = self.ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
        template = self.ec2.create_launch_template(
            LaunchTemplateName=f"finops-demo-nodes-{self.index}",
            LaunchTemplateData={"ImageId": self._image(), "InstanceType": "m5.large"},
        )["LaunchTemplate"]["LaunchTemplateId"]
        for prefix, team, workload, desired in _GROUPS:
            name = f"{prefix}-{self.index}"
            self.asg.create_auto_scaling_group(
                AutoScalingGroupName=name,
                MinSize=0,
                MaxSize=desired * 2,
                DesiredCapacity=desired,
                AvailabilityZones=[zone],
                LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
                Tags=_asg_tags(name, team, workload),
            )
            self.estate.asg_names.append(name)
            {"batch": self.estate.spot_asg_names, "web": self.estate.mixed_asg_names}.get(
                workload, self.estate.ecs_asg_names
            ).append(name)
            self.estate.region_of[name] = self.region
        self.estate.instance_ids[self.region] = [
            i["InstanceId"]
            for g in self.asg.describe_auto_scaling_groups(
                AutoScalingGroupNames=[f"{p[0]}-{self.index}" for p in _GROUPS]
            )["AutoScalingGroups"]
            for i in g.get("Instances", [])
        ]
        self._cluster()

    def _image(self) -> str:
        images = self.ec2.describe_images(
            Owners=["self"],
            Filters=[{"Name": "name", "Values": [f"finops-demo-base-{self.region}"]}],
        )["Images"]
        if images:
            return str(images[0]["ImageId"])
        return str(
            self.ec2.register_image(
                Name=f"finops-demo-compute-{self.region}",
                Architecture="x86_64",
                RootDeviceName="/dev/xvda",
                VirtualizationType="hvm",
                BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}],
            )["ImageId"]
        )

    def _cluster(self) -> None:
        name = f"payments-ecs-{self.index}"
        self.ecs.create_cluster(clusterName=name, tags=_ecs_tags("payments"))
        nodes = self.asg.describe_auto_scaling_groups(
            AutoScalingGroupNames=[f"payments-ecs-nodes-{self.index}"]
        )["AutoScalingGroups"][0]["Instances"]
        for node in nodes:
            document = json.dumps(
                {
                    "instanceId": node["InstanceId"],
                    "region": self.region,
                    "instanceType": node["InstanceType"],
                }
            )
            self.ecs.register_container_instance(cluster=name, instanceIdentityDocument=document)
        task = self.ecs.register_task_definition(
            family=f"payments-api-{self.index}",
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu=FARGATE_CPU,
            memory=FARGATE_MEMORY,
            containerDefinitions=[{"name": "api", "image": "payments/api:1"}],
        )["taskDefinition"]["taskDefinitionArn"]
        service = self.ecs.create_service(
            cluster=name,
            serviceName="payments-api",
            taskDefinition=task,
            desiredCount=FARGATE_TASKS,
            launchType="FARGATE",
            tags=_ecs_tags("payments"),
        )["service"]["serviceArn"]
        self.estate.cluster_names.append(name)
        self.estate.fargate_service_arns.append(service)
        self.estate.region_of.update({name: self.region, service: self.region})
        self._reservations(name)

    def _reservations(self, cluster: str) -> None:
        hours = RESERVATION_DAYS * 24
        start = self.now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours)
        data = [
            {
                "MetricName": metric,
                "Dimensions": [{"Name": "ClusterName", "Value": cluster}],
                "Timestamp": start + timedelta(hours=h),
                "Unit": "Percent",
                "Value": round(self.rng.uniform(low, high), 1),
            }
            for metric, low, high in (
                ("CPUReservation", 25.0, 35.0),
                ("MemoryReservation", 22.0, 32.0),
            )
            for h in range(hours)
        ]
        for first in range(0, len(data), METRIC_BATCH):
            self.cloudwatch.put_metric_data(
                Namespace="AWS/ECS", MetricData=data[first : first + METRIC_BATCH]
            )


def seed_compute_estate(
    *,
    session: boto3.Session,
    regions: Sequence[str],
    now: datetime,
    endpoint_url: str | None = None,
) -> ComputeEstate:
    """Create the compute estate (moto only!) and describe it."""
    estate = ComputeEstate()
    for index, region in enumerate(regions):
        _RegionCompute(session, region, index, now, endpoint_url, estate).seed()
    return estate
