"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: Unsqueeze -> MaxPool -> Squeeze on float16 (opset 27)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU), tract run the same model correctly. Found with onnx 1.23.2.
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
repro (float16[1,1,4] x3) => (float16[1,1,1] out0) 
   <int64[1] t1 =  {0}, int64[1] t2 =  {0}>
{
   t3 = Unsqueeze (x3, t1)
   t4 = MaxPool <ceil_mode: int = 0, dilations: ints = [1, 1], kernel_shape: ints = [3, 4], pads: ints = [1, 0, 1, 0], strides: ints = [1, 1]> (t3)
   out0 = Squeeze (t4, t2)
}
''')
INPUTS = {'x3': np.array([[[-1.6689453125, 0.397216796875, -0.396240234375, -0.87841796875]]], dtype=np.float16)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('RuntimeError: output shape cannot be null or negative, out_shape=', "auto_pad='VALID', input_spatial_shape=array", 'kernel_spatial_shape=')) else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
