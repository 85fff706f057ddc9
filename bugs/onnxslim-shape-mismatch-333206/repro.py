"""onnxslim's output gives a wrong output shape on ONNX Runtime (multi-threaded): Expand -> RNN -> Transpose -> Reshape (opset 12)

The model onnxslim wrote is invalid: output out0 is declared of rank 4 but has shape [2, 1, 1]. Found with onnx 1.23.2, onnxruntime 1.32.0, onnxslim 0.1.98.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 7,
   opset_import: ["" : 12]
>
repro () => (float[2,1,1] out0, float[1,1,2] out1) 
   <float[1,1,10] t1 =  {1,1,1,1,1,1,1,1,1,1}, float[2,2] t2 =  {0.07939683,-1.1754942e-38,0.16469955,0.3954149}, float[2,1,10] t3 =  {1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1}, float[2,1,1] t4 =  {0.08969114,0.3877521}, int64[3] t5 =  {2,1,1}>
{
   t6 = Constant <value: tensor = float[2,1,1] {0,0}> ()
   t7 = Expand (t6, t5)
   t8, out0 = RNN <activations: strings = ["Relu", "Relu"], direction: string = "bidirectional", hidden_size: int = 1> (t1, t3, t4, t2, "", t7)
   t9 = Transpose <perm: ints = [0, 2, 1, 3]> (t8)
   t10 = Constant <value: tensor = int64[3] {0,0,-1}> ()
   t11 = Reshape (t9, t10)
   out1 = Transpose <perm: ints = [1, 0, 2]> (t11)
}
''')
INPUTS = {}
EXPECTED = [np.array([[[10.079397201538086]], [[10.560114860534668]]], dtype=np.float32), np.array([[[10.079397201538086, 10.560114860534668]]], dtype=np.float32)]  # the exact result, rounded to the output type

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
    model = transform_model(model, 12)
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
