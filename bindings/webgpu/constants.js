// The numbers the JS side of the WebGPU backend and its WGSL kernels must agree on, defined here once. The
// kernels receive those they declare as pipeline-overridable constants (shaders.js, sharedConstants), so no
// kernel repeats one. The size of a sampling plan entry is the one exception: WGSL cannot size a struct by an
// override, so conv.wgsl's PlanEntry defines it and shaders.js reads it from there (PLAN_ENTRY_BYTES).

/** Threads of a workgroup of the one-dimensional kernels (one thread per sample, bucket or element). */
export const WORKGROUP_SIZE = 64;

/** Elements one workgroup of scan.wgsl scans, two per thread (a power of two). */
export const SCAN_BLOCK = 512;

/** Threads of grad_bias.wgsl's workgroup, one workgroup per output channel (a power of two). */
export const BIAS_THREADS = 256;

/**
 * maxComputeWorkgroupsPerDimension, the default every device has: the most workgroups in one dimension of a
 * dispatch. Only JS needs it (the kernels read their grid through num_workgroups).
 */
export const MAX_WORKGROUPS = 65535;

/** The constants above that kernels declare as overrides, by name. */
export const KERNEL_CONSTANTS = { WORKGROUP_SIZE, SCAN_BLOCK, BIAS_THREADS };
