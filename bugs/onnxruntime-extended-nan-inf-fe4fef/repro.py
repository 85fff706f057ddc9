"""ONNX Runtime with extended graph optimizations gives NaN/Inf where the result is finite: Unsqueeze -> Shape -> Gather -> Concat -> Transpose -> Expand -> ScatterND -> MatMul on a 0-d float32/int64 (opset 23)

ONNX Runtime with basic graph optimizations, ONNX Runtime with graph optimizations disabled (same kernels, other settings) run the same model correctly. Found with onnx 1.23.2, onnxruntime 1.32.0.
The expected values are what the ONNX reference evaluator (onnx.reference) computes on this model (it gave the exact result on the larger model this one was reduced from).
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 23]
>
repro (float[3,2] x0, int64 x1) => (float[3] t22) 
   <float[2] t1 =  {1,1}>
{
   t2 = Constant <value: tensor = int64[1] {0}> ()
   t3 = Unsqueeze (x1, t2)
   t4 = Shape <start: int = 0> (x0)
   t5 = Constant <value_ints: ints = [0]> ()
   t6 = Gather <axis: int = 0> (t4, t5)
   t7 = Concat <axis: int = 0> (t3, t6)
   t8 = Constant <value_ints: ints = [-1]> ()
   t9 = Unsqueeze (t3, t8)
   t10 = Transpose <perm: ints = [1, 0]> (x0)
   t11 = Constant <value: tensor = float[1,3] t18 {1.4434923,1.4434923,1.4434923}> ()
   t12 = Expand (t11, t7)
   t13 = ScatterND (t10, t9, t12)
   t14 = Transpose <perm: ints = [1, 0]> (t13)
   t22 = MatMul (t14, t1)
}
''')
INPUTS = {'x0': np.array([[-0.4281448423862457, 0.8488936424255371], [0.3781193196773529, 1.6160751581192017], [-1.420179009437561, 0.8930884003639221]], dtype=np.float32), 'x1': np.array(1, dtype=np.int64)}
EXPECTED = [np.array([1.0153474807739258, 1.8216116428375244, 0.023313283920288086], dtype=np.float32)]  # what the ONNX reference evaluator (onnx.reference) computes

def run_model(model_bytes, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    session = ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def main():
    actual = run_model(MODEL.SerializeToString(), INPUTS)
    if len(actual) != len(EXPECTED):  # another failure than the values filed
        raise RuntimeError(f'{len(actual)} outputs, expected {len(EXPECTED)}')
    try:  # numpy's report says what differs (EXPECTED is its DESIRED)
        for a, e in zip(actual, EXPECTED):
            np.testing.assert_allclose(a, e, rtol=0.001, atol=0.001 * np.nan_to_num(np.abs(e.astype(float)), nan=0, posinf=0).mean(), strict=True)
    except AssertionError as e:
        print(e)
        return 1
    print('outputs as expected: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
