"""onnx-simplifier (onnxsim)'s output computes wrong values on the ONNX reference evaluator (onnx.reference): AveragePool <pads = [1, 0, 1, 0]> -> Size on float32 (opset 20)

The model passes on the ONNX reference evaluator (onnx.reference) before onnx-simplifier (onnxsim) and fails after it. Found with onnx 1.23.2, onnxruntime 1.32.0, onnxsim 0.8.1.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 9,
   opset_import: ["" : 20]
>
repro (float[1,1,2,6] x0) => (int64 out0) 
{
   t4 = AveragePool <ceil_mode: int = 0, count_include_pad: int = 1, kernel_shape: ints = [3, 4], pads: ints = [1, 0, 1, 0], strides: ints = [1, 1]> (x0)
   out0 = Size (t4)
}
''')
INPUTS = {'x0': np.array([[[[0.14516212046146393, -0.3542156517505646, 0.8793172240257263, -0.5754975080490112, -0.08599665015935898, 1.3499302864074707], [-1.3762813806533813, -0.1882963329553604, -0.8239935040473938, 1.839766025543213, 0.5584635138511658, -1.854698896408081]]]], dtype=np.float32)}
EXPECTED = [np.array(6, dtype=np.int64)]  # the exact result, rounded to the output type

def transform_model(model_bytes, opset):
    import onnx
    import onnxsim
    simplified, _ = onnxsim.simplify(onnx.load_model_from_string(model_bytes), check_n=0)
    return simplified.SerializeToString()


def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 20)
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
