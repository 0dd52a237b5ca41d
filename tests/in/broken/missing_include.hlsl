#include "no_such_file.hlsl"
float4 main(float2 uv : TEXCOORD) : SV_Target {
    return tex2D(input, uv);
}
