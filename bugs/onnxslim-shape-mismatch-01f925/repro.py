"""onnxslim's output gives a wrong output shape on ONNX Runtime with extended graph optimizations: GRU <linear_before_reset = 1> -> Squeeze -> Transpose (opset 11)

The model onnxslim wrote is invalid: output out1 is declared of rank 4 but has shape [1, 5, 4]. Found with onnx 1.23.2, onnxruntime 1.32.0, onnxslim 0.1.98.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 6,
   opset_import: ["" : 11]
>
repro () => (float[5,1,4] out0, float[1,5,4] out1) 
   <float[1,5,4] t1 =  {1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1}, float[1,5,5] t2 =  {0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}, float[1,12,5] t3 =  {1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1}, float[1,12,4] t4 =  {1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1}>
{
   t5, out1 = GRU <hidden_size: int = 4, linear_before_reset: int = 1> (t2, t3, t4, "", "", t1)
   t6 = Squeeze <axes: ints = [1]> (t5)
   out0 = Transpose <perm: ints = [1, 0, 2]> (t6)
}
''')
INPUTS = {}
EXPECTED = [np.array([[[0.9999860525131226, 0.9999860525131226, 0.9999860525131226, 0.9999860525131226]], [[0.9999860525131226, 0.9999860525131226, 0.9999860525131226, 0.9999860525131226]], [[0.9999860525131226, 0.9999860525131226, 0.9999860525131226, 0.9999860525131226]], [[0.9999860525131226, 0.9999860525131226, 0.9999860525131226, 0.9999860525131226]], [[0.9999860525131226, 0.9999860525131226, 0.9999860525131226, 0.9999860525131226]]], dtype=np.float32), np.array([[[0.9999860525131226, 0.9999860525131226, 0.9999860525131226, 0.9999860525131226], [0.9999860525131226, 0.9999860525131226, 0.9999860525131226, 0.9999860525131226], [0.9999860525131226, 0.9999860525131226, 0.9999860525131226, 0.9999860525131226], [0.9999860525131226, 0.9999860525131226, 0.9999860525131226, 0.9999860525131226], [0.9999860525131226, 0.9999860525131226, 0.9999860525131226, 0.9999860525131226]]], dtype=np.float32)]  # the exact result, rounded to the output type

def transform_model(model_bytes, opset):
    import onnx
    import onnxslim
    return onnxslim.slim(onnx.load_model_from_string(model_bytes)).SerializeToString()


def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 11)
    actual = run_model(model, INPUTS)
    if len(actual) != len(EXPECTED):  # another failure than the values filed
        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED):
            np.testing.assert_allclose(a, e, rtol=0.001, atol=0.001 * np.nan_to_num(np.abs(e.astype(float)), nan=0, posinf=0).mean(), strict=True)
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
