// Written for another host: its own texture, sampler and cbuffer, (SV_POSITION, TEXCOORD) inputs.
Texture2D tex : register(t0);
SamplerState samp : register(s0);
cbuffer Constants : register(b0) {
    float gain;  // @range(0, 4) @default(1)
    int mode;
};
float4 main(float4 pos : SV_POSITION, float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex.Sample(samp, uv) * gain;
    return mode == 1 ? c.bgra : c;
}
