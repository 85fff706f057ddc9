"""Version numbers that make a (version, seed) pair replay the same test case."""
from importlib import metadata

try:
    __version__ = metadata.version("onnxfuzz")
except metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+src"

# Bumped whenever the same seed would produce a different graph or inputs.
GENERATOR_VERSION = 1
