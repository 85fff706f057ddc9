"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: BatchNormalization <epsilon = 0.1> on float32 (opset 7)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU), tract run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 4,
   opset_import: ["" : 7]
>
repro (float[1,5] x0) => (float[1,5] out0) 
   <float[5] t1 =  {1,1,1,1,1}, float[5] t2 =  {1,1,1,1,1}, float[5] t3 =  {1,1,1,1,1}, float[5] t4 =  {0,0,0,0,0}>
{
   out0 = BatchNormalization <epsilon: float = 0.1, momentum: float = 0.9, spatial: int = 1> (x0, t3, t4, t1, t2)
}
''')
INPUTS = {'x0': np.array([[-1.553576111793518, 0.44426581263542175, -0.44937199354171753, -0.48517337441444397, 0.15594540536403656]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ("TypeError: One of the results returned by method '_run' of class", 'is a tuple, this is no ONNX corresponding type (Map, List, Tensor, SparseTensor). All returned types')) else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
