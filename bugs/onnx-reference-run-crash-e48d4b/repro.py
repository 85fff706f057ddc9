"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: DeformConv on float16 (opset 26)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

# ONNX's text format writes 16-bit float constants as their raw bits; their values: t1 = 1, 1, 1
MODEL = onnx.parser.parse_model('''
<
   ir_version: 13,
   opset_import: ["" : 26]
>
repro (float16[2,1,1,6] x7) => (float16[2,1,2,2] out0) 
   <float16[1,1,1,3] t1 =  {15360,15360,15360}, float16[2,3,2,2] t2 =  {15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360,15360}, float16[2,6,2,2] t3 =  {48128,14336,46080,47104,0,48896,14848,16384,0,48128,49152,49152,0,0,48128,48640,48384,48384,49152,0,48640,16384,15872,16384,15360,14848,48128,0,13312,15616,16384,48384,48896,48640,15360,47104,47104,15872,15872,46080,0,48896,49152,0,0,16384,46080,48384}>
{
   out0 = DeformConv <dilations: ints = [1, 1], group: int = 1, offset_group: int = 1, pads: ints = [0, 0, 1, 0], strides: ints = [1, 2]> (x7, t1, t3, "", t2)
}
''')
INPUTS = {'x7': np.array([[[[-1.052734375, -1.7841796875, -1.4384765625, -1.29296875, -0.1773681640625, 0.671875]]], [[[-1.583984375, -0.283203125, 1.099609375, -0.67431640625, -1.1083984375, 1.791015625]]]], dtype=np.float16)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if 'ValueError: cannot convert float NaN to integer' in f'{type(e).__name__}: {e}' else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
