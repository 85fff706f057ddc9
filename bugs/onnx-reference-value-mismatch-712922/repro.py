"""The ONNX reference evaluator (onnx.reference) computes wrong values: ConvTranspose <group = 5, auto_pad = "NOTSET"> on float32 (opset 18)

ONNX Runtime, ONNX Runtime with graph optimizations disabled run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 18]
>
repro (float[1,5,1,1] x8) => (float[1,5,1,1] out0) 
   <float[5,1,3,3] t1 =  {1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1}, float[5] t2 =  {-0.8,-0.6,-0.8,1.9,-0.7}>
{
   out0 = ConvTranspose <group: int = 5, auto_pad: string = "NOTSET", strides: ints = [1, 1], pads: ints = [1, 1, 1, 1], output_padding: ints = [0, 0], dilations: ints = [1, 1], kernel_shape: ints = [3, 3]> (x8, t1, t2)
}
''')
INPUTS = {'x8': np.array([[[[0.7290545105934143]], [[-1.242666244506836]], [[-1.2380151748657227]], [[1.3402398824691772]], [[1.621535301208496]]]], dtype=np.float32)}
EXPECTED = [np.array([[[[-0.07094550132751465]], [[-1.8426662683486938]], [[-2.038015127182007]], [[3.2402398586273193]], [[0.921535313129425]]]], dtype=np.float32)]  # the exact result, rounded to the output type

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
            np.testing.assert_allclose(a, e, rtol=0.001, atol=0.001 * np.abs(e.astype(float)).mean(), strict=True)
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
