"""The ONNX reference evaluator (onnx.reference) computes wrong values: GridSample <align_corners = 1, mode = "cubic", padding_mode = "border"> on float32 (opset 20)

ONNX Runtime run the same model correctly. Found with onnx 1.23.2.
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
repro (float[2,1,1,2] x4) => (float[2,1,1,4] out0) 
   <float[2,1,4,2] t1 =  {0.87435406,0.7873551,-0.81131107,1.0225075,-0.19390403,-1.062095,1.0395758,0.089729056,0.6324805,-0.47781807,0.24523859,-0.25406778,0.38016996,0.15450558,-0.8453212,-0.78252995}>
{
   out0 = GridSample <align_corners: int = 1, mode: string = "cubic", padding_mode: string = "border"> (x4, t1)
}
''')
INPUTS = {'x4': np.array([[[[-0.7419208288192749, 0.9308348298072815]]], [[[-1.0865609645843506, -1.9718899726867676]]]], dtype=np.float32)}
EXPECTED = [np.array([[[[0.8472751975059509, -0.6130949854850769, -0.08722995221614838, 0.9546872973442078]]], [[[-1.8301992416381836, -1.6505376100540161, -1.7155088186264038, -1.1416809558868408]]]], dtype=np.float32)]  # the exact result, rounded to the output type

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
