// scan.wgsl: exclusive prefix sum of u32 counts, in place, for grad_input.wgsl's bucket starts.
// A level of L elements is scanned in blocks of SCAN_BLOCK (constants.js; SCAN_BLOCK / 2 threads, two elements
// each, Blelloch's up-sweep and down-sweep in workgroup memory); each block's total goes to `sums`, which JS
// scans the same way (a level up) until one block is left, then add_sums adds every block's scanned total back
// down. Integer sums: exact whatever the order.
// Compiled after conv.wgsl and indexing.wgsl.
//
// Bindings (group 0), in order:
//   0 conv  uniform Conv (scan_length: elements of this level)
//   1 data  the level being scanned, in place
//   2 sums  one total per block of data (scan_blocks writes, add_sums reads)
// Dispatch: ceil(scan_length / SCAN_BLOCK) workgroups, folded into (x, y).

override SCAN_BLOCK: u32;  // a power of two

@group(0) @binding(0) var<uniform> conv: Conv;
@group(0) @binding(1) var<storage, read_write> data: array<u32>;
@group(0) @binding(2) var<storage, read_write> sums: array<u32>;

var<workgroup> block: array<u32, SCAN_BLOCK>;

@compute @workgroup_size(SCAN_BLOCK / 2u)
fn scan_blocks(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>,
               @builtin(num_workgroups) groups: vec3<u32>) {
  let length = u32(conv.scan_length);
  let base = workgroup_index(wid, groups) * SCAN_BLOCK;
  if (base >= length) {
    return;  // the whole workgroup
  }
  let a = base + 2u * li;
  block[2u * li] = select(0u, data[a], a < length);
  block[2u * li + 1u] = select(0u, data[a + 1u], a + 1u < length);
  // Up-sweep: partial sums in a tree.
  var step = 1u;
  for (var width = SCAN_BLOCK / 2u; width > 0u; width /= 2u) {
    workgroupBarrier();
    if (li < width) {
      let right = step * (2u * li + 2u) - 1u;
      block[right] += block[right - step];
    }
    step *= 2u;
  }
  workgroupBarrier();
  if (li == 0u) {
    sums[workgroup_index(wid, groups)] = block[SCAN_BLOCK - 1u];
    block[SCAN_BLOCK - 1u] = 0u;
  }
  // Down-sweep: exclusive sums.
  for (var width = 1u; width < SCAN_BLOCK; width *= 2u) {
    step /= 2u;
    workgroupBarrier();
    if (li < width) {
      let right = step * (2u * li + 2u) - 1u;
      let left = right - step;
      let t = block[left];
      block[left] = block[right];
      block[right] += t;
    }
  }
  workgroupBarrier();
  if (a < length) {
    data[a] = block[2u * li];
  }
  if (a + 1u < length) {
    data[a + 1u] = block[2u * li + 1u];
  }
}

@compute @workgroup_size(SCAN_BLOCK / 2u)
fn add_sums(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>,
            @builtin(num_workgroups) groups: vec3<u32>) {
  let length = u32(conv.scan_length);
  let b = workgroup_index(wid, groups);
  let a = b * SCAN_BLOCK + 2u * li;
  if (a < length) {
    data[a] += sums[b];
  }
  if (a + 1u < length) {
    data[a + 1u] += sums[b];
  }
}
