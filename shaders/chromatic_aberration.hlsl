// Chromatic aberration: radial RGB split. With o = 2 * (uv - 0.5) * amount / resolution, red is read at
// uv + o, green at uv, blue at uv - o, so the split grows from 0 at the centre to `amount` pixels per axis at
// the frame edges (bilinear, clamp-to-edge). Parameter: amount (0..50 pixels, default 4). Alpha from uv.
cbuffer Params {
    float amount; /* @range(0, 50) @default(4) */
};

float4 main(float2 uv : TEXCOORD) : SV_Target {
    float2 o = 2.0 * (uv - 0.5) * amount / resolution;
    float4 c = tex2D(input, uv);
    float r = tex2D(input, uv + o).r;
    float b = tex2D(input, uv - o).b;
    return float4(r, c.g, b, c.a);
}
