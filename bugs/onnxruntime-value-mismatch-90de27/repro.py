"""ONNX Runtime computes wrong values: ReduceSum <keepdims = 0> -> Unsqueeze -> Cast on int64 (opset 21)

The ONNX reference evaluator (onnx.reference), OpenVINO (CPU), tract run the same model correctly. Found with onnx 1.23.2, onnxruntime 1.32.0.
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
repro (int64[3,2,4] x0) => (int32[1,1,1] out0) 
   <int64[3] t1 =  {-3,-2,-1}, int64[3] t2 =  {-3,-2,-1}>
{
   t3 = ReduceSum <keepdims: int = 0> (x0, t1)
   t4 = Unsqueeze (t3, t2)
   out0 = Cast <to: int = 6> (t4)
}
''')
INPUTS = {'x0': np.array([[[-9223372036854775807, -3, 8, -4], [-1, -8, 7, 1]], [[-3, -3, -7, -5], [7, -6, -6, -8]], [[8, 7, 1, 6], [-1, 8, 7, 0]]], dtype=np.int64)}
EXPECTED = [np.array([[[6]]], dtype=np.int32)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    actual = run_model(MODEL.SerializeToString(), INPUTS)
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
