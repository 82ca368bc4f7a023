/**
 * Prompt templates use `{{name}}` placeholders. The variables a version declares must match the ones
 * its template uses: a missing or unknown variable is an error when the version is saved, not a
 * silently empty hole in a production prompt.
 */
export type VariableType = "string" | "number" | "boolean" | "json";
export type PromptVariable = { name: string; type: VariableType; required?: boolean; description?: string };

const placeholder = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g;

export function extractVariables(...templates: string[]): string[] {
  const names = new Set<string>();
  for (const t of templates) for (const m of t.matchAll(placeholder)) names.add(m[1]!);
  return [...names];
}

export type VariableProblem = { variable: string; problem: "undeclared" | "unused" | "duplicate" | "invalid_name" };

/** Compares declared variables with the placeholders in the template(s). */
export function checkVariables(declared: PromptVariable[], ...templates: string[]): VariableProblem[] {
  const used = new Set(extractVariables(...templates));
  const problems: VariableProblem[] = [];
  const seen = new Set<string>();
  for (const v of declared) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(v.name)) problems.push({ variable: v.name, problem: "invalid_name" });
    if (seen.has(v.name)) problems.push({ variable: v.name, problem: "duplicate" });
    seen.add(v.name);
    if (!used.has(v.name)) problems.push({ variable: v.name, problem: "unused" });
  }
  for (const name of used) if (!seen.has(name)) problems.push({ variable: name, problem: "undeclared" });
  return problems;
}

export class TemplateError extends Error {
  constructor(readonly missing: string[], readonly wrongType: string[]) {
    super(
      [missing.length ? `missing variables: ${missing.join(", ")}` : "", wrongType.length ? `wrong type: ${wrongType.join(", ")}` : ""]
        .filter(Boolean)
        .join("; "),
    );
  }
}

function typeOk(type: VariableType, value: unknown): boolean {
  if (type === "json") return true;
  return typeof value === type;
}

/** Fills a template; every placeholder needs a value of the declared type. */
export function renderTemplate(template: string, values: Record<string, unknown>, declared: PromptVariable[] = []): string {
  const types = new Map(declared.map((v) => [v.name, v.type] as const));
  const missing: string[] = [];
  const wrongType: string[] = [];
  for (const name of extractVariables(template)) {
    const value = values[name];
    if (value === undefined || value === null) missing.push(name);
    else if (types.has(name) && !typeOk(types.get(name)!, value)) wrongType.push(name);
  }
  if (missing.length || wrongType.length) throw new TemplateError(missing, wrongType);
  return template.replace(placeholder, (_, name: string) => {
    const v = values[name];
    return typeof v === "string" ? v : JSON.stringify(v);
  });
}
