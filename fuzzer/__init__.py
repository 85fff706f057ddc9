"""onnxfuzz: differential fuzzing of ONNX model converters and runtimes.

The path of one test case follows the package layout:
generate -> materialize -> convert -> run -> (oracles) judge -> store.
"""
from fuzzer.version import GENERATOR_VERSION, __version__

__all__ = ["GENERATOR_VERSION", "__version__"]
