"""The ONNX reference evaluator (onnx.reference) computes wrong values: SplitToSequence <axis = -2> -> SequenceInsert -> ConcatFromSequence on uint8 (opset 27)

OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 13,
   opset_import: ["" : 27]
>
repro (uint8[1,1,1] x2, uint8[1,9,1] x4) => (uint8[1,10,1] out0) 
   <int64[1] t1 =  {9}, int32 t2 =  {1}>
{
   t3 = SplitToSequence <axis: int = -2> (x4, t1)
   t4 = SequenceInsert (t3, x2, t2)
   out0 = ConcatFromSequence <axis: int = -2> (t4)
}
''')
INPUTS = {'x2': np.array([[[15]]], dtype=np.uint8), 'x4': np.array([[[6], [16], [1], [12], [16], [9], [10], [16], [15]]], dtype=np.uint8)}
EXPECTED = [np.array([[[6], [16], [1], [12], [16], [9], [10], [16], [15], [15]]], dtype=np.uint8)]  # the exact result, rounded to the output type

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
