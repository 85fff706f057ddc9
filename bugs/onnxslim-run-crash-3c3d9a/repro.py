"""onnxslim's output fails to run on ONNX Runtime: Where on bool/float32 (opset 18) with dynamic dims

The model passes on ONNX Runtime before onnxslim and fails after it. Found with onnx 1.23.2, onnxruntime 1.32.0, onnxslim 0.1.98.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 18]
>
repro (float[3,1,1,1] x0, bool[d0,1,1,1] x3) => (float[?,?,?,?] out0) 
   <float t1 =  {3}>
{
   out0 = Where (x3, t1, x0)
}
''')
RUNS = [  # (size, inputs, expected outputs: the exact result, rounded to the output type)
    ('x3[0]=3', {'x0': np.array([[[[-0.8101210594177246]]], [[[-0.9225265979766846]]], [[[0.437722772359848]]]], dtype=np.float32), 'x3': np.array([[[[True]]], [[[True]]], [[[True]]]], dtype=np.bool)}, None),
    ('x3[0]=1', {'x0': np.array([[[[-0.9799365401268005]]], [[[-0.21568801999092102]]], [[[0.19368402659893036]]]], dtype=np.float32), 'x3': np.array([[[[True]]]], dtype=np.bool)}, None),
]
INPUTS = RUNS[0][1]

def transform_model(model_bytes, opset):
    import onnx
    import onnxslim
    return onnxslim.slim(onnx.load_model_from_string(model_bytes)).SerializeToString()


def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 18)
    failing, other = [], False
    for size, inputs, expected in RUNS:
        at = f' at size {size}' if size else ''
        try:
            actual = run_model(model, inputs)
        except Exception as e:
            print(f'ONNX Runtime raises{at}:', type(e).__name__, str(e)[:2000])
            failing += [size] if all(s in f'{type(e).__name__}: {e}' for s in ('InvalidArgument', 'INVALID_ARGUMENT : Got invalid dimensions for input: x', 'for the following indices')) else []
            continue
        print(f'ONNX Runtime runs the model{at}')
    if failing:
        print(f"fails at size {'; '.join(failing)} (of {len(RUNS)} sizes)")
    return 1 if failing else 2 if other else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
