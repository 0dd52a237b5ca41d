// Segfaults glslang 12 (found by tests/python/test_fuzz.py's mutator): an identifier glued to `struct`
// inside [numthreads]. It passes every cheap check, so only the worker process stands between it and the kernel.
// stage: compute
[numthreads(8, struct8, 1)] void main(uint3 id : SV_DispatchThreadID) { }
