// Warm: blends the frame towards itself multiplied by a tint colour (Shadertoy-style GLSL effect).
uniform float warmth; // @range(0, 1) @default(0.6)
uniform vec3 tint;    // @color @default(1, 0.8, 0.6)

void mainImage(out vec4 fragColor, in vec2 fragCoord)
{
    vec2 uv = fragCoord / iResolution.xy;
    vec4 c = texture(iChannel0, uv);
    fragColor = vec4(mix(c.rgb, c.rgb * tint, warmth), 1.0);
}
