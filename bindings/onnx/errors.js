// Errors from a step of a session, told apart by where they arose: the same kind of error (TypeError, RangeError
// or Error, as the API promises), its message prefixed with the node or step, the original as its cause.

/** The error e, of the same kind, with `where: ` in front of its message (unless it starts with it already). */
export function errorAt(e, where) {
  if (!(e instanceof Error)) return e;
  const Kind = e instanceof TypeError ? TypeError : e instanceof RangeError ? RangeError : Error;
  return new Kind(e.message.startsWith(where) ? e.message : `${where}: ${e.message}`, { cause: e });
}
