Texture2D overlay : register(q3);
float4 main(float2 uv : TEXCOORD) : SV_Target {
    return tex2D(input, uv) + tex2D(overlay, uv);
}
