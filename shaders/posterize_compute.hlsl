// Posterize (compute form): quantizes each colour channel to `levels` evenly spaced values,
// v -> floor(v * (levels - 1) + 0.5) / (levels - 1). Parameter: levels (int, 2..32, default 4;
// values below 2 act as 2). Alpha unchanged.
Texture2D<float4> input;
[[spv::format_rgba8]] RWTexture2D<float4> output;

cbuffer Params {
    int levels; /* @range(2, 32) @default(4) */
};

[numthreads(8, 8, 1)]
void main(uint3 id : SV_DispatchThreadID) {
    uint w, h;
    output.GetDimensions(w, h);
    if (id.x >= w || id.y >= h) return;
    float4 c = input[id.xy];
    float steps = float(max(levels, 2) - 1);
    output[id.xy] = float4(floor(c.rgb * steps + 0.5) / steps, c.a);
}
