// D3D9 blur: a horizontal box of 2 * Radius + 1 taps one texel apart, summed in a loop (alpha too).
// $MinimumShaderProfile: ps_3_0

sampler s0 : register(s0);
float4 p1 : register(c1);

#define Radius 2

float4 main(float2 tex : TEXCOORD0) : COLOR
{
    float4 sum = 0;
    for (int i = -Radius; i <= Radius; i++)
        sum += tex2D(s0, tex + float2(i * p1.x, 0));
    return sum / (2 * Radius + 1);
}
