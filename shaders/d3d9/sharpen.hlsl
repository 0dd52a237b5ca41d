// D3D9 sharpen: a 5-tap unsharp mask one texel apart (p1 = 1 / size), strength set by a #define.
// $MinimumShaderProfile: ps_2_0

sampler s0 : register(s0);
float4 p1 : register(c1);

#define Strength 0.75
#define px (p1[0])
#define py (p1[1])

float4 main(float2 tex : TEXCOORD0) : COLOR
{
    float4 c = tex2D(s0, tex);
    float4 blur = (tex2D(s0, tex + float2(px, 0)) + tex2D(s0, tex - float2(px, 0)) +
                   tex2D(s0, tex + float2(0, py)) + tex2D(s0, tex - float2(0, py))) * 0.25;
    return float4(saturate(c.rgb + Strength * (c.rgb - blur.rgb)), c.a);
}
