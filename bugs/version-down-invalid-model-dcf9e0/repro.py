"""The ONNX version converter (converting to an older opset) produces a model the ONNX checker rejects: ReduceMean with an explicit noop_with_empty_axes attribute, converted from opset 19 to 17 (the attribute is kept; ReduceMean-13 has none)

The checker rejects the model the ONNX version converter (converting to an older opset) wrote from a model that passes on every runtime. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 19]
>
repro (float[1] x0) => (float t5) {
   t5 = ReduceMean <noop_with_empty_axes: int = 0, keepdims: int = 0> (x0)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    from onnx import version_converter
    proto = onnx.load_model_from_string(model_bytes)
    current = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    target = max(current - 2, min(current, 13))
    if target == current:
        return model_bytes
    return version_converter.convert_version(proto, target).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 19)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if 'ValidationError: Unrecognized attribute: noop_with_empty_axes for operator ReduceMean' in f'{type(e).__name__}: {e}' else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
