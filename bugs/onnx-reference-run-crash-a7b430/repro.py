"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: GridSample <align_corners = 1, mode = "cubic", padding_mode = "reflection"> on float32 (opset 20)

ONNX Runtime run the same model correctly. Found with onnx 1.23.2.
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
repro (float[2,1,1,1] x0, float[2,1,1,2] x2) => (float[2,1,1,1] out0) {
   out0 = GridSample <align_corners: int = 1, mode: string = "cubic", padding_mode: string = "reflection"> (x0, x2)
}
''')
INPUTS = {'x0': np.array([[[[1.0369187593460083]]], [[[0.8750942945480347]]]], dtype=np.float32), 'x2': np.array([[[[-0.40693193674087524, 0.19681333005428314]]], [[[0.30854856967926025, -0.9217458367347717]]]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if 'OverflowError: cannot convert float infinity to integer' in f'{type(e).__name__}: {e}' else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
