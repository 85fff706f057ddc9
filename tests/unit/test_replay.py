"""(GENERATOR_VERSION, seed) replays a case exactly, or is refused.

The same seeds give the same graphs in a fresh (spawned) process as in this warm one, for
generation and for every mutation kind alone; the version changes with any generation source;
and a case recorded by another version is refused by `reduce` with one line and exit code 2.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fuzzer.choices import NumpyChoices
from fuzzer.generate import GenConfig, generate
from fuzzer.generate import mutate as mutate_module
from fuzzer.generate.mutate import KINDS, mutate
from fuzzer.ir import Graph
from fuzzer.version import GENERATION_SOURCES, GENERATOR_VERSION, generator_version

ROOT = Path(__file__).resolve().parents[2]
SEEDS = range(60)
CONFIGS = {"torch": GenConfig(), "onnx": GenConfig(frontend="onnx")}


def _generations() -> dict[str, str]:
    return {f"{fe}/{seed}": generate(NumpyChoices(seed), config).dumps()
            for fe, config in CONFIGS.items() for seed in SEEDS}


def _mutations(bases: dict[str, str]) -> dict[str, str]:
    """Each base graph mutated once by every kind alone (the others forced away, as test_mutate
    does). A fresh process runs these before drawing anything else, so no spec has drawn yet."""
    out = {}
    for key, text in bases.items():
        g, config = Graph.loads(text), CONFIGS[key.split("/")[0]]
        for kind in KINDS:
            real = mutate_module.KINDS
            mutate_module.KINDS = (kind,)
            try:
                out[f"{kind}/{key}"] = mutate(g, NumpyChoices(1000 + len(out)), config, count=1).dumps()
            finally:
                mutate_module.KINDS = real
    return out


FRESH = """
import json, sys
from tests.unit.test_replay import _generations, _mutations
bases = json.load(sys.stdin)
mutated = _mutations(bases)  # first: nothing has been drawn in this process yet
json.dump({"mutated": mutated, "generated": _generations()}, sys.stdout)
"""


def test_fresh_and_warm_processes_draw_the_same_graphs_and_mutations():
    bases = _generations()
    # warm this process: every spec has drawn (and been mutated) many times before
    for seed in range(40):
        for config in CONFIGS.values():
            mutate(generate(NumpyChoices(seed + 500), config), NumpyChoices(seed), config)
    warm = {"mutated": _mutations(bases), "generated": _generations()}
    out = subprocess.run([sys.executable, "-c", FRESH], input=json.dumps(bases), capture_output=True, text=True,
                         cwd=ROOT, check=True)
    fresh = json.loads(out.stdout)
    assert fresh["generated"] == warm["generated"] == bases
    assert fresh["mutated"].keys() == warm["mutated"].keys()
    differ = sorted(k for k in warm["mutated"] if warm["mutated"][k] != fresh["mutated"][k])
    assert not differ, f"{len(differ)} of {len(warm['mutated'])} mutations differ between a fresh and a warm process: {differ[:10]}"
    assert sum(warm["mutated"][f"{k}/{b}"] != bases[b] for k in KINDS for b in bases) > len(bases)  # they do mutate


def _copy_sources(dst: Path) -> Path:
    pkg = ROOT / "fuzzer"
    for name in GENERATION_SOURCES:
        src = pkg / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dst / name)
    return dst


def test_the_version_is_the_hash_of_the_generation_sources_and_follows_a_spec_edit(tmp_path):
    root = _copy_sources(tmp_path)
    assert generator_version(root) == GENERATOR_VERSION
    spec = root / "ops" / "elementwise.py"
    spec.write_text(spec.read_text().replace('domain = (-INF, 10.0)', 'domain = (-INF, 9.0)', 1))
    assert generator_version(root) != GENERATOR_VERSION
    (root / "ops" / "newop.py").write_text("# a new op module\n")  # a new file counts too
    assert len({generator_version(root), GENERATOR_VERSION}) == 2


@pytest.mark.parametrize("recorded", [1, None])
def test_reduce_refuses_a_case_from_another_generator_version(tmp_path, recorded):
    case = tmp_path / "case-3"
    case.mkdir()
    g = generate(NumpyChoices(0), GenConfig(max_nodes=2))
    (case / "graph.json").write_text(g.dumps())
    (case / "verdicts.json").write_text("[]")
    meta = {"case_id": 3, "seed": 0, "status": "fail"} | ({} if recorded is None else {"generator": recorded})
    (case / "case.json").write_text(json.dumps(meta))
    out = subprocess.run([sys.executable, "-m", "fuzzer", "reduce", str(case)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "generator version" in lines[0] and str(GENERATOR_VERSION) in lines[0], out.stderr


def test_no_spec_keeps_draw_state_on_its_shared_instance():
    """Every spec drawn (and its graphs mutated) leaves its registry instance as it was."""
    from fuzzer.ops import all_specs

    before = {s.name: dict(vars(s)) for s in all_specs()}
    drawn = set()
    for fe, config in CONFIGS.items():
        for spec in all_specs():
            if not spec.serves(fe):
                continue
            ops = (spec.name,) + tuple(h for h in ("cast", "add") if h != spec.name)
            cfg = GenConfig(ops=ops, max_nodes=3, frontend=fe, control_flow=True)
            for seed in range(3):
                g = generate(NumpyChoices(seed), cfg)
                mutate(g, NumpyChoices(seed), cfg)
                drawn |= set(g.op_types())
    after = {s.name: dict(vars(s)) for s in all_specs()}
    changed = sorted(n for n in before if before[n] != after[n])
    assert not changed, f"specs keeping draw state: {changed}"
    assert len(drawn) >= 0.9 * len(before), sorted(set(before) - drawn)
