"""The errors the pipeline raises on purpose: input it refuses.

An ``InputError``'s message names the file, key or value at fault and, where there
is one, the remedy. Jobs report it as one line, without a traceback: the user
has something to fix, not a bug to report.
"""

from __future__ import annotations


class InputError(ValueError):
    """Input the pipeline refuses; the message says which and why."""


class DatasetError(InputError):
    """A dataset that is unknown, missing or malformed."""


class ArtifactError(InputError):
    """An intermediate result under results/ that cannot be read (corrupt or truncated)."""

    def __init__(self, path: object, reason: object):
        super().__init__(
            f"{path} is corrupt or truncated ({reason or type(reason).__name__}). It is an intermediate "
            "result: delete it and rerun snakemake, which makes it again."
        )


class ArtifactMismatchError(InputError):
    """An intermediate result that reads but was made for another run or dataset."""

    def __init__(self, path: object, expected: object, found: object):
        super().__init__(
            f"{path} holds {found}, not {expected}: it was made for another run or copied in place. "
            "Delete it and rerun snakemake, which makes it again."
        )
