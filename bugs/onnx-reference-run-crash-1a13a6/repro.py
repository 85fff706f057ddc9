"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: Slice -> Reshape -> ArgMax <keepdims = 0> on int8 (opset 11)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU), tract run the same model correctly. Found with onnx 1.23.2.
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
repro (int8[1,1] x1) => (int64 out0) 
   <int64[2] t1 =  {1,-4611686018427387904}, int64[2] t2 =  {-4611686018427387904,-4611686018427387904}, int64[2] t3 =  {0,1}, int64[2] t4 =  {-1,-1}, int64[1] t5 =  {-1}, int64[0] t6 =  {}>
{
   t7 = Slice (x1, t1, t2, t3, t4)
   t8 = Reshape (t7, t5)
   t9 = ArgMax <axis: int = 0, keepdims: int = 0> (t8)
   out0 = Reshape (t9, t6)
}
''')
INPUTS = {'x1': np.array([[6]], dtype=np.int8)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if 'ValueError: attempt to get argmax of an empty sequence' in f'{type(e).__name__}: {e}' else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
