"""onnxslim's output gives a wrong output type on the ONNX reference evaluator (onnx.reference): Dropout -> Shape -> Slice (opset 16)

The model passes on the ONNX reference evaluator (onnx.reference) before onnxslim and fails after it: every runtime that ran the model fails on it (the ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU), tract). Found with onnx 1.23.2, onnxslim 0.1.98.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 16]
>
repro () => (bool[1] out0, int64[1] out1) 
   <float[1] t1 =  {0}, bool t2 =  {0}, int64[1] t3 =  {0}, int64[1] t4 =  {99}, int64[1] t5 =  {0}, int64[1] t6 =  {1}>
{
   t7, out0 = Dropout <seed: int = 0> (t1, "", t2)
   t8 = Shape (t7)
   out1 = Slice (t8, t3, t4, t5, t6)
}
''')
INPUTS = {}
EXPECTED = [np.array([True], dtype=np.bool), np.array([1], dtype=np.int64)]  # the exact result, rounded to the output type

def transform_model(model_bytes, opset):
    import onnx
    import onnxslim
    return onnxslim.slim(onnx.load_model_from_string(model_bytes)).SerializeToString()


def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 16)
    actual = run_model(model, INPUTS)
    if len(actual) != len(EXPECTED):  # another failure than the values filed
        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED):
            np.testing.assert_array_equal(a, e, strict=True)
    except AssertionError as e:
        print(e)
        return 1
    print('outputs as expected: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
