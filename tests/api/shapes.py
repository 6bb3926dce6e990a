"""Comparing a response with a seed's example response: same keys, same kinds of values."""
from __future__ import annotations

import re
from datetime import datetime

MONEY = re.compile(r"^-?[0-9]+\.[0-9]{2}$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, str):
        if MONEY.match(value):
            return "money"
        if DATE.match(value):
            return "date"
        if re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T", value):
            return "datetime"
        return "string"
    return type(value).__name__


def assert_datetime_with_zone(value: str) -> None:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert moment.tzinfo is not None, value


def assert_same_shape(actual, example, path: str = "$", nullable: frozenset[str] = frozenset()) -> None:
    """Keys equal at every level (name parts aside: their keys follow the name scheme); each
    value of the kind the example shows. A null on either side passes (the seed's data and ours
    differ), except at the paths in `nullable`, which must be null as in the seed."""
    if isinstance(example, dict):
        assert isinstance(actual, dict), f"{path}: {actual!r} is no object"
        if set(example) - {"_scheme", "full_name"} or not example:
            assert set(actual) == set(example), f"{path}: keys {sorted(set(actual) ^ set(example))} differ"
        for key, value in example.items():
            if key in actual:
                assert_same_shape(actual[key], value, f"{path}.{key}", nullable)
        return
    if isinstance(example, list):
        assert isinstance(actual, list), f"{path}: {actual!r} is no list"
        if example and actual:
            for item in actual:
                assert_same_shape(item, example[0], f"{path}[]", nullable)
        return
    if path in nullable:
        assert actual is None, f"{path}: {actual!r} should be null as in the seed"
        return
    if example is None or actual is None:
        return
    expected, got = kind(example), kind(actual)
    if expected == "money" and got == "integer":
        raise AssertionError(f"{path}: money must be a string, got {actual!r}")
    if expected == "string" and got in ("money", "date", "datetime"):
        got = "string"
    assert got == expected, f"{path}: {actual!r} is {got}, the seed shows {expected} ({example!r})"
    if got == "datetime":
        assert_datetime_with_zone(actual)
