float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex2D(input, uv);
    if (c.r > 0.5) {
        c = 1 - c;
    return c;
}
