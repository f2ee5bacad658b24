// Option parsers for commander that fail with a message naming the option and the bad value.
import { InvalidArgumentError } from 'commander';

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`"${value}" is not a port (an integer from 0 to 65535)`);
  }
  return port;
}

/** A commander parser that accepts one of `choices` and names the option and the choices otherwise. */
export function parseChoice<T extends string>(option: string, choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`${option} must be one of ${choices.join(', ')}; got "${value}"`);
    }
    return value as T;
  };
}
