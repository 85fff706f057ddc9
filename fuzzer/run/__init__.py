"""Step 4 of a test case: run a model on a runtime."""
from fuzzer.run.base import Runtime, feeds_for

__all__ = ["Runtime", "feeds_for"]
