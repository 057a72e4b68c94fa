// grad_input.wgsl: the input gradient of a chunk as a gather, without float atomics and with a fixed order
// of summation, so that it is exact float32 arithmetic and the same bits on every run.
//
// With arbitrary offsets, which samples touch an input pixel is known only from the data, so the sampling
// plan is inverted first: every (sample, corner) pair that lands inside the image becomes an entry
// s * 4 + corner in the bucket of its target (image n, offset group g, input pixel). Entries carry no
// channel: all channels of the offset group share the plan, so one index serves them all.
//   1. count: one thread per sample, atomicAdd on integer counts per bucket (exact, order-free);
//   2. scan.wgsl turns the counts into bucket starts (exclusive prefix sum); JS clears the counts;
//   3. fill: one thread per sample claims a slot in each of its buckets with an integer atomicAdd and
//      writes its entry there (the order inside a bucket is the GPU's, not yet fixed);
//   4. sort: one thread per bucket heap-sorts its entries ascending, which fixes the order;
//   5. gather: one thread per (image, chunk channel, input pixel) sums columns[n, c, t, p] * plan weight
//      over its bucket in that order, and adds the sum to grad_input (JS clears it before the first chunk
//      of pixels, later chunks add).
// Why not the alternatives: atomic float adds through compare-exchange loops on u32 would race, serialise on
// popular pixels and give run-to-run different bits; fixed-point integer atomics lose precision; a
// per-thread scratch image (as the CPU does) costs an image per thread on a GPU. Buckets cost 4 bytes per
// (sample, corner) plus 8 per (image, offset group, input pixel).
// Compiled after conv.wgsl and indexing.wgsl.
//
// Bindings (group 0), in order, shared by the four entry points:
//   0 conv        uniform Conv
//   1 plan        plan.wgsl's entries for the chunk
//   2 columns     grad_columns.wgsl's output for the chunk
//   3 counts      per bucket (images x G x H*W): entries so far (count, fill) or in all (sort, gather)
//   4 starts      per bucket: index of its first entry (scan.wgsl's output)
//   5 entries     (sample, corner) entries, bucket after bucket
//   6 grad_input  out (added to): like the input chunk
// Dispatch: count, fill: ceil(samples / WORKGROUP_SIZE); sort: ceil(buckets / WORKGROUP_SIZE); gather:
// ceil(images x chunk channels x H*W / WORKGROUP_SIZE) workgroups, each folded into (x, y).

@group(0) @binding(0) var<uniform> conv: Conv;
@group(0) @binding(1) var<storage, read> plan: array<PlanEntry>;
@group(0) @binding(2) var<storage, read> columns: array<f32>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read> starts: array<u32>;
@group(0) @binding(5) var<storage, read_write> entries: array<u32>;
@group(0) @binding(6) var<storage, read_write> grad_input: array<f32>;

// The buckets of the four corners of sample s (the sample's image and offset group, then the corner's
// pixel), -1 for a corner outside the image: what count and fill both walk.
fn corner_buckets(s: i32) -> vec4<i32> {
  let corners = plan[s].corner;
  let first = (s / (conv.taps * conv.pixels)) * conv.in_height * conv.in_width;  // (n * G + g) * H * W
  return select(vec4<i32>(-1), vec4<i32>(first) + corners, corners >= vec4<i32>(0));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn count(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let s = linear_index(id, groups);
  if (s >= sample_count()) {
    return;
  }
  let buckets = corner_buckets(s);
  for (var k = 0; k < 4; k++) {
    if (buckets[k] >= 0) {
      atomicAdd(&counts[buckets[k]], 1u);
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fill(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let s = linear_index(id, groups);
  if (s >= sample_count()) {
    return;
  }
  let buckets = corner_buckets(s);
  for (var k = 0; k < 4; k++) {
    if (buckets[k] >= 0) {
      let slot = starts[buckets[k]] + atomicAdd(&counts[buckets[k]], 1u);
      entries[slot] = u32(s) * 4u + u32(k);
    }
  }
}

// Restores the max-heap property below node i of the heap entries[first, first + size).
fn sift_down(first: u32, start: u32, size: u32) {
  var i = start;
  loop {
    var largest = i;
    let left = 2u * i + 1u;
    let right = left + 1u;
    if (left < size && entries[first + left] > entries[first + largest]) {
      largest = left;
    }
    if (right < size && entries[first + right] > entries[first + largest]) {
      largest = right;
    }
    if (largest == i) {
      break;
    }
    let t = entries[first + i];
    entries[first + i] = entries[first + largest];
    entries[first + largest] = t;
    i = largest;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sort(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let b = linear_index(id, groups);
  if (b >= conv.images * conv.offset_groups * conv.in_height * conv.in_width) {
    return;
  }
  let first = starts[b];
  let size = atomicLoad(&counts[b]);
  if (size < 2u) {
    return;
  }
  // Heap sort: O(k log k) even for a bucket that every sample lands in, in place.
  for (var i = size / 2u; i > 0u; i--) {
    sift_down(first, i - 1u, size);
  }
  for (var end = size - 1u; end > 0u; end--) {
    let t = entries[first];
    entries[first] = entries[first + end];
    entries[first + end] = t;
    sift_down(first, 0u, end);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gather(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let t = linear_index(id, groups);
  let pixels_in = conv.in_height * conv.in_width;
  if (t >= conv.images * conv.channels * pixels_in) {
    return;
  }
  let pixel = t % pixels_in;
  let c_local = (t / pixels_in) % conv.channels;
  let n = t / (pixels_in * conv.channels);
  let g = (conv.first_channel + c_local) / conv.channels_per_offset_group;
  let b = (n * conv.offset_groups + g) * pixels_in + pixel;
  let first = starts[b];
  let end = first + atomicLoad(&counts[b]);
  let column_base = (n * conv.channels + c_local) * conv.taps * conv.pixels;
  var sum = 0.0;
  for (var e = first; e < end; e++) {
    let entry = entries[e];
    let s = i32(entry / 4u);
    let tap_and_pixel = s % (conv.taps * conv.pixels);  // tap * pixels + p
    sum += columns[column_base + tap_and_pixel] * plan[s].weight[entry % 4u];
  }
  let at = n * conv.input_n + c_local * conv.input_c + pixel * conv.input_p;
  grad_input[at] += sum;
}
