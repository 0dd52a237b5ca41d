// Wave: animated horizontal ripple; each row shifts by amplitude * sin(2*pi*(frequency * uv.y + speed * time))
// pixels (bilinear, clamp-to-edge). Parameters: amplitude (0..50 pixels, 8), frequency (0..50 waves per
// frame height, 4), speed (-5..5 cycles per second, 1). Uses the prelude's `time`.
cbuffer Params {
    float amplitude; /* @range(0, 50) @default(8) */
    float frequency; /* @range(0, 50) @default(4) */
    float speed;     /* @range(-5, 5) @default(1) */
};

float4 main(float2 uv : TEXCOORD) : SV_Target {
    float phase = 6.28318530718 * (frequency * uv.y + speed * time);
    float dx = amplitude * sin(phase) / resolution.x;
    return tex2D(input, uv + float2(dx, 0));
}
