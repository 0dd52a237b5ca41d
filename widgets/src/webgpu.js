/* global GPUShaderStage, GPUTextureUsage, GPUBufferUsage, GPUMapMode */
// Runs a chain of streamlib compute effects in the page with WebGPU, from the WGSL the core emits (naga from the
// same SPIR-V the kernel runs: shader/wgsl.rs).
//
// Bindings are the SPIR-V's own (set → group, binding → binding), described by the shader's reflection: each
// pass reads its input textures, writes its rgba8 storage image, and takes its cbuffers as uniform buffers packed
// at the reflected offsets (the effect's parameters, and the frame values in `streamlib_frame`). One thread per
// pixel in the reflected workgroup size, as the kernel dispatches it.

import { createRenderer } from "./webgl.js";

const FRAME_BLOCK = "streamlib_frame";

// "float3" → { base: "float", count: 3 }; matrices are not among compute effects' parameters.
function scalarKind(type) {
  const match = /^(float|int|uint|bool)(\d?)$/.exec(type);
  if (!match) throw new Error(`a uniform of type ${type} cannot be set from the page`);
  return { base: match[1], count: Number(match[2] || 1) };
}

function packBlock(block, valueOf) {
  const bytes = new ArrayBuffer(Math.max(16, Math.ceil(block.size / 16) * 16));
  const view = new DataView(bytes);
  for (const member of block.members) {
    const { base, count } = scalarKind(member.type);
    const values = valueOf(member.name) || [];
    // An array's elements sit `size / length` bytes apart (16 in std140); its values come flat.
    const elements = member.array_len || 1;
    const stride = member.size / elements;
    for (let element = 0; element < elements; element += 1) {
      for (let i = 0; i < count; i += 1) {
        const at = member.offset + element * stride + 4 * i;
        const value = Number(values[element * count + i] ?? 0);
        if (base === "float") view.setFloat32(at, value, true);
        else if (base === "uint" || base === "bool") view.setUint32(at, Math.max(0, Math.round(value)), true);
        else view.setInt32(at, Math.round(value), true);
      }
    }
  }
  return bytes;
}

function layoutEntry(resource) {
  const entry = { binding: resource.binding, visibility: GPUShaderStage.COMPUTE };
  if (resource.kind === "texture") entry.texture = { sampleType: "unfilterable-float" };
  else if (resource.kind === "storage_image") entry.storageTexture = { access: "write-only", format: "rgba8unorm" };
  else if (resource.kind === "uniform_buffer") entry.buffer = { type: "uniform" };
  else if (resource.kind === "sampler") entry.sampler = { type: "non-filtering" };
  else throw new Error(`a compute effect's ${resource.kind} '${resource.name}' cannot be bound in the page`);
  return entry;
}

export async function createComputeRenderer() {
  if (!window.isSecureContext) throw new Error("WebGPU needs a secure context (https or localhost)");
  if (!navigator.gpu) throw new Error("this browser offers no WebGPU (navigator.gpu is missing)");
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error("this browser offers WebGPU but no adapter for it");
  const device = await adapter.requestDevice();
  device.lost.then((why) => console.warn(`streamlib: WebGPU device lost: ${why.reason} ${why.message}`));
  device.addEventListener("uncapturederror", (event) => console.warn(`streamlib: WebGPU error: ${event.error.message}`));
  const info = adapter.info || {};
  let passes = [];
  let size = { width: 0, height: 0 };
  let source = null;
  let output = null;

  const texture = (width, height, usage) =>
    device.createTexture({ size: { width, height }, format: "rgba8unorm", usage });

  async function checked(make) {
    device.pushErrorScope("validation");
    const made = make();
    const error = await device.popErrorScope();
    if (error) throw new Error(error.message);
    return made;
  }

  // program: { width, height, passes: [{ name, wgsl, reflection, textures: [{binding, from}], values }] }
  async function setProgram(program) {
    size = { width: program.width, height: program.height };
    source = texture(size.width, size.height, GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST);
    const built = [];
    for (const pass of program.passes) {
      const module = device.createShaderModule({ code: pass.wgsl });
      const messages = (await module.getCompilationInfo()).messages.filter((m) => m.type === "error");
      if (messages.length) throw new Error(`WebGPU rejected '${pass.name}': ${messages.map((m) => m.message).join("; ")}`);
      const groups = [];
      for (const resource of pass.reflection.resources) {
        (groups[resource.set] ||= []).push(layoutEntry(resource));
      }
      const layouts = [...groups].map((entries) => device.createBindGroupLayout({ entries: entries || [] }));
      const pipeline = await checked(() =>
        device.createComputePipeline({
          layout: device.createPipelineLayout({ bindGroupLayouts: layouts }),
          compute: { module, entryPoint: pass.reflection.entry_point },
        }),
      );
      const target = texture(
        size.width,
        size.height,
        GPUTextureUsage.STORAGE_BINDING | GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_SRC,
      );
      const blocks = pass.reflection.uniform_buffers.map((block) => ({
        block,
        buffer: device.createBuffer({
          size: Math.max(16, Math.ceil(block.size / 16) * 16),
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        }),
      }));
      built.push({ pass, pipeline, layouts, target, blocks, values: { ...pass.values } });
    }
    passes.forEach((old) => old.target.destroy());
    passes = built;
    output = passes.length ? passes[passes.length - 1].target : source;
  }

  function setParams(name, values) {
    const pass = passes.find((p) => p.pass.name === name);
    if (!pass) return;
    for (const [param, value] of Object.entries(values)) pass.values[param] = Array.isArray(value) ? value : [value];
  }

  function params(name) {
    const pass = passes.find((p) => p.pass.name === name);
    return pass ? { ...pass.values } : {};
  }

  // frame: RGBA bytes of the source picture, top row first.
  function render({ frame, index, time, mouse }) {
    device.queue.writeTexture(
      { texture: source },
      frame.data,
      { bytesPerRow: size.width * 4, rowsPerImage: size.height },
      size,
    );
    const frameValues = {
      time: [time || 0],
      frame: [index || 0],
      resolution: [size.width, size.height],
      mouse: mouse || [0, 0, 0, 0],
    };
    const encoder = device.createCommandEncoder();
    const outputs = new Map();
    for (const built of passes) {
      const entries = [];
      for (const resource of built.pass.reflection.resources) {
        let resourceEntry;
        if (resource.kind === "texture") {
          const feed = built.pass.textures.find((t) => t.binding === resource.binding);
          const from = feed && feed.from !== "source" ? outputs.get(feed.from) : source;
          resourceEntry = (from || source).createView();
        } else if (resource.kind === "storage_image") {
          resourceEntry = built.target.createView();
        } else if (resource.kind === "uniform_buffer") {
          const { block, buffer } = built.blocks.find((b) => b.block.name === resource.name);
          const valueOf = (member) => (block.name === FRAME_BLOCK ? frameValues[member] : built.values[member]);
          device.queue.writeBuffer(buffer, 0, packBlock(block, valueOf));
          resourceEntry = { buffer };
        } else {
          resourceEntry = device.createSampler({ addressModeU: "clamp-to-edge", addressModeV: "clamp-to-edge" });
        }
        (entries[resource.set] ||= []).push({ binding: resource.binding, resource: resourceEntry });
      }
      const compute = encoder.beginComputePass();
      compute.setPipeline(built.pipeline);
      built.layouts.forEach((layout, set) =>
        compute.setBindGroup(set, device.createBindGroup({ layout, entries: entries[set] || [] })),
      );
      const [x, y] = built.pass.reflection.workgroup_size;
      compute.dispatchWorkgroups(Math.ceil(size.width / x), Math.ceil(size.height / y));
      compute.end();
      outputs.set(built.pass.name, built.target);
    }
    device.queue.submit([encoder.finish()]);
  }

  // The last pass's picture, RGBA bytes, top row first.
  async function readPixels() {
    const row = Math.ceil((size.width * 4) / 256) * 256;
    const buffer = device.createBuffer({
      size: row * size.height,
      usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
    });
    const encoder = device.createCommandEncoder();
    encoder.copyTextureToBuffer({ texture: output }, { buffer, bytesPerRow: row }, size);
    device.queue.submit([encoder.finish()]);
    await buffer.mapAsync(GPUMapMode.READ);
    const mapped = new Uint8Array(buffer.getMappedRange());
    const pixels = new Uint8Array(size.width * size.height * 4);
    for (let y = 0; y < size.height; y += 1) {
      pixels.set(mapped.subarray(y * row, y * row + size.width * 4), y * size.width * 4);
    }
    buffer.unmap();
    buffer.destroy();
    return pixels;
  }

  function dispose() {
    passes.forEach((built) => built.target.destroy());
    passes = [];
    device.destroy();
  }

  return {
    renderer: `WebGPU ${info.vendor || "?"} ${info.architecture || ""}`.trim(),
    setProgram,
    setParams,
    params,
    render,
    readPixels,
    dispose,
  };
}

// A chain of compute effects shown in `canvas`, with the renderer interface of webgl.js (setProgram is async
// here: WebGPU reports compile errors asynchronously). The source (camera, video, test pattern, image) is drawn
// by the WebGL2 renderer as for pixel chains and read back for WebGPU; WebGPU's result is read back and shown
// by WebGL2 in `canvas`. (Presenting through a WebGPU canvas context lost the device in headless Chromium's
// SwiftShader.) A frame arriving while the last one is still on its way back is skipped.
export async function createWebGpuChain(canvas) {
  const compute = await createComputeRenderer();
  const source = createRenderer(document.createElement("canvas"));
  const shown = createRenderer(canvas);
  let busy = false;
  return {
    renderer: `${compute.renderer}, shown by ${shown.renderer}`,
    async setProgram(program) {
      const { width, height } = program.source;
      await compute.setProgram({ width, height, passes: program.passes });
      source.setProgram({ source: program.source, passes: [], output: "source" });
      shown.setProgram({ source: { kind: "image", width, height }, passes: [], output: "source" });
    },
    render({ frame, index = 0, time = 0, mouse = [0, 0, 0, 0] }) {
      if (busy) return false;
      busy = true;
      source.render({ frame, index, time, mouse });
      compute.render({ frame: { data: source.readPixels() }, index, time, mouse });
      compute
        .readPixels()
        .then((pixels) => shown.render({ frame: { data: pixels } }))
        .catch((error) => console.warn(`streamlib: a WebGPU frame was lost: ${error.message}`))
        .finally(() => {
          busy = false;
        });
      return true;
    },
    setParams: compute.setParams,
    params: compute.params,
    readPixels: compute.readPixels,
    dispose() {
      source.dispose();
      shown.dispose();
      compute.dispose();
    },
  };
}
