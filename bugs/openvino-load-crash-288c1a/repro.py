"""OpenVINO (CPU) fails to load a valid model: SplitToSequence -> ConcatFromSequence -> Reshape -> ReduceMax on float32 (opset 19)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled run the same model correctly. Found with onnx 1.23.2, openvino 2026.4.1.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 9,
   opset_import: ["" : 19]
>
repro (float[1,3] x0) => (float[1,1,1] t16) 
   <int64[4] t1 =  {3,1,1,1}, int64[3] t2 =  {1,1,3}>
{
   t3 = SplitToSequence <axis: int = -2, keepdims: int = 1> (x0)
   t4 = ConcatFromSequence <axis: int = -2> (t3)
   t5 = Reshape (t4, t1)
   t6 = Reshape (t5, t2)
   t16 = ReduceMax <keepdims: int = 1> (t6)
}
''')
INPUTS = {'x0': np.array([[-0.9772380590438843, -0.819891631603241, 1.8286511898040771]], dtype=np.float32)}

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
