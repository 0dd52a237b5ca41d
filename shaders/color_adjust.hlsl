// Colour adjust, in this order: brightness (added), contrast (scaled about 0.5), saturation
// (scaled about Rec.709 luma), then clamped to 0..1. Parameters: brightness (-1..1, 0),
// contrast (0..2, 1), saturation (0..2, 1); the defaults leave the frame unchanged. Alpha unchanged.
cbuffer Params {
    float brightness; /* @range(-1, 1) @default(0) */
    float contrast;   /* @range(0, 2) @default(1) */
    float saturation; /* @range(0, 2) @default(1) */
};

float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex2D(input, uv);
    float3 rgb = c.rgb + brightness;
    rgb = (rgb - 0.5) * contrast + 0.5;
    float y = dot(rgb, float3(0.2126, 0.7152, 0.0722));
    rgb = lerp(y.xxx, rgb, saturation);
    return float4(saturate(rgb), c.a);
}
