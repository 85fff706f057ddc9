"""OpenVINO (CPU) fails to load a valid model: Unsqueeze -> Concat -> DFT on float32 (opset 28)

ONNX Runtime, ONNX Runtime with graph optimizations disabled run the same model correctly. Found with onnx 1.23.2, openvino 2026.4.1.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 14,
   opset_import: ["" : 28]
>
repro (float[4] x0, float[4] x7) => (float[4,2] out0) 
   <int64[1] t1 =  {-1}, int64[1] t2 =  {-1}, int64 t3 =  {0}>
{
   t4 = Unsqueeze (x7, t1)
   t5 = Unsqueeze (x0, t2)
   t6 = Concat <axis: int = -1> (t4, t5)
   out0 = DFT <inverse: int = 0, onesided: int = 0> (t6, "", t3)
}
''')
INPUTS = {'x0': np.array([0.7760694622993469, -0.7692629098892212, -1.1908496618270874, 1.835567831993103], dtype=np.float32), 'x7': np.array([-0.35073426365852356, -0.40105319023132324, 1.600771427154541, 0.11696463078260422], dtype=np.float32)}

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
