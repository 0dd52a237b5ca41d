// CRT: every other row darkened by `darkness`, and the corners by their distance from the centre.
uniform float darkness; // @range(0, 1) @default(0.35)

void mainImage(out vec4 fragColor, in vec2 fragCoord)
{
    vec2 uv = fragCoord / iResolution.xy;
    vec3 c = texture(iChannel0, uv).rgb;
    float row = mod(floor(fragCoord.y), 2.0);
    vec2 d = uv - 0.5;
    float corner = 1.0 - dot(d, d);
    fragColor = vec4(c * (1.0 - darkness * row) * corner, 1.0);
}
