"""Helpers for the compute advice tests: ASGs, ECS clusters with container instances and
reservation metrics, Fargate services, and a small price catalogue, all in moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import boto3
from botocore.client import BaseClient

from bot.advice.catalogue import InstanceCatalogue


def _client(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region)


def image(region: str = "us-east-1") -> str:
    """A registered AMI (moto has none by default here)."""
    ec2 = _client("ec2", region)
    found = ec2.describe_images(Owners=["self"])["Images"]
    if found:
        return str(found[0]["ImageId"])
    return str(
        ec2.register_image(
            Name="compute-base",
            Architecture="x86_64",
            RootDeviceName="/dev/xvda",
            VirtualizationType="hvm",
            BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}],
        )["ImageId"]
    )


def template(name: str, instance_type: str = "m5.large", region: str = "us-east-1") -> str:
    """A launch template; its id."""
    return str(
        _client("ec2", region).create_launch_template(
            LaunchTemplateName=name,
            LaunchTemplateData={"ImageId": image(region), "InstanceType": instance_type},
        )["LaunchTemplate"]["LaunchTemplateId"]
    )


def asg(
    name: str,
    *,
    desired: int = 4,
    workload: str | None = "batch",
    team: str | None = "payments",
    instance_type: str = "m5.large",
    launch_configuration: bool = False,
    region: str = "us-east-1",
    mixed_on_demand_pct: int | None = None,
    **extra: str,
) -> str:
    """An Auto Scaling group of `desired` instances with tags propagated to them."""
    tags = {
        **({"Team": team} if team else {}),
        **({"Workload": workload} if workload else {}),
        **extra,
    }
    kwargs: dict[str, Any] = {
        "AutoScalingGroupName": name,
        "MinSize": 0,
        "MaxSize": 10,
        "DesiredCapacity": desired,
        "AvailabilityZones": [f"{region}a"],
        "Tags": [
            {
                "Key": k,
                "Value": v,
                "PropagateAtLaunch": True,
                "ResourceId": name,
                "ResourceType": "auto-scaling-group",
            }
            for k, v in tags.items()
        ],
    }
    autoscaling = _client("autoscaling", region)
    if launch_configuration:
        autoscaling.create_launch_configuration(
            LaunchConfigurationName=f"{name}-lc", ImageId=image(region), InstanceType=instance_type
        )
        kwargs["LaunchConfigurationName"] = f"{name}-lc"
    elif mixed_on_demand_pct is not None:
        kwargs["MixedInstancesPolicy"] = {
            "LaunchTemplate": {
                "LaunchTemplateSpecification": {
                    "LaunchTemplateId": template(f"{name}-lt", instance_type, region),
                    "Version": "$Latest",
                }
            },
            "InstancesDistribution": {"OnDemandPercentageAboveBaseCapacity": mixed_on_demand_pct},
        }
    else:
        kwargs["LaunchTemplate"] = {
            "LaunchTemplateId": template(f"{name}-lt", instance_type, region),
            "Version": "$Latest",
        }
    autoscaling.create_auto_scaling_group(**kwargs)
    return name


def group(name: str, region: str = "us-east-1") -> dict[str, Any]:
    """The ASG as described now."""
    return dict(
        _client("autoscaling", region).describe_auto_scaling_groups(AutoScalingGroupNames=[name])[
            "AutoScalingGroups"
        ][0]
    )


def instance(
    workload: str | None,
    *,
    team: str = "payments",
    instance_type: str = "m5.large",
    region: str = "us-east-1",
) -> str:
    """A stand-alone running instance."""
    tags = {"Team": team, **({"Workload": workload} if workload else {})}
    return str(
        _client("ec2", region).run_instances(
            ImageId=image(region),
            InstanceType=instance_type,
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[
                {
                    "ResourceType": "instance",
                    "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
                }
            ],
        )["Instances"][0]["InstanceId"]
    )


def cluster(
    name: str,
    *,
    nodes: int = 4,
    in_asg: bool = True,
    team: str = "payments",
    region: str = "us-east-1",
    instance_type: str = "m5.large",
) -> str:
    """An ECS cluster with `nodes` container instances (from an ASG, or stand-alone)."""
    ecs = _client("ecs", region)
    ecs.create_cluster(clusterName=name, tags=[{"key": "Team", "value": team}])
    if in_asg:
        asg(
            f"{name}-nodes",
            desired=nodes,
            workload="containers",
            team=team,
            instance_type=instance_type,
            region=region,
        )
        ids = [i["InstanceId"] for i in group(f"{name}-nodes", region)["Instances"]]
    else:
        ids = [
            instance("containers", team=team, instance_type=instance_type, region=region)
            for _ in range(nodes)
        ]
    for ident in ids:
        ecs.register_container_instance(
            cluster=name,
            instanceIdentityDocument=json.dumps(
                {"instanceId": ident, "region": region, "instanceType": instance_type}
            ),
        )
    return name


def reservations(
    name: str, now: datetime, *, cpu: list[float], memory: list[float], region: str = "us-east-1"
) -> None:
    """Hourly CPUReservation and MemoryReservation points ending an hour before `now`."""
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=len(cpu) + 1)
    data = [
        {
            "MetricName": metric,
            "Dimensions": [{"Name": "ClusterName", "Value": name}],
            "Timestamp": start + timedelta(hours=h),
            "Value": value,
            "Unit": "Percent",
        }
        for metric, values in (("CPUReservation", cpu), ("MemoryReservation", memory))
        for h, value in enumerate(values)
    ]
    cloudwatch = _client("cloudwatch", region)
    for first in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace="AWS/ECS", MetricData=data[first : first + 1000])


def fargate(
    cluster_name: str,
    service: str,
    *,
    tasks: int,
    cpu: str,
    memory: str,
    team: str = "payments",
    region: str = "us-east-1",
) -> str:
    """A Fargate service (cluster created if missing); its ARN."""
    ecs = _client("ecs", region)
    if not ecs.describe_clusters(clusters=[cluster_name])["clusters"]:
        ecs.create_cluster(clusterName=cluster_name)
    task = ecs.register_task_definition(
        family=service,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu=cpu,
        memory=memory,
        containerDefinitions=[{"name": "app", "image": "app:1"}],
    )["taskDefinition"]["taskDefinitionArn"]
    return str(
        ecs.create_service(
            cluster=cluster_name,
            serviceName=service,
            taskDefinition=task,
            desiredCount=tasks,
            launchType="FARGATE",
            tags=[{"key": "Team", "value": team}],
        )["service"]["serviceArn"]
    )


def catalogue(
    *, m6i_large_hour: str, vcpu_hour: str = "1", gb_hour: str = "0", hours: int = 100
) -> InstanceCatalogue:
    """A one-type catalogue (m6i.large, 2 vCPU / 8 GiB) with round Fargate prices."""
    return InstanceCatalogue(
        {
            "as_of": "2026-01-01",
            "source": "test",
            "hours_per_month": hours,
            "sizes": ["large"],
            "types": {"m6i.large": {"vcpu": 2, "memory_gib": "8"}},
            "regions": {
                "us-east-1": {
                    "instance_hour": {"m6i.large": m6i_large_hour},
                    "fargate": {"vcpu_hour": vcpu_hour, "gb_hour": gb_hour},
                }
            },
        }
    )


@contextmanager
def count_calls() -> Iterator[list[str]]:
    """Every AWS operation made meanwhile, by name (botocore's API call entry point)."""
    calls: list[str] = []
    original = BaseClient._make_api_call

    def counting(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls.append(operation)
        return original(self, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", counting):
        yield calls
