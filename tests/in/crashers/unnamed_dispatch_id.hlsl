// Segfaults glslang 12: the compute entry point's thread-id parameter has a semantic but no name,
// `uint3: SV_DispatchThreadID` (a mutant of shaders/threshold_compute.hlsl, found by tests/python/mutate.py,
// minimised).
// stage: compute
Texture2D<float4> input;
[[spv::format_rgba8]] RWTexture2D<float4> output;

[numthreads(8, 8, 1)]
void main(uint3: SV_DispatchThreadID) {
    output[uint2(0, 0)] = input[uint2(0, 0)];
}
