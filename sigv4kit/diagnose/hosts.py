"""What an AWS endpoint's host name says about the region and service it serves.

``explain`` compares this with the signature's scope: a request signed for us-east-1 but sent
to ``ec2.us-west-2.amazonaws.com`` is refused, and the host is the only witness of that.
"""

from __future__ import annotations

import re

_REGION = re.compile(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}")
_AWS_SUFFIXES = (
    (".amazonaws.com.cn", None),
    (".amazonaws.com", "us-east-1"),
    (".api.aws", None),
)
"""Endpoint domains, with the region a host without one (``ec2.amazonaws.com``) is in."""

_HOST_SERVICES = {
    "apigateway": "apigateway",
    "athena": "athena",
    "autoscaling": "autoscaling",
    "cloudformation": "cloudformation",
    "cloudfront": "cloudfront",
    "dynamodb": "dynamodb",
    "ec2": "ec2",
    "ecr": "ecr",
    "ecs": "ecs",
    "eks": "eks",
    "elasticloadbalancing": "elasticloadbalancing",
    "email": "ses",
    "events": "events",
    "execute-api": "execute-api",
    "firehose": "firehose",
    "glue": "glue",
    "iam": "iam",
    "kinesis": "kinesis",
    "kms": "kms",
    "lambda": "lambda",
    "logs": "logs",
    "monitoring": "monitoring",
    "rds": "rds",
    "route53": "route53",
    "s3": "s3",
    "secretsmanager": "secretsmanager",
    "sns": "sns",
    "sqs": "sqs",
    "ssm": "ssm",
    "states": "states",
    "sts": "sts",
}
"""Endpoint prefix -> signing name, for well-known services only: an unknown host label (the
official suite's ``example.amazonaws.com``) says nothing about the service, so no warning."""

def host_region_and_service(host: str) -> tuple[str | None, str | None]:
    """The region and signing name an AWS endpoint host implies, as far as its name tells.

    ``ec2.us-west-2.amazonaws.com`` -> (us-west-2, ec2); ``ec2.amazonaws.com`` -> (us-east-1,
    ec2); a resource's host with the service after the region (an RDS database's
    ``db.c9akciq32.us-west-2.rds.amazonaws.com``) -> (us-west-2, rds);
    ``bucket.s3.us-east-2.amazonaws.com`` and ``s3-us-west-2.amazonaws.com`` -> S3 in that
    region; FIPS, dual-stack and VPC endpoint names too. A host outside AWS's endpoint domains,
    or a label not known to be a service, gives None for that part.
    """
    name = host.lower()
    if name.startswith("["):
        return None, None
    name = name.partition(":")[0].rstrip(".")
    match = next(((sfx, dflt) for sfx, dflt in _AWS_SUFFIXES if name.endswith(sfx)), None)
    if match is None:
        return None, None
    labels, default_region = name[: -len(match[0])].split("."), match[1]
    region: str | None = None
    service_label: str | None = None
    for i in range(len(labels) - 1, -1, -1):
        if _REGION.fullmatch(labels[i]):
            region = labels[i]
            before = [lb for lb in labels[:i] if lb not in ("dualstack", "fips")]
            service_label = before[-1] if before else None
            after = labels[i + 1] if i + 1 < len(labels) else ""
            if after in _HOST_SERVICES and service_label not in _HOST_SERVICES:
                service_label = after  # a resource host: name.id.us-west-2.rds.amazonaws.com
            break
    s3 = _s3_label(labels)
    if s3 is not None:
        s3_region = s3.removeprefix("s3-website").removeprefix("s3").lstrip("-.")
        if region is None and _REGION.fullmatch(s3_region):
            region = s3_region
        elif region is None and s3_region in ("", "external-1"):
            region = default_region
        return region, s3 if s3 in ("s3-object-lambda", "s3-outposts") else "s3"
    if region is None:
        region = default_region
        service_label = labels[-1] if labels and labels[-1] else None
    if service_label is not None:
        service_label = service_label.removesuffix("-fips")
    return region, _HOST_SERVICES.get(service_label or "")


def _s3_label(labels: list[str]) -> str | None:
    """The S3 label of a host (``s3``, ``s3-us-west-2``, ``s3-website-…``), if it has one."""
    for label in labels:
        if label == "s3" or label.startswith(("s3-", "s3.")):
            return label.removesuffix("-fips")
    return None


def serves_every_region(host: str) -> bool:
    """Whether ``host`` is S3's global endpoint (``s3.amazonaws.com``,
    ``bucket.s3.amazonaws.com``, dual-stack too), which takes a request signed for the
    bucket's own Region: boto3 presigns for it with the bucket's Region in the scope."""
    name = host.lower().partition(":")[0].rstrip(".")
    if not name.endswith(".amazonaws.com"):
        return False
    labels = name[: -len(".amazonaws.com")].split(".")
    return _s3_label(labels) == "s3" and not any(_REGION.fullmatch(lb) for lb in labels)
