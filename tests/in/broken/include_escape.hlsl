#include "../../etc/passwd"
float4 main(float2 uv : TEXCOORD) : SV_Target {
    return tex2D(input, uv);
}
