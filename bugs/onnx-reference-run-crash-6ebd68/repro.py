"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: MaxUnpool on float32 (opset 23)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 11,
   opset_import: ["" : 23]
>
repro (float[2,3,2,1] x13) => (float[2,3,7,4] out0) 
   <int64[2,3,2,1] t1 =  {4,12,32,40,60,68,88,96,116,124,144,152}, int64[4] t2 =  {2,3,7,4}>
{
   out0 = MaxUnpool <kernel_shape: ints = [2, 2], strides: ints = [3, 3]> (x13, t1, t2)
}
''')
INPUTS = {'x13': np.array([[[[1.749796986579895], [-1.0857712030410767]], [[0.944576621055603], [-1.7096142768859863]], [[-1.601926565170288], [1.4890422821044922]]], [[[-1.7024693489074707], [-0.29638782143592834]], [[0.6360329389572144], [-0.0005651481333188713]], [[0.47582510113716125], [1.4216830730438232]]]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('IndexError: index', 'is out of bounds for axis')) else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
