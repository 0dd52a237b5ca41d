// Invert: negative image, rgb -> 1 - rgb, blended with the original.
// Parameter: amount (0..1, 0 = original, 1 = fully inverted; 0.5 gives flat gray). Alpha unchanged.
cbuffer Params {
    float amount; /* @range(0, 1) @default(1) */
};

float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex2D(input, uv);
    return float4(lerp(c.rgb, 1.0 - c.rgb, amount), c.a);
}
