float4 main(float2 uv : TEXCOORD) : SV_Target {
    // café au lait
    return tex2D(input, uv);
}
