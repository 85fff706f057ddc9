"""Step 6: reduce a failing case to the smallest graph that still fails the same way."""
from fuzzer.minimize.reducer import Reduction, Target, in_process, reduce

__all__ = ["Reduction", "Target", "in_process", "reduce"]
