"""The sanity checks of an evaluation, after Carlini et al.'s checklist and AutoAttack's checks.py.

Each check takes accuracies (percent) and returns True when it passes. A failed check flags
its row in a table; it never drops it: a flagged number is a number to doubt, not to hide.
The tables that flag rows: post-averaging's adaptive checks (``report.defense``) and the
AutoAttack-grade checks (``report.robustness``).

Accuracies are means of counts, so two that should be equal can differ by float rounding
only: ``TOLERANCE`` (points) absorbs that and nothing a real attack could change.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

TOLERANCE = 1e-9


def _array(values: Iterable[float]) -> np.ndarray:
    return np.asarray(list(values), dtype=float)


def equals(values: Iterable[float], reference: Iterable[float] | float) -> bool:
    """Every value is its reference (an attack at budget 0 leaves the clean accuracy); a NaN
    value (an attack that did not run) passes."""
    values = _array(values)
    reference = np.broadcast_to(np.asarray(reference, dtype=float), values.shape)
    ran = ~np.isnan(values)
    return bool(np.allclose(values[ran], reference[ran], rtol=0.0, atol=TOLERANCE))


def non_increasing(values: Iterable[float]) -> bool:
    """Accuracy never rises as the budget grows (values in budget order)."""
    return bool((np.diff(_array(values)) <= TOLERANCE).all())


def at_most(values: Iterable[float], bounds: Iterable[float] | float) -> bool:
    """Each value is at most its bound: a stronger attack leaves no more accuracy than a weaker
    one (the worst case below each attack, an adaptive attack below a transferred one)."""
    values = _array(values)
    return bool((values <= np.asarray(bounds, dtype=float) + TOLERANCE).all())


def none_above(values: Iterable[float], limit: float = 0.0) -> bool:
    """No value exceeds ``limit`` (e.g. the share of points only the black-box attack broke)."""
    return bool((_array(values) <= limit + TOLERANCE).all())
