// Segfaults glslang 12: a colon where an entry-point parameter's name goes, `float2:uv : TEXCOORD` (a mutant
// of shaders/sharpen.hlsl, found by tests/python/mutate.py, minimised). Crashes with or without the prelude.
// stage: pixel
cbuffer Params {
    float amount;
};

float4 main(float2:uv : TEXCOORD) : SV_Target {
    return float4(amount, 0, 0, 1);
}
