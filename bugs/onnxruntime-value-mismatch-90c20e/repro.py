"""ONNX Runtime computes wrong values: Cast -> Clip -> Less on a 0-d float32 (opset 14)

The ONNX reference evaluator (onnx.reference), OpenVINO (CPU), tract run the same model correctly. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

# ONNX's text format writes 16-bit float constants as their raw bits; their values: t1 = 0; t2 = 6
MODEL = onnx.parser.parse_model('''
<
   ir_version: 7,
   opset_import: ["" : 14]
>
repro (float x0) => (bool out0) 
   <float16 t1 =  {0}, float16 t2 =  {17920}>
{
   t3 = Cast <to: int = 10> (x0)
   t4 = Clip (t3, t1, t2)
   t5 = Cast <to: int = 10> (x0)
   out0 = Less (t5, t4)
}
''')
INPUTS = {'x0': np.array(0.08068482577800751, dtype=np.float32)}
EXPECTED = [np.array(False, dtype=np.bool)]  # the exact result, rounded to the output type

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
