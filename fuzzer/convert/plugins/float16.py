"""onnxconverter-common's float16 converter: float32 tensors, weights and ops become float16.

keep_io_types=True keeps the graph's inputs and outputs float32 (a Cast at
each edge), so the case's inputs feed it unchanged; ops on its block list
stay float32. The oracles judge the outputs with float16's tolerance
(`precision`). A runtime without a float16 kernel for an op reports it as
unsupported through its own `is_unsupported`.

The converter refuses a model that already holds float16 tensors ("The model
is already converted to float16"): a documented refusal, so unsupported.
"""
from __future__ import annotations

import re

from fuzzer.convert.base import Transformer

_GAP = re.compile(r"already converted to float16")


class Float16(Transformer):
    name = "float16"
    requires = ("onnxconverter-common", "onnx")
    imports = ("onnxconverter_common.float16",)
    precision = "float16"

    def transform(self, model: bytes, opset: int) -> bytes:
        import onnx
        from onnxconverter_common import float16

        from fuzzer.coverage.float16 import record

        proto = onnx.load_model_from_string(model)
        converted = float16.convert_float_to_float16(proto, keep_io_types=True)
        record(converted)  # which op types it converted and which it kept float32
        return converted.SerializeToString()

    def is_unsupported(self, error: BaseException) -> bool:
        return bool(_GAP.search(str(error)))

    def repro_source(self) -> str:
        """A standalone transform_model() for bug repros (imports onnx and onnxconverter_common only)."""
        return '''
def transform_model(model_bytes, opset):
    import onnx
    from onnxconverter_common import float16
    model = onnx.load_model_from_string(model_bytes)
    return float16.convert_float_to_float16(model, keep_io_types=True).SerializeToString()
'''
