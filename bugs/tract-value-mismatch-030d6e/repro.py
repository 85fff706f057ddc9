"""tract computes wrong values: Expand -> Cast -> MatMul -> Add on float32 (opset 18)

The ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 18]
>
repro (float[1,5,1,1] x12) => (float[1,5,1] out0) 
   <float[2] t1 =  {1,1}, float t2 =  {0.2861134}, int64[4] t3 =  {1,5,1,2}>
{
   t4 = Expand (x12, t3)
   t5 = Cast <to: int = 7> (t4)
   t6 = Cast <to: int = 1> (t5)
   t7 = MatMul (t6, t1)
   out0 = Add (t7, t2)
}
''')
INPUTS = {'x12': np.array([[[[-1.324150800704956]], [[0.330154687166214]], [[-0.805960476398468]], [[-1.2419289350509644]], [[0.27864742279052734]]]], dtype=np.float32)}
EXPECTED = [np.array([[[-1.7138866186141968], [0.2861134111881256], [0.2861134111881256], [-1.7138866186141968], [0.2861134111881256]]], dtype=np.float32)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    import os, tempfile
    import tract
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(model_bytes)
        runnable = tract.onnx().load(os.path.join(d, "model.onnx")).into_model().into_runnable()
    return [t.to_numpy() for t in runnable.run(list(feeds.values()))]


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
