// D3D9 levels: TV range (16-235) expanded to PC range (0-255), blended with the original by Amount.
// $MinimumShaderProfile: ps_2_0

sampler s0 : register(s0);

#define Black (16.0 / 255.0)
#define White (235.0 / 255.0)
#define Amount 0.8

float4 main(float2 tex : TEXCOORD0) : COLOR
{
    float4 c = tex2D(s0, tex);
    float3 expanded = saturate((c.rgb - Black) / (White - Black));
    return float4(lerp(c.rgb, expanded, Amount), c.a);
}
