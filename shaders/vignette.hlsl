// Vignette: darkens towards the edges. d = 2 * |uv - 0.5| (0 centre, 1 mid-edge, 1.41 corner; follows the
// frame's aspect); rgb *= 1 - strength * smoothstep(radius, radius + softness, d). Parameters: strength
// (0..1, 0.5), radius (0..1.5, 0.75), softness (0..1.5, 0.45; floored at 1e-4). Alpha unchanged.
cbuffer Params {
    float strength; /* @range(0, 1) @default(0.5) */
    float radius;   /* @range(0, 1.5) @default(0.75) */
    float softness; /* @range(0, 1.5) @default(0.45) */
};

float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex2D(input, uv);
    float d = 2.0 * length(uv - 0.5);
    float v = smoothstep(radius, radius + max(softness, 1e-4), d);
    return float4(c.rgb * (1.0 - strength * v), c.a);
}
