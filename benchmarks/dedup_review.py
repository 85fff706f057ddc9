"""How many folders the filer would write for a reviewed campaign's filings, against the bugs/ collection.

    python benchmarks/dedup_review.py --review DIR --live bugs --labels benchmarks/data/review13_rootcauses.tsv [--run-deaths]

Offline: nothing is filed. Every folder of both directories gets its root-cause key by today's
rules (fuzzer.report.writer's, as filing computes it for folders already filed); then the review
folders are filed again in the order they were filed, into a directory that already holds the
live collection: a folder whose key a live folder, or an earlier review folder, has is not
written (a duplicate hit instead). The labels file gives each review folder's root cause as a
reviewer named it ("=FOLDER": the same root cause as that live folder), which the figures are
measured against: folders per root cause among those written, the share of repeats of live
folders that are now suppressed onto the right folder, and false merges (a folder suppressed
onto, or sharing a key with, a folder of another root cause), which count as much as duplicates.

--not-filed ID... leaves out review folders today's blame would not file at all (what
`python -m fuzzer.report.reblame` reports as blaming another system on a path whose repro cannot
show it, such as a transformer given a model that already breaks the IR rules).

--run-deaths runs the repro of a process death whose kept texts do not say why it died (what
`python -m fuzzer.report.backfill --run` does), in a copy of its folder.
"""
from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path


def load_labels(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        _set, folder, label, *_ = line.split("\t")
        out[folder] = label
    return out


def keys_of(bugs_dir: Path, run_deaths: bool) -> dict[str, tuple[str | None, dict]]:
    """{folder name: (its key by today's rules, its bug record)}."""
    from fuzzer.report.writer import _filed_key

    try:
        from fuzzer.report.backfill import folder_death
    except ImportError:  # an onnxfuzz before death lines: keys without them
        folder_death = None
    out = {}
    for case_file in sorted(bugs_dir.glob("*/case.json")):
        case = json.loads(case_file.read_text())
        if folder_death is not None and not case["bug"].get("death"):
            death = folder_death(case_file.parent, run_deaths)
            if death:
                case["bug"]["death"] = death
        out[case_file.parent.name] = (_filed_key(case, case_file.parent), case["bug"])
    return out


def retired(bug: dict) -> bool:
    return bool(bug.get("withdrawn") or bug.get("duplicate_of"))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--review", type=Path, required=True, help="the folders a campaign filed unreviewed")
    p.add_argument("--live", type=Path, required=True, help="the reviewed bugs/ collection")
    p.add_argument("--labels", type=Path, required=True, help="root-cause labels of the review folders (TSV)")
    p.add_argument("--run-deaths", action="store_true")
    p.add_argument("--verbose", action="store_true", help="list every review folder's fate")
    p.add_argument("--not-filed", nargs="*", default=[], metavar="ID", help="review folders today's blame would not file")
    args = p.parse_args()

    labels = load_labels(args.labels)
    live = keys_of(args.live, args.run_deaths)
    review = {n: v for n, v in keys_of(args.review, args.run_deaths).items() if n not in set(args.not_filed)}
    # a live folder is its own root cause; a retired duplicate is that of the folder it duplicates
    live_label = {name: "=" + (bug.get("duplicate_of") or name) for name, (_, bug) in live.items()}
    rev_label = {name: labels[name] for name in review}

    # live folders of different root causes sharing a key: false merges inside the collection
    by_key = defaultdict(list)
    for name, (key, bug) in live.items():
        if not bug.get("withdrawn"):
            by_key[key].append(name)
    live_merges = [sorted(v) for k, v in by_key.items() if len({live_label[n] for n in v}) > 1]

    # file the review folders again, in the order they were filed, beside the live collection
    known: dict[str, tuple[str, str]] = {}  # key -> (folder, its label)
    for name, (key, bug) in live.items():
        if key and (key not in known or not retired(bug)):
            if key in known and not retired(live[known[key][0]][1]):
                continue
            known[key] = (name, live_label[name])
    written, suppressed = [], []
    order = sorted(review, key=lambda n: (str(review[n][1].get("filed") or ""), n))
    for name in order:
        key = review[name][0]
        if key and key in known:
            suppressed.append((name, *known[key]))
        else:
            written.append(name)
            if key:
                known[key] = (name, rev_label[name])

    repeats = [n for n in review if rev_label[n].startswith("=")]
    onto = {n: (target, label) for n, target, label in suppressed}
    repeats_right = [n for n in repeats if n in onto and onto[n][1] == rev_label[n]]
    false_merges = [(n, t) for n, t, label in suppressed if label != rev_label[n]]
    written_labels = Counter(rev_label[n] for n in written)
    first_new = [n for n in written if not rev_label[n].startswith("=")]
    unique_new = sum(1 for label, c in written_labels.items() if not label.startswith("="))
    review_keys = {review[n][0] for n in review}
    causes_all = len(set(rev_label.values()))

    if args.not_filed:
        print(f"left out (not filed by today's blame): {len(args.not_filed)} {sorted(args.not_filed)}")
    print(f"review folders: {len(review)}; root causes (labels): {causes_all}; distinct keys: {len(review_keys)} "
          f"({len(review) / len(review_keys):.2f} folders per key)")
    print(f"live folders: {len(live)}; distinct keys: {len({k for k, _ in live.values()})}; "
          f"live folders of different root causes sharing a key: {len(live_merges)} {live_merges}")
    print(f"filed beside the live collection: {len(written)} written, {len(suppressed)} suppressed as duplicate hits")
    print(f"  written: {len(written_labels)} root causes, {len(written) / max(len(written_labels), 1):.2f} folders per root cause; "
          f"{len(written_labels) - unique_new} of those root causes already live")
    print(f"  written and the only folder of a new root cause: {unique_new} of {len(written)} "
          f"({100 * unique_new / max(len(written), 1):.1f}%)")
    print(f"  repeats of live folders (labels): {len(repeats)}; suppressed onto the right folder: {len(repeats_right)} "
          f"({100 * len(repeats_right) / max(len(repeats), 1):.1f}%); still written: {sum(n in written for n in repeats)}")
    print(f"  false merges (suppressed onto a folder of another root cause): {len(false_merges)} {false_merges}")
    review_merges = defaultdict(list)
    for n in review:
        review_merges[review[n][0]].append(n)
    print("  review folders sharing a key across root causes: "
          f"{[sorted(v) for v in review_merges.values() if len({rev_label[x] for x in v}) > 1]}")
    if args.verbose:
        for n in order:
            fate = f"-> {onto[n][0]}" if n in onto else "WRITTEN"
            print(f"    {n:44s} {review[n][0]} {fate:48s} {rev_label[n][:70]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
