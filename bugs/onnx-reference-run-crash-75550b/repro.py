"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: ConvTranspose <group = 2> on float16 (opset 20)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU), tract run the same model correctly. Found with onnx 1.23.2.
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
repro (float16[1,6,1] x3) => (float16[1,6,1] out0) 
   <float16[6,3,1] t1 =  {15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360}>
{
   out0 = ConvTranspose <dilations: ints = [1], group: int = 2, kernel_shape: ints = [1], pads: ints = [0, 0], strides: ints = [1]> (x3, t1)
}
''')
INPUTS = {'x3': np.array([[[0.3056640625], [-0.71728515625], [-1.3837890625], [-0.35498046875], [0.6181640625], [0.9638671875]]], dtype=np.float16)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if 'ValueError: could not broadcast input array from shape' in f'{type(e).__name__}: {e}' else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
