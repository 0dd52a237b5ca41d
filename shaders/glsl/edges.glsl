// Edges: the absolute 4-neighbour Laplacian of Rec.709 luma, read with texelFetch, white on black.
float luma(ivec2 p)
{
    ivec2 last = ivec2(iResolution.xy) - 1;
    return dot(texelFetch(iChannel0, clamp(p, ivec2(0), last), 0).rgb, vec3(0.2126, 0.7152, 0.0722));
}

void mainImage(out vec4 fragColor, in vec2 fragCoord)
{
    ivec2 p = ivec2(fragCoord);
    float around = luma(p + ivec2(1, 0)) + luma(p - ivec2(1, 0)) + luma(p + ivec2(0, 1)) + luma(p - ivec2(0, 1));
    float edge = clamp(abs(4.0 * luma(p) - around) * 2.0, 0.0, 1.0);
    fragColor = vec4(vec3(edge), 1.0);
}
