"""ONNX Runtime fails to load a valid model: Transpose -> ReduceMax <axes = [], keepdims = 0> on float32 (opset 13)

ONNX Runtime with graph optimizations disabled (same kernels, other settings) run the same model correctly. Found with onnx 1.23.2, onnxruntime 1.32.0.
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
repro (float[1,1,3] x0) => (float out0) {
   t1 = Transpose <perm: ints = [1, 0, 2]> (x0)
   out0 = ReduceMax <axes: ints = [], keepdims: int = 0> (t1)
}
''')
INPUTS = {'x0': np.array([[[0.7290545105934143, -1.242666244506836, -1.2380151748657227]]], dtype=np.float32)}

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
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('FAIL : Exception during initialization: /onnxruntime_src/onnxruntime/core/optimizer/transpose_optimization/ort_optimizer_api_impl.cc', 'virtual void onnxruntime::ApiValueInfo::PermuteDims(const std::vector<long int>&) perm.size() == gsl::narrow_cast<size_t>(shape_proto->dim_size()) was false. Permutation length', 'does not match rank')) else 2
    print('ONNX Runtime runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
