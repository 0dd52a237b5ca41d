// D3D9 scanlines: every second row darkened to 60%, found with frac() of the row (p0.y = frame height).
// $MinimumShaderProfile: ps_2_0

sampler s0 : register(s0);
float4 p0 : register(c0);

#define height (p0[1])

float4 main(float2 tex : TEXCOORD0) : COLOR
{
    float4 c = tex2D(s0, tex);
    float phase = frac(tex.y * height * 0.5);
    return float4(c.rgb * (phase < 0.5 ? 1.0 : 0.6), c.a);
}
