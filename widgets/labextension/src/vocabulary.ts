// HLSL's words, sorted into the classes the highlighter and the completer tell apart. Shader Model 6 plus
// the legacy names streamlib's prelude keeps (tex2D, sampler2D).

const words = (text: string): string[] => text.trim().split(/\s+/);

export const keywords = words(`
  if else for while do switch case default break continue return discard struct cbuffer tbuffer typedef
  static const uniform extern shared groupshared volatile inline in out inout register packoffset linear
  centroid nointerpolation noperspective sample precise row_major column_major snorm unorm namespace class
  interface template typename export globallycoherent point line triangle lineadj triangleadj`);

const scalarTypes = words(`bool int uint dword half float double min16float min10float min16int min12int
  min16uint int16_t uint16_t int64_t uint64_t float16_t float32_t float64_t`);

const vectorAndMatrixTypes = scalarTypes.flatMap(scalar =>
  [1, 2, 3, 4].flatMap(rows => [
    `${scalar}${rows}`,
    ...[1, 2, 3, 4].map(columns => `${scalar}${rows}x${columns}`)
  ])
);

export const types = [
  'void',
  'vector',
  'matrix',
  'string',
  ...scalarTypes,
  ...vectorAndMatrixTypes,
  ...words(`Texture1D Texture1DArray Texture2D Texture2DArray Texture2DMS Texture2DMSArray Texture3D
    TextureCube TextureCubeArray RWTexture1D RWTexture1DArray RWTexture2D RWTexture2DArray RWTexture3D
    Buffer RWBuffer StructuredBuffer RWStructuredBuffer ByteAddressBuffer RWByteAddressBuffer
    AppendStructuredBuffer ConsumeStructuredBuffer ConstantBuffer SamplerState SamplerComparisonState
    sampler sampler1D sampler2D sampler3D samplerCUBE`)
];

export const atoms = words('true false NULL');

// Intrinsic functions with their shortest useful signature, shown beside each completion.
export const intrinsics: Record<string, string> = {
  abs: 'T abs(T x)',
  acos: 'T acos(T x)',
  all: 'bool all(T x)',
  any: 'bool any(T x)',
  asfloat: 'float asfloat(T x)',
  asin: 'T asin(T x)',
  asint: 'int asint(T x)',
  asuint: 'uint asuint(T x)',
  atan: 'T atan(T x)',
  atan2: 'T atan2(T y, T x)',
  ceil: 'T ceil(T x)',
  clamp: 'T clamp(T x, T lo, T hi)',
  clip: 'void clip(T x) — discards the pixel if any component < 0',
  cos: 'T cos(T x)',
  cosh: 'T cosh(T x)',
  countbits: 'uint countbits(uint x)',
  cross: 'float3 cross(float3 a, float3 b)',
  ddx: 'T ddx(T x)',
  ddx_coarse: 'T ddx_coarse(T x)',
  ddx_fine: 'T ddx_fine(T x)',
  ddy: 'T ddy(T x)',
  ddy_coarse: 'T ddy_coarse(T x)',
  ddy_fine: 'T ddy_fine(T x)',
  degrees: 'T degrees(T radians)',
  determinant: 'float determinant(floatNxN m)',
  distance: 'float distance(T a, T b)',
  dot: 'float dot(T a, T b)',
  exp: 'T exp(T x)',
  exp2: 'T exp2(T x)',
  faceforward: 'T faceforward(T n, T i, T ng)',
  firstbithigh: 'uint firstbithigh(uint x)',
  firstbitlow: 'uint firstbitlow(uint x)',
  floor: 'T floor(T x)',
  fma: 'double fma(double a, double b, double c)',
  fmod: 'T fmod(T x, T y)',
  frac: 'T frac(T x)',
  frexp: 'T frexp(T x, out T exp)',
  fwidth: 'T fwidth(T x)',
  isfinite: 'bool isfinite(T x)',
  isinf: 'bool isinf(T x)',
  isnan: 'bool isnan(T x)',
  ldexp: 'T ldexp(T x, T exp)',
  length: 'float length(T v)',
  lerp: 'T lerp(T a, T b, T t)',
  lit: 'float4 lit(float n_dot_l, float n_dot_h, float m)',
  log: 'T log(T x)',
  log10: 'T log10(T x)',
  log2: 'T log2(T x)',
  mad: 'T mad(T a, T b, T c)',
  max: 'T max(T a, T b)',
  min: 'T min(T a, T b)',
  modf: 'T modf(T x, out T ip)',
  mul: 'mul(a, b) — matrix × vector / matrix product',
  normalize: 'T normalize(T v)',
  pow: 'T pow(T x, T y)',
  radians: 'T radians(T degrees)',
  rcp: 'T rcp(T x)',
  reflect: 'T reflect(T i, T n)',
  refract: 'T refract(T i, T n, float eta)',
  reversebits: 'uint reversebits(uint x)',
  round: 'T round(T x)',
  rsqrt: 'T rsqrt(T x)',
  saturate: 'T saturate(T x) — clamps to [0, 1]',
  sign: 'int sign(T x)',
  sin: 'T sin(T x)',
  sincos: 'void sincos(T x, out T s, out T c)',
  sinh: 'T sinh(T x)',
  smoothstep: 'T smoothstep(T lo, T hi, T x)',
  sqrt: 'T sqrt(T x)',
  step: 'T step(T edge, T x)',
  tan: 'T tan(T x)',
  tanh: 'T tanh(T x)',
  transpose: 'matrix transpose(matrix m)',
  trunc: 'T trunc(T x)',
  f16tof32: 'float f16tof32(uint x)',
  f32tof16: 'uint f32tof16(float x)',
  AllMemoryBarrier: 'void AllMemoryBarrier()',
  AllMemoryBarrierWithGroupSync: 'void AllMemoryBarrierWithGroupSync()',
  DeviceMemoryBarrier: 'void DeviceMemoryBarrier()',
  DeviceMemoryBarrierWithGroupSync: 'void DeviceMemoryBarrierWithGroupSync()',
  GroupMemoryBarrier: 'void GroupMemoryBarrier()',
  GroupMemoryBarrierWithGroupSync: 'void GroupMemoryBarrierWithGroupSync()',
  InterlockedAdd: 'void InterlockedAdd(inout R dest, T value, out T original)',
  InterlockedAnd: 'void InterlockedAnd(inout R dest, T value, out T original)',
  InterlockedCompareExchange: 'void InterlockedCompareExchange(inout R dest, T compare, T value, out T original)',
  InterlockedExchange: 'void InterlockedExchange(inout R dest, T value, out T original)',
  InterlockedMax: 'void InterlockedMax(inout R dest, T value, out T original)',
  InterlockedMin: 'void InterlockedMin(inout R dest, T value, out T original)',
  InterlockedOr: 'void InterlockedOr(inout R dest, T value, out T original)',
  InterlockedXor: 'void InterlockedXor(inout R dest, T value, out T original)',
  WaveActiveSum: 'T WaveActiveSum(T x)',
  WaveActiveMax: 'T WaveActiveMax(T x)',
  WaveActiveMin: 'T WaveActiveMin(T x)',
  WaveGetLaneIndex: 'uint WaveGetLaneIndex()',
  WaveReadLaneFirst: 'T WaveReadLaneFirst(T x)'
};

// What streamlib's prelude declares for every effect (native/streamlib-core/src/shader/prelude.rs).
export const prelude: Record<string, string> = {
  input: 'Texture2D input : register(t0) — the frame coming into this effect',
  input_sampler: 'SamplerState input_sampler : register(s0) — linear, clamped',
  tex2D: 'float4 tex2D(Texture2D tex, float2 uv) — tex.Sample(input_sampler, uv)',
  time: 'float time — seconds since the stream started',
  frame: 'uint frame — frames since the stream started',
  resolution: 'float2 resolution — output size in pixels',
  mouse: 'float4 mouse — the pointer over the preview widget'
};

// Semantics the compiler assigns meaning to; any other identifier after ':' is a user semantic.
export const systemSemantics = words(`SV_Target SV_Target0 SV_Target1 SV_Target2 SV_Target3 SV_Position
  SV_DispatchThreadID SV_GroupID SV_GroupThreadID SV_GroupIndex SV_VertexID SV_InstanceID SV_Depth
  SV_IsFrontFace SV_PrimitiveID SV_SampleIndex SV_Coverage SV_ClipDistance SV_CullDistance`);

export const attributes = words(`numthreads unroll loop branch flatten fastopt call forcecase
  allow_uav_condition earlydepthstencil maxvertexcount domain partitioning outputtopology
  outputcontrolpoints patchconstantfunc maxtessfactor instance WaveSize`);

// Parameter annotations read from comments in cbuffer bodies (streamlib-core/src/shader/annotations.rs).
export const annotations = words('@range @default @color @checkbox');

// Methods of texture, buffer and sampler objects, offered after a '.'.
export const methods: Record<string, string> = {
  Sample: 'float4 Sample(SamplerState s, float2 uv)',
  SampleLevel: 'float4 SampleLevel(SamplerState s, float2 uv, float lod)',
  SampleGrad: 'float4 SampleGrad(SamplerState s, float2 uv, float2 ddx, float2 ddy)',
  SampleBias: 'float4 SampleBias(SamplerState s, float2 uv, float bias)',
  SampleCmp: 'float SampleCmp(SamplerComparisonState s, float2 uv, float compare)',
  Load: 'float4 Load(int3 location)',
  Gather: 'float4 Gather(SamplerState s, float2 uv)',
  GetDimensions: 'void GetDimensions(out uint width, out uint height)',
  Append: 'void Append(T value)',
  Consume: 'T Consume()',
  IncrementCounter: 'uint IncrementCounter()'
};
