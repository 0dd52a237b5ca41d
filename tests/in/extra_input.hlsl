// A second Texture2D becomes a second input; frame values drive the blend.
#include "common/color.hlsl"
Texture2D overlay;
cbuffer Params { float mix_amount; /* @range(0, 1) @default(0.25) */ bool use_luma; /* @checkbox @default(true) */ };
float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 base = tex2D(input, uv);
    float4 over = tex2D(overlay, uv);
    float pulse = 0.5 + 0.5 * sin(time);
    float3 top = use_luma ? luma709(over.rgb).xxx : over.rgb;
    return float4(lerp(base.rgb, top, mix_amount * pulse), base.a);
}
