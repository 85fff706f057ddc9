"""OpenVINO (CPU) fails to load a valid model: ScatterND on float16 (opset 14)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled, tract run the same model correctly. Found with onnx 1.23.2, openvino 2026.4.1.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

# ONNX's text format writes 16-bit float constants as their raw bits; their values: t2 = 
MODEL = onnx.parser.parse_model('''
<
   ir_version: 7,
   opset_import: ["" : 14]
>
repro (float16[1,1] x1) => (float16[1,1] out0) 
   <int64[0,2] t1 =  {}, float16[0] t2 =  {}>
{
   out0 = ScatterND (x1, t1, t2)
}
''')
INPUTS = {'x1': np.array([[0.1580810546875]], dtype=np.float16)}

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
