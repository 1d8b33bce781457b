"""The key paths of a report.json (or summary.json): objects by key, arrays as [] (every element).
Maps whose keys are data, not schema (per-class accuracy, compute stages) count as one path.
Usage: report_schema.py FILE  -> prints the sorted paths, one per line."""
import json
import sys

OPEN_MAPS = {"per_class_accuracy", "stages", "fit_flags"}


def paths(value, prefix, out):
    if isinstance(value, dict):
        for key, v in value.items():
            path = f"{prefix}.{key}" if prefix else key
            out.add(path)
            if key not in OPEN_MAPS:
                paths(v, path, out)
    elif isinstance(value, list):
        for v in value:
            paths(v, prefix + "[]", out)


if __name__ == "__main__":
    found = set()
    paths(json.load(open(sys.argv[1])), "", found)
    print("\n".join(sorted(found)))
