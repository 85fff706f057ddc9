"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: Unique -> Shape -> Reshape -> Clip on int8 (opset 21)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 21]
>
repro (int8[2,2] x0) => (int64[2,2] out0) {
   t1, "", t2 = Unique <sorted: int = 1> (x0)
   t3 = Shape <start: int = 0> (x0)
   t4 = Reshape <allowzero: int = 1> (t2, t3)
   t5 = Constant <value: tensor = int64 t6 {1}> ()
   out0 = Clip (t4, "", t5)
}
''')
INPUTS = {'x0': np.array([[5, 1], [7, 3]], dtype=np.int8)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if 'ValueError: operands could not be broadcast together with shapes' in f'{type(e).__name__}: {e}' else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
