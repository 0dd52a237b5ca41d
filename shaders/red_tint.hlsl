// Red tint: keeps only the red channel (green and blue set to 0), alpha unchanged.
// The seed effect of the workbench. No parameters.
float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) * float4(1, 0, 0, 1); }
