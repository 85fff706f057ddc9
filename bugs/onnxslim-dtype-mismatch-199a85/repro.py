"""onnxslim's output gives a wrong output type on ONNX Runtime (multi-threaded): Dropout -> Reshape -> Tile on a 0-d float16 (opset 15)

The model passes on ONNX Runtime (multi-threaded) before onnxslim and fails after it: every runtime that ran the model fails on it (ONNX Runtime (multi-threaded), the ONNX reference evaluator (onnx.reference)). Found with onnx 1.23.2, onnxruntime 1.32.0, onnxslim 0.1.98.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 15]
>
repro (float16 x1) => (bool[1,1] out0) 
   <int64[2] t1 =  {1,1}, int64[2] t2 =  {1,1}>
{
   t3, t4 = Dropout (x1)
   t5 = Reshape (t4, t1)
   out0 = Tile (t5, t2)
}
''')
INPUTS = {'x1': np.array(1.8779296875, dtype=np.float16)}
EXPECTED = [np.array([[True]], dtype=np.bool)]  # the exact result, rounded to the output type

def transform_model(model_bytes, opset):
    import onnx
    import onnxslim
    return onnxslim.slim(onnx.load_model_from_string(model_bytes)).SerializeToString()


def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = 2
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 15)
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
