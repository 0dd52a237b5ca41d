// Segfaults glslang 12: an undeclared name as a [numthreads] size (a mutant of shaders/invert_compute.hlsl,
// found by tests/python/mutate.py, minimised). glslang reports the name, then crashes on the missing value.
// stage: compute
Texture2D<float4> input;
[[spv::format_rgba8]] RWTexture2D<float4> output;

[numthreads(p, 8, 1)]
void main(uint3 id : SV_DispatchThreadID) {
    output[id.xy] = input[id.xy];
}
