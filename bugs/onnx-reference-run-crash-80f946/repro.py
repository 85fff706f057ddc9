"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: ConvInteger <auto_pad = "SAME_UPPER"> on uint8 (opset 20)

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
repro (uint8[1,5,1] x8) => (int32[1,1,1] out0) 
   <int8[1,5,1] t1 =  {1,1,1,1,1}, uint8 t2 =  {62}, int8[1] t3 =  {24}>
{
   out0 = ConvInteger <auto_pad: string = "SAME_UPPER", kernel_shape: ints = [1], strides: ints = [2]> (x8, t1, t2, t3)
}
''')
INPUTS = {'x8': np.array([[[6], [11], [11], [2], [1]]], dtype=np.uint8)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('ValueError: non-broadcastable output operand with shape', "doesn't match the broadcast shape")) else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
