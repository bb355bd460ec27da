"""checkov over everything the project ships to run it: the charts as rendered (kubernetes
framework; its helm framework checks nothing without a helm binary), the Terraform for the
bot's identity, and the Dockerfiles. No check may fail; a skip needs a written reason."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("framework", ["kubernetes", "terraform", "dockerfile"])
def test_no_check_fails(checkov_reports: dict[str, dict[str, Any]], framework: str) -> None:
    report = checkov_reports[framework]
    summary = report["summary"]
    failed = [
        f"{c['check_id']} {c['check_name']} — {c['resource']} ({c['file_path']})"
        for c in report["results"]["failed_checks"]
    ]
    assert failed == []
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 20


@pytest.mark.parametrize("framework", ["kubernetes", "terraform", "dockerfile"])
def test_every_skip_says_why(checkov_reports: dict[str, dict[str, Any]], framework: str) -> None:
    for check in checkov_reports[framework]["results"]["skipped_checks"]:
        reason = (check.get("check_result") or {}).get("suppress_comment", "")
        assert len(reason.strip()) > 20, f"{check['check_id']} on {check['resource']} has no reason"


def test_the_kubernetes_scan_saw_every_rendered_case(
    checkov_reports: dict[str, dict[str, Any]],
) -> None:
    results = checkov_reports["kubernetes"]["results"]
    files = {c["file_path"] for c in results["passed_checks"]}
    cases = {path.split("/")[2] for path in files if path.startswith("/manifests/")}
    assert cases == {
        "bot-default",
        "bot-multi-replica-redis",
        "bot-http-external-redis",
        "bot-observed-http",
        "access-eks",
        "reference-default",
        "reference-postgres",
    }
