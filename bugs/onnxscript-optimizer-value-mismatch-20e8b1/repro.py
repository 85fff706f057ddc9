"""The onnxscript optimizer's output computes wrong values on the ONNX reference evaluator (onnx.reference): Clip on a 0-d float16 (opset 14)

The model passes on the ONNX reference evaluator (onnx.reference) before the onnxscript optimizer and fails after it. Found with onnx 1.23.2, onnx-ir 1.1.0, onnxscript 0.7.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

# ONNX's text format writes 16-bit float constants as their raw bits; their values: -0.5; 0.25
MODEL = onnx.parser.parse_model('''
<
   ir_version: 7,
   opset_import: ["" : 14]
>
repro (float16 x0) => (float16 out0) {
   t1 = Constant <value: tensor = float16 {47104}> ()
   t2 = Clip (x0, "", t1)
   t3 = Constant <value: tensor = float16 {13312}> ()
   out0 = Clip (t2, t3, "")
}
''')
INPUTS = {'x0': np.array(-0.783203125, dtype=np.float16)}
EXPECTED = [np.array(0.25, dtype=np.float16)]  # the exact result, rounded to the output type

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
    model = transform_model(model, 14)
    actual = run_model(model, INPUTS)
    if len(actual) != len(EXPECTED):  # another failure than the values filed
        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED):
            np.testing.assert_allclose(a, e, rtol=0.02, atol=0.02 * np.abs(e.astype(float)).mean(), strict=True)
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
