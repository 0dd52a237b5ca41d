// D3D9 channel mixer: rotates the channels (r, g, b) -> (g, b, r) with mul(colour, matrix) (row vector).
// $MinimumShaderProfile: ps_2_0

sampler s0 : register(s0);

static const float3x3 Rotate = {
    0, 0, 1,
    1, 0, 0,
    0, 1, 0
};

float4 main(float2 tex : TEXCOORD0) : COLOR
{
    float4 c = tex2D(s0, tex);
    return float4(mul(c.rgb, Rotate), c.a);
}
