"""Screenshot pages of the Snakemake report in headless Chromium, to look at what a reader sees.

The report is one page whose menus are clicked, not linked, so a wrapper page loads it in an
iframe and clicks through the visible texts given (``eye:<label>`` opens the result whose
label starts with ``<label>``). Each ``--page`` is one comma-separated click path.

    .venv/bin/python bench/report_screenshot.py results/report.html --out docs/screenshots \\
        --page "Results,Robust accuracy,eye:GunPoint: certified" --page "Results,Robust accuracy"

Needs ``chromium`` on PATH (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-file-access-from-files",
    "--window-size=1400,1000",
    "--virtual-time-budget=20000",
]

CLICKER = """
function clickText(doc, text) {
  if (text.startsWith('eye:')) {
    const label = text.slice(4);
    const leaf = Array.from(doc.querySelectorAll('*'))
      .filter(e => e.children.length === 0 && e.textContent.trim().startsWith(label))[0];
    if (!leaf) return false;
    let row = leaf.parentElement;
    while (row && row.querySelectorAll('a,button').length === 0) row = row.parentElement;
    row.querySelectorAll('a,button')[0].click();
    return true;
  }
  const all = Array.from(doc.querySelectorAll('a,button,li,span,div,td,p'));
  const exact = all.filter(e => e.textContent.trim() === text);
  if (exact.length) { exact[exact.length - 1].click(); return true; }
  const part = all.filter(e => e.children.length === 0 && e.textContent.includes(text));
  if (part.length) { part[0].click(); return true; }
  return false;
}
"""


def wrapper(report: Path, steps: list[str]) -> str:
    return f"""<!doctype html><html><body style="margin:0">
<iframe id="r" src="{report.resolve().as_uri()}" style="width:1400px;height:1000px;border:0"></iframe>
<script>{CLICKER}
const steps = {json.dumps(steps)};
document.getElementById('r').onload = () => {{
  const doc = document.getElementById('r').contentDocument;
  let i = 0;
  const next = () => {{ if (i < steps.length) {{ clickText(doc, steps[i++]); setTimeout(next, 1500); }} }};
  setTimeout(next, 2000);
}};
</script></body></html>"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--out", type=Path, default=Path("report_screenshots"))
    parser.add_argument("--page", action="append", default=[], help="comma-separated texts to click, in order")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        for steps in args.page or [""]:
            clicks = [step.strip() for step in steps.split(",") if step.strip()]
            name = re.sub(r"[^A-Za-z0-9]+", "_", "_".join(clicks) or "home").strip("_")[:80]
            page = Path(profile) / f"{name}.html"
            page.write_text(wrapper(args.report, clicks))
            shot = args.out / f"{name}.png"
            command = ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}/chromium", f"--screenshot={shot}"]
            subprocess.run([*command, page.as_uri()], check=True, capture_output=True, timeout=180)
            print(shot)


if __name__ == "__main__":
    main()
