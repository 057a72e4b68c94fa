// scan.wgsl: exclusive prefix sum of u32 counts, in place, for grad_input.wgsl's bucket starts.
// A level of L elements is scanned in blocks of 512 (256 threads, two elements each, Blelloch's up-sweep and
// down-sweep in workgroup memory); each block's total goes to `sums`, which JS scans the same way (a level
// up) until one block is left, then add_sums adds every block's scanned total back down. Integer sums:
// exact whatever the order.
// Compiled after conv.wgsl.
//
// Bindings (group 0), in order:
//   0 conv  uniform Conv (scan_length: elements of this level)
//   1 data  the level being scanned, in place
//   2 sums  one total per block of data (scan_blocks writes, add_sums reads)
// Dispatch: ceil(scan_length / 512) workgroups, folded into (x, y).

const BLOCK: u32 = 512u;

@group(0) @binding(0) var<uniform> conv: Conv;
@group(0) @binding(1) var<storage, read_write> data: array<u32>;
@group(0) @binding(2) var<storage, read_write> sums: array<u32>;

var<workgroup> block: array<u32, 512>;

fn block_id(wid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return wid.x + wid.y * groups.x;
}

@compute @workgroup_size(256)
fn scan_blocks(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>,
               @builtin(num_workgroups) groups: vec3<u32>) {
  let length = u32(conv.scan_length);
  let base = block_id(wid, groups) * BLOCK;
  if (base >= length) {
    return;  // the whole workgroup
  }
  let a = base + 2u * li;
  block[2u * li] = select(0u, data[a], a < length);
  block[2u * li + 1u] = select(0u, data[a + 1u], a + 1u < length);
  // Up-sweep: partial sums in a tree.
  var step = 1u;
  for (var width = BLOCK / 2u; width > 0u; width /= 2u) {
    workgroupBarrier();
    if (li < width) {
      let right = step * (2u * li + 2u) - 1u;
      block[right] += block[right - step];
    }
    step *= 2u;
  }
  workgroupBarrier();
  if (li == 0u) {
    sums[block_id(wid, groups)] = block[BLOCK - 1u];
    block[BLOCK - 1u] = 0u;
  }
  // Down-sweep: exclusive sums.
  for (var width = 1u; width < BLOCK; width *= 2u) {
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

@compute @workgroup_size(256)
fn add_sums(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>,
            @builtin(num_workgroups) groups: vec3<u32>) {
  let length = u32(conv.scan_length);
  let b = block_id(wid, groups);
  let a = b * BLOCK + 2u * li;
  if (a < length) {
    data[a] += sums[b];
  }
  if (a + 1u < length) {
    data[a + 1u] += sums[b];
  }
}
