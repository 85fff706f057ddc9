"""onnxconverter-common's float16 conversion's output fails to run on ONNX Runtime with basic graph optimizations: Shape -> AffineGrid on float32 (opset 20)

The model passes on ONNX Runtime with basic graph optimizations before onnxconverter-common's float16 conversion and fails after it: every runtime that enforces the spec refuses the model (ONNX Runtime with basic graph optimizations, OpenVINO (CPU)); only the lenient the ONNX reference evaluator (onnx.reference) runs it. Found with onnx 1.23.2, onnxconverter-common 1.16.0, onnxruntime 1.32.0.
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
repro (float[1,1,1,1] x4) => (float[1,1,1,2] out0) 
   <float[1,2,3] t1 =  {1,1,1,1,1,1}>
{
   t2 = Shape (x4)
   out0 = AffineGrid <align_corners: int = 0> (t1, t2)
}
''')
INPUTS = {'x4': np.array([[[[-1.1569973230361938]]]], dtype=np.float32)}

def transform_model(model_bytes, opset):
    import onnx
    from onnxconverter_common import float16
    model = onnx.load_model_from_string(model_bytes)
    return float16.convert_float_to_float16(model, keep_io_types=True).SerializeToString()


def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 20)
    try:
        actual = run_model(model, INPUTS)
    except Exception as e:
        print('ONNX Runtime with basic graph optimizations raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ("FAIL : Non-zero status code returned while running If node. Name:'' Status Message: Non-zero status code returned while running Split node. Name:'' Status Message: /onnxruntime_src/onnxruntime/core/providers/common.h", '_t onnxruntime::HandleNegativeAxis(int', '_t) IsAxisInRange(axis, tensor_rank) was false. axis')) else 2
    print('ONNX Runtime with basic graph optimizations runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
