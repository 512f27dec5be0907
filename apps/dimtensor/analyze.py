"""dimtensor nightly analysis: summarises the sweep results under DATA_DIR into one report per day."""
import datetime
import json
import os
import pathlib


def main():
    data = pathlib.Path(os.environ.get("DATA_DIR", "/data"))
    results = []
    for path in sorted((data / "results").glob("*.jsonl")):
        with path.open(encoding="utf-8") as f:
            results += [json.loads(line) for line in f if line.strip()]
    drags = [r["drag"] for r in results]
    report = {
        "date": datetime.date.today().isoformat(),
        "tasks": len(results),
        "max_drag": max(drags, default=None),
        "mean_drag": sum(drags) / len(drags) if drags else None,
        "unit": results[0]["unit"] if results else None,
    }
    out = data / "reports" / f"{report['date']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
