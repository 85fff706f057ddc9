"""The ONNX reference evaluator (onnx.reference) computes wrong values: MaxPool's Indices output when N·C > 1 (opset 17)

ONNX Runtime, ONNX Runtime with graph optimizations disabled run the same model correctly. Found with onnx 1.23.2.
The expected values are what ONNX Runtime computes on this model (it gave the exact result on the larger model this one was reduced from).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 17]
>
repro (float[2,1,3,2] x0) => (int64[2,1,3,2] t4) {
   t1, t4 = MaxPool <dilations: ints = [1, 1], kernel_shape: ints = [1, 1], strides: ints = [1, 1]> (x0)
}
''')
INPUTS = {'x0': np.array([[[[0.7290545105934143, -1.242666244506836], [-1.2380151748657227, 1.3402398824691772], [1.621535301208496, 0.3344966769218445]]], [[[0.5285625457763672, -1.115504264831543], [1.7249692678451538, -1.5787147283554077], [0.14870072901248932, 1.0940510034561157]]]], dtype=np.float32)}
EXPECTED = [np.array([[[[0, 1], [2, 3], [4, 5]]], [[[6, 7], [8, 9], [10, 11]]]], dtype=np.int64)]  # what ONNX Runtime computes

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
