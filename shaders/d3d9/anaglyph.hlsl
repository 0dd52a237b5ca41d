// D3D9 stereo: a side-by-side frame (left eye in the left half) to a red/cyan anaglyph, opaque.
// $MinimumShaderProfile: ps_2_0

sampler s0 : register(s0);

float4 main(float2 tex : TEXCOORD0) : COLOR
{
    float4 left = tex2D(s0, float2(tex.x * 0.5, tex.y));
    float4 right = tex2D(s0, float2(tex.x * 0.5 + 0.5, tex.y));
    return float4(left.r, right.g, right.b, 1.0);
}
