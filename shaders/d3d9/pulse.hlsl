// D3D9 pulse: brightness breathing with the clock (p0.w, seconds) and a flicker on odd frames (p0.z).
// $MinimumShaderProfile: ps_2_0

sampler s0 : register(s0);
float4 p0 : register(c0);

#define counter (p0[2])
#define clock (p0[3])

float4 main(float2 tex : TEXCOORD0) : COLOR
{
    float4 c = tex2D(s0, tex);
    float pulse = 0.75 + 0.25 * sin(clock * 3.0);
    float flicker = fmod(counter, 2.0) * 0.1;
    return float4(saturate(c.rgb * pulse + flicker), c.a);
}
