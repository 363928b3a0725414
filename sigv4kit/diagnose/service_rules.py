"""Per-service rules explain checks, as data: presigned calls that a service replays elsewhere.

Some APIs take a presigned URL of *another* call as a parameter and replay it later in another
Region: EC2 CopySnapshot's PresignedUrl is a CopySnapshot call presigned for the source Region
and its endpoint, which EC2 in the destination Region replays when the copy runs (and a bad one
only ends the copy in ``error``). explain reads this table; a service with the same pattern is a
new row, not new code.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["REPLAYED_CALLS", "ReplayedCall"]


@dataclass(frozen=True)
class ReplayedCall:
    """A call that is presigned to be replayed by the service itself."""

    service: str
    """The signing name the URL must be scoped to."""
    action: str
    required: tuple[str, ...]
    """Parameters without which the service refuses the replayed call."""
    source_region: str
    """The parameter naming the Region the URL must be signed for and addressed to."""
    outer_parameter: str
    """The parameter of the outer call that carries the URL: its presence means this is the
    outer call, not the presigned one."""
    code: str
    """The prefix of the warning codes (``copy_snapshot_missing_parameter`` …)."""


REPLAYED_CALLS: dict[str, ReplayedCall] = {
    "CopySnapshot": ReplayedCall(
        service="ec2",
        action="CopySnapshot",
        required=("SourceRegion", "SourceSnapshotId", "DestinationRegion"),
        source_region="SourceRegion",
        outer_parameter="PresignedUrl",
        code="copy_snapshot",
    ),
}
"""https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopySnapshot.html (PresignedUrl)"""
