/**
 * Builds the expression parts of an UpdateItem request clause by clause. Placeholders come
 * with the clause that uses them (`#name` for attribute names, `:value` for values), so an
 * unused placeholder, which DynamoDB rejects, cannot be left behind.
 */
export type Placeholders = Record<string, unknown>;

export interface UpdateParts {
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

export class UpdateBuilder {
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];
  private readonly adds: string[] = [];
  private readonly conditions: string[] = [];
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, unknown> = {};

  /** A `SET` clause, e.g. `set('#version = #version + :one', { '#version': 'version', ':one': 1 })`. */
  set(clause: string, placeholders: Placeholders = {}): this {
    this.sets.push(clause);
    return this.bind(placeholders);
  }

  /** `#attribute = :attribute` for each attribute given a defined value. */
  assign(attributes: Record<string, unknown>): this {
    for (const [name, value] of Object.entries(attributes)) {
      if (value !== undefined) this.set(`#${name} = :${name}`, { [`#${name}`]: name, [`:${name}`]: value });
    }
    return this;
  }

  /** An `ADD` clause (atomic counters that need not exist yet), e.g. `add('#n :n', { '#n': 'requests', ':n': 1 })`. */
  add(clause: string, placeholders: Placeholders = {}): this {
    this.adds.push(clause);
    return this.bind(placeholders);
  }

  /** `REMOVE` of attributes (paths or `#name` placeholders given in `placeholders`). */
  remove(attributes: readonly string[], placeholders: Placeholders = {}): this {
    this.removes.push(...attributes);
    return this.bind(placeholders);
  }

  /** One more condition, ANDed with the others. */
  when(condition: string, placeholders: Placeholders = {}): this {
    this.conditions.push(condition);
    return this.bind(placeholders);
  }

  /** `#attribute IN (:p0, :p1, …)` over `allowed`, its placeholders named after `prefix`. */
  whenIn(attribute: string, allowed: readonly unknown[], prefix: string): this {
    const placeholders: Placeholders = { [`#${attribute}`]: attribute };
    const list = allowed.map((value, i) => {
      placeholders[`:${prefix}${i}`] = value;
      return `:${prefix}${i}`;
    });
    return this.when(`#${attribute} IN (${list.join(', ')})`, placeholders);
  }

  build(): UpdateParts {
    const clauses = [
      this.sets.length > 0 ? `SET ${this.sets.join(', ')}` : '',
      this.removes.length > 0 ? `REMOVE ${this.removes.join(', ')}` : '',
      this.adds.length > 0 ? `ADD ${this.adds.join(', ')}` : '',
    ];
    return {
      UpdateExpression: clauses.filter(Boolean).join(' '),
      ...(this.conditions.length > 0 ? { ConditionExpression: this.conditions.join(' AND ') } : {}),
      ...(Object.keys(this.names).length > 0 ? { ExpressionAttributeNames: this.names } : {}),
      ...(Object.keys(this.values).length > 0 ? { ExpressionAttributeValues: this.values } : {}),
    };
  }

  private bind(placeholders: Placeholders): this {
    for (const [placeholder, value] of Object.entries(placeholders)) {
      if (placeholder.startsWith('#')) this.names[placeholder] = String(value);
      else if (placeholder.startsWith(':')) this.values[placeholder] = value;
      else throw new Error(`placeholder ${placeholder} is neither #name nor :value`);
    }
    return this;
  }
}
