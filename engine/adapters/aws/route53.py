"""Route 53 failover records (``DnsFailover``), through boto3.

Making a record PRIMARY swaps the roles of the two records of a name in one change batch:
an UPSERT of each, by its set identifier, carrying the record exactly as it was listed (values,
TTL, health check, alias target) with only ``Failover`` changed. Route 53 applies a batch
whole or not at all, so there is never a moment with two primaries or none; UPSERT "updates
[the record] with the values in the request" when it exists (AWS Route 53 API Reference,
ChangeResourceRecordSets), so a retried batch changes nothing more. (A DELETE must name the
record exactly as it is, values and TTL included, or the whole batch fails with
InvalidChangeBatch: DELETE + CREATE would make a retry after a lost answer fail, and moto
refuses to re-create a record set its journal has seen.) Route 53 refuses a change while an
earlier one is still being applied with 400 ``PriorRequestNotComplete``: botocore's standard
retry mode retries it (``AwsTarget.max_attempts``), and past that it is retryable for the
stage. The change is done when Route 53 reports it INSYNC on its name servers.

Route 53 lists names with characters other than a-z, 0-9, ``-`` and ``_`` as ``\\ooo`` octal
escapes (``*`` is ``\\052``; "DNS domain name format" in the Route 53 Developer Guide):
names are compared unescaped and in lower case.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any, cast

import boto3

from engine.adapters.aws.clients import AwsTarget, aws_client
from engine.adapters.aws.errors import aws_error
from engine.adapters.polling import PolledOperation
from engine.cloud_ports import FailoverRecord
from engine.errors import CloudNotFound

if TYPE_CHECKING:
    from mypy_boto3_route53 import Route53Client

_OCTAL = re.compile(r"\\([0-7]{3})")


class Route53Failover:
    def __init__(
        self,
        target: AwsTarget | None = None,
        *,
        session: boto3.session.Session | None = None,
        poll_interval: float = 5.0,
    ) -> None:
        self._route53: Route53Client = aws_client("route53", target or AwsTarget(), session)
        self._poll_interval = poll_interval

    def records(self, zone_id: str, name: str, record_type: str) -> list[FailoverRecord]:
        return [_record(raw) for raw in self._raw_records(zone_id, name, record_type)]

    def make_primary(
        self, zone_id: str, name: str, record_type: str, set_identifier: str
    ) -> PolledOperation | None:
        where = _where(zone_id, name, record_type)
        found = self._raw_records(zone_id, name, record_type)
        chosen = next((r for r in found if r.get("SetIdentifier") == set_identifier), None)
        if chosen is None:
            raise CloudNotFound(
                f"{where} has no failover record {set_identifier!r}", resource=where
            )
        if chosen["Failover"] == "PRIMARY":
            return None
        changes: list[Any] = []
        for raw in found:
            if raw is chosen or raw["Failover"] == "PRIMARY":
                swapped = copy.deepcopy(raw)
                swapped["Failover"] = "PRIMARY" if raw is chosen else "SECONDARY"
                changes.append({"Action": "UPSERT", "ResourceRecordSet": swapped})
        try:
            answer = self._route53.change_resource_record_sets(
                HostedZoneId=zone_id,
                ChangeBatch={
                    "Comment": f"CloudPhoenix: {set_identifier} becomes PRIMARY",
                    "Changes": changes,
                },
            )
        except Exception as exc:
            raise aws_error(exc, resource=where, action="route53:ChangeResourceRecordSets") from exc
        change_id = answer["ChangeInfo"]["Id"]
        return PolledOperation(
            f"Route 53 change {change_id}: {set_identifier} becomes PRIMARY for {name}",
            lambda: self._in_sync(change_id),
            self._poll_interval,
        )

    def close(self) -> None:
        self._route53.close()

    def _in_sync(self, change_id: str) -> bool:
        try:
            status = self._route53.get_change(Id=change_id)["ChangeInfo"]["Status"]
        except Exception as exc:
            where = f"Route 53 change {change_id}"
            raise aws_error(exc, resource=where, action="route53:GetChange") from exc
        return status == "INSYNC"

    def _raw_records(self, zone_id: str, name: str, record_type: str) -> list[dict[str, Any]]:
        wanted = dns_name(name)
        where = _where(zone_id, name, record_type)
        found: list[dict[str, Any]] = []
        options: dict[str, Any] = {"StartRecordName": wanted, "StartRecordType": record_type}
        try:
            while True:
                page = self._route53.list_resource_record_sets(HostedZoneId=zone_id, **options)
                for raw in page["ResourceRecordSets"]:
                    if dns_name(raw["Name"]) != wanted or raw["Type"] != record_type:
                        return found
                    if raw.get("Failover"):
                        found.append(cast(dict[str, Any], raw))
                if not page.get("IsTruncated"):
                    return found
                options = {
                    "StartRecordName": page["NextRecordName"],
                    "StartRecordType": page["NextRecordType"],
                }
                if "NextRecordIdentifier" in page:
                    options["StartRecordIdentifier"] = page["NextRecordIdentifier"]
        except Exception as exc:
            raise aws_error(exc, resource=where, action="route53:ListResourceRecordSets") from exc


def _record(raw: dict[str, Any]) -> FailoverRecord:
    alias = raw.get("AliasTarget")
    values = (
        (alias["DNSName"],) if alias else tuple(r["Value"] for r in raw.get("ResourceRecords", []))
    )
    return FailoverRecord(
        set_identifier=raw.get("SetIdentifier", ""),
        role=raw["Failover"],
        values=values,
        ttl=raw.get("TTL"),
        health_check_id=raw.get("HealthCheckId"),
        alias=alias is not None,
    )


def dns_name(name: str) -> str:
    """A name as Route 53 compares it: unescaped, lower case, fully qualified."""
    unescaped = _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), name)
    return unescaped.lower().rstrip(".") + "."


def _where(zone_id: str, name: str, record_type: str) -> str:
    return f"Route 53 {record_type} record {dns_name(name)} in zone {zone_id}"
