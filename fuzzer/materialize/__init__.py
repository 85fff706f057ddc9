"""Step 2 of a test case: the IR graph as a framework model."""
from fuzzer.materialize.torch_module import build_module, build_packed_module, torch_inputs
from fuzzer.materialize.torch_source import module_source, repro_model_source

__all__ = ["build_module", "build_packed_module", "module_source", "repro_model_source", "torch_inputs"]
