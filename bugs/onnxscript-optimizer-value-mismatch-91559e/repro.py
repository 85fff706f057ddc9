"""The onnxscript optimizer's output computes wrong values on the ONNX reference evaluator (onnx.reference): ReduceMean -> Sub -> Pow -> Add -> Sqrt -> Div -> Mul -> LessOrEqual on a 0-d float32 (opset 24)

The model passes on the ONNX reference evaluator (onnx.reference) before the onnxscript optimizer and fails after it: every runtime that ran the model fails on it (the ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU), tract). Found with onnx 1.23.2, onnx-ir 1.1.0, onnxscript 0.7.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 12,
   opset_import: ["" : 24]
>
repro (float[1,1,1,1] x0, float x5) => (bool[1,1,1,1] out0) 
   <float[1] t1 =  {1.3325549}, float[1] t2 =  {1.4584248}, int64[1] t3 =  {3}, float t4 =  {2}, int64[1] t5 =  {3}, float t6 =  {1e-12}>
{
   t7 = ReduceMean <keepdims: int = 1> (x0, t3)
   t8 = Sub (x0, t7)
   t9 = Pow (t8, t4)
   t10 = ReduceMean <keepdims: int = 1> (t9, t5)
   t11 = Add (t10, t6)
   t12 = Sqrt (t11)
   t13 = Div (t8, t12)
   t14 = Mul (t13, t1)
   t15 = Add (t14, t2)
   out0 = LessOrEqual (t15, x5)
}
''')
INPUTS = {'x0': np.array([[[[-0.5650601387023926]]]], dtype=np.float32), 'x5': np.array(1.4800145626068115, dtype=np.float32)}
EXPECTED = [np.array([[[[True]]]], dtype=np.bool)]  # the exact result, rounded to the output type

def transform_model(model_bytes, opset):
    import onnx
    import onnx_ir as ir
    from onnxscript import optimizer
    model = ir.from_proto(onnx.load_model_from_string(model_bytes))
    optimizer.optimize(model)
    return ir.to_proto(model).SerializeToString()


def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 24)
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
