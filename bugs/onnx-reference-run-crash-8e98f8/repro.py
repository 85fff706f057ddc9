"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: ConvTranspose <group = 2> on float32 (opset 14)

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
repro (float[1,4,4] x1) => (float[1,2,2] out0) 
   <float[4,1,3] t1 =  {1,1,1,1,1,1,1,1,1,1,1,1}>
{
   out0 = ConvTranspose <dilations: ints = [1], group: int = 2, kernel_shape: ints = [3], output_padding: ints = [0], pads: ints = [2, 2], strides: ints = [1]> (x1, t1)
}
''')
INPUTS = {'x1': np.array([[[1.2450116872787476, 1.5300731658935547, 0.8503637313842773, 0.5855849385261536], [0.36774298548698425, -1.540427327156067, 0.42828693985939026, 0.6829884648323059], [1.2285346984863281, -0.8597772121429443, 1.523412823677063, 1.9806630611419678], [1.129370093345642, 1.6808124780654907, -0.6627882719039917, 0.10658708959817886]]], dtype=np.float32)}

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
