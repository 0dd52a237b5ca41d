// Tint: multiplies the frame by a colour, blended with the original by `strength`.
// Parameters: strength (0..1, blend amount), tint (@color, the multiplier colour). Alpha unchanged.
cbuffer Params {
    float3 tint;    /* @color @default(1, 0, 0) */
    float strength; /* @range(0, 1) @default(0.5) */
};

float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex2D(input, uv);
    return lerp(c, c * float4(tint, 1), strength);
}
