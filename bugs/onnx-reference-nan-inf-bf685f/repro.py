"""The ONNX reference evaluator (onnx.reference) gives NaN/Inf where the result is finite: MatMul -> SoftmaxCrossEntropyLoss <reduction = "none"> on float16 (opset 26)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 13,
   opset_import: ["" : 26]
>
repro (float16[6,6] x0, float16[2,2,6,1] x1) => (float16[2,2,6,1] out0) 
   <int32[2,6,1] t1 =  {1,1,1,1,1,1,1,1,1,1,1,1}>
{
   t2 = MatMul (x0, x1)
   t3, out0 = SoftmaxCrossEntropyLoss <reduction: string = "none"> (t2, t1)
}
''')
INPUTS = {'x0': np.array([[-0.2685546875, -1.21875, 1.3642578125, -0.291015625, 1.1396484375, 0.802734375], [-0.7041015625, 0.6728515625, -1.4765625, -0.40576171875, 1.5703125, -0.1444091796875], [0.1611328125, -0.34228515625, -1.53515625, 0.84228515625, 0.654296875, 1.423828125], [1.0546875, 1.8740234375, 1.7236328125, -1.4296875, 1.1923828125, -0.64453125], [-1.5283203125, -1.3779296875, -0.7568359375, -0.328857421875, -1.005859375, -1.14453125], [-1.955078125, 0.49169921875, -1.7880859375, -0.3125, 1.4560546875, 1.171875]], dtype=np.float16), 'x1': np.array([[[[-0.072509765625], [-0.00299072265625], [-0.75439453125], [-0.284912109375], [1.443359375], [-1.8857421875]], [[-1.4384765625], [-1.4580078125], [0.99609375], [1.3837890625], [0.71142578125], [1.486328125]]], [[[0.280517578125], [0.92041015625], [1.4306640625], [-1.97265625], [1.853515625], [-1.84375]], [[-0.08502197265625], [-1.9853515625], [-1.4345703125], [0.248291015625], [-1.701171875], [-1.2919921875]]]], dtype=np.float16)}
EXPECTED = [np.array([[[[-5.91796875], [-0.007305145263671875], [-3.353515625], [-0.0013837814331054688], [-0.33984375], [-1.455078125]], [[-0.00269317626953125], [-4.921875], [-0.035552978515625], [-6.58203125], [-1.244140625], [-0.265625]]], [[[-0.0107879638671875], [-0.0176239013671875], [-5.66796875], [-0.0], [-8.9453125], [-0.36669921875]], [[-4.53515625], [-4.046875], [-0.003459930419921875], [-18.53125], [-0.0001304149627685547], [-1.1806640625]]]], dtype=np.float16)]  # the exact result, rounded to the output type

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    actual = run_model(MODEL.SerializeToString(), INPUTS)
    if len(actual) != len(EXPECTED):  # another failure than the values filed
        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED):
            np.testing.assert_allclose(a, e, rtol=0.02, atol=0.02 * np.nan_to_num(np.abs(e.astype(float)), nan=0, posinf=0).mean(), strict=True)
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
