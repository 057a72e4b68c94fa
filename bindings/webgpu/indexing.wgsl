// indexing.wgsl: the index arithmetic the kernels share, written once: shaders.js compiles it after conv.wgsl
// in front of every kernel. WORKGROUP_SIZE comes from JS (constants.js), as a pipeline-overridable constant.

// Threads of a workgroup of the one-dimensional kernels: one thread per sample, bucket or element.
override WORKGROUP_SIZE: u32;

// The linear index of a thread of a one-dimensional dispatch, which JS folds into (x, y) when it needs more
// workgroups than one dimension allows (context.js, dispatchLinear).
fn linear_index(id: vec3<u32>, groups: vec3<u32>) -> i32 {
  return i32(id.x + id.y * groups.x * WORKGROUP_SIZE);
}

// The linear index of a workgroup of such a dispatch, for the kernels that give each item a workgroup.
fn workgroup_index(wid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return wid.x + wid.y * groups.x;
}

// The samples of a chunk: (image n, offset group g, tap, chunk pixel p), pixels fastest. The sampling plan
// (plan.wgsl) holds one entry per sample at its index.
struct SampleAt {
  n: i32,
  g: i32,
  tap: i32,
  p: i32,
}

fn sample_count() -> i32 {
  return conv.images * conv.offset_groups * conv.taps * conv.pixels;
}

fn sample_at(s: i32) -> SampleAt {
  let rest = s / conv.pixels;
  return SampleAt(rest / (conv.taps * conv.offset_groups), (rest / conv.taps) % conv.offset_groups,
                  rest % conv.taps, s % conv.pixels);
}

fn sample_index(n: i32, g: i32, tap: i32, p: i32) -> i32 {
  return ((n * conv.offset_groups + g) * conv.taps + tap) * conv.pixels + p;
}

// The (image, chunk pixel) pairs of a chunk, q = n * pixels + p: (n, p) of pair q.
fn pair_at(q: i32) -> vec2<i32> {
  return vec2<i32>(q / conv.pixels, q % conv.pixels);
}
