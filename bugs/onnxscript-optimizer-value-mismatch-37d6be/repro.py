"""The onnxscript optimizer's output computes wrong values on tract: Cast -> Mul -> Shape -> Gather -> Concat -> Unsqueeze -> Transpose -> Expand -> ScatterND on float32 (opset 19)

The model passes on tract before the onnxscript optimizer and fails after it: every runtime that ran the model fails on it (tract, the ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU)). Found with onnx 1.23.2, onnx-ir 1.1.0, onnxscript 0.7.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 19]
>
repro (float[1,1] x7) => (float[1,1] out0) 
   <int64[1] t1 =  {0}, float[1,1] t2 =  {0.12084033}>
{
   t3 = Constant <value: tensor = int64 {0}> ()
   t4 = Cast <to: int = 1> (t3)
   t5 = Mul (t2, t4)
   t6 = Shape <start: int = 0> (x7)
   t7 = Shape <start: int = 0> (t1)
   t8 = Constant <value_ints: ints = [0]> ()
   t9 = Gather <axis: int = 0> (t6, t8)
   t10 = Concat <axis: int = 0> (t7, t9)
   t11 = Constant <value_ints: ints = [-1]> ()
   t12 = Unsqueeze (t1, t11)
   t13 = Concat <axis: int = -1> (t12)
   t14 = Transpose <perm: ints = [1, 0]> (x7)
   t15 = Transpose <perm: ints = [1, 0]> (t5)
   t16 = Expand (t15, t10)
   t17 = ScatterND <reduction: string = "add"> (t14, t13, t16)
   out0 = Transpose <perm: ints = [1, 0]> (t17)
}
''')
INPUTS = {'x7': np.array([[-1.3621402978897095]], dtype=np.float32)}
EXPECTED = [np.array([[-1.3621402978897095]], dtype=np.float32)]  # the exact result, rounded to the output type

def transform_model(model_bytes, opset):
    import onnx
    import onnx_ir as ir
    from onnxscript import optimizer
    model = ir.from_proto(onnx.load_model_from_string(model_bytes))
    optimizer.optimize(model)
    return ir.to_proto(model).SerializeToString()


def run_model(model_bytes, feeds):
    import os, tempfile
    import tract
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(model_bytes)
        runnable = tract.onnx().load(os.path.join(d, "model.onnx")).into_model().into_runnable()
    return [t.to_numpy() for t in runnable.run(list(feeds.values()))]


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 19)
    actual = run_model(model, INPUTS)
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
