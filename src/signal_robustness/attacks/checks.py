"""Parameter checks shared by the attack builders: a bad value is refused when the attack is built."""

from __future__ import annotations


def check_non_negative(name: str, value: float) -> None:
    if not value >= 0:
        raise ValueError(f"{name} must be >= 0, got {value}")


def check_positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")


def check_positive_int(name: str, value: int) -> None:
    if int(value) < 1 or int(value) != value:
        raise ValueError(f"{name} must be an integer >= 1, got {value}")
