"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: GlobalMaxPool -> IsInf -> Cast -> ReduceSum -> Shape -> Reshape on float32 (opset 17)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU), tract run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 17, "ai.onnx.ml" : 2]
>
repro (float[1,2,1] x1) => (float[unk__1,unk__2] t21) 
   <int64[1] t1 =  {2}>
{
   t2 = GlobalMaxPool (x1)
   t3 = IsInf (t2)
   t4 = Cast <to: int = 1> (t3)
   t5 = ReduceSum <keepdims: int = 0, noop_with_empty_axes: int = 1> (x1, t1)
   t6 = Shape (t5)
   t7 = Cast <to: int = 6> (t6)
   t8 = Cast <to: int = 7> (t7)
   t21 = Reshape (t4, t8)
}
''')
INPUTS = {'x1': np.array([[[-0.01184783224016428], [0.8630033135414124]]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if 'ValueError: cannot reshape array of size' in f'{type(e).__name__}: {e}' else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
