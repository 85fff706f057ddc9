"""Rewrite seeds/<name>.json from the seed builders: `python -m seeds.dump`."""
from __future__ import annotations

import json

from seeds import HERE, SEEDS


def main() -> None:
    for name, build in SEEDS.items():
        text = json.dumps(build().to_json(), sort_keys=True, indent=1) + "\n"
        (HERE / f"{name}.json").write_text(text)
        print(f"wrote seeds/{name}.json")


if __name__ == "__main__":
    main()
