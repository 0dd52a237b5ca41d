cbuffer Params { float amount; };
float4 main(float2 uv : TEXCOORD) : SV_Target {
    return lerp(tex2D(input, uv), 1, amount, 2);
}
