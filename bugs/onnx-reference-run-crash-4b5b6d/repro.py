"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: BatchNormalization <momentum = 2.2> -> MaxPool on float32 (opset 13)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 7,
   opset_import: ["" : 13]
>
repro (float[1,2,2] x1) => (int64[1,2,2] t36) 
   <float[2] t1 =  {2.3459396,1.7681315}, float[2] t2 =  {-1.3815016,-4.268403}, float[2] t3 =  {1,1}>
{
   t4, t5, t6, t7, t8 = BatchNormalization <epsilon: float = 1e-05, momentum: float = 2.2> (x1, t3, t3, t1, t2)
   t9, t36 = MaxPool <dilations: ints = [1], kernel_shape: ints = [1], strides: ints = [1]> (t4)
}
''')
INPUTS = {'x1': np.array([[[-0.5225611329078674, 0.27932843565940857], [0.5072107315063477, 0.2125702202320099]]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if 'ValueError: zero-size array to reduction operation maximum which has no identity' in f'{type(e).__name__}: {e}' else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
