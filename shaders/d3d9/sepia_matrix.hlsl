// D3D9 colour matrix: the classic sepia tone as a 3x3 matrix applied as mul(matrix, colour) (column vector).
// $MinimumShaderProfile: ps_2_0

sampler s0 : register(s0);

static const float3x3 Sepia = {
    0.393, 0.769, 0.189,
    0.349, 0.686, 0.168,
    0.272, 0.534, 0.131
};

float4 main(float2 tex : TEXCOORD0) : COLOR
{
    float4 c = tex2D(s0, tex);
    return float4(saturate(mul(Sepia, c.rgb)), c.a);
}
