"""Trained runs of either branch, named by a run path.

A run path names one trained model wherever the pipeline refers to it (an evaluation's
output folder, a table row):

- time series: ``timeseries/<dataset>/<method>/<regulariser>/seed<seed>``
- audio: ``audio/<dataset>/<representation>/<model>/<training>/seed<seed>``

``parse_run`` splits it into its fields and ``run_identity`` gives the columns that name
the model in every tidy table. Nothing here reads a file or imports torch.
"""

from __future__ import annotations

import re

RUN_PATTERNS = {
    "timeseries": "timeseries/{dataset}/{method}/{regulariser}/seed{seed}",
    "audio": "audio/{dataset}/{representation}/{model}/{training}/seed{seed}",
}
# The fields of each branch's run path, in order.
RUN_FIELDS = {branch: re.findall(r"\{(\w+)\}", pattern) for branch, pattern in RUN_PATTERNS.items()}
_FIELD = r"[A-Za-z0-9_]+"


def _regex(pattern: str) -> re.Pattern[str]:
    body = re.escape(pattern)
    for name in re.findall(r"\{(\w+)\}", pattern):
        body = body.replace(re.escape("{" + name + "}"), f"(?P<{name}>{r'[0-9]+' if name == 'seed' else _FIELD})")
    return re.compile(f"^{body}$")


_REGEXES = {branch: _regex(pattern) for branch, pattern in RUN_PATTERNS.items()}


def run_path(branch: str, **fields: object) -> str:
    """The run path of a trained model of ``branch`` from its fields."""
    return RUN_PATTERNS[branch].format(**fields)


def parse_run(run: str) -> dict[str, str]:
    """``branch`` and the fields of a run path; ValueError for a path of neither branch."""
    for branch, regex in _REGEXES.items():
        match = regex.match(run)
        if match:
            return {"branch": branch, **match.groupdict()}
    raise ValueError(f"not a run path: {run!r} (expected {' or '.join(RUN_PATTERNS.values())})")


def run_identity(run: str) -> dict[str, object]:
    """The columns that name a trained model in every tidy table of its branch."""
    fields = parse_run(run)
    if fields["branch"] == "timeseries":
        return {
            "dataset": fields["dataset"],
            "method": fields["method"],
            "feat_sim": fields["regulariser"] == "feat_sim",
            "seed": int(fields["seed"]),
        }
    return {
        "dataset": fields["dataset"],
        "representation": fields["representation"],
        "model": fields["model"],
        "adversarial_training": fields["training"] == "adversarial",
        "seed": int(fields["seed"]),
    }
