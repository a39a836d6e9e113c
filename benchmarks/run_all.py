"""Run every benchmark (`bench_*.py`, each exposing `run() -> list[dict]`), print one table and
write `benchmarks/results/latest.json`.

Each figure is printed beside a baseline measured in the same run, because the machines are
shared and noisy: the ratio is what to compare across runs, not the absolute value."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.json"
FIELDS = ("name", "value", "unit", "baseline", "ratio", "goal", "meets")


def load(path: Path) -> ModuleType:
    """The bench file at `path` as module `path.stem`; its folder goes on `sys.path` first, so
    its `import harness` finds the benchmarks' shared harness however run_all was started."""
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def normalise(entry: dict[str, Any]) -> dict[str, Any]:
    missing = [field for field in FIELDS if field not in entry]
    if missing:
        raise ValueError(f"benchmark entry {entry.get('name')!r} lacks {', '.join(missing)}")
    return {field: entry[field] for field in FIELDS}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    return "" if value is None else str(value)


def merged(results: list[dict[str, Any]], *, partial: bool) -> list[dict[str, Any]]:
    """What latest.json should hold: a run of some benchmarks replaces their rows and keeps the
    others' from earlier runs, so the file always has a figure for every goal."""
    if not partial or not RESULTS.exists():
        return results
    fresh = {entry["name"] for entry in results}
    kept = [entry for entry in json.loads(RESULTS.read_text()) if entry["name"] not in fresh]
    return kept + results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("only", nargs="*", help="benchmark file stems to run (default: all)")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE.parent))
    # Wide when piped (make, CI logs), so the table is not folded into narrow columns.
    console = Console(width=None if sys.stdout.isatty() else 200)
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        scripts = [script for script in scripts if script.stem in args.only]
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    for index, script in enumerate(scripts, start=1):
        console.print(f"[bold]({index}/{len(scripts)}) {script.stem}[/bold] …")
        started = time.perf_counter()
        try:
            entries = [normalise(entry) for entry in load(script).run()]
        except Exception:
            failures.append(script.stem)
            console.print(f"[red]{script.stem} failed[/red]\n{traceback.format_exc()}")
            continue
        results.extend(entries)
        console.print(f"  done in {time.perf_counter() - started:.1f} s")
    table = Table(title="Atende benchmarks")
    for field in FIELDS:
        table.add_column(field, justify="left" if field in ("name", "unit", "goal") else "right")
    for entry in results:
        meets = entry["meets"]
        mark = "[green]yes[/green]" if meets else ("[red]no[/red]" if meets is False else "")
        table.add_row(*(_fmt(entry[field]) for field in FIELDS[:-1]), mark)
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(merged(results, partial=bool(args.only)), indent=2) + "\n")
    console.print(f"written {RESULTS.relative_to(HERE.parent)}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
