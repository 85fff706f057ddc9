"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: GridSample <align_corners = 1, mode = "bicubic", padding_mode = "reflection"> on float32 (opset 16)

ONNX Runtime run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 16]
>
repro (float[4,1,1,2] x3, float[4,1,1,1] x10) => (float[4,1,1,1] out0) {
   out0 = GridSample <align_corners: int = 1, mode: string = "bicubic", padding_mode: string = "reflection"> (x10, x3)
}
''')
INPUTS = {'x3': np.array([[[[0.24315327405929565, 0.8213820457458496]]], [[[0.5644164681434631, -0.6983688473701477]]], [[[-0.025682106614112854, -0.029411306604743004]]], [[[0.09250827878713608, 0.0903140977025032]]]], dtype=np.float32), 'x10': np.array([[[[0.18324531614780426]]], [[[-0.7478480339050293]]], [[[1.727023720741272]]], [[[-0.9882546067237854]]]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if 'RuntimeError: GridSample interpolation only supports nearest, linear, and cubic modes' in f'{type(e).__name__}: {e}' else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
