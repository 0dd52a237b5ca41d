// Gaussian blur: 9-tap 3x3 binomial kernel (weights 1 2 1 / 2 4 2 / 1 2 1, sum 16) on all four
// channels, taps spaced `radius` pixels apart (radius 0..10, default 1; whole numbers hit pixel centres,
// others are bilinearly filtered). Taps past the frame edge read the edge pixel (clamp-to-edge sampler).
cbuffer Params {
    float radius; /* @range(0, 10) @default(1) */
};

float4 main(float2 uv : TEXCOORD) : SV_Target {
    float2 d = radius / resolution;
    float4 sum = 4.0 * tex2D(input, uv);
    sum += 2.0 * (tex2D(input, uv + float2(-d.x, 0)) + tex2D(input, uv + float2(d.x, 0)) +
                  tex2D(input, uv + float2(0, -d.y)) + tex2D(input, uv + float2(0, d.y)));
    sum += tex2D(input, uv + float2(-d.x, -d.y)) + tex2D(input, uv + float2(d.x, -d.y)) +
           tex2D(input, uv + float2(-d.x, d.y)) + tex2D(input, uv + float2(d.x, d.y));
    return sum * (1.0 / 16.0);
}
