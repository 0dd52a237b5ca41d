// Runs a chain of streamlib pixel effects in the page with WebGL2, from the GLSL ES the core emits.
//
// The core's contract for that GLSL (shader/cross.rs): cbuffers are struct uniforms (`Params.strength`), the
// frame values are `streamlib_frame.{time,frame,resolution,mouse}`, the only varying is `v_loc0` (uv, (0,0) at
// the top-left texel as in D3D), and the texture at binding B is sampled through `sl_t{B}` or `sl_t{B}_s{S}`.
// Every pass renders into a texture whose row 0 is the top of the picture, so uv and gl_FragCoord agree with
// the kernel's; only the final copy to the canvas flips.

const VERTEX = `#version 300 es
out vec2 v_loc0;
void main() {
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
  v_loc0 = p;
}
`;

const SAMPLER = /^sl_t(\d+)(?:_s\d+)?$/;

function shaderLog(gl, shader) {
  return (gl.getShaderInfoLog(shader) || "").trim();
}

function compileProgram(gl, fragmentSource) {
  const stages = [
    [gl.VERTEX_SHADER, VERTEX],
    [gl.FRAGMENT_SHADER, fragmentSource],
  ];
  const shaders = stages.map(([type, source]) => {
    const shader = gl.createShader(type);
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    return shader;
  });
  const failed = shaders.find((shader) => !gl.getShaderParameter(shader, gl.COMPILE_STATUS));
  if (failed) {
    const log = shaderLog(gl, failed);
    shaders.forEach((shader) => gl.deleteShader(shader));
    throw new Error(`WebGL2 rejected the GLSL ES: ${log}`);
  }
  const program = gl.createProgram();
  shaders.forEach((shader) => gl.attachShader(program, shader));
  gl.linkProgram(program);
  shaders.forEach((shader) => gl.deleteShader(shader));
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
    const log = (gl.getProgramInfoLog(program) || "").trim();
    gl.deleteProgram(program);
    throw new Error(`WebGL2 could not link the effect: ${log}`);
  }
  return program;
}

// Texture units by binding: every sampler uniform the core named after a texture's binding.
function samplerUnits(gl, program) {
  const units = [];
  const count = gl.getProgramParameter(program, gl.ACTIVE_UNIFORMS);
  for (let i = 0; i < count; i += 1) {
    const info = gl.getActiveUniform(program, i);
    const match = info && SAMPLER.exec(info.name);
    if (match) units.push({ binding: Number(match[1]), location: gl.getUniformLocation(program, info.name) });
  }
  return units;
}

function newTarget(gl, width, height) {
  const texture = gl.createTexture();
  gl.bindTexture(gl.TEXTURE_2D, texture);
  gl.texStorage2D(gl.TEXTURE_2D, 1, gl.RGBA8, width, height);
  // The kernel's sampler: linear, clamp to edge (gpu/effect.rs).
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  const framebuffer = gl.createFramebuffer();
  gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
  gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
  return { texture, framebuffer, width, height };
}

function deleteTarget(gl, target) {
  if (!target) return;
  gl.deleteFramebuffer(target.framebuffer);
  gl.deleteTexture(target.texture);
}

// Sets one reflected parameter; `values` is flat (vectors and arrays spread out), as the kernel keeps them.
function setUniform(gl, location, type, values, arrayLength) {
  if (location === null || !values) return;
  const base = type.replace(/\d+(x\d+)?$/, "");
  const width = Number((/(\d+)$/.exec(type) || [null, "1"])[1]);
  if (/x\d+$/.test(type)) return; // matrices have no controls; the kernel path runs them
  const fn = base === "float" || base === "half" ? "f" : base === "uint" ? "ui" : "i";
  const data =
    fn === "f" ? new Float32Array(values) : fn === "ui" ? new Uint32Array(values) : new Int32Array(values.map(Number));
  if (arrayLength) gl[`uniform${width}${fn}v`](location, data);
  else gl[`uniform${width}${fn}v`](location, data.subarray(0, width));
}

export function createRenderer(canvas) {
  const gl = canvas.getContext("webgl2", { preserveDrawingBuffer: true, antialias: false, premultipliedAlpha: false });
  if (!gl) throw new Error("this browser offers no WebGL2");
  gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
  gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
  const vao = gl.createVertexArray();
  let width = 0;
  let height = 0;
  let passes = [];
  let source = null; // { target, pattern?: {program, ubo} }
  let upload = null; // a texture the camera's frames land in before scaling to the source's size
  let output = null;

  function disposePasses(list) {
    list.forEach((pass) => {
      gl.deleteProgram(pass.program);
      deleteTarget(gl, pass.target);
    });
  }

  function buildPass(spec) {
    const program = compileProgram(gl, spec.glsl);
    const uniforms = new Map();
    for (const param of spec.params || []) {
      const name = param.array_length ? `${param.buffer}.${param.name}[0]` : `${param.buffer}.${param.name}`;
      uniforms.set(param.name, { ...param, location: gl.getUniformLocation(program, name) });
    }
    const frame = {};
    for (const key of ["time", "frame", "resolution", "mouse"]) {
      frame[key] = gl.getUniformLocation(program, `streamlib_frame.${key}`);
    }
    return { name: spec.name, spec, program, uniforms, frame, units: samplerUnits(gl, program), target: null };
  }

  function buildPattern(spec) {
    const program = compileProgram(gl, spec.glsl);
    const block = gl.getUniformBlockIndex(program, spec.block);
    if (block === gl.INVALID_INDEX) throw new Error(`the test pattern has no uniform block '${spec.block}'`);
    gl.uniformBlockBinding(program, block, 0);
    const ubo = gl.createBuffer();
    gl.bindBuffer(gl.UNIFORM_BUFFER, ubo);
    gl.bufferData(gl.UNIFORM_BUFFER, 16, gl.DYNAMIC_DRAW);
    return { program, ubo };
  }

  // Replaces the chain; on any error the previous chain keeps running and the error is thrown.
  function setProgram(program) {
    const built = [];
    let pattern = null;
    try {
      for (const spec of program.passes) built.push(buildPass(spec));
      if (program.source.kind === "test_pattern") pattern = buildPattern(program.source);
    } catch (error) {
      disposePasses(built);
      if (pattern) gl.deleteProgram(pattern.program);
      throw error;
    }
    disposePasses(passes);
    if (source && source.pattern) {
      gl.deleteProgram(source.pattern.program);
      gl.deleteBuffer(source.pattern.ubo);
    }
    deleteTarget(gl, source && source.target);
    width = program.source.width;
    height = program.source.height;
    source = { target: newTarget(gl, width, height), pattern };
    for (const pass of built) pass.target = newTarget(gl, width, height);
    passes = built;
    output = program.output;
  }

  function setParams(passName, values) {
    const pass = passes.find((p) => p.name === passName);
    if (!pass) return;
    for (const [name, value] of Object.entries(values)) {
      const uniform = pass.uniforms.get(name);
      if (uniform) uniform.value = Array.isArray(value) ? value : [value];
    }
  }

  function params(passName) {
    const pass = passes.find((p) => p.name === passName);
    return pass ? Object.fromEntries([...pass.uniforms].map(([name, u]) => [name, u.value])) : {};
  }

  // Puts a frame into the source texture: a video/bitmap/canvas (scaled to the source's size) or raw RGBA.
  function uploadSource(frame) {
    const target = source.target;
    if (frame.data) {
      gl.bindTexture(gl.TEXTURE_2D, target.texture);
      gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
      gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, frame.data);
      return;
    }
    const frameWidth = frame.videoWidth || frame.width;
    const frameHeight = frame.videoHeight || frame.height;
    if (frameWidth === width && frameHeight === height) {
      gl.bindTexture(gl.TEXTURE_2D, target.texture);
      gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, frame);
      return;
    }
    if (!upload || upload.width !== frameWidth || upload.height !== frameHeight) {
      deleteTarget(gl, upload);
      upload = newTarget(gl, frameWidth, frameHeight);
    }
    gl.bindTexture(gl.TEXTURE_2D, upload.texture);
    gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, frameWidth, frameHeight, gl.RGBA, gl.UNSIGNED_BYTE, frame);
    gl.bindFramebuffer(gl.READ_FRAMEBUFFER, upload.framebuffer);
    gl.bindFramebuffer(gl.DRAW_FRAMEBUFFER, target.framebuffer);
    gl.blitFramebuffer(0, 0, frameWidth, frameHeight, 0, 0, width, height, gl.COLOR_BUFFER_BIT, gl.LINEAR);
  }

  function drawPattern(index) {
    const { program, ubo } = source.pattern;
    gl.bindBuffer(gl.UNIFORM_BUFFER, ubo);
    gl.bufferSubData(gl.UNIFORM_BUFFER, 0, new Uint32Array([index >>> 0, width, height, 0]));
    gl.bindBufferBase(gl.UNIFORM_BUFFER, 0, ubo);
    gl.bindFramebuffer(gl.FRAMEBUFFER, source.target.framebuffer);
    gl.viewport(0, 0, width, height);
    gl.useProgram(program);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
  }

  function targetOf(name) {
    if (name === "source") return source.target;
    const pass = passes.find((p) => p.name === name);
    return pass ? pass.target : null;
  }

  // One frame through the chain; `frame` is the camera's picture (or raw pixels), absent for the pattern.
  function render({ frame, index = 0, time = 0, mouse = [0, 0, 0, 0] }) {
    if (!source) return;
    gl.bindVertexArray(vao);
    if (source.pattern) drawPattern(index);
    else if (frame) uploadSource(frame);
    for (const pass of passes) {
      gl.bindFramebuffer(gl.FRAMEBUFFER, pass.target.framebuffer);
      gl.viewport(0, 0, width, height);
      gl.useProgram(pass.program);
      const inputs = new Map((pass.spec.textures || []).map((t) => [t.binding, t.from]));
      pass.units.forEach((unit, i) => {
        const input = targetOf(inputs.get(unit.binding) || "source");
        gl.activeTexture(gl.TEXTURE0 + i);
        gl.bindTexture(gl.TEXTURE_2D, input ? input.texture : null);
        gl.uniform1i(unit.location, i);
      });
      if (pass.frame.time) gl.uniform1f(pass.frame.time, time);
      if (pass.frame.frame) gl.uniform1ui(pass.frame.frame, index >>> 0);
      if (pass.frame.resolution) gl.uniform2f(pass.frame.resolution, width, height);
      if (pass.frame.mouse) gl.uniform4fv(pass.frame.mouse, mouse);
      for (const uniform of pass.uniforms.values()) {
        setUniform(gl, uniform.location, uniform.type, uniform.value, uniform.array_length);
      }
      gl.drawArrays(gl.TRIANGLES, 0, 3);
    }
    const shown = targetOf(output);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    gl.bindFramebuffer(gl.READ_FRAMEBUFFER, shown.framebuffer);
    gl.bindFramebuffer(gl.DRAW_FRAMEBUFFER, null);
    gl.blitFramebuffer(0, 0, width, height, 0, height, width, 0, gl.COLOR_BUFFER_BIT, gl.NEAREST);
  }

  // The output's RGBA8 pixels, top row first (as the kernel's readback gives them).
  function readPixels() {
    const shown = targetOf(output);
    const pixels = new Uint8Array(width * height * 4);
    gl.bindFramebuffer(gl.FRAMEBUFFER, shown.framebuffer);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
    return pixels;
  }

  function dispose() {
    disposePasses(passes);
    passes = [];
    deleteTarget(gl, source && source.target);
    deleteTarget(gl, upload);
    source = null;
  }

  const info = gl.getExtension("WEBGL_debug_renderer_info");
  const name = gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
  return { setProgram, setParams, params, render, readPixels, dispose, renderer: name };
}
