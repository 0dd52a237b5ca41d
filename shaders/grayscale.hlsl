// Grayscale: replaces colour with Rec.709 luma Y = 0.2126 R + 0.7152 G + 0.0722 B
// (applied to the stored, gamma-encoded values). Parameter: amount (0..1, 0 = original, 1 = fully gray).
cbuffer Params {
    float amount; /* @range(0, 1) @default(1) */
};

float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex2D(input, uv);
    float y = dot(c.rgb, float3(0.2126, 0.7152, 0.0722));
    return float4(lerp(c.rgb, y.xxx, amount), c.a);
}
