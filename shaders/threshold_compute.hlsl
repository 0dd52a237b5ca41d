// Threshold (compute form): black and white by Rec.709 luma; white where luma >= threshold, else black
// (swapped when `invert` is set). Parameters: threshold (0..1, default 0.5), invert (@checkbox, off).
// Alpha unchanged.
Texture2D<float4> input;
[[spv::format_rgba8]] RWTexture2D<float4> output;

cbuffer Params {
    float threshold; /* @range(0, 1) @default(0.5) */
    bool invert;     /* @checkbox @default(0) */
};

[numthreads(8, 8, 1)]
void main(uint3 id : SV_DispatchThreadID) {
    uint w, h;
    output.GetDimensions(w, h);
    if (id.x >= w || id.y >= h) return;
    float4 c = input[id.xy];
    bool on = dot(c.rgb, float3(0.2126, 0.7152, 0.0722)) >= threshold;
    output[id.xy] = float4((on != invert ? 1.0 : 0.0).xxx, c.a);
}
