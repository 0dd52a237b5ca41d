// Pixelate: splits the frame into square blocks of floor(block_size) pixels (from the top-left) and fills
// each block with the one pixel at its centre (pixel floor(n/2) inside the block, clamped to the frame).
// Parameter: block_size (1..64 pixels, default 8). Exact pixel-centre reads, so no filtering.
cbuffer Params {
    float block_size; /* @range(1, 64) @default(8) */
};

float4 main(float2 uv : TEXCOORD) : SV_Target {
    float n = max(floor(block_size), 1.0);
    float2 px = floor(uv * resolution);
    float2 src = min(floor(px / n) * n + floor(n * 0.5), resolution - 1.0);
    return tex2D(input, (src + 0.5) / resolution);
}
