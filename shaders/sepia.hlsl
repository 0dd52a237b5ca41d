// Sepia: the classic sepia-tone colour matrix (rows below), clamped to 0..1, blended with the original.
// Parameter: amount (0..1, 0 = original, 1 = full sepia). Alpha unchanged.
cbuffer Params {
    float amount; /* @range(0, 1) @default(1) */
};

float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex2D(input, uv);
    float3 s = float3(dot(c.rgb, float3(0.393, 0.769, 0.189)),
                      dot(c.rgb, float3(0.349, 0.686, 0.168)),
                      dot(c.rgb, float3(0.272, 0.534, 0.131)));
    return float4(lerp(c.rgb, saturate(s), amount), c.a);
}
