"""Step 1 of a test case: a random valid graph and its inputs."""
from fuzzer.generate.builder import Builder
from fuzzer.generate.diversity import PathTracker, paths
from fuzzer.generate.generator import DEFAULT_DTYPES, GenConfig, generate
from fuzzer.generate.inputs import draw_inputs

__all__ = ["Builder", "DEFAULT_DTYPES", "GenConfig", "PathTracker", "draw_inputs", "generate", "paths"]
