"""ONNX Runtime computes wrong values: Cast -> Reshape -> Equal on a 0-d float32 (opset 15)

The ONNX reference evaluator (onnx.reference), OpenVINO (CPU), tract run the same model correctly. Found with onnx 1.23.2, onnxruntime 1.32.0.
The expected values are what the ONNX reference evaluator (onnx.reference) computes on this model (it gave the exact result on the larger model this one was reduced from).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 15]
>
repro (float x1) => (bool[unk__0] t12) {
   t1 = Constant <value: tensor = int64[1] {-1}> ()
   t2 = Cast <to: int = 10> (x1)
   t3 = Reshape <allowzero: int = 0> (t2, t1)
   t4 = Cast <to: int = 10> (x1)
   t12 = Equal (t3, t4)
}
''')
INPUTS = {'x1': np.array(-1.4848732948303223, dtype=np.float32)}
EXPECTED = [np.array([True], dtype=np.bool)]  # what the ONNX reference evaluator (onnx.reference) computes

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
