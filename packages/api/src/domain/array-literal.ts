/**
 * A Postgres array literal ("{a,b,c}") for uuids or integers, to be cast in SQL (`::uuid[]`): one
 * parameter whatever the length, where drizzle would expand a JS array into a list of parameters.
 * Only for values that never need quoting (validated uuids, numbers).
 */
export function arrayLiteral(values: readonly (string | number)[]): string {
  return `{${values.join(",")}}`;
}
