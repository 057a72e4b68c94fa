export function hostileChecks() { return []; }
