"""ONNX Runtime gives NaN/Inf where the result is finite: Mul -> ReduceLogSumExp <keepdims = 0> on float32 (opset 8)

The ONNX reference evaluator (onnx.reference), OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 3,
   opset_import: ["" : 28]
>
repro (float[1] x0, float c9) => (float out0) 
   <float c9 =  {39.96}>
{
   t1 = Mul (x0, c9)
   t2 = Mul (t1, t1)
   t3 = Constant <value: tensor = int64[1] {0}> ()
   out0 = ReduceLogSumExp <keepdims: int = 0> (t2, t3)
}
''')
INPUTS = {'x0': np.array([-1.4701969623565674], dtype=np.float32)}
EXPECTED = [np.array(3451.453125, dtype=np.float32)]  # the exact result, rounded to the output type

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
            np.testing.assert_allclose(a, e, rtol=0.001, atol=0.001 * np.nan_to_num(np.abs(e.astype(float)), nan=0, posinf=0).mean(), strict=True)
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
