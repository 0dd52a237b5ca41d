// Segfaults glslang 12: a type keyword glued to a [numthreads] size, `1float` (a mutant of
// shaders/threshold_compute.hlsl, found by tests/python/mutate.py, minimised).
// stage: compute
Texture2D<float4> input;
[[spv::format_rgba8]] RWTexture2D<float4> output;

[numthreads(8, 8, 1float)]
void main(uint3 id : SV_DispatchThreadID) {
    output[id.xy] = input[id.xy];
}
