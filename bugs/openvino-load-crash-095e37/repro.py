"""OpenVINO (CPU) fails to load a valid model: Cast -> Min on a 0-d int8 (opset 7)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, tract run the same model correctly. Found with onnx 1.23.2, openvino 2026.4.1.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 3,
   opset_import: ["" : 7]
>
repro (int8 x0, int8 c1) => (int8 out0) 
   <int8 c1 =  {1}>
{
   t1 = Cast <to: int = 3> (c1)
   t2 = Cast <to: int = 1> (x0)
   t3 = Cast <to: int = 1> (t1)
   t4 = Min (t2, t3)
   out0 = Cast <to: int = 3> (t4)
}
''')
INPUTS = {'x0': np.array(-5, dtype=np.int8)}

def run_model(model_bytes, feeds):
    import openvino as ov
    core = ov.Core()
    compiled = core.compile_model(core.read_model(model_bytes), "CPU", {'INFERENCE_PRECISION_HINT': 'f32', 'INFERENCE_NUM_THREADS': '1'})
    result = compiled({p.get_any_name(): feeds[p.get_any_name()] for p in compiled.inputs})
    return [result[o] for o in compiled.outputs]


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('OpenVINO (CPU) raises', type(e).__name__, str(e)[:2000])
        return 1 if 'RuntimeError: Exception from src/inference/src/cpp/core.cpp' in f'{type(e).__name__}: {e}' else 2
    print('OpenVINO (CPU) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
