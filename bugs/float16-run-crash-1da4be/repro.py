"""onnxconverter-common's float16 conversion's output fails to run on the ONNX reference evaluator (onnx.reference): Shape -> AffineGrid -> ReduceSum -> Div on float32 (opset 20)

The model passes on the ONNX reference evaluator (onnx.reference) before onnxconverter-common's float16 conversion and fails after it: every runtime that ran the model fails on it (the ONNX reference evaluator (onnx.reference), ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU)). Found with onnx 1.23.2, onnxconverter-common 1.16.0.
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
repro (float[1,1,2,1] x11, float[1,2,3] x12) => (float[1,2] out0) 
   <int64[2] t1 =  {1,2}, float t2 =  {1}>
{
   t3 = Shape (x11)
   t4 = AffineGrid <align_corners: int = 0> (x12, t3)
   t5 = ReduceSum <keepdims: int = 0> (t4, t1)
   out0 = Div (t5, t2)
}
''')
INPUTS = {'x11': np.array([[[[0.4392062723636627], [-0.9423849582672119]]]], dtype=np.float32), 'x12': np.array([[[0.23327018320560455, -0.10615737736225128, 1.8122849464416504], [-0.504658043384552, 1.901708960533142, 1.4577025175094604]]], dtype=np.float32)}

def transform_model(model_bytes, opset):
    import onnx
    from onnxconverter_common import float16
    model = onnx.load_model_from_string(model_bytes)
    return float16.convert_float_to_float16(model, keep_io_types=True).SerializeToString()


def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 20)
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('RuntimeTypeError: Input type mismatch: float', "operator ''Div'', shapes")) else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
