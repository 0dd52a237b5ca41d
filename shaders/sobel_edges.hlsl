// Sobel edges: e = saturate(m) where m = strength * |sobel gradient of Rec.709 luma| >= threshold, else 0
// (3x3 neighbours one pixel apart, clamp-to-edge). Draws `color` * e on black, or over the frame when
// `overlay` is set. Parameters: strength (0..4, 1), threshold (0..1, 0.1), color (@color, white), overlay (off).
cbuffer Params {
    float3 color;    /* @color @default(1, 1, 1) */
    float strength;  /* @range(0, 4) @default(1) */
    float threshold; /* @range(0, 1) @default(0.1) */
    bool overlay;    /* @checkbox @default(0) */
};

float luma(float2 uv) {
    return dot(tex2D(input, uv).rgb, float3(0.2126, 0.7152, 0.0722));
}

float4 main(float2 uv : TEXCOORD) : SV_Target {
    float2 t = 1.0 / resolution;
    float tl = luma(uv + float2(-t.x, -t.y)), tc = luma(uv + float2(0, -t.y)), tr = luma(uv + float2(t.x, -t.y));
    float ml = luma(uv + float2(-t.x, 0)),                                     mr = luma(uv + float2(t.x, 0));
    float bl = luma(uv + float2(-t.x, t.y)),  bc = luma(uv + float2(0, t.y)),  br = luma(uv + float2(t.x, t.y));
    float gx = (tr + 2.0 * mr + br) - (tl + 2.0 * ml + bl);
    float gy = (bl + 2.0 * bc + br) - (tl + 2.0 * tc + tr);
    float m = strength * sqrt(gx * gx + gy * gy);
    float e = m >= threshold ? saturate(m) : 0.0;
    float4 c = tex2D(input, uv);
    float3 rgb = overlay ? lerp(c.rgb, color, e) : color * e;
    return float4(rgb, c.a);
}
