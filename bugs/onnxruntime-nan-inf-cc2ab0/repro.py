"""ONNX Runtime gives NaN/Inf where the result is finite: Shrink on float64 (opset 27)

The ONNX reference evaluator (onnx.reference), OpenVINO (CPU), tract run the same model correctly. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 13,
   opset_import: ["" : 27]
>
repro (double[3,4] x13) => (double[3,4] out0) {
   out0 = Shrink <bias: float = 0, lambd: float = 0.5> (x13)
}
''')
INPUTS = {'x13': np.array([[1.2338257453373958, 1.7976931348623155e+308, 0.93625021995277, 0.0], [0.7095858396442014, -0.03932420510747736, 1.548182466442615, 1.8595961007934512], [0.8997092720026632, -1.6417116020149454, -1.0, -0.7579915745189516]], dtype=np.float64)}
EXPECTED = [np.array([[1.2338257453373958, 1.7976931348623155e+308, 0.93625021995277, 0.0], [0.7095858396442014, 0.0, 1.548182466442615, 1.8595961007934512], [0.8997092720026632, -1.6417116020149454, -1.0, -0.7579915745189516]], dtype=np.float64)]  # the exact result, rounded to the output type

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
            np.testing.assert_allclose(a, e, rtol=1e-05, atol=1e-05 * np.nan_to_num(np.abs(e.astype(float)), nan=0, posinf=0).mean(), strict=True)
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
