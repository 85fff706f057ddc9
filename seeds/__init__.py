"""Seed graphs of real architecture blocks, which campaigns mutate as well as generating
from scratch.

Each seed is a function building an IR Graph from the registered op specs (see
seeds/_build.py). `seeds/<name>.json` holds the same graph serialized
(`python -m seeds.dump` rewrites them; tests/unit/test_seeds.py keeps both in
sync), so a seed can be read without importing the Python that built it.

Besides these, `load_seeds` accepts "onnx-node" (every node test case shipped
with onnx that the importer can turn into the IR, see fuzzer.importer) and a
directory of graph JSON files.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from fuzzer.errors import UsageError
from fuzzer.ir import Graph
from seeds import lstm, mobilenet, resnet, transformer, unet, vit

SEEDS: dict[str, Callable[[], Graph]] = {
    "resnet_basic": resnet.basic,
    "resnet_bottleneck": resnet.bottleneck,
    "mobilenet_inverted_residual": mobilenet.inverted_residual,
    "transformer_encoder": transformer.encoder_layer,
    "lstm_tagger": lstm.tagger,
    "unet_down": unet.down,
    "unet_up": unet.up,
    "unet_up_bilinear": unet.up_bilinear,
    "vit_patch_embedding": vit.patch_embedding,
}

HERE = Path(__file__).parent
#: the pseudo-seed naming every importable onnx node test
ONNX_NODE = "onnx-node"


def load_seed(name: str) -> Graph:
    """The seed graph called name; UsageError naming the known seeds otherwise."""
    try:
        build = SEEDS[name]
    except KeyError:
        raise UsageError(f"unknown seed {name!r}; known: {', '.join(SEEDS)}, {ONNX_NODE}, or a directory") from None
    return build()


def load_seeds(spec: str, cache_dir=None) -> dict[str, Graph]:
    """Seeds named by a --seeds value: "all", a comma-separated list of names (a seed
    name, "onnx-node"), or a directory of onnxfuzz graph JSON files.

    "all" is every architecture seed plus every importable onnx node test (kept in
    cache_dir once imported, when given). Raises UsageError for an unknown name, an empty directory or an unreadable file.
    """
    spec = spec.strip()
    if not spec:
        raise UsageError("--seeds needs a value: all, a comma-separated list of seed names, or a directory")
    path = Path(spec)
    if path.is_dir():
        return _from_dir(path)
    names = list(SEEDS) + [ONNX_NODE] if spec == "all" else [n.strip() for n in spec.split(",") if n.strip()]
    out: dict[str, Graph] = {}
    for name in names:
        if name == ONNX_NODE:
            from fuzzer.importer import node_test_seeds

            out.update(node_test_seeds(cache_dir))
        else:
            out[name] = load_seed(name)
    return out


def _from_dir(path: Path) -> dict[str, Graph]:
    files = sorted(path.glob("*.json"))
    if not files:
        raise UsageError(f"seed directory {path} holds no *.json graph")
    out = {}
    for f in files:
        try:
            out[f.stem] = Graph.loads(f.read_text())
        except (ValueError, KeyError) as e:
            raise UsageError(f"seed file {f} is not an onnxfuzz graph: {e}") from None
    return out


__all__ = ["ONNX_NODE", "SEEDS", "load_seed", "load_seeds"]
