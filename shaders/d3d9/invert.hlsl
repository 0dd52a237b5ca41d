// D3D9 invert: negative image, alpha kept (shader-pack style: sampler in s0, COLOR output).
// $MinimumShaderProfile: ps_2_0

sampler s0 : register(s0);

float4 main(float2 tex : TEXCOORD0) : COLOR
{
    float4 c = tex2D(s0, tex);
    return float4(1.0 - c.rgb, c.a);
}
