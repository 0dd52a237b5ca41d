// D3D9 mirror: the frame flipped left to right, read with tex2Dlod at mip level 0.
// $MinimumShaderProfile: ps_3_0

sampler s0 : register(s0);

float4 main(float2 tex : TEXCOORD0) : COLOR
{
    return tex2Dlod(s0, float4(1.0 - tex.x, tex.y, 0, 0));
}
