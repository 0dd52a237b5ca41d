//! Effects on the GPU (lavapipe in CI): pixels out match what the shader says.

use std::path::PathBuf;
use std::sync::Arc;

use streamlib_core::gpu::{
    AdapterPreference, EffectInstance, EffectPipeline, FrameValues, Gpu, GpuTexture, ParamValue, TextureFormat,
};
use streamlib_core::shader::{CompileOptions, CompileRequest, Compiler, CompilerConfig, Stage, WorkerCommand};

fn compiler() -> Compiler {
    Compiler::new(CompilerConfig::with_worker(WorkerCommand {
        program: PathBuf::from(env!("CARGO_BIN_EXE_streamlib-shader-worker")),
        args: Vec::new(),
    }))
}

fn gradient(width: u32, height: u32) -> Vec<u8> {
    (0..height)
        .flat_map(|y| {
            (0..width).flat_map(move |x| [(x * 255 / (width - 1)) as u8, (y * 255 / (height - 1)) as u8, 128, 255])
        })
        .collect()
}

fn run(
    gpu: &Gpu,
    source: &str,
    stage: Stage,
    params: &[(&str, ParamValue)],
    input: &[u8],
    w: u32,
    h: u32,
) -> (Vec<u8>, &'static str) {
    let request = CompileRequest {
        name: "fx".into(),
        source: source.into(),
        options: CompileOptions { stage, optimization: streamlib_core::shader::OptLevel::None, ..Default::default() },
    };
    let shader = compiler().compile(&request).expect("compiles");
    let pipeline = Arc::new(EffectPipeline::new(gpu, Arc::new(shader)).expect("pipeline"));
    let mut effect = EffectInstance::new(gpu, pipeline.clone()).expect("instance");
    for (name, value) in params {
        effect.set(name, value).expect("param");
    }
    let source_texture = GpuTexture::new(gpu, w, h, TextureFormat::Rgba8Unorm, "in").unwrap();
    source_texture.upload(gpu, input).unwrap();
    let output = GpuTexture::new(gpu, w, h, pipeline.output_format(), "out").unwrap();
    let mut encoder = gpu.device.create_command_encoder(&Default::default());
    effect.encode(gpu, &mut encoder, &[&source_texture], &output, &FrameValues::default()).expect("encode");
    gpu.submit_and_wait(encoder.finish()).expect("submit");
    (output.read(gpu).expect("readback"), pipeline.gpu_path)
}

#[test]
fn seed_red_tint_keeps_only_red() {
    let gpu = Gpu::shared(&AdapterPreference::from_env()).expect("a Vulkan adapter (lavapipe in CI)");
    let input = gradient(64, 32);
    let (out, path) = run(
        &gpu,
        "float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) * float4(1, 0, 0, 1); }",
        Stage::Pixel,
        &[],
        &input,
        64,
        32,
    );
    eprintln!("adapter {:?}, path {path}", gpu.adapter);
    for (i, (o, x)) in out.chunks(4).zip(input.chunks(4)).enumerate() {
        assert!(
            (o[0] as i32 - x[0] as i32).abs() <= 1 && o[1] == 0 && o[2] == 0 && o[3] == 255,
            "pixel {i}: {o:?} from {x:?}"
        );
    }
}

#[test]
fn parameters_reach_the_shader_with_hlsl_packing() {
    let gpu = Gpu::shared(&AdapterPreference::from_env()).unwrap();
    let src = "cbuffer Params { float strength; float3 tint; };\nfloat4 main(float2 uv : TEXCOORD) : SV_Target { return float4(tint * strength, 1); }";
    let (out, _) = run(
        &gpu,
        src,
        Stage::Pixel,
        &[("strength", ParamValue::Number(0.5)), ("tint", ParamValue::List(vec![1.0, 0.5, 0.0]))],
        &gradient(8, 8),
        8,
        8,
    );
    assert_eq!(&out[..4], &[128, 64, 0, 255]);
}

#[test]
fn compute_form_writes_rgba8_storage() {
    let gpu = Gpu::shared(&AdapterPreference::from_env()).unwrap();
    let src = "Texture2D<float4> input; RWTexture2D<float4> output;\n[numthreads(8, 8, 1)] void main(uint3 id : SV_DispatchThreadID) { uint w, h; output.GetDimensions(w, h); if (id.x < w && id.y < h) output[id.xy] = input[id.xy].bgra; }";
    let input = gradient(20, 12);
    let (out, _) = run(&gpu, src, Stage::Compute, &[], &input, 20, 12);
    for (o, x) in out.chunks(4).zip(input.chunks(4)) {
        assert_eq!(o, &[x[2], x[1], x[0], x[3]]);
    }
}

/// A loop of 4e9 iterations per pixel would hold lavapipe for hours; bounded, it runs exactly the limit's
/// worth of iterations, shared by every loop of the invocation, and the pass ends.
#[test]
fn a_runaway_loop_ends_at_the_iteration_limit() {
    use streamlib_core::shader::loop_guard::LOOP_ITERATION_LIMIT;
    let gpu = Gpu::shared(&AdapterPreference::from_env()).unwrap();
    let src = "float4 main(float2 uv : TEXCOORD0) : SV_Target {\n\
               uint n = 0; for (uint i = 0; i < 4000000000u; i++) { n++; }\n\
               uint m = 0; for (uint k = 0; k < 10u; k++) { m++; }\n\
               return float4(float(n) / (2.0 * LIMIT), float(m) / 10.0, 1, 1); }"
        .replace("LIMIT", &format!("{LOOP_ITERATION_LIMIT}.0"));
    let input = gradient(64, 32);
    let (out, _) = run(&gpu, &src, Stage::Pixel, &[], &input, 64, 32);
    for pixel in out.chunks(4) {
        // n stopped at the limit (0.5 → 128), and the budget was spent before the second loop began.
        assert!((127..=128).contains(&pixel[0]) && pixel[1] == 0 && pixel[2] == 255, "pixel {pixel:?}");
    }
}

#[test]
fn texture_limits_are_reported_with_numbers() {
    let gpu = Gpu::shared(&AdapterPreference::from_env()).unwrap();
    let err = GpuTexture::new(&gpu, 100_000, 10, TextureFormat::Rgba8Unorm, "huge").unwrap_err();
    assert!(err.to_string().starts_with("texture 100000x10 rgba8unorm: exceeds max"), "{err}");
}

#[test]
fn unknown_adapter_name_lists_what_exists() {
    let err =
        Gpu::shared(&AdapterPreference { name_contains: Some("no-such-gpu".into()), low_power: false }).unwrap_err();
    assert!(err.to_string().contains("no adapter name contains 'no-such-gpu'"), "{err}");
}

#[test]
fn previews_are_box_filtered_down_to_the_size_they_are_shown_at() {
    use streamlib_core::gpu::scale::Scaler;
    let gpu = Gpu::shared(&AdapterPreference::from_env()).unwrap();
    // 8×4: a 1-px black/white checkerboard on the left half, solid red on the right.
    let pixels: Vec<u8> = (0..4u32)
        .flat_map(|y| {
            (0..8u32).flat_map(move |x| match (x < 4, (x + y) % 2 == 0) {
                (true, true) => [255, 255, 255, 255],
                (true, false) => [0, 0, 0, 255],
                (false, _) => [255, 0, 0, 255],
            })
        })
        .collect();
    let source = GpuTexture::new(&gpu, 8, 4, TextureFormat::Rgba8Unorm, "source").unwrap();
    source.upload(&gpu, &pixels).unwrap();
    let target = GpuTexture::new(&gpu, 2, 1, TextureFormat::Rgba8Unorm, "target").unwrap();
    let mut encoder = gpu.device.create_command_encoder(&Default::default());
    Scaler::new(&gpu, &source, (2, 1)).unwrap().encode(&gpu, &mut encoder, &source, &target);
    gpu.submit_and_wait(encoder.finish()).unwrap();
    let out = target.read(&gpu).unwrap();
    // The checkerboard averages to grey (one bilinear tap per pixel would give black or white), red stays red.
    assert!(out[..3].iter().all(|c| (127..=128).contains(c)), "{out:?}");
    assert_eq!(&out[4..], &[255, 0, 0, 255]);
}
