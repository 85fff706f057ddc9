"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: Resize <coordinate_transformation_mode = "half_pixel_symmetric", mode = "linear"> on float32 (opset 22)

tract run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 22]
>
repro (float[2,1,5,1] x0) => (float[3,1,15,1] out0) 
   <float[2] t1 =  {1.5,3}>
{
   out0 = Resize <axes: ints = [-4, 2], coordinate_transformation_mode: string = "half_pixel_symmetric", mode: string = "linear"> (x0, "", t1)
}
''')
INPUTS = {'x0': np.array([[[[1.7471270561218262], [-1.1862117052078247], [-0.9757966995239258], [-1.2320911884307861], [-1.3032221794128418]]], [[[1.7740182876586914], [-1.5690498352050781], [1.2907835245132446], [0.27387726306915283], [-0.20045244693756104]]]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if "ValueError: axes don't match array" in f'{type(e).__name__}: {e}' else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
