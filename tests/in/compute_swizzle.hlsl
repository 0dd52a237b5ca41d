// The design's compute-form example, with an rgba8 storage image from the default retargeting.
Texture2D<float4> input; RWTexture2D<float4> output;
[numthreads(8, 8, 1)] void main(uint3 id : SV_DispatchThreadID) { output[id.xy] = input[id.xy].bgra; }
