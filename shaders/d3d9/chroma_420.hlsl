// D3D9 chroma: full-resolution luma with chroma averaged over each 2x2 block (4:2:0 as a decoder upsamples
// it by nearest block), Rec.601 YCbCr; a loop over the block's taps.
// $MinimumShaderProfile: ps_3_0

sampler s0 : register(s0);
float4 p0 : register(c0);
float4 p1 : register(c1);

float3 ycbcr(float3 c)
{
    return mul(float3x3(0.299, 0.587, 0.114,
                        -0.168736, -0.331264, 0.5,
                        0.5, -0.418688, -0.081312), c);
}

float4 main(float2 tex : TEXCOORD0) : COLOR
{
    float2 block = floor(floor(tex * p0.xy) / 2) * 2;
    float2 base = (block + 0.5) * p1.xy;
    float2 chroma = 0;
    for (int i = 0; i < 4; i++) {
        float2 offset = float2(i % 2, i / 2) * p1.xy;
        chroma += ycbcr(tex2D(s0, base + offset).rgb).yz;
    }
    chroma *= 0.25;
    float4 c = tex2D(s0, tex);
    float y = ycbcr(c.rgb).x;
    float3 rgb = float3(y + 1.402 * chroma.y,
                        y - 0.344136 * chroma.x - 0.714136 * chroma.y,
                        y + 1.772 * chroma.x);
    return float4(saturate(rgb), c.a);
}
