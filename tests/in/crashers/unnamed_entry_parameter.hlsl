// Segfaults glslang 12: an entry-point parameter with a type and a semantic but no name (a mutant of
// shaders/red_tint.hlsl, found by tests/python/mutate.py, minimised). Crashes with or without the prelude.
// stage: pixel
float4 main(float2: TEXCOORD) : SV_Target { return float4(1, 0, 0, 1); }
