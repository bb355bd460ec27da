"""Reading the answers of Prometheus and the Kubernetes API: every shape a query or a
NodeList can take, and everything that must not pass for a measurement."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.adapters.kube.nodes import parse_node_list
from engine.adapters.prometheus.query import reduce_result
from engine.errors import BadAnswer


def vector(*values: str) -> list[dict[str, Any]]:
    return [
        {"metric": {"__name__": "lag", "replica": f"r{i}"}, "value": [1700000000.0, v]}
        for i, v in enumerate(values)
    ]


@pytest.mark.parametrize(
    ("how", "expected"), [("max", 30.0), ("min", 10.0), ("sum", 60.0), ("avg", 20.0)]
)
def test_several_series_are_reduced(how: str, expected: float) -> None:
    value, detail = reduce_result(vector("10", "20", "30"), how)
    assert value == expected
    assert detail == f"{how} of 3 series: {expected:g}"


def test_one_series_names_itself() -> None:
    assert reduce_result(vector("4.5"), "max") == (4.5, '4.5 (lag{replica="r0"})')


def test_a_scalar_and_a_matrix_are_read() -> None:
    assert reduce_result([1700000000.0, "7"], "max")[0] == 7.0
    matrix = [{"metric": {}, "values": [[1.0, "1"], [2.0, "3"]]}]
    assert reduce_result(matrix, "max") == (3.0, "3 ({})")


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        ([], "query returned no samples"),
        (vector("NaN"), 'sample of lag{replica="r0"} is NaN'),
        (vector("1", "+Inf"), 'sample of lag{replica="r1"} is +Inf'),
        (vector("fast"), "sample of lag{replica=\"r0\"} is not a number: 'fast'"),
        ([1700000000.0, "hello"], "sample of scalar is not a number: 'hello'"),
        ({"unexpected": True}, "query result is neither a vector, a matrix nor a scalar"),
        ([{"metric": {}}], "series {} holds no sample"),
        (["text"], "query result holds something that is not a series"),
    ],
)
def test_no_sample_or_a_non_number_is_a_bad_answer(result: Any, reason: str) -> None:
    with pytest.raises(BadAnswer) as caught:
        reduce_result(result, "max")
    assert str(caught.value) == reason


def node(name: str, *conditions: dict[str, str]) -> dict[str, Any]:
    return {"metadata": {"name": name}, "status": {"conditions": list(conditions)}}


def test_ready_means_a_ready_condition_that_is_true() -> None:
    raw = json.dumps(
        {
            "kind": "NodeList",
            "apiVersion": "v1",
            "items": [
                node("a", {"type": "Ready", "status": "True"}),
                node("b", {"type": "Ready", "status": "False"}),
                node("c", {"type": "Ready", "status": "Unknown"}),
                node("d", {"type": "DiskPressure", "status": "True"}),
                {"metadata": {"name": "e"}},
            ],
        }
    ).encode()
    assert parse_node_list(raw) == [
        ("a", True),
        ("b", False),
        ("c", False),
        ("d", False),
        ("e", False),
    ]


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"[]", b'{"kind": "Status", "code": 403}', b'{"kind": "NodeList", "items": {}}'],
)
def test_anything_else_is_a_bad_answer(raw: bytes) -> None:
    with pytest.raises(BadAnswer):
        parse_node_list(raw)
