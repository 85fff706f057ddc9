"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: Unsqueeze -> MaxPool <auto_pad = "NOTSET"> on int8 (opset 22)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, OpenVINO (CPU), tract run the same model correctly. Found with onnx 1.23.2.
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
repro (int8[1,1,1] x4) => (int64[1,1,1,1] t9) 
   <int64[1] t1 =  {0}>
{
   t2 = Unsqueeze (x4, t1)
   t3, t9 = MaxPool <storage_order: int = 0, dilations: ints = [1, 1], ceil_mode: int = 0, auto_pad: string = "NOTSET", strides: ints = [1, 1], kernel_shape: ints = [1, 1]> (t2)
}
''')
INPUTS = {'x4': np.array([[[-7]]], dtype=np.int8)}

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
