// Ripple: each row shifted sideways by a sine wave that travels upwards with time.
uniform float amplitude; // @range(0, 0.05) @default(0.01)

void mainImage(out vec4 fragColor, in vec2 fragCoord)
{
    vec2 uv = fragCoord / iResolution.xy;
    uv.x += amplitude * sin(uv.y * 20.0 - iTime * 3.0);
    fragColor = vec4(texture(iChannel0, uv).rgb, 1.0);
}
