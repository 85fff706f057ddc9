"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: MaxPool on float32 (opset 17)

ONNX Runtime, ONNX Runtime with graph optimizations disabled run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 17]
>
repro (float[1,1,1,1] x14) => (float[1,1,1,2] out0) {
   out0 = MaxPool <ceil_mode: int = 0, dilations: ints = [1, 1], kernel_shape: ints = [1, 2], pads: ints = [0, 1, 0, 1], strides: ints = [1, 1]> (x14)
}
''')
INPUTS = {'x14': np.array([[[[0.7290545105934143]]]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if 'ValueError: zero-size array to reduction operation maximum which has no identity' in f'{type(e).__name__}: {e}' else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
