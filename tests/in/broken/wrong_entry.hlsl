float4 effect(float2 uv : TEXCOORD) : SV_Target {
    return tex2D(input, uv);
}
