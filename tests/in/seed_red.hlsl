float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) * float4(1, 0, 0, 1); }
