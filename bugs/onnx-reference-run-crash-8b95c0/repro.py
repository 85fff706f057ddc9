"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: Unsqueeze -> Squeeze -> SplitToSequence -> SequenceLength on bool (opset 22)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 22]
>
repro (bool[4,3,3] x0) => (int64 out0) 
   <int64[3] t1 =  {0,4,-1}, int64 t2 =  {3}, int64[2] t3 =  {-1,5}>
{
   t4 = Unsqueeze (x0, t1)
   t5 = Squeeze (t4, t3)
   t6 = SplitToSequence <axis: int = -2> (t5, t2)
   out0 = SequenceLength (t6)
}
''')
INPUTS = {'x0': np.array([[[False, True, False], [False, True, False], [True, True, False]], [[True, True, False], [False, False, True], [False, False, True]], [[True, True, True], [False, True, True], [False, False, True]], [[False, False, False], [False, True, False], [True, True, False]]], dtype=np.bool)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if "ValueError: duplicate value in 'axis'" in f'{type(e).__name__}: {e}' else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
