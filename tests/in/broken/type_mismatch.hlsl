float4 main(float2 uv : TEXCOORD) : SV_Target {
    Texture2D t = 1.0;
    return tex2D(input, uv);
}
