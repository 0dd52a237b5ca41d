// D3D9 threshold: white where Rec.601 luma is above Threshold, black elsewhere, with if/else; alpha kept.
// $MinimumShaderProfile: ps_2_0

sampler s0 : register(s0);

#define Threshold 0.45

float4 main(float2 tex : TEXCOORD0) : COLOR
{
    float4 c = tex2D(s0, tex);
    float luma = dot(c.rgb, float3(0.299, 0.587, 0.114));
    if (luma > Threshold)
        return float4(1, 1, 1, c.a);
    else
        return float4(0, 0, 0, c.a);
}
