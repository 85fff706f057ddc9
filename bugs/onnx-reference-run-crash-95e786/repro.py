"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: ReduceSumSquare <keepdims = 0> -> Sub -> Mul on int32 (opset 14)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU), tract run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 7,
   opset_import: ["" : 14]
>
repro (int32[1] x0) => (int32 out0) 
   <int32 t1 =  {1}, int32 t2 =  {-7}>
{
   t3 = ReduceSumSquare <axes: ints = [0], keepdims: int = 0> (x0)
   t4 = Sub (t1, t2)
   out0 = Mul (t4, t3)
}
''')
INPUTS = {'x0': np.array([-7], dtype=np.int32)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('RuntimeTypeError: Input type mismatch: int', "operator ''Mul'', shapes")) else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
