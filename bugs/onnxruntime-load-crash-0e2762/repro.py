"""ONNX Runtime fails to load a valid model: Upsample <mode = "nearest"> on float32 (opset 9)

OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, onnxruntime 1.32.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 4,
   opset_import: ["" : 9]
>
repro (float[1,1,2] x9) => (float[1,1,1] out0) {
   t1 = Constant <value: tensor = float[3] {1,1,0.75}> ()
   out0 = Upsample <mode: string = "nearest"> (x9, t1)
}
''')
INPUTS = {'x9': np.array([[[-0.42334017157554626, 0.8560574650764465]]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('ONNX Runtime raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('FAIL : Exception during initialization: /onnxruntime_src/onnxruntime/core/providers/cpu/tensor/upsamplebase.h', 'onnxruntime::UpsampleBase::UpsampleBase(const KernelInfoType&', 'ScalesValidation Scale value should be greater than or equal to')) else 2
    print('ONNX Runtime runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
