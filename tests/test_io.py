"""Atomic writes: an interrupted write leaves neither a partial file nor a temporary one."""

from __future__ import annotations

import numpy as np
import pytest

from signal_robustness.io import atomic_path, load_json, load_npz, save_json, save_npz


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "sub" / "metrics.json"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("{half")
            raise RuntimeError("interrupted")
    assert not target.exists()
    assert list((tmp_path / "sub").iterdir()) == []


def test_failed_write_keeps_the_previous_version(tmp_path):
    target = tmp_path / "metrics.json"
    save_json(target, {"clean_acc": 90.0})
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_text("{")
            raise KeyboardInterrupt
    assert load_json(target) == {"clean_acc": 90.0}


def test_npz_round_trip_refuses_pickles(tmp_path):
    path = tmp_path / "data.npz"
    save_npz(path, x=np.arange(6, dtype=np.float32).reshape(2, 3), classes=np.array(["a", "b"]))
    loaded = load_npz(path)
    np.testing.assert_array_equal(loaded["x"], np.arange(6).reshape(2, 3))
    assert list(loaded["classes"]) == ["a", "b"]
    np.savez(tmp_path / "evil.npz", obj=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError):
        load_npz(tmp_path / "evil.npz")
