// The design's pixel-form example: prelude input, annotated parameters.
cbuffer Params { float strength; /* @range(0, 1) @default(0.5) */ float3 tint; /* @color @default(1,0,0) */ };
float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex2D(input, uv);
    return lerp(c, c * float4(tint, 1), strength);
}
