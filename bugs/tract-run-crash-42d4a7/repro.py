"""tract fails to run a valid model: Slice on float32 (opset 27) with dynamic dims

The ONNX reference evaluator (onnx.reference), ONNX Runtime, OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2, tract 0.23.9.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 13,
   opset_import: ["" : 27]
>
repro (float[d0,3] x0) => (float[unk__0,2] t7) 
   <int64[2] t1 =  {-1,0}, int64[2] t2 =  {8,-1}>
{
   t7 = Slice (x0, t1, t2)
}
''')
RUNS = [  # (size, inputs, expected outputs: the exact result, rounded to the output type)
    ('x0[0]=2', {'x0': np.array([[0.7534149289131165, -1.9390125274658203, 1.1218810081481934], [-0.39973968267440796, -1.6218116283416748, 1.16147780418396]], dtype=np.float32)}, None),
    ('x0[0]=7', {'x0': np.array([[1.0950064659118652, -1.2489707469940186, -1.870479702949524], [1.9842015504837036, 0.11480620503425598, -0.4952453672885895], [-1.6270768642425537, -1.9263297319412231, -1.9732959270477295], [-1.4294854402542114, 1.9254275560379028, 0.0749538317322731], [-0.6296197772026062, 1.008980393409729, 0.5975150465965271], [1.3612650632858276, 1.7990243434906006, 1.0248156785964966], [-1.0921865701675415, -0.51839679479599, 0.8403260111808777]], dtype=np.float32)}, None),
]
INPUTS = RUNS[0][1]

def run_model(model_bytes, feeds):
    import os, tempfile
    import tract
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(model_bytes)
        runnable = tract.onnx().load(os.path.join(d, "model.onnx")).into_model().into_runnable()
    return [t.to_numpy() for t in runnable.run(list(feeds.values()))]


def main():
    failing, other = [], False
    for size, inputs, expected in RUNS:
        at = f' at size {size}' if size else ''
        try:
            actual = run_model(MODEL.SerializeToString(), inputs)
        except Exception as e:
            print(f'tract raises{at}:', type(e).__name__, str(e)[:2000])
            failing += [size] if all(s in f'{type(e).__name__}: {e}' for s in ('Invalid range', '" Slice')) else []
            continue
        print(f'tract runs the model{at}')
    if failing:
        print(f"fails at size {'; '.join(failing)} (of {len(RUNS)} sizes)")
    return 1 if failing else 2 if other else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
