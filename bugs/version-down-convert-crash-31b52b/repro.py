"""The ONNX version converter (converting to an older opset) fails: MaxPool -> Slice -> Sub on float32 (opset 8)

The ONNX version converter (converting to an older opset) fails on a model it was given. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 3,
   opset_import: ["" : 8]
>
repro (float[1,1,3] x0) => (int64[1,1,1] out0) {
   t1, t2 = MaxPool <kernel_shape: ints = [3], pads: ints = [0, 1], strides: ints = [2]> (x0)
   t3, t4 = MaxPool <kernel_shape: ints = [1], strides: ints = [1]> (x0)
   t5 = Slice <axes: ints = [2], ends: ints = [1], starts: ints = [0]> (t4)
   out0 = Sub (t2, t5)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    from onnx import version_converter
    proto = onnx.load_model_from_string(model_bytes)
    current = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    target = max(current - 2, min(current, 7))
    if target == current:
        return model_bytes
    return version_converter.convert_version(proto, target).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    try:
        model = transform_model(model, 8)
    except Exception as e:
        print('the ONNX version converter (converting to an older opset) raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('RuntimeError: /project/onnx/version_converter/adapters/maxpool_', 'Assertion `outputs.size() !=', 'of MaxPool cannot include Indices output')) else 2
    print('the ONNX version converter (converting to an older opset) converts the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
