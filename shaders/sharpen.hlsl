// Sharpen (unsharp mask): rgb + amount * (4 * centre - up - down - left - right), clamped to 0..1;
// neighbours one pixel apart, clamp-to-edge. Parameter: amount (0..4, default 0.5). Alpha unchanged.
cbuffer Params {
    float amount; /* @range(0, 4) @default(0.5) */
};

float4 main(float2 uv : TEXCOORD) : SV_Target {
    float2 t = 1.0 / resolution;
    float4 c = tex2D(input, uv);
    float3 n = tex2D(input, uv + float2(-t.x, 0)).rgb + tex2D(input, uv + float2(t.x, 0)).rgb +
               tex2D(input, uv + float2(0, -t.y)).rgb + tex2D(input, uv + float2(0, t.y)).rgb;
    return float4(saturate(c.rgb + amount * (4.0 * c.rgb - n)), c.a);
}
