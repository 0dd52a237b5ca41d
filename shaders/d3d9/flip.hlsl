// D3D9 flip: the frame upside down, read with tex2Dbias (no bias).
// $MinimumShaderProfile: ps_3_0

sampler s0 : register(s0);

float4 main(float2 tex : TEXCOORD0) : COLOR
{
    return tex2Dbias(s0, float4(tex.x, 1.0 - tex.y, 0, 0));
}
