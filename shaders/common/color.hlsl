// Shared colour helpers for effects: `#include "common/color.hlsl"`.
#ifndef STREAMLIB_COMMON_COLOR
#define STREAMLIB_COMMON_COLOR

// Rec.709 luma of gamma-encoded RGB, the same weights every library effect uses.
float luma709(float3 rgb) {
    return dot(rgb, float3(0.2126, 0.7152, 0.0722));
}

#endif
