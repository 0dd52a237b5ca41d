// Invert (compute form): rgb -> lerp(rgb, 1 - rgb, amount), one thread per pixel, 8x8 groups.
// Parameter: amount (0..1, default 1). Alpha unchanged.
Texture2D<float4> input;
[[spv::format_rgba8]] RWTexture2D<float4> output;

cbuffer Params {
    float amount; /* @range(0, 1) @default(1) */
};

[numthreads(8, 8, 1)]
void main(uint3 id : SV_DispatchThreadID) {
    uint w, h;
    output.GetDimensions(w, h);
    if (id.x >= w || id.y >= h) return;
    float4 c = input[id.xy];
    output[id.xy] = float4(lerp(c.rgb, 1.0 - c.rgb, amount), c.a);
}
