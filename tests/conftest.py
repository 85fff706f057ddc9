import os

# One thread per test process: the machine has two cores and campaign tests spawn workers.
os.environ.setdefault("OMP_NUM_THREADS", "1")
