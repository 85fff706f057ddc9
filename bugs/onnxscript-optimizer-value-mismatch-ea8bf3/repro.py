"""The onnxscript optimizer's output computes wrong values on the ONNX reference evaluator (onnx.reference): Reshape -> Cast -> Gather -> Equal -> Sub -> Abs -> CastLike -> Mul -> Add -> LessOrEqual -> Or on float32 (opset 22)

The model passes on the ONNX reference evaluator (onnx.reference) before the onnxscript optimizer and fails after it: every runtime that ran the model fails on it (the ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU), tract). Found with onnx 1.23.2, onnx-ir 1.1.0, onnxscript 0.7.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 22]
>
repro (float[4] x0) => (bool[1] out0) 
   <int32[1] t1 =  {0}, float t2 =  {0}>
{
   t3 = Constant <value_ints: ints = [-1]> ()
   t4 = Reshape <allowzero: int = 0> (t1, t3)
   t5 = Cast <to: int = 7> (t4)
   t6 = Gather <axis: int = 0> (x0, t5)
   t7 = Equal (t6, t2)
   t8 = Sub (t6, t2)
   t9 = Abs (t8)
   t10 = Constant <value: tensor = float {1e-08}> ()
   t11 = CastLike (t10, t2)
   t12 = Constant <value: tensor = float {1e-05}> ()
   t13 = CastLike (t12, t2)
   t14 = Abs (t2)
   t15 = Mul (t13, t14)
   t16 = Add (t11, t15)
   t17 = Constant <value: tensor = float {0}> ()
   t18 = Sub (t9, t16)
   t19 = LessOrEqual (t18, t17)
   out0 = Or (t7, t19)
}
''')
INPUTS = {'x0': np.array([1.1754943508222875e-38, 1.0, 0.0, 1.0], dtype=np.float32)}
EXPECTED = [np.array([True], dtype=np.bool)]  # the exact result, rounded to the output type

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
    model = transform_model(model, 22)
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
