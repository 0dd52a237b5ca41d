float4 main(float2 uv : TEXCOORD) : SV_Tarjet {
    return tex2D(input, uv);
}
